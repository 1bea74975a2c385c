"""Keys as a user meets them at 80x24 (and 60x20): the footer, help, the palette, a keymap from
config.toml, esc on filters, d and u, adding a watched run, the interval keys, toasts.

Most tests run on a ``ScriptedPoller`` (no network, the test decides every update) and read
the screen through a terminal emulator (``Terminal``), as a user would see it.
"""

import time
from dataclasses import replace

import pytest

from tests.test_ui_model import RunState
from tests.uihelpers import (
    FROZEN,
    ScriptedPoller,
    Terminal,
    frozen_scenario,
    make_app,
    scripted_app,
    settle,
    text_of,
    wait_for,
)
from tui.core.client import ResponseMeta, TaskList
from tui.core.model import Task
from tui.sim import Simulator
from tui.store import paths
from tui.ui.screens.help import HelpScreen
from tui.ui.screens.tasks import TasksScreen

COUNTS = {"queued": 0, "processing": 0, "pending": 0, "stopped": 0, "success": 4, "error": 0}


def finished(run_id: int, errors: int = 0) -> RunState:
    counts = dict(COUNTS, success=4 - errors, error=errors)
    return RunState(run_id, f"WF-{run_id}", "Finished", counts, 4, 600, 60, fetched=True)


def tasks_of(run_id: int) -> TaskList:
    statuses = ["Success", "Error", "Success", "Error", "Success"]
    tasks = tuple(
        Task.parse({"id": 900 + i, "name": f"Step {i}", "status": s, "action_type": "Callout"})
        for i, s in enumerate(statuses)
    )
    return TaskList(run_id, tasks, 1, None)


async def started(pilot, poller, runs) -> None:
    await settle(pilot)
    poller.deliver([r.update() for r in runs])
    await settle(pilot)


def toasts(app) -> list[str]:
    return [n.message for n in app._notifications]


@pytest.mark.parametrize("size", [(80, 24), (60, 20)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_footer_always_shows_help_and_quit(size):
    poller = ScriptedPoller({19066: lambda: tasks_of(19066)})
    app, _ = scripted_app([19063, 19066], poller=poller)
    async with app.run_test(size=size) as pilot:
        terminal = Terminal(app, *size)
        await started(pilot, poller, [finished(19063), finished(19066, 2)])
        await settle(pilot)
        footer = terminal.lines()[-1]
        assert footer.lstrip().startswith("? Help  q Quit"), footer
        await pilot.press("down", "t")
        await wait_for(lambda: isinstance(app.screen, TasksScreen) and app.screen.loads == 1, pilot=pilot)
        await settle(pilot)
        footer = terminal.lines()[-1]
        assert footer.lstrip().startswith("? Help  q Quit  esc Back"), footer


async def test_no_toast_on_the_first_screen_then_toasts_again():
    """A state change in the first seconds is on screen already: no toast, no bell; later ones toast."""
    app, poller = scripted_app([7])
    rings = []
    app.bell = lambda: rings.append(1)
    app._bell_default = True
    async with app.run_test(size=(80, 24)) as pilot:
        processing = RunState(7, "WF-7", "Processing", dict(COUNTS, success=1, queued=3), 4, 60, 0, fetched=True)
        await started(pilot, poller, [processing])
        poller.deliver([replace(finished(7, 1).update(), transitions=("first_error", "failed"))])
        await settle(pilot)
        assert [n for n, _ in app.notifications] == [
            "Run 7 has its first task error.",
            "Run 7 finished with task errors.",
        ]
        assert toasts(app) == [] and rings == []
        app.quiet_start = 0  # as if the first seconds had passed
        poller.deliver([replace(finished(7, 1).update(), transitions=("stopped",))])
        await settle(pilot)
        assert toasts(app) == ["Run 7 was stopped."] and rings == [1]


async def test_toasts_never_hide_the_status_line_or_the_request_id():
    app, poller = scripted_app([19063])
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        terminal = Terminal(app, 80, 24)
        update = finished(19063).update()
        meta = ResponseMeta(200, "8643754d-5927-4a65-beb0-759ec76fba2b", None, None, 0.1, 1, FROZEN.timestamp())
        await started(pilot, poller, [])
        poller.deliver([replace(update, meta=meta)])
        await settle(pilot)
        before = terminal.lines()
        status_y = app.main.query_one("#statusline").region.y
        meta_y = app.main.detail.query_one("#detail-meta").region.y
        assert "8643754d-5927-4a65-beb0-759ec76fba2b" in before[meta_y] and "every 5s" in before[status_y]
        await pilot.press("c")  # a long message: "Copied run ID 19063 to the clipboard (...)"
        await pilot.press("i")
        screen = lambda: "\n".join(terminal.lines())  # noqa: E731
        await wait_for(lambda: "Copied run ID" in screen() and "Copied Zuora-Request-Id" in screen(), pilot=pilot)
        after = terminal.lines()
        assert after[meta_y] == before[meta_y] and after[status_y] == before[status_y]
        assert after[-1] == before[-1]  # the footer


async def test_help_lists_every_screen_with_an_esc_hint_and_scrolls(tmp_path):
    app, poller = scripted_app([19063])
    async with app.run_test(size=(60, 20)) as pilot:
        terminal = Terminal(app, 60, 20)
        await started(pilot, poller, [finished(19063)])
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await settle(pilot)
        screen = "\n".join(terminal.lines())
        assert "esc closes" in screen and "Everywhere" in screen
        text = text_of(app.screen.query_one("#help-keys"))
        for heading in ("Watchlist and run detail", "Tasks screen", "Task details", "JSON view", "This help"):
            assert heading in text
        await pilot.press("end")  # scrolls with an animation: wait for it, not for one settle
        await wait_for(lambda: "stale data" in "\n".join(terminal.lines()), pilot=pilot)  # help's last line
        await pilot.press("escape")
        assert app.screen is app.main


async def test_palette_on_the_tasks_screen_offers_the_tasks_screens_actions():
    from textual.command import CommandPalette

    poller = ScriptedPoller({19066: lambda: tasks_of(19066)})
    app, _ = scripted_app([19066], poller=poller)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, poller, [finished(19066, 2)])
        await pilot.press("t")
        await wait_for(lambda: isinstance(app.screen, TasksScreen) and app.screen.loads == 1, pilot=pilot)
        tasks = app.screen
        await pilot.press("ctrl+p")
        await wait_for(lambda: isinstance(app.screen, CommandPalette), pilot=pilot)
        palette = app.screen
        await pilot.press(*"task")
        await wait_for(lambda: palette.query_one("CommandList").option_count > 0, pilot=pilot)
        await pilot.pause(0.3)
        options = palette.query_one("CommandList")
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        text = "\n".join(shown)
        assert "Reload the task list now" in text and "r · tasks" in text, text
        assert "watchlist" not in text.lower().replace("back to the watchlist", ""), text
        assert "zwr:" not in text and "reload_" not in text
        await pilot.press("escape")
        await wait_for(lambda: app.screen is tasks, pilot=pilot)


async def test_esc_clears_the_tasks_filter_before_leaving():
    poller = ScriptedPoller({19066: lambda: tasks_of(19066)})
    app, _ = scripted_app([19066], poller=poller)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, poller, [finished(19066, 2)])
        await pilot.press("t")
        await wait_for(lambda: isinstance(app.screen, TasksScreen) and app.screen.loads == 1, pilot=pilot)
        screen = app.screen
        await pilot.press("slash", *"step 1")
        await settle(pilot)
        assert screen.table.row_count == 1
        await pilot.press("escape")  # in the filter box: clears it, stays
        await settle(pilot)
        assert app.screen is screen and screen.table.row_count == 5 and screen.filter_text == ""
        assert not screen.query_one("#tasks-filter").display and screen.focused is screen.table
        await pilot.press("slash", *"2", "enter", "escape")  # the filter applied, focus on the list: still clears
        await settle(pilot)
        assert app.screen is screen and screen.table.row_count == 5
        await pilot.press("escape")
        assert app.screen is app.main


async def test_d_is_undone_by_u_in_place_with_its_data():
    app, poller = scripted_app([1, 2, 3])
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, poller, [finished(1), finished(2, 1), finished(3)])
        await pilot.press("down", "d")
        assert app.book.ids() == [1, 3] and poller.watched == [1, 3]
        assert any("u brings it back" in t for t in toasts(app))
        await pilot.press("down", "u")  # the cursor moved on: u still brings back run 2, in place
        await settle(pilot)
        assert app.book.ids() == [1, 2, 3] and poller.watched == [1, 3, 2]
        assert app.main.selected_run_id() == 2
        assert app.book.run(2) is not None and app.book.run(2).tasks.error == 1  # last known data until the poll
        assert "Watching run 2 again." in toasts(app)
        await pilot.press("u")
        await settle(pilot)
        assert any(t.startswith("Nothing to undo") for t in toasts(app))


async def test_u_forgets_after_its_window():
    app, poller = scripted_app([1, 2])
    app_main_undo = 0.2
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, poller, [finished(1), finished(2)])
        app.main.undo_seconds = app_main_undo
        await pilot.press("d")
        assert app.book.ids() == [2]
        await wait_for(lambda: not app.main._removed, pilot=pilot)
        await pilot.press("u")
        await settle(pilot)
        assert app.book.ids() == [2]


async def test_adding_a_watched_run_selects_it_and_says_so():
    app, poller = scripted_app([1, 2, 3])
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, poller, [finished(1), finished(2), finished(3)])
        await pilot.press("slash", *"WF-1", "enter")
        await settle(pilot)
        assert app.main.watchlist.keys == ["1"]
        await pilot.press("a", *"3", "enter")
        await settle(pilot)
        assert app.main.selected_run_id() == 3 and app.book.ids() == [1, 2, 3]
        assert app.main.watchlist.filter_text == ""  # the filter hid it: cleared
        assert "Run 3 is already watched: selected run 3." in toasts(app)
        await pilot.press("a", *"2,4", "enter")
        await settle(pilot)
        assert app.main.selected_run_id() == 2 and app.book.ids() == [1, 2, 3, 4]
        assert "Run 2 is already watched: selected run 2." in toasts(app)


async def test_interval_keys_say_which_way_they_went():
    app, poller = scripted_app([1])
    poller.interval = 60
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, poller, [finished(1)])
        await pilot.press("plus")
        await pilot.press("plus")
        await pilot.press("minus")
        await settle(pilot)
        assert toasts(app)[-3:] == [
            "Polling slower: every 120s.",
            "Polling is already at its slowest: every 120s.",
            "Polling faster: every 60s.",
        ]


async def test_one_timestamp_when_local_time_is_utc(monkeypatch):
    app, poller = scripted_app([1])
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot, poller, [finished(1)])
        timing = text_of(app.main.detail.query_one("#detail-timing"))
        created = next(line for line in timing.splitlines() if line.startswith("Created"))
        assert created.strip() == f"Created  {FROZEN.replace(microsecond=0):%Y-%m-%d} 19:50:00 UTC"
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    app, poller = scripted_app([1])
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot, poller, [finished(1)])
        timing = text_of(app.main.detail.query_one("#detail-timing"))
        assert "19:50:00 UTC  (2019-09-10 21:50:00 CEST)" in timing
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


async def test_keymap_from_config_applies_and_reports_problems(sim):
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[keys]\nunwatch = "x"\ntasks = "r"\nunwach = "y"\nhelp = ["f1", "?"]\n')
    app = make_app(sim, [19063, 19066])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(lambda: len(app.updates) == 2, pilot=pilot)
        notes = "\n".join(toasts(app))
        assert '[keys] tasks = "r" is left out: r is refresh\'s key on the watchlist screen (tasks keeps t).' in notes
        assert "[keys] unwach: no action has this id (did you mean 'unwatch'?)" in notes
        await pilot.press("d")
        assert app.book.ids() == [19063, 19066]  # d no longer removes
        await pilot.press("x")
        assert app.book.ids() == [19066]
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        text = text_of(app.screen.query_one("#help-keys"))
        assert "x          stop watching" in text and "f1 ?" in text
        await pilot.press("escape")
        await pilot.press("t")  # the default, kept
        assert isinstance(app.screen, TasksScreen)


async def test_keys_that_are_not_a_table_are_reported():
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('keys = "x"\n')
    with Simulator(frozen_scenario()) as sim:
        app = make_app(sim, [19063])
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert any("must be a table ([keys])" in t for t in toasts(app))
            await pilot.press("d")
            assert app.book.ids() == []
