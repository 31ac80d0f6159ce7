#!/usr/bin/env bash
# Install the real Kafka clients the tests drive through the proxy: a Python venv with
# confluent-kafka (librdkafka inside) and kafka-python, kcat from Debian, and the kafkajs
# clients from npm. Idempotent: each part is skipped when already present.
source "$(dirname "$0")/lib.sh"
CONFLUENT_KAFKA_VERSION=2.16.0
KAFKA_PYTHON_VERSION=2.3.3

if ! "$VENV/bin/python" -c "import confluent_kafka, kafka, fastavro; assert confluent_kafka.__version__ == '$CONFLUENT_KAFKA_VERSION'" 2>/dev/null; then
  log "creating Python venv at $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  "$VENV/bin/pip" install --quiet "confluent-kafka[avro,schemaregistry]==$CONFLUENT_KAFKA_VERSION" "kafka-python==$KAFKA_PYTHON_VERSION"
fi
log "python clients: confluent-kafka $("$VENV/bin/python" -c 'import confluent_kafka; print(confluent_kafka.version()[0], "librdkafka", confluent_kafka.libversion()[0])')"

if ! command -v kcat >/dev/null 2>&1; then
  log "installing kcat from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq kcat >/dev/null
fi

if [ ! -d "$NODE_DIR/node_modules/kafkajs" ]; then
  log "installing kafkajs clients into $NODE_DIR"
  mkdir -p "$NODE_DIR"
  (cd "$NODE_DIR" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund kafkajs@2 @kafkajs/confluent-schema-registry@3 >/dev/null)
fi
