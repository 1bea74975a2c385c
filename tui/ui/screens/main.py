"""The main screen: sidebar (bookmarks, recent), watchlist, the selected run's detail, status line.

It owns the actions on runs (add, open tasks, JSON, bookmark, label, unwatch, refresh, sort,
filter, copy, first error, incident report, find by record, and the writes: stop, rerun the failed
tasks) and the selection: the highlighted watchlist row *is* the selected run, and the detail panel
is always told which run that is. Everything it shows is rendered from the run book and the why
book, to which it subscribes; it tells the why book which run is shown (once the cursor rests), so
that run's error groups and workflow definition load in the background. Saving bookmarks and
history is the app's job (messages).
"""

from __future__ import annotations

import concurrent.futures
import logging
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static

from tui.core.errors import ZwrError
from tui.core.model import TaskStatus
from tui.core.present import plural
from tui.core.search import TaskQuery, TaskSearch
from tui.core.text import printable
from tui.poll.engine import InternalError, RunUpdate
from tui.poll.runbook import BookChange
from tui.poll.whybook import WhyChange
from tui.ui.keys import bindings
from tui.ui.messages import RememberRuns, RemoveBookmark, RunChosen, SaveBookmark, SearchDone
from tui.ui.session import Session
from tui.ui.widgets.runview import RunDetail
from tui.ui.widgets.watchlist import Watchlist

log = logging.getLogger("tui.ui")

FIND_PAGES = 10  # pages of tasks a search reads (1,000 tasks), as ``zwr find``'s default --limit
FIND_WATCH = 50  # runs a search adds to the watchlist, at most


@dataclass(frozen=True, eq=False)
class Removed:
    """A run ``d`` removed: where it was and what was known of it, for ``u``."""

    run_id: int
    position: int
    update: RunUpdate | None


class MainScreen(Screen):
    BINDINGS = bindings("main")
    KEY_SCOPE = "main"  # its actions in tui.ui.keys (the palette offers them)
    undo_seconds = 10.0  # how long u can bring back a run d removed

    WANT_AFTER = 0.2  # seconds the selection must rest before its error groups are listed

    def __init__(self, session: Session, select: int | None = None) -> None:
        super().__init__()
        self.session = session
        self._initial = select  # the run selected when the screen first shows
        self.book = session.book
        self._sidebar_forced = False
        self._status_key: object = None
        self._status_shown: object = None
        self._unsubscribe = lambda: None
        self._unsubscribe_why = lambda: None
        self._want_timer: Timer | None = None
        self._removed: list[Removed] = []  # what u can bring back, newest last

    def compose(self) -> ComposeResult:
        yield self.session.banner()
        with Horizontal(id="body"), Vertical(id="main"):
            yield Watchlist(self.book, self.session.clock, id="watchlist")
            yield RunDetail(self.book, self.session.clock, self.session.why, id="detail")
        yield Static("", id="statusline")
        # the sidebar and the footer come after the first paint (_mount_the_rest), the filter
        # box when first asked for: `zwr RUN_ID` shows the run's status first

    def on_mount(self) -> None:
        self.watchlist = self.query_one(Watchlist)
        self.detail = self.query_one(RunDetail)
        self._unsubscribe = self.book.subscribe(self._on_book_change)
        self._unsubscribe_why = self.session.why.subscribe(self._on_why_change)
        # the detail follows the cursor in the same frame (a reactive watcher runs at once)
        self.watch(self.watchlist, "highlighted", self._highlight_moved, init=False)
        self.watchlist.rebuild()
        if self._initial is not None:
            self.watchlist.select_run(self._initial)
        self.set_focus(self.watchlist)
        self._sync_detail()
        self.set_interval(1.0, self._tick)
        self.set_interval(0.5, self.refresh_status)
        self.refresh_status()
        # after the first paint, in a task of its own: callbacks queued behind it (another
        # frame, the status of a run whose first answer is just in) do not wait for the mount
        self.call_after_refresh(self.run_worker, self._mount_the_rest, name="mounting the sidebar", group="mount")

    async def _mount_the_rest(self) -> None:
        """Imported and mounted after the first paint: what the run's status does not need."""
        from textual.widgets import Footer

        from tui.ui.widgets.sidebar import Sidebar

        await self.query_one("#body").mount(Sidebar(self.book, self._sidebar_wanted, id="sidebar"), before=0)
        await self.mount(Footer())
        self.refresh_bindings()  # a footer mounted late shows nothing until the bindings are announced again

    def on_unmount(self) -> None:
        self._unsubscribe()
        self._unsubscribe_why()

    # ------------------------------------------------------------------ rendering from the book

    def _on_book_change(self, change: BookChange) -> None:
        self.watchlist.apply_change(change)
        selected = self._sync_detail()
        if selected is not None:
            if selected in change.runs or change.bookmarks:
                self.detail.render_run()
                self._want(selected)  # its error count may have moved
            elif selected in change.touched:
                self.detail.touch()
        if change.runs or change.membership:
            self.refresh_status()  # the counts must never lag behind the rows

    def _highlight_moved(self) -> None:
        self._sync_detail()

    def _on_why_change(self, change: WhyChange) -> None:
        run_id = self.detail.run_id
        run = self.book.run(run_id) if run_id is not None else None
        if run_id in change.runs or (run is not None and run.original_workflow_id in change.workflows):
            self.detail.render_why()

    def _sync_detail(self, *_: object) -> int | None:
        """Point the detail panel at the highlighted run (the selection)."""
        selected = self.watchlist.selected_run_id()
        if self.detail.run_id != selected:
            self.detail.show_run(selected)
            self._want_soon()
        return selected

    def _want(self, run_id: int | None) -> None:
        """Load what the shown run lacks (error groups, definition) in the background; not while
        another screen (the tasks screen lists the tasks itself) is in front."""
        if self.is_current and self._want_timer is None:
            self.session.why.want(run_id)

    def _want_soon(self) -> None:
        """After a selection change, once the cursor rests: holding ↓ through 300 runs lists none."""
        if self._want_timer is not None:
            self._want_timer.stop()

        def rested() -> None:
            self._want_timer = None
            self._want(self.detail.run_id)

        self._want_timer = self.set_timer(self.WANT_AFTER, rested)

    def on_screen_resume(self) -> None:
        self._want(self.detail.run_id)

    def _tick(self) -> None:
        if not self.is_current:
            return
        self.watchlist.tick()
        self.detail.tick()
        self._want(self.detail.run_id)  # a live run's errors are grouped again once the gap has passed

    def refresh_status(self) -> None:
        """The status line: polling state, counts, sort. Recomputed only when an input changed
        (book changes call it; a half-second timer catches the poller's own state: frugal...)."""
        poller, book = self.session.poller, self.book
        key = (
            book.revision,
            poller.paused,
            poller.interval,
            poller.frugal,
            poller.focused,
            self.session.bell,
            self.watchlist.sort_mode,
        )
        if key == self._status_key:
            return
        self._status_key = key
        runs = [run for run in (book.run(r) for r in book) if run is not None]
        active = sum(1 for r in runs if not r.phase.terminal)
        failing = sum(1 for r in runs if r.tasks.error)
        text = Text()
        text.append(
            " ⏸ PAUSED " if poller.paused else f" ⟳ every {poller.interval:g}s ",
            style="bold reverse yellow" if poller.paused else "bold",
        )
        text.append(f"  {len(book)} runs, {active} active")
        if failing:
            text.append(f", {failing} with errors", style="bold red")
        if poller.frugal:
            text.append("  rate limit low: polling slowed", style="yellow")
        if not poller.focused:
            text.append("  (unfocused: polling slowed)", style="dim")
        text.append(f"  sort: {self.watchlist.sort_mode}", style="dim")
        if not self.session.bell:
            text.append("  bell off", style="dim")
        shown = (text.plain, tuple(text.spans))
        if shown != self._status_shown:  # most batches change no count: no repaint
            self._status_shown = shown
            # one fixed row: never worth a whole-screen layout pass
            self.query_one("#statusline", Static).update(text, layout=False)

    # ------------------------------------------------------------------ events

    def _sidebar_wanted(self) -> bool:
        # At 80 columns the watchlist needs the room: the sidebar comes back with ctrl+b.
        return self.size.width >= 110 or self._sidebar_forced

    def on_resize(self, event: Resize) -> None:
        for sidebar in self.query("#sidebar"):
            sidebar.display = self._sidebar_wanted()

    def on_line_table_highlighted(self, event: Watchlist.Highlighted) -> None:
        if event.table is self.watchlist:
            self._sync_detail()

    def on_line_table_selected(self, event: Watchlist.Selected) -> None:
        if event.table is self.watchlist:
            self.action_tasks()

    def on_run_chosen(self, message: RunChosen) -> None:  # from the sidebar
        self.watch_runs([message.run_id], select=True)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.watchlist.set_filter(event.value)
            self._sync_detail()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self.set_focus(self.watchlist)

    # ------------------------------------------------------------------ watching

    def watch_runs(self, run_ids: list[int], *, select: bool = False, remember: bool = True) -> None:
        """Watch runs; with ``select``, select the first and say which were watched already."""
        added = self.session.watch(run_ids)
        if select and run_ids:
            self.select(run_ids[0])
            already = [r for r in dict.fromkeys(run_ids) if r not in added]
            if already:
                shown = ", ".join(map(str, already[:5])) + (" …" if len(already) > 5 else "")
                which = f"Run {shown} is" if len(already) == 1 else f"Runs {shown} are"
                self.notify(f"{which} already watched: selected run {run_ids[0]}.", markup=False)
        if remember and run_ids:
            self.post_message(RememberRuns(list(run_ids)))

    def select(self, run_id: int) -> None:
        """Select a watched run, clearing the filter if it hides the run."""
        if str(run_id) not in self.watchlist.keys and self.watchlist.filter_text:
            self.action_clear_filter()
        self.watchlist.select_run(run_id)
        self._sync_detail()

    def selected_run_id(self) -> int | None:
        return self.watchlist.selected_run_id()

    def _need_selection(self) -> int | None:
        run_id = self.selected_run_id()
        if run_id is None:
            self.notify("No run selected: press a to add run IDs.", severity="warning", markup=False)
        return run_id

    # ------------------------------------------------------------------ actions

    def action_add_runs(self) -> None:
        from tui.ui.screens.modals import RunIdEntry

        def added(ids: list[int] | None) -> None:
            if ids:
                self.watch_runs(ids, select=True, remember=not self.session.demo)

        self.app.push_screen(RunIdEntry(), added)

    def action_tasks(self) -> None:
        run_id = self._need_selection()
        if run_id is None:
            return
        from tui.ui.screens.tasks import TasksScreen

        self.app.push_screen(TasksScreen(self.session, run_id))

    def action_raw(self) -> None:
        run_id = self._need_selection()
        if run_id is None:
            return
        run = self.book.run(run_id)
        if run is None:
            self.notify(f"No data for run {run_id} yet.", severity="warning", markup=False)
            return
        from tui.ui.screens.modals import RawJson

        self.app.push_screen(RawJson(f"Run {run_id} (as Zuora sent it)", dict(run.raw)))

    def action_toggle_bookmark(self) -> None:
        run_id = self._need_selection()
        if run_id is None:
            return
        if self.book.is_bookmarked(run_id):
            self.post_message(RemoveBookmark(run_id))
        else:
            run = self.book.run(run_id)
            self.post_message(SaveBookmark(run_id, (run.name or "")[:80] if run else ""))

    def action_label(self) -> None:
        run_id = self._need_selection()
        if run_id is None:
            return
        from tui.ui.screens.modals import LabelEntry

        def labelled(label: str | None) -> None:
            if label is None:
                return
            if label or self.book.is_bookmarked(run_id):
                self.post_message(SaveBookmark(run_id, label))  # a label bookmarks the run
            else:
                self.notify(f"Run {run_id} is not bookmarked: nothing to save.", markup=False)

        self.app.push_screen(LabelEntry(run_id, self.book.label(run_id)), labelled)

    def action_unwatch(self) -> None:
        run_id = self._need_selection()
        if run_id is None:
            return
        removed = Removed(run_id, self.book.ids().index(run_id), self.book.update(run_id))
        self.session.unwatch(run_id)
        self._removed.append(removed)
        self.set_timer(self.undo_seconds, lambda: self._forget(removed))
        self.notify(
            f"Stopped watching run {run_id}: u brings it back ({self.undo_seconds:g} s).",
            markup=False,
            timeout=self.undo_seconds,
        )

    def _forget(self, removed: Removed) -> None:
        if removed in self._removed:
            self._removed.remove(removed)

    def action_undo(self) -> None:
        """Watch the run ``d`` removed last again, where it was, with what was last known of it."""
        while self._removed:
            removed = self._removed.pop()
            if removed.run_id in self.book:
                continue  # watched again in the meantime (added by hand)
            self.session.restore(removed.run_id, removed.position, removed.update)
            self.select(removed.run_id)
            self.notify(f"Watching run {removed.run_id} again.", markup=False)
            return
        self.notify(f"Nothing to undo: u brings back a run for {self.undo_seconds:g} s after d.", markup=False)

    def action_refresh_selected(self) -> None:
        run_id = self._need_selection()
        if run_id is not None:
            self.session.refresh(run_id)
            self.session.why.retry(run_id)
            self._want(run_id)

    def action_sort(self) -> None:
        mode = self.watchlist.cycle_sort()
        self._sync_detail()
        self.notify(f"Sorted by {mode}.", markup=False)
        self.refresh_status()

    async def action_filter(self) -> None:
        boxes = self.query("#filter").results(Input)
        box = next(boxes, None)
        if box is None:  # created on first use: the first paint does not wait for it
            box = Input(placeholder="filter: id, name, status, label, 'errors'", id="filter")
            await self.query_one("#main").mount(box, before=self.watchlist)
        box.display = True
        self.set_focus(box)  # now, not after the next queued callback

    def action_clear_filter(self) -> None:
        box = next(self.query("#filter").results(Input), None)
        if box is not None and box.display:
            box.value = ""
            box.display = False
            self.watchlist.set_filter("")
            self._sync_detail()
            self.set_focus(self.watchlist)

    def action_toggle_sidebar(self) -> None:
        for sidebar in self.query("#sidebar"):
            self._sidebar_forced = not sidebar.display
            sidebar.display = not sidebar.display

    def action_copy_id(self) -> None:
        run_id = self._need_selection()
        if run_id is not None:
            self.app.copy_to_clipboard(str(run_id))
            self.notify(
                f"Copied run ID {run_id} to the clipboard (OSC 52, works over SSH if your terminal allows it).",
                markup=False,
            )

    def action_copy_json(self) -> None:
        run_id = self._need_selection()
        run = self.book.run(run_id) if run_id is not None else None
        if run is None:
            return
        from tui.ui.screens.modals import json_text

        self.app.copy_to_clipboard(json_text(dict(run.raw), for_clipboard=True))
        self.notify(f"Copied the JSON of run {run_id} to the clipboard (OSC 52).", markup=False)

    def action_copy_request_id(self) -> None:
        run_id = self.selected_run_id()
        update = self.book.update(run_id) if run_id is not None else None
        request_id = (update.meta.request_id if update and update.meta else None) or self.session.poller.last_request_id
        if not request_id:
            self.notify("No Zuora-Request-Id seen yet.", severity="warning", markup=False)
            return
        shown = printable(request_id, 64)
        self.app.copy_to_clipboard(shown)
        self.notify(f"Copied Zuora-Request-Id {shown} (quote it to Zuora support).", markup=False)

    # ------------------------------------------------------------------ why did it fail (issue 14)

    def action_first_error(self) -> None:
        """The first task of the biggest error group, in full: from ``zwr RUN_ID`` one key."""
        run_id = self._need_selection()
        if run_id is None:
            return
        run = self.book.run(run_id)
        digest = self.session.why.digest(run_id)
        if run is None or run.tasks.error <= 0:
            self.notify(f"Run {run_id} has no task errors.", markup=False)
            return
        if digest is None or digest.failure is not None or not digest.groups:
            if digest is None:
                reason = "its tasks are still being listed; try again in a moment"
            elif digest.failure is not None:
                reason = f"its tasks could not be listed ({digest.failure})"
            else:
                reason = "no task in Error was found in its list"
            self.notify(f"No error to show for run {run_id}: {reason}. t lists its tasks.", markup=False, timeout=8)
            return
        group = digest.groups[0]
        from tui.ui.screens.taskdetail import TaskDetailScreen

        context = f"run {run_id} · first of {plural(group.count, 'task')} in the biggest error group"
        self.app.push_screen(TaskDetailScreen(group.first, self.session.banner(), context))

    def action_copy_report(self) -> None:
        """The incident report (markdown, as ``zwr report``) of the selected run, to the clipboard."""
        run_id = self._need_selection()
        if run_id is None:
            return
        from tui.core.report import render
        from tui.ui.incident import incident_for

        incident = incident_for(self.session, run_id, self.session.clock())
        if incident is None:
            self.notify(f"No data for run {run_id} yet: nothing to report.", severity="warning", markup=False)
            return
        text = render(incident, "markdown")
        self.app.copy_to_clipboard(text)
        lines = text.count("\n") + 1
        note = f"Copied the incident report of run {run_id} (markdown, {lines} lines) to the clipboard (OSC 52)."
        if incident.tasks_note:
            note += " Note: " + incident.tasks_note.split(":")[0] + "."
        self.notify(note, markup=False, timeout=8)

    def action_find(self) -> None:
        """Which runs touched a record: search the tasks of every run, watch the runs found."""
        from tui.ui.screens.modals import ObjectIdEntry

        def asked(query: TaskQuery | None) -> None:
            if query is None:
                return
            self.notify(f"Searching the tasks of every run for {query.describe()}…", markup=False)
            future = self.session.poller.find_tasks(query, FIND_PAGES)

            def done(f: concurrent.futures.Future[TaskSearch]) -> None:  # poll thread (or at once)
                if f.cancelled():
                    return
                exc = f.exception()
                if exc is not None and not isinstance(exc, ZwrError):
                    log.error("searching tasks failed", exc_info=exc)
                    exc = InternalError.from_exception("searching the tasks", exc)
                self.post_message(SearchDone(query, f.result() if exc is None else None, exc))

            future.add_done_callback(done)

        self.app.push_screen(ObjectIdEntry(), asked)

    def on_search_done(self, message: SearchDone) -> None:
        query, found = message.query, message.found
        if found is None:
            error = message.error
            text = error.describe() if error is not None else "unknown error"
            self.notify(f"The search for {query.describe()} failed: {text}", severity="error", markup=False, timeout=15)
            return
        runs = [(run_id, tasks) for run_id, tasks in found.by_run() if run_id is not None]
        partial = f" (the search stopped early: {found.partial})" if found.partial else ""
        if not runs:
            self.notify(
                f"No run touched {query.describe()} ({plural(len(found.tasks), 'task')} found){partial}.",
                severity="warning",
                markup=False,
                timeout=10,
            )
            return
        ids = [run_id for run_id, _ in runs[:FIND_WATCH]]
        failed = sum(1 for _, tasks in runs if any(t.status is TaskStatus.ERROR for t in tasks))
        new = [run_id for run_id in ids if run_id not in self.book]
        self.watch_runs(ids, remember=not self.session.demo)
        self.select(ids[0])  # the notice below says which were new: no "already watched" one too
        more = f"; the first {FIND_WATCH} are watched" if len(runs) > FIND_WATCH else ""
        self.notify(
            f"{plural(len(runs), 'run')} touched {query.describe()} ({failed} with a failed task there){more}; "
            f"{len(new)} added to the watchlist{partial}.",
            markup=False,
            timeout=10,
        )

    # ------------------------------------------------------------------ writes (tui.ui.writes does the work)

    def action_stop_run(self) -> None:
        run_id = self._need_selection()
        if run_id is not None and self.session.writes is not None:
            self.session.writes.stop(run_id)

    def action_rerun_failed(self) -> None:
        run_id = self._need_selection()
        if run_id is not None and self.session.writes is not None:
            self.session.writes.rerun_failed(run_id)
