"""The watchlist: one row per watched run, rendered from the run book, sortable and filterable.

It keeps no run data of its own: the rows (which runs, in which order) are derived from the
book, the sort mode and the filter text, and each row's cells are built from the book when
the row is painted. The markers that matter (⚠ for stale, stuck or odd counts; the error
count) are never cut: the status word is shortened instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text

from tui.core.present import badge, fmt_duration, is_stuck
from tui.core.text import printable
from tui.poll.engine import RunUpdate
from tui.poll.runbook import BookChange, RunBook
from tui.ui.safe import TONE_STYLES, literal
from tui.ui.widgets.bars import stacked_bar
from tui.ui.widgets.linetable import Column, LineTable, fit

STATUS_WIDTH = 16  # "⚠ internal error", "▶ Processing ⚠" fit whole at 80 columns
COLUMNS = (
    Column("id", "ID", 8),
    Column("status", "Status", STATUS_WIDTH),
    Column("progress", "Tasks done", 18),
    Column("errors", "Err", 5),
    Column("elapsed", "Elapsed", 8),
    Column("name", "Name / label"),
)
SORTS = ("added", "status", "errors", "elapsed", "id")
STATUS_ORDER = {"error": 0, "warning": 1, "active": 2, "queued": 3, "unknown": 4, "ok": 5}
NO_DATA_RANK = 8
ERROR_WORDS = {  # short enough for the status column with the ⚠ in front
    "server": "server error",
    "rate_limited": "rate limited",
    "not_found": "not found",
    "permission": "no access",
    "auth": "auth failed",
    "timeout": "timeout",
    "network": "network",
    "bad_response": "bad reply",
    "bad_input": "bad input",
    "internal": "internal error",
}
MARKER = " ⚠"


def compact(n: int) -> str:
    """12 -> "12", 3800 -> "3800", 12000 -> "12.0k", 2500000 -> "2.5M": fits a narrow column."""
    if n < 10_000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f}k"
    if n < 1_000_000_000:
        return f"{n / 1_000_000:.1f}M"
    return ">1G"


def error_word(kind: str) -> str:
    return ERROR_WORDS.get(kind, printable(kind.replace("_", " "), 20))


def flagged(update: RunUpdate, now: datetime) -> bool:
    """Whether the row carries ⚠: stale data, a stuck run, or task counts that do not add up."""
    run = update.run
    if run is None:
        return False
    return update.stale or is_stuck(run, now) or any(a.startswith("task") for a in run.anomalies)


def status_cell(update: RunUpdate | None, now: datetime) -> Text:
    run = update.run if update else None
    if run is None:
        if update is not None and update.error is not None:
            return fit(Text(f"⚠ {error_word(update.error.kind)}", style="bold red"), None, STATUS_WIDTH)
        return Text("… loading", style="dim")
    b = badge(run)
    word = b.label if b.tone != "unknown" else printable(run.status_raw or "no status", 40)
    head = Text(f"{b.symbol} {word}", style=TONE_STYLES.get(b.tone, ""))
    return fit(head, Text(MARKER, style="bold yellow") if flagged(update, now) else None, STATUS_WIDTH)


def row_cells(run_id: int, update: RunUpdate | None, label: str | None, now: datetime) -> list[Text]:
    """The cells of one run's row. ``label``: None if not bookmarked, else the bookmark's label."""
    ident = Text(str(run_id), style="bold")
    if label is not None:
        ident.append(" ★", style="yellow")
    run = update.run if update else None
    status = status_cell(update, now)
    if run is None:
        return [ident, status, Text(""), Text(""), Text(""), literal(label or "", 60, "italic")]
    t = run.tasks
    progress = stacked_bar(t, 6) if t.effective_total else Text("·" * 6, style="dim")
    progress.append(f" {compact(t.done)}/{compact(t.effective_total)}")
    errors = Text(compact(t.error), style="bold red" if t.error else "dim")
    name = literal(label or run.name or "", 60)
    return [ident, status, progress, errors, Text(fmt_duration(run.elapsed(now))), name]


def sort_key(mode: str, run_id: int, update: RunUpdate | None, position: int, now: datetime) -> tuple:
    run = update.run if update else None
    if mode == "id":
        return (run_id,)
    if mode == "errors":
        return (-(run.tasks.error if run else 0), run_id)
    if mode == "elapsed":
        return (-(run.elapsed(now) or 0) if run else 0, run_id)
    if mode == "status":
        if run is None:
            rank = STATUS_ORDER["error"] if update is not None and update.error is not None else NO_DATA_RANK
        else:
            rank = STATUS_ORDER.get(badge(run).tone, NO_DATA_RANK)
        return (rank, run_id)
    return (position,)


def matches(needle: str, run_id: int, update: RunUpdate | None, label: str) -> bool:
    needle = needle.strip().lower()
    if not needle:
        return True
    run = update.run if update else None
    haystack = [str(run_id), label]
    if run is not None:
        b = badge(run)
        haystack += [run.name or "", run.status_label, b.label]
        if needle in ("error", "errors", "failed") and run.tasks.error:
            return True
    return any(needle in h.lower() for h in haystack)


class Watchlist(LineTable):
    DEFAULT_CLASSES = "watchlist"
    DATA_SORTS = frozenset({"status", "errors", "elapsed"})

    def __init__(self, book: RunBook, clock: Callable[[], datetime], **kwargs) -> None:
        super().__init__(COLUMNS, **kwargs)
        self.book = book
        self.clock = clock
        self.filter_text = ""
        self.sort_mode = "added"

    # ------------------------------------------------------------------ rows from the book

    def _row_cells(self, key: str) -> list[Text]:
        run_id = int(key)
        book = self.book
        label = book.label(run_id) if book.is_bookmarked(run_id) else None
        return row_cells(run_id, book.update(run_id), label, self.clock())

    def ordered_ids(self) -> list[int]:
        """The runs this list should show, in order: the book's runs, filtered and sorted."""
        book, now = self.book, self.clock()
        ids = [r for r in book.ids() if matches(self.filter_text, r, book.update(r), book.label(r))]
        if self.sort_mode != "added":
            position = {r: i for i, r in enumerate(book.ids())}
            ids.sort(key=lambda r: sort_key(self.sort_mode, r, book.update(r), position[r], now))
        return ids

    def rebuild(self) -> None:
        """Re-derive the rows (after a filter or sort change), keeping the cursor on the same run."""
        self.set_rows([str(r) for r in self.ordered_ids()], self._row_cells)

    def set_rows(self, keys, factory) -> None:
        self.empty_text = self._why_empty()
        super().set_rows(keys, factory)

    def _why_empty(self) -> str:
        """An empty list says why: nothing watched yet, or a filter that hides every run."""
        if not self.book.ids():
            return "No runs watched: press a to add run IDs."
        if self.filter_text.strip():
            shown = self.filter_text.strip()[:30]
            return f"No watched run matches “{shown}”: esc clears the filter."
        return ""

    def apply_change(self, change: BookChange) -> None:
        """The book changed: re-derive the order if it may have moved, repaint changed rows."""
        data_dependent = bool(self.filter_text.strip()) or self.sort_mode in self.DATA_SORTS
        if change.membership or (data_dependent and (change.runs or change.bookmarks)):
            keys = [str(r) for r in self.ordered_ids()]
            if keys != self._keys:
                self.set_rows(keys, self._row_cells)
                return
        self.refresh_rows(str(r) for r in change.runs)

    def tick(self) -> None:
        """A second passed: repaint the visible rows whose clock-dependent cells changed."""
        if self.sort_mode == "elapsed":
            keys = [str(r) for r in self.ordered_ids()]
            if keys != self._keys:
                self.set_rows(keys, self._row_cells)
                return
        first, last = self.visible_rows()
        self.refresh_changed(self._keys[first:last])

    # ------------------------------------------------------------------ filter, sort, selection

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
