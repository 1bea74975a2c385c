"""The columns of a task list and how each one sorts (the tasks screen's "sort by any column").

Each column has a key that never compares ``None`` with a value (missing values go last) and a
natural direction: durations slowest first, statuses by urgency (Error first, Success last),
everything else ascending. Sorting is stable, so equal keys keep Zuora's order. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tui.core.errorgroups import message_of
from tui.core.model import Task, TaskStatus

URGENCY = {
    TaskStatus.ERROR: 0,
    TaskStatus.UNKNOWN: 1,  # a status zwr does not know is worth a look
    TaskStatus.PENDING: 2,
    TaskStatus.PROCESSING: 3,
    TaskStatus.QUEUED: 4,
    TaskStatus.STOPPED: 5,
    TaskStatus.SUCCESS: 6,
}


def _text(value: str | None) -> tuple[bool, str]:
    return (not value, (value or "").casefold())


def _number(value: float | int | None, *, negate: bool = False) -> tuple[bool, float]:
    if value is None:
        return (True, 0.0)
    return (False, -float(value) if negate else float(value))


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    title: str
    key: Callable[[Task], tuple[object, ...]]  # its first item says "missing" (sorted last either way)


COLUMNS: dict[str, Column] = {
    column.name: column
    for column in (
        Column("id", "ID", lambda t: _number(t.id)),
        Column(
            "status",
            "status (errors first)",
            lambda t: (False, URGENCY.get(t.status, 1), (t.status_raw or "").casefold()),
        ),
        Column("name", "name", lambda t: _text(t.name)),
        Column("action", "action type", lambda t: _text(t.action_type)),
        Column("object", "object", lambda t: (*_text(t.object), *_text(t.object_id))),
        Column("duration", "duration (slowest first)", lambda t: _number(t.duration, negate=True)),
        Column(
            "error",
            "error message",
            lambda t: _text(message_of(t) if t.status is TaskStatus.ERROR or t.error else None),
        ),
    )
}


def sort_tasks(tasks: Iterable[Task], column: str, *, reverse: bool = False) -> list[Task]:
    """``tasks`` ordered by ``column`` (see ``COLUMNS``); ``reverse`` flips the natural order
    but keeps missing values last."""
    key = COLUMNS[column].key
    if not reverse:
        return sorted(tasks, key=key)
    items = list(tasks)
    present = sorted((t for t in items if not key(t)[0]), key=key, reverse=True)  # stable: ties keep their order
    return [*present, *sorted((t for t in items if key(t)[0]), key=key)]
