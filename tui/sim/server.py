"""The simulator's HTTP server: Zuora's endpoints, auth, headers, rate limits and faults.

Binds to loopback only. Start it in-process (``with Simulator() as sim: sim.base_url``) or
standalone with ``zwr sim``.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import secrets
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tui.sim.faults import Fault, FaultBook
from tui.sim.scenario import Scenario, demo_scenario

DEMO_CLIENT_ID = "sim-client"
DEMO_CLIENT_SECRET = "sim-secret"
DEMO_TOKEN = "demo-token"


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query: dict[str, list[str]]
    track_id: str | None
    entity_ids: str | None
    org_ids: str | None
    authorization: str | None  # kept so tests can prove where tokens went
    accept_encoding: str | None
    status: int
    started: float
    ended: float


def _zuora_error(status: int, message: str) -> dict[str, Any]:
    """Zuora's different error shapes, chosen by status as the real API does."""
    if status == 401:
        return {"message": "Authentication error"}
    if status == 404:
        return {
            "success": False,
            "processId": uuid.uuid4().hex[:16].upper(),
            "reasons": [{"code": 50000040, "message": message}],
        }
    if status == 403:
        return {"errors": [{"status": 403, "code": "forbidden", "title": message}]}
    if status == 429:
        return {"message": "Too many requests"}
    if status >= 500:
        return {"success": False, "reasons": [{"code": 50000060, "message": message}]}
    return {"Errors": [message]}


class _RateWindow:
    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self.start = time.monotonic()
        self.used = 0
        self.lock = threading.Lock()

    def take(self) -> tuple[bool, int, float]:
        with self.lock:
            now = time.monotonic()
            if now - self.start >= self.window:
                self.start, self.used = now, 0
            reset = self.window - (now - self.start)
            if self.used >= self.limit:
                return False, 0, reset
            self.used += 1
            return True, self.limit - self.used, reset


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512

    def handle_error(self, request, client_address) -> None:
        """Clients that hang up (benchmarks exiting, resets) are normal here, not worth a traceback."""
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class Simulator:
    """A Zuora Workflow API on 127.0.0.1. Runs evolve in real time (``speed`` scales it)."""

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        client_id: str = DEMO_CLIENT_ID,
        client_secret: str = DEMO_CLIENT_SECRET,
        demo_token: str | None = DEMO_TOKEN,
        token_ttl: float = 3599.0,
        latency: float = 0.0,
        speed: float = 1.0,
        rate_limit: tuple[int, float] | None = None,
        seed: int | None = None,
        stable_request_ids: bool = False,
        tls: tuple[str, str] | None = None,
    ) -> None:
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError("the simulator binds to loopback addresses only (127.0.0.1, ::1, localhost)")
        self.scenario = scenario if scenario is not None else demo_scenario()
        self.host, self.port = host, port
        self.client_id, self.client_secret = client_id, client_secret
        self.demo_token = demo_token
        self.token_ttl = token_ttl
        self.latency = latency
        self.speed = speed
        self.faults = FaultBook(seed)
        self.requests: list[RequestRecord] = []
        self.record_requests = True
        self.tokens: dict[str, float] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.rate = _RateWindow(*rate_limit) if rate_limit else None
        self.rejected_429 = 0
        self.stable_request_ids = stable_request_ids  # for snapshot tests: same path, same ID
        self.tls = tls  # (certfile, keyfile): serve https (tests use a self-signed certificate)
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._server: _Server | None = None
        self._connections: set[socket.socket] = set()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        assert self._server is not None, "simulator not started"
        host = self.host if ":" not in self.host else f"[{self.host}]"
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host}:{self._server.server_address[1]}"

    def start(self) -> Simulator:
        handler = type("Handler", (_Handler,), {"sim": self})
        server_cls = _Server
        if ":" in self.host:
            server_cls = type("_Server6", (_Server,), {"address_family": socket.AF_INET6})
        self._server = server_cls((self.host, self.port), handler)
        if self.tls:
            import ssl

            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._started = time.monotonic()
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="zwr-sim", kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop like a dying server: stop listening and drop the open keep-alive connections."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ helpers for tests

    def add_fault(self, kind: str, **options: Any) -> Fault:
        return self.faults.add(Fault(kind, **options))

    def clear_faults(self) -> None:
        self.faults.clear()

    def sim_time(self) -> float:
        return (time.monotonic() - self._started) * self.speed

    def expire_tokens(self) -> None:
        with self._lock:
            for token in self.tokens:
                self.tokens[token] = 0.0

    def issue_token(self) -> str:
        token = "sim-" + secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[token] = time.monotonic() + self.token_ttl
        return token

    def token_valid(self, token: str) -> bool:
        if self.demo_token and secrets.compare_digest(token, self.demo_token):
            return True
        with self._lock:
            expiry = self.tokens.get(token)
        return expiry is not None and time.monotonic() < expiry

    def requests_to(self, fragment: str) -> list[RequestRecord]:
        with self._lock:
            return [r for r in self.requests if fragment in r.path]

    def record(self, record: RequestRecord) -> None:
        if self.record_requests:
            with self._lock:
                self.requests.append(record)
                if len(self.requests) > 200_000:
                    del self.requests[:100_000]

    def run_json(self, run_id: int) -> dict[str, Any] | None:
        spec = self.scenario.get(run_id)
        if spec is None:
            return None
        return spec.to_json(spec.created_ago + self.sim_time(), datetime.now(UTC))


class _Handler(BaseHTTPRequestHandler):
    sim: Simulator
    protocol_version = "HTTP/1.1"
    server_version = "zwr-sim/1"
    # Headers and body go out in two writes; without TCP_NODELAY, Nagle + delayed ACK add ~40 ms
    # to every keep-alive response (measured: 54 instead of 80 req/s at 8 x 100 ms).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read sim.requests
        pass

    def setup(self) -> None:
        super().setup()
        with self.sim._lock:
            self.sim._connections.add(self.connection)

    def finish(self) -> None:
        with self.sim._lock:
            self.sim._connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    # entry points
    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    # ------------------------------------------------------------------ core

    def _handle(self, method: str) -> None:
        sim = self.sim
        started = time.monotonic()
        with sim._lock:
            sim.in_flight += 1
            sim.max_in_flight = max(sim.max_in_flight, sim.in_flight)
        self._status = 0
        try:
            self._dispatch(method)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            with sim._lock:
                sim.in_flight -= 1
            parts = urlsplit(self.path)
            sim.record(
                RequestRecord(
                    method,
                    parts.path,
                    parse_qs(parts.query),
                    self.headers.get("Zuora-Track-Id"),
                    self.headers.get("Zuora-Entity-Ids"),
                    self.headers.get("Zuora-Org-Ids"),
                    self.headers.get("Authorization"),
                    self.headers.get("Accept-Encoding"),
                    self._status,
                    started,
                    time.monotonic(),
                )
            )

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length and length.isdigit():
            return self.rfile.read(min(int(length), 1 << 20))
        return b""

    def _dispatch(self, method: str) -> None:
        sim = self.sim
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        body = self._read_body() if method in ("POST", "PUT") else b""
        run_id = self._run_id(path, query)
        faults = sim.faults.match(method, path, run_id)
        delay = sim.latency + sum(f.delay for f in faults if f.kind in ("latency", "hang"))
        if delay:
            time.sleep(delay)
        effective = [f for f in faults if f.kind not in ("latency", "hang", "fields", "next_page")]
        if effective and self._apply_fault(effective[0], run_id):
            return
        if path == "/oauth/token" and method == "POST":
            return self._token(body)
        if not path.startswith("/workflows"):
            return self._json(404, _zuora_error(404, f"No such endpoint: {path[:100]}"))
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not sim.token_valid(auth[7:].strip()):
            return self._json(
                401, _zuora_error(401, ""), {"WWW-Authenticate": 'Bearer realm="zuora", error="invalid_token"'}
            )
        if sim.rate is not None:
            ok, remaining, reset = sim.rate.take()
            self._rate_headers = {
                "RateLimit-Limit": str(sim.rate.limit),
                "RateLimit-Remaining": str(remaining),
                "RateLimit-Reset": str(max(1, int(reset + 0.999))),
            }
            if not ok:
                with sim._lock:
                    sim.rejected_429 += 1
                return self._json(429, _zuora_error(429, ""), {"Retry-After": str(max(1, int(reset + 0.999)))})
        fields = next((f.fields for f in faults if f.kind == "fields" and f.fields is not None), None)
        foreign = next((f.location for f in faults if f.kind == "next_page"), None)
        segments = [s for s in path.split("/") if s]
        if method == "GET" and len(segments) == 3 and segments[:2] == ["workflows", "workflow_runs"]:
            return self._run(segments[2], fields)
        if (
            method == "PUT"
            and len(segments) == 4
            and segments[:2] == ["workflows", "workflow_runs"]
            and segments[3] == "stop"
        ):
            return self._stop(segments[2])
        if method == "GET" and segments == ["workflows", "tasks"]:
            return self._tasks(query, foreign)
        if method == "GET" and len(segments) == 3 and segments[:2] == ["workflows", "tasks"]:
            return self._task(segments[2])
        return self._json(404, _zuora_error(404, f"No such endpoint: {path[:100]}"))

    @staticmethod
    def _run_id(path: str, query: dict[str, list[str]]) -> int | None:
        segments = [s for s in path.split("/") if s]
        candidate = None
        if len(segments) >= 3 and segments[1] == "workflow_runs":
            candidate = segments[2]
        elif query.get("workflow_id"):
            candidate = query["workflow_id"][0]
        return int(candidate) if candidate and candidate.isdigit() else None

    # ------------------------------------------------------------------ endpoints

    def _token(self, body: bytes) -> None:
        sim = self.sim
        form = parse_qs(body.decode("utf-8", "replace"))
        client_id = (form.get("client_id") or [""])[0]
        client_secret = (form.get("client_secret") or [""])[0]
        grant = (form.get("grant_type") or [""])[0]
        if grant != "client_credentials":
            return self._json(
                400, {"error": "unsupported_grant_type", "message": "grant_type must be client_credentials"}
            )
        if not (
            secrets.compare_digest(client_id, sim.client_id)
            and secrets.compare_digest(client_secret, sim.client_secret)
        ):
            return self._json(401, {"error": "invalid_client", "message": "Invalid client credentials"})
        token = sim.issue_token()
        self._json(
            200,
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": int(sim.token_ttl),
                "scope": "user.1 entity.1 platform.write",
                "jti": uuid.uuid4().hex,
            },
        )

    def _run(self, raw_id: str, fields: dict[str, Any] | None) -> None:
        if not raw_id.isdigit():
            return self._json(400, _zuora_error(400, f"Invalid workflow run id {raw_id[:40]}"))
        data = self.sim.run_json(int(raw_id))
        if data is None:
            return self._json(404, _zuora_error(404, f"Workflow run {raw_id} not found"))
        if fields:
            data.update(fields)
        self._json(200, data)

    def _stop(self, raw_id: str) -> None:
        spec = self.sim.scenario.get(int(raw_id)) if raw_id.isdigit() else None
        if spec is None:
            return self._json(404, _zuora_error(404, f"Workflow run {raw_id} not found"))
        age = spec.created_ago + self.sim.sim_time()
        if spec.duration and spec.stop_at is None:
            spec.stop_at = max(0.0, min(1.0, (age - spec.queued_for) / spec.duration))
        self._json(200, {"success": True})

    def _tasks(self, query: dict[str, list[str]], foreign: str | None) -> None:
        sim = self.sim
        raw_id = (query.get("workflow_id") or [""])[0]
        spec = sim.scenario.get(int(raw_id)) if raw_id.isdigit() else None
        try:
            page = max(1, int((query.get("page") or ["1"])[0]))
            length = max(1, min(100, int((query.get("page_length") or ["20"])[0])))
        except ValueError:
            return self._json(400, _zuora_error(400, "page and page_length must be integers"))
        if spec is None:
            return self._json(200, {"data": [], "pagination": {"page": page, "page_length": length}})
        now = datetime.now(UTC)
        age = spec.created_ago + sim.sim_time()
        start = (page - 1) * length
        end = min(spec.total, start + length)
        state = spec.state(age)
        data = [spec.task_json(i, age, now, state) for i in range(start, end)]
        pagination: dict[str, Any] = {"page": page, "page_length": length}
        if end < spec.total:
            base = foreign or f"http://{self.headers.get('Host', '127.0.0.1')}"
            pagination["next_page"] = (
                f"{base}/workflows/tasks?workflow_id={spec.id}&instance=true&page={page + 1}&page_length={length}"
            )
        self._json(200, {"data": data, "pagination": pagination})

    def _task(self, raw_id: str) -> None:
        if raw_id.isdigit():
            task_id = int(raw_id)
            spec = self.sim.scenario.get(task_id // 100000)
            index = task_id % 100000 - 1
            if spec is not None and 0 <= index < spec.total:
                age = spec.created_ago + self.sim.sim_time()
                return self._json(200, spec.task_json(index, age, datetime.now(UTC)))
        self._json(404, _zuora_error(404, f"Task {raw_id[:40]} not found"))

    # ------------------------------------------------------------------ faults and output

    def _apply_fault(self, fault: Fault, run_id: int | None) -> bool:
        kind = fault.kind
        if kind == "status":
            status = fault.status or 500
            body = fault.body if fault.body is not None else _zuora_error(status, f"Injected HTTP {status}")
            self._send(status, body, fault.headers)
        elif kind == "html":
            status = fault.status or 502
            page = (
                fault.body
                or f"<html><head><title>{status} Bad Gateway</title></head>"
                f"<body><h1>{status} Bad Gateway</h1><p>nginx</p></body></html>"
            )
            self._send(status, page, {"Content-Type": "text/html", **fault.headers})
        elif kind == "reset":
            if fault.mid_body:
                payload = json.dumps(self.sim.run_json(run_id or 19063) or {"id": 1}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload) + 500))
                self.end_headers()
                self.wfile.write(payload[: len(payload) // 2])
                self.wfile.flush()
            self._status = -1
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        elif kind == "truncate":
            payload = json.dumps(self.sim.run_json(run_id or 19063) or {"id": 1}).encode()
            self._send(200, payload[: len(payload) // 2], {"Content-Type": "application/json"})
        elif kind == "body":
            self._send(fault.status or 200, fault.body, fault.headers)
        elif kind == "oversize":
            data = self.sim.run_json(run_id or 19063) or {"id": run_id}
            data["name"] = "x" * max(0, fault.size)
            self._send(200, data, fault.headers)
        elif kind == "redirect":
            self._send(fault.status or 302, b"", {"Location": fault.location or "http://127.0.0.2/", **fault.headers})
        else:
            return False
        return True

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, payload, headers or {})

    def _send(self, status: int, payload: Any, headers: dict[str, str]) -> None:
        if isinstance(payload, (bytes, bytearray)):
            body = bytes(payload)
            content_type = "application/json"
        elif isinstance(payload, str):
            body = payload.encode("utf-8")
            content_type = "text/plain; charset=utf-8"
        else:
            body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            content_type = "application/json"
        out = {"Content-Type": content_type}
        out.update(headers)
        out["Zuora-Request-Id"] = str(
            uuid.uuid5(uuid.NAMESPACE_URL, self.path) if self.sim.stable_request_ids else uuid.uuid4()
        )
        track = self.headers.get("Zuora-Track-Id")
        if track:
            out["Zuora-Track-Id"] = track
        out.update(getattr(self, "_rate_headers", {}))
        if len(body) > 1000 and "gzip" in (self.headers.get("Accept-Encoding") or "") and status != 302:
            body = gzip.compress(body, compresslevel=5)
            out["Content-Encoding"] = "gzip"
        self._status = status
        self.send_response(status)
        for name, value in out.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
