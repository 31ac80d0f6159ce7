#!/usr/bin/env bash
# Build the tansu broker once into the cache (about 10 minutes on 2 cores); later runs reuse it.
source "$(dirname "$0")/lib.sh"
if [ -x "$TANSU_ROOT/bin/tansu" ]; then
  log "tansu $TANSU_VERSION already installed at $TANSU_ROOT/bin/tansu"
  exit 0
fi
mkdir -p "$TANSU_ROOT"
# Two runs at once (e.g. a developer and CI) must not build twice: the second waits here.
exec 9>"$SCHEMAGATE_CACHE/tansu-build.lock"
flock 9
if [ -x "$TANSU_ROOT/bin/tansu" ]; then
  log "tansu $TANSU_VERSION was installed while we waited"
  exit 0
fi
log "building tansu $TANSU_VERSION into $TANSU_ROOT (first time only)"
# A separate target dir inside the cache keeps partial builds resumable.
CARGO_TARGET_DIR="$SCHEMAGATE_CACHE/tansu-target" \
  cargo install tansu --version "$TANSU_VERSION" --locked --features dynostore,libsql --root "$TANSU_ROOT"
log "tansu installed: $("$TANSU_ROOT/bin/tansu" --version 2>&1 | head -1)"
