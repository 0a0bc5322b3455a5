# SPDX-License-Identifier: MIT
# conns.py: measurements that wrk cannot make. Time from exec to the first
# 200 on /_eddy/health, idle RSS, and the RSS of a server holding N idle
# keep-alive connections (each has sent one request and kept its socket open,
# as browsers and SDK connection pools do). Raw sockets, no HTTP library, so
# the client adds as little as possible to what is measured.
import resource
import select
import socket
import time

REQUEST = b"GET /_eddy/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def raise_nofile():
    """Lift the soft RLIMIT_NOFILE to the hard limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def get_status(port, timeout_s=1.0):
    """One GET /_eddy/health on a fresh connection; the status code or 0."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as s:
            s.sendall(REQUEST)
            head = s.recv(4096)
    except OSError:
        return 0
    parts = head.split(b" ", 2)
    return int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else 0


def first_200_ms(start, stop, timeout_s=10.0):
    """Milliseconds from calling start() (which execs the server) to the first
    200 on /_eddy/health. start returns a Server; stop(server) ends it."""
    t0 = time.perf_counter()
    srv = start()
    try:
        deadline = t0 + timeout_s
        while get_status(srv.port) != 200:
            if time.perf_counter() > deadline:
                return None
            time.sleep(0.0002)
        return (time.perf_counter() - t0) * 1e3
    finally:
        stop(srv)


def hold_idle(port, count, step=500, timeout_s=10.0):
    """Open `count` keep-alive connections, each answered once; returns the
    list of sockets that got a 200 (the caller closes them)."""
    held = []
    for base in range(0, count, step):
        fresh = []
        for _ in range(min(step, count - base)):
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
                s.sendall(REQUEST)
                fresh.append(s)
            except OSError:
                break
        for s in fresh:
            try:
                head = s.recv(4096)
            except OSError:
                head = b""
            if head.startswith(b"HTTP/1.1 200"):
                held.append(s)
            else:
                s.close()
        if len(fresh) < min(step, count - base):
            break  # Refused or out of descriptors: report what was held.
    return held


def still_open(socks):
    """How many of `socks` the server has not closed (no EOF pending)."""
    alive = 0
    for i in range(0, len(socks), 512):
        chunk = socks[i:i + 512]
        poller = select.poll()
        for s in chunk:
            poller.register(s, select.POLLIN | select.POLLHUP)
        closed = {fd for fd, _ in poller.poll(0)}
        alive += sum(1 for s in chunk if s.fileno() not in closed)
    return alive


def close_all(socks):
    for s in socks:
        s.close()
