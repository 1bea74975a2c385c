"""The tasks of one run: a virtualised table (LineTable rows are data, not widgets), errors in one key."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from tui.core.model import Task, TaskStatus
from tui.core.present import fmt_duration
from tui.ui.messages import TasksFailed, TasksLoaded, TasksProgress
from tui.ui.safe import literal
from tui.ui.screens.modals import RawJson, TaskDetail
from tui.ui.widgets.banner import Banner
from tui.ui.widgets.linetable import Column, LineTable

TASK_COLUMNS = (
    Column("id", "ID", 11),
    Column("status", "Status", 11),
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


class TasksScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("e", "toggle_errors", "Errors only"),
        Binding("slash", "filter", "Filter"),
        Binding("j", "raw", "Raw JSON"),
        Binding("r", "reload", "Reload"),
    ]

    def __init__(self, run_id: int, expected_total: int | None, banner: Banner) -> None:
        super().__init__()
        self.run_id = run_id
        self.expected_total = expected_total
        self.banner = banner
        self.tasks: tuple[Task, ...] = ()
        self.errors_only = False
        self.filter_text = ""
        self.shown: list[Task] = []

    def compose(self) -> ComposeResult:
        yield self.banner
        yield Static(Text(f"Tasks of run {self.run_id}: loading…", style="bold"), id="tasks-title")
        yield Input(placeholder="filter tasks (name, action, error…)", id="tasks-filter")
        yield LineTable(TASK_COLUMNS, id="tasks-table")
        yield Static("", id="task-preview")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(LineTable)
        self.query_one("#tasks-filter", Input).display = False
        table.focus()
        self.app.request_tasks(self.run_id, self.expected_total, self)  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ messages from the app's worker

    def on_tasks_progress(self, message: TasksProgress) -> None:
        self.query_one("#tasks-title", Static).update(
            Text(
                f"Tasks of run {self.run_id}: loading… {message.tasks:,} tasks in {message.pages} page(s)", style="bold"
            )
        )

    def on_tasks_loaded(self, message: TasksLoaded) -> None:
        self.tasks = message.tasks.tasks
        self._fill()

    def on_tasks_failed(self, message: TasksFailed) -> None:
        title = Text(f"Tasks of run {self.run_id}: ", style="bold")
        title.append_text(literal(message.error.describe(), 400, "red"))
        if self.tasks:
            title.append("  (showing the previous list)", style="yellow")
        title.append("  r to retry", style="dim")
        self.query_one("#tasks-title", Static).update(title)

    # ------------------------------------------------------------------ table

    def _visible(self) -> list[Task]:
        tasks = [t for t in self.tasks if not self.errors_only or t.status is TaskStatus.ERROR]
        needle = self.filter_text.strip().lower()
        if needle:
            tasks = [
                t
                for t in tasks
                if any(
                    needle in (v or "").lower()
                    for v in (str(t.id), t.name, t.action_type, t.error, t.error_class, t.status_label)
                )
            ]
        return tasks

    def _fill(self) -> None:
        table = self.query_one(LineTable)
        self.shown = self._visible()
        shown = self.shown

        def cells(key: str) -> tuple[Text, ...]:
            task = shown[int(key)]
            symbol, style = STATUS_STYLE[task.status]
            return (
                Text(str(task.id or "?")),
                Text(f"{symbol} {task.status_label[:18]}", style=style),
                literal(task.name or "", 60),
                literal(task.action_type or "", 24),
                Text(fmt_duration(task.duration) if task.duration is not None else "—"),
                literal(task.error_class or "", 40, "red"),
            )

        table.set_lazy_rows([str(n) for n in range(len(shown))], cells)
        errors = sum(1 for t in self.tasks if t.status is TaskStatus.ERROR)
        title = Text(f"Tasks of run {self.run_id}: {len(self.tasks):,} tasks", style="bold")
        title.append(f", {errors:,} in Error", style="bold red" if errors else "dim")
        if self.errors_only or self.filter_text:
            title.append(
                f"  showing {len(self.shown):,}" + ("  [errors only]" if self.errors_only else ""), style="yellow"
            )
        self.query_one("#tasks-title", Static).update(title)
        self._preview()

    def _current(self) -> Task | None:
        table = self.query_one(LineTable)
        if not self.shown or table.cursor_row >= len(self.shown):
            return None
        return self.shown[table.cursor_row]

    def _preview(self) -> None:
        task = self._current()
        widget = self.query_one("#task-preview", Static)
        if task is None or not (task.error or task.error_class):
            widget.update(Text("enter: details · e: errors only · /: filter", style="dim"))
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
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self._fill()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(LineTable).focus()

    def action_details(self) -> None:
        task = self._current()
        if task is not None:
            self.app.push_screen(TaskDetail(task))

    def action_raw(self) -> None:
        task = self._current()
        if task is not None:
            self.app.push_screen(RawJson(f"Task {task.id}", dict(task.raw)))

    def action_reload(self) -> None:
        self.app.request_tasks(self.run_id, self.expected_total, self)  # type: ignore[attr-defined]
