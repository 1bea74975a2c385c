"""Why did it fail, in the TUI (issue 14) and what Zuora's shapes add to it (issue 12), with Pilot.

The target: from ``zwr RUN_ID`` of a failed run, the first error's text is on screen with no key
pressed, and its task in full one key later. Then the error groups in motion (a run that keeps
failing while its panel is shown), the workflow context (once per workflow, a 403 said in one
quiet line), the incident report on the clipboard, finding runs by object ID, and the task
details (every field, literal, copyable). Screens are read as a terminal shows them (pyte).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.test_ui_model import RunState
from tests.uihelpers import (
    FROZEN,
    ScriptedPoller,
    Terminal,
    make_app,
    press,
    scripted_app,
    settle,
    settle_until,
    text_of,
)
from tui.core.client import ResponseMeta, TaskList, WorkflowResult
from tui.core.errors import PermissionDenied
from tui.core.model import Run, Task, Workflow
from tui.core.ratelimit import RateLimit
from tui.poll.engine import RunUpdate
from tui.poll.whybook import WhyBook
from tui.sim import Simulator
from tui.ui.screens.taskdetail import TaskDetailScreen
from tui.ui.screens.tasks import TasksScreen


def screen_text(terminal: Terminal) -> str:
    return "\n".join(terminal.lines())


def panel(app) -> str:
    """The error part of the run detail, as the terminal shows it (wrapped lines joined)."""
    widget = app.main.query_one("#detail-errors")
    if not widget.display:
        return ""
    terminal = app._zwr_terminal
    return " ".join(" ".join(t.split()) for _, t in terminal.region_lines(widget.region))


def stamp(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def failed_task(i: int, error_class: str, message: str, **extra) -> Task:
    raw = {
        "id": 900000 + i,
        "name": f"Step {i:03d}",
        "status": "Error",
        "action_type": "Callout",
        "start_time": stamp(FROZEN - timedelta(seconds=300 - i)),
        "end_time": stamp(FROZEN - timedelta(seconds=299 - i)),
        "error": message,
        "error_class": error_class,
        **extra,
    }
    return Task.parse(raw)


def ok_task(i: int) -> Task:
    return Task.parse({"id": 900000 + i, "name": f"Step {i:03d}", "status": "Success", "action_type": "Update"})


def counts(errors: int, success: int, queued: int = 0) -> dict[str, int]:
    return {"queued": queued, "processing": 0, "pending": 0, "stopped": 0, "success": success, "error": errors}


# ----------------------------------------------------------------------------- the target: 0 keys, then 1


@pytest.mark.parametrize("run_id", [19075, 19066])
async def test_the_first_error_is_on_screen_with_no_key_and_its_task_in_full_with_one(run_id):
    with Simulator() as sim:
        app = make_app(sim, [run_id])
        async with app.run_test(size=(80, 24)) as pilot:
            terminal = app._zwr_terminal = Terminal(app, 80, 24)
            why = app.session.why
            await settle_until(lambda: why.digest(run_id) is not None, pilot=pilot, timeout=20)
            await settle(pilot)
            digest = why.digest(run_id)
            run = app.book.run(run_id)
            group = digest.groups[0]
            assert digest.error_count == run.tasks.error == sum(g.count for g in digest.groups)
            shown = panel(app)  # no key was pressed
            assert f"✖ {run.tasks.error} task errors in {len(digest.groups)} group" in shown, shown
            squeezed = "".join(shown.split())  # the message wraps under itself, wherever the width breaks it
            assert "".join(f"{group.count}× {group.error_class} {group.template}".split()) in squeezed, shown
            assert f"first: task {group.first.id}" in shown, shown
            if run_id == 19075:  # the realistic mix: 80 callouts answered 500 by one host, 3 timeouts, 1 invalid record
                assert [(g.count, g.error_class) for g in digest.groups] == [
                    (80, "WorkflowError::Callout"),
                    (3, "WorkflowError::Timeout"),
                    (1, "WorkflowError::Validation"),
                ]
                assert "80× WorkflowError::Callout Callout response was 500 after <n> tries." in shown
                assert "HTTP 500 from hooks.acme-billing.example" in shown
            await press(pilot, "e")  # one key: the first error's task, every field of it
            detail = app.screen
            assert isinstance(detail, TaskDetailScreen) and detail.task_ is group.first
            await settle(pilot)
            text = screen_text(terminal)
            assert f"Task {group.first.id}" in text and "Error class" in text and group.error_class in text
            keys = [f.key for f in detail.fields]
            assert {"error", "error_details", "callout", "response_body", "object_id", "data", "parameters"} <= set(
                keys
            )
            await press(pilot, "c")  # the focused field (the first) is copied as shown
            assert app.clipboard == str(group.first.id)
            for _ in range(keys.index("response_body")):
                await press(pilot, "down")
            assert detail.focused_field.key == "response_body"
            await press(pilot, "c")
            assert '"error": "database timeout"' in app.clipboard


# ----------------------------------------------------------------------------- error groups in motion


async def test_groups_follow_the_error_count_and_old_groups_are_never_shown_as_current(monkeypatch):
    """A run that keeps failing while its panel is shown: each new error count is listed once (not
    on every poll), and while the new listing is on its way the panel says its groups are older."""
    monkeypatch.setattr(WhyBook, "min_reload_gap", 0.0)
    tasks = [failed_task(0, "WorkflowError::Callout", "Callout response was 500 after 3 tries."), ok_task(1)]
    tasks.append(failed_task(2, "WorkflowError::Callout", "Callout response was 500 after 3 tries."))
    poller = ScriptedPoller({5: lambda: TaskList(5, tuple(tasks), 1, None)})
    app, _ = scripted_app([5], poller=poller)
    state = RunState(5, "WF-5", "Processing", counts(2, 1, queued=7), 10, 120, 1, fetched=True)
    async with app.run_test(size=(80, 24)) as pilot:
        app._zwr_terminal = Terminal(app, 80, 24)
        await settle(pilot)
        poller.deliver([state.update()])
        await settle_until(lambda: app.session.why.digest(5) is not None, pilot=pilot)
        await settle(pilot)
        assert "✖ 2 task errors in 1 group" in panel(app) and "2× WorkflowError::Callout" in panel(app)
        for _ in range(3):  # polls that change nothing list nothing
            poller.deliver([state.update()])
            await settle(pilot)
        assert poller.loads == [5]
        # two more errors, one of a new kind; the listing is held on its way
        poller.hold_tasks = True
        tasks += [failed_task(3, "WorkflowError::Timeout", "Timed out after 30 seconds"), ok_task(4)]
        tasks.append(failed_task(5, "WorkflowError::Callout", "Callout response was 500 after 3 tries."))
        state.counts.update(counts(4, 2, queued=4))
        poller.deliver([state.update()])
        await settle_until(lambda: poller.held, pilot=pilot)
        await settle(pilot)
        shown = panel(app)
        assert "✖ 4 task errors in 1 group (grouped at 2 errors; updating…)" in shown, shown
        assert "2× WorkflowError::Callout" in shown  # the old groups, marked as such
        poller.deliver([state.update()])  # another poll while it is on its way: no second listing
        await settle(pilot)
        assert poller.loads == [5, 5]
        assert poller.release() == 1
        await settle_until(lambda: app.session.why.digest(5).error_count == 4, pilot=pilot)
        await settle(pilot)
        shown = panel(app)
        assert "✖ 4 task errors in 2 groups" in shown and "grouped at" not in shown, shown
        assert "3× WorkflowError::Callout" in shown and "1× WorkflowError::Timeout" in shown
        await press(pilot, "r")  # a refresh by hand does not list a good digest again
        assert poller.loads == [5, 5]


async def test_a_live_run_that_keeps_failing_is_grouped_again_as_it_goes(monkeypatch):
    """The demo's run 19071 (errors appear while it runs) on the simulator at 20x speed: the panel
    is always either current or marked as older, and ends with every error grouped."""
    monkeypatch.setattr(WhyBook, "min_reload_gap", 0.0)
    with Simulator(speed=20) as sim:
        app = make_app(sim, [19071], interval=1.0)
        async with app.run_test(size=(80, 24)) as pilot:
            app._zwr_terminal = Terminal(app, 80, 24)
            why = app.session.why
            seen_counts = set()
            for _ in range(400):  # bounded: about 20 s at most
                await pilot.pause(0.05)
                await settle(pilot)  # painted: what follows reads state and screen with no await between
                run = app.book.run(19071)
                digest = why.digest(19071)
                if run is None or run.tasks.error == 0:
                    continue
                seen_counts.add(run.tasks.error)
                shown = panel(app)
                if digest is None:
                    assert "listing the tasks" in shown, shown
                elif digest.error_count != run.tasks.error:
                    assert f"grouped at {digest.error_count} errors" in shown, shown
                elif not why.loading(19071) and run.terminal:
                    break
            run, digest = app.book.run(19071), why.digest(19071)
            assert run.terminal and digest.error_count == run.tasks.error == 5
            assert sum(g.count for g in digest.groups) == 5 and len(digest.groups) == 2
            assert why.listings <= len(seen_counts) + 1  # once per error count, not per poll
            assert "✖ 5 task errors in 2 groups" in panel(app)


async def test_tasks_that_cannot_be_listed_are_one_quiet_line_and_the_run_stays():
    poller = ScriptedPoller()  # no task list: listing answers 404
    app, _ = scripted_app([6], poller=poller)
    state = RunState(6, "WF-6", "Finished", counts(3, 7), 10, 600, 60, fetched=True)
    async with app.run_test(size=(80, 24)) as pilot:
        app._zwr_terminal = Terminal(app, 80, 24)
        await settle(pilot)
        poller.deliver([state.update()])
        await settle_until(lambda: app.session.why.digest(6) is not None, pilot=pilot)
        await settle(pilot)
        shown = panel(app)
        assert "✖ 3 task errors (could not list the tasks to group them: No tasks for run 6" in shown, shown
        assert "Finished" in " ".join(app._zwr_terminal.lines())
        await press(pilot, "e")
        assert app.screen is app.main
        assert any("could not be listed" in n.message for n in app._notifications)
        await press(pilot, "r")  # r asks again
        await settle(pilot)
        assert poller.loads == [6, 6]


# ----------------------------------------------------------------------------- workflow context


async def test_workflow_context_once_per_workflow_and_a_403_is_one_quiet_line(sim):
    sim.add_fault("status", status=403, path=r"^/workflows/19032$")  # 19066's workflow: no permission
    app = make_app(sim, [19075, 19073, 19066])
    async with app.run_test(size=(100, 40)) as pilot:
        terminal = app._zwr_terminal = Terminal(app, 100, 40)
        why = app.session.why
        await settle_until(lambda: isinstance(why.workflow("19040"), Workflow), pilot=pilot, timeout=20)
        await settle(pilot)
        text = screen_text(terminal)
        assert "Workflow Nightly invoice notifications (workflow 19040), active version 4.2.0" in text, text
        assert "Posts every invoice of the night to the billing hook and the ledger." in text
        for key in ("down", "down", "up", "down", "up", "up", "down", "down"):  # 19073, 19066, and back
            await press(pilot, key)
            await pilot.pause(0.3)  # the selection rests: its definition is asked for
        await settle_until(lambda: not why.busy, pilot=pilot)
        await settle(pilot)
        # once per workflow, however often it is shown; a refused one is not asked again either
        assert [
            len(sim.requests_to(f"/workflows/{w}")) - len(sim.requests_to(f"/workflows/{w}/"))
            for w in (19040, 19038, 19032)
        ] == [1, 1, 1]
        assert isinstance(why.workflow("19032"), PermissionDenied)
        text = " ".join(screen_text(terminal).split())
        assert "Workflow 19032: Permission denied (HTTP 403) for workflow 19032's definition" in text, text
        assert '"Workflow View Access"' in text and "Run 19066" in text and "✖ Finished" in text
        await press(pilot, "r")  # r asks again for what failed
        await settle_until(lambda: not why.busy and len(sim.requests_to("/workflows/19032")) == 2, pilot=pilot)


# ----------------------------------------------------------------------------- the incident report, find


async def test_y_copies_the_incident_report_of_the_selected_run(sim):
    app = make_app(sim, [19075])
    async with app.run_test(size=(80, 24)) as pilot:
        why = app.session.why
        await settle_until(lambda: why.digest(19075) is not None and why.workflow("19040"), pilot=pilot, timeout=20)
        await press(pilot, "y")
        report = app.clipboard
        assert report.startswith("### zwr incident report: run 19075 (WF-19040-00000314)")
        assert "| 80 | WorkflowError::Callout | Callout response was 500 after \\<n\\> tries. |" in report
        assert "(WorkflowError::Callout): Callout response was 500 after 3 tries." in report  # the example, as written
        assert "| 3 | WorkflowError::Timeout |" in report and "| 1 | WorkflowError::Validation |" in report
        assert "- **Workflow:** Nightly invoice notifications (workflow 19040)" in report
        assert "Zuora-Request-Ids" in report and sim.demo_token not in report
        assert any("Copied the incident report of run 19075" in n.message for n in app._notifications)


async def test_find_by_object_id_from_the_palette_watches_the_runs_that_touched_it(sim):
    from tui.core.auth import StaticToken
    from tui.core.client import ClientSettings, ZuoraClient
    from tui.core.search import TaskQuery
    from tui.sim.failures import record_id
    from tui.ui.screens.modals import ObjectIdEntry

    invoice = record_id("Invoice", 9)
    async with ZuoraClient(ClientSettings(sim.base_url), StaticToken(sim.demo_token)) as client:
        expected = [r for r, _ in (await client.find_tasks(TaskQuery(object_id=invoice))).by_run() if r is not None]
    assert len(expected) >= 2
    app = make_app(sim, [19063])
    async with app.run_test(size=(100, 30)) as pilot:
        await settle_until(lambda: 19063 in app.updates, pilot=pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"find runs by object")
        await settle_until(lambda: app.screen.query("CommandList"), pilot=pilot)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle_until(lambda: isinstance(app.screen, ObjectIdEntry), pilot=pilot)
        app.screen.query_one("Input").value = "8a80\x1b[31m"  # a pasted escape code is refused inline
        await pilot.press("enter")
        assert isinstance(app.screen, ObjectIdEntry)
        assert "printable" in text_of(app.screen.query_one("#object-id-message"))
        app.screen.query_one("Input").value = invoice
        await pilot.press("enter")
        await settle_until(lambda: all(r in app.book for r in expected), pilot=pilot, timeout=20)
        assert app.book.ids() == [19063, *[r for r in expected if r != 19063]]
        assert app.main.selected_run_id() == expected[0]  # the run where a task on it failed first
        assert any(f"{len(expected)} runs touched object ID {invoice}" in n.message for n in app._notifications)


# ----------------------------------------------------------------------------- task details


async def test_task_details_are_literal_capped_on_screen_and_copied_whole():
    hostile = "[bold red]not markup[/] \x1b]52;c;ZXZpbA==\x07 done"
    body = "\n".join(f"line {n}" for n in range(2000))
    task = failed_task(
        0,
        "WorkflowError::Callout",
        hostile,
        data={"Callout": {"URL": "https://h.example/x", "ResponseCode": 502, "ResponseBody": body}},
    )
    poller = ScriptedPoller({8: lambda: TaskList(8, (task, ok_task(1)), 1, None)})
    app, _ = scripted_app([8], poller=poller)
    state = RunState(8, "WF-8", "Finished", counts(1, 1), 2, 600, 60, fetched=True)
    async with app.run_test(size=(80, 24)) as pilot:
        terminal = Terminal(app, 80, 24)
        await settle(pilot)
        poller.deliver([state.update()])
        await settle(pilot)
        await press(pilot, "t")
        await settle_until(lambda: getattr(app.screen, "loads", 0) == 1, pilot=pilot)
        await press(pilot, "enter")
        detail = app.screen
        assert isinstance(detail, TaskDetailScreen)
        await settle(pilot)
        text = screen_text(terminal)
        assert "[bold red]not markup[/]" in " ".join(text.split()) and "␛]52;c;" in text
        assert all("\x1b" not in line and "\x07" not in line for line in terminal.lines())
        view = next(v for v in detail.query("FieldView") if v.field.key == "response_body")
        assert "more characters not shown (2,000 lines in all): c copies the whole field" in text_of(view)
        detail.set_focus(view)
        await press(pilot, "c")
        assert app.clipboard.endswith("line 1999") and app.clipboard.count("\n") == 1999
        await press(pilot, "C")
        assert "Response body:\nline 0" in app.clipboard and "\x1b" not in app.clipboard
        await press(pilot, "escape")
        assert isinstance(app.screen, TasksScreen)


# ----------------------------------------------------------------------------- issue 12 on screen


async def test_tasks_title_says_n_of_m_what_was_left_out_and_an_incomplete_list():
    listing = TaskList(9, (ok_task(0), ok_task(1), ok_task(2)), 1, None, 4, 2, "stopped after 1 page of 1")
    poller = ScriptedPoller({9: lambda: listing})
    app, _ = scripted_app([9], poller=poller)
    state = RunState(9, "WF-9", "Finished", counts(0, 4), 4, 600, 60, fetched=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        poller.deliver([state.update()])
        await settle(pilot)
        await press(pilot, "t")
        screen = app.screen
        await settle_until(lambda: screen.loads == 1, pilot=pilot)
        title = " ".join(text_of(screen.query_one("#tasks-title")).split())
        assert "3 of 4 tasks (2 tasks of another run left out), 0 in Error" in title, title
        assert "⚠ incomplete list: stopped after 1 page of 1" in title, title


async def test_rate_limit_and_zuora_messages_in_the_detail():
    app, poller = scripted_app([10])
    state = RunState(10, "WF-10", "Finished", counts(0, 4), 4, 600, 60, fetched=True)
    raw = dict(state.json(), messages=["Workflow ran with warnings", "[b]Queue[/b] was slow"])
    limit = RateLimit(limit=50_000, remaining=49_960, window=60.0)
    meta = ResponseMeta(200, "req-10", None, limit, 0.1, 1, FROZEN.timestamp())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        poller.deliver([RunUpdate(10, Run.parse(raw), meta, None, False, None, FROZEN.timestamp())])
        await settle(pilot)
        meta_line = text_of(app.main.query_one("#detail-meta"))
        assert "rate limit 49,960 left of 50,000 per minute" in meta_line, meta_line
        messages = " ".join(text_of(app.main.query_one("#detail-messages")).split())
        assert "Messages Workflow ran with warnings" in messages and "[b]Queue[/b] was slow" in messages


async def test_scripted_workflow_definition_shows_in_the_detail():
    definition = Workflow.parse(
        {"id": 77, "name": "Nightly [b]sync[/b]", "description": "Pushes invoices", "status": "Active"}
    )
    meta = ResponseMeta(200, "req-w", None, None, 0.1, 1, FROZEN.timestamp())
    poller = ScriptedPoller(workflows={"77": lambda: WorkflowResult(definition, meta)})
    app, _ = scripted_app([11], poller=poller)
    state = RunState(11, "WF-11", "Finished", counts(0, 4), 4, 600, 60, fetched=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        poller.deliver(
            [RunUpdate(11, Run.parse(dict(state.json(), originalWorkflowId=77)), None, None, False, None, 0)]
        )
        await settle_until(lambda: poller.workflow_loads == ["77"], pilot=pilot)
        await settle(pilot)
        shown = " ".join(text_of(app.main.query_one("#detail-workflow")).split())
        assert "Workflow Nightly [b]sync[/b] (workflow 77)" in shown and "Pushes invoices" in shown, shown


async def test_a_rebound_first_error_key_is_the_one_the_panel_names():
    """``[keys] first-error = "w"``: the panel's hint says w, w opens the task, e does nothing."""
    from tui.store import paths

    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[keys]\nfirst-error = "w"\n')
    tasks = (failed_task(0, "WorkflowError::Callout", "Callout response was 500 after 3 tries."), ok_task(1))
    poller = ScriptedPoller({12: lambda: TaskList(12, tasks, 1, None)})
    app, _ = scripted_app([12], poller=poller)
    state = RunState(12, "WF-12", "Finished", counts(1, 1), 2, 600, 60, fetched=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        poller.deliver([state.update()])
        await settle_until(lambda: app.session.why.digest(12) is not None, pilot=pilot)
        await settle(pilot)
        shown = text_of(app.main.query_one("#detail-errors"))
        assert "w: first in full" in shown and "e: first" not in shown, shown
        await press(pilot, "e")
        assert app.screen is app.main
        await press(pilot, "w")
        assert isinstance(app.screen, TaskDetailScreen) and app.screen.task_ is tasks[0]
