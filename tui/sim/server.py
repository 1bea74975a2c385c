"""The simulator's HTTP server: Zuora's endpoints, auth, headers, rate limits and faults.

Binds to loopback only. Start it in-process (``with Simulator() as sim: sim.base_url``) or
standalone with ``zwr sim``.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import math
import secrets
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tui.sim.faults import Fault, FaultBook
from tui.sim.scenario import RunSpec, Scenario, demo_scenario

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
    idempotency_key: str | None = None


# ---------------------------------------------------------------------------- Zuora's error shapes
# Each operation answers in the shape Zuora documents for it (../shared/reference/zuora-examples):
# the common /v1 ``{success, processId, reasons: [{code, message}]}`` (the code's last two digits are
# the category: 10 permission, 20 invalid value, 40 not found, 60 internal error), the workflow
# ``{errors: [{title, code, status}]}`` of the run and stop operations, the ``{Errors: [...]}`` of the
# task operations, and the gateway's ``{message}`` on 401. A 429 has no body.


def common_error(category: int, message: str) -> dict[str, Any]:
    return {
        "success": False,
        "processId": uuid.uuid4().hex[:16].upper(),
        "reasons": [{"code": 50000000 + category, "message": message}],
    }


def workflow_error(status: int, code: str, title: str) -> dict[str, Any]:
    return {"errors": [{"title": title, "code": code, "status": status}]}


def task_error(status: int, code: str, title: str) -> dict[str, Any]:
    return {"Errors": [{"title": title, "code": code, "status": str(status)}]}


UNAUTHORIZED = {"message": "Authentication error"}
TASK_FILTERS = ("id", "name", "action_type", "object", "object_id", "call_type")
MAX_SCAN = 200_000  # tasks a filtered listing looks through at most
WORKFLOW_NOT_FOUND = "Cannot find a workflow with id provided."
STOP_NOT_FOUND = workflow_error(404, "not_found", "Cannot find a workflow run with id provided.")
TASK_NOT_FOUND = task_error(404, "not_found", "Task not found")
IDEMPOTENCY_TTL = 86400.0  # Zuora removes an idempotency key 24 hours after it is set


@dataclass
class _Saved:
    """The answer Zuora keeps for an Idempotency-Key: whatever it was, success or failure."""

    method: str
    path: str
    at: float
    answer: tuple[int, Any, dict[str, str]] | None = None  # None while the first request is in progress


def _zuora_error(status: int, message: str) -> dict[str, Any] | None:
    """The body for an error ``status`` where the operation has no shape of its own (faults)."""
    if status == 401:
        return dict(UNAUTHORIZED)
    if status == 403:
        return workflow_error(403, "forbidden", message)
    if status == 404:
        return common_error(40, message)
    if status == 429:
        return None
    if status >= 500:
        return common_error(60, message)
    return common_error(20, message)


# ---------------------------------------------------------------------------- rate limits

ZUORA_RATE_LIMITS: tuple[tuple[int, float], ...] = ((50_000, 60.0), (2_250_000, 3600.0), (27_000_000, 86400.0))
"""Zuora's API quotas per tenant: a minute, an hour, a day (its rate-limit guide)."""


class _Window:
    def __init__(self, quota: int, seconds: float, used: int, now: float) -> None:
        self.quota, self.seconds, self.used, self.start = quota, seconds, used, now

    def roll(self, now: float) -> None:
        if now - self.start >= self.seconds:
            self.start, self.used = now, 0

    def reset(self, now: float) -> int:
        return max(1, math.ceil(self.seconds - (now - self.start)))


def _windows(rate_limit: object) -> tuple[tuple[int, float], ...]:
    """``(quota, seconds)`` or a sequence of them, as a tuple of windows."""
    if not rate_limit:
        return ()
    if isinstance(rate_limit, tuple) and len(rate_limit) == 2 and all(isinstance(x, (int, float)) for x in rate_limit):
        return ((int(rate_limit[0]), float(rate_limit[1])),)
    if isinstance(rate_limit, (tuple, list)):
        return tuple((int(q), float(w)) for q, w in rate_limit)
    raise ValueError(f"rate_limit must be (quota, seconds) or a sequence of them, not {rate_limit!r}")


class _RateLimiter:
    """Fixed windows counted per tenant, reported as Zuora does (the IETF RateLimit draft): the
    window closest to exhaustion goes first in ``RateLimit-Limit`` and owns ``-Remaining`` and
    ``-Reset``; every window is listed as ``quota;w=seconds``. A request over any quota is a 429."""

    def __init__(
        self,
        windows: tuple[tuple[int, float], ...],
        spent: dict[float, int] | None = None,
        age: dict[float, float] | None = None,
    ) -> None:
        now = time.monotonic()
        spent, age = spent or {}, age or {}
        self.windows = [
            _Window(int(q), float(w), int(spent.get(float(w), 0)), now - min(float(w), age.get(float(w), 0.0)))
            for q, w in windows
        ]
        self.lock = threading.Lock()

    @property
    def limit(self) -> int:
        return self.windows[0].quota

    def take(self) -> tuple[bool, dict[str, str], int]:
        """Count one request. Returns (allowed, the RateLimit headers, seconds until it would be)."""
        with self.lock:
            now = time.monotonic()
            for window in self.windows:
                window.roll(now)
            exhausted = [w for w in self.windows if w.used >= w.quota]
            if not exhausted:
                for window in self.windows:
                    window.used += 1
            reported = min(self.windows, key=lambda w: ((w.quota - w.used) / w.quota, w.seconds))
            policies = ", ".join(f"{w.quota};w={w.seconds:g}" for w in self.windows)
            headers = {
                "RateLimit-Limit": f"{reported.quota}, {policies}",
                "RateLimit-Remaining": str(max(0, reported.quota - reported.used)),
                "RateLimit-Reset": str(reported.reset(now)),
            }
            wait = max((w.reset(now) for w in exhausted), default=0)
            return not exhausted, headers, wait


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512

    def handle_error(self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any) -> None:
        """Clients that hang up (benchmarks exiting, resets) are normal here, not worth a traceback."""
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Server6(_Server):
    address_family = socket.AF_INET6


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
        rate_limit: tuple[int, float] | tuple[tuple[int, float], ...] | None = None,
        rate_spent: dict[float, int] | None = None,
        rate_age: dict[float, float] | None = None,
        next_page_host: str | None = None,
        production: bool = False,
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
        # rate_limit: one (quota, seconds) window or several (ZUORA_RATE_LIMITS); rate_spent: requests
        # already counted in a window (keyed by its seconds) when the simulator starts, rate_age: how
        # long that window has been running (Zuora's 429 example: the hour, reset in 600 s)
        windows = _windows(rate_limit)
        self.rate = _RateLimiter(windows, rate_spent, rate_age) if windows else None
        # where next_page points, as Zuora's example does (it names https://rest.zuora.com and keeps
        # only page and page_length); None: this simulator's own address
        self.next_page_host = next_page_host.rstrip("/") if next_page_host else None
        self.production = production  # production tenants also send ``messages``
        self.rejected_429 = 0
        self.stable_request_ids = stable_request_ids  # for snapshot tests: same path, same ID
        self.tls = tls  # (certfile, keyfile): serve https (tests use a self-signed certificate)
        # writes (issue 15): what was really done, for tests that prove nothing happened twice
        self.stops_performed: Counter[int] = Counter()  # run ID -> stops that took effect
        self.reruns_performed: Counter[int] = Counter()  # task ID -> reruns that took effect
        self.rerun_errors: set[int] = set()  # task IDs whose reruns fail again
        self.idempotency: dict[str, _Saved] = {}
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
        server_cls = _Server6 if ":" in self.host else _Server
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
        return spec.to_json(spec.created_ago + self.sim_time(), datetime.now(UTC), production=self.production)


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
        self._started = time.monotonic()
        self._method = method
        self._recorded = False
        self._rate_headers: dict[str, str] = {}  # per request: a keep-alive handler serves many
        with sim._lock:
            sim.in_flight += 1
            sim.max_in_flight = max(sim.max_in_flight, sim.in_flight)
        self._status = 0
        self._capture: list[tuple[int, Any, dict[str, str]]] | None = None
        try:
            self._dispatch(method)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            with sim._lock:
                sim.in_flight -= 1
            self._record(self._status)

    def _record(self, status: int) -> None:
        """Record the request once, *before* the answer leaves (so a test that reads
        ``sim.requests`` right after its call returned always finds it)."""
        if self._recorded:
            return
        self._recorded = True
        parts = urlsplit(self.path)
        self.sim.record(
            RequestRecord(
                self._method,
                parts.path,
                parse_qs(parts.query),
                self.headers.get("Zuora-Track-Id"),
                self.headers.get("Zuora-Entity-Ids"),
                self.headers.get("Zuora-Org-Ids"),
                self.headers.get("Authorization"),
                self.headers.get("Accept-Encoding"),
                status,
                self._started,
                time.monotonic(),
                self.headers.get("Idempotency-Key"),
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
        acted = [f for f in faults if f.acted]  # they apply once a write has been done
        faults = [f for f in faults if not f.acted]
        delay = sim.latency + sum(f.delay for f in faults if f.kind in ("latency", "hang"))
        if delay:
            time.sleep(delay)
        effective = [f for f in faults if f.kind not in ("latency", "hang", "fields", "next_page")]
        if effective and self._apply_fault(effective[0], run_id):
            return
        if path == "/oauth/token" and method == "POST":
            return self._token(body)
        if not path.startswith("/workflows"):
            return self._json(404, common_error(40, f"No such endpoint: {path[:100]}"))
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not sim.token_valid(auth[7:].strip()):
            return self._json(401, UNAUTHORIZED, {"WWW-Authenticate": 'Bearer realm="zuora", error="invalid_token"'})
        if sim.rate is not None:
            ok, self._rate_headers, wait = sim.rate.take()
            if not ok:
                with sim._lock:
                    sim.rejected_429 += 1
                return self._json(429, None, {"Retry-After": str(wait)})
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
            return self._write(method, path, lambda: self._stop(segments[2]), acted, run_id)
        if (
            method == "POST"
            and len(segments) == 4
            and segments[:2] == ["workflows", "tasks"]
            and segments[3] == "rerun"
        ):
            return self._write(method, path, lambda: self._rerun(segments[2]), acted, run_id)
        if method == "GET" and segments == ["workflows", "tasks"]:
            return self._tasks(query, foreign)
        if method == "GET" and len(segments) == 3 and segments[:2] == ["workflows", "tasks"]:
            return self._task(segments[2])
        if method == "GET" and len(segments) == 2 and segments[0] == "workflows":
            return self._definition(segments[1])
        return self._json(404, common_error(40, f"No such endpoint: {path[:100]}"))

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

    def _observe(self, spec: RunSpec) -> float:
        """A read of the run or of one of its tasks: its stop and reruns move on. Returns its age."""
        age = spec.created_ago + self.sim.sim_time()
        with self.sim.scenario.actions:
            spec.observe(age)
        return age

    def _run(self, raw_id: str, fields: dict[str, Any] | None) -> None:
        if not raw_id.isdigit():
            return self._json(400, common_error(20, f"Invalid workflow run id {raw_id[:40]}"))
        spec = self.sim.scenario.get(int(raw_id))
        if spec is not None:
            self._observe(spec)
        data = self.sim.run_json(int(raw_id))
        if data is None:
            return self._json(404, common_error(40, f"Workflow run {raw_id} not found"))
        if fields:
            data.update(fields)
        self._json(200, data)

    # ------------------------------------------------------------------ writes (issue 15)

    def _write(self, method: str, path: str, act: Callable[[], None], acted: list[Fault], run_id: int | None) -> None:
        """Do a write the way Zuora does: with an ``Idempotency-Key`` (POST only, as Zuora's guide
        says) the answer is saved, whatever it is, and a request with the same key gets the same
        answer without acting again (another path with that key: 422; the first still running: 409).
        A fault marked ``acted`` replaces the answer only after the write was done."""
        sim = self.sim
        key = self.headers.get("Idempotency-Key") if method in ("POST", "PATCH") else None
        saved: _Saved | None = None
        if key:
            with sim.scenario.actions:
                now = time.monotonic()
                saved = sim.idempotency.get(key)
                if saved is not None and now - saved.at > IDEMPOTENCY_TTL:
                    saved = None
                if saved is None:
                    sim.idempotency[key] = _Saved(method, path, now)
            if saved is not None:
                if (saved.method, saved.path) != (method, path):
                    return self._json(422, common_error(20, "This Idempotency-Key was used for another request."))
                if saved.answer is None:
                    return self._json(409, common_error(20, "A request with this Idempotency-Key is in progress."))
                return self._send(*saved.answer)
        self._capture = []
        try:
            act()
        finally:
            captured, self._capture = self._capture, None
        status, payload, headers = captured[0]
        if key:
            with sim.scenario.actions:
                sim.idempotency[key].answer = (status, payload, headers)
        fault = acted[0] if acted else None
        if fault is not None and fault.kind == "hang":
            self._record(status)  # tests read sim.requests as soon as the client gives up
            time.sleep(fault.delay)  # the client has given up by now: the answer goes nowhere
        elif fault is not None:
            self._apply_fault(fault, run_id)
            return
        self._send(status, payload, headers)

    def _stop(self, raw_id: str) -> None:
        """``PUT .../stop``: Stopping for a few reads of the run, then Stopped. A run that has
        ended answers 409 in the workflow error shape (what Zuora does there is not documented)."""
        spec = self.sim.scenario.get(int(raw_id)) if raw_id.isdigit() else None
        if spec is None:
            return self._json(404, STOP_NOT_FOUND)
        age = spec.created_ago + self.sim.sim_time()
        with self.sim.scenario.actions:
            before = spec.stop_request
            refusal = spec.request_stop(age)
            if spec.stop_request is not before:
                self.sim.stops_performed[spec.id] += 1
        if refusal is not None:
            return self._json(409, workflow_error(409, "invalid", refusal))
        self._json(200, {"success": True})

    def _rerun(self, raw_id: str) -> None:
        """``POST /workflows/tasks/{id}/rerun``: the task goes back to Queued, then Processing,
        then Success (or Error again: a validation error, or a task in ``rerun_errors``); the run
        is Processing meanwhile. Answers the task. A task that has not ended answers 409."""
        sim = self.sim
        located = self._locate(raw_id)
        if located is None:
            return self._json(404, TASK_NOT_FOUND)
        spec, index = located
        task_id = spec.task_id(index)
        age = spec.created_ago + sim.sim_time()
        with sim.scenario.actions:
            if spec.raw_override is not None:
                refusal: str | None = f"Task {task_id} belongs to the reference sample, which never changes."
            else:
                refusal = spec.request_rerun(index, age, task_id in sim.rerun_errors)
            if refusal is None:
                sim.reruns_performed[task_id] += 1
        if refusal is not None:
            return self._json(409, task_error(409, "invalid", refusal))
        self._json(200, spec.task_json(index, age, datetime.now(UTC)))

    def _locate(self, raw_id: str) -> tuple[RunSpec, int] | None:
        if raw_id.isdigit():
            task_id = int(raw_id)
            spec = self.sim.scenario.get(task_id // 100000)
            index = task_id % 100000 - 1
            if spec is not None and 0 <= index < spec.total:
                return spec, index
        return None

    def _tasks(self, query: dict[str, list[str]], foreign: str | None) -> None:
        """``GET /workflows/tasks``: the official filters, pages, and ``next_page`` as Zuora writes
        it: on ``next_page_host`` and with only ``page`` and ``page_length`` (the filters are
        dropped, so a client that follows it blindly lists every workflow's tasks)."""
        sim = self.sim
        try:
            page = max(1, int((query.get("page") or ["1"])[0]))
            length = max(1, min(100, int((query.get("page_length") or ["20"])[0])))
        except ValueError:
            return self._json(400, common_error(20, "page and page_length must be integers"))
        raw_ids = query.get("workflow_id")
        raw_id = raw_ids[0] if raw_ids else None
        if raw_id is not None and not raw_id.isdigit():
            return self._json(400, common_error(20, f"Invalid workflow_id {raw_id[:40]}"))
        specs = [s for s in [sim.scenario.get(int(raw_id))] if s] if raw_id is not None else sim.scenario.runs()
        checks = {key: query[key][-1] for key in TASK_FILTERS if key in query}
        tags = set(query.get("tags[]") or [])
        instance = (query.get("instance") or ["true"])[-1].lower()
        now = datetime.now(UTC)
        start = (page - 1) * length
        data: list[dict[str, Any]] = []
        more = False
        if instance == "false":
            specs = []  # the simulator serves runs only: it has no definition tasks
        if not checks and not tags and len(specs) <= 1:
            for spec in specs:  # one run, no filters: slice the run's tasks directly
                age = spec.created_ago + sim.sim_time()
                state = spec.state(age)
                end = min(spec.total, start + length)
                data = [spec.task_json(i, age, now, state) for i in range(start, end)]
                more = end < spec.total
        else:
            seen = 0
            for task in self._all_tasks(specs, now, checks.get("object_id")):
                if any(str(task.get(key)) != value for key, value in checks.items()):
                    continue
                if tags and not tags & set(task.get("tags") or []):
                    continue
                if seen >= start + length:
                    more = True
                    break
                if seen >= start:
                    data.append(task)
                seen += 1
        pagination: dict[str, Any] = {"page": page, "page_length": length}
        if more:
            host = foreign or sim.next_page_host or f"{'https' if sim.tls else 'http'}://{self.headers.get('Host')}"
            pagination["next_page"] = f"{host}/workflows/tasks?page={page + 1}&page_length={length}"
        self._json(200, {"data": data, "pagination": pagination})

    def _all_tasks(self, specs: list[RunSpec], now: datetime, object_id: str | None = None) -> Iterator[dict[str, Any]]:
        """Every task of ``specs`` (that may carry ``object_id``), run after run (bounded: the
        scan stops at MAX_SCAN tasks)."""
        scanned = 0
        for spec in specs:
            age = spec.created_ago + self.sim.sim_time()
            state = spec.state(age)
            for index in spec.indices(object_id):
                if scanned >= MAX_SCAN:
                    return
                scanned += 1
                yield spec.task_json(index, age, now, state)

    def _definition(self, raw_id: str) -> None:
        """``GET /workflows/{workflow_id}``: the definition, in the shape of Zuora's example."""
        if not raw_id.isdigit():
            return self._json(400, common_error(20, f"Invalid workflow id {raw_id[:40]}"))
        data = self.sim.scenario.definition(int(raw_id))
        if data is None:
            return self._json(404, common_error(40, WORKFLOW_NOT_FOUND))
        self._json(200, data)

    def _task(self, raw_id: str) -> None:
        located = self._locate(raw_id)
        if located is None:
            return self._json(404, TASK_NOT_FOUND)
        spec, index = located
        age = self._observe(spec)
        self._json(200, spec.task_json(index, age, datetime.now(UTC)))

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
            self._record(-1)
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
        if self._capture is not None:  # a write keeps its answer (``_write``), with its Request-Id
            request_id = str(uuid.uuid5(uuid.NAMESPACE_URL, self.path) if self.sim.stable_request_ids else uuid.uuid4())
            self._capture.append((status, payload, {**headers, "Zuora-Request-Id": request_id}))
            return
        if payload is None:  # no body (Zuora's 429)
            body, content_type = b"", "application/json"
        elif isinstance(payload, (bytes, bytearray)):
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
        out["Zuora-Request-Id"] = headers.get("Zuora-Request-Id") or str(
            uuid.uuid5(uuid.NAMESPACE_URL, self.path) if self.sim.stable_request_ids else uuid.uuid4()
        )
        track = self.headers.get("Zuora-Track-Id")
        if track:
            out["Zuora-Track-Id"] = track
        out.update(self._rate_headers)
        if len(body) > 1000 and "gzip" in (self.headers.get("Accept-Encoding") or "") and status != 302:
            body = gzip.compress(body, compresslevel=5)
            out["Content-Encoding"] = "gzip"
        self._status = status
        self._record(status)
        self.send_response(status)
        for name, value in out.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
