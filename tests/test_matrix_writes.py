"""The fault matrix for the write paths (issue 15, item 10): every fault (rows) against a stop and
a rerun (columns), through the executor every front uses, over real HTTP to the simulator.

Every cell asserts: the write took effect at most once (``sim.stops_performed`` /
``sim.reruns_performed``), exactly once when the server acted; the result and exit code are the
documented ones; the message says what happened and what to do; one audit record per write; no
secret in it. Plus the same through ``zwr rerun`` for the case users fear most.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from tests.conftest import cli_env, run_zwr
from tui.core import actions as A
from tui.core.auth import StaticToken
from tui.core.client import ClientSettings, ZuoraClient
from tui.sim import Simulator

TOKEN = "write-matrix-token-7c1e"
RUN_ID, TASK_ID = 19072, 1906600010  # a run that can be stopped; a failed task of run 19066


@dataclass
class Cell:
    result: str
    exit_code: int
    message: str
    performed: int  # how many times the write took effect in the simulator


@dataclass
class Row:
    id: str
    fault: dict  # Simulator.add_fault options, without ``path`` (the write's path is added)
    stop: Cell
    rerun: Cell


TIMEOUT = 0.5
ROWS = [
    Row(
        "timeout-after-the-server-acted",
        dict(kind="hang", acted=True, delay=TIMEOUT * 3, times=1),
        Cell(A.CONFIRMED, 0, "is now Stopping: the stop took effect", 1),
        Cell(A.DONE, 0, "after 2 attempts with one Idempotency-Key", 1),  # the retry got the saved answer
    ),
    Row(
        "reset-before-acting",
        dict(kind="reset", times=1),
        Cell(A.UNKNOWN, 10, "may not have reached Zuora, and zwr did not repeat it", 0),
        Cell(A.DONE, 0, "after 2 attempts with one Idempotency-Key", 1),
    ),
    Row(
        "reset-after-the-server-acted",
        dict(kind="reset", acted=True, times=1),
        Cell(A.CONFIRMED, 0, "the stop took effect", 1),
        Cell(A.DONE, 0, "after 2 attempts with one Idempotency-Key", 1),
    ),
    Row(
        "403",
        dict(kind="status", status=403),
        Cell(A.REFUSED, 5, '"Stop a workflow run"', 0),
        Cell(A.REFUSED, 5, '"Workflow Run Access"', 0),
    ),
    Row(
        "404",
        dict(kind="status", status=404),
        Cell(A.REFUSED, 6, "30 days in sandboxes and 45 days in production", 0),
        Cell(A.REFUSED, 6, "30 days in sandboxes and 45 days in production", 0),
    ),
    Row(
        "409",
        dict(kind="status", status=409, body={"errors": [{"title": "Not now.", "code": "invalid", "status": 409}]}),
        Cell(A.REFUSED, 15, "(HTTP 409); nothing was changed. Zuora said: Not now.", 0),
        Cell(A.REFUSED, 15, "Zuora said: Not now. Zuora-Request-Id", 0),
    ),
    Row(
        "500-before-acting",
        dict(kind="status", status=500),
        Cell(A.UNKNOWN, 8, "Run 19072 is still Processing: the stop may not have reached Zuora", 0),
        Cell(A.UNKNOWN, 8, "Task 1906600010 is still Error. zwr did not repeat the rerun", 0),
    ),
    Row(
        "500-after-the-server-acted",
        dict(kind="status", status=500, acted=True),
        Cell(A.CONFIRMED, 0, "is now Stopping: the stop took effect", 1),
        Cell(A.CONFIRMED, 0, "the rerun took effect", 1),
    ),
    Row(
        "502-after-the-server-acted",
        dict(kind="html", status=502, acted=True, times=1),
        Cell(A.CONFIRMED, 0, "the stop took effect", 1),  # a stop is not repeated; the run is read
        Cell(A.DONE, 0, "after 2 attempts with one Idempotency-Key", 1),  # a rerun is, with its key
    ),
]


def write_once(sim: Simulator, action: str) -> tuple[A.Record, list[A.Record]]:
    records: list[A.Record] = []

    async def noop(seconds):
        return None

    async def go():
        settings = ClientSettings(sim.base_url, read_timeout=TIMEOUT, max_retry_wait=5)
        async with ZuoraClient(settings, StaticToken(TOKEN), sleep=noop) as client:
            executor = A.Executor(client, records.append, allowed=True)
            if action == "stop":
                return await executor.stop(A.plan_stop((await client.get_run(RUN_ID)).run))
            return await executor.rerun(await client.get_task(TASK_ID), "zwr-matrix-key")

    return asyncio.run(go()), records


@pytest.mark.parametrize("action", ["stop", "rerun"])
@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_write_fault_matrix(row: Row, action: str):
    cell = row.stop if action == "stop" else row.rerun
    with Simulator(demo_token=TOKEN) as sim:
        options = dict(row.fault)
        sim.add_fault(options.pop("kind"), path="/stop$" if action == "stop" else "/rerun$", **options)
        record, records = write_once(sim, action)
        performed = sim.stops_performed[RUN_ID] if action == "stop" else sim.reruns_performed[TASK_ID]
        sent = sim.requests_to("/stop" if action == "stop" else "/rerun")
    assert (record.result, record.exit_code) == (cell.result, cell.exit_code), record.message
    assert cell.message in record.message, record.message
    assert performed == cell.performed  # never twice; once when the server acted
    assert records == [record]  # one audit record per write, whatever happened
    assert TOKEN not in repr(record.to_json()) and "\x1b" not in record.message
    if action == "stop":
        assert len(sent) == 1  # a stop is sent once: never repeated after it may have arrived
    else:
        assert {r.idempotency_key for r in sent} == {"zwr-matrix-key"}  # every attempt, one key
    if record.result in (A.REFUSED, A.UNKNOWN):
        assert record.error and (record.status or record.result == A.UNKNOWN)


def test_zwr_rerun_after_a_timeout_where_zuora_acted_reruns_each_task_once(isolated_env):
    """The case on-call engineers fear: the network drops the answer after Zuora reran the tasks."""
    with Simulator() as sim:
        for task_id in (1906600010, 1906600011):
            sim.add_fault("hang", path=f"/{task_id}/rerun$", acted=True, delay=3.0, times=1)
        out = run_zwr("rerun", "--failed", "19066", "--allow-write", "--yes", "--timeout", "1", env=cli_env(sim))
        performed = dict(sim.reruns_performed)
        keys = [r.idempotency_key for r in sim.requests_to("/rerun")]
    assert out.returncode == 0, out.stdout + out.stderr
    assert performed == {1906600010: 1, 1906600011: 1, 1906600012: 1}
    assert len(keys) == 5 and len(set(keys)) == 3  # two retried, each with its own task's key
    assert out.stdout.count("after 2 attempts") == 2 and "Rerun 3 of 3" in out.stdout
