#!/usr/bin/env bash
# The main job, end to end on this machine:
#   1. install the broker and clients (cached) and build schemagate;
#   2. start tansu with SASL SCRAM-SHA-512 (user "user", password "user", as in the seed);
#   3. start schemagate in front of it, with its embedded schema registry (state in the
#      cluster's compacted `_schemas` topic) and a rule: values of `user-events` must be
#      Confluent-framed Avro that decodes against a registered version of `user-events-value`;
#   4. register the seed's `user` schema over the registry's REST API;
#   5. run the seed's producer and consumer (scripts/demo/seed_*.py, the blog's code unchanged;
#      only the two URLs come from the environment, as the code itself provides): three users
#      are accepted and consumed;
#   6. send two bad records with the same SASL settings: both are refused with INVALID_RECORD,
#      and a consumer reading from the beginning still sees only the three users.
# Everything started here is stopped on exit. Exit status 0 means every step behaved.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

"$ROOT/scripts/install-tansu.sh"
"$ROOT/scripts/install-clients.sh"
log "building schemagate"
cargo build --locked --bin schemagate
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
SCHEMAGATE="$TARGET_DIR/debug/schemagate"
TANSU="$TANSU_ROOT/bin/tansu"
PYTHON="$VENV/bin/python"

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 150); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.2
  done
  log "nothing listens on port $1"; return 1
}
start_tansu() { # storage, extra flags...
  local storage=$1; shift
  # tansu resolves a sqlite:// path against its working directory, so run it in $WORK.
  (cd "$WORK" && exec "$TANSU" broker --storage-engine "$storage" \
    --listener-url "tcp://127.0.0.1:$BROKER_PORT" \
    --advertised-listener-url "tcp://127.0.0.1:$BROKER_PORT" "$@" >>"$WORK/tansu.log" 2>&1) &
  TANSU_PID=$!
  PIDS+=("$TANSU_PID")
  wait_port "$BROKER_PORT"
}

BROKER_PORT=$(free_port)
PROXY_PORT=$(free_port)
REGISTRY_PORT=$(free_port)
ADMIN_PORT=$(free_port)
STORAGE="sqlite://tansu.db"
SASL=(--extra security.protocol=SASL_PLAINTEXT --extra sasl.mechanisms=SCRAM-SHA-512
      --extra sasl.username=user --extra sasl.password=user)

log "starting tansu on 127.0.0.1:$BROKER_PORT and creating the SCRAM user"
start_tansu "$STORAGE"
"$TANSU" user create --broker "tcp://127.0.0.1:$BROKER_PORT" user user
kill "$TANSU_PID"; wait "$TANSU_PID" 2>/dev/null || true
start_tansu "$STORAGE" --authentication
log "operator step: create the registry's compacted _schemas topic (1 partition)"
"$PYTHON" tests/clients/admin.py create-topic "127.0.0.1:$BROKER_PORT" _schemas 1 \
  --extra security.protocol=SASL_PLAINTEXT --extra sasl.mechanisms=SCRAM-SHA-512 \
  --extra sasl.username=user --extra sasl.password=user --config cleanup.policy=compact >/dev/null

cat >"$WORK/schemagate.yaml" <<YAML
listen: 127.0.0.1:$PROXY_PORT
bootstrap_servers: ["127.0.0.1:$BROKER_PORT"]
advertised_host: 127.0.0.1
broker_port_base: 0
admin_listen: 127.0.0.1:$ADMIN_PORT
embedded_registry:
  listen: 127.0.0.1:$REGISTRY_PORT
  sasl: {mechanism: SCRAM-SHA-512, username: user, password: user}
policy:
  rules:
    - match: {topic: user-events}
      value: {level: payload}
YAML
log "starting schemagate: Kafka on 127.0.0.1:$PROXY_PORT, registry on 127.0.0.1:$REGISTRY_PORT"
RUST_LOG=warn "$SCHEMAGATE" serve --config "$WORK/schemagate.yaml" >"$WORK/schemagate.log" 2>&1 &
PIDS+=($!)
wait_port "$PROXY_PORT"
for _ in $(seq 1 150); do
  curl -sf "http://127.0.0.1:$REGISTRY_PORT/subjects" >/dev/null && break
  sleep 0.2
done

export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$PROXY_PORT"
export SCHEMA_REGISTRY_URL="http://127.0.0.1:$REGISTRY_PORT"
log "creating topic user-events through the proxy"
"$PYTHON" tests/clients/admin.py create-topic "$KAFKA_BOOTSTRAP_SERVERS" user-events 3 "${SASL[@]}" >/dev/null
log "registering the seed's 'user' schema: POST /subjects/user/versions"
curl -sf -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
  --data '{"schema": "{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"ssup2.com\",\"fields\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"email\",\"type\":\"string\"}]}"}' \
  "$SCHEMA_REGISTRY_URL/subjects/user/versions"
echo

log "running the seed's producer (SASL_PLAINTEXT, SCRAM-SHA-512) through schemagate"
"$PYTHON" scripts/demo/seed_producer.py
log "sending records that break the contract"
"$PYTHON" scripts/demo/bad_record.py
log "running the seed's consumer for 15 s (it polls forever; SIGINT ends it as in the blog)"
timeout -s INT 15 "$PYTHON" scripts/demo/seed_consumer.py | tee "$WORK/consumer.out" || true
received=$(grep -c '^Received message' "$WORK/consumer.out" || true)
log "schemagate counters:"
curl -sf "http://127.0.0.1:$ADMIN_PORT/metrics" | grep -E '^schemagate_records_total' || true
if [ "$received" -eq 3 ]; then
  log "demo passed: 3 valid users stored and consumed, bad records refused"
else
  log "demo FAILED: the consumer saw $received records (expected 3); schemagate log:"
  tail -30 "$WORK/schemagate.log" >&2
  exit 1
fi
