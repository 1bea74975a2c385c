"""Bookmarks and recent runs: pick one to watch it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.store.bookmarks import Bookmark
from tui.ui.safe import literal


class RunChosen(Message):
    def __init__(self, run_id: int) -> None:
        super().__init__()
        self.run_id = run_id


class Sidebar(Vertical):
    DEFAULT_CLASSES = "sidebar"

    def compose(self) -> ComposeResult:
        yield Static(Text("★ Bookmarks", style="bold"), classes="sidebar-title")
        yield OptionList(id="bookmarks")
        yield Static(Text("⟲ Recent", style="bold"), classes="sidebar-title")
        yield OptionList(id="recent")

    def show_bookmarks(self, items: list[Bookmark]) -> None:
        widget = self.query_one("#bookmarks", OptionList)
        widget.clear_options()
        if not items:
            widget.add_option(Option(Text("none yet: b bookmarks\nthe selected run", style="dim"), disabled=True))
        for b in items:
            prompt = Text(str(b.run_id), style="bold")
            if b.label:
                prompt.append(" ")
                prompt.append_text(literal(b.label, 40, "italic"))
            widget.add_option(Option(prompt, id=f"b{b.run_id}"))

    def show_recent(self, items: list[Bookmark]) -> None:
        widget = self.query_one("#recent", OptionList)
        widget.clear_options()
        for b in items[:50]:
            widget.add_option(Option(Text(str(b.run_id)), id=f"r{b.run_id}"))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(RunChosen(int(event.option.id[1:])))
