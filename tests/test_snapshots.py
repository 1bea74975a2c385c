"""Snapshot tests (pytest-textual-snapshot) of the main states at 80x24 and 160x48.

Time is frozen (the app's clock), run JSON is fixed (``frozen_scenario``) and the simulator's
request IDs are derived from the path, so the pictures only change when the UI does.
Update after an intended change with ``pytest tests/test_snapshots.py --snapshot-update``.
"""

import pytest

from tests.uihelpers import frozen_scenario, make_app, wait_for
from tui.sim import Simulator
from tui.ui.widgets.watchlist import Watchlist

ALL = [19063, 19064, 19065, 19066, 19067, 19068, 19069, 19070, 19071]
SIZES = [(80, 24), (160, 48)]


@pytest.fixture
def frozen_sim():
    with Simulator(frozen_scenario(), stable_request_ids=True) as sim:
        yield sim


def prepare(app, select=None, keys=(), wait=None):
    async def run_before(pilot):
        await wait_for(lambda: all(i in app.updates for i in app.initial_ids), pilot=pilot)
        if select is not None:
            app.main.query_one(Watchlist).select_run(select)
        for key in keys:
            await pilot.press(key)
        if wait is not None:
            await wait_for(lambda: wait(app), pilot=pilot)
        await pilot.pause(0.3)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_failed_run_selected(snap_compare, frozen_sim, size):
    app = make_app(frozen_sim, ALL, frozen=True, interval=60)
    assert snap_compare(app, terminal_size=size, run_before=prepare(app, select=19066))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_huge_processing_run(snap_compare, frozen_sim, size):
    app = make_app(frozen_sim, ALL, frozen=True, interval=60)
    assert snap_compare(app, terminal_size=size, run_before=prepare(app, select=19065))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_tasks_screen_errors_only(snap_compare, size):
    with Simulator(stable_request_ids=True) as sim:  # the demo scenario's 250-task run (task times vary: hide Took)
        app = make_app(sim, [19073], frozen=True, interval=60)
        assert snap_compare(app, terminal_size=size, run_before=_tasks_before(app))


def _tasks_before(app):
    async def run_before(pilot):
        await wait_for(lambda: 19073 in app.updates, pilot=pilot)
        await pilot.press("t")
        await wait_for(lambda: app.screen.query_one("#tasks-table").row_count == 250, pilot=pilot)
        await pilot.press("e")
        await pilot.pause(0.3)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_error_with_stale_data(snap_compare, frozen_sim, size):
    app = make_app(frozen_sim, [19065, 19066], frozen=True, interval=60)

    async def run_before(pilot):
        await wait_for(lambda: 19065 in app.updates and 19066 in app.updates, pilot=pilot)
        frozen_sim.add_fault("status", status=403, path="19065")
        app.main.query_one(Watchlist).select_run(19065)
        app.engine.refresh(19065)
        await wait_for(lambda: app.updates[19065].error is not None, pilot=pilot)
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_production_banner_and_help(snap_compare, frozen_sim):
    app = make_app(frozen_sim, [19063], frozen=True, production=True, interval=60)
    assert snap_compare(app, terminal_size=(80, 24), run_before=prepare(app, keys=("question_mark",)))
