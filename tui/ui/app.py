"""The zwr Textual app: wires the headless engine to the widgets through messages.

Data flows one way: ``PollEngine`` (asyncio tasks in this event loop, httpx underneath) ->
``RunUpdated`` messages -> ``Watchlist`` / ``RunDetail``. Widgets never fetch. File I/O for
bookmarks and history runs in thread workers so a slow disk cannot freeze the UI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from rich.text import Text
from textual.app import App
from textual.binding import Binding
from textual.css.query import NoMatches

from tui.core.client import ZuoraClient
from tui.core.errors import ZwrError
from tui.poll.engine import PollEngine, RunUpdate
from tui.store.bookmarks import Bookmark, BookmarkStore, HistoryStore, StoreError
from tui.store.config import load_config
from tui.store.connection import Connection
from tui.ui.commands import ZwrCommands
from tui.ui.messages import RunUpdated, TasksFailed, TasksLoaded, TasksProgress
from tui.ui.screens.main import MainScreen
from tui.ui.screens.modals import HelpScreen, LabelEntry, RawJson, RunIdEntry, json_text
from tui.ui.screens.tasks import TasksScreen
from tui.ui.styles import stylesheet
from tui.ui.widgets.banner import Banner
from tui.ui.widgets.runview import RunDetail
from tui.ui.widgets.sidebar import Sidebar
from tui.ui.widgets.watchlist import Watchlist

INTERVALS = (1.0, 2.0, 3.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0)
TRANSITION_TEXT = {
    "finished": ("finished: all tasks succeeded", "information"),
    "failed": ("finished with task errors", "error"),
    "stopped": ("was stopped", "warning"),
    "stopping": ("is stopping", "warning"),
    "first_error": ("has its first task error", "error"),
}


class ZwrApp(App):
    CSS_PATH = stylesheet("app", "main", "tasks", "modals")
    TITLE = "zwr"
    COMMANDS = App.COMMANDS | {ZwrCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
    ]

    def __init__(
        self,
        connection: Connection,
        run_ids: Iterable[int] = (),
        *,
        interval: float | None = None,
        demo: bool = False,
        clock: Callable[[], datetime] | None = None,
        bell: bool | None = None,
        client_settings: dict | None = None,
    ) -> None:
        super().__init__()
        self.connection = connection
        self.initial_ids = list(run_ids)
        self.demo = demo
        self.clock = clock or (lambda: datetime.now(UTC))
        config = load_config()
        self.config_warning = config.warning
        self.interval = float(interval or config.ui_setting("interval", 5.0))
        self.bell_enabled = config.ui_setting("bell", True) if bell is None else bell
        self.client_settings = client_settings or {}
        self.bookmarks = BookmarkStore(connection.profile)
        self.history = HistoryStore(connection.profile)
        self.bookmark_labels: dict[int, str] = {}
        self.updates: dict[int, RunUpdate] = {}
        self.client: ZuoraClient | None = None
        self.engine: PollEngine | None = None
        self.notifications: list[tuple[str, str]] = []  # (message, severity): read by tests

    # ------------------------------------------------------------------ lifecycle

    def make_banner(self) -> Banner:
        c = self.connection
        return Banner(c.label, c.profile, c.production, self.demo)

    async def on_mount(self) -> None:
        self.client = ZuoraClient(self.connection.settings(**self.client_settings), self.connection.auth)
        self.engine = PollEngine(
            self.client, self._on_engine_update, interval=self.interval, wallclock=lambda: self.clock().timestamp()
        )
        self.main = MainScreen(self.make_banner(), self.clock)
        for run_id in self.initial_ids:  # start fetching while the screen is being built
            self.engine.watch(run_id)
        await self.push_screen(self.main)
        self.set_interval(5.0, self._tick_watchlist)
        self.set_interval(0.5, self._flush_status)
        self._load_saved()
        if self.config_warning:
            self.notify(self.config_warning, severity="warning", markup=False, timeout=10)
        if self.initial_ids:
            self.watch_runs(self.initial_ids, select=True, remember=not self.demo)
        self._update_status()

    async def on_unmount(self) -> None:
        if self.engine is not None:
            await self.engine.aclose()
        if self.client is not None:
            await self.client.aclose()

    def _on_engine_update(self, update: RunUpdate) -> None:
        self.post_message(RunUpdated(update))

    def on_app_blur(self) -> None:
        if self.engine:
            self.engine.set_focus(False)

    def on_app_focus(self) -> None:
        if self.engine:
            self.engine.set_focus(True)

    # ------------------------------------------------------------------ saved state (thread workers)

    def _load_saved(self) -> None:
        self.run_worker(self._read_saved, thread=True, group="store", exit_on_error=False)

    def _read_saved(self) -> None:
        bookmarks = self.bookmarks.list()
        recent = self.history.list()
        warnings = self.bookmarks.warnings + self.history.warnings
        self.call_from_thread(self._show_saved, bookmarks, recent, warnings)

    def _live(self) -> bool:
        """False while starting or shutting down: timers and worker callbacks then do nothing."""
        main = getattr(self, "main", None)
        if main is None or not main.is_attached or self._exit:
            return False
        try:
            return main.query_one(Watchlist).is_attached
        except NoMatches:  # the screen's children are removed before the screen itself
            return False

    def _show_saved(self, bookmarks: list[Bookmark], recent: list[Bookmark], warnings: list[str]) -> None:
        if not self._live():
            return
        self.bookmark_labels = {b.run_id: b.label or "" for b in bookmarks}
        sidebar = self.main.query_one(Sidebar)
        sidebar.show_bookmarks(bookmarks)
        sidebar.show_recent(recent)
        watchlist = self.main.query_one(Watchlist)
        for run_id in watchlist.order:
            watchlist.set_label(
                run_id, self.bookmark_labels.get(run_id) or ("★" if run_id in self.bookmark_labels else None)
            )
        for warning in warnings:
            self.notify(warning, severity="warning", markup=False, timeout=15)
        self.show_selected()

    def _store(self, operation: Callable[[], list[Bookmark]], done: Callable[[list[Bookmark]], None]) -> None:
        def work() -> None:
            try:
                items = operation()
            except StoreError as exc:
                self.call_from_thread(self.notify, str(exc), severity="error", markup=False, timeout=15)
                return
            self.call_from_thread(done, items)

        self.run_worker(work, thread=True, group="store", exit_on_error=False)

    # ------------------------------------------------------------------ watching

    def watch_runs(self, run_ids: list[int], *, select: bool = False, remember: bool = True) -> None:
        watchlist = self.main.query_one(Watchlist)
        for run_id in run_ids:
            if run_id not in watchlist.order:
                watchlist.add_placeholder(run_id)
                if run_id in self.bookmark_labels:
                    watchlist.set_label(run_id, self.bookmark_labels[run_id] or "★")
                if run_id in self.updates:  # fetched while the screen was being built
                    watchlist.upsert(self.updates[run_id])
            self.engine.watch(run_id)  # type: ignore[union-attr]
        if select and run_ids:
            watchlist.select_run(run_ids[0])
        if remember and run_ids:
            self._store(
                lambda: self.history.touch(run_ids),
                lambda items: self._live() and self.main.query_one(Sidebar).show_recent(items),
            )
        self._update_status()

    def on_run_updated(self, message: RunUpdated) -> None:
        update = message.update
        if not self._live():
            if not getattr(self, "_exit", False) and update.run_id in self.initial_ids:
                self.updates[update.run_id] = update  # arrived before the screen: shown by watch_runs
            return
        watchlist = self.main.query_one(Watchlist)
        if update.run_id not in watchlist.order:
            return  # unwatched meanwhile
        self.updates[update.run_id] = update
        watchlist.upsert(update)
        if watchlist.selected_run_id() == update.run_id:
            self.main.query_one(RunDetail).show(update, self.bookmark_labels.get(update.run_id, ""))
        for transition in update.transitions:
            text, severity = TRANSITION_TEXT[transition]
            self.notify(f"Run {update.run_id} {text}.", severity=severity, markup=False, timeout=8)  # type: ignore[arg-type]
            self.notifications.append((f"Run {update.run_id} {text}.", severity))
            if self.bell_enabled:
                self.bell()
        self._mark_status()

    def show_selected(self) -> None:
        run_id = self.selected_run_id()
        detail = self.main.query_one(RunDetail)
        if run_id is None:
            detail.show(None)
        else:
            update = self.updates.get(run_id) or RunUpdate(run_id, None, None, None, True, None, None)
            detail.show(update, self.bookmark_labels.get(run_id, ""))

    def selected_run_id(self) -> int | None:
        return self.main.query_one(Watchlist).selected_run_id()

    def _tick_watchlist(self) -> None:
        if not self._live():
            return
        self.main.query_one(Watchlist).tick()

    def _mark_status(self) -> None:
        """Run updates only mark the status line; it is recomputed at most twice a second
        (an O(runs) summary per update would be O(runs²) per polling cycle)."""
        self._status_dirty = True

    def _flush_status(self) -> None:
        if getattr(self, "_status_dirty", False) and self._live():
            self._status_dirty = False
            self._update_status()

    def _update_status(self) -> None:
        engine = self.engine
        if engine is None or not self._live():
            return
        runs = [u.run for u in self.updates.values() if u.run]
        active = sum(1 for r in runs if not r.phase.terminal)
        failing = sum(1 for r in runs if r.tasks.error)
        text = Text()
        text.append(
            " ⏸ PAUSED " if engine.paused else f" ⟳ every {engine.interval:g}s ",
            style="bold reverse yellow" if engine.paused else "bold",
        )
        text.append(f"  {len(self.main.query_one(Watchlist).order)} runs, {active} active")
        if failing:
            text.append(f", {failing} with errors", style="bold red")
        if engine.frugal:
            text.append("  rate limit low: polling slowed", style="yellow")
        if not engine.focused:
            text.append("  (unfocused: polling slowed)", style="dim")
        text.append(f"  sort: {self.main.query_one(Watchlist).sort_mode}", style="dim")
        if not self.bell_enabled:
            text.append("  bell off", style="dim")
        self.main.set_status(text)

    # ------------------------------------------------------------------ tasks (worker)

    def request_tasks(self, run_id: int, expected_total: int | None, screen: TasksScreen) -> None:
        async def load() -> None:
            def progress(page: int, count: int) -> None:
                state["pages"] += 1
                state["tasks"] += count
                screen.post_message(TasksProgress(run_id, state["pages"], state["tasks"]))

            state = {"pages": 0, "tasks": 0}
            try:
                listing = await self.engine.load_tasks(run_id, expected_total, progress)  # type: ignore[union-attr]
            except ZwrError as exc:
                screen.post_message(TasksFailed(run_id, exc))
                return
            screen.post_message(TasksLoaded(run_id, listing))

        self.run_worker(load(), group=f"tasks-{run_id}", exclusive=True, exit_on_error=False)

    # ------------------------------------------------------------------ actions

    def _need_selection(self) -> int | None:
        run_id = self.selected_run_id()
        if run_id is None:
            self.notify("No run selected: press a to add run IDs.", severity="warning", markup=False)
        return run_id

    def action_add_runs(self) -> None:
        def added(ids: list[int] | None) -> None:
            if ids:
                self.watch_runs(ids, select=True)

        self.push_screen(RunIdEntry(), added)

    def action_tasks(self) -> None:
        run_id = self._need_selection()
        if run_id is None:
            return
        update = self.updates.get(run_id)
        total = update.run.tasks.effective_total if update and update.run else None
        self.push_screen(TasksScreen(run_id, total, self.make_banner()))

    def action_raw(self) -> None:
        run_id = self._need_selection()
        if run_id is None:
            return
        update = self.updates.get(run_id)
        if update is None or update.run is None:
            self.notify(f"No data for run {run_id} yet.", severity="warning", markup=False)
            return
        self.push_screen(RawJson(f"Run {run_id} (as Zuora sent it)", dict(update.run.raw)))

    def action_toggle_bookmark(self) -> None:
        run_id = self._need_selection()
        if run_id is None:
            return
        if run_id in self.bookmark_labels:
            self.bookmark_labels.pop(run_id)
            self.main.query_one(Watchlist).set_label(run_id, None)
            self._store(lambda: self.bookmarks.remove(run_id), self._bookmarks_saved)
            self.notify(f"Removed the bookmark for run {run_id}.", markup=False)
        else:
            update = self.updates.get(run_id)
            name = update.run.name if update and update.run and update.run.name else ""
            label = name[:80]
            self.bookmark_labels[run_id] = label
            self.main.query_one(Watchlist).set_label(run_id, label or "★")
            self._store(lambda: self.bookmarks.add(run_id, label), self._bookmarks_saved)
            self.notify(f"Bookmarked run {run_id} (l to label it).", markup=False)

    def _bookmarks_saved(self, items: list[Bookmark]) -> None:
        if not self._live():
            return
        self.bookmark_labels = {b.run_id: b.label or "" for b in items}
        self.main.query_one(Sidebar).show_bookmarks(items)
        self.show_selected()

    def action_label(self) -> None:
        run_id = self._need_selection()
        if run_id is None:
            return

        def labelled(label: str | None) -> None:
            if label is None:
                return
            self.bookmark_labels[run_id] = label
            self.main.query_one(Watchlist).set_label(run_id, label or "★")
            if run_id in self.bookmark_labels:
                self._store(
                    lambda: self.bookmarks.add(run_id, label) if label else self.bookmarks.rename(run_id, ""),
                    self._bookmarks_saved,
                )

        self.push_screen(LabelEntry(run_id, self.bookmark_labels.get(run_id, "")), labelled)

    def action_unwatch(self) -> None:
        run_id = self._need_selection()
        if run_id is None:
            return
        self.engine.unwatch(run_id)  # type: ignore[union-attr]
        self.updates.pop(run_id, None)
        self.main.query_one(Watchlist).remove(run_id)
        self.show_selected()
        self._update_status()

    def action_refresh_selected(self) -> None:
        run_id = self._need_selection()
        if run_id is not None:
            self.engine.refresh(run_id)  # type: ignore[union-attr]

    def action_refresh_all(self) -> None:
        self.engine.refresh()  # type: ignore[union-attr]
        self.notify("Refreshing all runs.", markup=False)

    def action_toggle_pause(self) -> None:
        engine = self.engine
        assert engine is not None
        if engine.paused:
            engine.resume()
            self.notify("Polling resumed.", markup=False)
        else:
            engine.pause()
            self.notify("Polling paused: data will not refresh until you press p again.", markup=False)
        self._update_status()

    def _set_interval(self, step: int) -> None:
        engine = self.engine
        assert engine is not None
        current = min(range(len(INTERVALS)), key=lambda i: abs(INTERVALS[i] - engine.interval))
        new = INTERVALS[max(0, min(len(INTERVALS) - 1, current + step))]
        engine.set_interval(new)
        self.interval = new
        self.notify(f"Polling every {new:g}s.", markup=False)
        self._update_status()

    def action_faster(self) -> None:
        self._set_interval(-1)

    def action_slower(self) -> None:
        self._set_interval(+1)

    def action_sort(self) -> None:
        mode = self.main.query_one(Watchlist).cycle_sort()
        self.notify(f"Sorted by {mode}.", markup=False)
        self._update_status()

    def action_copy_id(self) -> None:
        run_id = self._need_selection()
        if run_id is not None:
            self.copy_to_clipboard(str(run_id))
            self.notify(
                f"Copied run ID {run_id} to the clipboard (OSC 52, works over SSH if your terminal allows it).",
                markup=False,
            )

    def action_copy_json(self) -> None:
        run_id = self._need_selection()
        update = self.updates.get(run_id) if run_id is not None else None
        if update is None or update.run is None:
            return
        self.copy_to_clipboard(json_text(dict(update.run.raw), for_clipboard=True))
        self.notify(f"Copied the JSON of run {run_id} to the clipboard (OSC 52).", markup=False)

    def action_copy_request_id(self) -> None:
        run_id = self.selected_run_id()
        update = self.updates.get(run_id) if run_id is not None else None
        request_id = (update.meta.request_id if update and update.meta else None) or (
            self.client.last_request_id if self.client else None
        )
        if not request_id:
            self.notify("No Zuora-Request-Id seen yet.", severity="warning", markup=False)
            return
        self.copy_to_clipboard(request_id)
        self.notify(f"Copied Zuora-Request-Id {request_id[:64]} (quote it to Zuora support).", markup=False)

    def action_toggle_bell(self) -> None:
        self.bell_enabled = not self.bell_enabled
        self.notify(f"Bell {'on' if self.bell_enabled else 'off'} for state changes.", markup=False)
        self._update_status()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())
