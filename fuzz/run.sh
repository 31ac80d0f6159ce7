#!/usr/bin/env bash
# Runs one fuzz target for a fixed time and keeps a time-stamped log.
#
#   fuzz/run.sh TARGET SECONDS [asan|none] [LIBFUZZER_FLAG ...]    (from the repository root)
#
# Builds the target (cargo-fuzz, nightly) with the given sanitizer (default asan) into
# fuzz/target or fuzz/target-none, then runs it over fuzz/corpus/TARGET (new inputs land there)
# and fuzz/seeds/TARGET (an empty corpus is first filled from fuzz/carry/TARGET.tar.xz if that
# exists), at nice 10, with RUST_BACKTRACE=0 (a captured backtrace per refused
# input slows the Avro targets several times). The log goes to fuzz/logs/TARGET.log, each line
# prefixed with the seconds since the start; summarise it with fuzz/summarize.py.
set -euo pipefail
target=${1:?target}
seconds=${2:?seconds}
sanitizer=${3:-asan}
shift $(($# < 3 ? $# : 3))
cd "$(dirname "$0")"
case "$sanitizer" in
  asan) dir=target ;;
  none) dir=target-none ;;
  *) echo "sanitizer must be asan or none" >&2; exit 2 ;;
esac
cargo +nightly fuzz build -s "$sanitizer" --target-dir "$dir" "$target"
mkdir -p "corpus/$target" "artifacts/$target" logs
# A new machine starts from the corpus an earlier campaign carried forward, if there is one
# (fuzz/carry/TARGET.tar.xz: that corpus merged with -merge=1).
if [ -f "carry/$target.tar.xz" ] && [ -z "$(ls -A "corpus/$target")" ]; then
  tar -C "corpus/$target" -xJf "carry/$target.tar.xz"
fi
dict=()
[ -f "dicts/$target.dict" ] && dict=("-dict=dicts/$target.dict")
seeds=()
[ -d "seeds/$target" ] && seeds=("seeds/$target")
RUST_BACKTRACE=0 nice -n 10 "$dir/x86_64-unknown-linux-gnu/release/$target" \
  "corpus/$target" "${seeds[@]}" "${dict[@]}" \
  -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
  -timeout=30 -artifact_prefix="artifacts/$target/" "$@" 2>&1 |
  python3 -u -c '
import sys, time
start = time.monotonic()
for line in sys.stdin:
    sys.stdout.write(f"{time.monotonic() - start:.0f} {line}")
' > "logs/$target.log"
echo "exit ${PIPESTATUS[0]}" >> "logs/$target.log"
