"""The httpx plumbing both drivers share: how the clients are built, the attempt deadline at the
socket, no cookies, and what a transport failure means.

- **Deadline at the socket.** httpx's read timeout restarts on every byte, so a server trickling
  one byte a second keeps a request alive for ever. The drivers set ``deadline.attempt`` around
  an exchange, and a thin wrapper around httpcore's (public) network backend clamps the timeout
  of every connect, TLS handshake, write and read to the time left: connect + headers + body
  together end by the deadline. httpx has no public knob for the backend (encode/httpx#3749
  proposes one), so it is set on the transport's pool; tests fail if that ever stops working.
- **No cookies.** zwr needs none; a jar that keeps nothing means a server's ``Set-Cookie`` flood
  cannot grow memory or the ``Cookie`` header of later requests.
- **Failures.** Transport exceptions become ``Failure``s with a person-readable error and
  whether the request provably never left (so writes know when a retry is safe).
"""

from __future__ import annotations

import logging
import socket
import ssl
import time
from collections.abc import Iterable
from http.cookiejar import CookieJar
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from tui import __version__
from tui.core import deadline
from tui.core import errors as E
from tui.core.policy import Failure
from tui.core.settings import ClientSettings

log = logging.getLogger("zwr.client")


class NoCookies(CookieJar):
    """A cookie jar that keeps nothing."""

    def set_cookie(self, cookie: Any) -> None:
        pass

    def extract_cookies(self, response: Any, request: Any) -> None:
        pass


# ---------------------------------------------------------------------------- deadline at the socket


def _left(timeout: float | None, expired: type[Exception]) -> float | None:
    """``timeout`` clamped to the time left before the attempt deadline; raise once it is over."""
    ends = deadline.attempt.get()
    if ends is None:
        return timeout
    left = ends - time.monotonic()
    if left <= 0:
        raise expired("the attempt deadline passed")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> _Stream:
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, _left(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> _Stream:
        stream = self._inner.connect_tcp(
            host, port, _left(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _Stream(stream)

    def connect_unix_socket(  # pragma: no cover - unused
        self, path: str, timeout: float | None = None, socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
    ) -> _Stream:
        return _Stream(self._inner.connect_unix_socket(path, _left(timeout, httpcore.ConnectTimeout), socket_options))

    def sleep(self, seconds: float) -> None:  # pragma: no cover - httpcore uses it for connect retries only
        self._inner.sleep(seconds)


class _AsyncStream(httpcore.AsyncNetworkStream):
    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, _left(timeout, httpcore.WriteTimeout))

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> _AsyncStream:
        inner = await self._inner.start_tls(ssl_context, server_hostname, _left(timeout, httpcore.ConnectTimeout))
        return _AsyncStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _AsyncBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> _AsyncStream:
        stream = await self._inner.connect_tcp(
            host, port, _left(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _AsyncStream(stream)

    async def connect_unix_socket(  # pragma: no cover - unused
        self, path: str, timeout: float | None = None, socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
    ) -> _AsyncStream:
        stream = await self._inner.connect_unix_socket(path, _left(timeout, httpcore.ConnectTimeout), socket_options)
        return _AsyncStream(stream)

    async def sleep(self, seconds: float) -> None:  # pragma: no cover - see _Backend.sleep
        await self._inner.sleep(seconds)


def _install(transport: Any, wrapper: type) -> None:
    try:
        pool = transport._pool  # no public way to pass a network backend through httpx (see module doc)
        pool._network_backend = wrapper(pool._network_backend)
    except AttributeError:  # a future httpx: still usable, but only per-read timeouts (the tests say so)
        log.warning("cannot install the attempt deadline in this httpx version; reads time out one by one")


# ---------------------------------------------------------------------------- the clients


def _options(settings: ClientSettings) -> dict[str, Any]:
    return {
        "timeout": httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
        "follow_redirects": False,
        "trust_env": False,
        "cookies": NoCookies(),
        "headers": {"User-Agent": f"zwr/{__version__}"},
    }


def _limits(settings: ClientSettings) -> httpx.Limits:
    return httpx.Limits(max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency)


def _verify(settings: ClientSettings) -> ssl.SSLContext | bool:
    """Certificate checks: httpx's own (certifi's CAs, checked host names) for https://.

    A plain http:// origin (allowed for loopback only: the simulator) never negotiates TLS:
    every request goes to that origin and redirects are not followed. Loading the CA bundle
    for it would cost ~20 ms of CPU before the first request (half of `zwr demo`'s first
    fetch), so it gets a context with no CAs loaded instead: should TLS ever be attempted with
    it, no certificate verifies (it fails closed, never open)."""
    if urlsplit(settings.base_url).scheme == "http":
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED and check_hostname, no CAs
    return True


def sync_http(settings: ClientSettings) -> httpx.Client:
    transport = httpx.HTTPTransport(limits=_limits(settings), trust_env=False, verify=_verify(settings))
    _install(transport, _Backend)
    return httpx.Client(transport=transport, **_options(settings))


def async_http(settings: ClientSettings, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    if transport is None:
        transport = httpx.AsyncHTTPTransport(limits=_limits(settings), trust_env=False, verify=_verify(settings))
        _install(transport, _AsyncBackend)
    return httpx.AsyncClient(transport=transport, **_options(settings))


# ---------------------------------------------------------------------------- failures


def never_sent(exc: BaseException) -> bool:
    """True only if the request cannot have reached the server: the connection never opened."""
    return isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, ConnectionRefusedError))


def failure(exc: Exception, base_url: str, timeout: float) -> Failure:
    return Failure(describe_transport_error(exc, base_url, timeout), sent=not never_sent(exc))


def describe_transport_error(exc: Exception, base_url: str, timeout: float | None = None) -> E.ZwrError:
    host = urlsplit(base_url).hostname or base_url
    chain: list[BaseException] = []
    cursor: BaseException | None = exc
    while cursor is not None and len(chain) < 10:
        chain.append(cursor)
        cursor = cursor.__cause__ or cursor.__context__
    text = " ".join(f"{type(e).__name__} {e}" for e in chain).lower()
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        text += " refused"
    if any(isinstance(e, socket.gaierror) for e in chain):
        text += " name resolution"
    if any(isinstance(e, ssl.SSLError) for e in chain):
        text += " certificate"
    if isinstance(exc, httpx.TimeoutException):
        if isinstance(exc, httpx.ConnectTimeout):
            return E.Timeout(f"Timed out connecting to {host}.")
        within = f" (no complete answer within {timeout:.3g}s)" if timeout is not None else ""
        return E.Timeout(f"Timed out waiting for an answer from {host}{within}.")
    if "certificate" in text or "ssl" in text or "tls" in text:
        return E.NetworkError(
            f"TLS failure talking to {host}: the server's certificate is not trusted "
            "(check the base URL; zwr never skips certificate checks)."
        )
    if (
        "name or service not known" in text
        or "nodename nor servname" in text
        or "name resolution" in text
        or "getaddrinfo" in text
        or "no address associated" in text
    ):
        return E.NetworkError(f"Cannot resolve host {host}: check the base URL and your DNS/network.")
    if "refused" in text:
        return E.NetworkError(f"Connection refused by {host}: nothing is listening there.")
    if isinstance(exc, httpx.RemoteProtocolError) and ("too long" in text or "too large" in text):
        return E.BadResponse(f"{host} sent response headers larger than zwr accepts; not read.")
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return E.NetworkError(f"The connection to {host} was closed in the middle of a response.")
    return E.NetworkError(f"Network error talking to {host} ({type(exc).__name__}).")
