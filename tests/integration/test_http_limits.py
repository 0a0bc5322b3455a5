# SPDX-License-Identifier: MIT
# Every gateway limit, set small by flag so the tests are quick: header block
# (431), body by Content-Length and by chunks (413), idle, header (slowloris)
# and body timeouts, the connection cap, and 2,000 concurrent connections.
# Each case also checks that a well-behaved client is served meanwhile.
import os
import resource
import selectors
import socket
import time

import requests

from test_http import HEALTH, Raw

ASAN = os.environ.get("EDDY_BUILD_KIND") == "asan"


def health_ok(eddy):
    return requests.get(eddy.url + "/_eddy/health", timeout=5).status_code == 200


def test_header_block_over_limit_is_431(start_eddy):
    e = start_eddy(["--max-header-bytes", "1024"])
    c = Raw(e)
    c.send(b"GET /_eddy/health HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 2000 + b"\r\n\r\n")
    r = c.read()
    assert r.status == 431
    assert c.closed()
    c = Raw(e)  # Just under the limit still works.
    c.send(b"GET /_eddy/health HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 800 + b"\r\n\r\n")
    assert c.read().status == 200
    e2 = start_eddy()  # Default 16 KiB.
    c = Raw(e2)
    c.send(b"GET /_eddy/health HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 17000 + b"\r\n\r\n")
    assert c.read().status == 431


def test_body_over_limit_by_content_length_is_413_before_the_body(start_eddy):
    e = start_eddy(["--max-body-bytes", "1000"])
    c = Raw(e)
    # Only the headers are sent: the answer must not wait for 10 MB that never come.
    c.send(b"POST /_eddy/health HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\n\r\n")
    r = c.read()
    assert r.status == 413
    assert r.headers.get("connection") == "close"
    c = Raw(e)
    c.send(b"POST /_eddy/health HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + b"x" * 1000)
    assert c.read().status == 200


def test_body_over_limit_by_chunks_is_413_as_soon_as_exceeded(start_eddy):
    e = start_eddy(["--max-body-bytes", "1000"])
    c = Raw(e)
    c.send(b"POST /_eddy/health HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
    for _ in range(3):  # 1,200 bytes and no last chunk.
        c.send(b"190\r\n" + b"y" * 400 + b"\r\n")
    r = c.read()
    assert r.status == 413
    assert c.closed()
    assert health_ok(e)


def test_large_body_within_limit(start_eddy):
    e = start_eddy(["--max-body-bytes", str(4 << 20)])
    body = os.urandom(3 << 20)
    r = requests.post(e.url + "/_eddy/health", data=body, timeout=20)
    assert r.status_code == 200


def test_idle_keep_alive_connection_is_closed(start_eddy):
    e = start_eddy(["--idle-timeout-ms", "300"])
    c = Raw(e)
    c.send(HEALTH)
    assert c.read().status == 200
    t0 = time.monotonic()
    assert c.closed()  # Within the 5 s socket timeout.
    assert time.monotonic() - t0 < 4.5
    assert health_ok(e)


def test_slowloris_is_cut_while_others_are_served(start_eddy):
    e = start_eddy(["--header-timeout-ms", "600"])
    slow = Raw(e)
    req = b"GET /_eddy/health HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"z" * 200
    t0 = time.monotonic()
    served = 0
    cut = False
    for i in range(len(req)):
        try:
            slow.send(req[i:i + 1])
        except (BrokenPipeError, ConnectionResetError):
            cut = True
            break
        served += health_ok(e)
        time.sleep(0.05)
        if time.monotonic() - t0 > 3:
            break
    if not cut:
        r = slow.read()
        cut = r is None or r.status == 408
    assert cut, "the slow client was not cut at the header timeout"
    assert time.monotonic() - t0 < 4
    assert served >= 5


def test_slow_body_is_cut(start_eddy):
    e = start_eddy(["--body-timeout-ms", "400"])
    c = Raw(e)
    c.send(b"POST /_eddy/health HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc")
    r = c.read()
    assert r is None or r.status == 408
    assert health_ok(e)


def test_max_conns_refuses_extra_and_keeps_existing(start_eddy):
    e = start_eddy(["--max-conns", "5"])
    held = [Raw(e) for _ in range(5)]
    for c in held:
        c.send(HEALTH)
        assert c.read().status == 200
    for _ in range(3):
        extra = Raw(e)
        try:
            extra.send(HEALTH)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert extra.read() is None  # Accepted and closed at once.
        extra.close()
    for c in held:  # The existing ones are unharmed.
        c.send(HEALTH)
        assert c.read().status == 200
    held.pop().close()
    time.sleep(0.2)
    c = Raw(e)  # A slot is free again.
    c.send(HEALTH)
    assert c.read().status == 200


def test_2000_concurrent_connections(start_eddy):
    n = 2000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 500), hard))
    e = start_eddy()
    socks = []
    for _ in range(n):
        s = socket.create_connection((e.host, e.port), timeout=10)
        socks.append(s)
    for s in socks:
        s.sendall(HEALTH)
    sel = selectors.DefaultSelector()
    bufs = {}
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        bufs[s] = b""
    done = 0
    deadline = time.monotonic() + (60 if ASAN else 30)
    while done < n and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            d = s.recv(4096)
            bufs[s] += d
            if not d or bufs[s].endswith(b'{"status":"ok"}'):
                sel.unregister(s)
                done += 1
    ok = sum(1 for b in bufs.values() if b.startswith(b"HTTP/1.1 200 ") and b.endswith(b'{"status":"ok"}'))
    for s in socks:
        s.close()
    sel.close()
    assert ok == n
    assert health_ok(e)
