"""Task-count bars: one stacked bar of every state, and one bar per state with count and %.

Correct for total = 0, for huge totals (a single error among 100,000 still gets a cell) and
for inconsistent counts (the denominator is the larger of ``total`` and the sum of states).
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from tui.core.model import TaskCounts
from tui.core.present import TASK_STATES
from tui.ui.safe import TONE_STYLES

GLYPH = {"success": "█", "error": "█", "stopped": "█", "pending": "▒", "processing": "▓", "queued": "░"}


def allocate(counts: TaskCounts, width: int) -> list[tuple[str, int]]:
    """Cells per state, summing to ``width``; every non-zero state gets at least one cell."""
    total = counts.effective_total
    if total <= 0 or width <= 0:
        return []
    states = [(name, getattr(counts, name)) for name, _, _ in TASK_STATES]
    nonzero = [(n, c) for n, c in states if c > 0]
    width = max(width, len(nonzero))
    cells = {n: max(1, int(c * width / total)) for n, c in nonzero}
    # largest remainders take what is left; trim from the largest if minimums overflowed
    while sum(cells.values()) < width:
        name = max(nonzero, key=lambda nc: (nc[1] * width / total) - cells[nc[0]])[0]
        cells[name] += 1
    while sum(cells.values()) > width:
        name = max(cells, key=lambda n: cells[n])
        cells[name] -= 1
    return [(n, cells[n]) for n, _ in nonzero]


def stacked_bar(counts: TaskCounts, width: int) -> Text:
    text = Text()
    for name, cells in allocate(counts, width):
        tone = next(t for n, _, t in TASK_STATES if n == name)
        text.append(GLYPH[name] * cells, style=TONE_STYLES.get(tone, ""))
    if not text:
        text.append("·" * width, style="dim")
    return text


WAITING = "Tasks: waiting for data…"


class TaskBars(Widget):
    DEFAULT_CLASSES = "task-bars"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.counts: TaskCounts | None = None
        self.empty = WAITING  # what it says with no counts: waiting, or why there are none

    def show(self, counts: TaskCounts | None, empty: str = "") -> None:
        empty = empty or WAITING
        if counts is None and empty != self.empty:
            self.empty = empty
            self.refresh()
        if counts != self.counts:
            before = self._height(self.counts)
            self.counts = counts
            # a layout pass costs the whole screen: only when the number of lines changes
            self.refresh(layout=self._height(counts) != before)

    @staticmethod
    def _height(counts: TaskCounts | None) -> int:
        if counts is None or not counts.known or counts.effective_total == 0:
            return 1 + (min(3, len(counts.anomalies)) if counts else 0)
        return 2 + len(TASK_STATES) + min(3, len(counts.anomalies))

    def get_content_height(self, container, viewport, width: int) -> int:
        return self._height(self.counts)

    def render(self):
        counts = self.counts
        if counts is None:
            return Text(self.empty, style="dim")
        if not counts.known:
            return Text("Tasks: no task counts in the response", style="yellow")
        width = max(10, self.size.width)
        total = counts.effective_total
        if total == 0:
            return Text(f"Tasks: none (total = {counts.total})", style="dim")
        lines = [
            Text.assemble(
                ("Tasks ", "bold"),
                f"{counts.done:,}/{total:,} done  ",
                (f"{counts.error:,} error{'s' if counts.error != 1 else ''}", "bold red" if counts.error else "dim"),
            ),
            stacked_bar(counts, width),
        ]
        bar_width = max(4, width - 32)
        for name, symbol, tone in TASK_STATES:
            value = getattr(counts, name)
            share = value / total if total else 0.0
            filled = round(share * bar_width)
            if value and not filled:
                filled = 1
            style = TONE_STYLES.get(tone, "") if value else "dim"
            line = Text.assemble(
                (f"{symbol} {name:<10}", style),
                f"{value:>9,} ",
                (f"{share * 100:5.1f}% ", "dim"),
                (GLYPH[name] * filled, TONE_STYLES.get(tone, "")),
                ("·" * (bar_width - filled), "dim"),
            )
            if name == "error" and value:
                line.stylize("reverse", 0, 12)
            lines.append(line)
        for anomaly in counts.anomalies[:3]:
            lines.append(Text(f"⚠ {anomaly}", style="yellow"))
        return Text("\n").join(lines)  # one Text renders faster than a Group of lines
