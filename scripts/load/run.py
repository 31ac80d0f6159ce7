"""End-to-end load run for schemagate (issue 6). Started by scripts/load.sh.

Targets, all fed the same pre-encoded record set by the same librdkafka producers:
  direct        client -> tansu
  passthrough   client -> schemagate (no rules) -> tansu
  payload       client -> schemagate (value level `payload`, embedded registry) -> tansu
  sink-direct   client -> produce_sink (the client's own ceiling)
  sink-proxy    client -> schemagate (no rules) -> produce_sink (the proxy's ceiling)
  sink-payload  client -> schemagate (`payload`, registry.url = the payload instance's
                embedded registry) -> produce_sink (the validating proxy's ceiling)

Each target gets a saturation phase (as fast as the producers go) and a paced phase at half the
direct saturation rate, where delivery-report latency p50/p99 is meaningful. schemagate CPU is
read from /proc/PID/stat (utime+stime) around each phase, peak RSS from VmHWM (one fresh
process per target, so the peak is that target's).
"""

import argparse
import array
import atexit
import json
import multiprocessing as mp
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import producer  # noqa: E402
import records  # noqa: E402

TOPIC = "load"
CLK_TCK = os.sysconf("SC_CLK_TCK")
ALL_TARGETS = ["direct", "passthrough", "payload", "sink-direct", "sink-proxy", "sink-payload"]
PROCS = []


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("%s exited with %s (log: %s)" % (what, proc.returncode, proc.log))
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("%s did not open port %d within %d s (log: %s)" % (what, port, timeout, proc.log))


def start(name, argv, workdir, env=None):
    path = os.path.join(workdir, name + ".log")
    out = open(path, "w")
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE if name == "sink" else out, stderr=out,
                            env=env, text=True)
    proc.log = path
    proc.name = name
    PROCS.append(proc)
    return proc


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@atexit.register
def _cleanup():
    for p in PROCS:
        if p.poll() is None:
            p.kill()


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15)


def vm_hwm_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def schemagate(args, workdir, name, upstream, config=None):
    listen, admin = free_port(), free_port()
    argv = [args.binary, "serve", "--bootstrap-servers", upstream,
            "--listen", "127.0.0.1:%d" % listen, "--broker-port-base", "0",
            "--admin-listen", "127.0.0.1:%d" % admin]
    if config is None:
        # Pass-through: no registry either (it would tail `_schemas` and cost CPU).
        argv.append("--no-embedded-registry")
    else:
        path = os.path.join(workdir, name + ".yaml")
        with open(path, "w") as f:
            f.write(config)
        argv += ["--config", path]
    env = dict(os.environ, RUST_LOG=os.environ.get("RUST_LOG", "warn"))
    proc = start(name, argv, workdir, env)
    wait_port(listen, proc, name)
    proc.bootstrap = "127.0.0.1:%d" % listen
    return proc


def payload_config(registry_port, registry_url=None):
    registry = ("registry:\n  url: %s\n" % registry_url) if registry_url else (
        "embedded_registry:\n  listen: 127.0.0.1:%d\n" % registry_port)
    return registry + (
        "policy:\n  rules:\n    - match: {topic: %s}\n      value: {level: payload}\n" % TOPIC)


def register_schema(registry_port):
    body = json.dumps({"schema": records.SCHEMA_TEXT}).encode()
    req = urllib.request.Request(
        "http://127.0.0.1:%d/subjects/%s-value/versions" % (registry_port, TOPIC), data=body,
        headers={"Content-Type": "application/vnd.schemaregistry.v1+json"}, method="POST")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())["id"]


def probe_enforcement(bootstrap, schema_id, body):
    """True when the proxy refuses a corrupt Avro value and accepts a valid one."""
    from confluent_kafka import Producer
    outcome = {}
    p = Producer(dict(producer.producer_config(bootstrap), **{"message.timeout.ms": 15000}))
    # One at a time: a refused record fails its whole batch (partition scope).
    p.produce(TOPIC, records.frame(schema_id, body), on_delivery=lambda e, m: outcome.update(good=e))
    p.flush(30)
    p.produce(TOPIC, records.frame(schema_id, b"\xff\xff\xff"), on_delivery=lambda e, m: outcome.update(bad=e))
    p.flush(30)
    log("enforcement probe: valid record -> %s, corrupt record -> %s"
        % (outcome.get("good", "no report"), outcome.get("bad", "no report")))
    return outcome.get("good", 1) is None and outcome.get("bad") is not None


def create_topic(bootstrap, partitions):
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(TOPIC, partitions, 1)])
    for f in futures.values():
        f.result(30)


def phase(bootstrap, payloads, total, producers, rate, procs):
    """Run one phase; `procs` maps role -> pid whose CPU is measured."""
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(producers + 1), ctx.Queue()
    share = [total // producers + (1 if i < total % producers else 0) for i in range(producers)]
    workers = [ctx.Process(target=producer.run, args=(
        {"bootstrap": bootstrap, "topic": TOPIC, "payloads": payloads, "count": share[i],
         "rate": rate / producers if rate else 0, "index": i}, barrier, results))
        for i in range(producers)]
    for w in workers:
        w.start()
    try:
        barrier.wait(180)
        cpu0 = {role: cpu_seconds(pid) for role, pid in procs.items()}
        got = [results.get(timeout=600) for _ in workers]
        cpu1 = {role: cpu_seconds(pid) for role, pid in procs.items()}
    except Exception:
        got = []
        while not results.empty():
            got.append(results.get())
        for w in workers:
            w.terminate()
        failed = [g["error"] for g in got if "error" in g]
        raise RuntimeError("producer failed: %s" % (failed[0] if failed else "barrier broken"))
    for w in workers:
        w.join(30)
    failed = [g["error"] for g in got if "error" in g]
    if failed:
        raise RuntimeError("producer failed: %s" % failed[0])
    lat = array.array("d")
    for g in got:
        lat.frombytes(g["latencies"])
    lat = sorted(lat)
    elapsed = max(g["end"] for g in got) - min(g["start"] for g in got)
    ok, nbytes = sum(g["ok"] for g in got), sum(g["bytes"] for g in got)
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else None  # noqa: E731
    return {
        "records": ok, "bytes": nbytes, "errors": sum(g["errors"] for g in got),
        "first_error": next((g["first_error"] for g in got if g["first_error"]), None),
        "seconds": elapsed, "rps": ok / elapsed, "mbps": nbytes / elapsed / 1e6,
        "p50_ms": pick(0.50), "p99_ms": pick(0.99),
        "cpu": dict({role: cpu1[role] - cpu0[role] for role in procs},
                    client=sum(g["cpu"] for g in got)),
    }


class Run:
    """Brokers and proxies of one load run, started on demand and stopped at the end."""

    def __init__(self, args, workdir):
        self.args, self.workdir = args, workdir
        self.tansu = self.sink = self.registry = None
        self.schema_id, self.enforcing, self.note = 1, False, {}

    def start_tansu(self):
        if self.tansu is None:
            port = free_port()
            url = "tcp://127.0.0.1:%d" % port
            self.tansu = start("tansu", [self.args.tansu, "broker", "--storage-engine",
                                         "memory://tansu/", "--listener-url", url,
                                         "--advertised-listener-url", url], self.workdir)
            wait_port(port, self.tansu, "tansu")
            self.tansu.bootstrap = "127.0.0.1:%d" % port
            create_topic(self.tansu.bootstrap, self.args.partitions)
            log("tansu on %s, topic %r with %d partitions" % (self.tansu.bootstrap, TOPIC, self.args.partitions))
        return self.tansu

    def start_sink(self):
        if self.sink is None:
            self.sink = start("sink", [self.args.sink, "127.0.0.1:0", str(self.args.partitions)], self.workdir)
            line = self.sink.stdout.readline().strip()
            if not line.startswith("listening on "):
                raise RuntimeError("produce_sink did not start (log: %s)" % self.sink.log)
            self.sink.bootstrap = line.split()[-1]
            log("produce_sink on %s" % self.sink.bootstrap)
        return self.sink

    def start_registry(self, bodies):
        """A schemagate with the embedded registry and payload rules: registers the schema and
        checks that the binary really validates. Stays up as the registry of `sink-payload`."""
        port = free_port()
        try:
            proc = schemagate(self.args, self.workdir, "registry", self.start_tansu().bootstrap,
                              payload_config(port))
            wait_port(port, proc, "embedded registry", timeout=30)
            self.schema_id = register_schema(port)
            log("schema registered as id %d" % self.schema_id)
            self.enforcing = probe_enforcement(proc.bootstrap, self.schema_id, bodies[0])
            if not self.enforcing:
                self.note["payload"] = "enforcement probe failed: a valid record was refused or a corrupt one accepted"
            self.registry, self.registry_port = proc, port
        except Exception as e:  # the other targets still run
            self.note["payload"] = "embedded registry / enforcement unavailable: %s" % e
            log(self.note["payload"])

    def target(self, name):
        """(bootstrap, proxy process or None, upstream broker process)."""
        a = self.args
        if name == "direct":
            return self.start_tansu().bootstrap, None, self.tansu
        if name == "sink-direct":
            return self.start_sink().bootstrap, None, self.sink
        upstream = self.start_sink() if name.startswith("sink-") else self.start_tansu()
        config = None
        if name == "payload":
            config = payload_config(free_port())
        elif name == "sink-payload":
            config = payload_config(None, "http://127.0.0.1:%d" % self.registry_port)
        proc = schemagate(a, self.workdir, "schemagate-" + name, upstream.bootstrap, config)
        return proc.bootstrap, proc, upstream

    def stop_all(self):
        for p in (self.registry, self.tansu, self.sink):
            if p is not None:
                stop(p)


def median(runs, key):
    return sorted(runs, key=lambda r: r[key])[len(runs) // 2]


def measure_all(run, targets, payloads):
    """All targets' processes stay up; phases are interleaved round by round (every target once
    per round) so that interference from other work on the machine falls on all of them alike.
    Per target: `repeat` saturation runs, then `repeat` paced runs at half its baseline's (direct
    or sink-direct) median saturation rate; the median run of each kind is reported."""
    a = run.args
    up = {}
    for t in targets:
        try:
            bootstrap, proxy, broker = run.target(t)
        except Exception as e:
            run.note[t] = str(e)
            log("%s failed to start: %s" % (t, e))
            continue
        procs = {"broker": broker.pid}
        if proxy is not None:
            procs["proxy"] = proxy.pid
        up[t] = {"bootstrap": bootstrap, "proxy": proxy, "procs": procs, "sat": [], "paced": []}

    def rounds(kind, rate_of, count_of):
        for i in range(a.repeat):
            for t, u in list(up.items()):
                rate = rate_of(t)
                log("%s: %s %d/%d%s" % (t, kind, i + 1, a.repeat, " at %.0f records/s" % rate if rate else ""))
                try:
                    r = phase(u["bootstrap"], payloads, count_of(rate), a.producers, rate, u["procs"])
                except Exception as e:
                    run.note[t] = str(e)
                    log("%s failed: %s" % (t, e))
                    del up[t]
                    continue
                log("%s: %.0f records/s, %.1f MB/s, p50 %.2f ms, p99 %.2f ms, errors %d"
                    % (t, r["rps"], r["mbps"], r["p50_ms"], r["p99_ms"], r["errors"]))
                u[kind].append(r)

    rounds("sat", lambda t: 0, lambda rate: a.records)
    half = {}
    for t, u in up.items():
        half[t] = median(u["sat"], "rps")["rps"] / 2
    def paced_rate(t):
        if a.paced_rate:
            return a.paced_rate
        base = "sink-direct" if t.startswith("sink") else "direct"
        return half.get(base, half[t])
    rounds("paced", paced_rate, lambda rate: max(1000, int(rate * a.latency_seconds)))

    results = []
    for t, u in up.items():
        sat = dict(median(u["sat"], "rps"), all_rps=[r["rps"] for r in u["sat"]])
        paced = dict(median(u["paced"], "p99_ms"), all_p99=[r["p99_ms"] for r in u["paced"]])
        proxy = u["proxy"]
        results.append({"target": t, "saturation": sat, "paced": paced, "paced_rate": paced_rate(t),
                        "proxy_peak_rss_mb": vm_hwm_mb(proxy.pid) if proxy is not None else None,
                        "runs": {"saturation": u["sat"], "paced": u["paced"]}})
        if proxy is not None:
            stop(proxy)
    return results


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def table(results, notes):
    by = {r["target"]: r for r in results}
    base = {"direct": by.get("direct"), "sink": by.get("sink-direct")}
    head = ("target", "records/s", "MB/s", "vs base", "range rec/s", "p50 ms", "p99 ms", "paced/s", "p50 ms",
            "p99 ms", "range p99", "+p99 ms", "proxy CPU s", "CPU s/GB", "mc/(MB/s)", "RSS MB", "broker CPU s", "client CPU s")
    rows = []
    for r in results:
        s, p = r["saturation"], r["paced"]
        ref = base["sink" if r["target"].startswith("sink") else "direct"]
        ratio = s["rps"] / ref["saturation"]["rps"] * 100 if ref else None
        added = p["p99_ms"] - ref["paced"]["p99_ms"] if ref and ref is not r else None
        cpu = s["cpu"].get("proxy")
        per_gb = cpu / (s["bytes"] / 1e9) if cpu is not None else None
        rows.append((r["target"], fmt(s["rps"], ",.0f"), fmt(s["mbps"], ".1f"),
                     fmt(ratio, ".1f") + ("%" if ratio else ""),
                     "%s-%s" % (fmt(min(s["all_rps"]) / 1e3, ".0f"), fmt(max(s["all_rps"]) / 1e3, ".0f") + "k"),
                     fmt(s["p50_ms"], ".1f"),
                     fmt(s["p99_ms"], ".1f"), fmt(r["paced_rate"], ",.0f"), fmt(p["p50_ms"], ".2f"),
                     fmt(p["p99_ms"], ".2f"), "%s-%s" % (fmt(min(p["all_p99"]), ".1f"), fmt(max(p["all_p99"]), ".1f")),
                     fmt(added, "+.2f"), fmt(cpu, ".2f"), fmt(per_gb, ".1f"),
                     fmt(per_gb, ".1f"), fmt(r["proxy_peak_rss_mb"], ".1f"),
                     fmt(s["cpu"]["broker"], ".2f"), fmt(s["cpu"]["client"], ".2f")))
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    lines = ["  ".join(str(x).rjust(w) for x, w in zip(row, widths)) for row in [head] + rows]
    for t, why in notes.items():
        lines.append("%s: not measured (%s)" % (t, why))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--sink", required=True)
    ap.add_argument("--tansu", required=True)
    ap.add_argument("--targets", default=",".join(ALL_TARGETS))
    ap.add_argument("--records", type=int, default=1_000_000, help="records per saturation phase")
    ap.add_argument("--producers", type=int, default=2, help="producer processes")
    ap.add_argument("--partitions", type=int, default=6)
    ap.add_argument("--latency-seconds", type=float, default=6, help="length of each paced phase")
    ap.add_argument("--repeat", type=int, default=3, help="saturation runs per target (median reported)")
    ap.add_argument("--paced-rate", type=float, default=0,
                    help="records/s of the paced phases (default: half the baseline's saturation rate)")
    ap.add_argument("--distinct", type=int, default=2000, help="distinct payloads, cycled")
    ap.add_argument("--json", help="also write the raw results here")
    a = ap.parse_args()
    targets = [t for t in a.targets.split(",") if t]
    unknown = set(targets) - set(ALL_TARGETS)
    if unknown:
        ap.error("unknown targets %s (choose from %s)" % (sorted(unknown), ALL_TARGETS))

    workdir = tempfile.mkdtemp(prefix="schemagate-load-")
    log("logs in %s" % workdir)
    bodies = records.avro_bodies(a.distinct)
    run = Run(a, workdir)
    results = []
    try:
        if {"payload", "sink-payload"} & set(targets):
            run.start_registry(bodies)
            if not run.enforcing:
                for t in ("payload", "sink-payload"):
                    if t in targets:
                        targets.remove(t)
                        run.note.setdefault(t, run.note["payload"])
        payloads = [records.frame(run.schema_id, b) for b in bodies]
        log("record set: %d distinct values, mean %.0f bytes, schema id %d" % (
            len(payloads), sum(map(len, payloads)) / len(payloads), run.schema_id))
        results = measure_all(run, targets, payloads)
    finally:
        run.stop_all()
    info = {"nproc": os.cpu_count(), "producers": a.producers, "records": a.records,
            "partitions": a.partitions, "mean_value_bytes": sum(map(len, payloads)) / len(payloads)}
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"info": info, "results": results, "notes": run.note}, f, indent=1)
    print("%d records per saturation run; targets interleaved, %d rounds, median run shown, %d producer processes, %d partitions, "
          "%d cores shared by client, proxy and broker; mean value %.0f B; paced phase %.0f s at %s "
          "(median p99 of the rounds); '+p99 ms' = paced p99 minus the baseline's; "
          "CPU s/GB and mc/(MB/s) are the proxy's (numerically equal: 1 CPU-s per GB = 1 millicore per MB/s)"
          % (a.records, a.repeat, a.producers, a.partitions, info["nproc"], info["mean_value_bytes"],
             a.latency_seconds, "%.0f records/s" % a.paced_rate if a.paced_rate else
             "half the baseline's (direct / sink-direct) median saturation rate"))
    print(table(results, run.note))


if __name__ == "__main__":
    main()
