"""Stop and rerun in the TUI (issue 15) with Pilot, against the simulator over real HTTP.

What the user must be able to trust: a read-only profile refuses and asks nothing; Cancel (the
default) sends nothing and says so in the audit trail; production needs the run ID typed; a
stop is seen going Stopping -> Stopped on screen; a rerun makes an ended run active again and
its counts move; and the screen keeps telling the truth while a write is on the wire.
"""

from __future__ import annotations

from textual.widgets import Button, Input

from tests.uihelpers import Terminal, make_app, settle, text_of, wait_for
from tui.sim import Simulator
from tui.store.audit import read_entries
from tui.ui.screens.confirm import ConfirmWrite
from tui.ui.screens.tasks import TasksScreen
from tui.ui.widgets.watchlist import row_cells

SIZE = (80, 24)
STUCK = 19072  # Processing forever: a run there is always something to stop in


def audit() -> list[dict]:
    return read_entries()


def notes(app) -> list[str]:
    return [text for text, _ in app.session.writes.notes]


async def open_question(app, pilot, key: str, run_id: int) -> ConfirmWrite:
    await wait_for(lambda: app.book.run(run_id) is not None, pilot=pilot)
    app.main.watchlist.select_run(run_id)
    await pilot.press(key)
    await wait_for(lambda: isinstance(app.screen, ConfirmWrite), pilot=pilot)
    await settle(pilot)
    return app.screen


def screen_status(terminal: Terminal, app, run_id: int) -> str:
    """The status cell of ``run_id``'s watchlist row as the terminal shows it."""
    region = app.main.watchlist.scrollable_content_region
    for _, text in terminal.region_lines(region)[1:]:
        if text[1:9].split() and text[1:9].split()[0] == str(run_id):
            return text[10:26].rstrip()
    return ""


async def test_a_read_only_profile_refuses_without_asking_and_sends_nothing(sim):
    app = make_app(sim, [STUCK, 19066])
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: len(app.updates) == 2, pilot=pilot)
        # 19066's error groups are listed once it is shown (the why book): before any key
        why = app.session.why
        app.main.watchlist.select_run(19066)
        await wait_for(lambda: why.digest(19066) is not None and not why.busy, pilot=pilot)
        listed = len(sim.requests_to("/workflows/tasks"))
        for key, run_id in (("X", STUCK), ("F", 19066)):
            app.main.watchlist.select_run(run_id)
            await pilot.press(key)
            await settle(pilot)
            assert app.screen is app.main  # no question is asked
        await wait_for(lambda: len(audit()) == 2, pilot=pilot)
        assert all("allow_write = true in [profiles.test]" in n and "Nothing was sent" in n for n in notes(app))
    assert sim.requests_to("/stop") == [] and sim.requests_to("/rerun") == []
    assert len(sim.requests_to("/workflows/tasks")) == listed  # not even read: refused before anything else
    assert [(e["action"], e["result"], e["error"]) for e in audit()] == [
        ("stop", "not_sent", "config"),
        ("rerun", "not_sent", "config"),
    ]


async def test_cancel_is_the_default_and_sends_nothing(sim):
    app = make_app(sim, [STUCK], allow_write=True)
    async with app.run_test(size=SIZE) as pilot:
        question = await open_question(app, pilot, "X", STUCK)
        assert question.focused is question.query_one("#cancel", Button)  # enter on open cancels
        assert not question.query_one("#confirm", Button).disabled
        text = " ".join(text_of(w) for w in question.query("Static"))
        assert f"About to stop run {STUCK} “WF-19037-00000005”." in text and "Simulator" in text
        assert "PRODUCTION" not in text and "will not run" in text
        await pilot.press("enter")
        await wait_for(lambda: app.screen is app.main, pilot=pilot)
        await open_question(app, pilot, "X", STUCK)
        await pilot.press("escape")
        await wait_for(lambda: app.screen is app.main and len(audit()) == 2, pilot=pilot)
        assert notes(app) == ["Cancelled: nothing was sent."] * 2
    assert sim.requests_to("/stop") == [] and sim.stops_performed == {}
    assert [(e["result"], e["message"]) for e in audit()] == [("not_sent", "cancelled at the confirmation")] * 2


async def test_production_needs_the_run_id_typed(sim):
    app = make_app(sim, [STUCK], allow_write=True, production=True)
    async with app.run_test(size=SIZE) as pilot:
        question = await open_question(app, pilot, "X", STUCK)
        box, confirm = question.query_one("#confirm-id", Input), question.query_one("#confirm", Button)
        assert question.focused is box and confirm.disabled
        assert "⚠ PRODUCTION" in " ".join(text_of(w) for w in question.query("Static"))
        await pilot.press("enter")  # nothing typed: nothing happens
        await pilot.press(*"19071", "enter")  # another run's ID
        await settle(pilot)
        assert app.screen is question and confirm.disabled and sim.requests_to("/stop") == []
        await pilot.click("#confirm")  # disabled: a click does nothing either
        assert app.screen is question and sim.requests_to("/stop") == []
        box.value = ""
        await pilot.press(*str(STUCK))
        assert not confirm.disabled
        await pilot.press("enter")
        await wait_for(lambda: sim.stops_performed == {STUCK: 1} and app.session.writes.busy is None, pilot=pilot)
    assert [e["result"] for e in audit()] == ["done"]


async def test_a_read_only_demo_says_how_to_get_writes_in_the_demo(sim):
    """`zwr demo --read-only` then X: the hint names the demo's way (leave out --read-only), not
    --allow-write, which `zwr demo` does not take (found by a new user)."""
    app = make_app(sim, [STUCK], demo=True)  # the demo's connection without allow_write: --read-only
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: app.book.run(STUCK) is not None, pilot=pilot)
        app.main.watchlist.select_run(STUCK)
        await pilot.press("X")
        await wait_for(lambda: notes(app), pilot=pilot)
        assert app.screen is app.main and sim.requests_to("/stop") == []
        assert "without --read-only" in notes(app)[0] and "--allow-write" not in notes(app)[0]


async def test_the_dialogs_buttons_show_on_a_small_terminal(sim):
    """At 60x20 a production rerun of many tasks (the tallest question) still shows both buttons
    and the hint inside the dialog; only the plan's text shrinks (found by a new user: at 60x20
    only the buttons' top border showed)."""
    app = make_app(sim, [19066], allow_write=True, production=True)
    async with app.run_test(size=(60, 20)) as pilot:
        question = await open_question(app, pilot, "F", 19066)
        await settle(pilot)
        for size in ((60, 20), (80, 24), (60, 16), (60, 20)):
            await pilot.resize_terminal(*size)
            await settle(pilot)
            dialog = question.query_one("#confirm-dialog").content_region
            for button in question.query(Button):
                region = button.region
                assert region.height == 3 and dialog.contains_region(region), (size, button.id, region, dialog)
            hint = question.query("Static").last()
            assert "esc: cancel" in text_of(hint) and dialog.contains_region(hint.region), size
        await pilot.press("escape")


async def test_nothing_to_stop_says_why_and_asks_nothing(sim):
    app = make_app(sim, [19063], allow_write=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: app.book.run(19063) is not None, pilot=pilot)
        await pilot.press("X")
        await wait_for(lambda: notes(app), pilot=pilot)
        assert app.screen is app.main
        assert notes(app) == [
            "run 19063 “WF-19027-00000032” has already Finished (Finished; 4 tasks: 4 success): nothing was sent."
        ]
    assert sim.requests_to("/stop") == []


async def test_a_stop_goes_stopping_then_stopped_on_screen(sim):
    app = make_app(sim, [19065, 19066, STUCK], allow_write=True)
    async with app.run_test(size=SIZE) as pilot:
        terminal = Terminal(app, *SIZE)
        await open_question(app, pilot, "X", STUCK)
        await pilot.press("tab", "enter")  # to the Stop button, and press it
        seen: list[str] = []

        def shown() -> bool:
            status = screen_status(terminal, app, STUCK)
            if not seen or seen[-1] != status:
                seen.append(status)
            return status.startswith("■ Stopped")

        await wait_for(shown, pilot=pilot, timeout=20)
        assert seen[-2:] == ["◼ Stopping", "■ Stopped"], seen
        await wait_for(lambda: STUCK not in app.session.writes.follows, pilot=pilot)
        assert any(n.startswith(f"Stop of run {STUCK} sent: Zuora accepted it") for n in notes(app))
        assert notes(app)[-1].startswith(f"Stop of run {STUCK} settled: Stopped; 50 tasks:")
        assert not [n for n, _ in app.notifications if "was stopped" in n]  # replaced by the settled note
    assert sim.stops_performed == {STUCK: 1}


async def test_rerunning_the_failed_tasks_makes_the_run_active_and_moves_its_counts(sim):
    app = make_app(sim, [19066], allow_write=True)
    async with app.run_test(size=SIZE) as pilot:
        terminal = Terminal(app, *SIZE)
        question = await open_question(app, pilot, "F", 19066)
        assert str(question.query_one("#confirm", Button).label) == "Rerun 3 failed tasks"
        await pilot.press("tab", "enter")
        await wait_for(lambda: screen_status(terminal, app, 19066) == "▶ Processing", pilot=pilot, timeout=20)
        await wait_for(lambda: 19066 not in app.session.writes.follows, pilot=pilot, timeout=20)
        await settle(pilot)
        assert screen_status(terminal, app, 19066) == "✔ Finished" and app.book.run(19066).tasks.error == 0
        assert notes(app)[-1] == (
            "Rerun of tasks of run 19066 settled: Finished; 12 tasks: 12 success (before the rerun: 3 errors)."
        )
    assert sim.reruns_performed == {1906600010: 1, 1906600011: 1, 1906600012: 1}
    assert [e["result"] for e in audit()] == ["done"] * 3


async def test_rerun_the_highlighted_task_from_the_tasks_screen(sim):
    sim.rerun_errors.add(1906600011)  # this one fails again
    app = make_app(sim, [19066], allow_write=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: app.book.run(19066) is not None, pilot=pilot)
        await pilot.press("t")
        screen = app.screen
        assert isinstance(screen, TasksScreen)
        await wait_for(lambda: screen.loads == 1, pilot=pilot)
        await pilot.press("e", "down", "R")
        await wait_for(lambda: isinstance(app.screen, ConfirmWrite), pilot=pilot)
        assert str(app.screen.query_one("#confirm", Button).label) == "Rerun 1 task"
        await pilot.press("tab", "enter")
        await wait_for(lambda: app.screen is screen and app.session.writes.busy is None, pilot=pilot)
        # the list follows the run: the task goes back to Queued, then fails again
        await wait_for(lambda: 19066 not in app.session.writes.follows, pilot=pilot, timeout=20)
        await wait_for(lambda: not screen.fetching and not screen.wants_reload(), pilot=pilot)
        assert [t.id for t in screen.visible_tasks()] == [1906600010, 1906600011, 1906600012]
        assert notes(app)[-1].endswith("12 tasks: 9 success, 3 error.")
    assert sim.reruns_performed == {1906600011: 1}


async def test_the_screen_tells_the_truth_while_a_stop_is_on_the_wire():
    """A slow stop (1.5 s on the wire) while five runs are polled: after every key and batch the
    watchlist rows show what the run book holds, and keys keep working."""
    with Simulator(latency=0.0) as sim:
        sim.add_fault("latency", path="/stop", delay=1.5)
        ids = [19065, 19067, 19070, 19071, STUCK, 19066]
        app = make_app(sim, ids, allow_write=True)
        async with app.run_test(size=SIZE) as pilot:
            terminal = Terminal(app, *SIZE)
            await wait_for(lambda: len(app.updates) == len(ids), pilot=pilot)
            await open_question(app, pilot, "X", STUCK)
            await pilot.press("tab", "enter")
            await wait_for(lambda: sim.requests_to("/workflow_runs/19072") and app.screen is app.main, pilot=pilot)
            checks = 0
            for step in range(40):
                if app.session.writes.busy is None:
                    break
                await pilot.press(("up", "down", "pageup", "end")[step % 4])
                await settle(pilot)
                now = app.clock()
                region = app.main.watchlist.scrollable_content_region
                for _, text in terminal.region_lines(region)[1:]:
                    if not text.strip():
                        continue
                    run_id = int(text[1:9].split()[0])
                    cells = row_cells(run_id, app.book.update(run_id), None, now)
                    assert text[10:26].rstrip() == cells[1].plain, (step, text)
                    assert text[46:51].strip() == cells[3].plain, (step, text)
                selected = app.main.watchlist.selected_run_id()
                lines = [t.strip() for _, t in terminal.region_lines(app.main.detail.region)]
                header = next(t for t in lines if t and not set(t) <= {"─"})
                assert header.strip().startswith(f"Run {selected} "), header
                checks += 1
            assert checks >= 3  # several checks while the stop was on the wire
            await wait_for(lambda: app.session.writes.busy is None, pilot=pilot)
        assert sim.stops_performed == {STUCK: 1}
