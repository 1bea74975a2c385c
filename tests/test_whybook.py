"""The why book (no Textual): what is loaded, when, and what is dropped."""

from __future__ import annotations

from types import SimpleNamespace

from tests.test_ui_model import RunState
from tests.uihelpers import ScriptedPoller
from tui.core.client import TaskList
from tui.core.errors import PermissionDenied
from tui.core.model import Task
from tui.poll.runbook import RunBook
from tui.poll.whybook import DigestLoaded, WhyBook


def errors(n: int) -> tuple[Task, ...]:
    return tuple(
        Task.parse({"id": i, "status": "Error", "error": f"Record {i} failed", "error_class": "E"}) for i in range(n)
    )


def setup(errors_now: int, **poller_args):
    book = RunBook()
    poller = ScriptedPoller(**poller_args)
    clock = [100.0]
    why = WhyBook(book, poller, wallclock=lambda: 1_000.0, monotonic=lambda: clock[0])
    outcomes = []
    why.attach(outcomes.append)
    counts = {"queued": 5, "processing": 0, "pending": 0, "stopped": 0, "success": 5, "error": errors_now}
    state = RunState(1, "WF-1", "Processing", counts, 10 + errors_now, 60, 1, fetched=True)
    book.watch([1])
    book.apply([state.update()])

    def deliver() -> None:  # the app's part: outcomes back in the UI thread
        while outcomes:
            why.apply(outcomes.pop(0))

    return SimpleNamespace(book=book, poller=poller, why=why, state=state, clock=clock, deliver=deliver)


def test_listed_once_per_error_count_and_not_before_the_gap():
    current = [2]
    t = setup(2, task_lists={1: lambda: TaskList(1, errors(current[0]), 1, None)})
    t.why.want(1)
    t.deliver()
    assert t.why.digest(1).error_count == 2 and t.why.digest(1).groups[0].count == 2
    for _ in range(3):
        t.why.want(1)
    assert t.poller.loads == [1]  # nothing moved: nothing listed
    t.state.counts["error"], current[0] = 3, 3
    t.book.apply([t.state.update()])
    t.why.want(1)
    assert t.poller.loads == [1]  # due, but the gap has not passed
    t.clock[0] += t.why.min_reload_gap
    t.why.want(1)
    t.deliver()
    assert t.poller.loads == [1, 1] and t.why.digest(1).error_count == 3 and t.why.digest(1).errors == 3


def test_nothing_is_listed_for_a_run_without_errors():
    t = setup(0)
    t.book.apply([RunState(1, "WF-1", "Finished", t.state.counts, 10, 60, 1, fetched=True).update()])
    run = t.book.run(1)
    assert run.tasks.error == 0
    t.why.want(1)
    assert t.poller.loads == [] and t.why.digest(1) is None


def test_a_failed_definition_is_kept_until_retry_and_a_forgotten_listing_is_dropped():
    import dataclasses

    t = setup(1, task_lists={1: lambda: TaskList(1, errors(1), 1, None)})
    raw = dict(t.state.json(), originalWorkflowId=42)
    from tui.core.model import Run

    update = dataclasses.replace(t.state.update(), run=Run.parse(raw))
    t.book.apply([update])
    t.poller.workflows["42"] = lambda: (_ for _ in ()).throw(PermissionDenied("no", status=403))
    t.poller.hold_tasks = True
    t.why.want(1)
    t.deliver()
    assert isinstance(t.why.workflow("42"), PermissionDenied) and t.poller.workflow_loads == ["42"]
    t.why.want(1)
    assert t.poller.workflow_loads == ["42"]  # not asked again on its own
    assert t.why.loading(1)
    t.why.forget(1)  # unwatched while its listing is on its way
    t.poller.release()
    t.deliver()
    assert t.why.digest(1) is None and not t.why.loading(1)
    t.why.retry(1)
    t.why.want(1)
    assert t.poller.workflow_loads == ["42", "42"]


def test_an_old_listing_arriving_after_a_new_one_started_is_ignored():
    t = setup(1, task_lists={1: lambda: TaskList(1, errors(1), 1, None)})
    t.poller.hold_tasks = True
    t.why.want(1)
    stale = DigestLoaded(1, 1, TaskList(1, errors(1), 1, None), None, 0.0, 0.1, ticket=999)
    assert not t.why.apply(stale) and t.why.digest(1) is None  # not the listing on its way
    t.poller.release()
    t.deliver()
    assert t.why.digest(1) is not None


def test_the_tasks_screen_listing_makes_the_digest_too():
    t = setup(2)
    seen = []
    t.why.subscribe(seen.append)
    t.why.offer(TaskList(1, errors(2), 1, None), 2)
    assert t.why.digest(1).errors == 2 and seen
    t.why.want(1)
    assert t.poller.loads == []  # nothing due: that listing was for the current count
