"""The blocking client behind ``zwr get``: ``httpx.Client``, no event loop, no asyncio import.

A one-shot command spends more time importing asyncio and starting a loop than on its request,
so ``zwr get`` drives the same request policy (``policy.py``) with blocking I/O. The API calls
themselves are not written twice either: ``_BlockingCore`` is a ``ZuoraClient`` whose ``_get``
does its I/O without ever suspending, so the API coroutines (``get_run``...) run to completion
on their first step and ``_complete`` returns their value with no event loop at all. Whatever
the API methods check (shapes, ``success: false``, IDs) holds for both clients.

Thread-safe: ``get_runs`` fetches several runs at once on a few threads (one ``httpx.Client``,
one token fetch under the provider's lock).
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, TypeVar

import httpx

from tui.core import deadline
from tui.core import transport as T
from tui.core.auth import AuthProvider
from tui.core.body import BodyReader
from tui.core.client import RunResult, WorkflowResult, ZuoraClient
from tui.core.errors import ZwrError
from tui.core.model import Task
from tui.core.policy import Failure, Flow, NeedToken, RequestSpec, Response, Send, Sleep
from tui.core.secret import Secret
from tui.core.settings import ClientSettings

_Result = TypeVar("_Result")


def _complete(coroutine: Coroutine[Any, Any, _Result]) -> _Result:
    """Run a coroutine that never suspends (all its I/O is blocking) and return its value."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: _Result = done.value  # StopIteration.value is untyped: it is the return value
        return result
    coroutine.close()
    raise RuntimeError("the blocking client reached an operation that needs an event loop")


class _BlockingCore(ZuoraClient):
    """``ZuoraClient`` with blocking I/O. Use through ``BlockingClient``, never awaited in a loop."""

    def __init__(self, settings: ClientSettings, auth: AuthProvider, *, sleep: Callable[[float], None]) -> None:
        super().__init__(settings, auth)
        self._blocking_sleep = sleep

    def _make_http(self, transport: Any) -> httpx.Client:
        return T.sync_http(self.settings)

    def drive(self, flow: Flow[_Result]) -> _Result:
        reply: Any = None
        while True:
            try:
                step = flow.send(reply)
            except StopIteration as done:
                result: _Result = done.value  # StopIteration.value is untyped: it is the return value
                return result
            if isinstance(step, Send):
                reply = self.exchange(step)
            elif isinstance(step, Sleep):
                self._blocking_sleep(step.seconds)
                reply = None
            else:
                reply = self.blocking_token(step)

    def blocking_token(self, step: NeedToken) -> Secret:
        auth = self.auth
        if step.stale is not None:
            auth.invalidate(step.stale)
        token = auth.cached()
        if token is not None:
            return token
        with auth.lock:
            token = auth.cached()
            if token is None:
                token = self.drive(self.policy.token_exchange(auth))
            return token

    def exchange(self, send: Send) -> Response | Failure:
        """One attempt on the wire, bounded by ``send.deadline`` (connect + headers + body)."""
        out = send.outgoing
        self._on_start()
        started = time.perf_counter()
        mark = deadline.attempt.set(send.deadline)
        try:
            request = self._http.build_request(
                out.method, out.url, params=out.params, headers=out.headers(), content=out.content()
            )
            response = self._http.send(request, stream=True)
            try:
                reader = BodyReader.for_headers(
                    response.headers, limit=self.settings.max_body_bytes, max_layers=self.settings.max_encodings
                )
                if reader.wants_more:
                    chunks = response.iter_raw()
                    while reader.feed(next(chunks, None)):  # no local ever holds a chunk
                        pass
            finally:
                response.close()
        except (httpx.TransportError, OSError) as exc:
            return T.failure(exc, self.settings.base_url, send.timeout)
        finally:
            deadline.attempt.reset(mark)
            self.in_flight -= 1
        return self._finish(out.method, out.url, response, reader, started)

    async def _get(self, url: str, *, params: dict[str, Any] | None = None, what: str) -> tuple[Response, int]:
        # Blocks; never suspends, so the API coroutine calling it completes in one step.
        return self.drive(
            self.policy.exchange(RequestSpec("GET", url, what, params=params), renewable=self.auth.renewable)
        )

    async def aclose(self) -> None:
        self._http.close()


class BlockingClient:
    """Blocking Zuora client: ``with BlockingClient(settings, auth) as client: client.get_run(id)``."""

    def __init__(
        self, settings: ClientSettings, auth: AuthProvider, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._core = _BlockingCore(settings, auth, sleep=sleep)
        self.settings = settings
        self.auth = auth

    def __enter__(self) -> BlockingClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        _complete(self._core.aclose())

    def __repr__(self) -> str:
        return f"BlockingClient(base_url={self.settings.base_url!r})"

    @property
    def last_request_id(self) -> str | None:
        return self._core.last_request_id

    @property
    def requests_sent(self) -> int:
        return self._core.requests_sent

    def token(self) -> Secret:
        return self._core.blocking_token(NeedToken())

    def get_run(self, run_id: int) -> RunResult:
        return _complete(self._core.get_run(run_id))

    def get_task(self, task_id: int) -> Task:
        return _complete(self._core.get_task(task_id))

    def get_workflow(self, workflow_id: int | str) -> WorkflowResult:
        return _complete(self._core.get_workflow(workflow_id))

    def call(self, spec: RequestSpec) -> tuple[Response, int]:
        """Any request through the policy, e.g. a write (see ``RequestSpec.write``)."""
        return self._core.drive(self._core.policy.exchange(spec, renewable=self.auth.renewable))

    def get_runs(self, run_ids: Iterable[int]) -> list[RunResult | ZwrError]:
        """Several runs at once (at most ``settings.concurrency`` in flight), in the given order;
        a run that failed is its ``ZwrError``. Anything else is raised here, in the caller's thread.

        Daemon worker threads, so Ctrl-C ends ``zwr get`` at once instead of waiting for the
        requests in flight (a thread pool's workers are joined at exit)."""
        ids = list(run_ids)
        if len(ids) <= 1:
            return [self._capture(i) for i in ids]
        import threading

        results: list[Any] = [None] * len(ids)
        pending = iter(enumerate(ids))
        take = threading.Lock()

        def worker() -> None:
            while True:
                with take:
                    item = next(pending, None)
                if item is None:
                    return
                index, run_id = item
                try:
                    results[index] = self._capture(run_id)
                except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread below
                    results[index] = _Crash(exc)

        # Each worker runs in a copy of this context, so a caller's ``deadline.within`` holds there too.
        workers = [
            threading.Thread(target=contextvars.copy_context().run, args=(worker,), name="zwr-get", daemon=True)
            for _ in range(min(len(ids), self.settings.concurrency))
        ]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        for result in results:
            if isinstance(result, _Crash):
                raise result.error
        return results

    def _capture(self, run_id: int) -> RunResult | ZwrError:
        try:
            return self.get_run(run_id)
        except ZwrError as exc:
            return exc


class _Crash:
    """An unexpected exception in a worker thread, carried to the caller's thread."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error
