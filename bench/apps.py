"""Programs the benchmark runs in subprocesses: zwr's TUI and the baselines.

Usage: python bench/apps.py KIND BASE_URL [args]; each prints one JSON line of figures and exits.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

T0 = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def emit(**figures) -> None:
    figures["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(figures), flush=True)


def minimal_textual() -> None:
    """Baseline: the smallest Textual app that paints one Static, then exits."""
    from textual.app import App
    from textual.widgets import Static

    class Minimal(App):
        def compose(self):
            yield Static("hello")

        def on_mount(self):
            self.call_after_refresh(self.done)

        def done(self):
            self.painted = time.perf_counter() - T0
            self.cpu = time.process_time()
            self.exit()

    app = Minimal()
    app.run(headless=True, size=(120, 40))
    emit(first_paint=app.painted, cpu=app.cpu)


def zwr_first_paint(base_url: str, run_id: str) -> None:
    """``zwr RUN_ID``: from process start to the run's status painted (headless). Started as
    ``tui.cli.launch.ui`` starts it: the garbage collector paused until the first paint, the
    first fetch on the wire before Textual is imported."""
    from tui.cli.launch import pause_gc, start_first_fetch

    resume_gc = pause_gc()
    from tui.core.auth import StaticToken
    from tui.store.connection import Connection

    connection = Connection(base_url=base_url, auth=StaticToken("demo-token"), auth_source="bench")
    poller = start_first_fetch(connection, [int(run_id)], 60)
    from tui.ui.app import ZwrApp

    class Bench(ZwrApp):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.book.subscribe(self.changed)  # called once a batch is in the run book

        def changed(self, change) -> None:
            if any(self.book.run(r) is not None for r in change.runs):
                self.call_after_refresh(self.done)  # the frame showing it has been composed

        def done(self):
            if not hasattr(self, "painted"):
                self.painted = time.perf_counter() - T0
                self.cpu = time.process_time()
                self.exit()

    app = Bench(connection, run_ids=[int(run_id)], interval=60, bell=False, started=poller, after_first_paint=resume_gc)
    app.run(headless=True, size=(120, 40))
    emit(first_paint=app.painted, cpu=app.cpu)


def zwr_watch(base_url: str, first_id: str, count: str, seconds: str, interval: str) -> None:
    """Watch ``count`` runs; after all are loaded, measure CPU for ``seconds``; report RSS."""
    from tui.core.auth import StaticToken
    from tui.store.bookmarks import Bookmark, BookmarkStore
    from tui.store.connection import Connection
    from tui.ui.app import ZwrApp

    ids = list(range(int(first_id), int(first_id) + int(count)))
    bookmarks = int(os.environ.get("BENCH_BOOKMARKS", "0"))
    if bookmarks:
        BookmarkStore("bench").update(lambda items: [Bookmark(i, f"bookmark {i}") for i in range(1, bookmarks + 1)])

    class Bench(ZwrApp):
        loaded = False
        window_polls = 0

        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.book.subscribe(self.changed)  # called once a batch is in the run book

        def changed(self, change) -> None:
            if not self.loaded and len(self.updates) == len(ids) and all(u.run for u in self.updates.values()):
                self.loaded = True
                self.cpu0, self.wall0, self.polls0 = time.process_time(), time.perf_counter(), self.engine.polls
                self.set_timer(float(seconds), self.done)

        def done(self):
            self.cpu = time.process_time() - self.cpu0
            self.wall = time.perf_counter() - self.wall0
            self.window_polls = self.engine.polls - self.polls0
            self.exit()

    app = Bench(
        Connection(base_url=base_url, auth=StaticToken("demo-token"), auth_source="bench", profile="bench"),
        run_ids=ids,
        interval=float(interval),
        bell=False,
        client_settings={"concurrency": 16},
    )
    app.run(headless=True, size=(160, 48))
    emit(cpu=app.cpu, wall=app.wall, polls=app.window_polls, runs=len(ids))


if __name__ == "__main__":
    kind, *args = sys.argv[1:]
    {"minimal": minimal_textual, "first_paint": zwr_first_paint, "watch": zwr_watch}[kind](*args)
