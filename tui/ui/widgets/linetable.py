"""A fast, virtualised table on Textual's line API.

Why not ``DataTable``: it re-renders every visible cell whenever any cell changes, which costs
~0.6 ms per cell here; with hundreds of runs polling, the watchlist changes many times a second
and key presses queue behind those repaints. ``LineTable`` asks its owner for a row's cells
only when the row is painted, keeps the rendered rows in a bounded LRU cache, repaints only
the lines whose rows changed, and paints only the visible lines, so 12,000 task rows or 500
live runs cost the same per frame as 40.

Geometry (the arithmetic the rest of the widget relies on): line 0 of the widget is the
header, always painted at the top; row ``i`` is virtual line ``i + 1``. ``ScrollView``'s
``refresh_line`` takes *virtual* lines (it subtracts the scroll offset itself), so repainting
row ``i`` is ``refresh_line(i + 1)`` whatever the scroll position. The body shows
``body_height`` rows starting at row ``scroll_offset.y``.

The invariant: after any key, resize, ``set_rows`` (sort, filter, add, remove) the cursor row
exists, is the one highlighted, and lies inside the visible body.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip

CellFactory = Callable[[str], Sequence[Text]]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int | None = None  # None: takes a share of the remaining width


def _replace(cache: LRUCache, key: object, value: object) -> None:
    """``LRUCache.set`` keeps the old value of a key it already holds: drop it first."""
    cache.discard(key)
    cache.set(key, value)


def fit(head: Text, tail: Text | None, width: int) -> Text:
    """``head`` shortened (with …) so that ``tail`` always fits whole in ``width`` cells.

    For cells whose end carries the meaning (a ⚠ marker after a status word)."""
    head = head.copy()
    head.no_wrap = True
    room = width - (tail.cell_len if tail is not None else 0)
    if head.cell_len > room:
        head.truncate(max(0, room), overflow="ellipsis")
    if tail is not None:
        head.append_text(tail)
    return head


class LineTable(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    LineTable {
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
    }
    LineTable > .linetable--header {
        text-style: bold;
        background: $panel;
    }
    LineTable > .linetable--odd {
        background: $boost;
    }
    LineTable > .linetable--cursor {
        background: $accent;
        color: $text;
        text-style: bold;
    }
    LineTable > .linetable--cursor-blurred {
        background: $accent 40%;
    }
    """
    COMPONENT_CLASSES = {"linetable--header", "linetable--cursor", "linetable--cursor-blurred", "linetable--odd"}
    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "select", "Select", show=False),
    ]
    CACHE_ROWS = 256  # rendered rows kept: a few screens' worth, whatever the row count
    highlighted: var[str | None] = var(None)
    """The key under the cursor. Watchers run at once (in the same frame as the cursor move),
    unlike the ``Highlighted`` message, which arrives a frame later."""

    class _RowMessage(Message):
        def __init__(self, table: LineTable, key: str | None) -> None:
            super().__init__()
            self.table, self.key = table, key

        @property
        def control(self) -> LineTable:
            return self.table

    class Highlighted(_RowMessage):
        """The cursor moved to another row (``key``)."""

    class Selected(_RowMessage):
        """Enter or a double click on a row."""

    def __init__(self, columns: Sequence[Column], **kwargs) -> None:
        super().__init__(**kwargs)
        self.columns = list(columns)
        self._keys: list[str] = []
        self._index: dict[str, int] = {}
        self._factory: CellFactory = lambda key: ()
        self._strips: LRUCache[str, tuple[int, Strip]] = LRUCache(self.CACHE_ROWS)  # key -> (parity, row)
        self._cell_cache: LRUCache[str, tuple[Text, ...]] = LRUCache(self.CACHE_ROWS)
        self._segment_cache: LRUCache[tuple, list[Segment]] = LRUCache(8 * self.CACHE_ROWS)
        self._widths: list[int] = []
        self._layout_width = -1
        self._columns_for: Callable[[int], Sequence[Column]] | None = None
        self.empty_text = ""  # said on the first line when there are no rows (why the list is empty)
        self.cursor_row = 0
        self._last_highlight: str | None = None

    # ------------------------------------------------------------------ data API

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def keys(self) -> list[str]:
        return list(self._keys)

    def row_of(self, key: str) -> int | None:
        return self._index.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def cells(self, key: str) -> tuple[Text, ...]:
        """The row's cells as the owner describes them now (cached until the row is refreshed)."""
        if key not in self._index:
            raise KeyError(key)
        cells = self._cell_cache.get(key)
        if cells is None:
            cells = tuple(self._factory(key))
            self._cell_cache.set(key, cells)
        return cells

    def set_rows(self, keys: Sequence[str], factory: CellFactory) -> None:
        """Show these rows, in this order; ``factory(key)`` builds a row's cells when it is painted.

        The cursor stays on the same key when it is still there; otherwise it keeps its index
        (clamped), which selects the neighbour of a removed row."""
        current = self.cursor_key
        self._keys = list(keys)
        self._index = {key: i for i, key in enumerate(self._keys)}
        self._factory = factory
        self._strips.clear()
        self._cell_cache.clear()
        if current is not None and current in self._index:
            self.cursor_row = self._index[current]
        self._changed()

    def clear(self) -> None:
        self.set_rows([], lambda key: ())

    def set_columns(self, columns: Sequence[Column] | Callable[[int], Sequence[Column]]) -> None:
        """Show other columns: a list, or a function of the table's width that says which
        columns fit it (asked again whenever the width changes). The owner's cell factory
        builds cells for ``self.columns`` as they are when it is called. Rows and cursor stay."""
        self._columns_for = columns if callable(columns) else None
        if not callable(columns):
            self.columns = list(columns)
        self._layout_width = -1
        self._strips.clear()
        self._cell_cache.clear()
        self.refresh()

    def refresh_rows(self, keys: Iterable[str]) -> None:
        """The data of these rows changed: forget their rendering and repaint the visible ones."""
        first, last = self.visible_rows()
        for key in keys:
            index = self._index.get(key)
            if index is None:
                continue
            self._strips.discard(key)
            self._cell_cache.discard(key)
            if first <= index < last:
                self.refresh_line(index + 1)  # virtual line: ScrollView subtracts the offset

    def refresh_changed(self, keys: Iterable[str]) -> int:
        """Rebuild the cells of these rows if visible; repaint only rows whose cells differ
        (for clock-driven cells: a second passes, most rows do not change). Returns repaints."""
        first, last = self.visible_rows()
        repainted = 0
        for key in keys:
            index = self._index.get(key)
            if index is None or not first <= index < last:
                continue
            fresh = tuple(self._factory(key))
            old = self._cell_cache.get(key)
            if fresh != old:
                _replace(self._cell_cache, key, fresh)
                self._strips.discard(key)
                self._refresh_cells(index, old, fresh)
                repainted += 1
        return repainted

    def _refresh_cells(self, index: int, old: tuple[Text, ...] | None, fresh: tuple[Text, ...]) -> None:
        """Repaint only the columns whose cells changed (a ticking clock is one narrow cell)."""
        if old is None or len(old) != len(fresh) or len(self._widths) != len(fresh):
            self.refresh_line(index + 1)
            return
        x = 0
        start = end = None
        for before, after, width in zip(old, fresh, self._widths):
            if before != after:
                start = x if start is None else start
                end = x + width + 1
            x += width + 1
        if start is not None and end is not None:
            self.refresh(Region(start, index + 1 - self.scroll_offset.y, end - start, 1))

    def refresh_all_rows(self) -> None:
        self._strips.clear()
        self._cell_cache.clear()
        self.refresh()

    def _changed(self) -> None:
        self.cursor_row = max(0, min(self.cursor_row, len(self._keys) - 1))
        self._update_virtual_size()
        self.refresh()
        self._scroll_cursor_into_view()
        self._announce()

    def _update_virtual_size(self) -> None:
        # the width never exceeds what is visible: no horizontal scrollbar, ever
        self.virtual_size = Size(max(0, self.scrollable_content_region.width), len(self._keys) + 1)

    # ------------------------------------------------------------------ geometry and cursor

    @property
    def body_height(self) -> int:
        """Rows that fit under the header."""
        return max(1, self.scrollable_content_region.height - 1)

    def visible_rows(self) -> tuple[int, int]:
        """``[first, last)`` indexes of the rows on screen."""
        first = self.scroll_offset.y
        return first, min(len(self._keys), first + self.body_height)

    @property
    def cursor_key(self) -> str | None:
        return self._keys[self.cursor_row] if 0 <= self.cursor_row < len(self._keys) else None

    def _scroll_cursor_into_view(self) -> None:
        if not self._keys or self.scrollable_content_region.height < 2:
            return  # not laid out yet: on_resize does it
        top = self.scroll_offset.y
        body = self.body_height
        if self.cursor_row < top:
            top = self.cursor_row
        elif self.cursor_row >= top + body:
            top = self.cursor_row - body + 1
        top = max(0, min(top, max(0, len(self._keys) - body)))
        if top != self.scroll_offset.y:
            # force: right after set_rows the scrollbar is not shown yet (it is after the next
            # layout), and without it ScrollView would ignore the scroll
            self.scroll_to(y=top, animate=False, force=True, immediate=True)

    def move_cursor(self, row: int) -> None:
        if not self._keys:
            return
        old = self.cursor_row
        self.cursor_row = max(0, min(row, len(self._keys) - 1))
        self._scroll_cursor_into_view()
        for index in (old, self.cursor_row):
            self.refresh_line(index + 1)
        self._announce()

    def move_to_key(self, key: str) -> None:
        index = self._index.get(key)
        if index is not None:
            self.move_cursor(index)

    def _announce(self) -> None:
        key = self.cursor_key
        if key != self._last_highlight:
            self._last_highlight = key
            self.highlighted = key
            self.post_message(self.Highlighted(self, key))

    def action_cursor(self, step: int) -> None:
        self.move_cursor(self.cursor_row + step)

    def action_page(self, step: int) -> None:
        self.move_cursor(self.cursor_row + step * max(1, self.body_height - 1))

    def action_jump(self, row: int) -> None:
        self.move_cursor(row if row >= 0 else len(self._keys) - 1)

    def action_select(self) -> None:
        if self.cursor_key is not None:
            self.post_message(self.Selected(self, self.cursor_key))

    def on_click(self, event: events.Click) -> None:
        row = self.scroll_offset.y + event.y - 1
        if event.y >= 1 and 0 <= row < len(self._keys):
            self.move_cursor(row)
            if event.chain >= 2:
                self.action_select()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        self._update_virtual_size()
        self._scroll_cursor_into_view()

    # ------------------------------------------------------------------ rendering

    def _layout_columns(self, width: int) -> None:
        if self._columns_for is not None:
            columns = list(self._columns_for(width))
            if columns != self.columns:
                self.columns = columns
                self._cell_cache.clear()  # the owner builds cells for these columns
        fixed = sum(c.width or 0 for c in self.columns) + len(self.columns)
        flex = [c for c in self.columns if c.width is None]
        share = max(6, (width - fixed) // len(flex)) if flex else 0
        self._widths = [c.width if c.width is not None else share for c in self.columns]
        self._layout_width = width
        self._strips.clear()

    def _cell_segments(self, cell: Text, width: int) -> list[Segment]:
        """A cell rendered to ``width`` cells (cached: when a clock ticks, one cell of a row changes)."""
        key = (cell.plain, tuple(cell.spans), str(cell.style), width)
        segments = self._segment_cache.get(key)
        if segments is None:
            console = self.app.console
            text = cell.copy()
            text.no_wrap = True
            text.truncate(width, overflow="ellipsis", pad=True)
            own = console.get_style(text.style) if text.style else None  # render() applies spans only
            segments = list(Segment.apply_style(text.render(console), own) if own else text.render(console))
            self._segment_cache.set(key, segments)
        return segments

    def _strip(self, cells: Sequence[Text], style: Style, width: int) -> Strip:
        segments: list[Segment] = []
        for cell, cell_width in zip(cells, self._widths):
            segments.append(Segment(" "))
            segments.extend(self._cell_segments(cell if isinstance(cell, Text) else Text(str(cell)), cell_width))
        return Strip(Segment.apply_style(segments, style)).crop_extend(0, width, style)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if width != self._layout_width:
            self._layout_columns(width)
        base = self.rich_style
        if y == 0:
            header = base + self.get_component_rich_style("linetable--header")
            return self._strip([Text(c.label) for c in self.columns], header, width)
        index = self.scroll_offset.y + y - 1
        if not 0 <= index < len(self._keys):
            if y == 1 and not self._keys and self.empty_text:
                text = Text(f" {self.empty_text}", style="dim", no_wrap=True, overflow="ellipsis")
                text.truncate(width, overflow="ellipsis")
                return Strip(list(text.render(self.app.console)), text.cell_len).crop_extend(0, width, base)
            return Strip.blank(width, base)
        key = self._keys[index]
        parity = index % 2
        cached = self._strips.get(key)
        if cached is not None and cached[0] == parity:
            strip = cached[1]
        else:
            style = base + self.get_component_rich_style("linetable--odd") if parity else base
            strip = self._strip(self.cells(key), style, width)
            _replace(self._strips, key, (parity, strip))
        if index == self.cursor_row:
            cursor = self.get_component_rich_style(
                "linetable--cursor" if self.has_focus else "linetable--cursor-blurred"
            )
            strip = Strip(Segment.apply_style(strip, post_style=cursor), strip.cell_length)
        return strip
