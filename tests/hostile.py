"""A hostile HTTP server for tests: stdlib only, 127.0.0.1, misbehaving at the socket level.

The simulator (``tui.sim``) speaks correct HTTP with injected faults; this server lets a test
write any bytes at any pace: gzip bombs, bodies trickling one byte at a time, Set-Cookie floods,
megabyte headers, answers that echo the request, connections dropped after the request.

    def handler(conn: Conn, request: Request) -> None:
        conn.respond(200, [("Content-Type", "application/json")], b"{}")

    with HostileServer(handler) as server:
        ... server.base_url ... server.requests ...

Each connection carries one request (the server closes it after the handler returns), so a
test sees every attempt as its own request. Requests are recorded *before* the handler runs:
a test that reads ``server.requests`` after a call never races the server. Every loop is
bounded: ``close()`` stops trickles, closes sockets and joins threads with a timeout.

``run_measured`` runs a command (``zwr get`` as a subprocess) and returns its exit code,
output, wall time and its own peak RSS (the child's VmHWM, read by the child itself at exit: not
every child the test process ever had, nor the test process's own size inherited through fork).
"""

from __future__ import annotations

import gzip
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
MAX_REQUEST = 1024 * 1024

Headers = Iterable[tuple[str, str]]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, list[str]]  # lower-case name -> values
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[-1] if values else None


@dataclass
class Conn:
    sock: socket.socket
    stopping: threading.Event
    request: Request | None = None
    sent: int = field(default=0)

    def send(self, data: bytes) -> bool:
        """Write bytes; False once the peer or the server is gone."""
        if self.stopping.is_set():
            return False
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        self.sent += len(data)
        return True

    def head(self, status: int, headers: Headers = (), reason: str = "X") -> bool:
        lines = [f"HTTP/1.1 {status} {reason}"] + [f"{k}: {v}" for k, v in headers] + ["Connection: close", "", ""]
        return self.send("\r\n".join(lines).encode("latin-1"))

    def respond(self, status: int, headers: Headers = (), body: bytes = b"", reason: str = "X") -> bool:
        headers = [*headers, ("Content-Length", str(len(body)))]
        return self.head(status, headers, reason) and self.send(body)

    def json(self, status: int, text: str | bytes, headers: Headers = ()) -> bool:
        body = text.encode() if isinstance(text, str) else text
        return self.respond(status, [("Content-Type", "application/json"), *headers], body)

    def trickle(self, data: bytes, every: float, limit: float = 120.0) -> bool:
        """Send ``data`` one byte at a time, ``every`` seconds apart, for at most ``limit`` seconds."""
        ends = time.monotonic() + limit
        for i in range(len(data)):
            if time.monotonic() > ends or not self.send(data[i : i + 1]):
                return False
            if self.stopping.wait(every):
                return False
        return True

    def hang(self, limit: float = 120.0) -> None:
        """Say nothing until the client gives up or the server closes."""
        ends = time.monotonic() + limit
        while time.monotonic() < ends and not self.stopping.wait(0.05):
            try:
                self.sock.settimeout(0.0)
                if self.sock.recv(1, socket.MSG_PEEK) == b"":
                    return  # the client hung up
            except BlockingIOError:
                pass
            except OSError:
                return
            finally:
                self.sock.settimeout(None)


class HostileServer:
    def __init__(self, handler: Callable[[Conn, Request], None]) -> None:
        self.handler = handler
        self.requests: list[Request] = []
        self.errors: list[BaseException] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._acceptor = threading.Thread(target=self._accept, name="hostile-accept", daemon=True)
        self._acceptor.start()

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def requests_to(self, fragment: str) -> list[Request]:
        return [r for r in self.requests if fragment in r.path]

    def close(self) -> None:
        self._stopping.set()
        self._listener.close()
        with self._lock:
            for conn in self._conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                conn.close()
        self._acceptor.join(5)
        for thread in list(self._threads):
            thread.join(5)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._conns.append(sock)
            thread = threading.Thread(target=self._serve, args=(sock,), name="hostile-conn", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        conn = Conn(sock, self._stopping)
        try:
            sock.settimeout(10)
            request = _read_request(sock)
            if request is None:
                return
            conn.request = request
            with self._lock:
                self.requests.append(request)
            sock.settimeout(None)
            self.handler(conn, request)
        except OSError:
            pass
        except BaseException as exc:  # a broken handler must show up in the test, not vanish
            self.errors.append(exc)
        finally:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


def _read_request(sock: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
        if len(data) > MAX_REQUEST:
            return None
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _version = lines[0].split(" ", 2)
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    length = int(headers.get("content-length", ["0"])[-1])
    while len(body) < min(length, MAX_REQUEST):
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return Request(method, path, headers, body)


# ---------------------------------------------------------------------------- payloads


RUN = (
    b'{"id": 1, "name": "WF-1", "status": "Finished", "originalWorkflowId": 1, "type": "Workflow::Instance",'
    b' "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:01:00.000Z", "runTime": 60.0,'
    b' "cpuTime": "00:00:01", "tasks": {"total": 1, "success": 1, "error": 0, "queued": 0, "processing": 0,'
    b' "pending": 0, "stopped": 0}}'
)


def bomb(layers: int) -> bytes:
    """4 GiB of zeros in ``layers`` gzip layers (2 layers: 6.8 KB; 3 layers: 294 bytes).

    Read from tests/data (``make_bombs`` wrote them: compressing 4 GiB takes ~15 s)."""
    return (DATA / f"bomb-gzip{layers}.bin").read_bytes()


def make_bombs() -> None:  # pragma: no cover - run by hand: python -c "import tests.hostile as h; h.make_bombs()"
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 24)
    layer = b"".join(z.compress(zeros) for _ in range(256)) + z.flush()
    for n in (2, 3):
        layer = gzip.compress(layer, 9)
        (DATA / f"bomb-gzip{n}.bin").write_bytes(layer)


# ---------------------------------------------------------------------------- zwr as a measured child


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    maxrss_mb: float


# The child reports the peak of its own address space (VmHWM) at exit. ``os.wait4``'s ru_maxrss is
# not enough: Linux carries the forked copy of the test process's high-water mark across exec, so
# after a memory-hungry test (hypothesis) every child "peaked" at the pytest process's size.
_PEAK = (
    "import atexit, os, runpy, sys\n"
    "def _peak():\n"
    "    with open('/proc/self/status') as status, open(os.environ['HOSTILE_PEAK_FILE'], 'w') as out:\n"
    "        out.write(next((line.split()[1] for line in status if line.startswith('VmHWM:')), ''))\n"
    "atexit.register(_peak)\n"
    "sys.argv = ['zwr', *sys.argv[1:]]\n"
    "runpy.run_module('tui', run_name='__main__', alter_sys=True)\n"
)


def run_measured(args: list[str], env: dict[str, str], timeout: float = 90.0) -> Outcome:
    """Run ``python -m tui ARGS``; kill it after ``timeout``; report its own peak RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryDirectory() as tmp:
        peak_file = os.path.join(tmp, "peak")
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-c", _PEAK, *args],
            env={**env, "HOSTILE_PEAK_FILE": peak_file},
            stdout=out,
            stderr=err,
            cwd=ROOT,
        )
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen from waiting again
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        try:
            with open(peak_file) as reported:
                peak_kib = float(reported.read())
        except (OSError, ValueError):  # killed before it could say: the (upper bound) rusage figure
            peak_kib = usage.ru_maxrss  # Linux reports KiB
        return Outcome(
            proc.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
            seconds,
            peak_kib / 1024,
        )
