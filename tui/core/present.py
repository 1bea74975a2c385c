"""How a run's state reads to a person: symbol, words and tone, shared by CLI and TUI.

Symbols make every state readable without colour (NO_COLOR, screenshots, screen readers);
``tone`` is a semantic name each front end maps to its own colours.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tui.core.model import Phase, Run, RunStatus, Workflow
from tui.core.ratelimit import RateLimit
from tui.core.text import printable

STUCK_AFTER = 15 * 60.0  # an active run whose updatedAt has not moved for this long looks stuck


@dataclass(frozen=True, slots=True)
class Badge:
    symbol: str
    label: str
    tone: str  # ok | error | warning | active | queued | muted | unknown
    detail: str = ""


def badge(run: Run) -> Badge:
    """One badge that answers "what state is it in, and did it work?"."""
    errors = run.tasks.error
    phase = run.phase
    if phase is Phase.DONE:
        if run.status is RunStatus.STOPPED:  # Zuora's word first: a stopped run may have task errors too
            if errors:
                return Badge("■", "Stopped", "warning", f"stopped; {errors} task error{'s' if errors != 1 else ''}")
            return Badge("■", "Stopped", "warning", "stopped before finishing")
        if errors:
            return Badge("✖", "Finished", "error", f"{errors} task error{'s' if errors != 1 else ''}")
        return Badge("✔", "Finished", "ok", "all tasks succeeded")
    if phase is Phase.SETTLING:
        pending = run.tasks.pending
        tone = "error" if errors else "warning"
        return Badge(
            "◔",
            "Finished",
            tone,
            f"settling: {pending} task{'s' if pending != 1 else ''} pending"
            + (f", {errors} error{'s' if errors != 1 else ''}" if errors else ""),
        )
    if phase is Phase.STOPPING:
        return Badge("◼", "Stopping", "warning", "stop requested")
    if phase is Phase.ACTIVE:
        detail = f"{errors} task error{'s' if errors != 1 else ''} so far" if errors else "running"
        return Badge("▶", "Processing", "error" if errors else "active", detail)
    if phase is Phase.QUEUED:
        return Badge("◌", "Queued", "queued", "waiting to start")
    return Badge("?", printable(run.status_label, 60), "unknown", "status not recognised")  # Zuora's word, made safe


def is_stuck(run: Run, now: datetime | None = None, threshold: float = STUCK_AFTER) -> bool:
    if run.phase not in (Phase.ACTIVE, Phase.STOPPING, Phase.SETTLING):
        return False
    age = run.since_update(now)
    return age is not None and age >= threshold


def fmt_duration(seconds: float | None) -> str:
    """Compact, fixed-ish width: 45s, 3m 05s, 2h 03m, 3d 04h."""
    if seconds is None:
        return "—"
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"


def fmt_utc(moment: datetime | None) -> str:
    """Always with " UTC": Zuora's zone-less timestamps are read as UTC and shown so."""
    if moment is None:
        return "—"
    try:
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, ValueError, OSError):
        return "—"


def fmt_local(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    try:
        return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    except (OverflowError, ValueError, OSError):  # a date at the edge of the calendar in a far zone
        return fmt_utc(moment)


def local_time(moment: datetime | None) -> str | None:
    """The local time of ``moment``, or None where local time is UTC then (the UTC time, always
    shown, already says it: one timestamp, not the same one twice)."""
    if moment is None:
        return None
    try:
        if moment.astimezone().utcoffset() == timedelta(0):
            return None
    except (OverflowError, ValueError, OSError):
        return None
    return fmt_local(moment)


def plural(count: int, noun: str) -> str:
    """ "1 task", "2 tasks", "1,000 tasks"."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def tasks_listed(listed: int, total: int | None, left_out: int = 0) -> str:
    """What a task listing holds, said honestly: "250 tasks", "3 of 4 tasks" when the run's
    ``tasks.total`` says otherwise (a live run may still be growing), and how many tasks of
    other runs were left out."""
    text = plural(listed, "task") if total is None or total == listed else f"{listed:,} of {plural(total, 'task')}"
    if left_out:
        text += f" ({plural(left_out, 'task')} of another run left out)"
    return text


def fmt_rate_limit(limit: RateLimit | None) -> str | None:
    """ "49,960 left of 50,000 per minute": the window ``RateLimit-Remaining`` belongs to."""
    if limit is None or limit.remaining is None:
        return None
    quota = f"{limit.limit:,}" if limit.limit is not None else "?"
    return f"{limit.remaining:,} left of {quota} per {limit.window_name}"


TASK_STATES = (  # order of the stacked bar, with symbols readable without colour
    ("success", "✔", "ok"),
    ("error", "✖", "error"),
    ("stopped", "■", "warning"),
    ("pending", "◔", "pending"),
    ("processing", "▶", "active"),
    ("queued", "◌", "queued"),
)


def workflow_summary(workflow: Workflow, quote: Callable[[object, int], str] = printable) -> str:
    """ "Nightly invoice notifications (workflow 19040), active version 4.2.0; triggers: scheduled,
    callout; schedule 0 3 * * * (Europe/Berlin); priority High". ``quote`` makes Zuora's text
    safe for the output (``printable``, or markdown escaping)."""
    number = workflow.id if workflow.id is not None else "?"
    text = f"{quote(workflow.name or '(no name)', 120)} (workflow {number})"
    if workflow.version:
        text += f", active version {quote(workflow.version, 40)}"
    details = []
    if workflow.triggers:
        details.append("triggers: " + ", ".join(workflow.triggers))
    if workflow.schedule:
        details.append(f"schedule {quote(workflow.schedule, 80)}")
    if workflow.priority:
        details.append(f"priority {quote(workflow.priority, 20)}")
    if workflow.status and workflow.status != "Active":
        details.append(f"status {quote(workflow.status, 20)}")
    return text + ("; " + "; ".join(details) if details else "")
