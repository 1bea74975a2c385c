"""The polling engine against the simulator: cadence, no overlap, backoff, terminal stop,
transitions, the interval floor, unexpected exceptions; and the poll thread's batching.

The engine runs on *virtual time* (``VirtualTime``: injected clock and sleep), so cadence is
asserted exactly: "after 5 intervals, 5 more polls" rather than "4 to 7 requests in 1.1 s".
Requests still go over real HTTP to the simulator; the tests wait for conditions (a poll
finished, every loop asleep), never for fixed durations.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import threading
import time

import pytest

from tui.core.auth import StaticToken
from tui.core.client import ClientSettings, ZuoraClient
from tui.poll.engine import MIN_INTERVAL, InternalError, PollEngine, RunUpdate, clamp_interval
from tui.poll.service import PollThread, merge
from tui.sim import RunSpec, Scenario, Simulator


def client_for(sim, **kw):
    return ZuoraClient(ClientSettings(sim.base_url, **kw), StaticToken(sim.demo_token))


class VirtualTime:
    """An injectable clock and sleep: time moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._heap: list[tuple[float, int, asyncio.Future]] = []
        self._seq = itertools.count()
        self.delays: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.delays.append(delay)
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._heap, (self.now + delay, next(self._seq), future))
        await future

    @property
    def sleeping(self) -> int:
        return sum(1 for _, _, f in self._heap if not f.done())

    async def advance(self, seconds: float) -> None:
        self.now += seconds
        while self._heap and self._heap[0][0] <= self.now:
            _, _, future = heapq.heappop(self._heap)
            if not future.done():
                future.set_result(None)
        for _ in range(5):
            await asyncio.sleep(0)


async def until(predicate, timeout: float = 15.0) -> None:
    """Wait (real time, bounded) for a condition, yielding to the event loop."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.005)


def engine_on(client, vt: VirtualTime, updates: list, **kw) -> PollEngine:
    kw.setdefault("interval", 5.0)
    return PollEngine(client, updates.append, clock=vt.clock, sleep=vt.sleep, **kw)


async def test_terminal_runs_polled_once_active_runs_every_interval():
    with Simulator() as sim:
        updates: list[RunUpdate] = []
        vt = VirtualTime()
        async with client_for(sim) as client:
            engine = engine_on(client, vt, updates)
            engine.watch(19063)  # finished
            engine.watch(19070)  # processing
            await until(lambda: engine.polls == 2 and vt.sleeping == 1)
            for n in range(5):
                await vt.advance(engine.interval * 1.1)  # beyond the +10% jitter
                await until(lambda n=n: engine.polls == 3 + n and vt.sleeping == 1)
            await engine.aclose()
        assert len(sim.requests_to("/workflow_runs/19063")) == 1
        assert len(sim.requests_to("/workflow_runs/19070")) == 6
    finished = [u for u in updates if u.run_id == 19063]
    assert len(finished) == 1 and finished[0].polling is False
    assert all(4.5 <= d <= 5.5 for d in vt.delays)  # the interval, ±10% jitter


async def test_no_overlapping_requests_per_run_even_with_refresh_spam():
    with Simulator(latency=0.15) as sim:
        vt = VirtualTime()
        async with client_for(sim) as client:
            engine = engine_on(client, vt, [])
            engine.watch(19070)
            for _ in range(20):
                engine.refresh(19070)
                await asyncio.sleep(0.02)
            await until(lambda: vt.sleeping == 1 and sim.in_flight == 0)
            await engine.aclose()
        records = sorted(sim.requests_to("/workflow_runs/19070"), key=lambda r: r.started)
    assert len(records) >= 2
    for a, b in itertools.pairwise(records):
        assert b.started >= a.ended - 0.005  # the next started only after the previous ended


async def test_errors_keep_last_good_data_and_back_off():
    with Simulator() as sim:
        updates: list[RunUpdate] = []
        vt = VirtualTime()
        async with client_for(sim, max_attempts=1) as client:
            engine = engine_on(client, vt, updates, interval=2.0, max_backoff=30.0)
            engine.watch(19070)
            await until(lambda: engine.polls == 1 and vt.sleeping == 1)
            sim.add_fault("status", status=503)
            for failures in range(1, 6):
                await vt.advance(vt.delays[-1])
                await until(lambda f=failures: sum(1 for u in updates if u.error) == f and vt.sleeping == 1)
            stale = [u for u in updates if u.error is not None]
            assert stale[-1].run is not None and stale[-1].stale and stale[-1].polling
            # backoff doubles from the interval (4, 8, 16, ...) up to max_backoff, ±10% jitter
            for failures, delay in enumerate(vt.delays[1:], start=1):
                assert 0.9 * min(30.0, 2.0 * 2**failures) <= delay <= 1.1 * min(30.0, 2.0 * 2**failures)
            sim.clear_faults()
            engine.refresh(19070)
            await until(lambda: updates[-1].error is None and vt.sleeping == 1)
            await engine.aclose()
    assert updates[-1].run is not None and updates[-1].polling


async def test_permanent_error_stops_polling():
    with Simulator() as sim:
        updates: list[RunUpdate] = []
        vt = VirtualTime()
        async with client_for(sim) as client:
            engine = engine_on(client, vt, updates)
            engine.watch(424242)
            await until(lambda: updates and engine.active_loops() == 0)
            await vt.advance(3600)
            await engine.aclose()
        assert len(sim.requests) == 1
    assert updates[-1].error.kind == "not_found" and updates[-1].polling is False


async def test_transitions_reported_once_each():
    scenario = Scenario([RunSpec(7, "WF-1-7", 10, created_ago=0, queued_for=0.2, duration=0.6, errors=2)])
    with Simulator(scenario) as sim:
        updates: list[RunUpdate] = []
        vt = VirtualTime()
        async with client_for(sim) as client:
            engine = engine_on(client, vt, updates, interval=1.0)
            engine.watch(7)
            for _ in range(300):  # the run evolves in the simulator's real time; poll until it ends
                await until(lambda: vt.sleeping == 1 or engine.active_loops() == 0)
                if engine.active_loops() == 0:
                    break
                await asyncio.sleep(0.02)
                await vt.advance(1.1)
            await engine.aclose()
    found = [t for u in updates for t in u.transitions]
    assert found.count("first_error") == 1 and found.count("failed") == 1
    assert updates[-1].polling is False and updates[-1].run.status.value == "Finished"


async def test_pause_and_resume():
    with Simulator() as sim:
        vt = VirtualTime()
        async with client_for(sim) as client:
            engine = engine_on(client, vt, [])
            engine.watch(19070)
            await until(lambda: engine.polls == 1 and vt.sleeping == 1)
            engine.pause()
            await vt.advance(60)  # the loop wakes and waits for resume: no request
            await until(lambda: vt.sleeping == 0)
            for _ in range(20):
                await asyncio.sleep(0)
            assert engine.polls == 1 and len(sim.requests) == 1
            engine.resume()
            await until(lambda: engine.polls == 2)
            await engine.aclose()


async def test_frugal_when_rate_limit_budget_is_low():
    """Real time here: the simulator's rate-limit window runs on the wall clock."""
    with Simulator(rate_limit=(6, 2.0)) as sim:
        async with client_for(sim, max_attempts=1) as client:
            engine = PollEngine(client, lambda u: None, interval=1.0)
            for run_id in (19070, 19072, 19064, 19065):  # 4 requests a second against 3 allowed
                engine.watch(run_id)
            saw_frugal = False
            deadline = time.monotonic() + 20
            while len(sim.requests) < 8 and time.monotonic() < deadline:
                saw_frugal = saw_frugal or engine.frugal
                await asyncio.sleep(0.05)
            await engine.aclose()
        assert sim.rejected_429 == 0  # it slowed down by itself before Zuora said no
    assert saw_frugal


async def test_refresh_during_an_in_flight_fetch_is_not_lost():
    with Simulator(latency=0.3) as sim:
        vt = VirtualTime()
        async with client_for(sim) as client:
            engine = engine_on(client, vt, [])
            engine.watch(19063)  # finished: one fetch, then the loop ends
            await until(lambda: sim.in_flight == 1)  # that fetch is on the wire
            engine.refresh(19063)
            engine.watch(19063)  # watching again is a no-op, not a second loop
            await until(lambda: engine.active_loops() == 0)
            await engine.aclose()
        assert len(sim.requests_to("/workflow_runs/19063")) == 2


# ----------------------------------------------------------------------------- the interval floor


@pytest.mark.parametrize(
    "wanted, used, complains",
    [
        (5, 5.0, False),
        (1, 1.0, False),
        (0.001, MIN_INTERVAL, True),
        (0, MIN_INTERVAL, True),
        (-1, MIN_INTERVAL, True),
        (float("nan"), 5.0, True),
        (float("inf"), 5.0, True),
        ("3", 5.0, True),
        (True, 5.0, True),
        (10**9, 3600.0, True),
    ],
)
def test_interval_is_clamped_never_nan_or_sub_second(wanted, used, complains):
    interval, problem = clamp_interval(wanted, 5.0)
    assert interval == used and math.isfinite(interval) and interval >= MIN_INTERVAL
    assert (problem is not None) == complains


async def test_engine_refuses_tiny_and_nan_intervals():
    with Simulator() as sim:
        async with client_for(sim) as client:
            engine = PollEngine(client, lambda u: None, interval=0.001)
            assert engine.interval == MIN_INTERVAL
            assert engine.set_interval(float("nan")) == MIN_INTERVAL  # unchanged
            assert engine.set_interval(-1) == MIN_INTERVAL
            assert engine.set_interval(7) == 7.0


async def test_retry_after_forever_is_clamped():
    with Simulator() as sim:
        vt = VirtualTime()
        async with client_for(sim, max_attempts=1) as client:
            engine = engine_on(client, vt, [], max_backoff=300.0)
            sim.add_fault("status", status=429, headers={"Retry-After": "99999999"})
            engine.watch(19070)
            await until(lambda: vt.sleeping == 1)
            await engine.aclose()
    assert vt.delays[-1] <= 300.0 * 1.1


# ----------------------------------------------------------------------------- unexpected exceptions


async def test_unexpected_exception_becomes_a_visible_error_and_refresh_retries():
    with Simulator() as sim:
        updates: list[RunUpdate] = []
        vt = VirtualTime()
        async with client_for(sim) as client:
            real = client.get_run
            calls = 0

            async def flaky(run_id):
                nonlocal calls
                calls += 1
                if calls == 1:
                    raise ValueError("a value nobody foresaw")
                return await real(run_id)

            client.get_run = flaky
            engine = engine_on(client, vt, updates)
            engine.watch(19070)
            await until(lambda: updates and engine.active_loops() == 0)
            error = updates[-1].error
            assert isinstance(error, InternalError) and updates[-1].polling is False
            assert "ValueError: a value nobody foresaw" in error.describe() and "Press r" in error.describe()
            engine.refresh(19070)  # r
            await until(lambda: updates[-1].error is None and updates[-1].run is not None)
            await engine.aclose()


# ----------------------------------------------------------------------------- the poll thread


def test_merge_keeps_the_newest_state_and_every_transition():
    old = RunUpdate(1, None, None, None, True, 5.0, 1.0, transitions=("first_error",))
    new = RunUpdate(1, None, None, None, False, None, 2.0, transitions=("failed",))
    merged = merge(old, new)
    assert merged.fetched_at == 2.0 and merged.polling is False
    assert merged.transitions == ("first_error", "failed")
    assert merge(RunUpdate(1, None, None, None, True, 5.0, 1.0), new) is new


def test_poll_thread_batches_off_the_caller_thread_and_shuts_down_cleanly():
    scenario = Scenario()
    ids = scenario.add_synthetic(30)
    with Simulator(scenario) as sim:
        batches: list[tuple[float, tuple, str]] = []
        lock = threading.Lock()

        def sink(batch) -> None:
            with lock:
                batches.append((time.monotonic(), batch, threading.current_thread().name))

        poller = PollThread(lambda: client_for(sim), interval=1.0).start()
        for run_id in ids:
            poller.watch(run_id)  # controls from this (another) thread
        poller.attach(sink)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with lock:
                seen = {u.run_id for _, b, _ in batches for u in b}
            if len(seen) == len(ids) and poller.polls >= 2 * len(ids):
                break
            time.sleep(0.02)
        poller.pause()
        assert poller.paused
        poller.close()
        assert not poller.alive  # the thread ended, the client is closed
    assert {u.run_id for _, b, _ in batches for u in b} == set(ids)
    assert all(name == "zwr-poll" for _, _, name in batches)
    for _, batch, _ in batches:
        assert len({u.run_id for u in batch}) == len(batch)  # one (the newest) update per run
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(batches)]
    assert all(gap >= 0.09 for gap in gaps)  # at most one batch every ~100 ms
    assert len(batches) < poller.polls  # updates were coalesced, not one message each


def test_poll_thread_loads_tasks_in_its_own_thread():
    with Simulator() as sim:
        poller = PollThread(lambda: client_for(sim)).start()
        pages: list[str] = []
        future = poller.load_tasks(19073, 250, on_page=lambda n, c: pages.append(threading.current_thread().name))
        listing = future.result(timeout=20)
        poller.close()
    assert len(listing.tasks) == 250 and set(pages) == {"zwr-poll"}
