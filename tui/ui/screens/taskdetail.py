"""One task in full: every field Zuora gives (``tui.core.taskdetail.task_fields``), each copyable.

The fields are in reading order (what failed, where and when, then the payloads: error details,
the callout's response body, ``data``, ``parameters``, pretty-printed when they are JSON). Each
field is a focusable line: ↑/↓ move between fields (a field taller than the screen is scrolled
through first), ``c`` copies the focused field exactly as shown (OSC 52: works over SSH), ``C``
copies them all, ``j`` shows the task's raw JSON.

Server text is never markup: the values are ``Text`` built from already printable strings. A
field longer than ``SHOWN_LINES`` lines is shown up to there and marked; ``c`` still copies all
of it (up to the core's own cap), so a megabyte response body neither freezes the screen nor
is lost.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.core.model import Task
from tui.core.present import plural
from tui.core.taskdetail import DetailField, task_fields
from tui.ui.keys import bindings
from tui.ui.safe import literal
from tui.ui.widgets.banner import Banner

SHOWN_LINES = 400  # lines of one field painted; the rest is copied, not shown
SHOWN_CHARS = 40_000
LABEL_WIDTH = 22
RED_FIELDS = {"error", "error_class", "error_details"}


def shown_text(field: DetailField) -> tuple[str, str | None]:
    """The part of a field's text that is painted, and a note when it is not all of it."""
    text = field.text
    lines = text.split("\n")
    if len(lines) <= SHOWN_LINES and len(text) <= SHOWN_CHARS:
        return text, None
    head = "\n".join(lines[:SHOWN_LINES])[:SHOWN_CHARS]
    rest = len(text) - len(head)
    return head, f"… {rest:,} more characters not shown ({plural(len(lines), 'line')} in all): c copies the whole field"


class FieldView(Static, can_focus=True):
    """One labelled field; focus marks the one ``c`` copies."""

    DEFAULT_CSS = """
    FieldView { height: auto; padding: 0 1; }
    FieldView:focus { background: $accent 30%; }
    FieldView.multiline { margin-top: 1; }
    """
    BINDINGS = [
        Binding("up", "screen.move(-1)", "Previous field", show=False),
        Binding("down", "screen.move(1)", "Next field", show=False),
    ]

    def __init__(self, field: DetailField) -> None:
        self.field = field
        style = "red" if field.key in RED_FIELDS else ""
        body, note = shown_text(field)
        if field.multiline:
            text = Text.assemble((field.label, "bold"), "\n", Text(body, style=style))
        else:
            text = Text.assemble((f"{field.label:<{LABEL_WIDTH - 1}} ", "bold"), Text(body, style=style))
        if note:
            text.append(f"\n{note}", style="dim yellow")
        super().__init__(text, classes="multiline" if field.multiline else "")


class TaskDetailScreen(Screen):
    BINDINGS = bindings("task")
    KEY_SCOPE = "task"  # its actions in tui.ui.keys (the palette offers them)
    DEFAULT_CSS = """
    TaskDetailScreen #detail-heading { height: auto; padding: 0 1; background: $boost; }
    TaskDetailScreen #fields { height: 1fr; }
    """

    def __init__(self, task: Task, banner: Banner | None = None, context: str = "") -> None:
        super().__init__()
        self.task_ = task
        self.fields = task_fields(task)
        self.banner = banner
        self.context = context  # where it was opened from ("first of 80 tasks in group 1"), shown

    def compose(self) -> ComposeResult:
        if self.banner is not None:
            yield self.banner
        t = self.task_
        heading = Text.assemble(("Task ", "bold"), (str(t.id if t.id is not None else "?"), "bold"), "  ")
        heading.append_text(literal(t.name or "", 100, "bold"))
        heading.append("  ")
        heading.append_text(literal(t.status_label, 30, "bold red" if t.error or t.error_class else "bold"))
        if self.context:
            heading.append(f"  {self.context}", style="dim")
        heading.append("\n↑/↓ move between fields; the footer has the keys", style="dim")
        yield Static(heading, id="detail-heading")
        with VerticalScroll(id="fields"):
            for field in self.fields:
                yield FieldView(field)
        yield Footer()

    def on_mount(self) -> None:
        first = self.query(FieldView).first()
        self.set_focus(first)

    def _views(self) -> list[FieldView]:
        return list(self.query(FieldView))

    def action_move(self, step: int) -> None:
        """Next or previous field; a field taller than the view is scrolled through first."""
        views = self._views()
        current = self.focused
        if not isinstance(current, FieldView) or not views:
            return
        body = self.query_one("#fields", VerticalScroll)
        top, height = body.scroll_y, body.scrollable_content_region.height
        region = current.virtual_region  # within the scrolled content
        if step > 0 and region.bottom > top + height:
            body.scroll_to(y=min(region.bottom - height, top + max(1, height - 2)), animate=False)
            return
        if step < 0 and region.y < top:
            body.scroll_to(y=max(region.y, top - max(1, height - 2)), animate=False)
            return
        index = views.index(current) + step
        if 0 <= index < len(views):
            target = views[index]
            self.set_focus(target, scroll_visible=False)
            target_region = target.virtual_region
            if step > 0 and target_region.bottom > top + height:
                body.scroll_to(y=min(target_region.y, target_region.bottom - height), animate=False)
            elif step < 0 and target_region.y < top:
                body.scroll_to(y=max(0, target_region.bottom - height, target_region.y), animate=False)

    @property
    def focused_field(self) -> DetailField | None:
        current = self.focused
        return current.field if isinstance(current, FieldView) else None

    def action_copy(self) -> None:
        field = self.focused_field
        if field is None:
            return
        self.app.copy_to_clipboard(field.text)
        self.notify(
            f"Copied {field.label} ({plural(len(field.text), 'character')}) to the clipboard (OSC 52).", markup=False
        )

    def action_copy_all(self) -> None:
        text = "\n".join(f"{f.label}:\n{f.text}" if f.multiline else f"{f.label}: {f.text}" for f in self.fields)
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied every field of task {self.task_.id} to the clipboard (OSC 52).", markup=False)

    def action_raw(self) -> None:
        from tui.ui.screens.modals import RawJson

        self.app.push_screen(RawJson(f"Task {self.task_.id}", dict(self.task_.raw)))
