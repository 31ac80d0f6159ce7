#!/usr/bin/env python3
"""Summarise a libFuzzer log written by fuzz/run.sh: one line per log, the figures the
RELIABILITY.md runs table records.

    python3 fuzz/summarize.py fuzz/logs/TARGET.log [...]

"Last cov gain" is the last status line whose edge coverage (`cov:`) rose; "plateau" is the
share of the run's executions that came after it. "Last ft gain" is the same for libFuzzer's
features (`ft:`), which keep creeping up long after edges stop. Findings are libFuzzer's
crash, leak, timeout and out-of-memory reports. "cov by share of executions" shows the shape
of the curve: the edge coverage reached after 10%, 25%, 50%, 75% and 100% of the executions;
"second half" is how many edges the later half of the executions added, also as a share of the
final edge count (a run that keeps finding a few edges deep in a large input space can have a
recent last gain and still a flat curve).
"""
import re
import sys

STATUS = re.compile(r"^(\d+) #(\d+)\s+(\w+)\s+cov: (\d+) ft: (\d+)(?: corp: (\d+))?")
STAT = re.compile(r"stat::(\w+):\s+(\d+)")
FINDING = re.compile(r"==\d+== ERROR: libFuzzer|deadly signal|SUMMARY: |panicked at")


def summarise(path):
    first = last = None
    cov_gain = ft_gain = None
    stats, findings, rows = {}, [], []
    with open(path, errors="replace") as log:
        for line in log:
            m = STATUS.match(line)
            if m:
                secs, execs, kind, cov, ft = (int(m[1]), int(m[2]), m[3], int(m[4]), int(m[5]))
                row = {"secs": secs, "execs": execs, "kind": kind, "cov": cov, "ft": ft,
                       "corp": int(m[6]) if m[6] else None}
                rows.append(row)
                if kind == "INITED":
                    first = row
                if last is not None and cov > last["cov"]:
                    cov_gain = row
                if last is not None and ft > last["ft"]:
                    ft_gain = row
                last = row
                continue
            s = STAT.search(line)
            if s:
                stats[s[1]] = int(s[2])
            elif FINDING.search(line):
                findings.append(line.split(" ", 1)[-1].strip())
    if first is None or last is None:
        return f"{path}: no libFuzzer status lines"
    total = stats.get("number_of_executed_units", last["execs"])
    secs = max(last["secs"], 1)

    def gain(row):
        if row is None:
            return f"none in the run ({last['cov']} from the start; 100% plateau)"
        share = 100 * (total - row["execs"]) / max(total, 1)
        return f"{row['secs']} s / exec {row['execs']:,} ({share:.0f}% of the run after it)"

    def cov_at(share):
        reached = [r["cov"] for r in rows if r["execs"] <= share * total]
        return reached[-1] if reached else first["cov"]

    curve = " ".join(f"{int(q * 100)}%:{cov_at(q)}" for q in (0.1, 0.25, 0.5, 0.75, 1.0))
    late = last["cov"] - cov_at(0.5)
    late_share = 100 * late / max(last["cov"], 1)
    return (
        f"{path}: {secs} s, {total:,} executions, "
        f"{stats.get('average_exec_per_sec', total // secs):,} exec/s; "
        f"start cov/ft {first['cov']}/{first['ft']} ({first['corp']} units), "
        f"final {last['cov']}/{last['ft']}, corpus {last['corp']}; "
        f"cov by share of executions {curve}; "
        f"second half +{late} edges ({late_share:.1f}% of the final); "
        f"last cov gain {gain(cov_gain)}; last ft gain {gain(ft_gain)}; "
        f"findings: {'; '.join(findings) if findings else 'none'}"
    )


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(summarise(arg))
