"""Print the latest criterion results (target/criterion/**/new/) as a Markdown table.

Usage: python3 scripts/load/criterion_table.py [CRITERION_DIR]   (default: $CARGO_TARGET_DIR/criterion
or target/criterion). Time is the mean point estimate with its 95% confidence interval; throughput
is derived from the benchmark's declared elements/bytes per iteration.
"""

import json
import os
import sys


def rows(root):
    for dirpath, dirnames, filenames in sorted(os.walk(root)):
        if os.path.basename(dirpath) != "new" or "estimates.json" not in filenames:
            continue
        with open(os.path.join(dirpath, "benchmark.json")) as f:
            bench = json.load(f)
        with open(os.path.join(dirpath, "estimates.json")) as f:
            estimates = json.load(f)
        # What criterion prints: the slope estimate when it has one, else the mean.
        est = estimates.get("slope") or estimates["mean"]
        ns = est["point_estimate"]
        lo, hi = est["confidence_interval"]["lower_bound"], est["confidence_interval"]["upper_bound"]
        thr = bench.get("throughput") or {}
        thr = thr.get("ElementsAndBytes", thr)
        elements = thr.get("Elements", thr.get("elements"))
        nbytes = thr.get("Bytes", thr.get("bytes"))
        parts = []
        if elements:
            parts.append("%.3g elem/s, %.3g ns/elem" % (elements / ns * 1e9, ns / elements))
        if nbytes:
            parts.append("%.1f MiB/s" % (nbytes / ns * 1e9 / 2 ** 20))
        per_s = "; ".join(parts)
        yield bench["full_id"], ns, lo, hi, per_s


def human(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return "%.3g %s" % (ns / scale, unit)
    return "%.3g ns" % ns


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.environ.get("CARGO_TARGET_DIR", "target"), "criterion")
    print("| benchmark | mean time per iteration [95% CI] | throughput |")
    print("|---|---|---|")
    for name, ns, lo, hi, per_s in rows(root):
        print("| %s | %s [%s, %s] | %s |" % (name, human(ns), human(lo), human(hi), per_s))


if __name__ == "__main__":
    main()
