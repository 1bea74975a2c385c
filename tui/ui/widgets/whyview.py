"""The "why" parts of the run detail, as lines of text: error groups, workflow, Zuora's messages.

Pure functions of what the run book and the why book hold (no widget state), so the detail
panel renders them like its other parts and a test can read them without a screen. Every line
is one terminal row (``no_wrap``, cut with …) unless it says otherwise: the panel's height moves
only when the number of groups does. Server text goes through ``literal``: never markup.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console
from rich.text import Text

from tui.core.errordigest import ErrorDigest
from tui.core.errors import ZwrError
from tui.core.model import Run, Workflow
from tui.core.present import plural, workflow_summary
from tui.ui.safe import literal

MAX_GROUPS_SHOWN = 4  # groups in the panel; the tasks screen's grouped view (g) lists them all
MAX_MESSAGES_SHOWN = 3
FIRST_MESSAGE_CHARS = 200  # of the biggest group's message (wrapped); the others get one line each


def _line(*parts: Text | tuple[str, str] | str) -> Text:
    text = Text.assemble(*parts)
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


def _clock(moment: float | None) -> str:
    if moment is None:
        return ""
    return datetime.fromtimestamp(moment, UTC).astimezone().strftime("%H:%M:%S")


def hang(text: Text, indent: int, console: Console | None, width: int) -> list[Text]:
    """``text`` wrapped to ``width`` cells, its continuation lines indented by ``indent`` (a
    message under its own start, not under the count). Without a width: one line that wraps."""
    if console is None or width <= indent + 10:
        return [text]
    lines = text.wrap(console, width)
    if len(lines) == 1:
        return [text]
    head, tail = lines[0], list(lines[1:])
    for line in tail:
        line.rstrip()  # in place: wrapping kept the space it broke at
    rest = Text(" ").join(tail)
    out = [head]
    for line in rest.wrap(console, width - indent):
        out.append(Text.assemble(" " * indent, line))
    return out


def error_rows(
    run: Run | None,
    digest: ErrorDigest | None,
    loading: bool,
    listed_at: float | None,
    console: Console | None = None,
    width: int = 0,
    first_key: str = "e",
) -> list[Text]:
    """The run's error groups: a heading, then two lines per group (what failed, and its first
    task). Nothing for a run without task errors; one quiet line when the tasks cannot be listed.
    The biggest group's message is shown whole, wrapped under itself (``console`` and ``width``
    measure it); the others are cut to one line. ``first_key`` is the key that opens the first
    error in full (the user's keymap applied)."""
    if run is None or run.tasks.error <= 0:
        return []
    errors = run.tasks.error
    heading = _line((f"✖ {plural(errors, 'task error')}", "bold red"))
    usable = digest is not None and digest.run_id == run.id and digest.failure is None
    if digest is None or digest.run_id != run.id:
        heading.append("  listing the tasks to group them…", style="dim")
        return [heading]
    if not usable:
        note = literal(f"  (could not list the tasks to group them: {digest.failure}; r retries)", 300, "dim yellow")
        heading.append_text(note)
        heading.no_wrap = False  # the reason is worth its second line
        return [heading]
    groups = digest.groups
    heading.append(f" in {plural(len(groups), 'group')}", style="bold red")
    if digest.error_count != errors:
        heading.append(f"  (grouped at {digest.error_count:,} errors", style="yellow")
        heading.append("; updating…)" if loading else ")", style="yellow")
    elif loading:
        heading.append("  updating…", style="dim")
    if listed_at is not None:
        heading.append(f"  as of {_clock(listed_at)}", style="dim")
    if digest.partial:
        heading.append_text(literal(f"  incomplete list: {digest.partial}", 200, "yellow"))
    if groups and first_key:
        heading.append(f"  {first_key}: first in full", style="dim")
    rows = [heading]
    if not groups:
        rows.append(_line(("  no task in Error among the ", "dim"), (f"{digest.listed:,} listed", "dim")))
        return rows
    digits = len(f"{groups[0].count:,}")
    for number, group in enumerate(groups[:MAX_GROUPS_SHOWN]):
        what = _line(f"  {group.count:>{digits},}× ")
        what.append_text(literal(group.error_class or "(no error class)", 60, "red"))
        what.append("  ")
        if number == 0:  # the biggest group's message is read whole (it wraps, at most a few lines)
            indent = what.cell_len
            what.no_wrap = False
            what.append_text(literal(group.template, FIRST_MESSAGE_CHARS))
            whats = hang(what, indent, console, width)
        else:
            what.append_text(literal(group.template, 300))
            whats = [what]
        first = group.first
        where = _line(" " * (digits + 4), ("first: task ", "dim"), (str(first.id if first.id is not None else "?"), ""))
        if group.response_code is not None:
            where.append(f" · HTTP {group.response_code}", style="dim")
        if group.host:
            where.append(" from " if group.response_code is not None else " · ", style="dim")
            where.append_text(literal(group.host, 100, "dim"))
        if group.first_seen is not None:
            where.append(f" · at {group.first_seen.astimezone(UTC):%H:%M:%S} UTC", style="dim")
        if first.name:
            where.append(" · ", style="dim")
            where.append_text(literal(first.name, 60, "dim"))
        rows += [*whats, where]
    rest = groups[MAX_GROUPS_SHOWN:]
    if rest:
        more = plural(len(rest), "more group")
        rows.append(_line((f"  … {more} ({plural(sum(g.count for g in rest), 'task')}): t, then g lists all", "dim")))
    return rows


def workflow_rows(run: Run | None, known: Workflow | ZwrError | None, loading: bool) -> list[Text]:
    """The workflow the run belongs to: name, version, triggers, schedule, and its description;
    a definition that cannot be read is one quiet line (saying why), never an error panel."""
    if run is None or not run.original_workflow_id:
        return []
    number = literal(run.original_workflow_id, 30)
    if isinstance(known, Workflow):
        rows = [_line(("Workflow ", "bold"), literal(workflow_summary(known), 400))]
        if known.description:
            rows.append(_line(("         ", ""), literal(known.description, 300, "dim italic")))
        return rows
    if isinstance(known, ZwrError):
        text = Text.assemble(("Workflow ", "bold"), number, (": ", "dim"), literal(known.message, 400, "dim"))
        return [text]  # wraps: a 403 names the permission that is missing, which must not be cut off
    if loading:
        return [_line(("Workflow ", "bold"), number, ("  reading its definition…", "dim"))]
    return []


def message_rows(run: Run | None) -> list[Text]:
    """Zuora's ``messages`` for the run (production only), when there are any."""
    if run is None or not run.messages:
        return []
    lines = run.messages
    rows = [_line(("Messages ", "bold"), literal(lines[0], 300))]
    rows += [_line(("         ", ""), literal(line, 300)) for line in lines[1:MAX_MESSAGES_SHOWN]]
    if len(lines) > MAX_MESSAGES_SHOWN:
        rows.append(_line((f"         … {plural(len(lines) - MAX_MESSAGES_SHOWN, 'more line')} (j: the JSON)", "dim")))
    return rows
