#!/usr/bin/env python3
"""Which code a corpus covers: libFuzzer's -print_coverage=1 report, summed by origin.

    python3 fuzz/coverage.py BINARY CORPUS_DIR [--files]

BINARY must be a sanitizer build (fuzz/run.sh TARGET SECONDS asan, or `cargo +nightly fuzz
build TARGET`): libFuzzer symbolises its coverage report through the sanitizer runtime. The
corpus is run once (-runs=0). Edges are summed for schemagate's own code (src/), the fuzz
harness (fuzz/) and everything else (dependencies and the standard library), so a run whose
total edge count still creeps up in a large dependency (a JSON or Avro parser) can be told
apart from one still finding new paths in schemagate. --files lists schemagate's files.
"""
import os
import re
import subprocess
import sys
from collections import defaultdict

FUNC = re.compile(r"^(UN)?COVERED_FUNC: hits: (\d+) edges: (\d+)/(\d+) .* (\S+?):\d+$")


def origin(path, repo):
    for name in ("src", "fuzz"):
        if path.startswith(os.path.join(repo, name) + os.sep):
            return "schemagate" if name == "src" else "harness"
    return "dependencies"


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        sys.exit(__doc__)
    binary, corpus = args
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    out = subprocess.run([binary, corpus, "-runs=0", "-print_coverage=1"], env=env,
                         capture_output=True, text=True, errors="replace").stderr
    covered, total = defaultdict(int), defaultdict(int)
    files = defaultdict(lambda: [0, 0])
    for line in out.splitlines():
        m = FUNC.match(line)
        if not m:
            continue
        kind = origin(m[5], repo)
        covered[kind] += int(m[3])
        total[kind] += int(m[4])
        if kind == "schemagate":
            counts = files[os.path.relpath(m[5], repo)]
            counts[0] += int(m[3])
            counts[1] += int(m[4])
    if not total:
        sys.exit(f"no coverage report from {binary} (not a sanitizer build?)")
    units = len(os.listdir(corpus))
    parts = [f"{k} {covered[k]}/{total[k]} edges" for k in ("schemagate", "harness", "dependencies")]
    print(f"{corpus} ({units} inputs): " + "; ".join(parts))
    if "--files" in sys.argv:
        for path, (c, t) in sorted(files.items()):
            print(f"  {path}: {c}/{t}")


if __name__ == "__main__":
    main()
