"""Everything Zuora gives about a task, as labelled fields a person can read and copy.

The task details screen (and anything else that shows one task in full) renders these fields
and copies each one as it is shown: ``error_details``, ``data`` (with the callout's request and
response) and ``parameters`` pretty-printed when they are JSON, the object and its ID, the call
type, tags, start, end, duration, the parent task (Zuora's ``task_id``) and ``original_task_id``.

Each value is already safe to show and to put on a clipboard: control characters are made
visible (``printable``, newlines kept) and it is capped at ``MAX_FIELD`` characters, marked.
JSON is pretty-printed with its strings escaped by ``json.dumps``, so an escape code inside a
response body stays text. Pure: no I/O, no Textual.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tui.core.errorgroups import message_of
from tui.core.model import Task, TaskStatus
from tui.core.present import fmt_duration, fmt_utc
from tui.core.text import printable

MAX_FIELD = 200_000  # characters of one field shown and copied (a response body can be megabytes)
MAX_JSON_INPUT = 2_000_000  # characters of an error_details string we try to read as JSON


@dataclass(frozen=True, slots=True)
class DetailField:
    key: str  # stable name ("error_details", "data", ...), for copy actions and tests
    label: str
    text: str  # what is shown and copied, printable and capped
    multiline: bool = False


def pretty(value: object) -> str:
    """JSON with two-space indents (keys in Zuora's order); text that is not JSON as it is."""
    try:
        return json.dumps(value, indent=2, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return str(value)


def pretty_text(text: str) -> tuple[str, bool]:
    """``text`` pretty-printed if it is a JSON object or array, and whether it was."""
    stripped = text.strip()
    if stripped[:1] in ("{", "[") and len(stripped) <= MAX_JSON_INPUT:
        try:
            return pretty(json.loads(stripped)), True
        except (ValueError, RecursionError):
            pass
    return text, False


def _field(key: str, label: str, value: object, *, multiline: bool = False) -> DetailField:
    return DetailField(key, label, printable(value, MAX_FIELD, keep_newlines=multiline), multiline)


def _dig(value: object, *keys: str) -> object:
    """``value[k1][k2]...``, or None where a level is missing or not an object."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _id(value: int | None) -> str:
    return str(value) if value is not None else "—"


def task_fields(task: Task) -> tuple[DetailField, ...]:
    """The task's fields in reading order: what failed first, then where and when, then the payloads."""
    raw: dict[str, Any] = dict(task.raw) if task.raw else {}
    fields = [
        _field("id", "Task", _id(task.id)),
        _field("name", "Name", task.name or "—"),
        _field("status", "Status", task.status_label),
        _field("action_type", "Action type", task.action_type or "—"),
    ]
    if task.status is TaskStatus.ERROR or task.error or task.error_class:
        fields.append(_field("error_class", "Error class", task.error_class or "—"))
        fields.append(_field("error", "Error", message_of(task), multiline=True))
    full = raw.get("error_details")  # the model keeps 100,000 characters: mark the cut from the original
    if task.error_details:
        details, was_json = pretty_text(full if isinstance(full, str) else task.error_details)
        fields.append(
            _field("error_details", "Error details" + (" (JSON)" if was_json else ""), details, multiline=True)
        )
    callout = task.callout if task.action_type == "Callout" else None
    if callout is not None and (callout.url or callout.response_code is not None):
        code = f"HTTP {callout.response_code}" if callout.response_code is not None else "no response code"
        fields.append(_field("callout", "Callout", f"{callout.url or '(no URL)'} -> {code}"))
        body = _dig(raw, "data", "Callout", "ResponseBody")
        if body is not None:
            text, _ = pretty_text(body) if isinstance(body, str) else (pretty(body), True)
            fields.append(_field("response_body", "Response body", text, multiline=True))
    fields += [
        _field("object", "Object", task.object or "—"),
        _field("object_id", "Object ID", task.object_id or "—"),
        _field("call_type", "Call type", task.call_type or "—"),
        _field("tags", "Tags", ", ".join(task.tags) if task.tags else "—"),
        _field("start_time", "Start", fmt_utc(task.start_time)),
        _field("end_time", "End", fmt_utc(task.end_time)),
        _field("duration", "Duration", fmt_duration(task.duration)),
        _field("task_id", "Parent task", _id(task.parent_id)),
        _field("original_task_id", "Original task", _id(task.original_task_id)),
        _field("workflow_id", "Run (workflow_id)", _id(task.workflow_id)),
        _field("original_workflow_id", "Workflow (definition)", _id(task.original_workflow_id)),
    ]
    if "concurrent_limit" in raw:
        fields.append(_field("concurrent_limit", "Concurrent limit", raw.get("concurrent_limit")))
    for key, label in (("data", "Data"), ("parameters", "Parameters")):
        if raw.get(key) not in (None, {}, []):
            fields.append(_field(key, label, pretty(raw[key]), multiline=True))
    return tuple(fields)
