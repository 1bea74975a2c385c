"""The tasks of one run: a virtualised table (rows are data, not widgets), live while the run is.

The list is fetched in the poll thread (never in the UI loop). While the run is active the
screen reloads it when the run book reports different task counts for the run (not on every
poll of an unchanged run), at most once per ``reload_gap`` seconds, keeping the cursor on the
same task (rows are keyed by task ID). The title says how old the list is ("as of 12:00:01
(4s ago)"), ticking every second. An ended run's list is loaded once (``r`` reloads).
"""

from __future__ import annotations

import concurrent.futures
import logging
import time
from datetime import UTC, datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from tui.core.client import TaskList
from tui.core.errors import ZwrError
from tui.core.model import Task, TaskCounts, TaskStatus
from tui.core.present import badge, fmt_duration
from tui.poll.engine import InternalError
from tui.poll.runbook import BookChange
from tui.ui.keys import bindings
from tui.ui.messages import TasksFailed, TasksLoaded, TasksProgress
from tui.ui.safe import TONE_STYLES, literal
from tui.ui.session import Session
from tui.ui.styles import stylesheet
from tui.ui.widgets.linetable import Column, LineTable

log = logging.getLogger("tui.ui")

TASK_COLUMNS = (
    Column("id", "ID", 11),
    Column("status", "Status", 12),
    Column("name", "Name"),
    Column("action", "Action", 14),
    Column("took", "Took", 7),
    Column("error", "Error class"),
)

STATUS_STYLE = {
    TaskStatus.SUCCESS: ("✔", "green"),
    TaskStatus.ERROR: ("✖", "bold red"),
    TaskStatus.STOPPED: ("■", "yellow"),
    TaskStatus.PENDING: ("◔", "magenta"),
    TaskStatus.PROCESSING: ("▶", "cyan"),
    TaskStatus.QUEUED: ("◌", "blue"),
    TaskStatus.UNKNOWN: ("?", "magenta"),
}


def task_key(task: Task, index: int) -> str:
    return str(task.id) if task.id is not None else f"#{index}"


def task_matches(task: Task, errors_only: bool, needle: str) -> bool:
    if errors_only and task.status is not TaskStatus.ERROR:
        return False
    needle = needle.strip().lower()
    if not needle:
        return True
    fields = (str(task.id), task.name, task.action_type, task.error, task.error_class, task.status_label)
    return any(needle in (v or "").lower() for v in fields)


def task_cells(task: Task) -> tuple[Text, ...]:
    symbol, style = STATUS_STYLE[task.status]
    return (
        Text(str(task.id if task.id is not None else "?")),
        literal(f"{symbol} {task.status_label}", 18, style),
        literal(task.name or "", 60),
        literal(task.action_type or "", 24),
        Text(fmt_duration(task.duration) if task.duration is not None else "—"),
        literal(task.error_class or "", 40, "red"),
    )


class TasksScreen(Screen):
    CSS_PATH = stylesheet("tasks")
    BINDINGS = bindings("tasks")
    KEY_SCOPE = "tasks"  # its actions in tui.ui.keys (the palette offers them)

    min_reload_gap = 2.0  # seconds between automatic reloads, at least

    def __init__(self, session: Session, run_id: int) -> None:
        super().__init__()
        self.session = session
        self.book = session.book
        self.run_id = run_id
        self.tasks: tuple[Task, ...] = ()
        self.by_key: dict[str, Task] = {}
        self.errors_only = False
        self.filter_text = ""
        self.shown: list[str] = []  # keys of the rows on screen, in order
        self.as_of: float | None = None  # wall clock of the shown list
        self.loaded_counts: TaskCounts | None = None  # the run's counts when the shown list was requested
        self.loads = 0  # finished loads (tests and the title read it)
        self.error: ZwrError | None = None
        self.progress: tuple[int, int] | None = None
        self._future: concurrent.futures.Future[TaskList] | None = None
        self._requested_counts: TaskCounts | None = None
        self._started = 0.0
        self._last_duration = 0.0
        self._finished_at = float("-inf")
        self._unsubscribe = lambda: None

    def compose(self) -> ComposeResult:
        yield self.session.banner()
        yield Static(Text(f"Tasks of run {self.run_id}: loading…", style="bold"), id="tasks-title")
        yield Input(placeholder="filter tasks (name, action, error…)", id="tasks-filter")
        yield LineTable(TASK_COLUMNS, id="tasks-table")
        yield Static("", id="task-preview")
        yield Footer()

    def on_mount(self) -> None:
        self.table = self.query_one(LineTable)
        self.query_one("#tasks-filter", Input).display = False
        self.set_focus(self.table)
        self._unsubscribe = self.book.subscribe(self._on_book_change)
        self.set_interval(1.0, self._tick)
        self.load()

    def on_unmount(self) -> None:
        self._unsubscribe()
        if self._future is not None:
            self._future.cancel()

    # ------------------------------------------------------------------ loading (in the poll thread)

    @property
    def fetching(self) -> bool:
        """A listing is on its way (not ``loading``: that is Textual's reactive for a loading indicator)."""
        return self._future is not None and not self._future.done()

    def load(self) -> None:
        """Fetch the list now (unless a fetch is already on its way)."""
        if self.fetching:
            return
        run = self.book.run(self.run_id)
        self._requested_counts = run.tasks if run else None
        self._started = time.monotonic()
        self.progress = None
        pages = tasks = 0

        def on_page(page: int, count: int) -> None:  # poll thread
            nonlocal pages, tasks
            pages, tasks = pages + 1, tasks + count
            self.post_message(TasksProgress(self.run_id, pages, tasks))

        future = self.session.poller.load_tasks(
            self.run_id, run.tasks.effective_total if run else None, on_page=on_page
        )
        self._future = future
        future.add_done_callback(self._loaded)
        self._render_title()

    def _loaded(self, future: concurrent.futures.Future[TaskList]) -> None:
        """Runs in the poll thread: turn the outcome into a message for this screen."""
        if future.cancelled():
            return
        exc = future.exception()
        if exc is None:
            self.post_message(TasksLoaded(self.run_id, future.result(), self.session.wallclock()))
        elif isinstance(exc, ZwrError):
            self.post_message(TasksFailed(self.run_id, exc))
        else:
            log.error("loading the tasks of run %s failed", self.run_id, exc_info=exc)
            self.post_message(TasksFailed(self.run_id, InternalError.from_exception("loading the tasks", exc)))

    def _finish(self) -> None:
        self._last_duration = time.monotonic() - self._started
        self._finished_at = time.monotonic()
        self._future = None

    def on_tasks_progress(self, message: TasksProgress) -> None:
        self.progress = (message.pages, message.tasks)
        self._render_title()

    def on_tasks_loaded(self, message: TasksLoaded) -> None:
        self._finish()
        self.loads += 1
        self.error = None
        self.tasks = message.tasks.tasks
        self.by_key = {task_key(t, i): t for i, t in enumerate(self.tasks)}
        self.as_of = message.as_of
        self.loaded_counts = self._requested_counts
        self._fill()
        self._maybe_reload()  # the counts may have moved while the list was on its way

    def on_tasks_failed(self, message: TasksFailed) -> None:
        self._finish()
        self.error = message.error
        self._render_title()

    # ------------------------------------------------------------------ live

    def _on_book_change(self, change: BookChange) -> None:
        if self.run_id in change.runs:
            self._maybe_reload()
            self._render_title()

    def reload_gap(self) -> float:
        """Big lists reload less often: at least 3x the last load's duration apart."""
        return max(self.min_reload_gap, 3 * self._last_duration)

    def wants_reload(self) -> bool:
        """The run's counts differ from those the shown list was loaded under."""
        run = self.book.run(self.run_id)
        if run is None or self.loads == 0 or self.error is not None:
            return False
        return run.tasks != self.loaded_counts

    def _maybe_reload(self) -> None:
        if self.fetching or not self.wants_reload():
            return
        if time.monotonic() - self._finished_at >= self.reload_gap():
            self.load()
        # otherwise the tick retries once the gap has passed

    def _tick(self) -> None:
        self._maybe_reload()
        self._render_title()

    # ------------------------------------------------------------------ table

    def visible_tasks(self) -> list[Task]:
        return [t for t in self.tasks if task_matches(t, self.errors_only, self.filter_text)]

    def _fill(self) -> None:
        keys = [task_key(t, i) for i, t in enumerate(self.tasks) if task_matches(t, self.errors_only, self.filter_text)]
        self.shown = keys
        by_key = self.by_key
        self.table.set_rows(keys, lambda key: task_cells(by_key[key]))
        self._render_title()
        self._preview()

    def _render_title(self) -> None:
        run = self.book.run(self.run_id)
        title = Text(f"Tasks of run {self.run_id}", style="bold")
        if run is not None:
            b = badge(run)
            title.append(" (")
            title.append_text(literal(f"{b.symbol} {b.label}", 30, TONE_STYLES.get(b.tone, "")))
            title.append(")")
        title.append(": ", style="bold")
        if self.loads == 0 and self.error is None:
            title.append("loading…", style="bold")
            if self.progress:
                title.append(f" {self.progress[1]:,} tasks in {self.progress[0]} page(s)", style="bold")
        if self.loads:
            errors = sum(1 for t in self.tasks if t.status is TaskStatus.ERROR)
            title.append(f"{len(self.tasks):,} tasks", style="bold")
            title.append(f", {errors:,} in Error", style="bold red" if errors else "dim")
            if self.errors_only or self.filter_text:
                title.append(
                    f"  showing {len(self.shown):,}" + ("  [errors only]" if self.errors_only else ""),
                    style="yellow",
                )
        if self.as_of is not None:
            moment = datetime.fromtimestamp(self.as_of, UTC).astimezone()
            age = max(0.0, self.session.wallclock() - self.as_of)
            title.append(f"  as of {moment:%H:%M:%S} ({fmt_duration(age)} ago)", style="dim")
        if self.loads and self.fetching:
            title.append("  reloading…", style="dim")
        if self.error is not None:
            title.append("  ")
            title.append_text(literal(self.error.describe(), 400, "red"))
            if self.tasks:
                title.append("  (showing the previous list)", style="yellow")
            title.append("  r to retry", style="dim")
        self.query_one("#tasks-title", Static).update(title)

    def _current(self) -> Task | None:
        key = self.table.cursor_key
        return self.by_key.get(key) if key is not None else None

    def _preview(self) -> None:
        task = self._current()
        widget = self.query_one("#task-preview", Static)
        if task is None or not (task.error or task.error_class):
            widget.update(
                Text("enter: full details of the highlighted task (the footer has the other keys)", style="dim")
            )
            return
        text = Text.assemble(literal(task.error_class or "Error", 60, "bold red"), ": ")
        text.append_text(literal(task.error or "", 300))
        widget.update(text)

    def on_line_table_highlighted(self, event: LineTable.Highlighted) -> None:
        self._preview()

    def on_line_table_selected(self, event: LineTable.Selected) -> None:
        self.action_details()

    # ------------------------------------------------------------------ actions

    def action_toggle_errors(self) -> None:
        self.errors_only = not self.errors_only
        self._fill()

    def action_filter(self) -> None:
        box = self.query_one("#tasks-filter", Input)
        box.display = True
        self.set_focus(box)

    def action_back(self) -> None:
        """esc: clear the filter if there is one, else back to the watchlist."""
        box = self.query_one("#tasks-filter", Input)
        if box.display or self.filter_text:
            box.value = ""
            box.display = False
            self.filter_text = ""
            self._fill()
            self.set_focus(self.table)
            return
        self.app.pop_screen()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self._fill()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.set_focus(self.table)

    def action_details(self) -> None:
        task = self._current()
        if task is not None:
            from tui.ui.screens.modals import TaskDetail

            self.app.push_screen(TaskDetail(task))

    def action_raw(self) -> None:
        task = self._current()
        if task is not None:
            from tui.ui.screens.modals import RawJson

            self.app.push_screen(RawJson(f"Task {task.id}", dict(task.raw)))

    def action_reload(self) -> None:
        self.error = None if self.fetching else self.error
        self.load()

    # ------------------------------------------------------------------ writes (tui.ui.writes does the work)

    def action_rerun_task(self) -> None:
        task = self._current()
        writes = self.session.writes
        if task is None or writes is None:
            return
        if task.id is None:
            self.notify("This task has no ID: it cannot be rerun.", severity="warning", markup=False)
            return
        writes.rerun_task(self.run_id, task.id)

    def action_rerun_failed(self) -> None:
        if self.session.writes is not None:
            self.session.writes.rerun_failed(self.run_id)

    def action_stop_run(self) -> None:
        if self.session.writes is not None:
            self.session.writes.stop(self.run_id)
