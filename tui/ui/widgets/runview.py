"""The run detail: status badge, error groups, timing, task bars, workflow, progress, request metadata.

It shows one run, named by ``run_id``, and reads that run's state from the run book (and its
error groups and workflow definition from the why book) every time it renders: it holds no
copy, so it cannot show one run's numbers under another run's header. The header (ID, name,
status) sits above the scrolling body and is always visible; selecting another run scrolls the
body back to the top. The error groups come right under the status: why a run failed is the
first thing on screen, with no key pressed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Sparkline, Static

from tui.core.model import Phase
from tui.core.present import badge, fmt_duration, fmt_rate_limit, fmt_utc, is_stuck, local_time
from tui.poll.engine import RunUpdate
from tui.poll.runbook import RunBook
from tui.poll.whybook import WhyBook
from tui.ui.keys import BY_ID, show_keys
from tui.ui.safe import TONE_STYLES, literal
from tui.ui.widgets.bars import TaskBars
from tui.ui.widgets.whyview import error_rows, message_rows, workflow_rows

PHASE_WORD = {
    Phase.DONE: "ENDED",
    Phase.SETTLING: "SETTLING",
    Phase.ACTIVE: "ACTIVE",
    Phase.QUEUED: "QUEUED",
    Phase.STOPPING: "STOPPING",
    Phase.UNKNOWN: "UNKNOWN",
}
PROMPT = "Select a run (↑/↓), or press a to add run IDs."


def _key(rows: tuple[Text, ...]) -> tuple:
    return tuple((r.plain, tuple(r.spans), str(r.style)) for r in rows)


class RunDetail(Vertical):
    """Shows the run ``run_id`` as the book has it; ``tick`` moves the ages once a second."""

    DEFAULT_CLASSES = "run-detail"
    DEFAULT_CSS = """
    RunDetail #detail-title { height: 1; }
    RunDetail #detail-body { height: 1fr; }
    RunDetail #detail-body Static { height: auto; }
    RunDetail #detail-error { background: $error 15%; padding: 0 1; }
    RunDetail #detail-errors { margin-bottom: 1; }
    RunDetail #detail-sparkline { height: 2; }
    RunDetail #detail-meta { height: 1; }
    RunDetail TaskBars { height: auto; }
    """

    def __init__(self, book: RunBook, clock: Callable[[], datetime], why: WhyBook | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.book = book
        self.why = why
        self.clock = clock
        self.run_id: int | None = None
        self._shown: dict[str, tuple] = {}  # widget id -> what it shows: skip identical updates
        self._why_width = 0

    def compose(self) -> ComposeResult:
        yield Static(Text(PROMPT, style="dim"), id="detail-title")
        with VerticalScroll(id="detail-body"):
            yield Static("", id="detail-badge")
            yield Static("", id="detail-error")
            yield Static("", id="detail-errors")
            yield Static("", id="detail-timing")
            yield TaskBars(id="detail-bars")
            yield Static("", id="detail-workflow")
            yield Static("", id="detail-messages")
            yield Static("", id="detail-progress-label")
            yield Sparkline([], id="detail-sparkline")
        # below the scrolling body: how fresh the data is and the Request-Id are always in view
        # (toasts stay above it, app.tcss)
        yield Static("", id="detail-meta")

    def on_mount(self) -> None:
        self.render_run()  # a run may have been selected before the panel was composed

    @property
    def update_(self) -> RunUpdate | None:
        """The shown run's state, straight from the book."""
        return self.book.update(self.run_id) if self.run_id is not None else None

    # ------------------------------------------------------------------ entry points

    def show_run(self, run_id: int | None) -> None:
        """Show another run (or none): back to the top of the panel, everything re-rendered."""
        if run_id != self.run_id:
            self.run_id = run_id
            if self.is_mounted:
                self.query_one("#detail-body", VerticalScroll).scroll_home(animate=False)
        self.render_run()

    def render_run(self) -> None:
        """The shown run's data changed (or another run is shown): render every part."""
        if not self.is_mounted or not self.query("#detail-meta"):
            return  # not composed yet: on_mount renders
        update = self.update_
        self._render_title(update)
        self._render_badge(update)
        self._render_error()
        self.render_why()
        self._render_timing()
        no_run = update is not None and update.run is None and update.error is not None
        self.query_one(TaskBars).show(
            update.run.tasks if update and update.run else None,
            "Tasks: unknown (the run could not be read)" if no_run else "",  # not "waiting": nothing is coming
        )
        self._put_optional("detail-messages", *message_rows(update.run if update else None))
        self._render_progress()
        self._render_meta()

    def render_why(self) -> None:
        """The shown run's error groups or its workflow's definition changed (or the run did)."""
        if not self.is_mounted or not self.query("#detail-meta"):
            return
        update = self.update_
        run = update.run if update else None
        why = self.why
        if why is None or run is None or self.run_id is None:
            self._put_optional("detail-errors")
            self._put_optional("detail-workflow")
            return
        rows = error_rows(
            run,
            why.digest(self.run_id),
            why.loading(self.run_id),
            why.listed_at(self.run_id),
            self.app.console,
            self._body_width(),
            show_keys(BY_ID["first-error"], getattr(self.app, "keymap", None)),
        )
        self._put_optional("detail-errors", *rows)
        workflow_id = run.original_workflow_id
        self._put_optional(
            "detail-workflow", *workflow_rows(run, why.workflow(workflow_id), why.workflow_loading(workflow_id))
        )

    def touch(self) -> None:
        """The shown run was fetched again with nothing new: only the ages move."""
        if self.is_mounted and self.query("#detail-meta"):
            self._render_error()
            self._render_meta()

    def tick(self) -> None:
        """A second passed: repaint the clock-dependent lines that changed."""
        if self.is_mounted and self.display and self.query("#detail-meta"):
            self._render_error()
            self._render_timing()
            self._render_meta()

    # ------------------------------------------------------------------ parts

    def _put(self, widget_id: str, *rows: Text) -> None:
        """Update a part only if what it shows changed; ask for a (costly, whole-screen) layout
        pass only if its height may have changed."""
        key = _key(rows)
        if self._shown.get(widget_id) == key:
            return
        self._shown[widget_id] = key
        widget = self.query_one(f"#{widget_id}", Static)
        width = widget.size.width
        console = self.app.console
        lines = sum(len(row.wrap(console, width)) for row in rows) if width else -1
        # a layout pass (whole screen) only if the laid-out height is not the one the new text
        # needs at the current width (or the part is not laid out yet)
        layout = lines != widget.size.height
        renderable = Group(*rows) if len(rows) != 1 else rows[0]
        widget.update(renderable if rows else "", layout=layout)

    def _body_width(self) -> int:
        """Cells a line of the body has (0 before the first layout): the panel's, less the
        body's scrollbar (always: it comes and goes with the content, which must not re-wrap)."""
        body = self.query_one("#detail-body", VerticalScroll)
        return max(0, self.content_region.width - body.scrollbar_size_vertical)

    def on_resize(self) -> None:
        if self.query("#detail-meta"):
            self._render_meta()  # its wording depends on the width
        if self._why_width != self._body_width():
            self._why_width = self._body_width()
            self.render_why()  # the biggest group's message is wrapped to the width

    def _put_optional(self, widget_id: str, *rows: Text) -> None:
        """A part shown only when it has something to say (an empty Static still takes a line)."""
        widget = self.query_one(f"#{widget_id}", Static)
        if widget.display != bool(rows):
            widget.display = bool(rows)
        self._put(widget_id, *rows)

    def _render_title(self, update: RunUpdate | None) -> None:
        if self.run_id is None:
            self._put("detail-title", Text(PROMPT, style="dim"))
            return
        run = update.run if update else None
        title = Text.assemble(("Run ", "bold"), (str(self.run_id), "bold"))
        if run is not None:
            b = badge(run)
            word = b.label if b.tone != "unknown" else printable_status(run.status_raw)
            title.append("  ")
            title.append_text(literal(f"{b.symbol} {word}", 60, TONE_STYLES.get(b.tone, "")))
            if run.name:
                title.append("  ")
                title.append_text(literal(run.name, 120, "bold"))
        elif update is not None and update.error is not None:
            title.append("  ⚠ no data", style="bold red")
        else:
            title.append("  loading…", style="dim")
        label = self.book.label(self.run_id)
        if self.book.is_bookmarked(self.run_id):
            title.append("  ★ ", style="yellow")
            title.append_text(literal(label, 60, "italic"))
        if run is not None and run.original_workflow_id:
            title.append("  workflow ", style="dim")
            title.append_text(literal(run.original_workflow_id, 30, "dim"))
        title.no_wrap, title.overflow = True, "ellipsis"  # one line: ID and status always show
        self._put("detail-title", title)

    def _render_badge(self, update: RunUpdate | None) -> None:
        run = update.run if update else None
        if run is None:
            loading = update is not None and update.error is None
            self._put("detail-badge", *([Text("Loading…", style="dim")] if loading else []))
            return
        b = badge(run)
        if b.tone == "unknown":
            line = Text.assemble(
                (" ? ", f"reverse {TONE_STYLES['unknown']}"),
                " ",
                literal(run.status_label, 60, TONE_STYLES["unknown"]),
                "  ",
                ("UNKNOWN", "bold"),
            )
        else:
            line = Text.assemble(
                (f" {b.symbol} {b.label} ", f"reverse {TONE_STYLES.get(b.tone, '')}"),
                "  ",
                (PHASE_WORD[run.phase], "bold"),
                "  ",
                (b.detail, TONE_STYLES.get(b.tone, "")),
            )
        self._put("detail-badge", line)

    def _render_error(self) -> None:
        update = self.update_
        widget = self.query_one("#detail-error", Static)
        if update is None or update.error is None:
            if widget.display:
                widget.display = False
            self._put("detail-error")
            return
        if not widget.display:
            widget.display = True
        error = update.error
        text = Text.assemble(("⚠ ", "bold red"), ("Last poll failed: ", "bold red"))
        text.append_text(literal(error.describe(), 600))
        if update.run is not None:
            text.append("\n  Showing the last good data (stale).", style="yellow")
        if update.polling and update.next_poll_at is not None:
            wait = max(0.0, update.next_poll_at - self.clock().timestamp())
            text.append(f"  Retrying in {wait:.0f}s.", style="yellow")
        elif update.polling and update.next_poll_in is not None:
            text.append(f"  Retrying in {update.next_poll_in:.0f}s.", style="yellow")
        elif not update.polling:
            text.append("  Polling stopped for this run: press r to retry.", style="yellow")
        self._put("detail-error", text)

    def _render_timing(self) -> None:
        update = self.update_
        if update is None or update.run is None:
            self._put("detail-timing")
            return
        run = update.run
        now: datetime = self.clock()
        rows = [
            Text.assemble(("Created  ", "bold"), *_moment(run.created_at)),
            Text.assemble(
                ("Updated  ", "bold"),
                *_moment(run.updated_at),
                (f"  {fmt_duration(run.since_update(now))} ago", "dim"),
            ),
            Text.assemble(("Finished ", "bold"), *_moment(run.finished_at))
            if run.finished_at
            else Text.assemble(("Finished ", "bold"), ("— not finished", "dim")),
            Text.assemble(
                ("Elapsed  ", "bold"),
                (fmt_duration(run.elapsed(now)), "bold cyan" if not run.terminal else ""),
                ("   runTime ", "bold"),
                fmt_duration(run.run_time),
                ("   cpuTime ", "bold"),
                literal(run.cpu_time, 20) if run.cpu_time is not None else Text("—"),
            ),
        ]
        # always a fifth line (blank when all is well), so switching runs never changes the
        # panel's height: a height change costs a whole-screen layout pass
        notes = []
        if is_stuck(run, now):
            notes.append(f"⚠ No update for {fmt_duration(run.since_update(now))}: this run may be stuck.")
        notes += [f"⚠ {a}" for a in run.anomalies if not a.startswith("task")]
        note = literal("  ".join(notes), 300, "bold yellow" if is_stuck(run, now) else "yellow")
        note.no_wrap, note.overflow = True, "ellipsis"
        rows.append(note)
        self._put("detail-timing", *rows)

    def _render_progress(self) -> None:
        update = self.update_
        spark = self.query_one(Sparkline)
        if update is None or update.run is None:
            self._put("detail-progress-label")
            if spark.data:
                spark.data = []
            return
        parts = [("Progress this session ", "bold")]
        if update.rate:
            parts.append((f"{update.rate * 60:,.1f} tasks/min", ""))
            if update.eta is not None and not update.run.terminal:
                parts.append((f"  ETA {fmt_duration(update.eta)}", "cyan"))
        elif update.run.terminal:
            parts.append(("(run ended)", "dim"))
        else:
            parts.append(("(measuring…)", "dim"))
        self._put("detail-progress-label", Text.assemble(*parts))
        data = list(update.history) if len(update.history) > 1 else []
        if spark.data != data:
            spark.data = data  # always displayed (empty: blank): toggling it would cost a layout pass

    def _render_meta(self) -> None:
        update = self.update_
        if update is None:
            self._put("detail-meta")
            return
        parts: list[tuple[str, str] | Text] = []
        # Three widths: why a number is old ("ended, not polling") must show at 80 columns, and the
        # whole Request-Id (for Zuora support) at 60 (a new user saw "… ended:" cut at 80).
        width = self.query_one("#detail-meta").size.width
        narrow, compact = 0 < width < 72, 0 < width < 100
        if update.fetched_at is not None:
            age = max(0.0, self.clock().timestamp() - update.fetched_at)
            parts.append((f"{'' if compact else 'fetched '}{fmt_duration(age)} ago", "dim"))
        state: str | None = None
        if update.polling and update.error is None and update.run is not None:
            state = "  polling"
        elif update.run is not None and update.run.phase.terminal and update.error is None:
            state = "  ended" if narrow else "  ended, not polling" if compact else "  ended: not polling (r refreshes)"
        if state and not narrow:
            parts.append((state, "dim"))
        if update.meta is not None and update.meta.request_id:
            parts.append(("  Request-Id " if compact else "  Zuora-Request-Id ", "dim"))
            parts.append(literal(update.meta.request_id, 64))
        if state and narrow:
            parts.append((state, "dim"))
        if update.meta is not None:
            rl = update.meta.rate_limit
            left = fmt_rate_limit(rl)
            if rl is not None and left is not None:
                parts.append((f"  rate limit {left}", "yellow" if (rl.fraction_left or 1) < 0.1 else "dim"))
        line = Text.assemble(*parts)
        line.no_wrap, line.overflow = True, "ellipsis"  # one line, always in view
        self._put("detail-meta", *([line] if parts else []))


def _moment(moment: datetime | None) -> list[str | tuple[str, str]]:
    """ "2019-09-10 19:32:21 UTC  (2019-09-10 21:32:21 CEST)": UTC, and local time unless it is UTC."""
    local = local_time(moment)
    return [fmt_utc(moment), *([("  (", "dim"), (local, "dim"), (")", "dim")] if local else [])]


def printable_status(raw: str | None) -> str:
    return raw if raw else "no status"
