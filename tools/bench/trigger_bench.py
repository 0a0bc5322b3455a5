#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# trigger_bench.py: the stream trigger benchmarks (docs/triggers.md):
#   latency     PutItem acknowledged -> native handler start, p50/p99, at
#               1,000 and 20,000 puts/s (tools/bench/trigger_latency.c paces the
#               puts; tests/functions/trigger_bench.c stamps handler starts)
#   throughput  dispatch of a preloaded backlog into a no-op handler, BatchSize 1,000
#   writes      wrk PutItem with 0 and with 3 mappings attached, alternating
# Each is a custom runner for benchlib (tools/bench/run trigger-latency ...)
# and also runs on its own: tools/bench/trigger_bench.py latency [--quick].
import json
import mmap
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import ddb, procs, wrk  # noqa: E402
from benchlib.report import Check, Result, fmt, median  # noqa: E402

BUILD = os.path.dirname(os.path.dirname(os.path.dirname(procs.EDDY_BIN)))
GEN = os.path.join(BUILD, "tools", "trigger_latency")
FN_DIR = os.path.join(BUILD, "tests", "functions")
ESM = "/2015-03-31/event-source-mappings/"
TABLE = "trig"


def http(url, method="GET", body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def setup(srv, fns, enabled=True, position="LATEST", batch=100):
    """Table with a stream, functions (name -> (so, handler, env)), one mapping each."""
    conn = ddb.connect(srv.url)
    ddb.call(conn, "CreateTable", json.dumps({
        "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}}))
    arn = ddb.call(conn, "DescribeTable", json.dumps({"TableName": TABLE}))["Table"]["LatestStreamArn"]
    conn.close()
    uuids = []
    for name, (so, handler, env) in fns.items():
        http(srv.url + "/2015-03-31/functions", "POST", {
            "FunctionName": name, "Runtime": "c", "Handler": handler, "Timeout": 30,
            "Code": {"Path": os.path.join(FN_DIR, so)}, "Environment": {"Variables": env}})
        m = http(srv.url + ESM, "POST", {"FunctionName": name, "EventSourceArn": arn,
                                         "StartingPosition": position, "BatchSize": batch,
                                         "Enabled": enabled})
        uuids.append(m["UUID"])
    return uuids


def mapping(srv, uuid):
    return http(f"{srv.url}/_eddy/mappings/{uuid}")


# ---- latency -----------------------------------------------------------------

def latency_run(ctx, durability, in_process, rates):
    """One server; returns {rate: parsed TRIGGER_LATENCY line}."""
    total = sum(n for _, n in rates) + 2000
    fd, stamps = tempfile.mkstemp(prefix="eddy-trigger-stamps-")
    os.ftruncate(fd, total * 8)
    os.close(fd)
    env = {"EDDY_BENCH_STAMPS": stamps, **({"EDDY_IN_PROCESS": "1"} if in_process else {})}
    os.environ["EDDY_BENCH_STAMPS"] = stamps  # In-process mode reads the server's own.
    srv = ctx.procs.start_eddy(["--durability", durability])
    out = {}
    try:
        setup(srv, {"stamp": ("fn_trigger_bench.so", "stamp", env)})
        first = 0
        for rate, n in [(1000, 2000)] + rates:  # The first run warms up (hosts, pages).
            line = subprocess.run([GEN, "--port", str(srv.port), "--stamps", stamps, "--rate",
                                   str(rate), "--count", str(n), "--first", str(first),
                                   "--conns", "8", "--table", TABLE],
                                  capture_output=True, text=True, timeout=n / rate + 120).stdout
            first += n
            kv = dict(t.split("=") for t in line.split()[1:]) if line.startswith("TRIGGER") else {}
            out.setdefault(rate, []).append({k: float(v) for k, v in kv.items()})
    finally:
        ctx.procs.stop(srv)
        os.unlink(stamps)
    return {rate: runs[-1] for rate, runs in out.items()}


def run_latency(ctx):
    secs = 2 if ctx.quick else 10
    rates = [(1000, 1000 * secs), (20000, 20000 * secs)]
    res = Result("trigger-latency", "PutItem ack -> native handler start (open loop, 8 conns)",
                 ["durability", "mode", "puts/s", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs",
                  "max µs", "started before ack", "ack p50 / p99 µs", "errors / missing"])
    arms = [("full", False), ("full", True), ("none", False), ("none", True)]
    got = {}
    for dur, inproc in arms:
        r = latency_run(ctx, dur, inproc, rates)
        for rate, _ in rates:
            m = r.get(rate) or {}
            got[(dur, inproc, rate)] = m
            res.rows.append([dur, "in-process" if inproc else "host process", f"{rate:,}",
                             fmt(m.get("p50_us")), fmt(m.get("p90_us")), fmt(m.get("p99_us")),
                             fmt(m.get("p999_us")), fmt(m.get("max_us")),
                             f"{fmt(m.get('negative'))} of {fmt(m.get('measured'))}",
                             f"{fmt(m.get('ack_p50_us'))} / {fmt(m.get('ack_p99_us'))}",
                             f"{fmt(m.get('errors'))} / {fmt(m.get('missing'))}"])
    p99 = lambda k: (got.get(k) or {}).get("p99_us")
    res.checks = [
        Check("p99 at 1,000/s, durable, host process (µs)", p99(("full", False, 1000)), "<=", 1000),
        Check("p99 at 20,000/s, durable, host process (µs)", p99(("full", False, 20000)), "<=", 5000),
        Check("p99 at 1,000/s, durable, in-process (µs)", p99(("full", True, 1000)), "<=", 1000),
        Check("p99 at 20,000/s, durable, in-process (µs)", p99(("full", True, 20000)), "<=", 5000)]
    res.notes.append(f"{secs} s per rate after a 2,000-put warm-up; PutItem of a new key each; "
                     "BatchSize 100, window 0, LATEST. Latency = CLOCK_MONOTONIC at handler start "
                     "minus CLOCK_MONOTONIC when the client read the 200; a handler that started "
                     "before the client read its ack counts as 0 (column 'started before ack').")
    return res


# ---- throughput ----------------------------------------------------------------

def run_throughput(ctx):
    n = ctx.size(1_000_000, 100_000)
    res = Result("trigger-throughput", f"dispatch a {n:,}-record backlog into a no-op native "
                 "handler, BatchSize 1,000", ["mode", "records", "seconds", "records/s",
                                              "batches", "max batch"])
    rates = {}
    for inproc in (False, True):
        srv = ctx.procs.start_eddy(["--durability", "none"])
        try:
            env = {"EDDY_IN_PROCESS": "1"} if inproc else {}
            uuid = setup(srv, {"noop": ("fn_noop.so", "noop", env)}, enabled=False,
                         position="TRIM_HORIZON", batch=1000)[0]
            wrk.seed(srv.url, TABLE, n)
            t0 = time.monotonic()
            http(srv.url + ESM + uuid, "PUT", {"Enabled": True})
            while mapping(srv, uuid)["Checkpoint"] < n and time.monotonic() - t0 < 300:
                time.sleep(0.01)
            secs = time.monotonic() - t0
            st = mapping(srv, uuid)
        finally:
            ctx.procs.stop(srv)
        label = "in-process" if inproc else "host process"
        rates[label] = st["Records"] / secs if st["Checkpoint"] >= n else None
        res.rows.append([label, fmt(st["Records"]), fmt(secs, 2), fmt(rates[label]),
                         fmt(st["Batches"]), fmt(st["MaxBatchSize"])])
    res.checks = [Check(f"records/s, {m}", rates[m], ">=", 200_000) for m in rates]
    res.notes.append("Preloaded with wrk/seed.lua (BatchWriteItem, --durability none) while the "
                     "mapping is disabled (TRIM_HORIZON), then enabled; timed from the "
                     "UpdateEventSourceMapping call until GET /_eddy/mappings/<uuid> reports the "
                     "checkpoint at the last record (polled every 10 ms).")
    return res


# ---- write throughput with mappings attached ----------------------------------

def run_writes(ctx):
    res = Result("trigger-writes", "durable PutItem (wrk ddb.lua put, 64 conns) with 0 and 3 "
                 "mappings (no-op native handlers)", ["table", "req/s (median)", "p99 µs",
                                                      "req/s per round"])
    servers = {}
    try:
        for k in (0, 3):
            servers[k] = ctx.procs.start_eddy()
            setup(servers[k], {f"noop{i}": ("fn_noop.so", "noop", {}) for i in range(k)})
        args = ("put", TABLE, 1_000_000, ctx.size(50_000, 10_000), 1)
        runs = {0: [], 3: []}
        for phase in ["warmup"] + list(range(ctx.rounds)):
            for k in (0, 3):
                r = wrk.run(servers[k].url, "ddb.lua", args, conns=64,
                            duration_s=1 if phase == "warmup" else ctx.duration_s)
                if phase != "warmup":
                    runs[k].append(r)
        lag = [mapping(servers[3], u)["IteratorAgeMs"] for u in
               [m["UUID"] for m in http(servers[3].url + "/_eddy/mappings")["Mappings"]]]
    finally:
        for s in servers.values():
            ctx.procs.stop(s)
    med = {k: median([r["rps"] for r in runs[k]]) for k in runs}
    for k in (0, 3):
        res.rows.append([f"{k} mappings", fmt(med[k]), fmt(median([r["p99_us"] for r in runs[k]])),
                         " / ".join(fmt(r["rps"]) for r in runs[k])])
    res.checks = [Check("req/s with 3 mappings ÷ req/s with none", med[3] / med[0]
                        if med[0] else None, ">=", 0.80)]
    res.notes.append(f"Medians of {ctx.rounds} alternating rounds of {ctx.duration_s} s after a "
                     f"1 s warm-up each; --durability full. Last IteratorAgeMs of the three "
                     f"mappings at the end: {', '.join(str(a) for a in lag)}.")
    return res


RUNNERS = {"latency": run_latency, "throughput": run_throughput, "writes": run_writes}


class _Ctx:
    def __init__(self, quick):
        self.quick, self.rounds, self.duration_s = quick, 1 if quick else 3, 2 if quick else 10
        self.procs = procs.Procs()

    def size(self, full, quick):
        return quick if self.quick else full


if __name__ == "__main__":
    from benchlib.report import render
    names = [a for a in sys.argv[1:] if not a.startswith("--")] or list(RUNNERS)
    c = _Ctx("--quick" in sys.argv)
    try:
        for name in names:
            print(render(RUNNERS[name](c)), flush=True)
    finally:
        c.procs.stop_all()
