"""The watchlist: a sortable, filterable table of every watched run, one row per run."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from tui.core.present import badge, fmt_duration, is_stuck
from tui.core.text import printable
from tui.poll.engine import RunUpdate
from tui.ui.safe import TONE_STYLES, literal
from tui.ui.widgets.bars import stacked_bar
from tui.ui.widgets.linetable import Column, LineTable

COLUMNS = (
    Column("id", "ID", 8),
    Column("status", "Status", 13),
    Column("progress", "Tasks done", 18),
    Column("errors", "Err", 5),
    Column("elapsed", "Elapsed", 8),
    Column("name", "Name / label"),
)
SORTS = ("added", "status", "errors", "elapsed", "id")
STATUS_ORDER = {"error": 0, "warning": 1, "active": 2, "queued": 3, "unknown": 4, "ok": 5}


def compact(n: int) -> str:
    """12 -> "12", 3800 -> "3800", 12000 -> "12.0k", 2500000 -> "2.5M": fits a narrow column."""
    if n < 10_000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f}k"
    return f"{n / 1_000_000:.1f}M"


class Watchlist(LineTable):
    DEFAULT_CLASSES = "watchlist"

    def __init__(self, clock, **kwargs) -> None:
        super().__init__(COLUMNS, **kwargs)
        self.clock = clock
        self.updates: dict[int, RunUpdate] = {}
        self.labels: dict[int, str] = {}
        self.order: list[int] = []
        self.filter_text = ""
        self.sort_mode = "added"

    # ------------------------------------------------------------------ data

    def _row_cells(self, run_id: int) -> list[Text]:
        update = self.updates.get(run_id)
        now: datetime = self.clock()
        label = self.labels.get(run_id)
        ident = Text(str(run_id), style="bold")
        if label:
            ident.append(" ★", style="yellow")
        run = update.run if update else None
        if run is None:
            if update is not None and update.error is not None:
                status = Text(f"⚠ {update.error.kind.replace('_', ' ')}", style="bold red")
            else:
                status = Text("… loading", style="dim")
            return [ident, status, Text(""), Text(""), Text(""), literal(label or "", 40, "italic")]
        b = badge(run)
        status = Text(
            f"{b.symbol} {b.label if b.tone != 'unknown' else printable(run.status_label, 20)}",
            style=TONE_STYLES.get(b.tone, ""),
        )
        if update.stale or is_stuck(run, now):
            status.append(" ⚠", style="bold yellow")
        t = run.tasks
        progress = stacked_bar(t, 6) if t.effective_total else Text("·" * 6, style="dim")
        progress.append(f" {compact(t.done)}/{compact(t.effective_total)}")
        errors = Text(f"{t.error:,}", style="bold red" if t.error else "dim")
        name = literal(label or run.name or "", 60)
        return [ident, status, progress, errors, Text(fmt_duration(run.elapsed(now))), name]

    def upsert(self, update: RunUpdate) -> None:
        run_id = update.run_id
        self.updates[run_id] = update
        if run_id not in self.order:
            self.order.append(run_id)
            if self._matches(run_id):
                self.add_row(str(run_id), self._row_cells(run_id))
            return
        if str(run_id) in self:
            self.update_row(str(run_id), self._row_cells(run_id))
        elif self._matches(run_id):
            self.add_row(str(run_id), self._row_cells(run_id))

    def add_placeholder(self, run_id: int) -> None:
        if run_id not in self.order:
            self.upsert(RunUpdate(run_id, None, None, None, True, None, None))

    def remove(self, run_id: int) -> None:
        self.updates.pop(run_id, None)
        if run_id in self.order:
            self.order.remove(run_id)
        self.remove_row(str(run_id))

    def set_label(self, run_id: int, label: str | None) -> None:
        if label:
            self.labels[run_id] = label
        else:
            self.labels.pop(run_id, None)
        self.update_row(str(run_id), self._row_cells(run_id))

    def tick(self) -> None:
        """Refresh the clock-dependent cells of runs that are not over."""
        for run_id, update in self.updates.items():
            if update.run and not update.run.terminal and str(run_id) in self:
                self.update_row(str(run_id), self._row_cells(run_id))

    # ------------------------------------------------------------------ filter and sort

    def _matches(self, run_id: int) -> bool:
        needle = self.filter_text.strip().lower()
        if not needle:
            return True
        update = self.updates.get(run_id)
        run = update.run if update else None
        haystack = [str(run_id), self.labels.get(run_id, "")]
        if run is not None:
            b = badge(run)
            haystack += [run.name or "", run.status_label, b.label, b.detail]
            if needle in ("error", "errors", "failed") and run.tasks.error:
                return True
        return any(needle in h.lower() for h in haystack)

    def _sort_key(self, run_id: int):
        update = self.updates.get(run_id)
        run = update.run if update else None
        if self.sort_mode == "id":
            return (run_id,)
        if self.sort_mode == "errors":
            return (-(run.tasks.error if run else 0), run_id)
        if self.sort_mode == "elapsed":
            return (-(run.elapsed(self.clock()) or 0) if run else 0, run_id)
        if self.sort_mode == "status":
            return (STATUS_ORDER.get(badge(run).tone, 9) if run else 8, run_id)
        return (self.order.index(run_id),)

    def rebuild(self) -> None:
        """Re-create the rows after a filter or sort change, keeping the cursor on the same run."""
        ids = sorted((r for r in self.order if self._matches(r)), key=self._sort_key)
        self.set_rows((str(r), self._row_cells(r)) for r in ids)

    def set_filter(self, text: str) -> None:
        self.filter_text = text
        self.rebuild()

    def cycle_sort(self) -> str:
        self.sort_mode = SORTS[(SORTS.index(self.sort_mode) + 1) % len(SORTS)]
        self.rebuild()
        return self.sort_mode

    def selected_run_id(self) -> int | None:
        key = self.cursor_key
        return int(key) if key else None

    def select_run(self, run_id: int) -> None:
        self.move_to_key(str(run_id))
