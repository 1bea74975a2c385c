"""Plain-text rendering of runs and tasks, and the one door every CLI byte goes out through.

The door: ``write`` (and ``rewrite_line`` for watch's live line, ``write_json`` for ``--json``,
``log_handler`` for log records) passes the whole text through ``terminal_safe``, whatever it
holds, so a server string that reached a message without ``printable`` still cannot drive the
terminal (tests/test_sanitise.py checks that no other module in ``tui/cli`` writes to a stream).
Per field, server text also goes through ``printable`` for layout: one line, length capped.

Colour only when writing to a TTY and ``NO_COLOR`` is unset. ``Painter`` cannot emit escape
codes itself (the door would neutralise them): it leaves marks that carry a random per-process
nonce and a colour number, and the door turns exactly those marks, and nothing a server could
send, into SGR colour codes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TextIO

from tui.core.errors import ZwrError
from tui.core.model import Run, Task, TaskStatus, Workflow
from tui.core.present import TASK_STATES, badge, fmt_duration, fmt_utc, is_stuck, workflow_summary
from tui.core.text import json_text, printable, terminal_safe

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


_NONCE = os.urandom(8).hex()  # a server cannot forge a colour mark without it
_MARK = re.compile(f"\x00{_NONCE}([0-9;]{{1,8}})\x00")


def _mark(code: str) -> str:
    return f"\x00{_NONCE}{code}\x00"


class Painter:
    def __init__(self, stream: TextIO, enabled: bool | None = None) -> None:
        if enabled is None:
            enabled = _isatty(stream) and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
        self.enabled = enabled

    def __call__(self, text: str, tone: str) -> str:
        """``text`` marked for colour; ``render`` turns the marks into SGR codes."""
        code = TONES.get(tone)
        return f"{_mark(code)}{text}{_mark('0')}" if self.enabled and code else text


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def render(text: str) -> str:
    """What goes to the terminal: ``text`` made safe (``terminal_safe``), colour marks as SGR codes."""
    if "\x00" not in text:
        return terminal_safe(text)
    parts = _MARK.split(text)  # text, code, text, code, ..., text
    return "".join(terminal_safe(part) if i % 2 == 0 else f"\x1b[{part}m" for i, part in enumerate(parts))


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
    """One line (or several) of output, through the door: nothing in ``text`` can act on the terminal."""
    _emit(stream, render(text) + "\n")


def put(stream: TextIO, text: str) -> None:
    """``write`` without the added newline (argparse's usage and help)."""
    _emit(stream, render(text))


def rewrite_line(stream: TextIO, text: str) -> None:
    """Replace the terminal's current line with ``text`` (watch's live line on a TTY); only the
    carriage return and erase-line code in front are ours, ``text`` goes through the door."""
    _emit(stream, "\r\x1b[K" + render(text.replace("\n", " ")))


def write_json(stream: TextIO, value: object) -> None:
    """``--json``: the same bytes on a terminal and in a pipe (a pipe often ends on a terminal:
    ``| less``, ``| tee``). Valid JSON that parses to exactly what Zuora sent; controls, C1, bidi
    and format characters as ``\\uXXXX`` escapes; other non-ASCII as UTF-8, or escaped too when
    the stream's encoding is not UTF-8."""
    encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("_", "-")
    write(stream, json_text(value, ascii_only=encoding not in ("utf-8", "utf8")))


def _emit(stream: TextIO, text: str) -> None:
    try:
        stream.write(text)
        stream.flush()
    except BrokenPipeError:  # `zwr get ... | head` must not print a traceback
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        except OSError:
            pass
        raise SystemExit(0) from None


def prepare_streams() -> None:
    """Never a crash on an output encoding that cannot show a character (a Latin-1 locale and
    ``✔``): such characters are written as backslash escapes instead."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a detached or closed stream: nothing to protect
                pass


class LogDoor(logging.Handler):
    """The CLI's only log sink: each record, its arguments and any traceback scrubbed of secrets
    (``RedactingFilter`` and ``scrub``) and written through ``write``, whatever library logged
    it, so a request ID or URL from a server is logged as text, never as terminal codes. It
    looks ``sys.stderr`` up on every record (tests and callers may replace the stream)."""

    def __init__(self, debug: bool) -> None:
        from tui.core.redact import RedactingFilter

        super().__init__(logging.DEBUG if debug else logging.WARNING)
        self.addFilter(RedactingFilter())
        # without --debug: warnings only, one line each (what logging's last resort printed)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s" if debug else None))

    def emit(self, record: logging.LogRecord) -> None:
        from tui.core.redact import scrub

        try:
            text = scrub(self.format(record))
        except Exception:  # noqa: BLE001 - a broken record must not break the command
            self.handleError(record)
            return
        write(sys.stderr, text)


@contextlib.contextmanager
def log_door(debug: bool) -> Iterator[None]:
    """Route every log record through ``LogDoor`` while a command runs, then leave logging as it
    was (``main`` may run more than once in a process: tests, ``zwr demo --headless``)."""
    root = logging.getLogger()
    door, level = LogDoor(debug), root.level
    root.addHandler(door)
    if debug:
        root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(door)
        root.setLevel(level)
