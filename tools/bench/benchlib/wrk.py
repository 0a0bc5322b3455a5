# SPDX-License-Identifier: MIT
# wrk.py: run one wrk measurement and parse the BENCH_RESULT line that
# wrk/result.lua prints. wrk always runs from tools/bench/wrk so the scripts
# can `require "result"`. Every run is bounded: duration plus a grace period.
import os
import time
import subprocess

from .procs import HERE

WRK_DIR = os.path.join(HERE, "wrk")


class WrkError(Exception):
    """wrk failed or printed no result line."""


def run(url, script, args=(), threads=1, conns=64, duration_s=10, timeout_s=None):
    """Run `wrk -t -c -d --latency -s script url -- args`; returns a result dict.

    Keys: rps, requests, duration_s, p50_us, p90_us, p99_us, p999_us, max_us,
    mean_us, status_errors, socket_errors (connect+read+write+timeouts)."""
    argv = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration_s}s", "--latency",
            "-s", script, url]
    if args:
        argv += ["--", *[str(a) for a in args]]
    try:
        out = subprocess.run(argv, cwd=WRK_DIR, capture_output=True, text=True,
                             timeout=timeout_s or duration_s + 60)
    except subprocess.TimeoutExpired as e:
        raise WrkError(f"wrk timed out: {' '.join(argv)}") from e
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if out.returncode != 0 or line is None:
        raise WrkError(f"wrk exited {out.returncode}: {out.stderr.strip()[-400:]}")
    return parse(line)


def parse(line):
    """BENCH_RESULT k=v ... -> dict with rps and socket_errors added."""
    kv = dict(tok.split("=", 1) for tok in line.split()[1:])
    r = {k: float(v) for k, v in kv.items()}
    r["duration_s"] = r.pop("duration_us") / 1e6
    r["rps"] = r["requests"] / r["duration_s"] if r["duration_s"] else 0.0
    r["socket_errors"] = sum(r.pop(k) for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    return r


def check(url, script, args=(), timeout_s=20):
    """Send the first request `script` would send in a measurement (one
    connection, BENCH_CHECK=1) and return (status, body) of its answer.

    Like seed(), stops wrk by PID at the line rather than waiting out -d."""
    proc = subprocess.Popen(["wrk", "-t1", "-c1", f"-d{timeout_s}s", "-s", script, url, "--",
                             *[str(a) for a in args]], cwd=WRK_DIR, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            env={**os.environ, "BENCH_CHECK": "1"})
    out = []
    try:
        for line in proc.stdout:
            if line.startswith("BENCH_CHECK "):
                head, _, body = line.rstrip("\n").partition(" body=")
                return int(head.split("status=")[1]), body
            out.append(line)
    finally:
        proc.terminate()
        proc.wait()
    raise WrkError(f"no answer to the check request: {''.join(out)[-400:]}")


def seed(url, table, count, conns=64, timeout_s=600, per=None):
    """Bulk-load items 0..count-1 with wrk/seed.lua; returns items/s. With
    per, items go into partitions of `per` items (pk "p%06d", numeric sk).

    wrk would wait out its -d even after the last batch, so this reads its
    output and stops it (by PID) at the SEED_DONE line."""
    t0 = time.monotonic()
    proc = subprocess.Popen(["wrk", "-t1", f"-c{conns}", f"-d{timeout_s}s", "-s", "seed.lua", url,
                             "--", table, str(count), *([str(per)] if per else [])],
                            cwd=WRK_DIR, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    done, errors = None, []
    try:
        for line in proc.stdout:
            if line.startswith("SEED_ERROR"):
                errors.append(line.strip())
            if line.startswith("SEED_DONE"):
                done = dict(tok.split("=") for tok in line.split()[1:])
                break
    finally:
        proc.terminate()
        proc.wait()
    elapsed = time.monotonic() - t0
    if done is None or int(done["failed"]):
        raise WrkError(f"seeding {table} failed: {done}; {' '.join(errors)[:400]}")
    return count / max(elapsed, 1e-9)
