# SPDX-License-Identifier: MIT
# `eddy serve` as a process: --help/--version, the one-line exit-2 failures
# (bad flag, busy port, unusable data directory), the ready line and log
# format, and stopping: SIGTERM/SIGINT exit 0, requests already read are
# answered during the drain, and nothing read is dropped under load.
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest
import requests

from conftest import Eddy, eddy_bin
from test_http import HEALTH, Raw

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARN|ERROR) [a-z_]+: .+")


def run(args, timeout=20):
    return subprocess.run([eddy_bin()] + args, capture_output=True, timeout=timeout)


def assert_exit_2_one_line(p):
    assert p.returncode == 2, (p.returncode, p.stderr)
    lines = p.stderr.decode().strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("eddy: ")
    assert b"listening" not in p.stdout


def test_help_and_version():
    p = run(["--help"])
    assert p.returncode == 0 and b"serve" in p.stdout
    p = run(["--version"])
    assert p.returncode == 0 and re.match(rb"^eddy \d+\.\d+\.\d+\n$", p.stdout)
    p = run(["serve", "--help"])
    assert p.returncode == 0
    for flag in (b"--listen", b"--data", b"--threads", b"--region", b"--log-level",
                 b"--max-header-bytes", b"--max-body-bytes", b"--idle-timeout-ms",
                 b"--header-timeout-ms", b"--max-conns", b"--drain-timeout-ms"):
        assert flag in p.stdout, flag
    assert run([]).returncode == 2


@pytest.mark.parametrize("args", [
    ["--bogus"],
    ["--threads", "abc"],
    ["--threads", "0"],
    ["--listen", "nope"],
    ["--listen", "127.0.0.1:99999"],
    ["--log-level", "loud"],
    ["--max-conns"],
    ["stray"],
])
def test_bad_flag_exits_2_with_one_line(args, tmp_path):
    p = run(["serve", "--data", str(tmp_path / "d")] + args)
    assert_exit_2_one_line(p)


def test_unknown_command_exits_2():
    assert_exit_2_one_line(run(["frobnicate"]))


def test_port_in_use_exits_2(tmp_path):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    p = run(["serve", "--listen", f"127.0.0.1:{port}", "--data", str(tmp_path / "d")])
    holder.close()
    assert_exit_2_one_line(p)
    assert b"in use" in p.stderr


def test_port_of_another_eddy_exits_2(eddy, tmp_path):
    p = run(["serve", "--listen", f"127.0.0.1:{eddy.port}", "--data", str(tmp_path / "other")])
    assert_exit_2_one_line(p)
    assert requests.get(eddy.url + "/_eddy/health", timeout=5).status_code == 200


def test_unusable_data_dir_exits_2(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    for d in (f, f / "sub"):
        assert_exit_2_one_line(run(["serve", "--listen", "127.0.0.1:0", "--data", str(d)]))
    if os.geteuid() != 0:  # root writes anywhere.
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        assert_exit_2_one_line(run(["serve", "--listen", "127.0.0.1:0", "--data", str(ro)]))


def test_data_dir_is_created_with_parents(start_eddy, tmp_path):
    d = tmp_path / "a" / "b" / "c"
    e = start_eddy(data_dir=str(d))
    assert d.is_dir()
    assert requests.get(e.url + "/_eddy/health", timeout=5).json() == {"status": "ok"}


def test_ready_line_and_log_format(tmp_path):
    e = Eddy(["--threads", "2"], data_dir=str(tmp_path / "d"))
    assert e.port > 0 and e.url == f"http://127.0.0.1:{e.port}"
    assert requests.get(e.url + "/_eddy/health", timeout=5).status_code == 200
    assert e.stop() == 0
    lines = e.stderr().strip().splitlines()
    assert lines, "no log lines"
    for line in lines:
        assert LOG_LINE.match(line), line


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_exits_0(start_eddy, sig):
    e = start_eddy()
    c = Raw(e)  # An idle keep-alive connection must not hold the exit back.
    c.send(HEALTH)
    assert c.read().status == 200
    t0 = time.monotonic()
    assert e.stop(sig) == 0
    assert time.monotonic() - t0 < 5
    c.close()


def test_sigterm_answers_request_being_read(start_eddy):
    e = start_eddy(["--drain-timeout-ms", "5000"])
    c = Raw(e)
    c.send(b"POST /_eddy/health HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhalf")
    time.sleep(0.2)
    e.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    c.send(b"-done")
    c.send(b"!")
    r = c.read()
    assert r is not None and r.status == 200
    assert r.headers.get("connection") == "close"
    assert e.proc.wait(10) == 0


def test_sigterm_answers_pipelined_requests_already_read(start_eddy):
    e = start_eddy()
    c = Raw(e)
    c.send(b"POST /_eddy/health HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nab")
    time.sleep(0.2)
    e.proc.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    c.send(b"c" + HEALTH * 5)  # Completes the first request; the rest arrive while draining.
    statuses = []
    while True:
        r = c.read()
        if r is None:
            break
        statuses.append(r.status)
    assert statuses and statuses[0] == 200 and set(statuses) == {200}
    assert e.proc.wait(10) == 0


def test_sigterm_under_load_drops_nothing_read(start_eddy):
    e = start_eddy()
    stop = threading.Event()
    results = []  # Per worker: (answered, partial_responses, errors)

    def worker():
        answered = partial = errors = 0
        try:
            c = Raw(e, timeout=10)
        except OSError:
            results.append((0, 0, 1))
            return
        while not stop.is_set():
            try:
                c.send(HEALTH * 2)
            except OSError:
                break
            got = 0
            for _ in range(2):
                try:
                    r = c.read()
                except OSError:
                    r = None
                if r is None:
                    break
                got += 1
                if r.status != 200 or r.body != b'{"status":"ok"}':
                    errors += 1
            answered += got
            if got < 2:
                partial += 1 if c.buf else 0  # Bytes of a half-sent answer.
                break
        c.close()
        results.append((answered, partial, errors))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    e.proc.send_signal(signal.SIGTERM)
    code = e.proc.wait(15)
    stop.set()
    for t in threads:
        t.join(15)
    assert code == 0
    assert len(results) == 16
    assert sum(r[0] for r in results) > 100
    assert sum(r[1] for r in results) == 0, "a response was cut in the middle"
    assert sum(r[2] for r in results) == 0


def test_start_to_first_answer_is_quick(tmp_path):
    t0 = time.monotonic()
    e = Eddy([], data_dir=str(tmp_path / "d"))
    s = socket.create_connection((e.host, e.port))
    s.sendall(HEALTH)
    assert s.recv(100).startswith(b"HTTP/1.1 200 ")
    elapsed = time.monotonic() - t0
    s.close()
    assert e.stop() == 0
    # Generous: the real target (< 10 ms) is measured by the benchmark harness.
    assert elapsed < 5, elapsed
