"""The async Zuora Workflow client: the API calls (runs, tasks) over one request policy.

Design rules (see ../shared/reference):
- the request policy (retries, backoff, Retry-After, token renewal, deadlines, the origin
  check, status -> error) lives in ``policy.py``, written once; this class is its async driver
  and ``blocking.py`` its blocking one (``zwr get``), so both behave the same by construction;
- the bearer token is sent only to the configured origin; redirects are never followed and
  ``next_page`` is never requested as such: its page number is asked of the configured host;
- bodies are read raw and decoded by ``body.BodyReader`` under a hard size cap that holds after
  every Content-Encoding layer; every attempt ends by its deadline (``transport.py``);
- in-flight requests are bounded by a semaphore, held only while a request is on the wire.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, TypedDict, TypeVar
from urllib.parse import urlsplit

import httpx

from tui.core import deadline
from tui.core import errors as E
from tui.core import transport as T
from tui.core.auth import AuthProvider
from tui.core.body import BodyReader
from tui.core.environments import origin
from tui.core.errors import parse_error_body, read_error_json
from tui.core.lazy import lazy_module
from tui.core.model import Run, Task, Workflow, parse_int
from tui.core.pagination import PageRequest, TaskPager
from tui.core.policy import RETRY_STATUSES, Failure, Flow, NeedToken, Policy, RequestSpec, Response, Send, Sleep
from tui.core.ratelimit import RateLimit
from tui.core.search import TaskQuery, TaskSearch
from tui.core.secret import Secret
from tui.core.settings import ClientSettings
from tui.core.text import printable

if TYPE_CHECKING:
    import asyncio
    from random import Random
else:
    # Loaded on first use: the blocking `zwr get` path imports this module but never touches asyncio.
    asyncio = lazy_module("asyncio")

log = logging.getLogger("zwr.client")
_Result = TypeVar("_Result")

__all__ = ["RETRY_STATUSES", "ClientSettings", "RequestSpec", "Response", "ZuoraClient"]


# NamedTuples, not frozen dataclasses: each of those costs ~1 ms of `zwr get` start-up.
class ResponseMeta(NamedTuple):
    status: int
    request_id: str | None
    track_id: str | None
    rate_limit: RateLimit | None
    elapsed: float
    attempts: int
    fetched_at: float  # time.time() when the answer was read


class RunResult(NamedTuple):
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


_Raw = Response  # the name the API methods below use for a complete response


class ZuoraClient:
    """Async client. Use as ``async with ZuoraClient(settings, auth) as client: ...``."""

    def __init__(
        self,
        settings: ClientSettings,
        auth: AuthProvider,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        rng: Random | None = None,
    ) -> None:
        self.settings = settings
        self.auth = auth
        self._origin = origin(settings.base_url)
        self._base_path = urlsplit(settings.base_url).path
        self._sleep = sleep
        self.policy = Policy(settings, rng)
        self._semaphore: Any = None
        self._semaphore_loop: Any = None
        self._http = self._make_http(transport)
        self.rate_limit: RateLimit | None = None
        self.last_request_id: str | None = None
        self.in_flight = 0
        self.max_in_flight = 0
        self.requests_sent = 0
        self._sent_at_rate_mark = 0

    def _make_http(self, transport: httpx.AsyncBaseTransport | None) -> Any:
        return T.async_http(self.settings, transport)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.settings.base_url!r})"

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

    # ------------------------------------------------------------------ the driver

    def _sem(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._semaphore is None or self._semaphore_loop is not loop:
            self._semaphore = asyncio.Semaphore(self.settings.concurrency)
            self._semaphore_loop = loop
        return self._semaphore

    def url(self, path: str) -> str:
        return self.settings.base_url + path

    async def _drive(self, flow: Flow[_Result]) -> _Result:
        """Run a policy flow: perform its sends, sleeps and token requests; return its result."""
        reply: Any = None
        while True:
            try:
                step = flow.send(reply)
            except StopIteration as done:
                result: _Result = done.value  # StopIteration.value is untyped: it is the return value
                return result
            if isinstance(step, Send):
                reply = await self._exchange(step)
            elif isinstance(step, Sleep):
                log.debug("retrying in %.2fs", step.seconds)
                await (self._sleep or asyncio.sleep)(step.seconds)
                reply = None
            else:
                reply = await self._token(step)

    async def _token(self, step: NeedToken) -> Secret:
        auth = self.auth
        if step.stale is not None:
            auth.invalidate(step.stale)
        token = auth.cached()
        if token is not None:
            return token
        async with auth.async_lock():
            token = auth.cached()
            if token is None:
                token = await self._drive(self.policy.token_exchange(auth))
            return token

    async def token(self) -> Secret:
        """A valid bearer token (fetched or renewed if needed)."""
        return await self._token(NeedToken())

    async def _exchange(self, send: Send) -> Response | Failure:
        """One attempt on the wire, bounded by ``send.deadline`` (connect + headers + body)."""
        out = send.outgoing
        async with self._sem():
            self._on_start()
            started = time.perf_counter()
            mark = deadline.attempt.set(send.deadline)
            try:
                request = self._http.build_request(
                    out.method, out.url, params=out.params, headers=out.headers(), content=out.content()
                )
                response = await self._http.send(request, stream=True)
                try:
                    reader = BodyReader.for_headers(
                        response.headers, limit=self.settings.max_body_bytes, max_layers=self.settings.max_encodings
                    )
                    if reader.wants_more:
                        chunks = response.aiter_raw()
                        while reader.feed(await anext(chunks, None)):  # no local ever holds a chunk
                            pass
                finally:
                    await response.aclose()
            except (httpx.TransportError, OSError) as exc:
                return T.failure(exc, self.settings.base_url, send.timeout)
            finally:
                deadline.attempt.reset(mark)
                self.in_flight -= 1
        return self._finish(out.method, out.url, response, reader, started)

    def _on_start(self) -> None:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.requests_sent += 1

    def _finish(
        self, method: str, url: str, response: httpx.Response, reader: BodyReader, started: float
    ) -> Response | Failure:
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
            printable(request_id, 64) if request_id else None,
        )
        if reader.error is not None:
            error = reader.error
            error.status, error.request_id = response.status_code, request_id
            return Failure(error)
        return Response(response.status_code, response.headers, reader.body(), request_id, elapsed)

    async def _get(self, url: str, *, params: dict[str, Any] | None = None, what: str) -> tuple[Response, int]:
        """GET with auth renewal and retries. Returns the successful response and attempt count."""
        spec = RequestSpec("GET", url, what, params=params)
        return await self._drive(self.policy.exchange(spec, renewable=self.auth.renewable))

    async def call(self, spec: RequestSpec) -> tuple[Response, int]:
        """Any request through the policy, e.g. a write (see ``RequestSpec.write``)."""
        return await self._drive(self.policy.exchange(spec, renewable=self.auth.renewable))

    @staticmethod
    def _json(raw: _Raw, what: str, refusal: type[E.ZwrError] = E.BadResponse) -> Any:
        """The JSON of a 2xx answer. A 2xx does not by itself mean success (Zuora's error-handling
        guide): a body with ``success: false`` or that is only an error shape is Zuora's refusal
        (raised as ``refusal``: a write's refusal is ``E.Refused``, a read's a bad response)."""
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
            said = read_error_json(data)
            if said.failed:
                raise refusal(
                    f"{what}: Zuora answered HTTP {raw.status} but reported a failure"
                    + (f" (processId {said.process_id})" if said.process_id else "")
                    + ".",
                    status=raw.status,
                    request_id=raw.request_id,
                    zuora_text=said.text or "success: false, no reason given",
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
            time.time(),
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
        running: dict[int, asyncio.Task[tuple[list[Task], Any, _Raw]]] = {}
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

    # ------------------------------------------------------------------ API: writes (issue 15)
    # Only ``tui.core.actions`` calls these: it checks first that there is something to do, keeps
    # the audit trail and re-reads the run or task when an answer was lost. Never retried blindly
    # (see ``policy.RequestSpec.write``).

    async def stop_run(self, run_id: int) -> WriteResult:
        """``PUT /workflows/workflow_runs/{id}/stop`` (answer ``{"success": true}``).

        No Idempotency-Key: Zuora's guide says PUT takes none (it calls PUT idempotent), so the
        policy repeats a stop only when it provably never reached Zuora."""
        _positive(run_id, "Run ID")
        what = f"Stop of run {run_id}"
        spec = RequestSpec.write("PUT", self.url(f"/workflows/workflow_runs/{run_id}/stop"), what=what)
        try:
            raw, attempts = await self.call(spec)
            data = self._json(raw, what, refusal=E.Refused)
        except E.ZwrError as exc:
            raise write_error(exc, f"stop run {run_id}", permission=STOP_PERMISSION, subject=f"Run {run_id}") from None
        return WriteResult(data, self._meta(raw, attempts))

    async def rerun_task(self, task_id: int, *, idempotency_key: str) -> RerunResult:
        """``POST /workflows/tasks/{id}/rerun`` with an ``Idempotency-Key`` (the same on every
        attempt): Zuora answers a repeat of the key with its first answer and reruns nothing, so
        the policy may retry it like a read. Zuora answers the task."""
        _positive(task_id, "Task ID")
        what = f"Rerun of task {task_id}"
        spec = RequestSpec.write(
            "POST", self.url(f"/workflows/tasks/{task_id}/rerun"), what=what, idempotency_key=idempotency_key
        )
        try:
            raw, attempts = await self.call(spec)
            data = self._json(raw, what, refusal=E.Refused)
        except E.ZwrError as exc:
            raise write_error(
                exc, f"rerun task {task_id}", permission=RERUN_PERMISSION, subject=f"Task {task_id}"
            ) from None
        task = Task.parse(data) if isinstance(data, dict) else None
        return RerunResult(task, WriteResult(data, self._meta(raw, attempts)).meta)


STOP_PERMISSION = (
    'Zuora\'s API reference lists "Workflow View Access" for "Stop a workflow run"; if your user has it, '
    'ask your Zuora administrator about "Workflow Run Access"'
)
RERUN_PERMISSION = 'rerunning a task needs the "Workflow Run Access" permission'


def _positive(value: object, what: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise E.BadInput(f"{what} must be a positive integer, got {value!r}.")


class _Facts(TypedDict):
    """What a rewritten write error keeps of the original (``ZwrError``'s keyword arguments)."""

    status: int | None
    request_id: str | None
    zuora_text: str | None


def write_error(exc: E.ZwrError, doing: str, *, permission: str, subject: str) -> E.ZwrError:
    """The error of a write, saying what to do: a 403 names the permission, a 404 the retention
    window, a refusal (400/409/422, ``success: false``) carries Zuora's own text. Timeouts,
    network and server errors keep the policy's message (it says when a request may have reached
    Zuora); ``tui.core.actions`` then re-reads the run or task to find out."""
    common: _Facts = {"status": exc.status, "request_id": exc.request_id, "zuora_text": exc.zuora_text}
    if isinstance(exc, E.PermissionDenied):
        return E.PermissionDenied(
            f"Permission denied (HTTP 403) to {doing}: {permission} (and access to this entity/org). "
            "Nothing was changed.",
            **common,
        )
    if isinstance(exc, E.NotFound):
        return E.NotFound(
            f"{subject} was not found (HTTP 404), so zwr could not {doing}. Zuora keeps runs and their tasks "
            "30 days in sandboxes and 45 days in production; also check the environment and entity.",
            **common,
        )
    if isinstance(exc, E.Refused) or (exc.status in (400, 409, 422) and isinstance(exc, (E.BadInput, E.BadResponse))):
        if exc.status is not None and 200 <= exc.status < 300:  # ``_json``: success false, with processId
            return E.Refused(f"Zuora refused to {doing}. {exc.message} Nothing was changed.", **common)
        reason = "" if exc.zuora_text else " and gave no reason"
        return E.Refused(f"Zuora refused to {doing} (HTTP {exc.status}){reason}; nothing was changed.", **common)
    return exc


class WriteResult(NamedTuple):
    data: Any  # Zuora's answer, parsed
    meta: ResponseMeta


class RerunResult(NamedTuple):
    task: Task | None  # the task as Zuora answered it (None if the answer was not a task object)
    meta: ResponseMeta


@dataclass(frozen=True, slots=True)
class WorkflowResult:
    workflow: Workflow
    meta: ResponseMeta
