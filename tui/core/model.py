"""Typed, immutable views of Zuora runs and tasks, parsed once and tolerantly.

Zuora's payloads drift from their schema (``originalWorkflowId`` documented as a string but
sent as an int, timestamps with and without " UTC", counts missing). The parsers here never
raise on odd input: unknown statuses stay visible as ``UNKNOWN`` with their raw text, wrong
types become ``None``, and anything suspicious is recorded in ``anomalies`` for display.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# ----------------------------------------------------------------------------- statuses


def _parse_status(cls, raw: object):
    """Case- and space-tolerant lookup; anything else is the enum's UNKNOWN (the raw word is kept by the caller)."""
    if isinstance(raw, str):
        key = raw.strip().lower()
        for status in cls:
            if status.value.lower() == key and status is not cls.UNKNOWN:
                return status
    return cls.UNKNOWN


class RunStatus(enum.Enum):
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
    r"^\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?\s*(Z|UTC|[+-]\d{2}:?\d{2})?\s*$",
    re.IGNORECASE,
)


def parse_timestamp(value: object) -> datetime | None:
    """Zuora timestamps ("2019-09-10 19:32:21 UTC", "...T19:32:21Z", offsets) as aware UTC."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    match = _TS.match(value)
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    frac = match.group(7)
    micro = int((frac[1:] + "000000")[:6]) if frac else 0
    zone = (match.group(8) or "UTC").upper()
    try:
        stamp = datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
    except ValueError:
        return None
    if zone not in ("Z", "UTC"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
        from datetime import timedelta

        stamp -= timedelta(seconds=offset)
    return stamp


_CPU = re.compile(r"^\s*(?:(\d+)\s*days?,?\s*)?(\d+):(\d{1,2}):(\d{1,2})(?:\.(\d+))?\s*$", re.IGNORECASE)


def parse_duration_hms(value: object) -> float | None:
    """``cpuTime`` as seconds: "19:01:04", hours beyond 24 ("123:00:01"), or a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) and value >= 0 else None
    if not isinstance(value, str) or len(value) > 40:
        return None
    match = _CPU.match(value)
    if not match:
        return None
    days, hours, minutes, seconds, frac = match.groups()
    total = int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + int(seconds)
    if frac:
        total += float("0." + frac)
    return float(total)


def parse_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str) and len(value) < 40:
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def parse_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,19}\s*", value):
        return int(value)
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
                anomalies.append(f"tasks.{name} is not a number ({str(raw)[:20]!r})")
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
        return cls(**numbers, anomalies=tuple(anomalies))


# ----------------------------------------------------------------------------- run


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
    cpu_time: float | None = None
    cpu_time_raw: str | None = None
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
        if self.status is RunStatus.UNKNOWN:
            return f"Unknown ({self.status_raw})" if self.status_raw else "Unknown (no status)"
        return self.status.value

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
        cpu = parse_duration_hms(cpu_raw)
        if cpu_raw is not None and cpu is None:
            anomalies.append(f"cpuTime is not a duration ({str(cpu_raw)[:20]!r})")
        run_time = parse_number(data.get("runTime"))
        if data.get("runTime") is not None and (run_time is None or run_time < 0):
            anomalies.append("runTime is not a positive number")
            run_time = None
        tasks = TaskCounts.parse(data.get("tasks"))
        anomalies.extend(a for a in tasks.anomalies if a != "tasks missing" or status is not RunStatus.QUEUED)
        original = data.get("originalWorkflowId")
        return cls(
            id=run_id,
            name=parse_text(data.get("name")),
            status=status,
            status_raw=status_raw,
            original_workflow_id=parse_text(original),
            type=parse_text(data.get("type")),
            created_at=stamps["createdAt"],
            updated_at=stamps["updatedAt"],
            finished_at=stamps["finishedAt"],
            run_time=run_time,
            cpu_time=cpu,
            cpu_time_raw=parse_text(cpu_raw),
            tasks=tasks,
            anomalies=tuple(anomalies),
            raw=data,
        )


# ----------------------------------------------------------------------------- task


@dataclass(frozen=True, slots=True)
class Task:
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
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def duration(self) -> float | None:
        if self.start_time and self.end_time:
            return max(0.0, (self.end_time - self.start_time).total_seconds())
        return None

    @property
    def status_label(self) -> str:
        if self.status is TaskStatus.UNKNOWN:
            return f"Unknown ({self.status_raw})" if self.status_raw else "Unknown"
        return self.status.value

    @classmethod
    def parse(cls, data: object) -> Task:
        if not isinstance(data, Mapping):
            return cls(
                id=None,
                name=None,
                status=TaskStatus.UNKNOWN,
                status_raw=None,
                error=f"unreadable task entry ({type(data).__name__})",
            )
        details = data.get("error_details")
        if details is not None and not isinstance(details, str):
            import json

            try:
                details = json.dumps(details, indent=2, ensure_ascii=False)[:100_000]
            except (TypeError, ValueError):
                details = str(details)[:100_000]
        tags = data.get("tags")
        tag_tuple = tuple(str(t) for t in tags[:50]) if isinstance(tags, list) else ()
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
            error_details=details,
            object=parse_text(data.get("object")),
            object_id=parse_text(data.get("object_id")),
            parent_id=parse_int(data.get("task_id")),
            tags=tag_tuple,
            raw=data,
        )
