#!/usr/bin/env bash
# The full test command (README, .ci/run): installs the real broker and clients into the cache
# (idempotent), then runs the format check, clippy with warnings denied, a compile check of the
# fuzz targets, and the whole test suite, and ends with one PASS/FAIL line. Works unattended
# (CI=true, no stdin).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

"$ROOT/scripts/install-tansu.sh"
"$ROOT/scripts/install-clients.sh"
# The integration tests find the tools through these (tests/common/tools.rs).
export SCHEMAGATE_TANSU="$TANSU_ROOT/bin/tansu"
export SCHEMAGATE_PYTHON="$VENV/bin/python"
export SCHEMAGATE_NODE_DIR="$NODE_DIR"

results=()
failed=0
step() {
  local name=$1
  shift
  log "== $name: $*"
  local started=$SECONDS
  if "$@" </dev/null; then
    results+=("PASS  $name ($((SECONDS - started))s)")
  else
    results+=("FAIL  $name ($((SECONDS - started))s)")
    failed=1
  fi
}

step "format" cargo fmt --all -- --check
step "clippy" cargo clippy --locked --all-targets -- -D warnings
# The fuzz targets (their own crate, run with cargo-fuzz on nightly) must keep compiling
# against the library; checking them needs no nightly and no libFuzzer run.
step "fuzz targets compile" cargo check --locked --manifest-path fuzz/Cargo.toml --bins
if cargo nextest --version >/dev/null 2>&1; then
  step "tests" cargo nextest run --locked --no-fail-fast
  # nextest does not run doctests.
  step "doctests" cargo test --locked --doc
else
  log "cargo-nextest not found; falling back to cargo test"
  # Broker-backed tests share 2 cores; keep them from all starting at once.
  step "tests" cargo test --locked --no-fail-fast -- --test-threads=2
fi

# The main job (README's first command) must keep working too: broker + schemagate + the seed's
# producer/consumer, a valid record accepted and bad ones refused.
step "demo" "$ROOT/scripts/demo.sh"

log "== summary"
printf '%s\n' "${results[@]}" >&2
if [ "$failed" -eq 0 ]; then
  echo "schemagate tests: PASS"
else
  echo "schemagate tests: FAIL"
fi
exit "$failed"
