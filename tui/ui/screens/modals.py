"""Small modal screens: run-ID entry, bookmark label, raw JSON, task detail.

Imported when first needed (not at start-up): the JSON view pulls in pygments."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui.core.errors import BadInput
from tui.core.model import Task
from tui.core.present import fmt_duration, fmt_utc
from tui.core.runid import parse_run_ids
from tui.core.text import json_text as safe_json
from tui.ui.keys import bindings, hint
from tui.ui.safe import literal
from tui.ui.styles import stylesheet


def json_text(raw: Any, *, for_clipboard: bool = False) -> str:
    """Pretty JSON with every unsafe character escaped (``tui.core.text.json_text``: the same
    rule as the CLI's ``--json``); all ASCII for the clipboard."""
    return safe_json(raw, ascii_only=for_clipboard, default=str)


class Dialog(ModalScreen):
    """Base of zwr's modal screens: their shared look (modals.tcss) loads with the first one."""

    CSS_PATH = stylesheet("modals")

    def on_mount(self) -> None:
        """The key hint at the bottom of the dialog says what its keys are (keymap applied)."""
        for widget in self.query("#dialog-hint").results(Static):
            widget.update(Text(hint(self.active_bindings), style="dim"))


class RunIdEntry(Dialog):
    """Type or paste one or more run IDs; invalid input is explained inline and never sent."""

    BINDINGS = bindings("dialog")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text("Watch runs", style="bold"))
            yield Static(
                Text("Run IDs separated by spaces or commas, or paste a URL/text containing them.", style="dim")
            )
            yield Input(placeholder="e.g. 19063 19064", id="entry-input")
            yield Static("", id="entry-message")

    def on_input_changed(self, event: Input.Changed) -> None:
        message = self.query_one("#entry-message", Static)
        if not event.value.strip():
            message.update("")
            return
        try:
            ids = parse_run_ids(event.value)
        except BadInput as exc:
            message.update(literal(exc.message, 300, "red"))
        else:
            message.update(
                Text(
                    f"✔ {len(ids)} run ID{'s' if len(ids) != 1 else ''}: "
                    + ", ".join(map(str, ids[:8]))
                    + (" …" if len(ids) > 8 else ""),
                    style="green",
                )
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            ids = parse_run_ids(event.value)
        except BadInput as exc:
            self.query_one("#entry-message", Static).update(literal(exc.message, 300, "red"))
            return
        self.dismiss(ids)


class LabelEntry(Dialog):
    BINDINGS = bindings("dialog")

    def __init__(self, run_id: int, current: str = "") -> None:
        super().__init__()
        self.run_id, self.current = run_id, current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(f"Bookmark label for run {self.run_id}", style="bold"))
            yield Input(value=self.current, placeholder="e.g. nightly invoice sync", id="label-input")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip()[:200])


class RawJson(Dialog):
    """The object as Zuora sent it, highlighted; c copies it."""

    BINDINGS = bindings("json")

    def __init__(self, title: str, raw: Any) -> None:
        super().__init__()
        self.title_text, self.raw = title, raw

    def compose(self) -> ComposeResult:
        from rich.syntax import Syntax  # pygments: only when a JSON view is opened

        with Vertical(classes="dialog wide"):
            yield Static(literal(self.title_text, 100, "bold"))
            with VerticalScroll():
                yield Static(Syntax(json_text(self.raw), "json", theme="ansi_dark", word_wrap=True), id="raw-json")
            yield Static("", id="dialog-hint")

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(json_text(self.raw, for_clipboard=True))
        self.app.notify("Copied the JSON to the clipboard (OSC 52).", markup=False)


class TaskDetail(Dialog):
    BINDINGS = bindings("task")

    def __init__(self, task: Task) -> None:
        super().__init__()
        self.task_ = task

    def compose(self) -> ComposeResult:
        t = self.task_
        rows = [
            Text.assemble(("Task ", "bold"), (str(t.id), "bold"), "  ", literal(t.name or "", 100, "bold")),
            Text.assemble(("Status   ", "bold"), literal(t.status_label, 40)),
            Text.assemble(("Action   ", "bold"), literal(t.action_type or "—", 60)),
            Text.assemble(
                ("Started  ", "bold"),
                fmt_utc(t.start_time),
                ("   Ended ", "bold"),
                fmt_utc(t.end_time),
                ("   Took ", "bold"),
                fmt_duration(t.duration),
            ),
            Text.assemble(("Object   ", "bold"), literal(f"{t.object or '—'} {t.object_id or ''}", 100)),
        ]
        if t.tags:
            rows.append(Text.assemble(("Tags     ", "bold"), literal(", ".join(t.tags), 200)))
        with Vertical(classes="dialog wide"):
            for row in rows:
                yield Static(row)
            with VerticalScroll():
                if t.error or t.error_class:
                    yield Static(
                        Text.assemble(("Error class  ", "bold red"), literal(t.error_class or "—", 100, "red"))
                    )
                    yield Static(literal(t.error or "", 5000, "red", keep_newlines=True), classes="task-error")
                if t.error_details:
                    yield Static(Text("Error details", style="bold"))
                    yield Static(
                        literal(t.error_details, 100_000, "", keep_newlines=True), classes="task-error-details"
                    )
                if not (t.error or t.error_class or t.error_details):
                    yield Static(Text("No error recorded for this task.", style="dim"))
            yield Static("", id="dialog-hint")

    def action_raw(self) -> None:
        self.app.push_screen(RawJson(f"Task {self.task_.id}", dict(self.task_.raw)))

    def action_copy(self) -> None:
        t = self.task_
        self.app.copy_to_clipboard("\n".join(x for x in (t.error_class, t.error, t.error_details) if x))
        self.app.notify("Copied the task's error to the clipboard (OSC 52).", markup=False)
