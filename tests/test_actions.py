"""Acting on a run (issue 15), headless: the simulator's stop and rerun, the client's write
methods, what there is to do, and the executor against the simulator over real HTTP."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tui.core import actions as A
from tui.core import errors as E
from tui.core.auth import StaticToken
from tui.core.client import ClientSettings, ZuoraClient
from tui.core.model import Run, RunStatus, Task, TaskStatus
from tui.sim.scenario import STOP_VIEWS

DATA = Path(__file__).parent / "data" / "zuora"


def example(name):
    return json.loads((DATA / name).read_text())


def http(sim):
    return httpx.Client(base_url=sim.base_url, headers={"Authorization": f"Bearer {sim.demo_token}"}, timeout=10)


def run_of(sim, run_id):
    with http(sim) as c:
        return c.get(f"/workflows/workflow_runs/{run_id}").json()


async def noop_sleep(seconds):
    return None


def client(sim, **settings):
    return ZuoraClient(ClientSettings(sim.base_url, **settings), StaticToken(sim.demo_token), sleep=noop_sleep)


# ---------------------------------------------------------------------------- the simulator


def test_sim_stop_is_stopping_for_a_few_polls_then_stopped_and_pending_tasks_stop(sim):
    before = run_of(sim, 19072)  # stuck: Processing forever
    assert before["status"] == "Processing" and before["tasks"]["queued"] > 0
    with http(sim) as c:
        assert c.put("/workflows/workflow_runs/19072/stop").json() == example("stop_run_example.json")
        statuses = [c.get("/workflows/workflow_runs/19072").json() for _ in range(STOP_VIEWS + 1)]
    assert [s["status"] for s in statuses] == ["Stopping"] * (STOP_VIEWS - 1) + ["Stopped"] * 2
    stopping, stopped = statuses[0]["tasks"], statuses[-1]["tasks"]
    assert stopping["queued"] == stopping["pending"] == 0 and stopping["stopped"] > 0
    assert stopped["processing"] == 0 and stopped["stopped"] == before["tasks"]["total"] - before["tasks"]["success"]
    assert statuses[-1]["finishedAt"] and sum(v for k, v in stopped.items() if k != "total") == stopped["total"]
    assert sim.stops_performed == {19072: 1}


def test_sim_stop_of_an_ended_run_is_refused_in_the_workflow_error_shape(sim):
    with http(sim) as c:
        answer = c.put("/workflows/workflow_runs/19063/stop")
        missing = c.put("/workflows/workflow_runs/999/stop")
    assert answer.status_code == 409
    assert answer.json()["errors"][0].keys() == example("error_workflow_errors.json")["errors"][0].keys()
    assert (missing.status_code, missing.json()) == (404, example("error_stop_run_404.json"))
    assert sim.stops_performed == {}


def test_sim_rerun_goes_queued_processing_then_ends_and_counts_follow(sim):
    task_id = 1906600010  # 19066 finished with 3 errors
    with http(sim) as c:
        answer = c.post(f"/workflows/tasks/{task_id}/rerun", headers={"Idempotency-Key": "k-1"})
        seen = []
        for _ in range(4):
            run = c.get("/workflows/workflow_runs/19066").json()
            seen.append((run["status"], run["tasks"]["error"], run["tasks"]["success"], run["tasks"]["queued"]))
        task = c.get(f"/workflows/tasks/{task_id}").json()
    assert answer.status_code == 200 and answer.json()["status"] == "Queued" and answer.json()["id"] == task_id
    assert set(answer.json()) >= set(example("task_rerun_example.json")) - {"concurrent_limit"}
    assert seen[0] == ("Processing", 2, 9, 0)  # the run is active again while the rerun runs
    assert seen[-1] == ("Finished", 2, 10, 0) and task["status"] == "Success" and task["error"] is None
    assert sim.reruns_performed == {task_id: 1}


def test_sim_idempotency_key_same_answer_no_second_rerun(sim):
    task_id = 1906600011
    with http(sim) as c:
        first = c.post(f"/workflows/tasks/{task_id}/rerun", headers={"Idempotency-Key": "same"})
        again = c.post(f"/workflows/tasks/{task_id}/rerun", headers={"Idempotency-Key": "same"})
        other_path = c.post("/workflows/tasks/1906600012/rerun", headers={"Idempotency-Key": "same"})
        new_key = c.post(f"/workflows/tasks/{task_id}/rerun", headers={"Idempotency-Key": "new"})
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers["Zuora-Request-Id"] == first.headers["Zuora-Request-Id"]  # the saved answer
    assert other_path.status_code == 422
    assert new_key.status_code == 409 and "Queued" in new_key.json()["Errors"][0]["title"]  # still running
    assert sim.reruns_performed == {task_id: 1}


def test_sim_rerun_that_fails_again_and_validation_errors_stay_errors(sim):
    sim.rerun_errors.add(1906600012)
    validation = 1907500317 + 83  # 19075's last error is the validation one
    with http(sim) as c:
        for task_id in (1906600012, validation):
            assert c.post(f"/workflows/tasks/{task_id}/rerun").status_code == 200
        for _ in range(3):
            c.get("/workflows/workflow_runs/19066")
            c.get("/workflows/workflow_runs/19075")
        ended = [c.get(f"/workflows/tasks/{t}").json() for t in (1906600012, validation)]
    assert [t["status"] for t in ended] == ["Error", "Error"]
    assert ended[1]["error_class"] and "Validation" in ended[1]["error_class"] + ended[1]["error"]


def test_sim_fault_after_acting_keeps_the_saved_answer(sim):
    sim.add_fault("status", status=502, path="rerun", acted=True, times=1)
    with http(sim) as c:
        lost = c.post("/workflows/tasks/1906600010/rerun", headers={"Idempotency-Key": "k"})
        replay = c.post("/workflows/tasks/1906600010/rerun", headers={"Idempotency-Key": "k"})
    assert lost.status_code == 502 and replay.status_code == 200 and replay.json()["status"] == "Queued"
    assert sim.reruns_performed == {1906600010: 1}
    assert [r.idempotency_key for r in sim.requests_to("/rerun")] == ["k", "k"]
    with pytest.raises(ValueError):
        sim.add_fault("truncate", acted=True)


# ---------------------------------------------------------------------------- what there is to do


def run(status, **tasks):
    counts = {"total": sum(tasks.values()), **tasks}
    return Run.parse({"id": 7, "name": "WF-1-2", "status": status, "tasks": counts})


@pytest.mark.parametrize(
    "status, tasks, sends",
    [
        ("Queued", {"queued": 3}, True),
        ("Processing", {"success": 1, "queued": 2}, True),
        ("Finished", {"success": 1, "pending": 2}, True),  # settling: pending tasks would still run
        ("Stopping", {"stopped": 3}, False),
        ("Stopped", {"stopped": 3}, False),
        ("Finished", {"success": 3}, False),
        ("Finished", {"success": 2, "error": 1}, False),
    ],
)
def test_plan_stop_sends_only_when_the_run_can_still_do_something(status, tasks, sends):
    plan = A.plan_stop(run(status, **tasks))
    assert plan.nothing_to_do is not sends
    if not sends:
        assert "nothing was sent" in plan.reason and status in plan.reason


def task(status, **extra):
    return Task.parse({"id": 70001, "status": status, "workflow_id": 7, "instance": True, **extra})


def test_rerun_reason_only_failed_or_stopped_tasks():
    assert A.rerun_reason(task("Error"), 7) is None and A.rerun_reason(task("Stopped"), 7) is None
    assert "succeeded" in A.rerun_reason(task("Success"), 7)
    for status in ("Queued", "Processing", "Pending"):
        assert "has not ended" in A.rerun_reason(task(status), 7)
    assert "does not know" in A.rerun_reason(task("Exploded"), 7)
    assert "run 8" in A.rerun_reason(task("Error", workflow_id=8), 7)
    assert "definition" in A.rerun_reason(task("Error", instance=False), 7)


def test_confirmation_names_production_run_and_exactly_what_happens():
    plan = A.plan_stop(run("Processing", success=14, queued=16))
    lines = A.confirmation(plan, environment="US Production (https://rest.zuora.com)", production=True, profile="p")
    text = "\n".join(lines)
    assert "⚠ PRODUCTION" in text and "run 7 “WF-1-2”" in text and "16 tasks not yet done will not run" in text
    hostile = Run.parse({"id": 7, "name": "\x1b[31mred", "status": "Processing", "tasks": {"total": 1, "queued": 1}})
    assert "\x1b" not in "\n".join(
        A.confirmation(A.plan_stop(hostile), environment="x", production=False, profile=None)
    )


def test_choose_key_reuses_an_unresolved_key_until_the_task_has_run_since():
    when = datetime(2026, 1, 1, 12, tzinfo=UTC)
    old = task("Error", start_time="2026-01-01T11:00:00Z", end_time="2026-01-01T11:00:02Z")
    assert A.choose_key(old, ("zwr-old", when)) == "zwr-old"
    ran_since = task("Error", start_time="2026-01-01T12:05:00Z", end_time="2026-01-01T12:05:02Z")
    assert A.choose_key(ran_since, ("zwr-old", when)) != "zwr-old"
    assert A.choose_key(old, None).startswith("zwr-") and A.choose_key(old, None) != A.choose_key(old, None)


# ---------------------------------------------------------------------------- the executor


def execute(sim, action, **settings):
    records = []

    async def go():
        async with client(sim, **settings) as c:
            executor = A.Executor(c, records.append, allowed=True)
            return await action(c, executor)

    return asyncio.run(go()), records


def test_executor_stop_done_and_recorded(sim):
    async def act(c, ex):
        return await ex.stop(A.plan_stop((await c.get_run(19072)).run))

    record, records = execute(sim, act)
    assert record.result == A.DONE and record.status == 200 and record.request_id and records == [record]
    assert run_of(sim, 19072)["status"] == "Stopping"


def test_executor_refuses_to_write_when_writes_are_off(sim):
    records = []

    async def go():
        async with client(sim) as c:
            ex = A.Executor(c, records.append, allowed=False, profile="prod")
            plan = A.plan_stop((await c.get_run(19072)).run)
            return await ex.stop(plan), await ex.rerun(task("Error"), "zwr-k")

    stop, rerun = asyncio.run(go())
    assert stop.result == rerun.result == A.NOT_SENT and "allow_write = true in [profiles.prod]" in stop.message
    assert sim.requests_to("/stop") == [] and sim.requests_to("/rerun") == [] and len(records) == 2


def test_client_write_errors_say_what_to_do(sim):
    sim.add_fault("status", status=403, path="rerun")
    sim.add_fault("status", status=403, path="stop")

    async def go():
        async with client(sim) as c:
            errors = []
            for call in (c.rerun_task(1906600010, idempotency_key="k"), c.stop_run(19072), c.stop_run(0)):
                try:
                    await call
                except E.ZwrError as exc:
                    errors.append(exc)
            return errors

    rerun, stop, bad = asyncio.run(go())
    assert isinstance(rerun, E.PermissionDenied) and "Workflow Run Access" in rerun.message
    assert isinstance(stop, E.PermissionDenied) and "Stop a workflow run" in stop.message
    assert isinstance(bad, E.BadInput)


def test_http_200_success_false_on_a_write_is_a_refusal_with_zuoras_text(sim):
    sim.add_fault("body", path="stop", body={"success": False, "reasons": [{"code": 50000020, "message": "No."}]})

    async def act(c, ex):
        return await ex.stop(A.plan_stop((await c.get_run(19072)).run))

    record, _ = execute(sim, act)
    assert record.result == A.REFUSED and record.exit_code == 15 and "No." in record.message


def test_batch_stops_at_the_first_permission_error_and_reports_every_task(sim):
    sim.add_fault("status", status=403, path="rerun")

    async def act(c, ex):
        r = (await c.get_run(19075)).run
        plan = A.plan_rerun_failed(r, await c.get_tasks(19075, expected_total=r.tasks.total))
        return plan, await ex.rerun_all(plan, {t.id: f"k{t.id}" for t in plan.tasks})

    (plan, batch), records = execute(sim, act)
    assert len(plan.tasks) == 84 and len(batch.records) == 84 and batch.stopped_at is batch.records[0]
    assert batch.records[0].result == A.REFUSED and len(batch.not_attempted) == 83
    assert len(sim.requests_to("/rerun")) == 1 and len(records) == 1  # one attempt, one audit record


def test_batch_goes_on_after_a_task_that_is_not_found(sim):
    sim.add_fault("status", status=404, path="1906600010/rerun")

    async def act(c, ex):
        r = (await c.get_run(19066)).run
        plan = A.plan_rerun_failed(r, await c.get_tasks(19066))
        return await ex.rerun_all(plan, {t.id: f"k{t.id}" for t in plan.tasks})

    batch, _ = execute(sim, act)
    assert [r.result for r in batch.records] == [A.REFUSED, A.DONE, A.DONE] and batch.stopped_at is None
    assert "45 days in production" in batch.records[0].message


def test_incomplete_task_list_refuses_rerun_failed():
    from tui.core.client import TaskList

    listing = TaskList(7, (task("Error"),), 1, None, partial="a page repeated itself")
    with pytest.raises(E.BadResponse, match="incomplete"):
        A.plan_rerun_failed(run("Finished", error=2), listing)
    plan = A.plan_rerun_failed(run("Finished", error=2, success=1), TaskList(7, (task("Error"),), 1, None))
    assert len(plan.tasks) == 1 and "counts 2 task errors" in plan.note


def test_model_statuses_cover_what_the_plans_check():
    assert {s.value for s in RunStatus} >= {"Stopping", "Stopped", "Finished"}
    assert {s.value for s in TaskStatus} >= {"Error", "Stopped", "Queued"}
    assert timedelta(seconds=A.IDEMPOTENCY_WINDOW) == timedelta(hours=24)
