"""Helpers for Pilot and snapshot tests: an app on a simulator, waiting for data, reading widgets."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from tui.core.auth import StaticToken
from tui.sim import RunSpec, Scenario
from tui.sim.scenario import REFERENCE_SAMPLE
from tui.store.connection import Connection
from tui.ui.app import ZwrApp

FROZEN = datetime(2019, 9, 10, 20, 0, 0, tzinfo=UTC)


def connection(sim, production: bool = False, label: str = "Simulator", profile: str | None = "test") -> Connection:
    return Connection(
        base_url=sim.base_url,
        auth=StaticToken(sim.demo_token),
        auth_source="simulator",
        profile=profile,
        production=production,
        label=label,
    )


def make_app(sim, run_ids=(), *, frozen: bool = False, production: bool = False, **kwargs) -> ZwrApp:
    clock = (lambda: FROZEN) if frozen else None
    kwargs.setdefault("interval", 1.0)
    kwargs.setdefault("bell", False)
    return ZwrApp(connection(sim, production), run_ids=run_ids, clock=clock, **kwargs)


async def wait_for(predicate, timeout: float = 10.0, pilot=None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        if pilot is not None:
            await pilot.pause(0.05)
        else:
            await asyncio.sleep(0.05)


def text_of(widget) -> str:
    """Plain text of what a widget renders (Rich renderables are printed without colour)."""
    import io

    from rich.console import Console
    from textual.content import Content
    from textual.visual import RichVisual

    rendered = widget.render()
    if isinstance(rendered, RichVisual):
        rendered = rendered._renderable
    if isinstance(rendered, (str, Content)):
        return str(rendered)
    console = Console(width=200, file=io.StringIO(), color_system=None, legacy_windows=False)
    console.print(rendered)
    return console.file.getvalue()


def frozen_scenario() -> Scenario:
    """Fixed JSON for every run, so snapshots do not move with the wall clock."""

    def run(run_id, status, tasks, name=None, finished=True, **extra):
        data = dict(
            REFERENCE_SAMPLE,
            id=run_id,
            status=status,
            name=name or f"WF-19027-{run_id:08d}",
            tasks=dict(zip(("total", "queued", "processing", "pending", "stopped", "success", "error"), tasks)),
        )
        if not finished:
            data["finishedAt"] = None
            data["updatedAt"] = "2019-09-10 19:59:30 UTC"
        data.update(extra)
        return RunSpec(run_id, data["name"], tasks[0], raw_override=data)

    return Scenario(
        [
            run(19063, "Finished", (4, 0, 0, 0, 0, 4, 0)),
            run(19064, "Queued", (25, 25, 0, 0, 0, 0, 0), finished=False),
            run(19065, "Processing", (12000, 8000, 200, 0, 0, 3790, 10), finished=False),
            run(19066, "Finished", (12, 0, 0, 0, 0, 9, 3)),
            run(19067, "Stopping", (30, 0, 0, 0, 15, 15, 0), finished=False),
            run(19068, "Stopped", (30, 0, 0, 0, 21, 9, 0)),
            run(19069, "Finished", (20, 0, 0, 2, 0, 18, 0)),
            run(19070, "Paused", (5, 1, 0, 0, 0, 4, 0), finished=False),
            run(19071, "Finished", (0, 0, 0, 0, 0, 0, 0), name="[bold red]not markup[/] \x1b[31mesc"),
            run(19072, "Processing", (60, 30, 1, 0, 0, 29, 0), finished=False, updatedAt="2019-09-10 19:20:00 UTC"),
            run(19073, "Processing", (250, 140, 7, 0, 0, 100, 3), finished=False),
            run(19074, "Finished", (8, 0, 0, 0, 0, 8, 0), name="[dim]nightly[/] 夜間バッチ 🚀"),
        ]
    )


# ----------------------------------------------------------------------------- the screen as a terminal shows it


class Terminal:
    """What a real terminal shows: every frame the app writes, fed into a VT emulator (pyte).

    Asserting on this, rather than on a widget's state, catches repaint bugs: a row whose data
    changed but whose line was not repainted still shows the old text here.

    Every app in the test process draws in truecolor (``conftest.py`` pins it): Textual keeps a
    style's escape codes on the shared ``Style`` object for whichever colour system drew it first,
    so one app in 16 or 256 colours would leave later apps' cursor rows in those colours."""

    def __init__(self, app, width: int, height: int) -> None:
        import pyte
        from textual._compositor import CompositorUpdate

        # exact colours tell the highlighted row from the striped ones (probe_bg)
        assert app.console.color_system == "truecolor", f"colour system {app.console.color_system}"
        self.app = app
        self.screen = pyte.Screen(width, height)
        self.stream = pyte.Stream(self.screen)
        self.frames = 0
        original = app._display

        def display(screen, renderable) -> None:
            original(screen, renderable)
            if isinstance(renderable, CompositorUpdate) and not app._batch_count:
                self.stream.feed(renderable.render_segments(app.console))
                self.frames += 1

        app._display = display  # the app draws through here; a headless app otherwise writes nothing

    def lines(self) -> list[str]:
        return list(self.screen.display)

    def line(self, y: int) -> str:
        return "".join(self.screen.buffer[y][x].data for x in range(self.screen.columns))

    def bg(self, x: int, y: int) -> str:
        return self.screen.buffer[y][x].bg

    def probe_bg(self, style) -> str:
        """The background a terminal shows for a Rich ``style`` (rendered as the frames are)."""
        import pyte
        from rich.segment import Segment

        probe = pyte.Screen(2, 1)
        pyte.Stream(probe).feed(self.app.console._render_buffer([Segment(" ", style)]))
        return probe.buffer[0][0].bg

    def region_lines(self, region) -> list[tuple[int, str]]:
        """(y, text) of each line inside a widget's screen region."""
        x, y, width, height = region
        return [(row, self.line(row)[x : x + width]) for row in range(y, y + height)]


# ----------------------------------------------------------------------------- a poller the test drives


class ScriptedPoller:
    """Stands in for ``PollThread`` (same ``Poller`` interface) with no network at all: the test
    decides every update and every task list, and delivers them through the same sink, so the
    app sees exactly what it sees in production (one ``RunsUpdated`` message per batch)."""

    def __init__(self, task_lists=None, workflows=None, searches=None) -> None:
        self.watched: list[int] = []
        self.paused = False
        self.interval = 5.0
        self.focused = True
        self.frugal = False
        self.polls = 0
        self.last_request_id = None
        self.sink = None
        self.refreshed: list[int | None] = []
        self.task_lists = task_lists or {}  # run_id -> callable returning a TaskList
        self.loads: list[int] = []
        self.workflows = workflows or {}  # workflow_id -> callable returning a WorkflowResult (or raising)
        self.workflow_loads: list[str] = []
        self.searches = searches or {}  # object_id -> callable returning a TaskSearch
        self.hold_tasks = False  # True: task listings wait for ``release``
        self.held: list = []
        self.closed = False
        self.calls: list = []  # (work, future) of every call(): the test answers them (writes)
        self.holds: list[tuple[int, float]] = []

    def attach(self, sink) -> None:
        self.sink = sink

    def detach(self) -> None:
        self.sink = None

    def deliver(self, updates) -> None:
        assert self.sink is not None, "the app has not attached yet"
        self.polls += len(updates)
        self.sink(tuple(updates))

    def watch(self, run_id: int) -> None:
        if run_id not in self.watched:
            self.watched.append(run_id)

    def unwatch(self, run_id: int) -> None:
        if run_id in self.watched:
            self.watched.remove(run_id)

    def refresh(self, run_id=None) -> None:
        self.refreshed.append(run_id)

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    def set_interval(self, seconds: float) -> float:
        from tui.poll.engine import clamp_interval

        self.interval, _ = clamp_interval(seconds, self.interval)
        return self.interval

    def set_focus(self, focused: bool) -> None:
        self.focused = focused

    def load_tasks(self, run_id, expected_total, on_page=None):
        import concurrent.futures

        future = concurrent.futures.Future()
        self.loads.append(run_id)
        if self.hold_tasks:  # answered when the test says so (``release``): a listing still on its way
            self.held.append((run_id, future))
            return future
        self._answer(run_id, future)
        return future

    def release(self) -> int:
        """Answer the held listings (as they are now); returns how many."""
        held, self.held = self.held, []
        for run_id, future in held:
            self._answer(run_id, future)
        return len(held)

    def _answer(self, run_id, future) -> None:
        if future.cancelled():
            return
        source = self.task_lists.get(run_id)
        if source is None:
            from tui.core.errors import NotFound

            future.set_exception(NotFound(f"No tasks for run {run_id}."))
        else:
            try:
                future.set_result(source())
            except Exception as exc:  # the test's source may raise a ZwrError on purpose
                future.set_exception(exc)

    @staticmethod
    def _settled(source, missing):
        import concurrent.futures

        future = concurrent.futures.Future()
        try:
            future.set_result(source() if source is not None else missing())
        except Exception as exc:  # the test's source may raise a ZwrError on purpose
            future.set_exception(exc)
        return future

    def load_workflow(self, workflow_id):
        from tui.core.errors import NotFound

        def missing():
            raise NotFound(f"Workflow {workflow_id}'s definition was not found (HTTP 404).")

        self.workflow_loads.append(workflow_id)
        return self._settled(self.workflows.get(workflow_id), missing)

    def find_tasks(self, query, max_pages):
        from tui.core.search import TaskSearch

        return self._settled(self.searches.get(query.object_id), lambda: TaskSearch(query, (), 1, None))

    def hold(self, run_id: int, seconds: float) -> None:
        self.holds.append((run_id, seconds))

    def call(self, work):
        """A write (or its preparation) for the poll thread: left pending until the test sets
        the future's result, so a test can keep a write 'on the wire' as long as it likes."""
        import concurrent.futures

        future = concurrent.futures.Future()
        self.calls.append((work, future))
        return future

    def close(self, timeout: float = 5.0) -> None:
        self.closed = True


def scripted_app(run_ids=(), *, poller: ScriptedPoller | None = None, **kwargs):
    """A ZwrApp on a ``ScriptedPoller`` with the clock frozen at ``FROZEN``."""
    poller = poller or ScriptedPoller()
    connection = Connection(
        base_url="https://127.0.0.1:9", auth=StaticToken("scripted"), auth_source="test", profile="test", label="Test"
    )
    kwargs.setdefault("bell", False)
    kwargs.setdefault("interval", 5.0)
    app = ZwrApp(connection, run_ids=run_ids, clock=lambda: FROZEN, poller=lambda *args: poller, **kwargs)
    return app, poller


async def settle(pilot, rounds: int = 3) -> None:
    """Let the app process everything queued (and what that queued), then paint. No idle-waits.

    A barrier per message pump that takes part in handling keys and batches (the app, the
    screen, the focused widget): when a callback queued behind their messages has run, those
    messages have been handled. ``rounds`` covers messages that post further messages."""
    app = pilot.app
    for _ in range(rounds):
        screen = app.screen
        for pump in dict.fromkeys(p for p in (app, screen, screen.focused) if p is not None):
            done = asyncio.Event()
            if pump.call_later(done.set):
                await asyncio.wait_for(done.wait(), 10)
        screen._on_timer_update()  # paint now, as the screen's refresh timer would


async def press(pilot, *keys: str) -> None:
    """``pilot.press`` without its idle-waits (two ~20 ms sleeps per key, which make long random
    walks slow): the same key events go through the same path (the app's queue, priority
    bindings, the focused widget, bindings), then the app settles."""
    import unicodedata

    from textual import events
    from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

    app = pilot.app
    for key in keys:
        if len(key) == 1 and not key.isalnum():
            key = _character_to_key(key)
        try:
            char = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
        except KeyError:
            char = key if len(key) == 1 else None
        app.post_message(events.Key(key, char))
        await settle(pilot)


async def settle_until(predicate, *, pilot, timeout: float = 10.0) -> None:
    """``wait_for`` without its 50 ms naps: settle the app until ``predicate()`` holds (bounded)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await settle(pilot, 1)
        await asyncio.sleep(0.001)
