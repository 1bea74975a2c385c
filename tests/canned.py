"""A tiny loopback HTTP server that answers exactly what a test tells it to (standard library).

The simulator answers in Zuora's shapes but computes its answers; the conformance and pagination
tests need the exact bytes of Zuora's published examples, or a server that misbehaves on purpose
(the same page forever, a ``next_page`` pointing back). ``CannedServer(route)`` calls
``route(method, path, query)`` for every request and sends back the ``Answer`` it returns.
Every request is recorded before its answer leaves.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

EXAMPLES = Path(__file__).resolve().parent / "data" / "zuora"


def example_bytes(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


def example(name: str) -> Any:
    return json.loads(example_bytes(name))


@dataclass
class Answer:
    status: int = 200
    body: bytes | str | Any = b""  # bytes as is; str as text; anything else as JSON
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


Route = Callable[[str, str, dict[str, list[str]]], Answer]


class CannedServer:
    def __init__(self, route: Route) -> None:
        self.route = route
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(min(length, 1 << 20))
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                with owner._lock:
                    owner.requests.append(Seen(self.command, parts.path, query, dict(self.headers.items())))
                answer = owner.route(self.command, parts.path, query)
                body = answer.body
                content_type = "application/json"
                if isinstance(body, str):
                    body, content_type = body.encode(), "text/plain; charset=utf-8"
                elif not isinstance(body, bytes):
                    body = json.dumps(body).encode()
                self.send_response(answer.status)
                headers = {"Content-Type": content_type, "Zuora-Request-Id": f"canned-{len(owner.requests):04d}"}
                headers.update(answer.headers)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> CannedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def seen(self, path_fragment: str) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if path_fragment in r.path]
