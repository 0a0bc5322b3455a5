# SPDX-License-Identifier: MIT
# Runs the gateway's behaviour specs: every case in tests/specs/http/*.md
# (format: tests/specs/http/README.md) becomes one pytest test named
# "<file>::<case>". A case's raw request bytes go over a plain socket, its
# expected responses are read back in order (Content-Length, chunked or
# close-delimited framing) and compared, then the connection's fate is checked.
# One eddy per distinct flag set serves every case of the module that needs it.
import glob
import json
import os
import re
import shlex
import socket
import time

import pytest

from conftest import Eddy

SPEC_DIR = os.environ.get("EDDY_HTTP_SPECS") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "specs", "http")
TIMEOUT_S = 5.0  # Per socket operation; no spec case waits on a server timeout.
# Sent after the last response to prove the connection is still served. Its
# answer (404) differs from most expected ones, so a late extra response is
# not mistaken for it.
PROBE = b"GET /_eddy/spec-probe HTTP/1.1\r\nHost: spec\r\n\r\n"
TOKEN = re.compile(r"\{\{([^{}]*)\}\}")


class SpecError(Exception):
    """A spec file breaks the format; raised at collection so it is fixed, not skipped."""


# ---- Parsing ---------------------------------------------------------------


def expand_tokens(text, where):
    """Replace the inline tokens of a request line by the bytes they stand for."""
    out = b""
    pos = 0
    for m in TOKEN.finditer(text):
        out += text[pos:m.start()].encode("latin-1")
        word = m.group(1).split(None, 2)
        if len(word) == 1 and re.fullmatch(r"x[0-9a-fA-F]{2}", word[0]):
            out += bytes([int(word[0][1:], 16)])
        elif len(word) == 3 and word[0] == "repeat" and word[1].isdigit():
            out += word[2].encode("latin-1") * int(word[1])
        elif word == ["no-crlf"] and m.end() == len(text):
            pass  # Handled by the caller: the line gets no terminator.
        else:
            raise SpecError(f"{where}: unknown request token {m.group(0)}")
        pos = m.end()
    return out + text[pos:].encode("latin-1")


def parse_request(lines, where):
    """A request block -> steps: ("send", bytes), ("pause", seconds), ("await",)."""
    steps, pending = [], b""
    for line in lines:
        control = re.fullmatch(r"\{\{(pause (\d+)|await)\}\}", line)
        if control:
            if pending:
                steps.append(("send", pending))
                pending = b""
            ms = control.group(2)
            steps.append(("pause", int(ms) / 1000) if ms else ("await",))
            continue
        pending += expand_tokens(line, where)
        if not line.endswith("{{no-crlf}}"):
            pending += b"\r\n"
    if pending:
        steps.append(("send", pending))
    return steps


def parse_response(lines, info, where):
    """A response block -> dict(status=, headers=[(name, rule, value)], body=, no_body=)."""
    if not lines or not lines[0].startswith("HTTP/"):
        raise SpecError(f"{where}: a response block starts with its status line")
    resp = {"status": lines[0], "headers": [], "body": None, "no_body": "head" in info.split()}
    i = 1
    while i < len(lines) and lines[i] != "":
        name, sep, value = lines[i].partition(":")
        if not sep:
            raise SpecError(f"{where}: bad header line {lines[i]!r}")
        value = value.strip()
        rule = {"{{present}}": "present", "{{absent}}": "absent"}.get(value, "equals")
        resp["headers"].append((name.strip(), rule, value))
        i += 1
    body = lines[i + 1:]
    if i < len(lines):
        resp["body"] = parse_body(body, where)
    return resp


def parse_body(lines, where):
    if lines == ["{{empty}}"]:
        return ("exact", b"")
    if lines and lines[0] == "{{json}}":
        try:
            return ("json", json.loads("\n".join(lines[1:])))
        except ValueError as e:
            raise SpecError(f"{where}: {{{{json}}}} body does not parse: {e}")
    if not lines:
        raise SpecError(f"{where}: a blank line after the headers must be followed by a body rule")
    return ("exact", "\n".join(lines).encode("utf-8"))


DIRECTIVES = {
    "flags": lambda v: tuple(shlex.split(v.replace("`", ""))),
    "connection after": lambda v: v.strip().lower(),
    "xfail": lambda v: v.strip(),
}


def new_case(fname, title):
    name = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return {"id": f"{fname}::{name}", "flags": (), "steps": [], "responses": [],
            "connection after": None, "xfail": None}


def finish_case(case):
    where = case["id"]
    if not case["steps"] or not case["responses"]:
        raise SpecError(f"{where}: needs a request block and at least one response block")
    if case["connection after"] not in ("open", "closed"):
        raise SpecError(f"{where}: needs 'Connection after: open' or 'Connection after: closed'")
    awaits = sum(1 for s in case["steps"] if s[0] == "await")
    if awaits > len(case["responses"]):
        raise SpecError(f"{where}: more {{{{await}}}} steps than responses")
    return case


def parse_spec(path):
    """All cases of one spec file, in file order."""
    with open(path, encoding="utf-8") as f:
        return parse_text(os.path.basename(path), f.read())


def parse_text(fname, text):
    lines = text.split("\n")
    cases, case, i = [], None, 0
    while i < len(lines):
        line = lines[i]
        fence = re.match(r"^```(\w*)\s*(.*)$", line)
        if line.startswith("## "):
            if case:
                cases.append(finish_case(case))
            case = new_case(fname, line[3:])
        elif fence:
            end = i + 1
            while end < len(lines) and lines[end] != "```":
                end += 1
            block = lines[i + 1:end]
            kind = fence.group(1)
            if kind in ("request", "response") and case is None:
                raise SpecError(f"{fname}:{i + 1}: {kind} block outside a case")
            if kind == "request":
                case["steps"] += parse_request(block, f"{fname}:{i + 1}")
            elif kind == "response":
                case["responses"].append(parse_response(block, fence.group(2), f"{fname}:{i + 1}"))
            i = end
        elif case is not None:
            key, sep, value = line.partition(":")
            if sep and key.strip().lower() in DIRECTIVES:
                case[key.strip().lower()] = DIRECTIVES[key.strip().lower()](value)
        i += 1
    if case:
        cases.append(finish_case(case))
    return cases


def all_cases():
    cases = []
    for path in sorted(glob.glob(os.path.join(SPEC_DIR, "*.md"))):
        if os.path.basename(path) != "README.md":
            cases += parse_spec(path)
    ids = [c["id"] for c in cases]
    dup = {x for x in ids if ids.count(x) > 1}
    if dup:
        raise SpecError(f"duplicate case names: {sorted(dup)}")
    return cases


CASES = all_cases()

# ---- Reading responses -------------------------------------------------------


class Conn:
    """A raw client connection with a receive buffer shared by pipelined answers."""

    def __init__(self, eddy):
        self.sock = socket.create_connection((eddy.host, eddy.port), timeout=TIMEOUT_S)
        self.buf = b""
        self.eof = False

    def send(self, data):
        """Send; a server that already answered and closed may reset us, which is not a failure."""
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def fill(self):
        if self.eof:
            return False
        try:
            d = self.sock.recv(65536)
        except ConnectionResetError:
            d = b""
        self.buf += d
        self.eof = not d
        return bool(d)

    def take(self, n):
        while len(self.buf) < n:
            assert self.fill(), f"connection closed inside a body; have {self.buf!r}"
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def line(self):
        while b"\r\n" not in self.buf:
            assert self.fill(), f"connection closed inside a line; have {self.buf!r}"
        out, self.buf = self.buf.split(b"\r\n", 1)
        return out

    def read_response(self, no_body):
        """One response: (status line, [(name, value)], body bytes); None if EOF came first."""
        while b"\r\n\r\n" not in self.buf:
            if not self.fill():
                assert not self.buf, f"connection closed inside a response head: {self.buf!r}"
                return None
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = [tuple(x.strip() for x in h.split(":", 1)) for h in lines[1:]]
        by_name = {k.lower(): v for k, v in headers}
        return lines[0], headers, self.read_body(lines[0], by_name, no_body)

    def read_body(self, status_line, h, no_body):
        code = int(status_line.split()[1])
        if no_body or code < 200 or code in (204, 304):
            return b""
        if "chunked" in h.get("transfer-encoding", "").lower():
            return self.read_chunked()
        if "content-length" in h:
            return self.take(int(h["content-length"]))
        while self.fill():  # Close-delimited (RFC 9112 section 6.3, rule 8).
            pass
        out, self.buf = self.buf, b""
        return out

    def read_chunked(self):
        body = b""
        while True:
            size = int(self.line().split(b";")[0], 16)
            if size == 0:
                while self.line():  # Trailer fields, then the empty line.
                    pass
                return body
            body += self.take(size)
            assert self.take(2) == b"\r\n", "chunk data not followed by CRLF"

    def closed(self):
        """True if the server closes with nothing more to say; fails if it says more."""
        try:
            while self.fill():
                pass
        except socket.timeout:
            return False
        assert not self.buf, f"unexpected bytes before close: {self.buf!r}"
        return True

    def close(self):
        self.sock.close()


# ---- Checking ------------------------------------------------------------------


def check_response(got, want, n):
    assert got is not None, f"response {n}: connection closed, expected {want['status']!r}"
    status, headers, body = got
    assert status == want["status"], \
        f"response {n}: status line {status!r}, want {want['status']!r}"
    for name, rule, value in want["headers"]:
        values = [v for k, v in headers if k.lower() == name.lower()]
        if rule == "absent":
            assert not values, f"response {n}: header {name} must be absent, got {values}"
        elif rule == "present":
            assert values, f"response {n}: header {name} missing"
        else:
            assert values == [value], f"response {n}: header {name} is {values}, want [{value!r}]"
    if want["body"] is None:
        return
    kind, expected = want["body"]
    if kind == "json":
        try:
            doc = json.loads(body)
        except ValueError:
            pytest.fail(f"response {n}: body is not JSON: {body!r}")
        assert doc == expected, f"response {n}: JSON body {doc!r}, want {expected!r}"
    else:
        assert body == expected, f"response {n}: body {body!r}, want {expected!r}"


def run_case(eddy, case):
    c = Conn(eddy)
    try:
        wants = list(case["responses"])
        n = 0

        def expect_next():
            nonlocal n
            want = wants[n]
            n += 1
            check_response(c.read_response(want["no_body"]), want, n)

        for step in case["steps"]:
            if step[0] == "send":
                c.send(step[1])
            elif step[0] == "pause":
                time.sleep(step[1])
            else:
                expect_next()
        while n < len(wants):
            expect_next()
        if case["connection after"] == "closed":
            assert c.closed(), "the server kept the connection open; want it closed"
        else:  # Still usable: the next request on it is answered.
            assert not c.buf, f"unexpected bytes after the last response: {c.buf!r}"
            c.send(PROBE)
            got = c.read_response(False)
            assert got is not None and got[0] == "HTTP/1.1 404 Not Found", \
                f"connection not reusable: {got!r}"
    finally:
        c.close()


# ---- Servers and tests ---------------------------------------------------------


@pytest.fixture(scope="module")
def servers():
    """flags -> a running Eddy, started on first use, checked for sanitizer reports at the end."""
    started = {}

    def get(flags):
        if flags not in started:
            started[flags] = Eddy(list(flags))
        return started[flags]

    yield get
    for e in started.values():
        code = e.stop()
        text = e.stderr()
        assert code == 0, f"eddy exited {code}; stderr:\n{text}"
        assert "AddressSanitizer" not in text and "runtime error" not in text, text


def params():
    for case in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=case["xfail"])] if case["xfail"] else []
        yield pytest.param(case, id=case["id"], marks=marks)


@pytest.mark.parametrize("case", params())
def test_spec(servers, case):
    run_case(servers(case["flags"]), case)


def test_specs_exist():
    """Guards the glob: an empty spec directory must not pass silently."""
    assert len(CASES) >= 20


def test_format_tokens_and_steps():
    """The runner's reading of the format (README.md), on a synthetic spec."""
    text = "\n".join([
        "# t", "## One Case!", "Flags: `--max-body-bytes 10`", "Connection after: closed",
        "```request", "POST / HTTP/1.1", "X: {{repeat 3 ab}}{{x01}}", "", "body{{no-crlf}}",
        "{{pause 20}}", "more{{no-crlf}}", "{{await}}", "```",
        "```response head", "HTTP/1.1 200 OK", "A: {{absent}}", "B: {{present}}", "C: v",
        "", "{{empty}}", "```",
        "```response", "HTTP/1.1 200 OK", "", "{{json}}", "{\"a\":", " 1}", "```",
    ])
    [case] = parse_text("t.md", text)
    assert case["id"] == "t.md::one-case"
    assert case["flags"] == ("--max-body-bytes", "10")
    assert case["connection after"] == "closed"
    assert case["steps"] == [("send", b"POST / HTTP/1.1\r\nX: ababab\x01\r\n\r\nbody"),
                             ("pause", 0.02), ("send", b"more"), ("await",)]
    head, full = case["responses"]
    assert head["no_body"] and not full["no_body"]
    assert head["headers"] == [("A", "absent", "{{absent}}"), ("B", "present", "{{present}}"),
                               ("C", "equals", "v")]
    assert head["body"] == ("exact", b"") and full["body"] == ("json", {"a": 1})


def test_format_errors_are_loud():
    bad = ["## c\nConnection after: open\n```request\nGET / HTTP/1.1\n```\n",
           "## c\n```request\nGET / HTTP/1.1\n```\n```response\nHTTP/1.1 200 OK\n```\n",
           "## c\nConnection after: open\n```request\n{{bogus}}\n```\n"
           "```response\nHTTP/1.1 200 OK\n```\n",
           "## c\nConnection after: open\n```request\nGET\n```\n```response\n200 OK\n```\n"]
    for text in bad:
        with pytest.raises(SpecError):
            parse_text("bad.md", text)
