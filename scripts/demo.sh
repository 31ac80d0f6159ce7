#!/usr/bin/env bash
# The main job, end to end on this machine: install the broker and clients (cached), build
# schemagate, start tansu with SASL SCRAM-SHA-512 (user "user", password "user", as in the
# seed), start schemagate in front of it, and run the seed's producer/consumer flow through
# the proxy only. Everything started here is stopped on exit.
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
  "$TANSU" broker --storage-engine "$storage" --listener-url "tcp://127.0.0.1:$BROKER_PORT" \
    --advertised-listener-url "tcp://127.0.0.1:$BROKER_PORT" "$@" >>"$WORK/tansu.log" 2>&1 &
  TANSU_PID=$!
  PIDS+=("$TANSU_PID")
  wait_port "$BROKER_PORT"
}

BROKER_PORT=$(free_port)
PROXY_PORT=$(free_port)
TOPIC=user-events
STORAGE="sqlite://$WORK/tansu.db"
SASL=(--extra security.protocol=SASL_PLAINTEXT --extra sasl.mechanisms=SCRAM-SHA-512
      --extra sasl.username=user --extra sasl.password=user)

log "starting tansu on 127.0.0.1:$BROKER_PORT and creating the SCRAM user"
start_tansu "$STORAGE"
"$TANSU" user create --broker "tcp://127.0.0.1:$BROKER_PORT" user user
kill "$TANSU_PID"; wait "$TANSU_PID" 2>/dev/null || true
start_tansu "$STORAGE" --authentication

log "starting schemagate on 127.0.0.1:$PROXY_PORT in front of it"
"$SCHEMAGATE" serve --bootstrap-servers "127.0.0.1:$BROKER_PORT" --listen "127.0.0.1:$PROXY_PORT" \
  --advertised-host 127.0.0.1 --broker-port-base 0 &
PIDS+=($!)
wait_port "$PROXY_PORT"

log "creating topic $TOPIC through the proxy"
"$PYTHON" tests/clients/admin.py create-topic "127.0.0.1:$PROXY_PORT" "$TOPIC" 3 "${SASL[@]}"
log "running the seed's producer and consumer (SASL_PLAINTEXT, SCRAM-SHA-512) through the proxy"
"$PYTHON" tests/clients/sasl_producer.py "127.0.0.1:$PROXY_PORT" "$TOPIC" user user --count 3
log "demo finished"
