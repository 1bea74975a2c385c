"""The poll engine and its HTTP client in a thread of their own, so the UI loop only paints.

Why a thread: with hundreds of runs, HTTP responses arrive many times a second; parsing them
in the UI's event loop makes key presses wait behind them. Here the ``ZuoraClient`` (httpx)
and the ``PollEngine`` live in a dedicated thread with its own asyncio loop, and reach the UI
only as *batches*: at most one every ``batch_window`` seconds (0.1 s), one call per batch,
several updates of one run coalesced to the newest (their state transitions are kept, so no
"finished" notification is lost).

Every control method is thread-safe: it hands the call to the poll loop with
``call_soon_threadsafe`` and returns at once. The read-only properties (``paused``,
``interval``, ...) are plain attribute reads, safe from any thread.

Nothing here imports Textual: the UI passes a ``sink`` callable (it posts a message to the app).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

from tui.core.client import TaskList, WorkflowResult, ZuoraClient
from tui.core.search import TaskQuery, TaskSearch
from tui.poll.engine import DEFAULT_INTERVAL, PollEngine, RunUpdate, clamp_interval

log = logging.getLogger("tui.poll")

Batch = tuple[RunUpdate, ...]
BATCH_WINDOW = 0.1
T = TypeVar("T")


class Poller(Protocol):
    """What the UI needs from a poller (``PollThread``, or a scripted stand-in in tests)."""

    @property
    def paused(self) -> bool: ...
    @property
    def interval(self) -> float: ...
    @property
    def focused(self) -> bool: ...
    @property
    def frugal(self) -> bool: ...
    @property
    def polls(self) -> int: ...
    @property
    def last_request_id(self) -> str | None: ...

    def attach(self, sink: Callable[[Batch], None]) -> None: ...
    def detach(self) -> None: ...
    def watch(self, run_id: int) -> None: ...
    def unwatch(self, run_id: int) -> None: ...
    def refresh(self, run_id: int | None = None) -> None: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def set_interval(self, seconds: float) -> float: ...
    def set_focus(self, focused: bool) -> None: ...
    def load_tasks(
        self, run_id: int, expected_total: int | None, on_page: Callable[[int, int], None] | None = None
    ) -> concurrent.futures.Future[TaskList]: ...
    def load_workflow(self, workflow_id: str) -> concurrent.futures.Future[WorkflowResult]: ...
    def find_tasks(self, query: TaskQuery, max_pages: int) -> concurrent.futures.Future[TaskSearch]: ...
    def hold(self, run_id: int, seconds: float) -> None: ...
    def call(self, work: Callable[[ZuoraClient], Awaitable[T]]) -> concurrent.futures.Future[T]: ...
    def close(self, timeout: float = 5.0) -> None: ...


def start_polling(
    make_client: Callable[[], ZuoraClient],
    run_ids: Sequence[int],
    *,
    interval: float = DEFAULT_INTERVAL,
    wallclock: Callable[[], float] = time.time,
) -> PollThread:
    """A poll thread already fetching ``run_ids``. ``zwr RUN_ID`` starts it before it imports
    Textual (~150 ms of CPU): the first answers wait in the thread (``attach`` delivers them),
    so the app's first frame shows the runs' status instead of "loading…" and a second frame."""
    poller = PollThread(make_client, interval=interval, wallclock=wallclock).start()
    poller.watch_many(run_ids)
    return poller


def merge(older: RunUpdate, newer: RunUpdate) -> RunUpdate:
    """Coalesce two updates of one run: the newer state, with every transition of both."""
    if not older.transitions:
        return newer
    seen = dict.fromkeys(older.transitions + newer.transitions)
    return RunUpdate(
        newer.run_id,
        newer.run,
        newer.meta,
        newer.error,
        newer.polling,
        newer.next_poll_in,
        newer.fetched_at,
        tuple(seen),
        newer.history,
        newer.rate,
        newer.eta,
        newer.next_poll_at,
    )


class PollThread:
    """Owns a thread, its event loop, the client and the engine; see the module docstring."""

    def __init__(
        self,
        make_client: Callable[[], ZuoraClient],
        *,
        interval: float = DEFAULT_INTERVAL,
        wallclock: Callable[[], float] = time.time,
        batch_window: float = BATCH_WINDOW,
        name: str = "zwr-poll",
    ) -> None:
        self._make_client = make_client
        self._wallclock = wallclock
        self._batch_window = batch_window
        self._interval, _ = clamp_interval(interval)
        self._paused = False
        self._focused = True
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._engine: PollEngine | None = None
        self._client: ZuoraClient | None = None
        self._sink: Callable[[Batch], None] | None = None
        self._pending: dict[int, RunUpdate] = {}
        self._flush_handle: asyncio.TimerHandle | asyncio.Handle | None = None
        self._last_flush = 0.0
        self._closed = False
        self._started = False
        self._stopped = threading.Event()
        self._calls: set[concurrent.futures.Future[Any]] = set()  # call()s under way: close() lets them end
        self._calls_lock = threading.Lock()
        self.batches = 0  # batches delivered (tests and benchmarks read it)

    # ------------------------------------------------------------------ read-only state (any thread)

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def interval(self) -> float:
        return self._interval

    @property
    def focused(self) -> bool:
        return self._focused

    @property
    def frugal(self) -> bool:
        return bool(self._engine and self._engine.frugal)

    @property
    def polls(self) -> int:
        return self._engine.polls if self._engine else 0

    @property
    def client(self) -> ZuoraClient | None:
        return self._client

    @property
    def last_request_id(self) -> str | None:
        return self._client.last_request_id if self._client else None

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> PollThread:
        if not self._started:
            self._started = True
            self._thread.start()
        return self

    def _main(self) -> None:
        loop = self._loop
        asyncio.set_event_loop(loop)
        try:
            self._client = self._make_client()
            self._engine = PollEngine(self._client, self._collect, interval=self._interval, wallclock=self._wallclock)
            if self._paused:
                self._engine.pause()
            loop.run_forever()
        except Exception:
            log.exception("the poll thread failed")
        finally:
            try:
                loop.run_until_complete(self._teardown())
                loop.run_until_complete(loop.shutdown_asyncgens())
            except Exception:
                log.exception("the poll thread did not shut down cleanly")
            loop.close()
            self._stopped.set()

    async def _teardown(self) -> None:
        if self._engine is not None:
            await self._engine.aclose()
        pending = [t for t in asyncio.all_tasks(self._loop) if t is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    def close(self, timeout: float = 5.0) -> None:
        """Stop polling, close the client and end the thread (waits at most ``timeout``)."""
        if self._closed:
            return
        self._closed = True
        self._sink = None
        if not self._started:
            self._loop.close()
            return
        with self._calls_lock:
            calls = list(self._calls)
        if calls:  # a write on the wire is let finish (and be recorded) rather than cut off
            concurrent.futures.wait(calls, timeout=timeout)
        try:
            self._loop.call_soon_threadsafe(self._loop.stop)
        except RuntimeError:
            pass  # the loop is already closed
        self._stopped.wait(timeout)

    def attach(self, sink: Callable[[Batch], None]) -> None:
        """Start delivering batches to ``sink`` (called in the poll thread). Updates that
        arrived before are delivered in the first batch."""
        self._sink = sink
        self._call(self._schedule_flush)

    def detach(self) -> None:
        self._sink = None

    # ------------------------------------------------------------------ controls (any thread)

    def _call(self, fn: Callable[..., object], *args: object) -> None:
        if self._closed:
            return
        try:
            self._loop.call_soon_threadsafe(self._guard, fn, *args)
        except RuntimeError:
            pass  # closed meanwhile: shutting down

    @staticmethod
    def _guard(fn: Callable[..., object], *args: object) -> None:
        try:
            fn(*args)
        except Exception:
            log.exception("poll control %s failed", getattr(fn, "__name__", fn))

    def _engine_call(self, name: str, *args: object) -> None:
        def call() -> None:
            if self._engine is not None:
                getattr(self._engine, name)(*args)

        call.__name__ = name
        self._call(call)

    def watch(self, run_id: int) -> None:
        self._engine_call("watch", run_id)

    def watch_many(self, run_ids: Sequence[int]) -> None:
        def call() -> None:
            if self._engine is not None:
                for run_id in run_ids:
                    self._engine.watch(run_id)

        self._call(call)

    def unwatch(self, run_id: int) -> None:
        self._engine_call("unwatch", run_id)
        self._call(self._pending.pop, run_id, None)

    def refresh(self, run_id: int | None = None) -> None:
        self._engine_call("refresh", run_id)

    def pause(self) -> None:
        self._paused = True
        self._engine_call("pause")

    def resume(self) -> None:
        self._paused = False
        self._engine_call("resume")

    def set_interval(self, seconds: float) -> float:
        self._interval, _ = clamp_interval(seconds, self._interval)
        self._engine_call("set_interval", self._interval)
        return self._interval

    def set_focus(self, focused: bool) -> None:
        self._focused = focused
        self._engine_call("set_focus", focused)

    def _submit(self, work: Callable[[ZuoraClient], Awaitable[T]]) -> concurrent.futures.Future[T]:
        """Run ``work(client)`` in the poll thread's loop; cancel the returned future to abandon it."""

        async def run() -> T:
            client = self._client
            if client is None:
                raise RuntimeError("the poll thread has no client")
            return await work(client)

        if self._closed:
            future: concurrent.futures.Future[T] = concurrent.futures.Future()
            future.cancel()
            return future
        return asyncio.run_coroutine_threadsafe(run(), self._loop)

    def load_tasks(
        self, run_id: int, expected_total: int | None, on_page: Callable[[int, int], None] | None = None
    ) -> concurrent.futures.Future[TaskList]:
        """Fetch a run's tasks in the poll thread; ``on_page`` is called there too."""
        return self._submit(lambda client: client.get_tasks(run_id, expected_total=expected_total, on_page=on_page))

    def load_workflow(self, workflow_id: str) -> concurrent.futures.Future[WorkflowResult]:
        """Fetch a workflow's definition (``GET /workflows/{id}``) in the poll thread."""
        return self._submit(lambda client: client.get_workflow(workflow_id))

    def find_tasks(self, query: TaskQuery, max_pages: int) -> concurrent.futures.Future[TaskSearch]:
        """Search the tasks of every run (``zwr find``'s query) in the poll thread."""
        return self._submit(lambda client: client.find_tasks(query, max_pages=max_pages))

    def hold(self, run_id: int, seconds: float) -> None:
        """Keep polling a run for ``seconds`` even if it looks done (``PollEngine.hold``)."""
        self._engine_call("hold", run_id, seconds)

    def call(self, work: Callable[[ZuoraClient], Awaitable[T]]) -> concurrent.futures.Future[T]:
        """Run ``work(client)`` in the poll thread, on its client; the future has its result.

        The UI's writes (stop, rerun) and the reads that prepare them go through here, so no
        request (and no audit-file write) happens on the UI loop. ``close`` waits for calls under
        way (up to its timeout) before it stops the loop: a write is not cut off by quitting (the
        reads above are not waited for: ``_submit`` alone)."""
        future = self._submit(work)
        if not future.done():
            with self._calls_lock:
                self._calls.add(future)
            future.add_done_callback(self._call_done)
        return future

    def _call_done(self, future: concurrent.futures.Future[Any]) -> None:
        with self._calls_lock:
            self._calls.discard(future)

    # ------------------------------------------------------------------ batching (poll thread)

    def _collect(self, update: RunUpdate) -> None:
        older = self._pending.get(update.run_id)
        self._pending[update.run_id] = merge(older, update) if older is not None else update
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if self._flush_handle is not None or not self._pending or self._sink is None:
            return
        wait = self._last_flush + self._batch_window - time.monotonic()
        if wait > 0:
            self._flush_handle = self._loop.call_later(wait, self._flush)
        else:
            self._flush_handle = self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_handle = None
        sink = self._sink
        if sink is None or not self._pending:
            return
        batch = tuple(self._pending.values())
        self._pending.clear()
        self._last_flush = time.monotonic()
        self.batches += 1
        sink(batch)
