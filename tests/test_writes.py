"""The TUI's writes without the TUI (issue 15): the poll thread runs them, the engine keeps a run
polled after one, ``Writer`` reads again before it sends, ``Follow`` says when a run settled.

Against the simulator over real HTTP; the engine on virtual time."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

from tests.test_poll import VirtualTime, client_for, engine_on, until
from tui.core import actions as A
from tui.core.model import Run, Task
from tui.poll.engine import RunUpdate
from tui.poll.service import PollThread
from tui.poll.writes import CANCELLED, FOLLOW_SECONDS, Follow, Outcome, Writer, summary
from tui.store.audit import AuditError, AuditLog, read_entries


def writer_for(sim, tmp_path, *, allowed=True) -> Writer:
    audit = AuditLog.for_connection("test", sim.base_url, tmp_path / "audit.jsonl")
    return Writer(audit, allowed=allowed, profile="test", environment="Simulator", production=False)


def entries(writer: Writer) -> list[dict]:
    return read_entries(writer.audit.path)


def http(sim):
    return httpx.Client(base_url=sim.base_url, headers={"Authorization": f"Bearer {sim.demo_token}"}, timeout=10)


# ---------------------------------------------------------------------------- the engine and the poll thread


async def test_hold_keeps_a_done_run_polled_until_released(sim):
    """A finished run is polled once; held (after a write) it is polled every interval, whether
    or not Zuora shows it active again; released, its loop ends after the next poll."""
    updates: list[RunUpdate] = []
    vt = VirtualTime()
    async with client_for(sim) as client:
        engine = engine_on(client, vt, updates)
        engine.watch(19063)
        await until(lambda: engine.polls == 1 and engine.active_loops() == 0)
        engine.hold(19063, 60)
        engine.refresh(19063)  # the loop had ended: refresh restarts it
        await until(lambda: engine.polls == 2 and vt.sleeping == 1)
        for n in range(3):
            await vt.advance(engine.interval * 1.1)
            await until(lambda n=n: engine.polls == 3 + n and vt.sleeping == 1)
        assert all(u.polling for u in updates[1:]) and updates[0].polling is False
        engine.hold(19063, 0)
        await vt.advance(engine.interval * 1.1)
        await until(lambda: engine.polls == 6 and engine.active_loops() == 0)
        await vt.advance(engine.interval * 5)
        await engine.aclose()
    assert len(sim.requests_to("/workflow_runs/19063")) == 6 and updates[-1].polling is False


async def test_a_hold_runs_out_by_itself(sim):
    vt = VirtualTime()
    async with client_for(sim) as client:
        engine = engine_on(client, vt, [])
        engine.watch(19063)
        await until(lambda: engine.polls == 1)
        engine.hold(19063, 12)
        engine.refresh(19063)
        for n in range(4):
            await until(lambda n=n: engine.polls == 2 + n and (vt.sleeping == 1 or engine.active_loops() == 0))
            await vt.advance(engine.interval * 1.1)
        await until(lambda: engine.active_loops() == 0)
        await engine.aclose()
    assert engine.polls <= 5  # held for 12 s at a 5 s interval: a few polls, then it stopped by itself


def test_call_runs_on_the_poll_threads_client_and_close_lets_a_write_finish(sim):
    poller = PollThread(lambda: client_for(sim)).start()

    async def where(client):
        return threading.current_thread().name, client is poller.client

    assert poller.call(where).result(timeout=10) == ("zwr-poll", True)
    sim.add_fault("latency", path="/stop", delay=0.6)

    async def stop(client):
        return await client.stop_run(19072)

    future = poller.call(stop)
    deadline = time.monotonic() + 10
    while not sim.requests_to("/stop") and time.monotonic() < deadline:
        time.sleep(0.01)
    poller.close(timeout=10)  # the stop is on the wire: it is let finish, not cut off
    assert not poller.alive and future.done() and not future.cancelled()
    assert future.result().meta.status == 200 and sim.stops_performed == {19072: 1}
    late = poller.call(where)  # closed: nothing runs
    assert late.cancelled()


# ---------------------------------------------------------------------------- the Writer


async def test_nothing_to_stop_is_recorded_and_nothing_is_sent(sim, tmp_path):
    writer = writer_for(sim, tmp_path)
    async with client_for(sim) as client:
        plan = await writer.prepare_stop(client, 19063)  # Finished
    assert plan.nothing_to_do and "already Finished" in writer.why_not(plan)
    assert sim.requests_to("/stop") == [] and sim.stops_performed == {}
    (line,) = entries(writer)
    assert line["action"] == "stop" and line["result"] == "not_sent" and "already Finished" in line["message"]


async def test_a_stop_reads_the_run_again_after_the_question(sim, tmp_path):
    """Someone else stopped the run while the question stood open: nothing is sent."""
    writer = writer_for(sim, tmp_path)
    async with client_for(sim) as client:
        plan = await writer.prepare_stop(client, 19072)
        assert not plan.nothing_to_do
        with http(sim) as other:
            assert other.put("/workflows/workflow_runs/19072/stop").status_code == 200
        outcome = await writer.stop(client, plan)
    assert sim.stops_performed == {19072: 1} and len(sim.requests_to("/stop")) == 1
    (record,) = outcome.records
    assert record.result == A.NOT_SENT and "already Stopping" in record.message and not outcome.sent
    assert [e["result"] for e in entries(writer)] == ["not_sent"]


async def test_a_rerun_sends_only_what_is_still_failed_and_never_what_was_not_confirmed(sim, tmp_path):
    writer = writer_for(sim, tmp_path)
    async with client_for(sim) as client:
        plan = await writer.prepare_rerun_failed(client, 19066)
        ids = [t.id for t in plan.tasks]
        assert len(ids) == 3 and plan.failed_only
        with http(sim) as other:  # one of them is rerun by someone else meanwhile
            assert other.post(f"/workflows/tasks/{ids[0]}/rerun").status_code == 200
        outcome = await writer.rerun(client, plan)
    assert sim.reruns_performed == dict.fromkeys(ids, 1)  # the first only once: by the other person
    by_task = {r.task_id: r for r in outcome.records}
    assert by_task[ids[0]].result == A.NOT_SENT and "has not ended" in by_task[ids[0]].message
    assert by_task[ids[1]].result == by_task[ids[2]].result == A.DONE and outcome.done == 2
    assert [e["task_id"] for e in entries(writer)] == ids
    text, severity = summary(plan, outcome)
    assert text.startswith("Rerun of 2 of 3 tasks of run 19066 sent; 1 not sent") and severity == "warning"


async def test_an_unwritable_audit_trail_stops_everything_before_a_request(sim, tmp_path):
    writer = writer_for(sim, tmp_path)
    writer.audit.path.symlink_to(tmp_path / "elsewhere")
    async with client_for(sim) as client:
        with pytest.raises(AuditError, match="symbolic link"):
            await writer.prepare_rerun_failed(client, 19066)
    assert sim.requests == []


async def test_closing_zwr_while_a_rerun_is_on_the_wire_is_recorded_as_unknown(sim, tmp_path):
    writer = writer_for(sim, tmp_path)
    sim.add_fault("latency", path="/rerun", delay=2)
    async with client_for(sim) as client:
        plan = await writer.prepare_rerun_failed(client, 19066)
        task = asyncio.ensure_future(writer.rerun(client, plan))
        await until(lambda: sim.requests_to("/rerun"))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    *answered, line = entries(writer)
    assert all(e["result"] == "done" for e in answered) and len(answered) < len(plan.tasks)
    assert line["result"] == "unknown" and line["task_id"] == plan.tasks[len(answered)].id
    assert "zwr was closed" in line["message"] and "not repeated" in line["message"]
    # its key is remembered: a rerun within 24 hours sends the same one, so the task cannot run twice
    assert writer.audit.unresolved_keys([line["task_id"]])[line["task_id"]][0] == line["idempotency_key"]


async def test_refusals_and_cancels_are_recorded(sim, tmp_path):
    writer = writer_for(sim, tmp_path, allowed=False)
    async with client_for(sim) as client:
        await writer.record(client, writer.refused(A.STOP, 19072))
        plan = A.plan_stop((await client.get_run(19072)).run)
        await writer.record(client, writer.cancelled(plan))
    hint, cancel = entries(writer)
    assert hint["result"] == cancel["result"] == "not_sent" and "allow_write = true" in hint["message"]
    assert cancel["message"] == CANCELLED and cancel["run_id"] == 19072
    assert sim.requests_to("/stop") == []


# ---------------------------------------------------------------------------- Follow


def run(status: str, **counts: int) -> Run:
    tasks = dict.fromkeys(("queued", "processing", "pending", "stopped", "success", "error"), 0) | counts
    return Run.parse({"id": 7, "name": "WF-7", "status": status, "tasks": {"total": sum(tasks.values()), **tasks}})


def update(r: Run, fetched: float, error=None) -> RunUpdate:
    return RunUpdate(7, r, None, error, True, 5.0, fetched)


def test_follow_a_stop_until_it_is_stopped():
    follow = Follow.after(A.STOP, 7, run("Processing", success=5, queued=5).tasks, now=100.0)
    assert follow.until == 100.0 + FOLLOW_SECONDS
    assert follow.observe(update(run("Processing", success=5, queued=5), 99.0)) is None  # fetched before the write
    assert follow.observe(update(run("Stopping", success=5, stopped=5), 101.0)) is None
    text, severity = follow.observe(update(run("Stopped", success=5, stopped=5), 102.0))
    assert text == "Stop of run 7 settled: Stopped; 10 tasks: 5 success, 5 stopped." and severity == "warning"


def test_follow_a_rerun_that_zuora_shows_late():
    """The first fetches after a rerun may still show the run as it was: not settled yet."""
    before = run("Finished", success=9, error=3)
    follow = Follow.after(A.RERUN, 7, before.tasks, now=100.0)
    assert follow.observe(update(before, 101.0)) is None
    assert follow.observe(update(before, 101.0, error=RuntimeError())) is None  # a failed poll is no fetch
    assert follow.observe(update(run("Finished", success=9, queued=3), 102.0)) is None  # Finished, tasks queued
    text, severity = follow.observe(update(run("Finished", success=11, error=1), 103.0))
    assert (
        text == "Rerun of tasks of run 7 settled: Finished; 12 tasks: 11 success, 1 error (before the rerun: 3 errors)."
    )
    assert severity == "error"


def test_follow_a_rerun_that_never_shows():
    before = run("Finished", success=9, error=3)
    follow = Follow.after(A.RERUN, 7, before.tasks, now=100.0)
    assert [follow.observe(update(before, 100.0 + n)) for n in range(1, 3)] == [None, None]
    assert follow.observe(update(before, 104.0)) is not None  # three fetches said the same: settled
    assert not follow.expired(100.0 + FOLLOW_SECONDS) and follow.expired(101.0 + FOLLOW_SECONDS)


def test_summary_of_a_clean_batch_and_of_one_task():
    r = run("Finished", success=9, error=3)
    tasks = tuple(Task.parse({"id": i, "status": "Error", "workflow_id": 7}) for i in (1, 2))
    plan = A.RerunPlan(r, tasks, failed_only=True)
    done = Outcome(tuple(A.Record(A.RERUN, 7, t.id, A.DONE, f"Rerun of task {t.id} sent.") for t in tasks))
    assert summary(plan, done) == ("Rerun of 2 tasks of run 7 sent: Zuora accepted each.", "information")
    refused = A.Record(A.RERUN, 7, 1, A.REFUSED, "HTTP 403: needs Workflow Run Access.")
    assert summary(A.RerunPlan(r, tasks[:1]), Outcome((refused,))) == (refused.message, "error")


def test_nothing_to_rerun_says_why_once():
    """ "Nothing to rerun: task 1906300001 succeeded." (it said "… succeeded: nothing to rerun." twice over)."""
    run = Run.parse({"id": 19063, "status": "Finished", "tasks": {"total": 1, "success": 1}})
    task = Task.parse({"id": 1906300001, "status": "Success", "workflow_id": 19063})
    plan = A.RerunPlan(run, (), ((task.id, A.rerun_reason(task, 19063)),))
    assert Writer.why_not(plan) == "Nothing to rerun: task 1906300001 succeeded."
