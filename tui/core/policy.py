"""The request policy, written once for every driver: retries, backoff, ``Retry-After``, token
renewal, deadlines, the origin check and the mapping of HTTP statuses to errors.

It is "sans-IO": a flow is a generator that never touches a socket or sleeps. It yields steps
and is sent back their results by a driver (the async ``client.ZuoraClient`` or the blocking
``blocking.BlockingClient`` behind ``zwr get``)::

    flow = policy.exchange(spec, renewable=auth.renewable)
    reply = None
    while True:
        step = flow.send(reply)          # StopIteration.value is the flow's result
        Send      -> reply = the Response, or a Failure (drivers never raise transport errors)
        Sleep     -> sleep step.seconds; reply = None
        NeedToken -> reply = a bearer token (a Secret); renew first if step.stale is set

Both drivers therefore retry, wait and give up identically, and tests can walk a flow step by
step with made-up replies.

Retry modes (``RequestSpec.idempotent``):
- idempotent (GET, the token request, or a write that carries an ``Idempotency-Key``): retried
  after 429/502/503/504, timeouts and network errors;
- not idempotent (a write without a key): retried only when the request provably never reached
  Zuora (the connection could not be opened: refused, DNS, TLS, connect timeout) or Zuora
  refused it unprocessed (429; 401 before a token renewal). Never after a timeout, a reset or a
  5xx, where Zuora may have acted on it.

Every wait is clamped: a server-sent ``Retry-After`` to ``MAX_WAIT`` (``inf`` included; ``nan`` is
unreadable, so backoff applies);
sleeps to the call's retry-wait budget and to its deadline (``settings.call_budget`` and the
caller's ``deadline.within``); a sleep that would not fit ends the call with the error instead.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar
from urllib.parse import urlsplit

from tui.core import deadline
from tui.core import errors as E
from tui.core.auth import AuthProvider, TokenForm
from tui.core.environments import origin
from tui.core.errors import parse_error_body
from tui.core.headers import new_track_id, request_headers, validate_idempotency_key
from tui.core.ratelimit import parse_retry_after
from tui.core.secret import Secret
from tui.core.settings import ClientSettings

if TYPE_CHECKING:
    from random import Random

    import httpx

RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_WAIT = 3600.0  # the longest wait any server text can ask for; longer, inf or nan become this
TOKEN_MAX_WAIT = 10.0  # a token request waits at most this long for a Retry-After


# ---------------------------------------------------------------------------- what flows exchange
# Immutable records are NamedTuples: a frozen dataclass costs ~1 ms of `zwr get` start-up each.


class RequestSpec(NamedTuple):
    """One logical request (all its attempts). Build writes with ``RequestSpec.write``."""

    method: str
    url: str
    what: str  # for messages: "Run 19063", "The token endpoint"
    params: Mapping[str, Any] | None = None
    form: TokenForm | None = None
    authorized: bool = True  # send the bearer token (and renew it once on 401)
    idempotent: bool = True
    idempotency_key: str | None = None
    max_attempts: int | None = None  # None: settings.max_attempts
    max_wait: float | None = None  # the longest single wait this request accepts

    @classmethod
    def write(
        cls, method: str, url: str, *, what: str, idempotency_key: str | None = None, **options: Any
    ) -> RequestSpec:
        """A request that changes something in Zuora. With an ``Idempotency-Key`` (the same on
        every attempt) it may be retried like a read; without one, only when it never left."""
        if idempotency_key is not None:
            validate_idempotency_key(idempotency_key)
        return cls(
            method.upper(),
            url,
            what,
            idempotency_key=idempotency_key,
            idempotent=idempotency_key is not None,
            **options,
        )


class Outgoing:
    """One attempt of a request. Holds the token as a ``Secret``: the plaintext exists only in
    the ``httpx.Headers`` that ``headers()`` builds (its repr masks Authorization)."""

    __slots__ = ("_settings", "_token", "spec", "track_id")

    def __init__(self, spec: RequestSpec, token: Secret | None, settings: ClientSettings) -> None:
        self.spec = spec
        self._token = token
        self._settings = settings
        self.track_id = settings.track_id or new_track_id()

    @property
    def method(self) -> str:
        return self.spec.method

    @property
    def url(self) -> str:
        return self.spec.url

    @property
    def params(self) -> Mapping[str, Any] | None:
        return self.spec.params

    def headers(self) -> httpx.Headers:
        return request_headers(
            track_id=self.track_id,
            entity_ids=self._settings.entity_ids,
            org_ids=self._settings.org_ids,
            token=self._token,
            idempotency_key=self.spec.idempotency_key,
            form=self.spec.form is not None,
        )

    def content(self) -> bytes | None:
        return self.spec.form.encode() if self.spec.form is not None else None

    def __repr__(self) -> str:
        return f"Outgoing({self.spec.method} {urlsplit(self.spec.url).path})"


class Response:
    """A complete answer: status, headers and the body after all decoding (within the cap).

    Not a tuple: Rich pretty-prints tuples item by item in tracebacks, and the token endpoint's
    body holds the token; this repr never shows the body."""

    __slots__ = ("body", "elapsed", "headers", "request_id", "status")

    def __init__(self, status: int, headers: Any, body: bytes, request_id: str | None, elapsed: float) -> None:
        self.status = status
        self.headers = headers  # httpx.Headers
        self.body = body
        self.request_id = request_id
        self.elapsed = elapsed

    def __repr__(self) -> str:
        return f"Response(status={self.status}, {len(self.body)} bytes, request_id={self.request_id!r})"


class Failure(NamedTuple):
    """An attempt that got no complete answer. ``sent`` is False only when the request provably
    never reached the server (the connection was never opened)."""

    error: E.ZwrError
    sent: bool = True


class Send(NamedTuple):
    outgoing: Outgoing
    deadline: float  # monotonic time by which the whole attempt must be over
    timeout: float  # the same as seconds, for messages


class Sleep(NamedTuple):
    seconds: float


class NeedToken(NamedTuple):
    stale: Secret | None = None  # a token Zuora rejected: drop it and get a fresh one


Step = Send | Sleep | NeedToken
_Result = TypeVar("_Result")
# A policy flow yields steps, is sent each step's answer (Send: Response | Failure, Sleep: None,
# NeedToken: Secret) and returns its result; the drivers in ``client`` and ``blocking`` run it.
Flow = Generator[Step, Any, _Result]
ErrorFor = Callable[[Response, str, bool], E.ZwrError]


# ---------------------------------------------------------------------------- status -> error


def sane_wait(seconds: float | None) -> float | None:
    """A server-requested wait as a finite number of seconds in [0, MAX_WAIT], or None."""
    if seconds is None or math.isnan(seconds):
        return None
    return min(max(0.0, seconds), MAX_WAIT)


def status_error(response: Response, what: str, renewable: bool) -> E.ZwrError:
    status = response.status
    body = parse_error_body(response.body)
    common: dict[str, Any] = {"status": status, "request_id": response.request_id, "zuora_text": body.text}
    if status == 401:
        hint = (
            "the OAuth client ID or secret was rejected, or a fresh token was refused"
            if renewable
            else "the access token is invalid or has expired (tokens live one hour)"  # not "bearer <word>": scrubbed
        )
        return E.AuthError(f"Zuora refused the credentials (HTTP 401): {hint}.", **common)
    if status == 403:
        return E.PermissionDenied(
            'Permission denied (HTTP 403): your Zuora user needs the "Workflow View Access" permission '
            "(and access to this entity/org).",
            **common,
        )
    if status == 404:
        return E.NotFound(
            f"{what} was not found (HTTP 404). Runs are kept 30 days by default in sandboxes and 45 days "
            "in production, so an old bookmark can point at a deleted run; also check the environment "
            "and entity.",
            **common,
        )
    if status == 429:
        retry = sane_wait(parse_retry_after(response.headers.get("Retry-After")))
        return E.RateLimited(
            "Rate limited by Zuora (HTTP 429)" + (f": retry in {retry:.0f}s." if retry is not None else "."),
            retry_after=retry,
            **common,
        )
    if 500 <= status <= 599:
        retry = sane_wait(parse_retry_after(response.headers.get("Retry-After")))
        return E.ServerError(f"Zuora had a server error (HTTP {status}).", retry_after=retry, **common)
    if 300 <= status <= 399:
        target = urlsplit(response.headers.get("Location", "")).hostname or "another location"
        return E.BadResponse(
            f"Zuora answered with a redirect (HTTP {status}) to {target}; "
            "zwr does not follow redirects, so credentials never leave the configured host.",
            **common,
        )
    if status == 400:
        return E.BadInput("Zuora rejected the request (HTTP 400).", **common)
    return E.BadResponse(f"Unexpected HTTP {status} from Zuora.", **common)


def token_error(response: Response, what: str, renewable: bool) -> E.ZwrError:
    if response.status in (400, 401):
        return E.AuthError(
            f"Zuora rejected the OAuth client ID or secret (token request failed, HTTP {response.status}).",
            status=response.status,
            request_id=response.request_id,
            zuora_text=parse_error_body(response.body).text,
        )
    return status_error(response, what, renewable=True)


# ---------------------------------------------------------------------------- the policy


class Policy:
    """The policy for one client: its settings, its origin, its jitter source and clock."""

    def __init__(
        self, settings: ClientSettings, rng: Random | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._rng = rng
        self._origin = origin(settings.base_url)

    def __repr__(self) -> str:
        return f"Policy({self.settings.base_url!r})"

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff."""
        if self._rng is None:
            import random  # only once a retry is due: keeps `zwr get` start-up lean

            self._rng = random.Random()
        s = self.settings
        return self._rng.uniform(0, min(s.backoff_cap, s.backoff_base * (2 ** (attempt - 1))))

    def exchange(
        self, spec: RequestSpec, *, renewable: bool, error_for: ErrorFor = status_error
    ) -> Flow[tuple[Response, int]]:
        """Send ``spec`` until it succeeds or the policy gives up. Returns ``(Response, attempts)``
        for a 2xx answer; raises a ``ZwrError`` otherwise."""
        s = self.settings
        if origin(spec.url) != self._origin:  # nothing leaves the configured origin, whoever built the URL
            raise E.BadResponse("Refusing to send a request outside the configured Zuora host.")
        ends = self.clock() + s.call_budget
        caller = deadline.call_deadline()
        if caller is not None:
            ends = min(ends, caller)
        max_attempts = spec.max_attempts or s.max_attempts
        waited = 0.0
        renewed = False
        stale: Secret | None = None
        attempt = 0
        while True:
            attempt += 1
            token = (yield NeedToken(stale)) if spec.authorized else None
            stale = None
            now = self.clock()
            if now >= ends:
                raise E.Timeout(f"{spec.what}: no time left to ask Zuora (the deadline passed).")
            timeout = min(s.read_timeout, ends - now)
            reply = yield Send(Outgoing(spec, token, s), now + timeout, timeout)
            error: E.ZwrError
            if isinstance(reply, Failure):
                error = reply.error
                if not isinstance(error, (E.Timeout, E.NetworkError)):
                    raise error
                if reply.sent and not spec.idempotent:
                    error.message += " The request may have reached Zuora, so it was not repeated."
                    raise error
                retry_after = None
            else:
                if 200 <= reply.status < 300:
                    return reply, attempt
                if reply.status == 401 and spec.authorized and renewable and not renewed:
                    renewed = True  # rejected before processing: safe to repeat with a fresh token
                    stale = token
                    attempt -= 1  # the renewal retry is not a failure attempt
                    continue
                error = error_for(reply, spec.what, renewable)
                if reply.status not in RETRY_STATUSES or not (spec.idempotent or reply.status == 429):
                    raise error
                retry_after = error.retry_after
            delay = retry_after if retry_after is not None else self.backoff(attempt)
            if (
                attempt >= max_attempts
                or waited + delay > s.max_retry_wait
                or (spec.max_wait is not None and delay > spec.max_wait)
                or self.clock() + delay >= ends
            ):
                error.message += f" Gave up after {attempt} attempt{'s' if attempt > 1 else ''}."
                raise error
            yield Sleep(delay)
            waited += delay

    def token_exchange(self, auth: AuthProvider) -> Flow[Secret]:
        """``POST /oauth/token`` (at most two attempts, short waits). Returns the new token."""
        spec = RequestSpec(
            "POST",
            self.settings.base_url + "/oauth/token",
            "The token endpoint",
            form=auth.token_form(),
            authorized=False,
            idempotent=True,  # an extra token changes nothing in the tenant
            max_attempts=2,
            max_wait=TOKEN_MAX_WAIT,
        )
        response, _ = yield from self.exchange(spec, renewable=False, error_for=token_error)
        return auth.accept(response)
