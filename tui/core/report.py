"""An incident summary of one run, to paste into a ticket or a chat (``zwr report``, the TUI's copy key).

``Incident`` holds what is known (the run, its error groups, its workflow, the Zuora-Request-Ids)
and what could not be had (why the tasks or the definition are missing); ``render`` writes it as
markdown, plain text or JSON. Pure: no I/O, so the CLI and the TUI paste the same words.

Zuora's text is hostile until proven otherwise: every server string goes through ``printable``
(control characters made visible, length capped and marked), and in markdown its special
characters are backslash-escaped, so an error text with ``*``, ``|`` or ``[x](y)`` in it stays
literal text and cannot break the table or make a link.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tui import __version__
from tui.core.errorgroups import ErrorGroup, message_of
from tui.core.model import COUNT_FIELDS, Callout, Run, Workflow
from tui.core.present import TASK_STATES, badge, fmt_duration, fmt_utc, plural, workflow_summary
from tui.core.text import printable

FORMATS = ("markdown", "text", "json")
MAX_GROUPS = 20  # groups written out; the rest are summed up in one line
BODY_LIMIT = 300  # characters of a callout response body in an example
TEXT_LIMIT = 300  # characters of any other server text

Quote = Callable[[object, int], str]  # server text -> safe text of at most that many characters (``md``, ``plain``)


@dataclass(frozen=True, slots=True)
class Incident:
    """Everything the report says, gathered by the caller (CLI or TUI)."""

    run: Run
    environment: str  # "US Production, Cloud 2 (https://rest.zuora.com)"
    production: bool
    generated_at: datetime
    groups: tuple[ErrorGroup, ...] = ()
    tasks_listed: int | None = None  # tasks read to build the groups (None: not listed)
    tasks_note: str | None = None  # why the listing is missing or incomplete
    workflow: Workflow | None = None
    workflow_note: str | None = None  # why the definition is missing
    request_ids: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (what, Zuora-Request-Id)


# ----------------------------------------------------------------------------- text helpers

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~&])")


def md(value: object, limit: int = TEXT_LIMIT) -> str:
    """Server text for markdown: printable, then every markdown special character escaped."""
    return _MD_SPECIAL.sub(r"\\\1", printable(value, limit))


def plain(value: object, limit: int = TEXT_LIMIT) -> str:
    return printable(value, limit)


def _status(run: Run) -> str:
    b = badge(run)
    return f"{b.symbol} {b.label}: {b.detail}" if b.detail else f"{b.symbol} {b.label}"


def _timing(run: Run, now: datetime) -> str:
    parts = [f"created {fmt_utc(run.created_at)}"]
    if run.finished_at:
        parts.append(f"finished {fmt_utc(run.finished_at)}")
    parts.append(f"elapsed {fmt_duration(run.elapsed(now))}")
    if run.run_time is not None:
        parts.append(f"runTime {fmt_duration(run.run_time)}")
    return ", ".join(parts)


def _counts(run: Run) -> str:
    t = run.tasks
    if not t.known:
        return "no task counts in Zuora's answer"
    states = [f"{getattr(t, name):,} {name}" for name, _, _ in TASK_STATES if getattr(t, name)]
    return f"{t.total:,} total" + (": " + ", ".join(states) if states else "")


def _callout(group: ErrorGroup, quote: Quote) -> str | None:
    callout = group.first.callout if group.first.action_type == "Callout" else None
    if callout is None or (callout.url is None and callout.response_code is None):
        return None
    code = f"HTTP {callout.response_code}" if callout.response_code is not None else "no response code"
    text = f"callout {quote(callout.url or '(no URL)', 200)} answered {code}"
    if callout.response_body:
        text += f": {body_excerpt(callout, quote)}"
    return text


def body_excerpt(callout: Callout, quote: Quote = plain) -> str:
    """The start of a callout's response body, marked with its full size when it is cut."""
    body = callout.response_body or ""
    if len(body) <= BODY_LIMIT and callout.response_body_length is not None:
        return quote(body, BODY_LIMIT)
    total = callout.response_body_length
    size = f"{total:,} characters in all" if total is not None else "more than 2,000 characters"
    return quote(body[:BODY_LIMIT], BODY_LIMIT) + f"… (cut: {size})"


def _where(group: ErrorGroup, quote: Quote) -> str:
    """ "HTTP 500 from hooks.acme.example": what the group's callouts got, and from where."""
    parts = [f"HTTP {group.response_code}"] if group.response_code is not None else []
    if group.host:
        parts.append(f"from {quote(group.host, 100)}")
    return " ".join(parts)


def _first_seen(group: ErrorGroup) -> str:
    return fmt_utc(group.first_seen) if group.first_seen else "—"


def _groups_heading(incident: Incident) -> str:
    errors = sum(g.count for g in incident.groups)
    text = f"Errors: {plural(errors, 'task')} in {plural(len(incident.groups), 'group')}"
    if incident.run.tasks.error and incident.tasks_listed is not None and errors != incident.run.tasks.error:
        text += f" (the run counts {incident.run.tasks.error:,})"
    return text


# ----------------------------------------------------------------------------- renderers


def render(incident: Incident, fmt: str = "markdown") -> str:
    if fmt == "markdown":
        return to_markdown(incident)
    if fmt == "text":
        return to_text(incident)
    if fmt == "json":
        import json

        return json.dumps(to_json(incident), indent=2, ensure_ascii=True)
    raise ValueError(f"unknown report format {fmt!r}; known: {', '.join(FORMATS)}")


def to_markdown(incident: Incident) -> str:
    run, now = incident.run, incident.generated_at
    title = f"run {run.id if run.id is not None else '?'}" + (f" ({md(run.name, 120)})" if run.name else "")
    lines = [f"### zwr incident report: {title}", ""]
    env = md(incident.environment, 200)
    lines.append(f"- **Environment:** {'**⚠ PRODUCTION** ' if incident.production else ''}{env}")
    if incident.workflow is not None:
        lines.append(f"- **Workflow:** {workflow_summary(incident.workflow, md)}")
    elif run.original_workflow_id:
        note = f" ({md(incident.workflow_note, 800)})" if incident.workflow_note else ""
        lines.append(f"- **Workflow:** {md(run.original_workflow_id, 30)}{note}")
    lines.append(f"- **Status:** {md(_status(run), 200)}")
    lines.append(
        f"- **Timing:** {md(_timing(run, now), 300)}" + (f", cpuTime {md(run.cpu_time, 40)}" if run.cpu_time else "")
    )
    lines.append(f"- **Tasks:** {md(_counts(run), 300)}")
    for anomaly in run.anomalies[:5]:
        lines.append(f"- **⚠** {md(anomaly, 200)}")
    if incident.groups:
        lines += ["", f"#### {_groups_heading(incident)}", ""]  # our words and numbers only
        lines.append(
            "| Tasks | Error class | Message (variable parts as \\<n\\>, \\<id\\>, …) | First task | First seen | Callout |"
        )
        lines.append("|---:|---|---|---|---|---|")
        for group in incident.groups[:MAX_GROUPS]:
            where = _where(group, md)
            lines.append(
                f"| {group.count:,} | {md(group.error_class or '—', 80)} | {md(group.template)} | "
                f"{group.first.id if group.first.id is not None else '?'} | {_first_seen(group)} | {where} |"
            )
        lines += _more(incident.groups)
        lines += ["", "Examples (the first task of each group, as Zuora wrote it):", ""]
        for number, group in enumerate(incident.groups[:MAX_GROUPS], 1):
            task = group.first
            name = f" {md(task.name, 80)}" if task.name else ""
            lines.append(
                f"{number}. Task {task.id if task.id is not None else '?'}{name} "
                f"({md(group.error_class or 'no error class', 80)}): {md(message_of(task))}"
            )
            callout = _callout(group, md)
            if callout:
                lines.append(f"   - {callout}")
    elif run.tasks.error:
        lines += ["", f"#### Errors: {run.tasks.error:,} tasks (not listed)"]
    if incident.tasks_note:
        lines += ["", f"⚠ {md(incident.tasks_note, 800)}"]
    lines += _request_ids(incident, md, "- ")
    lines += ["", f"_Generated by zwr {__version__} at {fmt_utc(now)}._"]
    return "\n".join(lines)


def _more(groups: tuple[ErrorGroup, ...]) -> list[str]:
    rest = groups[MAX_GROUPS:]
    if not rest:
        return []
    return ["", f"… and {plural(len(rest), 'more group')} ({plural(sum(g.count for g in rest), 'task')})."]


def _request_ids(incident: Incident, quote: Quote, bullet: str) -> list[str]:
    if not incident.request_ids:
        return []
    lines = ["", "Zuora-Request-Ids (quote them to Zuora support):"]
    lines += [f"{bullet}{what}: {quote(request_id, 64)}" for what, request_id in incident.request_ids]
    return lines


def to_text(incident: Incident) -> str:
    run, now = incident.run, incident.generated_at
    lines = [
        f"zwr incident report: run {run.id if run.id is not None else '?'}"
        + (f" ({plain(run.name, 120)})" if run.name else ""),
        f"  Environment  {'⚠ PRODUCTION  ' if incident.production else ''}{plain(incident.environment, 200)}",
    ]
    if incident.workflow is not None:
        lines.append(f"  Workflow     {workflow_summary(incident.workflow)}")
    elif run.original_workflow_id:
        note = f" ({plain(incident.workflow_note, 800)})" if incident.workflow_note else ""
        lines.append(f"  Workflow     {plain(run.original_workflow_id, 30)}{note}")
    lines.append(f"  Status       {plain(_status(run), 200)}")
    lines.append(
        f"  Timing       {_timing(run, now)}" + (f", cpuTime {plain(run.cpu_time, 40)}" if run.cpu_time else "")
    )
    lines.append(f"  Tasks        {_counts(run)}")
    for anomaly in run.anomalies[:5]:
        lines.append(f"  ⚠ {plain(anomaly, 200)}")
    if incident.groups:
        lines += ["", _groups_heading(incident)]
        for group in incident.groups[:MAX_GROUPS]:
            task = group.first
            lines.append(
                f"  {group.count:>6,} × {plain(group.error_class or 'no error class', 80)}: {plain(group.template)}"
            )
            lines.append(
                f"           first: task {task.id if task.id is not None else '?'}"
                + (f" {plain(task.name, 80)}" if task.name else "")
                + f" at {_first_seen(group)}: {plain(message_of(task))}"
            )
            callout = _callout(group, plain)
            if callout:
                lines.append(f"           {callout}")
        lines += _more(incident.groups)
    elif run.tasks.error:
        lines += ["", f"Errors: {run.tasks.error:,} tasks (not listed)"]
    if incident.tasks_note:
        lines += ["", f"⚠ {plain(incident.tasks_note, 800)}"]
    lines += _request_ids(incident, plain, "  ")
    lines += ["", f"Generated by zwr {__version__} at {fmt_utc(now)}."]
    return "\n".join(lines)


def _callout_json(group: ErrorGroup, cap: Callable[[str | None], str | None]) -> dict[str, Any]:
    callout = group.first.callout if group.first.action_type == "Callout" else None
    return {
        "callout_url": cap(callout.url) if callout else None,
        "callout_response_code": callout.response_code if callout else None,
        "callout_response_body": body_excerpt(callout, lambda v, n: str(v))
        if callout and callout.response_body
        else None,
    }


def to_json(incident: Incident) -> dict[str, Any]:
    """The same facts for scripts. Server strings are kept as sent (JSON escapes them), but
    capped like everywhere else."""
    run = incident.run
    workflow = incident.workflow

    def cap(value: str | None, limit: int = TEXT_LIMIT) -> str | None:
        if value is None:
            return None
        return value if len(value) <= limit else value[:limit] + f"… (+{len(value) - limit} chars)"

    return {
        "run": {
            "id": run.id,
            "name": cap(run.name),
            "status": run.status_label,
            "outcome": run.outcome.value,
            "original_workflow_id": run.original_workflow_id,
            "created_at": run.created_at.isoformat() if run.created_at else None,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "elapsed_seconds": run.elapsed(incident.generated_at),
            "run_time": run.run_time,
            "cpu_time": cap(run.cpu_time, 40),
            "tasks": {"total": run.tasks.total, **{name: getattr(run.tasks, name) for name in COUNT_FIELDS}},
            "anomalies": list(run.anomalies),
        },
        "environment": {"name": cap(incident.environment), "production": incident.production},
        "workflow": None
        if workflow is None
        else {
            "id": workflow.id,
            "name": cap(workflow.name),
            "description": cap(workflow.description),
            "active_version": cap(workflow.version, 40),
            "triggers": list(workflow.triggers),
            "interval": cap(workflow.interval, 80),
            "timezone": cap(workflow.timezone, 80),
            "priority": cap(workflow.priority, 20),
            "status": cap(workflow.status, 20),
        },
        "workflow_note": incident.workflow_note,
        "error_groups": [
            {
                "count": group.count,
                "error_class": cap(group.error_class),
                "message": group.template,
                "host": group.host,
                "response_codes": {str(code): count for code, count in group.response_codes},
                "first_seen": group.first_seen.isoformat() if group.first_seen else None,
                "first_task": {
                    "id": group.first.id,
                    "name": cap(group.first.name),
                    "error": cap(message_of(group.first)),
                    **_callout_json(group, cap),
                },
                "task_ids": list(group.task_ids[:1000]),
            }
            for group in incident.groups
        ],
        "tasks_listed": incident.tasks_listed,
        "tasks_note": incident.tasks_note,
        "request_ids": {what: request_id for what, request_id in incident.request_ids},
        "generated_at": incident.generated_at.astimezone(UTC).isoformat(),
        "generator": f"zwr {__version__}",
    }
