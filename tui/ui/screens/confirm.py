"""The question before a write to Zuora (stop a run, rerun tasks): it cannot be answered yes by accident.

The words are ``tui.core.actions.confirmation``'s, the same the CLI prints: the environment (a
red ⚠ PRODUCTION where it applies), the run's ID and name, and exactly what will happen. Cancel
is the default: it has the focus when the dialog opens, so enter (or a key pressed a moment
too long) cancels, and esc cancels. In production the run ID must be typed first: the confirm
button stays disabled until the box holds exactly that ID, and the box has the focus (enter
there confirms only when the ID matches; otherwise it says what is missing).

Dismissed with True (confirmed) or False (cancelled). Imported when first needed.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from tui.core import actions as A
from tui.core.present import plural
from tui.ui.keys import bindings
from tui.ui.safe import literal
from tui.ui.styles import stylesheet

PRODUCTION_STYLE = "bold white on red"
VALUE_COLUMN = 15  # "  What happens Zuora…": the confirmation's lines carry a 12-wide label after 2 spaces


def confirm_label(plan: A.StopPlan | A.RerunPlan) -> str:
    """The confirm button says what it does."""
    if isinstance(plan, A.StopPlan):
        return f"Stop run {plan.run.id}"
    noun = "failed task" if plan.failed_only else "task"
    return f"Rerun {plural(len(plan.tasks), noun)}"


def confirmation_table(lines: list[str]) -> tuple[Text, Table]:
    """The confirmation's first line (a sentence) and its labelled lines as a two-column grid,
    so a long value wraps under itself instead of under the label."""
    head = literal(lines[0] if lines else "", 400, "bold")
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for line in lines[1:]:
        label, value = line[:VALUE_COLUMN].strip(), line[VALUE_COLUMN:].strip()
        if not line.startswith("  ") or not label:
            label, value = "", line.strip()
        text = literal(value, 2000)
        text.highlight_words(["⚠ PRODUCTION"], PRODUCTION_STYLE)
        grid.add_row(label, text)
    return head, grid


TEXT_LINES = 12  # the plan's text at most (it scrolls beyond)


class ConfirmWrite(ModalScreen[bool]):
    CSS_PATH = stylesheet("modals")
    BINDINGS = bindings("confirm")

    def __init__(self, plan: A.StopPlan | A.RerunPlan, lines: list[str], *, production: bool) -> None:
        super().__init__()
        self.plan = plan
        self.lines = lines
        self.production = production
        self.run_id = str(plan.run.id)

    def compose(self) -> ComposeResult:
        head, grid = confirmation_table(self.lines)
        with Vertical(classes="dialog confirm", id="confirm-dialog") as dialog:
            dialog.set_class(self.production, "production")
            if self.production:
                yield Static(Text(" ⚠ PRODUCTION ", style=PRODUCTION_STYLE), id="confirm-production")
            yield Static(head, id="confirm-head")
            with VerticalScroll(id="confirm-text"):
                yield Static(grid)
            if self.production:
                with Horizontal(id="confirm-typed"):
                    yield Static(
                        Text.assemble("Production: type the run ID ", (self.run_id, "bold"), " to confirm: "),
                        id="confirm-prompt",
                    )
                    yield Input(placeholder="_" * 12, id="confirm-id", restrict=r"[0-9]*", max_length=20, compact=True)
            with Horizontal(id="confirm-buttons"):
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button(confirm_label(self.plan), id="confirm", variant="error", disabled=self.production)
            yield Static(Text("tab: next · enter: press · esc: cancel (nothing is sent)", style="dim"))

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#confirm-id", Input) if self.production else self.query_one("#cancel", Button))
        self.call_after_refresh(self._fit)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        """The buttons and the hint must always show, whatever the terminal's height (at 60x20 a
        long plan pushed them off the dialog): only the plan's text shrinks, and scrolls."""
        dialog = self.query_one("#confirm-dialog", Vertical)
        text = self.query_one("#confirm-text", VerticalScroll)
        others = sum(c.outer_size.height + c.styles.margin.height for c in dialog.children if c is not text)
        others += text.styles.margin.height
        room = int(self.size.height * 0.9) - dialog.styles.gutter.height - others  # the dialog's max-height: 90%
        if room < 3 and not dialog.has_class("compact"):  # a short terminal: give up the padding first
            dialog.add_class("compact")
            self.call_after_refresh(self._fit)
            return
        if room > 6 and dialog.has_class("compact"):  # room again (without the padding it has 4 more)
            dialog.remove_class("compact")
            self.call_after_refresh(self._fit)
            return
        fitted = max(1, min(TEXT_LINES, room))
        if text.styles.max_height is None or text.styles.max_height.value != fitted:
            text.styles.max_height = fitted

    @property
    def typed_ok(self) -> bool:
        return not self.production or self.query_one("#confirm-id", Input).value.strip() == self.run_id

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#confirm", Button).disabled = not self.typed_ok

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.typed_ok:
            self.dismiss(True)
        else:
            self.app.bell()
            self.notify(f"Type {self.run_id} to confirm, or esc to cancel: nothing was sent.", markup=False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm" and not event.button.disabled and self.typed_ok:
            self.dismiss(True)
        elif event.button.id == "cancel":
            self.dismiss(False)

    def action_cancel(self) -> None:
        self.dismiss(False)
