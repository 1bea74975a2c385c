"""The main screen: sidebar (bookmarks, recent), watchlist, and the selected run's detail."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from tui.ui.widgets.banner import Banner
from tui.ui.widgets.runview import RunDetail
from tui.ui.widgets.sidebar import RunChosen, Sidebar
from tui.ui.widgets.watchlist import Watchlist


class MainScreen(Screen):
    BINDINGS = [
        Binding("a", "app.add_runs", "Add runs"),
        Binding("t", "app.tasks", "Tasks"),
        Binding("j", "app.raw", "JSON"),
        Binding("b", "app.toggle_bookmark", "Bookmark"),
        Binding("l", "app.label", "Label", show=False),
        Binding("d,delete", "app.unwatch", "Unwatch", show=False),
        Binding("r", "app.refresh_selected", "Refresh"),
        Binding("R", "app.refresh_all", "Refresh all", show=False),
        Binding("p", "app.toggle_pause", "Pause"),
        Binding("plus", "app.slower", "Slower", show=False),
        Binding("minus", "app.faster", "Faster", show=False),
        Binding("slash", "filter", "Filter"),
        Binding("s", "app.sort", "Sort", show=False),
        Binding("c", "app.copy_id", "Copy ID", show=False),
        Binding("C", "app.copy_json", "Copy JSON", show=False),
        Binding("i", "app.copy_request_id", "Copy request ID", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("ctrl+b", "toggle_sidebar", "Sidebar", show=False),
    ]

    def __init__(self, banner: Banner, clock) -> None:
        super().__init__()
        self.banner = banner
        self.clock = clock

    def compose(self) -> ComposeResult:
        yield self.banner
        with Horizontal(id="body"):
            yield Sidebar(id="sidebar")
            with Vertical(id="main"):
                yield Input(placeholder="filter: id, name, status, label, 'errors'", id="filter")
                yield Watchlist(self.clock, id="watchlist")
                yield RunDetail(self.clock, id="detail")
        yield Static("", id="statusline")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.query_one(Watchlist).focus()

    def on_resize(self, event) -> None:
        # At 80 columns the watchlist needs the room: the sidebar comes back with ctrl+b.
        self.query_one(Sidebar).display = event.size.width >= 110 or getattr(self, "_sidebar_forced", False)

    def action_toggle_sidebar(self) -> None:
        sidebar = self.query_one(Sidebar)
        self._sidebar_forced = not sidebar.display
        sidebar.display = not sidebar.display

    def on_line_table_highlighted(self, event: Watchlist.Highlighted) -> None:
        if isinstance(event.table, Watchlist):
            self.app.show_selected()  # type: ignore[attr-defined]

    def on_line_table_selected(self, event: Watchlist.Selected) -> None:
        if isinstance(event.table, Watchlist):
            self.app.action_tasks()  # type: ignore[attr-defined]

    def on_run_chosen(self, message: RunChosen) -> None:
        self.app.watch_runs([message.run_id], select=True)  # type: ignore[attr-defined]

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display:
            box.value = ""
            box.display = False
            self.query_one(Watchlist).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.query_one(Watchlist).set_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self.query_one(Watchlist).focus()

    def set_status(self, text: Text) -> None:
        # one fixed row: never worth a whole-screen layout pass (it was 2 per second)
        self.query_one("#statusline", Static).update(text, layout=False)
