# SPDX-License-Identifier: MIT
# Shared fixtures: start the real eddy binary on 127.0.0.1 with an ephemeral
# port and a temporary data directory, wait for its ready line, and stop it by
# PID. EDDY_BIN names the binary (tools/test sets it; default: build/release).
import os
import re
import signal
import subprocess
import tempfile
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
READY = re.compile(r"listening on (http://[0-9.]+:(\d+))")


def eddy_bin():
    return os.environ.get("EDDY_BIN", os.path.join(ROOT, "build", "release", "engine", "main", "eddy"))


class Eddy:
    """One running eddy process. `url` is its base URL; `stop()` sends SIGTERM."""

    def __init__(self, args=(), data_dir=None, env=None, timeout=10.0):
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="eddy-test-")
        self.args = list(args)
        cmd = [eddy_bin(), "serve", "--listen", "127.0.0.1:0", "--data", self.data_dir] + self.args
        self.stderr_path = os.path.join(tempfile.gettempdir(), f"eddy-stderr-{os.getpid()}-{time.monotonic_ns()}.log")
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._stderr,
                                     env=env or os.environ.copy())
        deadline = time.monotonic() + timeout
        line = b""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = READY.search(line.decode(errors="replace"))
            if m:
                self.url, self.port = m.group(1), int(m.group(2))
                self.host = "127.0.0.1"
                return
        self.proc.kill()
        self.proc.wait()
        raise RuntimeError(f"eddy did not become ready: {line!r}; stderr: {self.stderr()}")

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=20.0):
        """Signal the process and wait; returns its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        self._stderr.close()
        return self.proc.returncode

    def kill(self):
        """kill -9, as a crash would."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._stderr.close()


@pytest.fixture
def eddy():
    e = Eddy()
    yield e
    code = e.stop()
    assert code == 0, f"eddy exited {code}; stderr:\n{e.stderr()}"
    assert "AddressSanitizer" not in e.stderr() and "runtime error" not in e.stderr(), e.stderr()


@pytest.fixture
def start_eddy():
    """Factory: start_eddy(args=[...], data_dir=...) -> Eddy; all stopped at teardown."""
    started = []

    def start(args=(), data_dir=None, **kw):
        e = Eddy(args, data_dir, **kw)
        started.append(e)
        return e

    yield start
    for e in started:
        if e.proc.poll() is None:
            e.stop()
        text = e.stderr()
        assert "AddressSanitizer" not in text and "runtime error" not in text, text
