"""The polling engine against the simulator: cadence, no overlap, backoff, terminal stop, transitions."""

import asyncio
import itertools

from tui.core.auth import StaticToken
from tui.core.client import ClientSettings, ZuoraClient
from tui.poll.engine import PollEngine
from tui.sim import RunSpec, Scenario, Simulator


def client_for(sim, **kw):
    return ZuoraClient(ClientSettings(sim.base_url, **kw), StaticToken(sim.demo_token))


async def test_terminal_runs_polled_once_active_runs_repeatedly():
    with Simulator() as sim:
        updates = []
        async with client_for(sim) as client:
            engine = PollEngine(client, updates.append, interval=0.2)
            engine.watch(19063)  # finished
            engine.watch(19070)  # processing
            await asyncio.sleep(1.1)
            await engine.aclose()
        finished = len(sim.requests_to("/workflow_runs/19063"))
        active = len(sim.requests_to("/workflow_runs/19070"))
    assert finished == 1
    assert 4 <= active <= 7
    first = [u for u in updates if u.run_id == 19063]
    assert len(first) == 1 and first[0].polling is False


async def test_no_overlapping_requests_per_run_even_with_refresh_spam():
    with Simulator(latency=0.15) as sim:
        async with client_for(sim) as client:
            engine = PollEngine(client, lambda u: None, interval=0.05)
            engine.watch(19070)
            for _ in range(20):
                engine.refresh(19070)
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.5)
            await engine.aclose()
        records = sorted(sim.requests_to("/workflow_runs/19070"), key=lambda r: r.started)
    for a, b in itertools.pairwise(records):
        assert b.started >= a.ended - 0.005  # the next started only after the previous ended


async def test_errors_keep_last_good_data_and_back_off():
    with Simulator() as sim:
        updates = []
        async with client_for(sim, max_attempts=1) as client:
            engine = PollEngine(client, updates.append, interval=0.1)
            engine.watch(19070)
            await asyncio.sleep(0.3)
            sim.add_fault("status", status=503)
            await asyncio.sleep(1.0)
            stale = [u for u in updates if u.error is not None]
            assert stale and stale[-1].run is not None and stale[-1].stale
            count_during_fault = len(sim.requests_to("/workflow_runs/19070"))
            sim.clear_faults()
            engine.refresh(19070)
            await asyncio.sleep(0.3)
            await engine.aclose()
    assert updates[-1].error is None and updates[-1].run is not None
    # backoff 0.2, 0.4, 0.8...: far fewer than 1.0/0.1 polls during the fault
    assert count_during_fault < 3 + 6


async def test_permanent_error_stops_polling():
    with Simulator() as sim:
        updates = []
        async with client_for(sim) as client:
            engine = PollEngine(client, updates.append, interval=0.05)
            engine.watch(424242)
            await asyncio.sleep(0.4)
            await engine.aclose()
        assert len(sim.requests) == 1
    assert updates[-1].error.kind == "not_found" and updates[-1].polling is False


async def test_transitions_and_unchanged_data_not_reemitted():
    scenario = Scenario([RunSpec(7, "WF-1-7", 10, created_ago=0, queued_for=0.2, duration=0.6, errors=2)])
    with Simulator(scenario) as sim:
        updates = []
        async with client_for(sim) as client:
            engine = PollEngine(client, updates.append, interval=0.05)
            engine.watch(7)
            await asyncio.sleep(1.5)
            await engine.aclose()
    found = [t for u in updates for t in u.transitions]
    assert "first_error" in found and "failed" in found
    assert updates[-1].polling is False and updates[-1].run.status.value == "Finished"
    # unchanged polls emit nothing: far fewer updates than polls
    assert len(updates) <= engine.polls


async def test_pause_and_resume():
    with Simulator() as sim:
        async with client_for(sim) as client:
            engine = PollEngine(client, lambda u: None, interval=0.05)
            engine.watch(19070)
            await asyncio.sleep(0.2)
            engine.pause()
            await asyncio.sleep(0.1)
            paused_count = len(sim.requests)
            await asyncio.sleep(0.4)
            assert len(sim.requests) == paused_count
            engine.resume()
            await asyncio.sleep(0.3)
            assert len(sim.requests) > paused_count
            await engine.aclose()


async def test_frugal_when_rate_limit_budget_is_low():
    with Simulator(rate_limit=(40, 5)) as sim:
        async with client_for(sim, max_attempts=1) as client:
            engine = PollEngine(client, lambda u: None, interval=0.05)
            for run_id in (19070, 19072, 19064):
                engine.watch(run_id)
            await asyncio.sleep(3)
            await engine.aclose()
        assert sim.rejected_429 == 0  # it slowed down by itself before Zuora said no
    assert engine.frugal or len(sim.requests) < 40


async def test_refresh_during_an_in_flight_fetch_is_not_lost():
    with Simulator(latency=0.3) as sim:
        async with client_for(sim) as client:
            engine = PollEngine(client, lambda u: None, interval=0.1)
            engine.watch(19063)  # finished: one fetch, then the loop ends
            await asyncio.sleep(0.1)  # that fetch is on the wire
            engine.refresh(19063)
            engine.watch(19063)  # watching again is a no-op, not a second loop
            await asyncio.sleep(1.0)
            await engine.aclose()
        assert len(sim.requests_to("/workflow_runs/19063")) == 2
