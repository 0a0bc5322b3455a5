# SPDX-License-Identifier: MIT
# HTTP/1.1 behaviour of the real binary, spoken over raw sockets where the
# framing matters (pipelining, chunked bodies, 100-continue, HEAD, HTTP/1.0,
# Connection: close) and with requests where it does not. The raw client
# helpers here are shared with test_http_limits.py and test_serve.py.
import json
import socket

import requests

HEALTH = b"GET /_eddy/health HTTP/1.1\r\nHost: t\r\n\r\n"


class Resp:
    def __init__(self, status, headers, body, head):
        self.status, self.headers, self.body, self.head = status, headers, body, head


class Raw:
    """One raw HTTP/1.1 connection with a receive buffer (responses may be pipelined)."""

    def __init__(self, eddy, timeout=5.0):
        self.sock = socket.create_connection((eddy.host, eddy.port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        try:
            d = self.sock.recv(65536)
        except ConnectionResetError:
            d = b""
        self.buf += d
        return bool(d)

    def read(self, head=False):
        """Read one response; None if the connection closed first."""
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                return None
        raw, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        n = 0 if head or status == 100 else int(headers.get("content-length", "0"))
        while len(self.buf) < n:
            if not self._fill():
                return None
        body, self.buf = self.buf[:n], self.buf[n:]
        return Resp(status, headers, body, lines[0])

    def closed(self):
        """True if the server closed the connection (EOF or reset) with nothing more to say."""
        try:
            while True:
                d = self.sock.recv(65536)
                if not d:
                    return True
                self.buf += d
                if b"HTTP/" in self.buf:
                    return False
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


def test_health_json(eddy):
    r = requests.get(eddy.url + "/_eddy/health", timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {"status": "ok"}
    assert "Date" in r.headers


def test_keep_alive_reuses_one_connection(eddy):
    c = Raw(eddy)
    for _ in range(50):
        c.send(HEALTH)
        r = c.read()
        assert r.status == 200 and json.loads(r.body) == {"status": "ok"}
        assert r.headers.get("connection") != "close"
    c.close()


def test_pipelining_answers_in_order(eddy):
    c = Raw(eddy)
    reqs, want = b"", []
    for i in range(40):
        if i % 3 == 1:
            reqs += b"GET /nope/%d HTTP/1.1\r\nHost: t\r\n\r\n" % i
            want.append(404)
        elif i % 3 == 2:
            reqs += b"POST / HTTP/1.1\r\nHost: t\r\nX-Amz-Target: Nope.Op\r\nContent-Length: 2\r\n\r\n{}"
            want.append(400)
        else:
            reqs += HEALTH
            want.append(200)
    c.send(reqs)
    got = [c.read().status for _ in want]
    assert got == want
    c.close()


def test_pipelined_bytes_trickled(eddy):
    c = Raw(eddy)
    data = (b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello" + HEALTH) * 3
    for i in range(0, len(data), 7):
        c.send(data[i:i + 7])
    assert [c.read().status for _ in range(6)] == [404, 200] * 3
    c.close()


def test_chunked_body_is_framed(eddy):
    # The health route ignores bodies; what matters is that the chunked body is
    # consumed exactly, so the pipelined request after it is parsed correctly.
    c = Raw(eddy)
    c.send(b"POST /_eddy/health HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"5\r\nhello\r\n")
    c.send(b"6;ext=1\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n" + HEALTH)
    assert c.read().status == 200
    assert c.read().status == 200
    c.close()


def test_chunked_body_with_requests(eddy):
    def gen():
        yield b'{"a":'
        yield b"1}"
    r = requests.post(eddy.url + "/missing", data=gen(), timeout=5)
    assert r.status_code == 404
    assert r.json() == {"message": "Not Found"}


def test_expect_100_continue(eddy):
    c = Raw(eddy)
    c.send(b"PUT /_eddy/health HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
    r = c.read()
    assert r.status == 100
    c.send(b"data")
    assert c.read().status == 200
    c.close()


def test_head_has_headers_but_no_body(eddy):
    c = Raw(eddy)
    c.send(b"HEAD /_eddy/health HTTP/1.1\r\nHost: t\r\n\r\n" + HEALTH)
    r = c.read(head=True)
    assert r.status == 200 and r.headers["content-length"] == "15"
    r = c.read()  # Had HEAD sent a body, this would parse garbage.
    assert r.status == 200 and r.body == b'{"status":"ok"}'
    c.close()
    r = requests.head(eddy.url + "/_eddy/health", timeout=5)
    assert r.status_code == 200 and r.content == b""


def test_http10_closes_after_answer(eddy):
    c = Raw(eddy)
    c.send(b"GET /_eddy/health HTTP/1.0\r\n\r\n")
    r = c.read()
    assert r.status == 200 and r.body == b'{"status":"ok"}'
    assert r.headers.get("connection") == "close"
    assert c.closed()
    c.close()


def test_http10_keep_alive(eddy):
    c = Raw(eddy)
    for _ in range(3):
        c.send(b"GET /_eddy/health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        r = c.read()
        assert r.status == 200 and r.headers.get("connection") == "keep-alive"
    c.close()


def test_connection_close(eddy):
    c = Raw(eddy)
    c.send(b"GET /_eddy/health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" + HEALTH)
    r = c.read()
    assert r.status == 200 and r.headers.get("connection") == "close"
    assert c.closed()  # The pipelined second request is not answered.
    c.close()


def test_unknown_target_is_400_json(eddy):
    r = requests.post(eddy.url + "/", data="{}", timeout=5,
                      headers={"X-Amz-Target": "NoSuchService_2020.DoThing",
                               "Content-Type": "application/x-amz-json-1.0"})
    assert r.status_code == 400
    assert r.headers["Content-Type"] == "application/x-amz-json-1.0"
    assert r.json() == {"__type": "com.amazon.coral.service#UnknownOperationException"}


def test_unknown_path_is_404_json(eddy):
    r = requests.get(eddy.url + "/no/such/path?x=1", timeout=5)
    assert r.status_code == 404
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {"message": "Not Found"}


def test_malformed_request_is_400_and_close(eddy):
    for junk in (b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"GET /\x01 HTTP/1.1\r\n\r\n",
                 b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"):
        c = Raw(eddy)
        c.send(junk)
        r = c.read()
        assert r is not None and r.status == 400, junk
        assert r.headers["content-type"] == "application/json"
        assert c.closed()
        c.close()
    assert requests.get(eddy.url + "/_eddy/health", timeout=5).status_code == 200
