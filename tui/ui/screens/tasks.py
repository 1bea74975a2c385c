"""The tasks of one run: a virtualised table (rows are data, not widgets), live while the run is.

The list is fetched in the poll thread (never in the UI loop). While the run is active the
screen reloads it when the run book reports different task counts for the run (not on every
poll of an unchanged run), at most once per ``reload_gap`` seconds, keeping the cursor on the
same task (rows are keyed by task ID). The title says how many tasks are listed ("240 of 250
tasks" while a live run grows; tasks of other runs left out; an incomplete list marked) and how
old the list is ("as of 12:00:01 (4s ago)"), ticking every second. An ended run's list is
loaded once (``r`` reloads).

``s`` sorts by another column (slowest first, status, name, ID, ...; ``S`` reverses), ``g``
shows the run's error groups instead of its tasks (``enter`` on a group lists its tasks,
``esc`` goes back a level); every view keeps its cursor on its task or group through reloads
and sorts. ``enter`` on a task shows it in full (``TaskDetailScreen``).
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
from tui.core.errorgroups import ErrorGroup, group_errors, key_of
from tui.core.errors import ZwrError
from tui.core.model import Task, TaskCounts, TaskStatus
from tui.core.present import badge, fmt_duration, plural, tasks_listed
from tui.core.taskorder import COLUMNS as SORTS
from tui.core.taskorder import sort_tasks
from tui.poll.engine import InternalError
from tui.poll.runbook import BookChange
from tui.ui.keys import bindings
from tui.ui.messages import TasksFailed, TasksLoaded, TasksProgress
from tui.ui.safe import TONE_STYLES, literal
from tui.ui.session import Session
from tui.ui.styles import stylesheet
from tui.ui.widgets import taskcolumns as tc
from tui.ui.widgets.linetable import LineTable

log = logging.getLogger("tui.ui")

GROUP_SORT_TITLES = {"count": "tasks (most first)", "seen": "first seen", "class": "error class"}


def task_key(task: Task, index: int) -> str:
    return str(task.id) if task.id is not None else f"#{index}"


def group_key(group: ErrorGroup) -> str:
    return "\x1f".join(group.key)


def task_matches(task: Task, errors_only: bool, needle: str) -> bool:
    if errors_only and task.status is not TaskStatus.ERROR:
        return False
    needle = needle.strip().lower()
    if not needle:
        return True
    fields = (
        str(task.id),
        task.name,
        task.action_type,
        task.error,
        task.error_class,
        task.status_label,
        task.object,
        task.object_id,
    )
    return any(needle in (v or "").lower() for v in fields)


def sort_groups(groups: tuple[ErrorGroup, ...], order: str, reverse: bool) -> list[ErrorGroup]:
    if order == "seen":
        return sorted(
            groups,
            key=lambda g: (g.first_seen is None, g.first_seen.timestamp() if g.first_seen else 0.0),
            reverse=reverse,
        )
    if order == "class":
        return sorted(groups, key=lambda g: ((g.error_class or "").casefold(), g.template.casefold()), reverse=reverse)
    return list(reversed(groups)) if reverse else list(groups)  # group_errors: the biggest first


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
        self.listing: TaskList | None = None
        self.tasks: tuple[Task, ...] = ()
        self.by_key: dict[str, Task] = {}
        self.errors_only = False
        self.filter_text = ""
        self.sort: str | None = None  # a ``tui.core.taskorder`` column, or None: Zuora's order
        self.reverse = False
        self.grouped = False  # the error groups instead of the tasks
        self.group_sort = "count"
        self.group_reverse = False
        self.group_filter: str | None = None  # the key of the group whose tasks are listed
        self._groups: tuple[ErrorGroup, ...] | None = None  # of ``self.tasks``, made when first needed
        self._cursor: dict[str, str | None] = {"tasks": None, "groups": None}  # each view's cursor key
        self._shown_view = "tasks"  # the view the table's rows are of
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
        yield Input(placeholder="filter tasks (name, action, object, error…)", id="tasks-filter")
        yield LineTable(tc.columns(tc.fit(tc.TASK_SPECS, 80), 80), id="tasks-table")
        yield Static("", id="task-preview")
        yield Footer()

    def on_mount(self) -> None:
        self.table = self.query_one(LineTable)
        self.query_one("#tasks-filter", Input).display = False
        self.set_focus(self.table)
        self._unsubscribe = self.book.subscribe(self._on_book_change)
        self.set_interval(1.0, self._tick)
        self._set_columns()
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
        self.listing = message.tasks
        self.tasks = message.tasks.tasks
        self.by_key = {task_key(t, i): t for i, t in enumerate(self.tasks)}
        self._groups = None
        self.as_of = message.as_of
        self.loaded_counts = self._requested_counts
        if self.loaded_counts is not None:  # the detail panel's error groups come with it
            self.session.why.offer(message.tasks, self.loaded_counts.error)
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

    # ------------------------------------------------------------------ what is shown

    @property
    def groups(self) -> tuple[ErrorGroup, ...]:
        """The error groups of the shown list (made once per list, when first asked for)."""
        if self._groups is None:
            self._groups = group_errors(self.tasks)
        return self._groups

    def _group(self, key: str | None) -> ErrorGroup | None:
        return next((g for g in self.groups if group_key(g) == key), None) if key is not None else None

    def visible_tasks(self) -> list[Task]:
        tasks = [t for t in self.tasks if task_matches(t, self.errors_only, self.filter_text)]
        if self.group_filter is not None:
            wanted = tuple(self.group_filter.split("\x1f"))
            tasks = [t for t in tasks if t.status is TaskStatus.ERROR and key_of(t) == wanted]
        if self.sort is not None:
            tasks = sort_tasks(tasks, self.sort, reverse=self.reverse)
        return tasks

    def visible_groups(self) -> list[ErrorGroup]:
        return sort_groups(self.groups, self.group_sort, self.group_reverse)

    @property
    def view(self) -> str:
        return "groups" if self.grouped else "tasks"

    def _set_columns(self) -> None:
        """The columns that fit the table's width (asked again on every resize); the sorted one
        is always among them."""
        if self.grouped:
            self.table.set_columns(tc.layout(tc.GROUP_SPECS, self.group_sort, self.group_reverse))
        else:
            self.table.set_columns(tc.layout(tc.TASK_SPECS, self.sort, self.reverse and self.sort is not None))

    def _fill(self) -> None:
        """Show the rows of the current view. Within a view the cursor stays on its task or
        group (rows are keyed); switching views puts it back where it was in the other one."""
        table = self.table
        if table.row_count:
            self._cursor[self._shown_view] = table.cursor_key
        if self.grouped:
            groups = {group_key(g): g for g in self.visible_groups()}
            keys = list(groups)
            table.set_rows(keys, lambda key: tc.cells(table.columns, groups[key]))
        else:
            by_key = self.by_key
            index = {id(t): i for i, t in enumerate(self.tasks)}
            keys = [task_key(t, index[id(t)]) for t in self.visible_tasks()]
            table.set_rows(keys, lambda key: tc.cells(table.columns, by_key[key]))
        if self._shown_view != self.view:
            wanted = self._cursor[self.view]
            if wanted is not None and wanted in table:
                table.move_to_key(wanted)
            else:
                table.move_cursor(0)
            self._shown_view = self.view
        self.shown = keys
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
        listing = self.listing
        if self.loads and listing is not None:
            total = run.tasks.total if run is not None and run.tasks.known else listing.expected_total
            errors = sum(1 for t in self.tasks if t.status is TaskStatus.ERROR)
            title.append(tasks_listed(len(self.tasks), total, listing.left_out), style="bold")
            title.append(f", {errors:,} in Error", style="bold red" if errors else "dim")
            if listing.partial:
                title.append_text(literal(f"  ⚠ incomplete list: {listing.partial}", 300, "bold yellow"))
            title.append_text(self._view_note())
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

    def _view_note(self) -> Text:
        """What the table shows, when it is not simply every task in Zuora's order."""
        note = Text()
        if self.grouped:
            note.append(f"  ▸ {plural(len(self.groups), 'error group')}", style="bold yellow")
            note.append(f", by {GROUP_SORT_TITLES[self.group_sort]}", style="yellow")
            note.append(" (reversed)" if self.group_reverse else "", style="yellow")
            return note
        group = self._group(self.group_filter)
        if self.group_filter is not None:
            note.append("  ▸ group ", style="bold yellow")
            if group is not None:
                template = group.template if len(group.template) <= 50 else group.template[:49] + "…"
                note.append_text(literal(f"{group.error_class or '—'}: {template}", 120, "yellow"))
            else:
                note.append("(no task in this group any more)", style="yellow")
            note.append(" (esc: all groups)", style="dim")
        if self.sort is not None:
            note.append(f"  sorted by {SORTS[self.sort].title}" + (", reversed" if self.reverse else ""), style="cyan")
        if self.errors_only or self.filter_text or self.group_filter is not None:
            note.append(f"  showing {len(self.shown):,}" + ("  [errors only]" if self.errors_only else ""), "yellow")
        return note

    def _current(self) -> Task | None:
        key = self.table.cursor_key
        return self.by_key.get(key) if key is not None and not self.grouped else None

    def _current_group(self) -> ErrorGroup | None:
        return self._group(self.table.cursor_key) if self.grouped else None

    def _preview(self) -> None:
        widget = self.query_one("#task-preview", Static)
        group = self._current_group()
        if group is not None:
            first = group.first  # the key first: a long message must not push it out of the two lines
            text = Text(f"enter lists its {plural(group.count, 'task')} (first: task {first.id}) · ", style="dim")
            text.append_text(literal(group.error_class or "Error", 60, "bold red"))
            text.append(": ")
            text.append_text(literal(group.message, 300))
            widget.update(text)
            return
        task = self._current()
        if task is None or not (task.error or task.error_class):
            hint = "enter: details · s/S: sort · g: error groups (the footer has the other keys)"
            widget.update(Text(hint, style="dim"))
            return
        text = Text.assemble(literal(task.error_class or "Error", 60, "bold red"), ": ")
        text.append_text(literal(task.error or "", 300))
        widget.update(text)

    def on_line_table_highlighted(self, event: LineTable.Highlighted) -> None:
        self._preview()

    def on_line_table_selected(self, event: LineTable.Selected) -> None:
        if self.grouped:
            self.action_open_group()
        else:
            self.action_details()

    # ------------------------------------------------------------------ actions

    def action_sort(self) -> None:
        if self.grouped:
            order = tc.GROUP_SORTS
            self.group_sort = order[(order.index(self.group_sort) + 1) % len(order)]
            self.group_reverse = False
        else:
            task_sorts = tc.TASK_SORTS
            self.sort = task_sorts[(task_sorts.index(self.sort) + 1) % len(task_sorts)]
            self.reverse = False
        self._set_columns()
        self._fill()

    def action_reverse(self) -> None:
        if self.grouped:
            self.group_reverse = not self.group_reverse
        elif self.sort is None:
            self.notify("Zuora's order has no reverse: press s to sort by a column first.", markup=False)
            return
        else:
            self.reverse = not self.reverse
        self._set_columns()
        self._fill()

    def action_toggle_groups(self) -> None:
        if not self.grouped and not self.groups:
            self.notify("No task of this list is in Error: there are no error groups.", markup=False)
            return
        self.grouped = not self.grouped
        self.group_filter = None
        self._set_columns()
        self._fill()

    def action_open_group(self) -> None:
        group = self._current_group()
        if group is None:
            return
        self._cursor["groups"] = group_key(group)
        self._cursor["tasks"] = task_key(group.first, next(i for i, t in enumerate(self.tasks) if t is group.first))
        self.group_filter = group_key(group)
        self.grouped = False
        self._set_columns()
        self._fill()

    def action_back(self) -> None:
        """esc, one level up: in a list of tasks a text filter is cleared first; then a group's
        tasks -> the groups -> the tasks -> the watchlist. (The groups are not filtered by text:
        esc there leaves them, and the filter is still there for the tasks.)"""
        box = self.query_one("#tasks-filter", Input)
        if not self.grouped and (box.display or self.filter_text):
            box.value = ""
            box.display = False
            self.filter_text = ""
            self._fill()
            self.set_focus(self.table)
            return
        if self.group_filter is not None:
            self.group_filter = None
            self.grouped = True
        elif self.grouped:
            self.grouped = False
        else:
            self.app.pop_screen()
            return
        self._set_columns()
        self._fill()

    def action_toggle_errors(self) -> None:
        self.errors_only = not self.errors_only
        self._fill()

    def action_filter(self) -> None:
        box = self.query_one("#tasks-filter", Input)
        box.display = True
        self.set_focus(box)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self._fill()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.set_focus(self.table)

    def action_details(self) -> None:
        task = self._current()
        if task is not None:
            from tui.ui.screens.taskdetail import TaskDetailScreen

            self.app.push_screen(TaskDetailScreen(task, self.session.banner(), f"run {self.run_id}"))

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
