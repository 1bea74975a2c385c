"""Snapshot tests (pytest-textual-snapshot) of the main states at 80x24 and 160x48, still and scrolled.

Time is frozen (the app's clock), run JSON is fixed (``frozen_scenario``) and the simulator's
request IDs are derived from the path, so the pictures only change when the UI does. Every
``run_before`` waits for conditions and then lets the app settle (no fixed sleeps), so a
picture never depends on how fast the machine was.
Update after an intended change with ``pytest tests/test_snapshots.py --snapshot-update``.
"""

import pytest

from tests.uihelpers import ScriptedPoller, frozen_scenario, make_app, scripted_app, settle, wait_for
from tui.core.client import TaskList
from tui.core.model import Task
from tui.sim import Simulator

ALL = [19063, 19064, 19065, 19066, 19067, 19068, 19069, 19070, 19071]
TWELVE = [*ALL, 19072, 19073, 19074]
SIZES = [(80, 24), (160, 48)]


@pytest.fixture
def frozen_sim():
    with Simulator(frozen_scenario(), stable_request_ids=True) as sim:
        yield sim


async def quiet(app, pilot) -> None:
    """The selected run's error groups and workflow definition are in (or failed): nothing on its
    way. Waits on what the why book holds, not on time: under load the selection's rest timer
    fires late."""
    why = app.session.why

    def settled() -> bool:
        run_id = app.main.selected_run_id()
        run = app.book.run(run_id) if run_id is not None else None
        if run is None or why.busy:
            return run is None and not why.busy
        digest = why.digest(run_id)
        grouped = run.tasks.error <= 0 or (digest is not None and digest.error_count == run.tasks.error)
        workflow = run.original_workflow_id
        return grouped and (not workflow or why.workflow(workflow) is not None)

    await wait_for(settled, pilot=pilot, timeout=30)
    await settle(pilot)


def prepare(app, select=None, keys=(), wait=None):
    async def run_before(pilot):
        await wait_for(lambda: all(i in app.updates for i in app.initial_ids), pilot=pilot)
        await settle(pilot)
        if select is not None:
            app.main.watchlist.select_run(select)
        await quiet(app, pilot)
        for key in keys:
            await pilot.press(key)
        if wait is not None:
            await wait_for(lambda: wait(app), pilot=pilot)
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_failed_run_selected(snap_compare, frozen_sim, size):
    app = make_app(frozen_sim, ALL, frozen=True, interval=60)
    assert snap_compare(app, terminal_size=size, run_before=prepare(app, select=19066))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_huge_processing_run(snap_compare, frozen_sim, size):
    app = make_app(frozen_sim, ALL, frozen=True, interval=60)
    assert snap_compare(app, terminal_size=size, run_before=prepare(app, select=19065))


def test_watchlist_scrolled_to_the_end(snap_compare, frozen_sim):
    """12 runs at 80x24 (6 rows fit): after End the last run is highlighted on the last line,
    no horizontal scrollbar hides it, and the detail names it."""
    app = make_app(frozen_sim, TWELVE, frozen=True, interval=60)
    assert snap_compare(app, terminal_size=(80, 24), run_before=prepare(app, keys=("end",)))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_tasks_screen_errors_only(snap_compare, frozen_sim, size):
    app = make_app(frozen_sim, [19066], frozen=True, interval=60)

    async def run_before(pilot):
        await wait_for(lambda: 19066 in app.updates, pilot=pilot)
        await quiet(app, pilot)
        await pilot.press("t")
        await wait_for(lambda: getattr(app.screen, "loads", 0) == 1, pilot=pilot)
        await pilot.press("e")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def fixed_tasks() -> TaskList:
    statuses = ["Success"] * 100 + ["Error"] * 3 + ["Processing"] * 7 + ["Queued"] * 140
    tasks = []
    for i, status in enumerate(statuses):
        raw = {"id": 800001 + i, "name": f"Step {i:03d}", "status": status, "action_type": "Callout"}
        raw.update(start_time="2019-09-10 19:40:00 UTC", end_time="2019-09-10 19:40:07 UTC")
        if status == "Error":
            raw.update(error="Callout failed: 502 from billing", error_class="WorkflowError::Callout")
        tasks.append(Task.parse(raw))
    return TaskList(19073, tuple(tasks), 3, None)


def test_tasks_screen_scrolled_to_the_middle(snap_compare):
    """250 tasks at 80x24: the cursor row, in the middle of the list, is highlighted and on screen."""
    from tests.test_ui_model import RunState

    poller = ScriptedPoller({19073: fixed_tasks})
    app, _ = scripted_app([19073], poller=poller)
    counts = {"queued": 140, "processing": 7, "pending": 0, "stopped": 0, "success": 100, "error": 3}
    run = RunState(19073, "WF-19036-00000077", "Processing", counts, 250, 1200, 5, fetched=True)

    async def run_before(pilot):
        await settle(pilot)
        poller.deliver([run.update()])
        await settle(pilot)
        await pilot.press("t")
        await wait_for(lambda: getattr(app.screen, "loads", 0) == 1, pilot=pilot)
        for _ in range(8):
            await pilot.press("pagedown")
        await pilot.press("up", "up")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_error_with_stale_data(snap_compare, frozen_sim, size):
    app = make_app(frozen_sim, [19065, 19066], frozen=True, interval=60)

    async def run_before(pilot):
        await wait_for(lambda: 19065 in app.updates and 19066 in app.updates, pilot=pilot)
        await quiet(app, pilot)  # its errors grouped before the run's answers turn to 403s
        frozen_sim.add_fault("status", status=403, path="19065")
        app.main.watchlist.select_run(19065)
        app.engine.refresh(19065)
        await wait_for(lambda: app.updates[19065].error is not None, pilot=pilot)
        await quiet(app, pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_production_banner_and_help(snap_compare, frozen_sim):
    app = make_app(frozen_sim, [19063], frozen=True, production=True, interval=60)
    assert snap_compare(app, terminal_size=(80, 24), run_before=prepare(app, keys=("question_mark",)))


# ----------------------------------------------------------------------------- why did it fail (issue 14)


def mixed_errors() -> TaskList:
    """A run's tasks with three kinds of failure: 6 callouts answered 500, 2 timeouts, 1 invalid record."""
    from datetime import timedelta

    from tests.uihelpers import FROZEN

    def at(seconds: int) -> str:
        return (FROZEN - timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S UTC")

    tasks = []
    for i in range(30):
        raw = {"id": 7500001 + i, "name": f"Notify billing webhook #{i + 1}", "status": "Success"}
        raw.update(action_type="Callout", start_time=at(900 - 20 * i), end_time=at(897 - 20 * i))
        raw.update(object="Invoice", object_id=f"8a8082c40e1c{i:020x}")
        if i % 4 == 1 and i < 25:
            raw.update(status="Error", error_class="WorkflowError::Callout")
            raw.update(error="Callout response was 500 after 3 tries.")
            url = f"https://hooks.acme-billing.example/invoices/INV-{i:08d}"
            raw["data"] = {"Callout": {"URL": url, "ResponseCode": 500, "ResponseBody": {"error": "database timeout"}}}
        elif i in (3, 27):
            raw.update(status="Error", error_class="WorkflowError::Timeout", name=f"Post journal entry #{i + 1}")
            raw.update(
                error=f"Callout to https://ledger.acme-erp.example/api/v2/journal/{i} timed out after 30 seconds"
            )
            raw["end_time"] = at(870 - 20 * i)
        elif i == 29:
            raw.update(status="Error", error_class="WorkflowError::Validation", action_type="Create")
            raw.update(name="Create payment #30", error=f"Invalid value for field AccountId: 8a8082c40a11{i:020x}")
        tasks.append(Task.parse(raw))
    return TaskList(19075, tuple(tasks), 1, None)


def why_app():
    from tests.test_ui_model import RunState
    from tui.core.client import WorkflowResult
    from tui.core.model import Run, Workflow
    from tui.poll.engine import RunUpdate

    definition = Workflow.parse(
        {
            "id": 19040,
            "name": "Nightly invoice notifications",
            "description": "Posts every invoice of the night to the billing hook and the ledger.",
            "active_version": {"version": "4.2.0"},
            "scheduled": True,
            "interval": "0 3 * * *",
            "timezone": "Europe/Berlin",
            "priority": "High",
            "status": "Active",
        }
    )
    poller = ScriptedPoller({19075: mixed_errors}, workflows={"19040": lambda: WorkflowResult(definition, None)})
    app, _ = scripted_app([19075], poller=poller)
    counts = {"queued": 0, "processing": 0, "pending": 0, "stopped": 0, "success": 21, "error": 9}
    state = RunState(19075, "WF-19040-00000314", "Finished", counts, 30, 1200, 600, fetched=True)
    run = Run.parse(dict(state.json(), originalWorkflowId=19040))

    async def deliver(pilot):
        await settle(pilot)
        poller.deliver([RunUpdate(19075, run, None, None, False, None, FROZEN_TS)])
        # the batch is a message: until it is applied no run is selected and quiet() would return at once
        await wait_for(lambda: app.book.run(19075) is not None and app.main.selected_run_id() == 19075, pilot=pilot)
        await quiet(app, pilot)

    return app, deliver


FROZEN_TS = 1568145600.0  # tests.uihelpers.FROZEN


def test_detail_with_error_groups(snap_compare):
    """`zwr 19075` at 80x24: the error groups (count, class, message, first task) under the status, no key pressed."""
    app, deliver = why_app()
    assert snap_compare(app, terminal_size=(80, 24), run_before=deliver)


def test_tasks_grouped_by_error(snap_compare):
    """t then g at 80x24: the error groups of the run (tasks, class, message, first seen), the biggest first."""
    app, deliver = why_app()

    async def run_before(pilot):
        await deliver(pilot)
        await pilot.press("t")
        await wait_for(lambda: getattr(app.screen, "loads", 0) == 1, pilot=pilot)
        await pilot.press("g")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


# ----------------------------------------------------------------------------- issue 13: what a new user sees first

SMALL = [(80, 24), (60, 20)]


@pytest.mark.parametrize("size", SMALL, ids=lambda s: f"{s[0]}x{s[1]}")
def test_first_screen(snap_compare, frozen_sim, size):
    """The first screen: no toast over it, the footer starts with help and quit."""
    app = make_app(frozen_sim, ALL, frozen=True, interval=60)
    assert snap_compare(app, terminal_size=size, run_before=prepare(app))


@pytest.mark.parametrize("size", SMALL, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help(snap_compare, frozen_sim, size):
    """Keys beside their descriptions in aligned columns, and how to close it."""
    app = make_app(frozen_sim, [19063], frozen=True, interval=60)
    assert snap_compare(app, terminal_size=size, run_before=prepare(app, keys=("question_mark",)))


@pytest.mark.parametrize("size", SMALL, ids=lambda s: f"{s[0]}x{s[1]}")
def test_palette_on_the_tasks_screen(snap_compare, frozen_sim, size):
    """The tasks screen's actions by what they do, with their keys; none of the watchlist's."""
    app = make_app(frozen_sim, [19066], frozen=True, interval=60)

    async def run_before(pilot):
        await wait_for(lambda: 19066 in app.updates, pilot=pilot)
        await pilot.press("t")
        await wait_for(lambda: getattr(app.screen, "loads", 0) == 1, pilot=pilot)
        await pilot.press("ctrl+p", *"task")
        await wait_for(
            lambda: app.screen.query("CommandList") and app.screen.query_one("CommandList").option_count >= 3,
            pilot=pilot,
        )
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SMALL, ids=lambda s: f"{s[0]}x{s[1]}")
def test_toast_over_a_selected_run(snap_compare, frozen_sim, size):
    """A toast sits above the run's Request-Id line and the status line, never on them."""
    app = make_app(frozen_sim, ALL, frozen=True, interval=60)
    assert snap_compare(app, terminal_size=size, run_before=prepare(app, select=19066, keys=("c",)))


@pytest.mark.parametrize("production", [False, True], ids=["sandbox", "production"])
def test_confirmation_of_a_stop(snap_compare, frozen_sim, production):
    """The question before a write at 80x24: what, where (red PRODUCTION), Cancel focused; in
    production the box for the run ID has the focus and the confirm button is disabled."""
    import dataclasses

    from tui.ui.screens.confirm import ConfirmWrite

    app = make_app(frozen_sim, [19065, 19066], frozen=True, production=production, interval=60, allow_write=True)

    async def run_before(pilot):
        await wait_for(lambda: 19065 in app.updates and 19066 in app.updates, pilot=pilot)
        writes = app.session.writes  # the simulator's port changes every run: the picture must not
        writes.writer = dataclasses.replace(writes.writer, environment="Simulator (http://127.0.0.1:8765)")
        app.main.watchlist.select_run(19065)
        await quiet(app, pilot)  # the detail behind the question shows its error groups
        await pilot.press("X")
        await wait_for(lambda: isinstance(app.screen, ConfirmWrite), pilot=pilot)
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
