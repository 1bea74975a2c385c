"""Keep a set of runs fresh: one asyncio task per run, the next poll scheduled only when the
previous one has finished (no overlapping requests for a run, no stampede across runs).

Cadence per run:
- active, queued, stopping: every ``interval`` (with ±10% jitter so runs spread out);
- settling (Finished with pending tasks): every ``max(interval, settling_interval)``;
- done (Finished with nothing pending, or Stopped): polling stops; ``refresh`` fetches again;
  ``hold`` keeps a done run polled every ``interval`` for a while (after a write: a rerun of a
  task of an ended run, whether or not Zuora marks the run active again while it runs);
- after a retryable error: backoff doubling from ``interval`` up to ``max_backoff``, or
  Zuora's ``Retry-After`` (clamped to ``max_backoff``); after a permanent error
  (401/403/404/bad input): stop, keep the last good data, mark it stale;
- after an unexpected exception (a bug, or a value nobody foresaw): the run shows an
  ``InternalError`` and polling stops for it until ``refresh``; the traceback goes to the
  ``tui.poll`` logger (``--debug``), never to the terminal;
- unfocused terminal: intervals x ``unfocused_factor``;
- when ``RateLimit-Remaining`` falls under 10% of the limit, intervals stretch so the
  remaining budget lasts until the window resets.

No interval is ever shorter than ``MIN_INTERVAL`` (1 s): Zuora's rate limit is shared by the
whole tenant, so a typo in a config file must not become 500 requests a second.

Time is injected (``clock`` for monotonic time, ``sleep`` for waiting) so tests can run the
schedule on virtual time instead of counting requests after wall-clock sleeps.

Every poll is reported to ``on_update`` (called in the engine's event loop), including polls
that changed nothing: they still move "fetched N s ago". The consumer decides what to repaint.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tui.core.client import ResponseMeta, TaskList, ZuoraClient
from tui.core.errors import ZwrError
from tui.core.model import Phase, Run
from tui.poll.progress import History, Sample

log = logging.getLogger("tui.poll")

FRUGAL_THRESHOLD = 0.10
MIN_INTERVAL = 1.0
MAX_INTERVAL = 3600.0
DEFAULT_INTERVAL = 5.0


class InternalError(ZwrError):
    """An unexpected exception while polling: a bug in zwr or a value nobody foresaw."""

    kind, exit_code = "internal", 1

    @classmethod
    def from_exception(cls, what: str, exc: BaseException) -> InternalError:
        detail = str(exc).strip()
        summary = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
        return cls(f"Internal error while {what} ({summary[:200]}). Press r to retry; details with --debug.")


def clamp_interval(value: object, default: float = DEFAULT_INTERVAL) -> tuple[float, str | None]:
    """A poll interval that is safe to use, and a sentence for the user if ``value`` was not.

    ``nan``, infinities, non-numbers and booleans fall back to ``default``; anything under
    ``MIN_INTERVAL`` becomes ``MIN_INTERVAL``; anything over ``MAX_INTERVAL`` is capped.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default, f"poll interval {value!r} is not a number: using {default:g} s"
    number = float(value)
    if not math.isfinite(number):
        return default, f"poll interval {value!r} is not a finite number: using {default:g} s"
    if number < MIN_INTERVAL:
        return MIN_INTERVAL, f"poll interval {number:g} s is below the minimum: using {MIN_INTERVAL:g} s"
    if number > MAX_INTERVAL:
        return MAX_INTERVAL, f"poll interval {number:g} s is above the maximum: using {MAX_INTERVAL:g} s"
    return number, None


@dataclass(frozen=True)
class RunUpdate:
    run_id: int
    run: Run | None  # the last good data (kept through errors)
    meta: ResponseMeta | None
    error: ZwrError | None  # the latest poll's error, None if it succeeded
    polling: bool  # whether another poll is scheduled
    next_poll_in: float | None  # seconds from ``fetched_at``/the failure, when polling
    fetched_at: float | None  # wall clock of the last good fetch
    transitions: tuple[str, ...] = ()  # finished | stopped | stopping | first_error | failed
    history: tuple[int, ...] = ()
    rate: float | None = None
    eta: float | None = None
    next_poll_at: float | None = None  # wall clock of the next poll, when polling

    @property
    def stale(self) -> bool:
        return self.error is not None and self.run is not None

    @classmethod
    def placeholder(cls, run_id: int) -> RunUpdate:
        """Nothing fetched yet."""
        return cls(run_id, None, None, None, True, None, None)


@dataclass
class _Watch:
    run_id: int
    task: asyncio.Task | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    run: Run | None = None
    meta: ResponseMeta | None = None
    error: ZwrError | None = None
    failures: int = 0
    fetched_at: float | None = None
    history: History = field(default_factory=History)
    polls: int = 0
    in_flight: bool = False
    refresh_pending: bool = False  # refresh() arrived while a fetch was in flight: fetch again after it
    hold_until: float | None = None  # (clock) keep polling until then even if the run looks done


def transitions(before: Run | None, after: Run) -> tuple[str, ...]:
    """State changes worth telling a person about, even if the run is not on screen."""
    if before is None:
        return ()
    found: list[str] = []
    if before.tasks.error == 0 and after.tasks.error > 0:
        found.append("first_error")
    if before.status != after.status:
        if after.status.value == "Finished":
            found.append("failed" if after.tasks.error else "finished")
        elif after.status.value == "Stopped":
            found.append("stopped")
        elif after.status.value == "Stopping":
            found.append("stopping")
    return tuple(found)


def _finite(value: float | None, fallback: float) -> float:
    return value if value is not None and math.isfinite(value) and value >= 0 else fallback


class PollEngine:
    def __init__(
        self,
        client: ZuoraClient,
        on_update: Callable[[RunUpdate], None],
        *,
        interval: float = DEFAULT_INTERVAL,
        settling_interval: float = 30.0,
        max_backoff: float = 300.0,
        unfocused_factor: float = 3.0,
        rng: random.Random | None = None,
        wallclock: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.on_update = on_update
        self.interval, _ = clamp_interval(interval)
        self.settling_interval = settling_interval
        self.max_backoff = max_backoff
        self.unfocused_factor = unfocused_factor
        self.focused = True
        self._rng = rng or random.Random()
        self._watches: dict[int, _Watch] = {}
        self._running = asyncio.Event()
        self._running.set()
        self.polls = 0
        self.wallclock = wallclock
        self.clock = clock
        self._sleep_for = sleep
        self.frugal = False  # true while stretching intervals to save the rate-limit budget

    # ------------------------------------------------------------------ control

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def set_interval(self, seconds: float) -> float:
        """Change the interval (clamped by ``clamp_interval``); returns the one in use."""
        self.interval, _ = clamp_interval(seconds, self.interval)
        for watch in self._watches.values():
            watch.wake.set()  # reschedule with the new interval
        return self.interval

    def set_focus(self, focused: bool) -> None:
        self.focused = focused
        if focused:
            for watch in self._watches.values():
                watch.wake.set()

    @property
    def watched(self) -> list[int]:
        return list(self._watches)

    def watch(self, run_id: int) -> None:
        """Start watching (idempotent). Must be called from within the event loop."""
        if run_id in self._watches:
            return  # already watched (a finished run's loop is restarted by refresh(), not here)
        watch = self._watches[run_id] = _Watch(run_id)
        self._start(watch)

    def _start(self, watch: _Watch) -> None:
        watch.task = asyncio.get_running_loop().create_task(self._guarded(watch), name=f"zwr-poll-{watch.run_id}")

    def unwatch(self, run_id: int) -> None:
        watch = self._watches.pop(run_id, None)
        if watch and watch.task:
            watch.task.cancel()

    def refresh(self, run_id: int | None = None) -> None:
        """Poll now (one run, or all): restarts finished loops, wakes sleeping ones."""
        targets = [run_id] if run_id is not None else list(self._watches)
        for rid in targets:
            watch = self._watches.get(rid)
            if watch is None:
                continue
            watch.failures = 0
            if watch.task is None or watch.task.done():
                self._start(watch)
            else:
                watch.refresh_pending = watch.in_flight
                watch.wake.set()

    def hold(self, run_id: int, seconds: float) -> None:
        """Keep polling ``run_id`` every ``interval`` for ``seconds`` even when it looks done
        (0 releases it: a done run's loop then ends after its next poll). Call ``refresh``
        to restart a loop that has already ended."""
        watch = self._watches.get(run_id)
        if watch is not None:
            watch.hold_until = self.clock() + seconds if seconds > 0 else None

    def active_loops(self) -> int:
        return sum(1 for w in self._watches.values() if w.task and not w.task.done())

    async def aclose(self) -> None:
        tasks = [w.task for w in self._watches.values() if w.task]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._watches.clear()

    async def load_tasks(
        self, run_id: int, expected_total: int | None = None, on_page: Callable[[int, int], None] | None = None
    ) -> TaskList:
        return await self.client.get_tasks(run_id, expected_total=expected_total, on_page=on_page)

    # ------------------------------------------------------------------ the loop

    def _delay_after_success(self, run: Run) -> float | None:
        phase = run.phase
        if phase is Phase.DONE:
            return None
        base = self.interval
        if phase is Phase.SETTLING:
            base = max(self.interval, self.settling_interval)
        elif phase is Phase.UNKNOWN:
            base = max(self.interval, 30.0)
        return base

    def _stretch(self, delay: float) -> float:
        delay *= 1 + self._rng.uniform(-0.1, 0.1)
        if not self.focused:
            delay *= self.unfocused_factor
        limit = self.client.rate_limit
        if limit is not None and limit.fraction_left is not None and limit.fraction_left < FRUGAL_THRESHOLD:
            self.frugal = True
            active = max(1, self.active_loops())
            reset = min(self.max_backoff, _finite(limit.reset, 60.0))
            remaining = max(1, (limit.remaining or 0))
            # spread what is left of the budget over the window, across all active runs
            delay = max(delay, reset * active / remaining, reset if limit.remaining == 0 else 0.0)
        else:
            self.frugal = False
        return max(MIN_INTERVAL, min(delay, self.max_backoff * self.unfocused_factor))

    async def _nap(self, watch: _Watch, delay: float) -> None:
        """Sleep ``delay`` (injected sleep), or less if ``refresh``/``set_interval`` wakes the run."""
        watch.wake.clear()
        waker = asyncio.ensure_future(watch.wake.wait())
        sleeper = asyncio.ensure_future(self._sleep_for(delay))
        try:
            await asyncio.wait((waker, sleeper), return_when=asyncio.FIRST_COMPLETED)
        finally:
            waker.cancel()
            sleeper.cancel()

    async def _budget_gate(self) -> None:
        """Before each request: if the window's budget is (nearly) spent, wait for the reset
        instead of spending the last requests and earning 429s."""
        for _ in range(100):  # bounded: a server that never resets cannot hold a run forever
            budget = self.client.budget_left()
            limit = self.client.rate_limit
            if budget is None or limit is None or not limit.limit:
                return
            left, resets_in = budget
            # keep back one request per active run (each may be about to send one), not a share of
            # the quota: 2% of Zuora's hourly 2,250,000 would stall polling with 45,000 left
            active = sum(1 for w in self._watches.values() if w.task and not w.task.done())
            if left > max(2, active) or resets_in <= 0:
                return
            self.frugal = True
            await self._sleep_for(min(self.max_backoff, _finite(resets_in, 60.0)) + self._rng.uniform(0.05, 0.5))

    async def _guarded(self, watch: _Watch) -> None:
        """The run's loop; an unexpected exception becomes a visible error for that run."""
        try:
            await self._loop(watch)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("polling run %s failed unexpectedly", watch.run_id)
            watch.in_flight = False
            watch.error = InternalError.from_exception(f"polling run {watch.run_id}", exc)
            try:
                self._emit(watch, (), polling=False, delay=None)
            except Exception:
                log.exception("could not report the failure of run %s", watch.run_id)

    async def _loop(self, watch: _Watch) -> None:
        while True:
            await self._running.wait()
            await self._budget_gate()
            watch.in_flight = True
            watch.refresh_pending = False
            try:
                result = await self.client.get_run(watch.run_id)
            except ZwrError as exc:
                watch.in_flight = False
                watch.error = exc
                watch.failures += 1
                if not exc.retryable:
                    self._emit(watch, (), polling=False, delay=None)
                    if watch.refresh_pending:
                        continue
                    return
                backoff = min(self.max_backoff, self.interval * (2 ** min(watch.failures, 30)))
                if exc.retry_after is not None:
                    backoff = max(self.interval, min(self.max_backoff, _finite(exc.retry_after, backoff)))
                delay = self._stretch(backoff)
                self._emit(watch, (), polling=True, delay=delay)
                await self._nap(watch, delay)
                continue
            watch.in_flight = False
            watch.polls += 1
            self.polls += 1
            before = watch.run
            run = result.run
            watch.run, watch.meta, watch.error, watch.failures = run, result.meta, None, 0
            watch.fetched_at = self.wallclock()
            watch.history.add(Sample(self.clock(), run.tasks.done, run.tasks.error, run.tasks.effective_total))
            delay = self._delay_after_success(run)
            if delay is None and watch.hold_until is not None and self.clock() < watch.hold_until:
                delay = self.interval  # held after a write: keep looking until it settles
            if delay is None:
                self._emit(watch, transitions(before, run), polling=False, delay=None)
                if watch.refresh_pending:
                    continue  # the user asked for fresh data while this fetch was on the wire
                return
            delay = self._stretch(delay)
            self._emit(watch, transitions(before, run), polling=True, delay=delay)
            await self._nap(watch, delay)

    def _update(self, watch: _Watch, found: tuple[str, ...], *, polling: bool, delay: float | None) -> RunUpdate:
        return RunUpdate(
            watch.run_id,
            watch.run,
            watch.meta,
            watch.error,
            polling,
            delay,
            watch.fetched_at,
            found,
            tuple(watch.history.series()),
            watch.history.rate(),
            watch.history.eta(),
            self.wallclock() + delay if polling and delay is not None else None,
        )

    def _emit(self, watch: _Watch, found: tuple[str, ...], *, polling: bool, delay: float | None) -> None:
        if self._watches.get(watch.run_id) is not watch:
            return  # unwatched while the request was on the wire
        self.on_update(self._update(watch, found, polling=polling, delay=delay))
