"""Small modal screens: run-ID entry, bookmark label, object-ID search, raw JSON.

Imported when first needed (not at start-up): the JSON view pulls in pygments."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui.core.errors import BadInput
from tui.core.runid import parse_run_ids
from tui.core.search import TaskQuery
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


class ObjectIdEntry(Dialog):
    """Which runs touched a record: the object ID to search the tasks of every run for."""

    BINDINGS = bindings("dialog")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text("Find runs by the record they touched", style="bold"))
            yield Static(
                Text(
                    "An object ID (e.g. an invoice's 32-character ID): the runs whose tasks touched it "
                    "are added to the watchlist.",
                    style="dim",
                )
            )
            yield Input(placeholder="object ID", id="object-id-input")
            yield Static("", id="object-id-message")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        message = self.query_one("#object-id-message", Static)
        try:
            query = TaskQuery(object_id=event.value)
        except ValueError as exc:
            message.update(literal(str(exc).replace("--object-id", "The object ID"), 300, "red"))
            return
        if query.empty:
            message.update(Text("Type an object ID first.", style="red"))
            return
        self.dismiss(query)


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
