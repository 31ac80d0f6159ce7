#!/usr/bin/env bash
# End-to-end load benchmark (issue 6): librdkafka producers (confluent-kafka, several processes)
# against tansu directly, schemagate pass-through, schemagate with Avro `payload` validation, and
# schemagate in front of a Produce-acknowledging sink. Prints one table; see BENCHMARKS.md.
#
#   scripts/load.sh                      # everything, defaults
#   scripts/load.sh --records 200000 --producers 3 --targets direct,passthrough
#   scripts/load.sh --help               # all options
#
# Needs what scripts/install-clients.sh and scripts/install-tansu.sh install; builds the release
# binary and the produce_sink example with cargo (honours CARGO_TARGET_DIR).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

TANSU="$TANSU_ROOT/bin/tansu"
[ -x "$TANSU" ] || { log "tansu missing: run scripts/install-tansu.sh"; exit 1; }
"$VENV/bin/python" -c 'import confluent_kafka, fastavro' 2>/dev/null \
  || { log "python clients missing: run scripts/install-clients.sh"; exit 1; }

log "building release binary and produce_sink example"
cargo build --release --quiet --bin schemagate --example produce_sink
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

exec "$VENV/bin/python" "$ROOT/scripts/load/run.py" \
  --binary "$TARGET_DIR/release/schemagate" \
  --sink "$TARGET_DIR/release/examples/produce_sink" \
  --tansu "$TANSU" "$@"
