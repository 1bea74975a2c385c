"""The watchlist: a sortable, filterable table of every watched run, one row per run."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import DataTable

from tui.core.present import badge, fmt_duration, is_stuck
from tui.core.text import printable
from tui.poll.engine import RunUpdate
from tui.ui.safe import TONE_STYLES, literal
from tui.ui.widgets.bars import stacked_bar

COLUMNS = (("id", "ID"), ("status", "Status"), ("progress", "Tasks done"), ("errors", "Err"),
           ("elapsed", "Elapsed"), ("name", "Name / label"))
WIDTHS = {"id": 8, "status": 13, "progress": 18, "errors": 5, "elapsed": 8, "name": 20}
SORTS = ("added", "status", "errors", "elapsed", "id")
STATUS_ORDER = {"error": 0, "warning": 1, "active": 2, "queued": 3, "unknown": 4, "ok": 5}


def compact(n: int) -> str:
    """12 -> "12", 3800 -> "3800", 12000 -> "12.0k", 2500000 -> "2.5M": fits a narrow column."""
    if n < 10_000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f}k"
    return f"{n / 1_000_000:.1f}M"


class Watchlist(DataTable):
    DEFAULT_CLASSES = "watchlist"

    def __init__(self, clock, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.clock = clock
        self.updates: dict[int, RunUpdate] = {}
        self.labels: dict[int, str] = {}
        self.order: list[int] = []
        self.filter_text = ""
        self.sort_mode = "added"

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key, width=WIDTHS[key])

    def on_resize(self, event) -> None:
        """The name column takes whatever width the fixed columns leave."""
        fixed = sum(w for k, w in WIDTHS.items() if k != "name") + 2 * len(COLUMNS) + 2
        column = self.columns.get("name")  # type: ignore[call-overload]
        if column is not None:
            column.width = max(10, event.size.width - fixed)
            column.auto_width = False
            self._require_update_dimensions = True
            self.refresh()

    # ------------------------------------------------------------------ data

    def _cells(self, run_id: int) -> list[Text]:
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
        status = Text(f"{b.symbol} {b.label if b.tone != 'unknown' else printable(run.status_label, 20)}",
                      style=TONE_STYLES.get(b.tone, ""))
        if update.stale or is_stuck(run, now):
            status.append(" ⚠", style="bold yellow")
        t = run.tasks
        progress = stacked_bar(t, 6) if t.effective_total else Text("·" * 6, style="dim")
        progress.append(f" {compact(t.done)}/{compact(t.effective_total)}")
        errors = Text(f"{t.error:,}", style="bold red" if t.error else "dim")
        name = literal(label or run.name or "", 40)
        return [ident, status, progress, errors, Text(fmt_duration(run.elapsed(now))), name]

    def upsert(self, update: RunUpdate) -> None:
        run_id = update.run_id
        self.updates[run_id] = update
        if run_id not in self.order:
            self.order.append(run_id)
            if self._matches(run_id):
                self.add_row(*self._cells(run_id), key=str(run_id))
            return
        if str(run_id) in self.rows:
            for (key, _), value in zip(COLUMNS, self._cells(run_id)):
                self.update_cell(str(run_id), key, value)
        elif self._matches(run_id):
            self.add_row(*self._cells(run_id), key=str(run_id))

    def add_placeholder(self, run_id: int) -> None:
        if run_id not in self.order:
            self.upsert(RunUpdate(run_id, None, None, None, True, None, None))

    def remove(self, run_id: int) -> None:
        self.updates.pop(run_id, None)
        if run_id in self.order:
            self.order.remove(run_id)
        if str(run_id) in self.rows:
            self.remove_row(str(run_id))

    def set_label(self, run_id: int, label: str | None) -> None:
        if label:
            self.labels[run_id] = label
        else:
            self.labels.pop(run_id, None)
        if str(run_id) in self.rows:
            for (key, _), value in zip(COLUMNS, self._cells(run_id)):
                self.update_cell(str(run_id), key, value)

    def tick(self) -> None:
        """Refresh the clock columns of runs that are not over (cheap: two cells per active row)."""
        for run_id, update in self.updates.items():
            if update.run and not update.run.terminal and str(run_id) in self.rows:
                cells = self._cells(run_id)
                self.update_cell(str(run_id), "status", cells[1])
                self.update_cell(str(run_id), "elapsed", cells[4])

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
        current = self.selected_run_id()
        self.clear()
        for run_id in sorted((r for r in self.order if self._matches(r)), key=self._sort_key):
            self.add_row(*self._cells(run_id), key=str(run_id))
        if current is not None and str(current) in self.rows:
            self.move_cursor(row=self.get_row_index(str(current)))

    def set_filter(self, text: str) -> None:
        self.filter_text = text
        self.rebuild()

    def cycle_sort(self) -> str:
        self.sort_mode = SORTS[(SORTS.index(self.sort_mode) + 1) % len(SORTS)]
        self.rebuild()
        return self.sort_mode

    def selected_run_id(self) -> int | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key((self.cursor_row, 0)).row_key.value
        except Exception:  # noqa: BLE001 - no row under the cursor
            return None
        return int(key) if key else None

    def select_run(self, run_id: int) -> None:
        if str(run_id) in self.rows:
            self.move_cursor(row=self.get_row_index(str(run_id)))
