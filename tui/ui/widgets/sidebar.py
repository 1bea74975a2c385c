"""Bookmarks and recent runs: pick one to watch it.

Rendered from the run book (which holds the bookmarks and recent runs as the store last
confirmed them); it subscribes itself, so it can be mounted late (after the first paint).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.poll.runbook import BookChange, RunBook
from tui.ui.messages import RunChosen
from tui.ui.safe import literal


class Sidebar(Vertical):
    DEFAULT_CLASSES = "sidebar"

    def __init__(self, book: RunBook, wanted: Callable[[], bool] = lambda: True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.book = book
        self.wanted = wanted  # whether the screen wants it shown (width, ctrl+b)
        self._unsubscribe = lambda: None

    def compose(self) -> ComposeResult:
        yield Static(Text("★ Bookmarks", style="bold"), classes="sidebar-title")
        yield OptionList(id="bookmarks")
        yield Static(Text("⟲ Recent", style="bold"), classes="sidebar-title")
        yield OptionList(id="recent")

    def on_mount(self) -> None:
        self.display = self.wanted()
        self._unsubscribe = self.book.subscribe(self._changed)
        self.show_bookmarks()
        self.show_recent()

    def on_unmount(self) -> None:
        self._unsubscribe()

    def _changed(self, change: BookChange) -> None:
        if change.bookmarks:
            self.show_bookmarks()
        if change.recent:
            self.show_recent()

    def show_bookmarks(self) -> None:
        widget = self.query_one("#bookmarks", OptionList)
        widget.clear_options()
        items = self.book.bookmarks
        if not items:
            widget.add_option(Option(Text("none yet: b bookmarks\nthe selected run", style="dim"), disabled=True))
        widget.add_options(self._bookmark(b.run_id, b.label) for b in items)

    @staticmethod
    def _bookmark(run_id: int, label: str) -> Option:
        prompt = Text(str(run_id), style="bold")
        if label:
            prompt.append(" ")
            prompt.append_text(literal(label, 40, "italic"))
        return Option(prompt, id=f"b{run_id}")

    def show_recent(self) -> None:
        widget = self.query_one("#recent", OptionList)
        widget.clear_options()
        widget.add_options(Option(Text(str(b.run_id)), id=f"r{b.run_id}") for b in self.book.recent[:50])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(RunChosen(int(event.option.id[1:])))
