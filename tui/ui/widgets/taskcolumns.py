"""The tasks screen's columns: what each shows, how it sorts, and which fit the terminal.

Two tables share the screen: the tasks (ID, status, name, action type, object and object ID,
duration, error message) and, with ``g``, the run's error groups (tasks, error class, message,
first task, first seen). At 80 columns not everything fits: ``fit`` drops the columns a person
needs least first (object, then action type), never ID, status or the error message, and never
the column the list is sorted by, so a sort is always visible; the flexible columns (name,
object, messages) share what is left by weight, each at least its minimum. Pure functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC

from rich.text import Text

from tui.core.errorgroups import ErrorGroup, message_of
from tui.core.model import Task, TaskStatus
from tui.core.present import fmt_duration
from tui.ui.safe import literal
from tui.ui.widgets.linetable import Column

STATUS_STYLE = {
    TaskStatus.SUCCESS: ("✔", "green"),
    TaskStatus.ERROR: ("✖", "bold red"),
    TaskStatus.STOPPED: ("■", "yellow"),
    TaskStatus.PENDING: ("◔", "magenta"),
    TaskStatus.PROCESSING: ("▶", "cyan"),
    TaskStatus.QUEUED: ("◌", "blue"),
    TaskStatus.UNKNOWN: ("?", "magenta"),
}


@dataclass(frozen=True)
class Spec:
    key: str
    label: str
    width: int | None  # fixed width, or None: flexible ...
    min_width: int  # ... never narrower than this
    weight: int  # share of the flexible room
    priority: int  # 0: always shown; higher numbers are dropped first when the width is short
    cell: Callable


def _error_text(task: Task) -> Text:
    if task.status is not TaskStatus.ERROR and not task.error:
        return Text("")
    return literal(message_of(task), 300, "red")


def _status(task: Task) -> Text:
    symbol, style = STATUS_STYLE[task.status]
    return literal(f"{symbol} {task.status_label}", 18, style)


def _object(task: Task) -> Text:
    return literal(" ".join(v for v in (task.object, task.object_id) if v) or "—", 120)


TASK_SPECS: tuple[Spec, ...] = (
    Spec("id", "ID", 10, 10, 1, 0, lambda t: Text(str(t.id if t.id is not None else "?"))),
    Spec("status", "Status", 12, 12, 1, 0, _status),
    Spec("name", "Name", None, 12, 2, 1, lambda t: literal(t.name or "", 80)),
    Spec("action", "Action", 12, 12, 1, 2, lambda t: literal(t.action_type or "", 24)),
    Spec("object", "Object / ID", None, 16, 2, 3, _object),
    Spec("duration", "Took", 7, 7, 1, 1, lambda t: Text(fmt_duration(t.duration) if t.duration is not None else "—")),
    Spec("error", "Error message", None, 24, 3, 0, _error_text),
)


def _seen(group: ErrorGroup) -> Text:
    if group.first_seen is None:
        return Text("—")
    return Text(f"{group.first_seen.astimezone(UTC):%m-%d %H:%M:%S}")


def _group_message(group: ErrorGroup) -> Text:
    text = literal(group.template, 300)
    if group.host:
        text.append(" · ", style="dim")
        text.append_text(literal(group.host, 100, "dim"))
    return text


GROUP_SPECS: tuple[Spec, ...] = (
    Spec("count", "Tasks", 7, 7, 1, 0, lambda g: Text(f"{g.count:,}", style="bold red")),
    Spec("class", "Error class", None, 25, 1, 1, lambda g: literal(g.error_class or "—", 80, "red")),
    Spec("message", "Message (normalised)", None, 26, 3, 0, _group_message),
    Spec("first", "First task", 10, 10, 1, 2, lambda g: Text(str(g.first.id if g.first.id is not None else "?"))),
    Spec("seen", "First seen UTC", 16, 16, 1, 1, _seen),
)

# sort orders of the tasks (``tui.core.taskorder`` columns), in the order ``s`` cycles through them;
# None is Zuora's own order
TASK_SORTS: tuple[str | None, ...] = (None, "status", "duration", "name", "id", "action", "object", "error")
GROUP_SORTS: tuple[str, ...] = ("count", "seen", "class")


def fit(specs: tuple[Spec, ...], width: int, keep: str | None = None) -> list[Spec]:
    """The columns that fit ``width`` cells: the least needed are dropped first (the highest
    priority number, the rightmost among equals); ``keep`` (the sort column) never is."""
    chosen = list(specs)

    def needed(columns: list[Spec]) -> int:
        return sum((c.width or c.min_width) + 1 for c in columns)

    while needed(chosen) > width:
        droppable = [c for c in chosen if c.priority > 0 and c.key != keep]
        if not droppable:
            break
        worst = max(droppable, key=lambda c: (c.priority, chosen.index(c)))
        chosen.remove(worst)
    return chosen


def columns(chosen: list[Spec], width: int, sort: str | None = None, reverse: bool = False) -> list[Column]:
    """LineTable columns with their widths for ``width`` cells: each flexible column gets its
    minimum plus a share of what is left by weight. The sorted column's header carries an arrow
    (▼ its natural order, ▲ reversed)."""
    flexible = [c for c in chosen if c.width is None]
    spare = max(0, width - sum((c.width or c.min_width) + 1 for c in chosen))
    weights = sum(c.weight for c in flexible) or 1
    extra = {c.key: spare * c.weight // weights for c in flexible}
    if flexible:  # rounding leftovers go to the last flexible column
        extra[flexible[-1].key] += spare - sum(extra.values())
    laid_out = []
    for c in chosen:
        label = c.label + ((" ▲" if reverse else " ▼") if c.key == sort else "")
        laid_out.append(Column(c.key, label, c.width if c.width is not None else c.min_width + extra[c.key]))
    return laid_out


SPECS = {spec.key: spec for spec in (*TASK_SPECS, *GROUP_SPECS)}


def cells(shown: list[Column], item: object) -> tuple[Text, ...]:
    """The cells of a task or group for the columns the table shows now."""
    return tuple(SPECS[column.key].cell(item) for column in shown)


def layout(specs: tuple[Spec, ...], sort: str | None, reverse: bool) -> Callable[[int], list[Column]]:
    """For ``LineTable.set_columns``: the columns that fit a width, laid out."""
    return lambda width: columns(fit(specs, width, sort), width, sort, reverse)
