"""The TUI with Pilot, against the simulator over real HTTP."""

import json

from tests.uihelpers import frozen_scenario, make_app, text_of, wait_for
from tui.sim import RunSpec, Scenario, Simulator
from tui.store.bookmarks import BookmarkStore
from tui.ui.screens.help import HelpScreen
from tui.ui.screens.modals import RawJson, RunIdEntry
from tui.ui.screens.taskdetail import TaskDetailScreen
from tui.ui.screens.tasks import TasksScreen
from tui.ui.widgets.banner import Banner
from tui.ui.widgets.bars import TaskBars
from tui.ui.widgets.runview import RunDetail
from tui.ui.widgets.watchlist import Watchlist


async def test_entry_validates_inline_and_watches_valid_ids(sim):
    app = make_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("a")
        assert isinstance(app.screen, RunIdEntry)
        await pilot.press(*"19063/../x")
        assert "not a run ID" in text_of(app.screen.query_one("#entry-message"))
        await pilot.press("enter")
        assert isinstance(app.screen, RunIdEntry)  # invalid input is never submitted
        assert sim.requests == []
        app.screen.query_one("Input").value = "WF-19027-00000032"
        await pilot.pause()
        assert "run number" in text_of(app.screen.query_one("#entry-message"))
        app.screen.query_one("Input").value = "19063, 19066"
        await pilot.press("enter")
        assert app.book.ids() == [19063, 19066]
        await wait_for(lambda: len(app.updates) == 2, pilot=pilot)
        # and the definition of the selected run's workflow, once (19063 has no errors: no task listing)
        await wait_for(lambda: any(r.path == "/workflows/19027" for r in sim.requests), pilot=pilot)
        await pilot.pause(0.3)
        paths = sorted(r.path for r in sim.requests)
        assert paths == ["/workflows/19027", "/workflows/workflow_runs/19063", "/workflows/workflow_runs/19066"]


async def test_detail_shows_status_timing_and_bars(sim):
    app = make_app(sim, [19066])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: 19066 in app.updates, pilot=pilot)
        await pilot.pause(0.1)
        detail = app.main.query_one(RunDetail)
        assert "Finished" in text_of(detail.query_one("#detail-badge")) and "3 task errors" in text_of(
            detail.query_one("#detail-badge")
        )
        assert "Elapsed" in text_of(detail.query_one("#detail-timing"))
        bars = text_of(detail.query_one(TaskBars))
        assert "12/12 done" in bars and "25.0%" in bars and "75.0%" in bars
        assert "Request-Id " in text_of(detail.query_one("#detail-meta"))  # "Request-Id" below 100 columns


async def test_watchlist_sort_and_filter(sim):
    app = make_app(sim, [19063, 19066, 19064, 19073])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: len(app.updates) == 4, pilot=pilot)
        watchlist = app.main.query_one(Watchlist)
        await pilot.press("s")  # status
        assert watchlist.sort_mode == "status"
        await pilot.press("s")  # errors
        keys = watchlist.keys
        assert keys[:2] == ["19066", "19073"] or keys[:2] == ["19073", "19066"]
        await pilot.press("slash", *"errors")
        await pilot.pause()
        assert sorted(watchlist.keys) == ["19066", "19073"]
        await pilot.press("escape")
        await pilot.pause()
        assert watchlist.row_count == 4


async def test_bookmarks_add_label_remove_persisted(sim):
    app = make_app(sim, [19063])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: 19063 in app.updates, pilot=pilot)
        await pilot.press("b")
        await wait_for(lambda: [b.run_id for b in BookmarkStore("test").list()] == [19063], pilot=pilot)
        await pilot.press("l")
        app.screen.query_one("Input").value = "nightly sync"
        await pilot.press("enter")
        await wait_for(lambda: BookmarkStore("test").list()[0].label == "nightly sync", pilot=pilot)
        assert "nightly sync" in str(app.main.query_one("#bookmarks").get_option_at_index(0).prompt)
        await pilot.press("b")
        await wait_for(lambda: BookmarkStore("test").list() == [], pilot=pilot)


async def test_bookmark_sidebar_selection_watches_run(sim):
    BookmarkStore("test").add(19066, "billing")
    app = make_app(sim)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(
            lambda: (
                app.main.query("#bookmarks") and app.main.query_one("#bookmarks").get_option_at_index(0).id == "b19066"
            ),
            pilot=pilot,
        )
        app.main.query_one("#bookmarks").focus()
        await pilot.press("down", "enter")
        await wait_for(lambda: 19066 in app.updates, pilot=pilot)
        assert app.book.label(19066) == "billing" and "★" in str(app.main.watchlist.cells("19066")[0])


async def test_tasks_screen_errors_filter_and_details(sim):
    app = make_app(sim, [19073])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: 19073 in app.updates, pilot=pilot)
        await pilot.press("t")
        screen = app.screen
        assert isinstance(screen, TasksScreen)
        table = screen.query_one("#tasks-table")
        await wait_for(lambda: table.row_count == 250, pilot=pilot)
        assert "250 tasks" in text_of(screen.query_one("#tasks-title"))
        await pilot.press("e")
        assert table.row_count == 3
        assert "WorkflowError::Callout" in text_of(screen.query_one("#task-preview"))
        await pilot.press("enter")
        assert isinstance(app.screen, TaskDetailScreen)
        await pilot.press("j")
        assert isinstance(app.screen, RawJson)
        await pilot.press("escape", "escape", "escape")
        assert app.screen is app.main


async def test_raw_json_and_clipboard(sim):
    app = make_app(sim, [19063])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: 19063 in app.updates, pilot=pilot)
        await pilot.press("c")
        assert app.clipboard == "19063"
        await pilot.press("C")
        assert json.loads(app.clipboard)["name"] == "WF-19027-00000032"
        await pilot.press("i")
        assert app.clipboard == app.updates[19063].meta.request_id
        await pilot.press("j")
        assert isinstance(app.screen, RawJson)
        await pilot.press("c")
        assert json.loads(app.clipboard)["id"] == 19063


async def test_error_keeps_last_good_data_marked_stale(sim):
    app = make_app(sim, [19070], client_settings={"max_attempts": 1})
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: 19070 in app.updates and app.updates[19070].run is not None, pilot=pilot)
        sim.add_fault("status", status=503, path="19070")
        await wait_for(lambda: app.updates[19070].error is not None, pilot=pilot)
        await pilot.pause(0.1)
        update = app.updates[19070]
        assert update.run is not None and update.stale
        error_text = text_of(app.main.query_one("#detail-error"))
        assert "Last poll failed" in error_text and "HTTP 503" in error_text and "stale" in error_text
        assert "Processing" in text_of(app.main.query_one("#detail-badge"))  # last good data still shown


async def test_not_found_run_explained(sim):
    from tests.uihelpers import Terminal

    app = make_app(sim, [424242])
    async with app.run_test(size=(120, 40)) as pilot:
        terminal = Terminal(app, 120, 40)
        await wait_for(lambda: 424242 in app.updates, pilot=pilot)
        await pilot.pause(0.1)
        assert "30 days" in text_of(app.main.query_one("#detail-error"))
        # nothing is coming: the bars do not say "waiting for data" (a new user found both lines at once)
        assert text_of(app.main.query_one(TaskBars)).strip() == "Tasks: unknown (the run could not be read)"
        await pilot.press("slash", *"zzz", "enter")  # a filter that hides every run says so, on screen
        await wait_for(
            lambda: any("No watched run matches “zzz”: esc clears" in line for line in terminal.lines()), pilot=pilot
        )


async def test_pause_resume_and_refresh_now(sim):
    app = make_app(sim, [19070], interval=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: 19070 in app.updates, pilot=pilot)
        await pilot.press("p")
        assert app.engine.paused
        await pilot.pause(0.3)
        before = len(sim.requests)
        await pilot.pause(0.6)
        assert len(sim.requests) == before
        assert "PAUSED" in text_of(app.main.query_one("#statusline"))
        await pilot.press("p")
        await wait_for(lambda: len(sim.requests) > before, pilot=pilot)
        finished_before = len(sim.requests_to("19063"))
        app.main.watch_runs([19063])
        await wait_for(lambda: 19063 in app.updates, pilot=pilot)
        app.main.query_one(Watchlist).select_run(19063)
        await pilot.press("r")
        await wait_for(lambda: len(sim.requests_to("19063")) == finished_before + 2, pilot=pilot)


async def test_interval_keys(sim):
    app = make_app(sim, [19063], interval=5)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("plus")
        assert app.engine.interval == 10
        await pilot.press("minus", "minus")
        assert app.engine.interval == 3


async def test_notifications_and_bell_on_state_change():
    scenario = Scenario([RunSpec(7, "WF-1-7", 10, created_ago=0, queued_for=1.5, duration=2.0, errors=2)])
    with Simulator(scenario) as sim:
        app = make_app(sim, [7], interval=0.1, bell=True)
        app.quiet_start = 0  # this run changes state within the first seconds
        rings = []
        app.bell = lambda: rings.append(1)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(lambda: any("finished with task errors" in n for n, _ in app.notifications), pilot=pilot)
        messages = [n for n, _ in app.notifications]
        assert any("first task error" in m for m in messages)
        assert len(rings) >= 2


async def test_hostile_text_rendered_literally():
    with Simulator(frozen_scenario()) as sim:
        app = make_app(sim, [19071])
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(lambda: 19071 in app.updates, pilot=pilot)
            await pilot.pause(0.1)
            title = text_of(app.main.query_one("#detail-title"))
            assert "[bold red]not markup[/]" in title and "\x1b" not in title and "␛[31mesc" in title
            assert "[bold red]" in str(app.main.query_one(Watchlist).cells("19071")[-1])


async def test_unknown_status_and_odd_counts_shown_not_crashed():
    with Simulator(frozen_scenario()) as sim:
        sim.add_fault("fields", path="19070", fields={"tasks": {"total": 3, "success": 5, "error": -1}})
        app = make_app(sim, [19070])
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(lambda: 19070 in app.updates, pilot=pilot)
            await pilot.pause(0.1)
            assert "Paused" in text_of(app.main.query_one("#detail-badge"))
            bars = text_of(app.main.query_one(TaskBars))
            assert "add up to 5" in bars and "negative" in bars


async def test_production_banner(sim):
    app = make_app(sim, production=True)
    async with app.run_test(size=(80, 24)):
        banner = app.main.query_one(Banner)
        assert banner.has_class("production") and "PRODUCTION" in text_of(banner)


async def test_help_and_palette_commands(sim):
    app = make_app(sim, [19063])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: 19063 in app.updates, pilot=pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.press(*"copy the selected run id")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(lambda: app.clipboard == "19063", pilot=pilot)


async def test_corrupt_bookmarks_file_is_reported_and_salvaged(sim, isolated_env):
    path = BookmarkStore("test").path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"version": 1, "bookmarks": [{"run_id": 19063, "label": "a"}, {"run_id": 190')
    app = make_app(sim)
    async with app.run_test(size=(140, 40)) as pilot:
        # the sidebar is mounted after the first paint: wait for it, then for its rows
        await wait_for(
            lambda: app.main.query("#bookmarks") and app.main.query_one("#bookmarks").option_count >= 1, pilot=pilot
        )
        await pilot.pause(0.1)
        notes = [n.message for n in app._notifications]
        assert any("damaged" in n for n in notes)
    assert list(path.parent.glob("bookmarks-test.json.corrupt-*"))


# ----------------------------------------------------------------------------- unexpected failures, hostile values


async def test_unexpected_poll_failure_is_shown_and_r_retries():
    from tests.uihelpers import scripted_app, settle
    from tui.poll.engine import InternalError, RunUpdate

    app, poller = scripted_app([19063])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        crash = InternalError.from_exception("polling run 19063", ValueError("year 0 is out of range"))
        poller.deliver([RunUpdate(19063, None, None, crash, False, None, None)])
        await settle(pilot)
        assert "⚠ internal error" in str(app.main.watchlist.cells("19063")[1])
        shown = text_of(app.main.query_one("#detail-error"))
        assert "ValueError: year 0 is out of range" in shown and "press r to retry" in shown.lower()
        await pilot.press("r")
        assert poller.refreshed == [19063]


async def test_a_failing_worker_becomes_a_notification():
    from tests.uihelpers import scripted_app, settle

    app, _ = scripted_app()
    async with app.run_test(size=(80, 24)) as pilot:

        def broken() -> None:
            raise RuntimeError("disk on fire")

        app.run_worker(broken, thread=True, name="saving bookmarks", exit_on_error=False)
        await wait_for(lambda: any("disk on fire" in n.message for n in app._notifications), pilot=pilot)
        note = next(n.message for n in app._notifications if "disk on fire" in n.message)
        assert note.startswith("Internal error while saving bookmarks: RuntimeError") and "--debug" in note
        await settle(pilot)
        assert app.is_running  # and the app carries on


async def test_poll_interval_floor_in_the_tui():
    from tests.uihelpers import scripted_app

    for wanted, used in ((0.001, 1.0), (-1, 1.0), (float("nan"), 5.0)):
        app, poller = scripted_app(interval=wanted)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(lambda app=app: app._notifications, pilot=pilot)
            assert app.interval == used
            notes = " ".join(n.message for n in app._notifications)
            assert "poll interval" in notes.lower() and "nan" not in text_of(app.main.query_one("#statusline"))
            await pilot.press(*["minus"] * 6)  # faster never goes under 1 s
            assert poller.interval == 1.0


async def test_server_strings_never_reach_the_terminal_raw():
    """cpuTime and the Zuora-Request-Id come from the server: OSC/CSI sequences in them are made visible."""
    from tests.test_ui_model import RunState
    from tests.uihelpers import scripted_app, settle
    from tui.core.client import ResponseMeta
    from tui.poll.engine import RunUpdate

    app, poller = scripted_app([7])
    counts = {"queued": 0, "processing": 1, "pending": 0, "stopped": 0, "success": 1, "error": 0}
    state = RunState(7, "WF-7", "Processing", counts, 2, 60, 1, fetched=True)
    raw = dict(state.json(), cpuTime="\x1b]0;pwned\x07 \x1b]52;c;ZXZpbA==\x07")
    from tui.core.model import Run

    meta = ResponseMeta(200, "\x1b]0;title\x07req-1", None, None, 0.1, 1, 0.0)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        poller.deliver([RunUpdate(7, Run.parse(raw), meta, None, True, 5.0, 0.0)])
        await settle(pilot)
        timing = text_of(app.main.query_one("#detail-timing"))
        meta_line = text_of(app.main.query_one("#detail-meta"))
        assert "\x1b" not in timing and "\x07" not in timing and "␛]0;pwned" in timing
        assert "\x1b" not in meta_line and "␛]0;title" in meta_line
        await pilot.press("i")
        notes = [n.message for n in app._notifications if "Request-Id" in n.message]
        assert notes and all("\x1b" not in n and "\x07" not in n for n in notes)
        assert "\x1b" not in app.clipboard


# ----------------------------------------------------------------------------- live tasks, ticking ages, detail scroll


async def test_tasks_reload_only_when_counts_move_and_an_ended_run_loads_once():
    from tests.test_ui_model import RunState
    from tests.uihelpers import ScriptedPoller, scripted_app, settle, settle_until
    from tui.core.client import TaskList
    from tui.core.model import Task

    def listing(run_id, n):
        return lambda: TaskList(run_id, tuple(Task.parse({"id": i, "status": "Success"}) for i in range(n)), 1, None)

    counts = {"queued": 5, "processing": 0, "pending": 0, "stopped": 0, "success": 5, "error": 0}
    active = RunState(1, "WF-1", "Processing", dict(counts), 10, 60, 1, fetched=True)
    ended = RunState(2, "WF-2", "Finished", dict(counts, queued=0, success=10), 10, 60, 1, fetched=True)
    poller = ScriptedPoller({1: listing(1, 10), 2: listing(2, 10)})
    app, _ = scripted_app([1, 2], poller=poller)
    TasksScreen.min_reload_gap, gap = 0.0, TasksScreen.min_reload_gap
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            poller.deliver([active.update(), ended.update()])
            await settle(pilot)
            await pilot.press("t")
            screen = app.screen
            await settle_until(lambda: screen.loads == 1, pilot=pilot)
            for _ in range(3):  # polls of an unchanged run: no reload
                poller.deliver([active.update()])
                await settle(pilot)
            assert poller.loads == [1]
            active.counts["queued"], active.counts["success"] = 4, 6  # the counts move: one reload
            poller.deliver([active.update()])
            await settle_until(lambda: screen.loads == 2, pilot=pilot)
            assert poller.loads == [1, 1] and "as of" in text_of(screen.query_one("#tasks-title"))
            await pilot.press("escape", "down", "t")  # the ended run: loaded once, whatever comes
            screen = app.screen
            await settle_until(lambda: screen.loads == 1, pilot=pilot)
            for _ in range(3):
                poller.deliver([ended.update()])
                await settle(pilot)
            assert poller.loads == [1, 1, 2]
    finally:
        TasksScreen.min_reload_gap = gap


async def test_ages_tick_for_ended_runs_and_a_new_selection_starts_at_the_top():
    from datetime import timedelta

    from tests.test_ui_model import RunState
    from tests.uihelpers import FROZEN, Connection, ScriptedPoller, StaticToken, Terminal, settle
    from tui.ui.app import ZwrApp

    now = [FROZEN]
    poller = ScriptedPoller()
    connection = Connection(base_url="https://127.0.0.1:9", auth=StaticToken("t"), auth_source="test", profile="test")
    app = ZwrApp(connection, run_ids=[1, 2], clock=lambda: now[0], poller=lambda *a: poller, bell=False)
    counts = {"queued": 0, "processing": 0, "pending": 0, "stopped": 0, "success": 10, "error": 0}
    runs = [RunState(r, f"WF-{r}", "Finished", dict(counts), 10, 600, 300, fetched=True) for r in (1, 2)]
    active = RunState(3, "WF-3", "Processing", dict(counts, success=5, queued=5), 10, 100, 1, fetched=True)
    async with app.run_test(size=(80, 24)) as pilot:
        terminal = Terminal(app, 80, 24)
        app.main.watch_runs([3])
        await settle(pilot)
        poller.deliver([r.update() for r in [*runs, active]])
        await settle(pilot)
        meta = text_of(app.main.query_one("#detail-meta"))
        assert meta.startswith("0s ago  "), meta  # at 80 columns: the age, then why it moves or not
        assert any(line.startswith(" 3 ") and " 1m 40s " in line for line in terminal.lines())
        now[0] = FROZEN + timedelta(seconds=40)  # an ended run is not polled again: its age must still move
        await wait_for(lambda: text_of(app.main.query_one("#detail-meta")).startswith("40s ago"), pilot=pilot)
        # and the running run's elapsed time moves on screen, with no poll (only its cell is repainted)
        await wait_for(lambda: any(" 2m 20s " in line for line in terminal.lines()), pilot=pilot)
        body = app.main.query_one("#detail-body")
        body.scroll_end(animate=False)
        await settle(pilot)
        assert body.scroll_y > 0
        await pilot.press("down")
        await settle(pilot)
        assert body.scroll_y == 0 and text_of(app.main.query_one("#detail-title")).startswith("Run 2 ")


def test_every_test_app_draws_in_one_colour_system(monkeypatch):
    """Test isolation: Textual caches a style's ANSI codes on the shared Style object whatever the
    colour system, so an app drawn in 16 colours (TERM=xterm) made the next test's truecolor app
    draw its cursor row in 16 colours (conftest.py pins COLORTERM=truecolor for every test)."""
    from tests.uihelpers import scripted_app

    monkeypatch.setenv("TERM", "xterm")  # what a plain terminal or CI says: 16 colours on its own
    app, _ = scripted_app()
    assert app.console.color_system == "truecolor"


async def test_zwr_run_id_adopts_the_poller_started_before_textual(sim):
    """`zwr RUN_ID` starts polling before Textual is imported (``tui.cli.launch``): the app adopts
    that poller (no second client), gives it the configured interval and shows its first answer."""
    from tests.uihelpers import connection
    from tui.cli.launch import start_first_fetch
    from tui.ui.app import ZwrApp

    poller = start_first_fetch(connection(sim), [19065, 19066], 60.0)  # 19065 is active: polled on
    try:
        await wait_for(lambda: poller.polls >= 2)  # the answers wait in the thread for a sink
        painted: list[bool] = []
        app = ZwrApp(
            connection(sim),
            run_ids=[19065, 19066],
            interval=60.0,
            bell=False,
            started=poller,
            after_first_paint=lambda: painted.append(app.main.is_mounted),
        )
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(lambda: app.book.run(19065) is not None and painted, pilot=pilot)
            assert app.engine is poller and poller.interval == 60.0
            assert "Run 19065" in text_of(app.main.detail.query_one("#detail-title"))
            assert painted == [True]  # once, with the screen up (zwr RUN_ID resumes the GC there)
            await pilot.pause(0.3)
            assert poller.polls == 2  # adopted as it was: no run fetched twice at start-up
            await pilot.press("plus")  # the interval keys act on the adopted poller
            await wait_for(lambda: poller.interval == 120.0, pilot=pilot)
    finally:
        poller.close()


def test_the_garbage_collector_paused_for_the_start_up_comes_back_frozen():
    import gc

    from tui.cli.launch import pause_gc

    resume = pause_gc()
    try:
        assert not gc.isenabled()
        resume()
        assert gc.isenabled() and gc.get_freeze_count() > 0  # start-up objects skipped from now on
    finally:
        gc.unfreeze()  # this test process keeps collecting everything
        gc.enable()
