"""A fast, virtualised table on Textual's line API.

Why not ``DataTable``: it re-renders every visible cell whenever any cell changes, which costs
~0.6 ms per cell here; with hundreds of runs polling, the watchlist changes many times a second
and key presses queue behind those repaints. ``LineTable`` renders a row once into a cached
``Strip``, re-renders only rows whose data changed, and paints only the visible lines, so
12,000 task rows or 500 live runs cost the same per frame as 40.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int | None = None  # None: takes the remaining width


class LineTable(ScrollView, can_focus=True):
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
        self._cells: dict[str, tuple[Text, ...]] = {}
        self._cache: dict[str, tuple[int, Strip]] = {}  # key -> (row parity, rendered row)
        self._widths: list[int] = []
        self._factory = None  # set_lazy_rows: builds a row's cells when it is first painted
        self.cursor_row = 0
        self._last_highlight: str | None = None

    # ------------------------------------------------------------------ data API

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def keys(self) -> list[str]:
        return list(self._keys)

    def cells(self, key: str) -> tuple[Text, ...]:
        cells = self._cells.get(key)
        if cells is None and self._factory is not None and key in self._index:
            cells = self._cells[key] = tuple(self._factory(key))
        if cells is None:
            raise KeyError(key)
        return cells

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def set_lazy_rows(self, keys: Sequence[str], factory) -> None:
        """Rows whose cells are built only when shown: 12,000 tasks cost what the visible 40 cost."""
        current = self.cursor_key
        self._keys, self._cells, self._cache, self._factory = list(keys), {}, {}, factory
        self._reindex()
        if current in self._index:
            self.cursor_row = self._index[current]
        self._changed()

    def set_rows(self, rows: Iterable[tuple[str, Sequence[Text]]]) -> None:
        current = self.cursor_key
        self._keys, self._cells, self._cache, self._factory = [], {}, {}, None
        for key, cells in rows:
            self._keys.append(key)
            self._cells[key] = tuple(cells)
        self._reindex()
        if current in self._index:
            self.cursor_row = self._index[current]
        self._changed()

    def add_row(self, key: str, cells: Sequence[Text]) -> None:
        if key in self._index:
            self.update_row(key, cells)
            return
        self._keys.append(key)
        self._index[key] = len(self._keys) - 1
        self._cells[key] = tuple(cells)
        self._changed()

    def update_row(self, key: str, cells: Sequence[Text]) -> None:
        if key not in self._index:
            return
        self._cells[key] = tuple(cells)
        self._cache.pop(key, None)
        index = self._index[key]
        y = index - self.scroll_offset.y + 1
        if 1 <= y < self.size.height:
            self.refresh_line(y)

    def remove_row(self, key: str) -> None:
        if key not in self._index:
            return
        self._keys.remove(key)
        self._cells.pop(key, None)
        self._cache.pop(key, None)
        self._reindex()
        self._changed()

    def clear(self) -> None:
        self.set_rows([])

    def _reindex(self) -> None:
        self._index = {key: i for i, key in enumerate(self._keys)}

    def _changed(self) -> None:
        self.cursor_row = max(0, min(self.cursor_row, len(self._keys) - 1))
        self.virtual_size = Size(self.size.width, len(self._keys) + 1)
        self.refresh()
        self._announce()

    # ------------------------------------------------------------------ cursor

    @property
    def cursor_key(self) -> str | None:
        return self._keys[self.cursor_row] if 0 <= self.cursor_row < len(self._keys) else None

    def move_cursor(self, row: int) -> None:
        if not self._keys:
            return
        old = self.cursor_row
        self.cursor_row = max(0, min(row, len(self._keys) - 1))
        visible = max(1, self.size.height - 1)
        top = self.scroll_offset.y
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False, immediate=True)
        for row_index in (old, self.cursor_row):
            y = row_index - self.scroll_offset.y + 1
            if 1 <= y < self.size.height:
                self.refresh_line(y)
        self._announce()

    def move_to_key(self, key: str) -> None:
        if key in self._index:
            self.move_cursor(self._index[key])

    def _announce(self) -> None:
        key = self.cursor_key
        if key != self._last_highlight:
            self._last_highlight = key
            self.post_message(self.Highlighted(self, key))

    def action_cursor(self, step: int) -> None:
        self.move_cursor(self.cursor_row + step)

    def action_page(self, step: int) -> None:
        self.move_cursor(self.cursor_row + step * max(1, self.size.height - 2))

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

    # ------------------------------------------------------------------ rendering

    def on_resize(self, event: events.Resize) -> None:
        self._layout_columns(event.size.width)
        self.virtual_size = Size(event.size.width, len(self._keys) + 1)

    def _layout_columns(self, width: int) -> None:
        fixed = sum(c.width or 0 for c in self.columns) + len(self.columns)
        flex = [c for c in self.columns if c.width is None]
        share = max(6, (width - fixed - 1) // len(flex)) if flex else 0
        self._widths = [c.width if c.width is not None else share for c in self.columns]
        self._cache.clear()

    def _strip(self, cells: Sequence[Text], style: Style) -> Strip:
        console = self.app.console
        segments: list[Segment] = []
        for cell, width in zip(cells, self._widths):
            text = cell.copy() if isinstance(cell, Text) else Text(str(cell))
            text.no_wrap = True
            text.truncate(width, overflow="ellipsis", pad=True)
            segments.append(Segment(" ", style))
            own = console.get_style(text.style) if text.style else None  # render() applies spans only
            segments.extend(Segment.apply_style(text.render(console), own) if own else text.render(console))
        return Strip(Segment.apply_style(segments, style))

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if not self._widths:
            self._layout_columns(width)
        base = self.rich_style
        if y == 0:
            header = self.get_component_rich_style("linetable--header")
            strip = self._strip([Text(c.label) for c in self.columns], base + header)
            return strip.crop_extend(0, width, base + header)
        index = self.scroll_offset.y + y - 1
        if index >= len(self._keys):
            return Strip.blank(width, base)
        key = self._keys[index]
        cached = self._cache.get(key)
        if cached is not None and cached[0] == index % 2:
            strip = cached[1]
        else:
            style = base + self.get_component_rich_style("linetable--odd") if index % 2 else base
            strip = self._strip(self.cells(key), style).crop_extend(0, width, style)
            self._cache[key] = (index % 2, strip)
        if index == self.cursor_row:
            cursor = self.get_component_rich_style(
                "linetable--cursor" if self.has_focus else "linetable--cursor-blurred"
            )
            strip = Strip(Segment.apply_style(strip, post_style=cursor), strip.cell_length)
        return strip
