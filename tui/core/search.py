"""Finding runs by the record they touched: ``GET /workflows/tasks`` across runs (``zwr find``).

Zuora's task list takes the filters ``object_id``, ``object``, ``action_type``, ``name`` and
``tags[]`` (any of) and, with ``instance=true``, lists tasks of runs, each naming its run in
``workflow_id``. There is no other way to ask "which runs touched invoice X".

A server that ignores a filter would answer every task of the tenant, so each task must carry
what was asked for (``object_id`` exactly; ``object`` and ``action_type`` ignoring case; one of
the ``tags``); a task that does not, or that is not a run's (``instance`` false), is left out
and counted. ``name`` is not checked: Zuora does not say whether it matches exactly. The listing is bounded in pages (``--limit``) like a run's
(see ``tui.core.pagination``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tui.core.model import Task, TaskStatus

if TYPE_CHECKING:
    from tui.core.client import ResponseMeta

MAX_FILTER = 200  # characters of one filter value (Zuora's IDs are 32)


@dataclass(frozen=True, slots=True)
class TaskQuery:
    """The filters of a task search. At least one must be given (``empty`` otherwise)."""

    object_id: str | None = None
    object: str | None = None
    action_type: str | None = None
    name: str | None = None
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for key in ("object_id", "object", "action_type", "name"):
            value = getattr(self, key)
            if value is not None:
                value = value.strip()
                if len(value) > MAX_FILTER or any(ord(c) < 32 or ord(c) == 127 for c in value):
                    raise ValueError(f"--{key.replace('_', '-')} must be at most {MAX_FILTER} printable characters")
                object.__setattr__(self, key, value or None)
        tags = tuple(t.strip() for t in self.tags if t.strip())
        if any(len(t) > MAX_FILTER or any(ord(c) < 32 for c in t) for t in tags):
            raise ValueError(f"--tag must be at most {MAX_FILTER} printable characters")
        object.__setattr__(self, "tags", tags)

    @property
    def empty(self) -> bool:
        return not (self.object_id or self.object or self.action_type or self.name or self.tags)

    def params(self) -> dict[str, Any]:
        """The query string of ``GET /workflows/tasks`` (without page and page_length)."""
        params: dict[str, Any] = {"instance": "true"}
        for key in ("object_id", "object", "action_type", "name"):
            if getattr(self, key):
                params[key] = getattr(self, key)
        if self.tags:
            params["tags[]"] = list(self.tags)
        return params

    def describe(self) -> str:
        """ "object ID 8a80…, action type Callout": what was asked, for a heading."""
        parts = []
        for key, label in (
            ("object_id", "object ID"),
            ("object", "object"),
            ("action_type", "action type"),
            ("name", "name"),
        ):
            if getattr(self, key):
                parts.append(f"{label} {getattr(self, key)}")
        if self.tags:
            parts.append("tag " + " or ".join(self.tags))
        return ", ".join(parts)

    def matches(self, task: Task) -> bool:
        """False when the task is not a run's or does not carry what a filter asked for."""
        if task.instance is False:
            return False
        if self.object_id and task.object_id != self.object_id:
            return False
        if self.object and (task.object or "").lower() != self.object.lower():
            return False
        if self.action_type and (task.action_type or "").lower() != self.action_type.lower():
            return False
        return not (self.tags and not set(self.tags) & set(task.tags))

    def to_dict(self) -> dict[str, Any]:
        return {
            "object_id": self.object_id,
            "object": self.object,
            "action_type": self.action_type,
            "name": self.name,
            "tags": list(self.tags),
        }


@dataclass(frozen=True, slots=True)
class TaskSearch:
    """What a search found: the matching tasks in Zuora's order, each ID once."""

    query: TaskQuery
    tasks: tuple[Task, ...]
    pages: int
    meta: ResponseMeta | None  # of the first page
    left_out: int = 0  # tasks that were not a run's or did not match the filters
    partial: str | None = None  # why the listing stopped early

    @property
    def complete(self) -> bool:
        return self.partial is None

    def by_run(self) -> list[tuple[int | None, tuple[Task, ...]]]:
        """The tasks grouped by run (``workflow_id``): runs where a matching task failed first,
        then the newest run (the highest ID) first; tasks without a run last."""
        runs: dict[int | None, list[Task]] = {}
        for task in self.tasks:
            runs.setdefault(task.workflow_id, []).append(task)

        def order(item: tuple[int | None, list[Task]]) -> tuple[bool, bool, int]:
            run_id, tasks = item
            failed = any(t.status is TaskStatus.ERROR for t in tasks)
            return (run_id is None, not failed, -(run_id or 0))

        return [(run_id, tuple(tasks)) for run_id, tasks in sorted(runs.items(), key=order)]
