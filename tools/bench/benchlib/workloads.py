# SPDX-License-Identifier: MIT
# workloads.py: the table of workloads. A wrk workload names its servers,
# how to seed each one, and its arms (one row each: a server plus the wrk
# script and arguments it is measured with); the generic runner starts the
# servers, seeds them, warms up, then alternates the arms round by round with
# identical wrk settings and reports medians and the checks. Workloads that
# wrk cannot express (redis-benchmark, startup and RSS) supply their own run.
# Adding a workload is one entry in WORKLOADS.
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from typing import Callable

from . import conns, ddb, procs, wrk
from .report import Check, Result, fmt, median


@dataclass
class Arm:
    label: str                 # Row name; checks refer to arms by it.
    server: str                # eddy | nginx | dynalite
    script: str                # wrk/<script>
    args: tuple = ()           # Script arguments (after `--`).
    conns: int = 64            # wrk -c; -t is always 1.
    per_request: int = 1       # Items written per request (BatchWriteItem: 25).


@dataclass
class Workload:
    name: str
    help: str
    servers: tuple                           # Server kinds it needs.
    arms: Callable = None                    # ctx -> [Arm]
    seed: dict = field(default_factory=dict)  # server kind -> fn(ctx, srv)
    checks: Callable = None                  # (ctx, medians by label) -> [Check]
    run: Callable = None                     # Custom runner: ctx -> Result
    verify: Callable = None                  # (status, body) -> why unusable, or None


class Ctx:
    """Options and shared state for one invocation of the runner."""

    def __init__(self, opts, procs_):
        self.duration_s = opts.duration
        self.rounds = opts.rounds
        self.quick = opts.quick
        self.procs = procs_
        self.results = {}  # Workload name -> Result, for cross-workload notes.
        self.seed_rates = {}

    def size(self, full, quick):
        return quick if self.quick else full


# ---- servers -----------------------------------------------------------------

def server_missing(kind):
    """Why `kind` cannot run here, or None if it can."""
    needs = {
        "eddy": lambda: None if os.access(procs.EDDY_BIN, os.X_OK) else
        "pending: no eddy binary (build/release/engine/main/eddy)",
        "eddy-nosync": lambda: server_missing("eddy"),
        "eddy-1loop": lambda: server_missing("eddy"),
        "nginx": lambda: None if shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")
        else "missing: nginx",
        "dynalite": dynalite_missing,
        "redis": lambda: None if shutil.which("redis-server") and shutil.which("redis-benchmark")
        else "missing: redis-server",
    }
    return needs[kind]()


def dynalite_missing():
    """Install dynalite into tools/bench/node_modules on first use."""
    if not shutil.which("node"):
        return "missing: node"
    if os.path.exists(procs.DYNALITE_CLI):
        return None
    print("bench: installing dynalite (npm ci --prefix tools/bench)", flush=True)
    r = subprocess.run(["npm", "ci", "--prefix", procs.HERE, "--no-audit", "--no-fund"],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0 or not os.path.exists(procs.DYNALITE_CLI):
        return "missing: npm install of dynalite failed: " + r.stderr.strip()[-200:]
    return None


def start_eddy_nosync(ctx):
    srv = ctx.procs.start_eddy(args=("--threads", "1", "--durability", "none"))
    srv.kind = "eddy-nosync"  # Its seed rate is reported apart from eddy's.
    return srv


def start_server(ctx, kind):
    starters = {"eddy": ctx.procs.start_eddy, "nginx": ctx.procs.start_nginx,
                # Context for write workloads: the same eddy without the
                # commit's fsync, to show how much of a write is the sync.
                "eddy-nosync": lambda: start_eddy_nosync(ctx),
                # nginx runs one worker: the like-for-like eddy runs one I/O loop.
                "eddy-1loop": lambda: ctx.procs.start_eddy(("--threads", "1")),
                "dynalite": ctx.procs.start_dynalite, "redis": ctx.procs.start_redis}
    return starters[kind]()


# ---- seeding -----------------------------------------------------------------

def seed_table(table, count_full, count_quick):
    def seed(ctx, srv):
        ddb.create_table(srv.url, table)
        n = ctx.size(count_full, count_quick)
        if n:
            rate = wrk.seed(srv.url, table, n)
            ctx.seed_rates[(srv.kind, table)] = (n, rate)
    return seed


def seed_partitions(table, partitions_full, partitions_quick, per=50):
    """A table with pk:S and sk:N holding exactly `per` items per partition."""
    def seed(ctx, srv):
        ddb.create_table(srv.url, table, sort_key="sk")
        n = ctx.size(partitions_full, partitions_quick) * per
        rate = wrk.seed(srv.url, table, n, per=per)
        ctx.seed_rates[(srv.kind, table)] = (n, rate)
    return seed


def seed_both(ctx, srv):
    seed_table("small", 1000, 1000)(ctx, srv)
    seed_table("big", 1_000_000, 100_000)(ctx, srv)


# ---- the generic wrk runner --------------------------------------------------

def run_wrk_workload(ctx, wl):
    res = Result(wl.name, wl.help, [])
    servers, missing = {}, {}
    try:
        for kind in wl.servers:
            why = server_missing(kind)
            if why:
                missing[kind] = why
                continue
            try:
                servers[kind] = start_server(ctx, kind)
                if kind in wl.seed:
                    wl.seed[kind](ctx, servers[kind])
            except (procs.StartError, ddb.DdbError, wrk.WrkError, OSError) as e:
                missing[kind] = f"failed: {str(e)[:200]}"
        arms = wl.arms(ctx)
        verify(wl, arms, servers, missing)
        runs = measure(ctx, [a for a in arms if a.server in servers], servers, missing)
    finally:
        for srv in servers.values():
            ctx.procs.stop(srv)
    return summarize(ctx, wl, arms, runs, missing, res)


def verify(wl, arms, servers, missing):
    """Send each DynamoDB server the first request of its arm once before
    measuring and let the workload judge the answer: a target that refuses
    the request, or answers it emptily, would make a meaningless number. The
    nginx ceiling answers every request with an empty 200 and is not judged."""
    if not wl.verify:
        return
    for a in arms:
        if a.server not in servers or a.server in missing or a.server == "nginx":
            continue
        try:
            status, body = wrk.check(servers[a.server].url, a.script, a.args)
        except wrk.WrkError as e:
            missing[a.server] = f"failed: {str(e)[:200]}"
            continue
        why = wl.verify(status, body)
        if why:
            missing[a.server] = f"pending: {why}"


def verify_ok(status, body):
    """The answer is a 200 that is not an error."""
    if status != 200 or '"__type"' in body:
        return f"refused the request: HTTP {status} {body[:160]}"
    return None


def verify_items(count):
    """The answer is a 200 holding exactly `count` items."""
    def check(status, body):
        why = verify_ok(status, body)
        if why:
            return why
        try:
            got = json.loads(body)
        except ValueError:
            return f"answer is not JSON: {body[:160]}"
        if got.get("Count") != count or len(got.get("Items") or []) != count:
            return f"answered {got.get('Count')} items, not {count}"
        return None
    return check


def measure(ctx, arms, servers, missing):
    """Warm up each arm, then alternate arms round by round. -> label: [runs]"""
    runs = {a.label: [] for a in arms}
    warm_s = 1 if ctx.quick else 2
    for phase in ["warmup"] + list(range(ctx.rounds)):
        for a in arms:
            if a.server in missing:
                continue
            dur = warm_s if phase == "warmup" else ctx.duration_s
            try:
                r = wrk.run(servers[a.server].url, a.script, a.args, conns=a.conns, duration_s=dur)
            except wrk.WrkError as e:
                missing[a.server] = f"failed: {str(e)[:200]}"
                continue
            if phase != "warmup":
                runs[a.label].append(r)
    return runs


def summarize(ctx, wl, arms, runs, missing, res):
    per_item = any(a.per_request > 1 for a in arms)
    res.columns = ["target", "items/s" if per_item else "req/s", "p50 µs", "p99 µs",
                   "req/s per round", "non-2xx / socket errors"]
    med = {}
    for a in arms:
        rs = runs.get(a.label) or []
        if a.server in missing and not rs:
            res.rows.append([a.label, missing[a.server], "", "", "", ""])
            med[a.label] = {"rps": None, "why": f"{a.label} {missing[a.server]}"}
            continue
        bad = sum(r["status_errors"] for r in rs)
        m = {"rps": median([r["rps"] for r in rs]), "p50_us": median([r["p50_us"] for r in rs]),
             "p99_us": median([r["p99_us"] for r in rs]),
             "error_share": bad / max(1, sum(r["requests"] for r in rs))}
        m["items"] = m["rps"] * a.per_request if m["rps"] is not None else None
        m["rounds"] = [{**r, "items": r["rps"] * a.per_request} for r in rs]
        med[a.label] = m
        res.rows.append([a.label, fmt(m["items"] if per_item else m["rps"]), fmt(m["p50_us"]),
                         fmt(m["p99_us"]), " / ".join(fmt(r["rps"]) for r in rs),
                         f"{fmt(bad)} / {fmt(sum(r['socket_errors'] for r in rs))}"])
    res.checks = wl.checks(ctx, med) if wl.checks else []
    settings = f"wrk -t1 -c{arms[0].conns} -d{ctx.duration_s}s --latency" if arms else ""
    res.notes.append(f"Medians of {ctx.rounds} alternating rounds, `{settings}`, "
                     f"after a {'1' if ctx.quick else '2'} s warm-up per target; "
                     "ratios are the median of the per-round ratios.")
    for (kind, table), (n, rate) in sorted(ctx.seed_rates.items()):
        if wl.name in ("getitem", "getitem-1m", "getitem-1conn", "query50", "update-cond",
                       "transact4"):
            res.notes.append(f"Seeded {kind} table `{table}` with {n:,} items at {rate:,.0f} items/s "
                             "(wrk/seed.lua: BatchWriteItem, 64 connections).")
    ctx.seed_rates.clear()
    return res


# ---- checks ------------------------------------------------------------------

def usable(med, label):
    """The median of an arm, or None if it is missing or answered errors."""
    m = med.get(label)
    if m is None or m["rps"] is None:
        return None, (m or {}).get("why", "not measured")
    if m["error_share"] > 0.01:
        return None, f"{label}: {m['error_share']:.0%} non-2xx"
    return m, ""


def ratio(label, med, num, den, metric, op, limit):
    """The median over rounds of num/den, each round's pair measured back to
    back, so load that drifts over the run cancels out of the ratio."""
    a, why_a = usable(med, num)
    b, why_b = usable(med, den)
    pairs = list(zip(a["rounds"], b["rounds"])) if a and b else []
    if not pairs or any(not y[metric] for _, y in pairs):
        return Check(label, None, op, limit, why_a or why_b or "zero denominator")
    return Check(label, median([x[metric] / y[metric] for x, y in pairs]), op, limit)


def absolute(label, med, arm, metric, op, limit):
    a, why = usable(med, arm)
    return Check(label, a[metric] if a else None, op, limit, why)


# ---- custom runners ----------------------------------------------------------

def run_redis(ctx):
    """redis-benchmark SET at 50 clients against appendfsync always."""
    res = Result("redis-set", WORKLOADS["redis-set"].help,
                 ["target", "SET/s", "p50 µs", "p99 µs", "SET/s per round"])
    why = server_missing("redis")
    if why:
        res.rows.append(["redis-server (appendfsync always)", why, "", "", ""])
        return res
    srv = ctx.procs.start_redis()
    runs = []
    try:
        n = ctx.size(60_000 * ctx.duration_s, 20_000)
        for _ in range(ctx.rounds):
            out = subprocess.run(["redis-benchmark", "-p", str(srv.port), "-t", "set", "-c", "50",
                                  "-n", str(n), "-r", "1000000", "-d", "64", "--csv"],
                                 capture_output=True, text=True, timeout=ctx.duration_s * 10 + 60)
            runs.append(parse_redis_csv(out.stdout))
    finally:
        ctx.procs.stop(srv)
    res.rows.append(["redis-server (appendfsync always)", fmt(median([r[0] for r in runs])),
                     fmt(median([r[1] for r in runs])), fmt(median([r[2] for r in runs])),
                     " / ".join(fmt(r[0]) for r in runs)])
    put = ctx.results.get("putitem")
    eddy_put = next((r for r in put.rows if r[0] == EDDY), None) if put else None
    if eddy_put and eddy_put[1][:1].isdigit():
        res.notes.append(f"eddy durable PutItem in this run: {eddy_put[1]} req/s (64 connections).")
    res.notes.append(f"`redis-benchmark -t set -c 50 -n {n} -r 1000000 -d 64`, "
                     f"median of {ctx.rounds}; redis-server --appendonly yes --appendfsync always.")
    return res


def parse_redis_csv(text):
    """(rps, p50_us, p99_us) from redis-benchmark --csv output."""
    lines = [ln for ln in text.splitlines() if ln.startswith('"SET"')]
    if not lines:
        return (None, None, None)
    cols = [c.strip('"') for c in lines[0].split(",")]
    # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    return (float(cols[1]), float(cols[4]) * 1e3, float(cols[6]) * 1e3)


def run_startup(ctx):
    """exec -> first 200, idle RSS and 10,000 idle keep-alive connections."""
    res = Result("startup", WORKLOADS["startup"].help,
                 ["target", "exec to first 200 (median ms)", "idle RSS (MB)",
                  "RSS with idle conns (MB)", "conns held"])
    n_conns = ctx.size(10_000, 1_000)
    conns.raise_nofile()
    med = {}
    for kind in ("eddy", "nginx"):
        why = server_missing(kind)
        if why:
            res.rows.append([kind, why, "", "", ""])
            continue
        try:
            med[kind] = startup_one(ctx, kind, n_conns)
        except procs.StartError as e:
            res.rows.append([kind, f"failed: {str(e)[:200]}", "", "", ""])
            continue
        m = med[kind]
        res.rows.append([kind, fmt(m["start_ms"], 2), fmt(m["idle_mb"], 2), fmt(m["conns_mb"], 1),
                         f"{m['held']:,} of {n_conns:,}"])
    e = med.get("eddy")
    res.checks = [
        Check("eddy exec to first 200 on /_eddy/health (ms)", e and e["start_ms"], "<=", 10,
              "not measured"),
        Check("eddy idle RSS (MB)", e and e["idle_mb"], "<=", 5, "not measured"),
        Check(f"eddy RSS holding {n_conns:,} idle keep-alive conns (MB)",
              e["conns_mb"] if e and e["held"] == n_conns else None, "<=", 100,
              f"held {e['held']:,}" if e else "not measured"),
    ]
    res.notes.append(f"Startup: median of {ctx.size(20, 5)} cold starts, each in a fresh data dir. "
                     "RSS: VmRSS from /proc (nginx: master + worker), 1 s after start or after "
                     "the last connection was answered. MB = 2^20 bytes.")
    return res


def startup_one(ctx, kind, n_conns):
    start = lambda: start_server(ctx, kind)
    times = [conns.first_200_ms(start, ctx.procs.stop) for _ in range(ctx.size(20, 5))]
    srv = start_server(ctx, kind)
    try:
        time.sleep(1.0)
        idle_kb = srv.rss_kb()
        held = conns.hold_idle(srv.port, n_conns)
        try:
            time.sleep(1.0)
            conns_kb = srv.rss_kb()
            alive = conns.still_open(held)
        finally:
            conns.close_all(held)
    finally:
        ctx.procs.stop(srv)
    return {"start_ms": median(times), "idle_mb": idle_kb / 1024, "conns_mb": conns_kb / 1024,
            "held": alive}


SMALL_LABEL = "eddy, 1,000-item table"


def big_label(ctx):
    return f"eddy, {ctx.size(1_000_000, 100_000):,}-item table"


def big_table_arms(ctx):
    return [*ddb_arms("get", [(SMALL_LABEL, "eddy")], "small", 1000, 10_000),
            *ddb_arms("get", [(big_label(ctx), "eddy")], "big", ctx.size(1_000_000, 100_000),
                      10_000)]


# ---- the table ---------------------------------------------------------------

def ddb_arms(op, labels, table, keyspace, nreq, conns_=64, per_request=1):
    """The same ddb.lua request list sent to each (label, server)."""
    return [Arm(label, server, "ddb.lua", (op, table, keyspace, nreq, 1), conns_, per_request)
            for label, server in labels]


# nginx runs one worker and dynalite one node process, so the checked eddy
# arm runs one I/O loop (its writer thread aside). eddy's default, one loop
# per core, is measured beside it as context: on this 2-core machine its two
# loops share the cores with wrk.
EDDY = "eddy, 1 I/O loop"
DEFAULT = ("eddy, default loops (1 per core)", "eddy")
THREE = [(EDDY, "eddy-1loop"), ("nginx (ceiling)", "nginx"), ("dynalite", "dynalite")]
SERVERS = ("eddy-1loop", "eddy", "nginx", "dynalite")


NOSYNC = ("eddy --durability none (1 I/O loop)", "eddy-nosync")


def seeds(fn, kinds=("eddy-1loop", "eddy", "dynalite")):
    """The same seeding for every DynamoDB server of a workload."""
    return {kind: fn for kind in kinds}


def dynalite_checks(ctx, med):
    """The completeness issue's target: >= 10x dynalite; the ceiling is context
    (nginx answers an empty 200, so for Query it is a ceiling on requests, not
    on the 5 KB answers), and so is eddy without fsync where it was measured."""
    checks = [ratio("eddy ÷ dynalite (req/s)", med, EDDY, "dynalite", "rps", ">=", 10),
              ratio("eddy ÷ ceiling (req/s)", med, EDDY, "nginx (ceiling)", "rps", "info", 0),
              ratio("eddy default loops ÷ dynalite (req/s)", med, DEFAULT[0], "dynalite", "rps",
                    "info", 0)]
    if NOSYNC[0] in med:
        checks += [ratio("eddy --durability none ÷ dynalite (req/s)", med, NOSYNC[0], "dynalite",
                         "rps", "info", 0),
                   ratio("eddy (full) ÷ eddy --durability none (req/s)", med, EDDY, NOSYNC[0],
                         "rps", "info", 0)]
    return checks


def write_arms(op):
    """A write workload's arms: eddy (default durability), the ceiling,
    dynalite, then eddy without fsync as context."""
    return lambda ctx: ddb_arms(op, [*THREE, DEFAULT, NOSYNC], "bench",
                                ctx.size(100_000, 10_000), 0)

WORKLOADS = {
    "health": Workload(
        "health", "GET /_eddy/health, eddy vs nginx `return 200`",
        ("eddy-1loop", "eddy", "nginx"),
        arms=lambda ctx: [Arm("eddy, 1 I/O loop", "eddy-1loop", "health.lua"),
                          Arm("eddy, default loops (1 per core)", "eddy", "health.lua"),
                          Arm("nginx", "nginx", "health.lua")],
        # nginx has one worker, so the target compares eddy with one I/O loop.
        # The default (one loop per core) shares this 2-core machine's cores
        # with wrk: it is shown for context.
        checks=lambda ctx, med: [
            ratio("eddy (1 loop) req/s ÷ nginx req/s", med, "eddy, 1 I/O loop", "nginx", "rps",
                  ">=", 0.90),
            ratio("eddy (1 loop) p99 ÷ nginx p99", med, "eddy, 1 I/O loop", "nginx", "p99_us",
                  "<=", 1.5),
            ratio("eddy (default loops) req/s ÷ nginx req/s", med,
                  "eddy, default loops (1 per core)", "nginx", "rps", "info", 0),
            ratio("eddy (default loops) p99 ÷ nginx p99", med, "eddy, default loops (1 per core)",
                  "nginx", "p99_us", "info", 0)]),
    "getitem": Workload(
        "getitem", "GetItem on random keys of a seeded table, eddy vs ceiling vs dynalite",
        SERVERS,
        arms=lambda ctx: ddb_arms("get", [*THREE, DEFAULT], "bench", ctx.size(100_000, 10_000),
                                  10_000),
        seed=seeds(seed_table("bench", 100_000, 10_000)),
        checks=lambda ctx, med: [
            ratio("eddy ÷ ceiling (req/s)", med, EDDY, "nginx (ceiling)", "rps", ">=", 0.70),
            ratio("eddy ÷ dynalite (req/s)", med, EDDY, "dynalite", "rps", ">=", 8),
            ratio("eddy default loops ÷ ceiling (req/s)", med, DEFAULT[0], "nginx (ceiling)",
                  "rps", "info", 0)]),
    "putitem": Workload(
        "putitem", "durable PutItem on keys drawn from 1,000,000, eddy vs ceiling vs dynalite",
        SERVERS,
        arms=lambda ctx: ddb_arms("put", [*THREE, DEFAULT], "bench", 1_000_000, 0),
        seed=seeds(seed_table("bench", 0, 0)),
        checks=lambda ctx, med: [
            ratio("eddy ÷ ceiling (req/s)", med, EDDY, "nginx (ceiling)", "rps", ">=", 0.45),
            ratio("eddy ÷ dynalite (req/s)", med, EDDY, "dynalite", "rps", ">=", 6),
            ratio("eddy default loops ÷ ceiling (req/s)", med, DEFAULT[0], "nginx (ceiling)",
                  "rps", "info", 0)]),
    "batchwrite": Workload(
        "batchwrite", "BatchWriteItem bulk load of new items, 25 per request, items/s",
        SERVERS,
        arms=lambda ctx: ddb_arms("load", [*THREE, DEFAULT], "bench", 0, 0, per_request=25),
        seed=seeds(seed_table("bench", 0, 0)),
        checks=lambda ctx, med: [
            absolute("eddy items/s (durable)", med, EDDY, "items", ">=", 200_000),
            ratio("eddy ÷ dynalite (items/s)", med, EDDY, "dynalite", "items", "info", 0),
            absolute("eddy default loops items/s (durable)", med, DEFAULT[0], "items", "info", 0)]),
    "getitem-1m": Workload(
        "getitem-1m", "GetItem p99 on a 1,000,000-item table vs a 1,000-item table (eddy)",
        ("eddy",), arms=big_table_arms, seed={"eddy": seed_both},
        checks=lambda ctx, med: [ratio("p99 big table ÷ p99 small table", med, big_label(ctx),
                                       SMALL_LABEL, "p99_us", "<=", 1.5)]),
    "getitem-1conn": Workload(
        "getitem-1conn", "GetItem latency on one connection (wrk -t1 -c1)", ("eddy", "nginx"),
        arms=lambda ctx: ddb_arms("get", [("eddy", "eddy"), ("nginx (ceiling)", "nginx")], "bench",
                                  ctx.size(100_000, 10_000), 10_000, conns_=1),
        seed={"eddy": seed_table("bench", 100_000, 10_000)},
        checks=lambda ctx, med: [
            absolute("eddy p50 (µs)", med, "eddy", "p50_us", "<=", 100),
            ratio("eddy p50 ÷ nginx p50", med, "eddy", "nginx (ceiling)", "p50_us", "info", 0)]),
    # DynamoDB completeness (h15): Query, conditional UpdateItem, transactions.
    "query50": Workload(
        "query50", "Query returning 50 items (pk = :p, Limit 50) on random partitions of 50",
        SERVERS,
        arms=lambda ctx: ddb_arms("query", [*THREE, DEFAULT], "q50", ctx.size(2_000, 200), 10_000),
        seed=seeds(seed_partitions("q50", 2_000, 200)),
        verify=verify_items(50), checks=dynalite_checks),
    "update-cond": Workload(
        "update-cond", "UpdateItem SET v = :v, n = n + :one if attribute_exists(pk), random keys",
        (*SERVERS, "eddy-nosync"),
        arms=write_arms("update"),
        seed=seeds(seed_table("bench", 100_000, 10_000), (*SERVERS[:2], "dynalite", "eddy-nosync")),
        verify=verify_ok, checks=dynalite_checks),
    "transact4": Workload(
        "transact4", "TransactWriteItems of 4 actions (Put, Put, conditional Update, "
        "ConditionCheck) on 4 distinct keys", (*SERVERS, "eddy-nosync"),
        arms=write_arms("transact"),
        seed=seeds(seed_table("bench", 100_000, 10_000), (*SERVERS[:2], "dynalite", "eddy-nosync")),
        verify=verify_ok, checks=dynalite_checks),
    "redis-set": Workload(
        "redis-set", "redis-server SET with appendfsync always: the durable key-value anchor",
        ("redis",), run=run_redis),
    "startup": Workload(
        "startup", "exec to first 200, idle RSS, 10,000 idle keep-alive connections",
        ("eddy", "nginx"), run=run_startup),
    # Stream triggers (h13): custom runners in tools/bench/trigger_bench.py.
    "trigger-latency": Workload(
        "trigger-latency", "PutItem ack -> native handler start at 1,000 and 20,000 puts/s",
        ("eddy",), run=lambda ctx: _trigger("run_latency", ctx)),
    "trigger-throughput": Workload(
        "trigger-throughput", "dispatch a preloaded backlog into a no-op handler, BatchSize 1,000",
        ("eddy",), run=lambda ctx: _trigger("run_throughput", ctx)),
    "trigger-writes": Workload(
        "trigger-writes", "durable PutItem with 3 mappings attached vs none",
        ("eddy",), run=lambda ctx: _trigger("run_writes", ctx)),
}


def _trigger(fn, ctx):
    import trigger_bench  # tools/bench/, on sys.path when run by tools/bench/run.
    return getattr(trigger_bench, fn)(ctx)


def run_workload(ctx, name):
    wl = WORKLOADS[name]
    res = wl.run(ctx) if wl.run else run_wrk_workload(ctx, wl)
    ctx.results[name] = res
    return res


def available(name):
    """True if at least one server the workload needs can run here (without
    installing anything yet: dynalite counts if npm could install it)."""
    cheap = {"dynalite": lambda: shutil.which("node") and (
        os.path.exists(procs.DYNALITE_CLI) or shutil.which("npm"))}
    return any((cheap[k]() if k in cheap else server_missing(k) is None)
               for k in WORKLOADS[name].servers)
