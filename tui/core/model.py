"""Typed, immutable views of Zuora runs and tasks, parsed once and tolerantly.

Zuora's payloads drift from their schema (``originalWorkflowId`` documented as a string but
sent as an int, timestamps with and without " UTC", counts missing). The parsers here never
raise on odd input: unknown statuses stay visible as ``UNKNOWN`` with their raw text, wrong
types become ``None``, numbers out of any sane range are refused, and anything suspicious is
recorded in ``anomalies`` for display.

Where Zuora's documentation is silent we decide once, here (README, "Zuora API notes"):
timestamps without a zone are UTC; ``cpuTime`` has no documented format, so it is kept exactly
as sent and never converted; ``messages`` (production only) is flattened to lines of text.
"""

from __future__ import annotations

import builtins
import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

# ----------------------------------------------------------------------------- statuses

_Status = TypeVar("_Status", "RunStatus", "TaskStatus")


def _parse_status(cls: type[_Status], raw: object) -> _Status:
    """Case- and space-tolerant lookup; anything else is the enum's UNKNOWN (the raw word is kept by the caller)."""
    if isinstance(raw, str):
        key = raw.strip().lower()
        for status in cls:
            if status.value.lower() == key and status is not cls.UNKNOWN:
                return status
    return cls.UNKNOWN


class RunStatus(enum.Enum):
    _value_: str

    QUEUED = "Queued"
    PROCESSING = "Processing"
    STOPPING = "Stopping"
    STOPPED = "Stopped"
    FINISHED = "Finished"
    UNKNOWN = "Unknown"

    @classmethod
    def parse(cls, raw: object) -> RunStatus:
        return _parse_status(cls, raw)


class TaskStatus(enum.Enum):
    _value_: str

    QUEUED = "Queued"
    PROCESSING = "Processing"
    PENDING = "Pending"
    SUCCESS = "Success"
    STOPPED = "Stopped"
    ERROR = "Error"
    UNKNOWN = "Unknown"

    @classmethod
    def parse(cls, raw: object) -> TaskStatus:
        return _parse_status(cls, raw)


class Phase(enum.Enum):
    """Where a run is in its life, which decides how (and whether) to keep polling it."""

    QUEUED = "queued"
    ACTIVE = "active"
    STOPPING = "stopping"
    SETTLING = "settling"  # Finished, but tasks still pending (retry or delay)
    DONE = "done"
    UNKNOWN = "unknown"

    @property
    def terminal(self) -> bool:
        return self is Phase.DONE


class Outcome(enum.Enum):
    """The verdict a person wants: did it work?"""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # tasks.error > 0 (Zuora has no failed status)
    STOPPED = "stopped"
    UNKNOWN = "unknown"


# ----------------------------------------------------------------------------- scalar parsers

_TS = re.compile(
    r"^\s*([0-9]{4})-([0-9]{2})-([0-9]{2})[ T]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?\s*(Z|UTC|[+-][0-9]{2}:?[0-9]{2})?\s*$",
    re.IGNORECASE,
)


MIN_YEAR, MAX_YEAR = 1970, 9998  # outside this a timestamp is a placeholder ("0001-01-01") or garbage


def parse_timestamp(value: object) -> datetime | None:
    """Zuora timestamps ("2019-09-10 19:32:21 UTC", "...T19:32:21Z", offsets) as aware UTC.
    A timestamp without a zone is UTC (Zuora's run timestamps carry " UTC", its task times "Z")."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    match = _TS.match(value)
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    frac = match.group(7)
    micro = int((frac[1:] + "000000")[:6]) if frac else 0
    zone = (match.group(8) or "UTC").upper()
    try:
        stamp = datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
        if zone not in ("Z", "UTC"):
            sign = 1 if zone[0] == "+" else -1
            digits = zone[1:].replace(":", "")
            hours, minutes = int(digits[:2]), int(digits[2:])
            if hours > 23 or minutes > 59:
                return None
            stamp -= timedelta(seconds=sign * (hours * 3600 + minutes * 60))
    except (ValueError, OverflowError):
        return None
    return stamp


MAX_NUMBER = 10**15  # no count, ID or duration Zuora sends is larger; bigger ones are garbage


def parse_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return float(value) if abs(value) <= MAX_NUMBER else None
    if isinstance(value, float):
        return value if math.isfinite(value) and abs(value) <= MAX_NUMBER else None
    if isinstance(value, str) and len(value) < 40:
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) and abs(number) <= MAX_NUMBER else None
    return None


def parse_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) <= MAX_NUMBER else None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) <= MAX_NUMBER:
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]{1,15}\s*", value):
        try:
            return int(value)
        except ValueError:  # \s also matches the separators U+001C-U+001F, which int() refuses
            return None
    return None


def parse_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def parse_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


# ----------------------------------------------------------------------------- task counts

COUNT_FIELDS = ("queued", "processing", "pending", "stopped", "success", "error")


@dataclass(frozen=True, slots=True)
class TaskCounts:
    total: int = 0
    queued: int = 0
    processing: int = 0
    pending: int = 0
    stopped: int = 0
    success: int = 0
    error: int = 0
    anomalies: tuple[str, ...] = ()
    known: bool = True  # False when the run carried no usable ``tasks`` object

    @property
    def counted(self) -> int:
        return self.queued + self.processing + self.pending + self.stopped + self.success + self.error

    @property
    def done(self) -> int:
        """Tasks that will not change any more."""
        return self.success + self.error + self.stopped

    @property
    def effective_total(self) -> int:
        """The denominator for bars: the larger of ``total`` and the sum of the states."""
        return max(self.total, self.counted, 0)

    def fraction(self, name: str) -> float:
        denominator = self.effective_total
        return getattr(self, name) / denominator if denominator else 0.0

    @classmethod
    def parse(cls, value: object) -> TaskCounts:
        if not isinstance(value, Mapping):
            note = () if value is None else (f"tasks has an unexpected type ({type(value).__name__})",)
            return cls(anomalies=note or ("tasks missing",), known=False)
        anomalies: list[str] = []
        numbers: dict[str, int] = {}
        for name in ("total", *COUNT_FIELDS):
            raw = value.get(name)
            number = parse_int(raw)
            if raw is None:
                number = 0
                if name != "total":
                    anomalies.append(f"tasks.{name} missing")
            elif number is None:
                odd = (
                    "is out of range"
                    if isinstance(raw, (int, float)) and not isinstance(raw, bool)
                    else "is not a number"
                )
                anomalies.append(f"tasks.{name} {odd} ({str(raw)[:20]!r})")
                number = 0
            if number < 0:
                anomalies.append(f"tasks.{name} is negative ({number})")
                number = 0
            numbers[name] = number
        counted = sum(numbers[n] for n in COUNT_FIELDS)
        if value.get("total") is None:
            numbers["total"] = counted
            anomalies.append("tasks.total missing (using the sum of states)")
        elif counted != numbers["total"]:
            anomalies.append(f"task states add up to {counted}, but total is {numbers['total']}")
        # the alarming ones first: a reader sees "negative" before "missing"
        anomalies.sort(key=lambda a: "missing" in a)
        return cls(
            total=numbers["total"],
            queued=numbers["queued"],
            processing=numbers["processing"],
            pending=numbers["pending"],
            stopped=numbers["stopped"],
            success=numbers["success"],
            error=numbers["error"],
            anomalies=tuple(anomalies),
        )


# ----------------------------------------------------------------------------- run

RUN_TYPE = "Workflow::Instance"  # a run; "Workflow::Setup" is a definition
MAX_MESSAGES = 50


def flatten_messages(value: object) -> tuple[str, ...]:
    """Zuora documents ``messages`` only as "an object" of messages from tasks (production only):
    whatever its shape, show it as lines of text ("key: value", nested keys joined by dots)."""
    lines: list[str] = []

    def walk(node: object, prefix: str, depth: int) -> None:
        if len(lines) >= MAX_MESSAGES or node is None:
            return
        if depth > 4:
            lines.append(f"{prefix}: …" if prefix else "…")
        elif isinstance(node, Mapping):
            for key, child in list(node.items())[:MAX_MESSAGES]:
                walk(child, f"{prefix}.{key}" if prefix else str(key), depth + 1)
        elif isinstance(node, list):
            for child in node[:MAX_MESSAGES]:
                walk(child, prefix, depth + 1)
        else:
            text = str(node)[:500]
            lines.append(f"{prefix}: {text}" if prefix else text)

    walk(value, "", 0)
    return tuple(lines[:MAX_MESSAGES])


@dataclass(frozen=True, slots=True)
class Run:
    id: int | None
    name: str | None
    status: RunStatus
    status_raw: str | None
    original_workflow_id: str | None = None
    type: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    finished_at: datetime | None = None
    run_time: float | None = None
    cpu_time: str | None = None  # exactly as Zuora sent it: its format is undocumented
    messages: tuple[str, ...] = ()  # ``messages`` (production only), flattened to lines
    tasks: TaskCounts = field(default_factory=TaskCounts)
    anomalies: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def phase(self) -> Phase:
        status = self.status
        if status is RunStatus.FINISHED:
            return Phase.SETTLING if self.tasks.pending > 0 else Phase.DONE
        if status is RunStatus.STOPPED:
            return Phase.DONE
        if status is RunStatus.STOPPING:
            return Phase.STOPPING
        if status is RunStatus.PROCESSING:
            return Phase.ACTIVE
        if status is RunStatus.QUEUED:
            return Phase.QUEUED
        return Phase.UNKNOWN

    @property
    def terminal(self) -> bool:
        return self.status in (RunStatus.FINISHED, RunStatus.STOPPED)

    @property
    def outcome(self) -> Outcome:
        if self.tasks.error > 0:
            return Outcome.FAILED
        if self.status is RunStatus.STOPPED:
            return Outcome.STOPPED
        if self.status is RunStatus.FINISHED:
            return Outcome.SUCCEEDED if self.tasks.pending == 0 else Outcome.RUNNING
        if self.status is RunStatus.UNKNOWN:
            return Outcome.UNKNOWN
        return Outcome.RUNNING

    @property
    def status_label(self) -> str:
        label = self.status.value  # read before the `is` test: mypy types `.value` of a narrowed enum as Any
        if self.status is RunStatus.UNKNOWN:
            return f"Unknown ({self.status_raw})" if self.status_raw else "Unknown (no status)"
        return label

    def elapsed(self, now: datetime | None = None) -> float | None:
        """Wall-clock seconds from creation to finish (or to ``now`` while not finished)."""
        if self.created_at is None:
            return None
        end = self.finished_at
        if end is None:
            if self.terminal:
                end = self.updated_at
            else:
                end = now or datetime.now(UTC)
        if end is None:
            return None
        return max(0.0, (end - self.created_at).total_seconds())

    def since_update(self, now: datetime | None = None) -> float | None:
        if self.updated_at is None:
            return None
        return max(0.0, ((now or datetime.now(UTC)) - self.updated_at).total_seconds())

    @classmethod
    def parse(cls, data: object) -> Run:
        """Parse a run object; raises ``ValueError`` only if ``data`` is not an object at all."""
        if not isinstance(data, Mapping):
            raise ValueError(f"expected a JSON object for the run, got {type(data).__name__}")
        anomalies: list[str] = []
        run_id = parse_int(data.get("id"))
        if run_id is None:
            anomalies.append("id missing or not a number")
        status_raw = parse_text(data.get("status"))
        status = RunStatus.parse(status_raw)
        if status is RunStatus.UNKNOWN:
            anomalies.append(f"unknown status {status_raw!r}" if status_raw else "status missing")
        stamps = {}
        for key in ("createdAt", "updatedAt", "finishedAt"):
            raw = data.get(key)
            stamps[key] = parse_timestamp(raw)
            if raw is not None and stamps[key] is None:
                anomalies.append(f"{key} is not a timestamp ({str(raw)[:30]!r})")
        cpu_raw = data.get("cpuTime")
        cpu = parse_text(cpu_raw)
        if cpu_raw is not None and cpu is None:
            anomalies.append(f"cpuTime is not text ({type(cpu_raw).__name__})")
        run_time = parse_number(data.get("runTime"))
        if data.get("runTime") is not None and (run_time is None or run_time < 0):
            anomalies.append("runTime is not a positive number")
            run_time = None
        kind = parse_text(data.get("type"))
        if kind is not None and kind != RUN_TYPE:
            anomalies.append(
                f"type is {kind[:40]!r}, not {RUN_TYPE!r}"
                + (": this is a workflow definition, not a run" if kind == "Workflow::Setup" else "")
            )
        tasks = TaskCounts.parse(data.get("tasks"))
        anomalies.extend(a for a in tasks.anomalies if a != "tasks missing" or status is not RunStatus.QUEUED)
        original = data.get("originalWorkflowId")
        return cls(
            id=run_id,
            name=parse_text(data.get("name")),
            status=status,
            status_raw=status_raw,
            original_workflow_id=parse_text(original),
            type=kind,
            created_at=stamps["createdAt"],
            updated_at=stamps["updatedAt"],
            finished_at=stamps["finishedAt"],
            run_time=run_time,
            cpu_time=cpu,
            messages=flatten_messages(data.get("messages")),
            tasks=tasks,
            anomalies=tuple(anomalies),
            raw=data,
        )


# ----------------------------------------------------------------------------- task


@dataclass(frozen=True, slots=True)
class Callout:
    """The HTTP exchange of a callout task (``data.Callout``), the first thing to read when one fails."""

    url: str | None = None
    response_code: int | None = None
    response_body: str | None = None  # text, or compact JSON of an object body
    response_body_length: int | None = None  # characters before ``response_body`` was cut to 2,000

    @classmethod
    def parse(cls, data: object) -> Callout | None:
        callout = data.get("Callout") if isinstance(data, Mapping) else None
        if not isinstance(callout, Mapping):
            return None
        body = callout.get("ResponseBody")
        length = len(body) if isinstance(body, str) else None
        if body is not None and not isinstance(body, str):
            body = _compact_json(body, 2001)
            length = len(body) if len(body) <= 2000 else None  # compact JSON is cut while written
        return cls(
            url=parse_text(callout.get("URL")),
            response_code=parse_int(callout.get("ResponseCode")),
            response_body=body[:2000] if body else None,
            response_body_length=length if body else None,
        )


def _compact_json(value: object, limit: int) -> str:
    import json

    try:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))[:limit]
    except (TypeError, ValueError, RecursionError):
        return str(value)[:limit]


@dataclass(frozen=True, slots=True)
class Task:
    """A task of a run (``GET /workflows/tasks`` items and ``GET /workflows/tasks/{id}``).

    ``workflow_id`` is, for a task of a run, the run's ID (``original_workflow_id`` is the
    definition's); ``parent_id`` is Zuora's ``task_id``. ``raw`` keeps ``data`` and ``parameters``.
    """

    id: int | None
    name: str | None
    status: TaskStatus
    status_raw: str | None
    action_type: str | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    error: str | None = None
    error_class: str | None = None
    error_details: str | None = None
    object: str | None = None
    object_id: str | None = None
    parent_id: int | None = None
    tags: tuple[str, ...] = ()
    instance: bool | None = None
    workflow_id: int | None = None
    original_workflow_id: int | None = None
    original_task_id: int | None = None
    call_type: str | None = None
    callout: Callout | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def duration(self) -> float | None:
        if self.start_time and self.end_time:
            return max(0.0, (self.end_time - self.start_time).total_seconds())
        return None

    @property
    def status_label(self) -> str:
        label = self.status.value  # read before the `is` test: mypy types `.value` of a narrowed enum as Any
        if self.status is TaskStatus.UNKNOWN:
            return f"Unknown ({self.status_raw})" if self.status_raw else "Unknown"
        return label

    def belongs_to(self, run_id: int) -> bool:
        """False only when the task says it is another workflow's (``workflow_id`` differs)."""
        return self.workflow_id is None or self.workflow_id == run_id

    @classmethod
    def parse(cls, data: builtins.object) -> Task:  # builtins: the field ``object`` shadows the name here
        if not isinstance(data, Mapping):
            return cls(
                id=None,
                name=None,
                status=TaskStatus.UNKNOWN,
                status_raw=None,
                error=f"unreadable task entry ({type(data).__name__})",
            )
        details = data.get("error_details")  # officially a string; older simulators sent an object
        if details is not None and not isinstance(details, str):
            details = _compact_json(details, 100_000)
        tags = data.get("tags")
        tag_tuple = tuple(str(t)[:100] for t in tags[:50]) if isinstance(tags, list) else ()
        status_raw = parse_text(data.get("status"))
        return cls(
            id=parse_int(data.get("id")),
            name=parse_text(data.get("name")),
            status=TaskStatus.parse(status_raw),
            status_raw=status_raw,
            action_type=parse_text(data.get("action_type")),
            start_time=parse_timestamp(data.get("start_time")),
            end_time=parse_timestamp(data.get("end_time")),
            error=parse_text(data.get("error")),
            error_class=parse_text(data.get("error_class")),
            error_details=details[:100_000] if details else None,
            object=parse_text(data.get("object")),
            object_id=parse_text(data.get("object_id")),
            parent_id=parse_int(data.get("task_id")),
            tags=tag_tuple,
            instance=parse_bool(data.get("instance")),
            workflow_id=parse_int(data.get("workflow_id")),
            original_workflow_id=parse_int(data.get("original_workflow_id")),
            original_task_id=parse_int(data.get("original_task_id")),
            call_type=parse_text(data.get("call_type")),
            callout=Callout.parse(data.get("data")),
            raw=data,
        )


# ----------------------------------------------------------------------------- workflow definition

TRIGGERS = (("ondemandTrigger", "on demand"), ("scheduledTrigger", "scheduled"), ("calloutTrigger", "callout"))


@dataclass(frozen=True, slots=True)
class Workflow:
    """A workflow definition (``GET /workflows/{id}``): what a run is a run *of*.

    A run names its definition (``originalWorkflowId``) but not the version it ran, so
    ``version`` is the definition's *active* version, and is shown as such. ``interval`` is
    a cron expression when the scheduled trigger is on (Zuora's ``GET /workflows`` filter
    says so); it is kept as sent, with ``timezone``, and never interpreted.
    """

    id: int | None
    name: str | None
    description: str | None = None
    status: str | None = None  # "Active" / "Inactive", as sent
    version: str | None = None  # active_version.version
    version_id: int | None = None  # active_version.id
    version_status: str | None = None
    ondemand: bool | None = None
    scheduled: bool | None = None
    callout: bool | None = None
    interval: str | None = None
    timezone: str | None = None
    priority: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    anomalies: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def triggers(self) -> tuple[str, ...]:
        """The triggers that are on, in Zuora's order: "on demand", "scheduled", "callout"."""
        flags = {"on demand": self.ondemand, "scheduled": self.scheduled, "callout": self.callout}
        return tuple(name for _, name in TRIGGERS if flags[name])

    @property
    def schedule(self) -> str | None:
        """ "0 2 * * * (Sydney)": the cron expression as sent, with its time zone; None when
        there is no interval (an empty string is Zuora's "no schedule")."""
        interval = (self.interval or "").strip()
        if not interval:
            return None
        zone = (self.timezone or "").strip()
        return f"{interval} ({zone})" if zone else interval

    @classmethod
    def parse(cls, data: object) -> Workflow:
        """Parse a definition; raises ``ValueError`` only if ``data`` is not an object at all."""
        if not isinstance(data, Mapping):
            raise ValueError(f"expected a JSON object for the workflow, got {type(data).__name__}")
        anomalies: list[str] = []
        workflow_id = parse_int(data.get("id"))
        if workflow_id is None:
            anomalies.append("id missing or not a number")
        active = data.get("active_version")
        if active is not None and not isinstance(active, Mapping):
            anomalies.append(f"active_version has an unexpected type ({type(active).__name__})")
        version = active if isinstance(active, Mapping) else {}
        flags: dict[str, bool | None] = {}
        for key, _ in TRIGGERS:
            raw = data.get(key)
            flags[key] = parse_bool(raw)
            if raw is not None and flags[key] is None:
                anomalies.append(f"{key} is not true or false ({str(raw)[:20]!r})")
        stamps = {}
        for key in ("createdAt", "updatedAt"):
            raw = data.get(key)
            stamps[key] = parse_timestamp(raw)
            if raw is not None and stamps[key] is None:
                anomalies.append(f"{key} is not a timestamp ({str(raw)[:30]!r})")
        return cls(
            id=workflow_id,
            name=parse_text(data.get("name")),
            description=parse_text(data.get("description")) or None,
            status=parse_text(data.get("status")),
            version=parse_text(version.get("version")),
            version_id=parse_int(version.get("id")),
            version_status=parse_text(version.get("status")),
            ondemand=flags["ondemandTrigger"],
            scheduled=flags["scheduledTrigger"],
            callout=flags["calloutTrigger"],
            interval=parse_text(data.get("interval")),
            timezone=parse_text(data.get("timezone")),
            priority=parse_text(data.get("priority")),
            created_at=stamps["createdAt"],
            updated_at=stamps["updatedAt"],
            anomalies=tuple(anomalies),
            raw=data,
        )
