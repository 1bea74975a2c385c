"""The zwr Textual app: the connection, the poller's lifecycle, the stores, notifications.

Data flows one way: the poll thread (``PollThread``: engine + httpx in their own event loop)
-> one ``RunsUpdated`` message per batch -> the ``RunBook`` (the one source of truth) -> the
screens that subscribe to it. The app applies batches to the book, turns state transitions
into notifications, saves bookmarks and history in thread workers, and reports any worker's
unexpected error. Screens own their actions (``MainScreen``: everything about runs); the app
keeps the global ones: polling controls, bell, help, quit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from textual.app import App
from textual.notifications import SeverityLevel
from textual.worker import Worker, WorkerState

from tui.core.client import ZuoraClient
from tui.poll.engine import DEFAULT_INTERVAL, RunUpdate, clamp_interval
from tui.poll.runbook import RunBook
from tui.poll.service import Batch, Poller, PollThread
from tui.poll.whybook import Loaded
from tui.store.bookmarks import Bookmark, BookmarkStore, HistoryStore, StoreError
from tui.store.config import keys_section, load_config
from tui.store.connection import Connection
from tui.ui.commands import ZwrCommands
from tui.ui.keymap import resolve
from tui.ui.keys import BY_ID, bindings, keys_of
from tui.ui.messages import RememberRuns, RemoveBookmark, RunsUpdated, SaveBookmark, WhyLoaded
from tui.ui.screens.main import MainScreen
from tui.ui.session import Session
from tui.ui.styles import stylesheet

if TYPE_CHECKING:
    from tui.ui.writes import WriteFlows

log = logging.getLogger("tui.ui")

INTERVALS = (1.0, 2.0, 3.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0)
TRANSITION_TEXT: dict[str, tuple[str, SeverityLevel]] = {
    "finished": ("finished: all tasks succeeded", "information"),
    "failed": ("finished with task errors", "error"),
    "stopped": ("was stopped", "warning"),
    "stopping": ("is stopping", "warning"),
    "first_error": ("has its first task error", "error"),
}


class ZwrApp(App):
    CSS_PATH = stylesheet("app", "main")  # the tasks screen and the modals bring their own
    TITLE = "zwr"
    COMMANDS = App.COMMANDS | {ZwrCommands}
    BINDINGS = bindings("app")  # help, quit, palette (the screens repeat them first, for the footer)
    quiet_start = 5.0  # seconds after start with no toast or bell for state changes: the first screen shows them

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
        poller: Callable[[Callable[[], ZuoraClient], float, Callable[[], float]], Poller] | None = None,
        allow_write: bool = False,
        started: Poller | None = None,
        after_first_paint: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.connection = connection
        self.initial_ids = list(dict.fromkeys(run_ids))
        self.demo = demo
        self.clock = clock or (lambda: datetime.now(UTC))
        config = load_config()
        self.startup_warnings = [config.warning] if config.warning else []
        wanted = interval if interval is not None else config.ui_setting("interval", DEFAULT_INTERVAL)
        self.interval, problem = clamp_interval(wanted)
        if problem:
            self.startup_warnings.append(f"{problem[0].upper()}{problem[1:]}.")
        user_keys, problem = keys_section(config)
        self.keymap, key_problems = resolve(user_keys)  # action id -> keys, as App.set_keymap takes it
        self.startup_warnings += ([problem] if problem else []) + key_problems
        self.set_keymap(self.keymap)
        # the footer finds the palette's key under this name
        # Textual declares it a ClassVar but reads it through self: each app has its own keymap
        self.COMMAND_PALETTE_BINDING = keys_of(BY_ID["palette"], self.keymap)[0]  # type: ignore[misc]
        self.client_settings = client_settings or {}
        self.bookmarks = BookmarkStore(connection.profile)
        self.history = HistoryStore(connection.profile)
        self.book = RunBook()
        self._make_poller = poller or self._poll_thread
        self._started_poller = started  # already polling run_ids (`zwr RUN_ID`: started before Textual)
        self._after_first_paint = after_first_paint  # `zwr RUN_ID`: resumes the garbage collector
        self.session: Session | None = None
        self._bell_default = config.ui_setting("bell", True) if bell is None else bell
        self.allow_write = connection.allow_write or allow_write  # the profile's allow_write, or --allow-write
        self.notifications: list[tuple[str, str]] = []  # (message, severity): read by tests
        self._started = time.monotonic()

    # ------------------------------------------------------------------ compatibility views for tests/benchmarks

    @property
    def engine(self) -> Poller | None:
        return self.session.poller if self.session else None

    @property
    def client(self) -> ZuoraClient | None:
        poller = self.session.poller if self.session else None
        return poller.client if isinstance(poller, PollThread) else None

    @property
    def updates(self) -> dict[int, RunUpdate]:
        return self.book.updates()

    @property
    def bell_enabled(self) -> bool:
        return self.session.bell if self.session else self._bell_default

    # ------------------------------------------------------------------ lifecycle

    def _poll_thread(
        self, make_client: Callable[[], ZuoraClient], interval: float, wallclock: Callable[[], float]
    ) -> Poller:
        return PollThread(make_client, interval=interval, wallclock=wallclock).start()

    def on_load(self) -> None:
        """Start polling before the screen is built: the first fetch overlaps Textual's start-up."""
        # The client is built here, before Textual's CPU-heavy start-up, so the poll thread can
        # send the first request at once and its answer is in by the first frame (built in the
        # thread, it waited for the GIL behind the whole mount). It is used only in that thread.
        # `zwr RUN_ID` goes further: its poller was started before Textual was imported.
        if self._started_poller is not None:
            poller = self._started_poller
            if poller.interval != self.interval:  # (setting it wakes the runs: each is fetched again)
                poller.set_interval(self.interval)
        else:
            client = ZuoraClient(self.connection.settings(**self.client_settings), self.connection.auth)
            poller = self._make_poller(lambda: client, self.interval, lambda: self.clock().timestamp())
        self.session = Session(self.book, poller, self.clock, self.connection, self.demo, self._bell_default)
        self.session.why.attach(self._deliver_why)
        self.session.make_writes = self._write_flows
        self.session.watch(self.initial_ids)

    def _write_flows(self) -> WriteFlows:
        """Stop and rerun, audited in this connection's trail (no file is touched until a write)."""
        from tui.core.environments import environment_name
        from tui.poll.writes import Writer
        from tui.store.audit import AuditLog
        from tui.ui.writes import WriteFlows

        assert self.session is not None  # built on first use, after on_load

        c = self.connection
        writer = Writer(
            AuditLog.for_connection(c.profile, c.base_url),
            allowed=self.allow_write,
            profile=c.profile,
            environment=environment_name(c.base_url, c.label),
            production=c.production,
            demo=self.demo,
        )
        return WriteFlows(self, self.session, writer)

    def get_default_screen(self) -> MainScreen:
        """The main screen is the first on the stack, not pushed: a pushed screen holds this
        app's message loop until it is mounted, while the default one composes and mounts in its
        own task. So the first answer (on the wire since ``on_load``, or since before Textual was
        imported for `zwr RUN_ID`) reaches the run book during the mount, and the first frame
        shows the run's status, not "loading…" and then a second layout."""
        assert self.session is not None  # on_load ran
        self.main = MainScreen(self.session, select=self.initial_ids[0] if self.initial_ids else None)
        return self.main

    def on_mount(self) -> None:
        session = self.session
        assert session is not None  # on_load ran
        session.poller.attach(self._deliver)
        self.run_worker(self._read_saved, thread=True, group="store", name="reading bookmarks", exit_on_error=False)
        if self._after_first_paint is not None:
            self.call_after_refresh(self._after_first_paint)
        if self.initial_ids and not self.demo:  # saved after the first paint: it takes the file lock
            self.call_after_refresh(self.post_message, RememberRuns(self.initial_ids))
        for warning in self.startup_warnings:
            self.notify(warning, severity="warning", markup=False, timeout=10)

    def _deliver(self, batch: Batch) -> None:
        """Called in the poll thread: one message per batch."""
        try:
            self.post_message(RunsUpdated(batch))
        except RuntimeError:
            pass  # the app's loop is gone: we are shutting down

    def _deliver_why(self, outcome: Loaded) -> None:
        """Called in the poll thread: an error digest or a definition, as a message."""
        try:
            self.post_message(WhyLoaded(outcome))
        except RuntimeError:
            pass

    async def on_unmount(self) -> None:
        if self.session is not None:
            poller = self.session.poller
            poller.detach()
            await asyncio.to_thread(poller.close)

    def on_app_blur(self) -> None:
        if self.session:
            self.session.poller.set_focus(False)

    def on_app_focus(self) -> None:
        if self.session:
            self.session.poller.set_focus(True)

    # ------------------------------------------------------------------ data in

    def on_runs_updated(self, message: RunsUpdated) -> None:
        self.book.apply(message.batch)
        # In the first seconds every row is news: the first screen shows the states, no toast
        # covers it and no bell rings (the notes are still kept).
        quiet = time.monotonic() < self._started + self.quiet_start
        writes = self.session.writes_in_use if self.session else None  # none yet: no write to follow
        for update in message.batch:
            if update.run_id not in self.book:
                continue
            replaced = writes.observe(update) if writes else frozenset()  # a run followed after a write
            for transition in update.transitions:
                if transition in replaced:
                    continue
                text, severity = TRANSITION_TEXT[transition]
                note = f"Run {update.run_id} {text}."
                self.notifications.append((note, severity))
                if quiet:
                    continue
                self.notify(note, severity=severity, markup=False, timeout=8)
                if self.bell_enabled:
                    self.bell()

    def on_why_loaded(self, message: WhyLoaded) -> None:
        if self.session is not None:
            self.session.why.apply(message.outcome)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place an unexpected error in any worker becomes visible."""
        if event.state is WorkerState.ERROR:
            worker = event.worker
            error = worker.error
            log.error("worker %s failed", worker.name, exc_info=error)
            summary = f"{type(error).__name__}: {error}" if error is not None else "unknown error"
            self.notify(
                f"Internal error while {worker.name or 'working'}: {summary[:200]} (details with --debug).",
                severity="error",
                markup=False,
                timeout=15,
            )

    # ------------------------------------------------------------------ stores (thread workers)

    def _read_saved(self) -> None:
        bookmarks = self.bookmarks.list()
        recent = self.history.list()
        warnings = self.bookmarks.warnings + self.history.warnings
        self.call_from_thread(self._show_saved, bookmarks, recent, warnings)

    def _show_saved(self, bookmarks: list[Bookmark], recent: list[Bookmark], warnings: list[str]) -> None:
        self.book.set_bookmarks(bookmarks)
        self.book.set_recent(recent)
        for warning in warnings:
            self.notify(warning, severity="warning", markup=False, timeout=15)

    def _store(
        self, what: str, operation: Callable[[], list[Bookmark]], done: Callable[[list[Bookmark]], object]
    ) -> None:
        """Run a store operation in a thread; the book changes only once the store confirmed it."""

        def work() -> None:
            try:
                items = operation()
            except StoreError as exc:
                self.call_from_thread(self.notify, str(exc), severity="error", markup=False, timeout=15)
                return
            self.call_from_thread(done, items)

        self.run_worker(work, thread=True, group="store", name=what, exit_on_error=False)

    def on_save_bookmark(self, message: SaveBookmark) -> None:
        run_id, label = message.run_id, message.label
        existed = self.book.is_bookmarked(run_id)

        def saved(items: list[Bookmark]) -> None:
            self.book.set_bookmarks(items)
            if not existed:
                self.notify(f"Bookmarked run {run_id} (l to label it).", markup=False)
            else:
                self.notify(f"Label of run {run_id} saved.", markup=False)

        if existed:
            self._store("saving a bookmark label", lambda: self.bookmarks.rename(run_id, label), saved)
        else:
            self._store("saving a bookmark", lambda: self.bookmarks.add(run_id, label), saved)

    def on_remove_bookmark(self, message: RemoveBookmark) -> None:
        run_id = message.run_id

        def removed(items: list[Bookmark]) -> None:
            self.book.set_bookmarks(items)
            self.notify(f"Removed the bookmark for run {run_id}.", markup=False)

        self._store("removing a bookmark", lambda: self.bookmarks.remove(run_id), removed)

    def on_remember_runs(self, message: RememberRuns) -> None:
        run_ids = message.run_ids
        self._store("saving recent runs", lambda: self.history.touch(run_ids), self.book.set_recent)

    # ------------------------------------------------------------------ global actions

    def _poll_changed(self) -> None:
        main = getattr(self, "main", None)
        if main is not None and main.is_mounted:
            main.refresh_status()

    def action_refresh_all(self) -> None:
        if self.session:
            self.session.refresh()
            self.notify("Refreshing all runs.", markup=False)

    def action_toggle_pause(self) -> None:
        if self.session is None:
            return
        poller = self.session.poller
        if poller.paused:
            poller.resume()
            self.notify("Polling resumed.", markup=False)
        else:
            poller.pause()
            self.notify("Polling paused: data will not refresh until you press p again.", markup=False)
        self._poll_changed()

    def _step_interval(self, step: int) -> None:
        if self.session is None:
            return
        poller = self.session.poller
        current = min(range(len(INTERVALS)), key=lambda i: abs(INTERVALS[i] - poller.interval))
        old = poller.interval
        new = poller.set_interval(INTERVALS[max(0, min(len(INTERVALS) - 1, current + step))])
        self.interval = new
        if new == old:
            edge = f"slowest: every {INTERVALS[-1]:g}s" if step > 0 else f"fastest: every {INTERVALS[0]:g}s"
            self.notify(f"Polling is already at its {edge}.", markup=False)
        else:
            self.notify(f"Polling {'slower' if new > old else 'faster'}: every {new:g}s.", markup=False)
        self._poll_changed()

    def action_faster(self) -> None:
        self._step_interval(-1)

    def action_slower(self) -> None:
        self._step_interval(+1)

    def action_toggle_bell(self) -> None:
        if self.session is None:
            return
        self.session.bell = not self.session.bell
        self.notify(f"Bell {'on' if self.session.bell else 'off'} for state changes.", markup=False)
        self._poll_changed()

    def action_help(self) -> None:
        from tui.ui.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.keymap))
