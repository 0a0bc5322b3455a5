# SPDX-License-Identifier: MIT
# procs.py: start the servers under test (eddy, nginx, dynalite, redis) on
# free loopback ports with temporary directories, and stop every one of them by
# PID, whatever happens. Each server runs in its own session so a terminal's
# Ctrl-C reaches only the runner, which then stops them in order. Knows
# nothing about workloads.
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # tools/bench
ROOT = os.path.dirname(os.path.dirname(HERE))
# EDDY_BIN overrides the binary (e.g. an asan build), as in tests/integration.
EDDY_BIN = os.environ.get("EDDY_BIN") or os.path.join(ROOT, "build", "release", "engine", "main", "eddy")
DYNALITE_CLI = os.path.join(HERE, "node_modules", "dynalite", "cli.js")
READY = re.compile(r"listening on (http://[0-9.]+:(\d+))")


class StartError(Exception):
    """A server did not come up; the message carries its stderr tail."""


def free_port():
    """A port that was free a moment ago (bind to 0, read it, release it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout_s):
    """Poll until something accepts on 127.0.0.1:port; False on timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.005)
    return False


def vm_rss_kb(pid):
    """VmRSS of one process in KiB (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid):
    """Direct children of pid, from /proc (nginx's worker under its master)."""
    out = []
    for task in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else []:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


class Server:
    """One running server: kind, url, host/port, proc, tmp dir, log path."""

    def __init__(self, kind, proc, port, tmp, log_path):
        self.kind, self.proc, self.port, self.tmp, self.log_path = kind, proc, port, tmp, log_path
        self.url = f"http://127.0.0.1:{port}"

    @property
    def pid(self):
        return self.proc.pid

    def rss_kb(self):
        """RSS of the server and its direct children (nginx master + worker)."""
        return vm_rss_kb(self.pid) + sum(vm_rss_kb(c) for c in children(self.pid))

    def log_tail(self, n=20):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""


class Procs:
    """Owns every process the runner starts; stop_all() ends them by PID."""

    def __init__(self, keep_tmp=False):
        self.servers = []
        self.keep_tmp = keep_tmp

    def _spawn(self, kind, argv, tmp, stdout=None, cwd=None):
        log_path = os.path.join(tmp, f"{kind}.log")
        log = open(log_path, "wb")
        try:
            proc = subprocess.Popen(argv, stdout=stdout or log, stderr=log, cwd=cwd,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        finally:
            log.close()  # The child holds its own descriptor.
        return proc, log_path

    def _mktmp(self, kind):
        tmp = tempfile.mkdtemp(prefix=f"eddy-bench-{kind}-")
        os.chmod(tmp, 0o755)  # nginx workers may run as nobody when we are root.
        return tmp

    def start_eddy(self, args=(), timeout_s=15.0):
        """Start eddy on an ephemeral port; returns once it printed its ready line."""
        tmp = self._mktmp("eddy")
        argv = [EDDY_BIN, "serve", "--listen", "127.0.0.1:0", "--data", os.path.join(tmp, "data"),
                *args]
        os.makedirs(os.path.join(tmp, "data"))
        proc, log_path = self._spawn("eddy", argv, tmp, stdout=subprocess.PIPE)
        port = read_ready(proc, timeout_s)
        srv = self._track(Server("eddy", proc, port or 0, tmp, log_path))
        if port is None:
            self.stop(srv)
            raise StartError(f"eddy did not print its ready line: {srv.log_tail()}")
        return srv

    def start_nginx(self, timeout_s=10.0):
        tmp = self._mktmp("nginx")
        port = free_port()
        with open(os.path.join(HERE, "nginx.conf.in")) as f:
            conf = f.read().replace("@PORT@", str(port)).replace("@DIR@", tmp)
        conf_path = os.path.join(tmp, "nginx.conf")
        with open(conf_path, "w") as f:
            f.write(conf)
        argv = [shutil.which("nginx") or "/usr/sbin/nginx", "-p", tmp, "-e", "stderr", "-c", conf_path]
        proc, log_path = self._spawn("nginx", argv, tmp)
        return self._await_port(Server("nginx", proc, port, tmp, log_path), timeout_s)

    def start_dynalite(self, timeout_s=20.0):
        tmp = self._mktmp("dynalite")
        port = free_port()
        # node runs the CLI directly (not through npx) so the PID we hold is
        # the server's own. LevelDB on disk (its default is in memory), as
        # people deploy it; tables become ACTIVE at once so seeding is quick.
        argv = ["node", DYNALITE_CLI, "--host", "127.0.0.1", "--port", str(port),
                "--path", os.path.join(tmp, "leveldb"), "--createTableMs", "0",
                "--deleteTableMs", "0", "--updateTableMs", "0"]
        proc, log_path = self._spawn("dynalite", argv, tmp, cwd=tmp)
        return self._await_port(Server("dynalite", proc, port, tmp, log_path), timeout_s)

    def start_redis(self, timeout_s=10.0):
        tmp = self._mktmp("redis")
        port = free_port()
        argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp,
                "--appendonly", "yes", "--appendfsync", "always", "--save", ""]
        proc, log_path = self._spawn("redis", argv, tmp)
        return self._await_port(Server("redis", proc, port, tmp, log_path), timeout_s)

    def _track(self, srv):
        self.servers.append(srv)
        return srv

    def _await_port(self, srv, timeout_s):
        self._track(srv)
        if not wait_port(srv.port, timeout_s) or srv.proc.poll() is not None:
            self.stop(srv)
            raise StartError(f"{srv.kind} did not start: {srv.log_tail()}")
        return srv

    def stop(self, srv, timeout_s=20.0):
        """SIGTERM, wait, then SIGKILL; removes its temp dir. Idempotent."""
        if srv.proc.poll() is None:
            srv.proc.send_signal(signal.SIGTERM)
            try:
                srv.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                srv.proc.kill()
                srv.proc.wait()
        if srv in self.servers:
            self.servers.remove(srv)
        if not self.keep_tmp:
            shutil.rmtree(srv.tmp, ignore_errors=True)

    def stop_all(self):
        for srv in list(reversed(self.servers)):
            self.stop(srv)


def read_ready(proc, timeout_s):
    """Read proc's stdout until the ready line; returns the port or None.

    A thread then keeps draining stdout so a chatty server never blocks on a
    full pipe."""
    result = {}

    def reader():
        for raw in proc.stdout:
            m = READY.search(raw.decode(errors="replace"))
            if m and "port" not in result:
                result["port"] = int(m.group(2))
                ready.set()
        ready.set()

    ready = threading.Event()
    threading.Thread(target=reader, daemon=True).start()
    ready.wait(timeout_s)
    return result.get("port")
