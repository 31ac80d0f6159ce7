#!/usr/bin/env bash
# Carries a target's corpus forward to the next machine: merges fuzz/corpus/TARGET (keeping
# only inputs that add coverage, libFuzzer -merge=1) into fuzz/carry/TARGET.tar.xz, which
# fuzz/run.sh unpacks into an empty corpus. Needs a built target (fuzz/run.sh builds one).
#
#   fuzz/carry.sh TARGET [asan|none]    (from the repository root)
set -euo pipefail
target=${1:?target}
sanitizer=${2:-none}
cd "$(dirname "$0")"
case "$sanitizer" in
  asan) dir=target ;;
  none) dir=target-none ;;
  *) echo "sanitizer must be asan or none" >&2; exit 2 ;;
esac
merged=$(mktemp -d)
trap 'rm -rf "$merged"' EXIT
"$dir/x86_64-unknown-linux-gnu/release/$target" -merge=1 "$merged" "corpus/$target" \
  -rss_limit_mb=2048 -timeout=30 2>&1 | grep MERGE-OUTER | tail -1
mkdir -p carry
tar -C "$merged" -cf - . | xz -9 > "carry/$target.tar.xz"
echo "carry/$target.tar.xz: $(ls "$merged" | wc -l) inputs, $(wc -c < "carry/$target.tar.xz") bytes"
