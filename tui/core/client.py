"""The async Zuora Workflow client: one place that talks HTTP, retries, and maps errors.

Design rules (see ../shared/reference):
- the bearer token is sent only to the configured origin; redirects are never followed and
  ``next_page`` is never requested as such: its page number is asked of the configured host;
- GETs retry on 429/502/503/504, timeouts and connection errors with full-jitter backoff,
  honour ``Retry-After``, and give up within a bounded total wait;
- bodies are read in streaming mode with a hard size cap (after gzip decoding);
- in-flight requests are bounded by a semaphore, held only while a request is on the wire.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from tui import __version__
from tui.core import errors as E
from tui.core.auth import AuthProvider
from tui.core.environments import origin, validate_base_url
from tui.core.errors import parse_error_body, read_error_json
from tui.core.headers import new_track_id, normalise_id_list, validate_track_id
from tui.core.model import Run, Task, Workflow, parse_int
from tui.core.pagination import PageRequest, TaskPager
from tui.core.ratelimit import RateLimit, parse_retry_after
from tui.core.search import TaskQuery, TaskSearch
from tui.core.secret import Secret

log = logging.getLogger("zwr.client")

RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class ClientSettings:
    base_url: str
    entity_ids: str | None = None
    org_ids: str | None = None
    track_id: str | None = None  # fixed Track-Id; otherwise one is generated per request
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_body_bytes: int = 8 * 1024 * 1024
    max_attempts: int = 4
    max_retry_wait: float = 30.0
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    concurrency: int = 8
    page_concurrency: int = 8  # Zuora allows 40 requests in flight per tenant

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", validate_base_url(self.base_url))
        object.__setattr__(self, "entity_ids", normalise_id_list(self.entity_ids, "Entity IDs"))
        object.__setattr__(self, "org_ids", normalise_id_list(self.org_ids, "Org IDs"))
        if self.track_id is not None:
            validate_track_id(self.track_id)


@dataclass(frozen=True, slots=True)
class ResponseMeta:
    status: int
    request_id: str | None
    track_id: str | None
    rate_limit: RateLimit | None
    elapsed: float
    attempts: int
    fetched_at: float = field(default_factory=time.time)


@dataclass(frozen=True, slots=True)
class RunResult:
    run: Run
    meta: ResponseMeta


@dataclass(frozen=True, slots=True)
class TaskList:
    """A run's tasks as listed by Zuora (see ``tui.core.pagination`` for the safety rules)."""

    run_id: int
    tasks: tuple[Task, ...]  # the run's own tasks, in Zuora's order, each ID once
    pages: int
    meta: ResponseMeta | None  # of the first page: its Zuora-Request-Id is the one to quote
    expected_total: int | None = None  # the run's tasks.total the listing was sized by
    left_out: int = 0  # tasks of other workflows (``workflow_id`` differs) that were not listed
    partial: str | None = None  # why the listing stopped before Zuora said it was complete

    @property
    def complete(self) -> bool:
        return self.partial is None


@dataclass(slots=True)
class _Raw:
    status: int
    headers: httpx.Headers
    body: bytes
    request_id: str | None
    elapsed: float


def _describe_transport_error(exc: Exception, base_url: str) -> E.ZwrError:
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
        kind = "connecting to" if isinstance(exc, httpx.ConnectTimeout) else "waiting for an answer from"
        return E.Timeout(f"Timed out {kind} {host}.")
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
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return E.NetworkError(f"The connection to {host} was closed in the middle of a response.")
    return E.NetworkError(f"Network error talking to {host} ({type(exc).__name__}).")


def _status_error(status: int, raw: _Raw, *, what: str, renewable: bool) -> E.ZwrError:
    body = parse_error_body(raw.body)
    common: dict[str, Any] = {"status": status, "request_id": raw.request_id, "zuora_text": body.text}
    if status == 401:
        hint = (
            "the OAuth client ID or secret was rejected, or a fresh token was refused"
            if renewable
            else "the bearer token is invalid or has expired (tokens live one hour)"
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
        retry = parse_retry_after(raw.headers.get("Retry-After"))
        return E.RateLimited(
            "Rate limited by Zuora (HTTP 429)" + (f": retry in {retry:.0f}s." if retry is not None else "."),
            retry_after=retry,
            **common,
        )
    if 500 <= status <= 599:
        retry = parse_retry_after(raw.headers.get("Retry-After"))
        return E.ServerError(f"Zuora had a server error (HTTP {status}).", retry_after=retry, **common)
    if 300 <= status <= 399:
        target = urlsplit(raw.headers.get("Location", "")).hostname or "another location"
        return E.BadResponse(
            f"Zuora answered with a redirect (HTTP {status}) to {target}; "
            "zwr does not follow redirects, so credentials never leave the configured host.",
            **common,
        )
    if status == 400:
        return E.BadInput("Zuora rejected the request (HTTP 400).", **common)
    return E.BadResponse(f"Unexpected HTTP {status} from Zuora.", **common)


class ZuoraClient:
    """Async client. Use as ``async with ZuoraClient(settings, auth) as client: ...``."""

    def __init__(
        self,
        settings: ClientSettings,
        auth: AuthProvider,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.auth = auth
        self._origin = origin(settings.base_url)
        self._base_path = urlsplit(settings.base_url).path
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._semaphore: asyncio.Semaphore | None = None
        self._semaphore_loop: asyncio.AbstractEventLoop | None = None
        timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
        limits = httpx.Limits(max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency)
        self._http = httpx.AsyncClient(
            timeout=timeout,
            limits=limits,
            follow_redirects=False,
            transport=transport,
            trust_env=False,
            headers={"User-Agent": f"zwr/{__version__}"},
        )
        self.rate_limit: RateLimit | None = None
        self.last_request_id: str | None = None
        self.in_flight = 0
        self.max_in_flight = 0
        self.requests_sent = 0
        self._sent_at_rate_mark = 0

    def __repr__(self) -> str:
        return f"ZuoraClient(base_url={self.settings.base_url!r})"

    def budget_left(self) -> tuple[int, float] | None:
        """Requests we may still send in the window ``RateLimit-Remaining`` belongs to (our
        estimate: its last value minus what we sent since) and seconds until it resets."""
        rate = self.rate_limit
        if rate is None or rate.remaining is None:
            return None
        left = rate.remaining - (self.requests_sent - self._sent_at_rate_mark)
        reset = rate.reset if rate.reset is not None else (rate.window or 60.0)
        resets_in = max(0.0, rate.observed_at + reset - time.monotonic())
        return left, resets_in

    async def __aenter__(self) -> ZuoraClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------------ plumbing

    def _sem(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._semaphore is None or self._semaphore_loop is not loop:
            self._semaphore = asyncio.Semaphore(self.settings.concurrency)
            self._semaphore_loop = loop
        return self._semaphore

    def _headers(self, token: Secret | None) -> dict[str, str]:
        headers = {
            "Accept": "application/json",
            "Accept-Encoding": "gzip",
            "Zuora-Track-Id": self.settings.track_id or new_track_id(),
        }
        if self.settings.entity_ids:
            headers["Zuora-Entity-Ids"] = self.settings.entity_ids
        if self.settings.org_ids:
            headers["Zuora-Org-Ids"] = self.settings.org_ids
        if token is not None:
            headers["Authorization"] = "Bearer " + token.reveal()
        return headers

    def url(self, path: str) -> str:
        return self.settings.base_url + path

    async def _send(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        token: Secret | None = None,
        form: dict[str, str] | None = None,
    ) -> _Raw:
        if origin(url) != self._origin:  # defence in depth: nothing leaves the configured origin
            raise E.BadResponse("Refusing to send a request outside the configured Zuora host.")
        headers = self._headers(token)
        cap = self.settings.max_body_bytes
        async with self._sem():
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.requests_sent += 1
            started = time.perf_counter()
            try:
                request = self._http.build_request(method, url, params=params, headers=headers, data=form)
                response = await self._http.send(request, stream=True)
                try:
                    declared = response.headers.get("Content-Length")
                    if (
                        declared
                        and declared.isdigit()
                        and int(declared) > cap
                        and "gzip" not in response.headers.get("Content-Encoding", "")
                    ):
                        raise self._too_large(response)
                    chunks: list[bytes] = []
                    size = 0
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if size > cap:
                            raise self._too_large(response)
                        chunks.append(chunk)
                finally:
                    await response.aclose()
            except E.ZwrError:
                raise
            except httpx.DecodingError:
                raise E.BadResponse("Zuora sent a compressed body that could not be decoded.") from None
            except (httpx.TransportError, OSError) as exc:
                raise _describe_transport_error(exc, self.settings.base_url) from None
            finally:
                self.in_flight -= 1
        elapsed = time.perf_counter() - started
        request_id = response.headers.get("Zuora-Request-Id")
        if request_id:
            self.last_request_id = request_id[:64]
        rate = RateLimit.from_headers(response.headers)
        if rate is not None:
            self.rate_limit = rate
            self._sent_at_rate_mark = self.requests_sent
        log.debug(
            "%s %s -> %s in %.0f ms (Zuora-Request-Id %s)",
            method,
            urlsplit(url).path,
            response.status_code,
            elapsed * 1000,
            request_id,
        )
        return _Raw(response.status_code, response.headers, b"".join(chunks), request_id, elapsed)

    def _too_large(self, response: httpx.Response) -> E.BadResponse:
        mb = self.settings.max_body_bytes / (1024 * 1024)
        return E.BadResponse(
            f"Zuora's response is larger than the {mb:.0f} MB limit; not read.",
            status=response.status_code,
            request_id=response.headers.get("Zuora-Request-Id"),
        )

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.settings.backoff_cap, self.settings.backoff_base * (2 ** (attempt - 1)))
        return self._rng.uniform(0, ceiling)

    async def _get(self, url: str, *, params: dict[str, Any] | None = None, what: str) -> tuple[_Raw, int]:
        """GET with auth renewal and retries. Returns the successful response and attempt count."""
        waited = 0.0
        renewed = False
        attempt = 0
        while True:
            attempt += 1
            token = await self.auth.token(self)
            error: E.ZwrError
            try:
                raw = await self._send("GET", url, params=params, token=token)
            except (E.Timeout, E.NetworkError) as exc:
                error, retry_after = exc, None
            else:
                if 200 <= raw.status < 300:
                    return raw, attempt
                if raw.status == 401 and self.auth.renewable and not renewed:
                    renewed = True
                    self.auth.invalidate(token)
                    attempt -= 1  # the renewal retry is not a failure attempt
                    continue
                error = _status_error(raw.status, raw, what=what, renewable=self.auth.renewable)
                if raw.status not in RETRY_STATUSES:
                    raise error
                retry_after = error.retry_after
            delay = retry_after if retry_after is not None else self._backoff(attempt)
            if attempt >= self.settings.max_attempts or waited + delay > self.settings.max_retry_wait:
                error.message += f" Gave up after {attempt} attempt{'s' if attempt > 1 else ''}."
                raise error
            log.debug("retrying %s in %.2fs after %s", what, delay, error.kind)
            await self._sleep(delay)
            waited += delay

    async def _post_token(self, client_id: str, secret: Secret) -> _Raw:
        """Exchange client credentials for a token. Called by ``OAuthClientCredentials`` only."""
        form = {"client_id": client_id, "client_secret": secret.reveal(), "grant_type": "client_credentials"}
        attempt = 0
        while True:
            attempt += 1
            try:
                raw = await self._send("POST", self.url("/oauth/token"), form=form)
            except (E.Timeout, E.NetworkError):
                if attempt >= 2:
                    raise
                await self._sleep(self._backoff(attempt))
                continue
            if 200 <= raw.status < 300:
                return raw
            if raw.status in (400, 401):
                body = parse_error_body(raw.body)
                raise E.AuthError(
                    f"Zuora rejected the OAuth client ID or secret (token request failed, HTTP {raw.status}).",
                    status=raw.status,
                    request_id=raw.request_id,
                    zuora_text=body.text,
                )
            error = _status_error(raw.status, raw, what="The token endpoint", renewable=True)
            if raw.status in RETRY_STATUSES and attempt < 2 and (error.retry_after or 0) <= 10:
                await self._sleep(error.retry_after if error.retry_after is not None else self._backoff(attempt))
                continue
            raise error

    @staticmethod
    def _json(raw: _Raw, what: str) -> Any:
        """The JSON of a 2xx answer. A 2xx does not by itself mean success (Zuora's error-handling
        guide): a body with ``success: false`` or that is only an error shape is Zuora's refusal."""
        content_type = raw.headers.get("Content-Type", "")
        try:
            data = json.loads(raw.body)
        except (ValueError, RecursionError):
            looks_html = "html" in content_type or raw.body.lstrip()[:1] == b"<"
            detail = "an HTML page (a gateway or login page?)" if looks_html else "text that is not valid JSON"
            raise E.BadResponse(
                f"{what}: Zuora answered HTTP {raw.status} with {detail}.",
                status=raw.status,
                request_id=raw.request_id,
                zuora_text=parse_error_body(raw.body).text if looks_html else None,
            ) from None
        if isinstance(data, dict):
            refusal = read_error_json(data)
            if refusal.failed:
                raise E.BadResponse(
                    f"{what}: Zuora answered HTTP {raw.status} but reported a failure"
                    + (f" (processId {refusal.process_id})" if refusal.process_id else "")
                    + ".",
                    status=raw.status,
                    request_id=raw.request_id,
                    zuora_text=refusal.text or "success: false, no reason given",
                )
        return data

    def _meta(self, raw: _Raw, attempts: int) -> ResponseMeta:
        return ResponseMeta(
            raw.status,
            raw.request_id,
            raw.headers.get("Zuora-Track-Id"),
            RateLimit.from_headers(raw.headers),
            raw.elapsed,
            attempts,
        )

    # ------------------------------------------------------------------ API

    async def get_run(self, run_id: int) -> RunResult:
        """``GET /workflows/workflow_runs/{id}``. ``run_id`` must already be a parsed int."""
        if not isinstance(run_id, int) or isinstance(run_id, bool) or run_id <= 0:
            raise E.BadInput(f"Run ID must be a positive integer, got {run_id!r}.")
        what = f"Run {run_id}"
        raw, attempts = await self._get(self.url(f"/workflows/workflow_runs/{run_id}"), what=what)
        data = self._json(raw, what)
        try:
            run = Run.parse(data)
        except ValueError as exc:
            raise E.BadResponse(
                f"{what}: the response is not a run object ({exc}).", status=raw.status, request_id=raw.request_id
            ) from None
        return RunResult(run, self._meta(raw, attempts))

    @staticmethod
    def _task_params(run_id: int, request: PageRequest) -> dict[str, Any]:
        return {"workflow_id": run_id, "instance": "true", "page": request.page, "page_length": request.page_length}

    async def _task_page(self, run_id: int, request: PageRequest) -> tuple[list[Task], Any, _Raw]:
        """One page of the run's tasks, always from the configured host with our own filters."""
        what = f"Tasks of run {run_id}"
        raw, _ = await self._get(self.url("/workflows/tasks"), params=self._task_params(run_id, request), what=what)
        data = self._json(raw, what)
        if not isinstance(data, dict) or not isinstance(data.get("data", []), list):
            raise E.BadResponse(
                f"{what}: the response is not a task list.", status=raw.status, request_id=raw.request_id
            )
        tasks = [Task.parse(item) for item in data.get("data") or []]
        pagination = data.get("pagination")
        next_page = pagination.get("next_page") if isinstance(pagination, dict) else None
        if isinstance(next_page, str):
            try:
                foreign = origin(next_page) != self._origin
            except ValueError:
                foreign = True
            if foreign:  # routine: Zuora's own example names another host
                log.debug("next_page names another host; asking %s for the next page", self._origin)
        return tasks, next_page, raw

    async def get_tasks(
        self, run_id: int, *, expected_total: int | None = None, on_page: Callable[[int, int], None] | None = None
    ) -> TaskList:
        """All tasks of a run. With ``expected_total`` (the run's task count) the listing is
        bounded by it and pages 2..N are fetched concurrently; otherwise ``next_page`` is followed
        one page at a time. See ``tui.core.pagination`` for the rules that keep this bounded."""
        if not isinstance(run_id, int) or isinstance(run_id, bool) or run_id <= 0:
            raise E.BadInput(f"Run ID must be a positive integer, got {run_id!r}.")
        pager = TaskPager(run_id, expected_total)
        request = pager.first()
        tasks, next_page, raw = await self._task_page(run_id, request)
        first_meta = self._meta(raw, 1)
        pager.accept(request, tasks, len(raw.body))
        if on_page:
            on_page(request.page, len(tasks))
        following = pager.after(request, tasks, next_page)
        fan = pager.fan_out(len(tasks), next_page) if following is not None else []
        if fan:
            last = await self._fetch_in_order(run_id, fan, pager, on_page)
            following = pager.after(*last) if last is not None else None
        while following is not None:
            request = following
            tasks, next_page, raw = await self._task_page(run_id, request)
            keep_going = pager.accept(request, tasks, len(raw.body))
            if on_page:
                on_page(request.page, len(tasks))
            following = pager.after(request, tasks, next_page) if keep_going else None
        return TaskList(
            run_id,
            tuple(pager.tasks),
            pager.pages,
            first_meta,
            expected_total=expected_total,
            left_out=pager.left_out,
            partial=pager.partial,
        )

    async def _fetch_in_order(
        self,
        run_id: int,
        requests: list[PageRequest],
        pager: TaskPager,
        on_page: Callable[[int, int], None] | None,
    ) -> tuple[PageRequest, list[Task], Any] | None:
        """Fetch ``requests`` with at most ``page_concurrency`` on the wire, handing pages to the
        pager in page order (so memory holds at most that many unaccepted pages). Returns the last
        accepted page, or None if the pager stopped the listing."""
        width = max(1, self.settings.page_concurrency)
        running: dict[int, asyncio.Task] = {}
        started = 0
        try:
            for index, request in enumerate(requests):
                while started < len(requests) and started < index + width:
                    running[started] = asyncio.ensure_future(self._task_page(run_id, requests[started]))
                    started += 1
                tasks, next_page, raw = await running.pop(index)
                keep_going = pager.accept(request, tasks, len(raw.body))
                if on_page:
                    on_page(request.page, len(tasks))
                if not keep_going:
                    return None
                if not tasks:
                    return request, tasks, next_page  # the list ended early (it shrank?)
            return requests[-1], tasks, next_page
        finally:
            for leftover in running.values():
                leftover.cancel()
            if running:
                await asyncio.gather(*running.values(), return_exceptions=True)

    async def get_task(self, task_id: int) -> Task:
        """``GET /workflows/tasks/{id}``."""
        if not isinstance(task_id, int) or isinstance(task_id, bool) or task_id <= 0:
            raise E.BadInput(f"Task ID must be a positive integer, got {task_id!r}.")
        what = f"Task {task_id}"
        raw, _ = await self._get(self.url(f"/workflows/tasks/{task_id}"), what=what)
        data = self._json(raw, what)
        if not isinstance(data, dict):
            raise E.BadResponse(f"{what}: the response is not a task object.", request_id=raw.request_id)
        return Task.parse(data)

    # ------------------------------------------------------------------ API: definitions and search (issue 14)

    async def get_workflow(self, workflow_id: int | str) -> WorkflowResult:
        """``GET /workflows/{id}``: the definition a run names as ``originalWorkflowId`` (which
        Zuora declares a string and sends as a number: both are accepted).

        A 403 or 404 here is about the definition, never the run: the messages say so, and
        which permission a 403 needs (Zuora: "Workflow View Access" for "Retrieve a workflow")."""
        number = workflow_id if isinstance(workflow_id, int) else parse_int(workflow_id)
        if number is None or isinstance(number, bool) or number <= 0:
            raise E.BadInput(f"Workflow ID must be a positive integer, got {str(workflow_id)[:40]!r}.")
        what = f"Workflow {number}"
        try:
            raw, attempts = await self._get(self.url(f"/workflows/{number}"), what=what)
        except E.PermissionDenied as exc:
            raise E.PermissionDenied(
                f"Permission denied (HTTP 403) for workflow {number}'s definition: reading workflow definitions "
                'needs the "Workflow View Access" permission (and access to this entity/org). '
                "The run itself is not affected.",
                status=exc.status,
                request_id=exc.request_id,
                zuora_text=exc.zuora_text,
            ) from None
        except E.NotFound as exc:
            raise E.NotFound(
                f"Workflow {number}'s definition was not found (HTTP 404): it may have been deleted since the run.",
                status=exc.status,
                request_id=exc.request_id,
                zuora_text=exc.zuora_text,
            ) from None
        data = self._json(raw, what)
        try:
            workflow = Workflow.parse(data)
        except ValueError as exc:
            raise E.BadResponse(
                f"{what}: the response is not a workflow definition ({exc}).",
                status=raw.status,
                request_id=raw.request_id,
            ) from None
        return WorkflowResult(workflow, self._meta(raw, attempts))

    async def find_tasks(
        self, query: TaskQuery, *, max_pages: int = 20, on_page: Callable[[int, int], None] | None = None
    ) -> TaskSearch:
        """Tasks of any run that match ``query`` (``GET /workflows/tasks`` with its filters and
        ``instance=true``), following pages one at a time, at most ``max_pages`` of them, with
        the same progress and size rules as a run's listing (``tui.core.pagination``)."""
        if query.empty:
            raise E.BadInput("A task search needs at least one filter (object ID, object, action type, name or tag).")
        pager = TaskPager(None, keep=query.matches, page_cap=max_pages)
        request: PageRequest | None = pager.first()
        first_meta: ResponseMeta | None = None
        while request is not None:
            params = {**query.params(), "page": request.page, "page_length": request.page_length}
            raw, attempts = await self._get(self.url("/workflows/tasks"), params=params, what="Task search")
            data = self._json(raw, "Task search")
            if not isinstance(data, dict) or not isinstance(data.get("data", []), list):
                raise E.BadResponse(
                    "Task search: the response is not a task list.", status=raw.status, request_id=raw.request_id
                )
            tasks = [Task.parse(item) for item in data.get("data") or []]
            pagination = data.get("pagination")
            next_page = pagination.get("next_page") if isinstance(pagination, dict) else None
            if first_meta is None:
                first_meta = self._meta(raw, attempts)
            keep_going = pager.accept(request, tasks, len(raw.body))
            if on_page:
                on_page(request.page, len(tasks))
            request = pager.after(request, tasks, next_page) if keep_going else None
        return TaskSearch(
            query, tuple(pager.tasks), pager.pages, first_meta, left_out=pager.left_out, partial=pager.partial
        )


@dataclass(frozen=True, slots=True)
class WorkflowResult:
    workflow: Workflow
    meta: ResponseMeta
