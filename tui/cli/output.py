"""Plain-text rendering of runs and tasks for terminals and logs (no Rich, no Textual).

Server text is passed through ``printable`` so names with escape codes cannot drive the
terminal. Colour only when writing to a TTY and ``NO_COLOR`` is unset.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from typing import TextIO

from tui.core.errors import ZwrError
from tui.core.model import Run, Task, TaskStatus, Workflow
from tui.core.present import TASK_STATES, badge, fmt_duration, fmt_utc, is_stuck, workflow_summary
from tui.core.text import printable

MAX_MESSAGE_LINES = 10

TONES = {
    "ok": "32",
    "error": "1;31",
    "warning": "33",
    "active": "36",
    "queued": "34",
    "pending": "35",
    "muted": "2",
    "unknown": "35",
}


class Painter:
    def __init__(self, stream: TextIO, enabled: bool | None = None) -> None:
        if enabled is None:
            enabled = stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
        self.enabled = enabled

    def __call__(self, text: str, tone: str) -> str:
        code = TONES.get(tone)
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled and code else text


def bar(run: Run, width: int = 40) -> str:
    """A stacked bar of task states using distinct glyphs (readable without colour)."""
    counts = run.tasks
    total = counts.effective_total
    if total <= 0:
        return "[" + " " * width + "]"
    glyphs = {"success": "█", "error": "X", "stopped": "■", "pending": "▒", "processing": "▶", "queued": "·"}
    cells: list[str] = []
    for name, _, _ in TASK_STATES:
        n = round(getattr(counts, name) / total * width)
        if getattr(counts, name) > 0 and n == 0:
            n = 1  # one error among 10,000 must still show
        cells.extend(glyphs[name] * n)
    cells = cells[:width] + ["·"] * max(0, width - len(cells))
    return "[" + "".join(cells) + "]"


def summary(
    run: Run,
    paint: Painter,
    *,
    request_id: str | None = None,
    now: datetime | None = None,
    workflow: Workflow | str | None = None,
) -> str:
    """``workflow``: the run's definition, or a note saying why it could not be read."""
    now = now or datetime.now(UTC)
    b = badge(run)
    name = printable(run.name or "(no name)", 120)
    lines = [
        f"Run {run.id if run.id is not None else '?'}  {name}"
        + (f"  (workflow {printable(run.original_workflow_id, 30)})" if run.original_workflow_id else "")
    ]
    if isinstance(workflow, Workflow):
        lines.append(f"  Workflow  {workflow_summary(workflow)}")
    elif workflow:
        lines.append("  " + paint(f"Workflow  {printable(workflow, 400)}", "muted"))
    status = paint(f"{b.symbol} {b.label}", b.tone) + f"  — {b.detail}"
    if run.status.value == "Unknown":
        status = paint(f"? {printable(run.status_label, 60)}", "unknown") + "  — status not recognised"
    lines.append(f"  Status    {status}")
    if is_stuck(run, now):
        lines.append(
            "  " + paint(f"⚠ No update for {fmt_duration(run.since_update(now))}: the run may be stuck.", "warning")
        )
    lines.append(f"  Created   {fmt_utc(run.created_at)}    Updated  {fmt_utc(run.updated_at)}")
    lines.append(f"  Finished  {fmt_utc(run.finished_at)}")
    lines.append(
        f"  Elapsed   {fmt_duration(run.elapsed(now))}    runTime {fmt_duration(run.run_time)}"
        f"    cpuTime {printable(run.cpu_time, 40) if run.cpu_time is not None else '—'}"  # as sent
    )
    t = run.tasks
    if t.known:
        parts = [paint(f"{sym} {getattr(t, name)} {name}", tone) for name, sym, tone in TASK_STATES]
        lines.append(f"  Tasks     {t.total} total   " + "  ".join(parts))
        lines.append(f"            {bar(run)} {t.done}/{t.effective_total} done")
    else:
        lines.append("  Tasks     (no task counts in the response)")
    if t.error:
        lines.append(
            "  "
            + paint(f"{t.error} task error{'s' if t.error != 1 else ''}:", "error")
            + f" run `zwr tasks {run.id} --errors` to see why."
        )
    for index, message in enumerate(run.messages[:MAX_MESSAGE_LINES]):
        lines.append(f"  {'Messages' if index == 0 else '':<9} {printable(message, 200)}")
    if len(run.messages) > MAX_MESSAGE_LINES:
        lines.append(f"            … {len(run.messages) - MAX_MESSAGE_LINES} more (see --json)")
    for anomaly in run.anomalies[:5]:
        lines.append("  " + paint(f"⚠ {printable(anomaly, 120)}", "warning"))
    if request_id:
        lines.append(f"  Request   Zuora-Request-Id {printable(request_id, 64)}")
    return "\n".join(lines)


def progress_line(run: Run, now: datetime | None = None) -> str:
    b = badge(run)
    t = run.tasks
    return (
        f"run {run.id} {b.symbol} {b.label}: {t.done}/{t.effective_total} tasks done, "
        f"{t.error} error{'s' if t.error != 1 else ''}, {t.pending} pending, "
        f"elapsed {fmt_duration(run.elapsed(now))}"
    )


def task_line(task: Task) -> str:
    status = task.status_label
    sym = {
        TaskStatus.SUCCESS: "✔",
        TaskStatus.ERROR: "✖",
        TaskStatus.STOPPED: "■",
        TaskStatus.PENDING: "◔",
        TaskStatus.PROCESSING: "▶",
        TaskStatus.QUEUED: "◌",
    }.get(task.status, "?")
    line = (
        f"{task.id or '?':>12}  {sym} {printable(status, 20):<10} {printable(task.action_type or '-', 18):<18}"
        f" {printable(task.name or '-', 60)}"
    )
    if task.error or task.error_class:
        line += f"\n{'':14}{printable(task.error_class or 'error', 60)}: {printable(task.error or '', 400)}"
    return line


def callout_lines(task: Task) -> list[str]:
    """What the callout of a failed task sent and got back (``data.Callout``), when Zuora says."""
    callout = task.callout
    if callout is None or (callout.url is None and callout.response_code is None):
        return []
    code = f"HTTP {callout.response_code}" if callout.response_code is not None else "no response code"
    lines = [f"Callout {printable(callout.url or '(no URL)', 200)} -> {code}"]
    if callout.response_body:
        lines.append(f"  response: {printable(callout.response_body, 400)}")
    return lines


def error_line(error: ZwrError, paint: Painter, prefix: str = "") -> str:
    return paint("error", "error") + f": {prefix}{error.describe()}"


def write(stream: TextIO, text: str) -> None:
    try:
        stream.write(text + "\n")
        stream.flush()
    except BrokenPipeError:  # `zwr get ... | head` must not print a traceback
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        except OSError:
            pass
        raise SystemExit(0) from None
