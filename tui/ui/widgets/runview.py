"""The run detail: status badge, timing, task bars, progress history and request metadata."""

from __future__ import annotations

from datetime import datetime

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Sparkline, Static

from tui.core.model import Phase
from tui.core.present import badge, fmt_duration, fmt_local, fmt_utc, is_stuck
from tui.poll.engine import RunUpdate
from tui.ui.safe import TONE_STYLES, literal
from tui.ui.widgets.bars import TaskBars

PHASE_WORD = {
    Phase.DONE: "ENDED",
    Phase.SETTLING: "SETTLING",
    Phase.ACTIVE: "ACTIVE",
    Phase.QUEUED: "QUEUED",
    Phase.STOPPING: "STOPPING",
    Phase.UNKNOWN: "UNKNOWN",
}


class RunDetail(VerticalScroll):
    """Shows one ``RunUpdate``; ticks the clock-dependent lines once a second while active."""

    DEFAULT_CLASSES = "run-detail"

    def __init__(self, clock, **kwargs) -> None:
        super().__init__(**kwargs)
        self.clock = clock
        self.update_: RunUpdate | None = None
        self.label = ""

    def compose(self) -> ComposeResult:
        yield Static(Text("Select a run (↑/↓), or press a to add run IDs.", style="dim"), id="detail-title")
        yield Static("", id="detail-badge")
        yield Static("", id="detail-error")
        yield Static("", id="detail-timing")
        yield TaskBars(id="detail-bars")
        yield Static("", id="detail-progress-label")
        yield Sparkline([], id="detail-sparkline")
        yield Static("", id="detail-meta")

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)
        self.call_after_refresh(lambda: self.show(self.update_, self.label))  # state that arrived early

    def _put(self, widget: Static, *rows: Text) -> None:
        """Update a panel; ask for a (costly, whole-screen) layout pass only if its height changes."""
        width = max(1, widget.size.width or self.size.width or 80)
        lines = sum(max(1, -(-row.cell_len // width)) for row in rows) if rows else 0
        changed = getattr(widget, "_zwr_lines", None) != lines
        widget._zwr_lines = lines  # type: ignore[attr-defined]
        widget.update(Group(*rows) if len(rows) != 1 else rows[0], layout=changed)

    def _tick(self) -> None:
        if not self.query("#detail-meta"):
            return
        update = self.update_
        if update and update.run and not update.run.phase.terminal and self.display:
            self._render_timing()
            self._render_meta()

    def show(self, update: RunUpdate | None, label: str = "") -> None:
        self.update_ = update
        self.label = label
        if not self.query("#detail-meta"):
            return  # not composed yet (the watchlist can announce a selection first): on_mount renders it
        if update is None:
            self.query_one("#detail-title", Static).update(
                Text("Select a run (↑/↓), or press a to add run IDs.", style="dim")
            )
            for name in ("#detail-badge", "#detail-error", "#detail-timing", "#detail-progress-label", "#detail-meta"):
                self.query_one(name, Static).update("")
            self.query_one(TaskBars).show(None)
            self.query_one(Sparkline).data = []
            return
        run = update.run
        title = Text.assemble(("Run ", "bold"), (str(update.run_id), "bold"))
        if run is not None and run.name:
            title.append("  ")
            title.append_text(literal(run.name, 120, "bold"))
        if label:
            title.append("  ★ ", style="yellow")
            title.append_text(literal(label, 60, "italic"))
        if run is not None and run.original_workflow_id:
            title.append("  workflow ", style="dim")
            title.append_text(literal(run.original_workflow_id, 30, "dim"))
        self.query_one("#detail-title", Static).update(title)
        if run is not None:
            b = badge(run)
            line = Text.assemble(
                (
                    f" {b.symbol} {run.status_label if b.tone == 'unknown' else b.label} ",
                    f"reverse {TONE_STYLES.get(b.tone, '')}",
                ),
                "  ",
                (PHASE_WORD[run.phase], "bold"),
                "  ",
                (b.detail, TONE_STYLES.get(b.tone, "")),
            )
            if b.tone == "unknown":
                line = Text.assemble(
                    (" ? ", f"reverse {TONE_STYLES['unknown']}"),
                    " ",
                    literal(run.status_label, 60, TONE_STYLES["unknown"]),
                    "  ",
                    ("UNKNOWN", "bold"),
                )
            self.query_one("#detail-badge", Static).update(line)
        else:
            self.query_one("#detail-badge", Static).update(
                Text("Loading…", style="dim") if update.error is None else ""
            )
        self._render_error()
        self._render_timing()
        self.query_one(TaskBars).show(run.tasks if run else None)
        self._render_progress()
        self._render_meta()

    def _render_error(self) -> None:
        update = self.update_
        widget = self.query_one("#detail-error", Static)
        if update is None or update.error is None:
            widget.update("")
            widget.display = False
            return
        widget.display = True
        error = update.error
        text = Text.assemble(("⚠ ", "bold red"), ("Last poll failed: ", "bold red"))
        text.append_text(literal(error.describe(), 600))
        if update.run is not None:
            text.append("\n  Showing the last good data (stale).", style="yellow")
        if update.polling and update.next_poll_in is not None:
            text.append(f"  Retrying in {update.next_poll_in:.0f}s.", style="yellow")
        elif not update.polling:
            text.append("  Polling stopped for this run: press r to retry.", style="yellow")
        widget.update(text)

    def _render_timing(self) -> None:
        update = self.update_
        widget = self.query_one("#detail-timing", Static)
        if update is None or update.run is None:
            widget.update("")
            return
        run = update.run
        now: datetime = self.clock()
        rows = [
            Text.assemble(
                ("Created  ", "bold"),
                fmt_utc(run.created_at),
                ("  (", "dim"),
                (fmt_local(run.created_at), "dim"),
                (")", "dim"),
            ),
            Text.assemble(
                ("Updated  ", "bold"),
                fmt_utc(run.updated_at),
                ("  (", "dim"),
                (fmt_local(run.updated_at), "dim"),
                (f")  {fmt_duration(run.since_update(now))} ago", "dim"),
            ),
            Text.assemble(
                ("Finished ", "bold"),
                fmt_utc(run.finished_at),
                ("  (", "dim"),
                (fmt_local(run.finished_at), "dim"),
                (")", "dim"),
            )
            if run.finished_at
            else Text.assemble(("Finished ", "bold"), ("— not finished", "dim")),
            Text.assemble(
                ("Elapsed  ", "bold"),
                (fmt_duration(run.elapsed(now)), "bold cyan" if not run.terminal else ""),
                ("   runTime ", "bold"),
                fmt_duration(run.run_time),
                ("   cpuTime ", "bold"),
                run.cpu_time[:20] if run.cpu_time is not None else "—",
            ),
        ]
        if is_stuck(run, now):
            rows.append(
                Text(
                    f"⚠ No update for {fmt_duration(run.since_update(now))}: this run may be stuck.",
                    style="bold yellow",
                )
            )
        for anomaly in [a for a in run.anomalies if not a.startswith("task")][:3]:
            rows.append(literal(f"⚠ {anomaly}", 120, "yellow"))
        self._put(widget, *rows)

    def _render_progress(self) -> None:
        update = self.update_
        label = self.query_one("#detail-progress-label", Static)
        spark = self.query_one(Sparkline)
        if update is None or update.run is None:
            label.update("")
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
        label.update(Text.assemble(*parts))
        spark.data = list(update.history) if len(update.history) > 1 else []
        spark.display = len(update.history) > 1

    def _render_meta(self) -> None:
        update = self.update_
        widget = self.query_one("#detail-meta", Static)
        if update is None:
            widget.update("")
            return
        parts: list[tuple[str, str] | Text] = []
        if update.fetched_at is not None:
            age = max(0.0, self.clock().timestamp() - update.fetched_at)
            parts.append((f"fetched {fmt_duration(age)} ago", "dim"))
        if update.polling and update.next_poll_in is not None:
            parts.append(("  polling", "dim"))
        elif update.run is not None and update.run.phase.terminal:
            parts.append(("  ended: not polling (r refreshes)", "dim"))
        if update.meta is not None:
            if update.meta.request_id:
                parts.append(("  Zuora-Request-Id ", "dim"))
                parts.append(literal(update.meta.request_id, 64))
            rl = update.meta.rate_limit
            if rl is not None and rl.remaining is not None:
                parts.append(
                    (
                        f"  rate limit {rl.remaining:,}/{rl.limit or '?'} left",
                        "yellow" if (rl.fraction_left or 1) < 0.1 else "dim",
                    )
                )
        self._put(widget, Text.assemble(*parts))
