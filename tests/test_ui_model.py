"""Model-based UI tests: seeded random walks of keys and poll updates, checked after every step
against what a terminal would show.

The app runs on a ``ScriptedPoller`` (no network: the test decides every update) and every
frame it draws is fed into a VT emulator (``Terminal``). After each step the test compares
the screen with its own model of the truth, computed independently of the widgets:

- every visible watchlist row shows that run's ID (and ★ if bookmarked), status symbol and
  word, ⚠ when the data is stale, the run stuck or the counts odd, done/total and errors;
- the visible rows are a contiguous window of the runs the filter and sort should show, and
  the window is full (no blank line while rows are left);
- exactly one row is highlighted, it is the selected run, and it is on screen;
- the detail panel's header names the selected run and its status.

Now and then the walk stops the selected run (X): the question is answered or cancelled, and
a confirmed stop stays on the wire for a few steps while the checks go on (issue 15).

The tasks screen gets the same treatment with a 250-task run that progresses while the
screen is open (it must reload, keep the cursor on the same task and filter correctly).
Each walk is several hundred steps; failures print the seed, the step log and the screen.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from tests.uihelpers import FROZEN, ScriptedPoller, Terminal, press, scripted_app, settle, settle_until
from tui.core.client import TaskList
from tui.core.errors import RateLimited, ServerError, ZwrError
from tui.core.model import Run, Task
from tui.poll.engine import RunUpdate

SIZE = (80, 24)
STUCK_AFTER = timedelta(minutes=15)


def stamp(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


# ----------------------------------------------------------------------------- the model of the truth


@dataclass
class RunState:
    run_id: int
    name: str
    status: str
    counts: dict[str, int]
    total: int
    created_ago: int  # seconds before FROZEN
    updated_ago: int
    fetched: bool = False
    error: ZwrError | None = None

    def json(self) -> dict:
        finished = self.status in ("Finished", "Stopped")
        return {
            "id": self.run_id,
            "name": self.name,
            "status": self.status,
            "createdAt": stamp(FROZEN - timedelta(seconds=self.created_ago)),
            "updatedAt": stamp(FROZEN - timedelta(seconds=self.updated_ago)),
            "finishedAt": stamp(FROZEN - timedelta(seconds=self.updated_ago)) if finished else None,
            "tasks": {"total": self.total, **self.counts},
        }

    def run(self) -> Run:
        return Run.parse(self.json())

    def update(self) -> RunUpdate:
        return RunUpdate(
            self.run_id,
            self.run() if self.fetched else None,
            None,
            self.error,
            True,
            5.0,
            FROZEN.timestamp() if self.fetched else None,
        )

    # what a person must read in the row -------------------------------------------------

    @property
    def done(self) -> int:
        c = self.counts
        return c["success"] + c["error"] + c["stopped"]

    @property
    def effective_total(self) -> int:
        return max(self.total, sum(self.counts.values()))

    def symbol_word(self) -> tuple[str, str]:
        c, status = self.counts, self.status
        if status == "Finished":
            if c["pending"]:
                return "◔", "Finished"
            return ("✖" if c["error"] else "✔"), "Finished"
        return {
            "Stopped": ("■", "Stopped"),
            "Stopping": ("◼", "Stopping"),
            "Processing": ("▶", "Processing"),
            "Queued": ("◌", "Queued"),
        }.get(status, ("?", status))

    def flagged(self) -> bool:
        if not self.fetched:
            return False
        stuck = self.status in ("Processing", "Stopping") or (self.status == "Finished" and self.counts["pending"])
        odd = sum(self.counts.values()) != self.total
        return self.error is not None or (stuck and self.updated_ago >= STUCK_AFTER.total_seconds()) or odd

    def status_rank(self) -> int:
        """Sort by status: errors first, then warnings, running, queued, unknown, fine; no data last."""
        if not self.fetched:
            return 0 if self.error is not None else 8
        c, status = self.counts, self.status
        if status == "Finished":
            if c["pending"]:
                return 0 if c["error"] else 1
            return 0 if c["error"] else 5
        if status == "Stopped" or status == "Stopping":
            return 1
        if status == "Processing":
            return 0 if c["error"] else 2
        if status == "Queued":
            return 3
        return 4

    def elapsed(self) -> int:
        if self.status in ("Finished", "Stopped"):
            return max(0, self.created_ago - self.updated_ago)  # the app clamps odd data at 0
        return self.created_ago


ERROR_WORDS = {"server": "server error", "rate_limited": "rate limited"}


@dataclass
class Model:
    runs: dict[int, RunState]  # in the order they were added
    bookmarked: set[int] = field(default_factory=set)
    sort: str = "added"
    filter: str = ""
    selected: int | None = None

    def matches(self, state: RunState) -> bool:
        needle = self.filter.strip().lower()
        if not needle:
            return True
        hay = [str(state.run_id)]
        if state.fetched:
            word = state.symbol_word()[1]
            hay += [state.name, state.status, word]
            if needle in ("error", "errors", "failed") and state.counts["error"]:
                return True
        return any(needle in h.lower() for h in hay)

    def order(self) -> list[int]:
        ids = [r for r, s in self.runs.items() if self.matches(s)]
        keys = {
            "added": lambda r: 0,
            "id": lambda r: r,
            "errors": lambda r: (-(self.runs[r].counts["error"] if self.runs[r].fetched else 0), r),
            "elapsed": lambda r: (-self.runs[r].elapsed() if self.runs[r].fetched else 0, r),
            "status": lambda r: (self.runs[r].status_rank(), r),
        }
        return sorted(ids, key=keys[self.sort])

    def reselect(self, before: list[int], after: list[int]) -> None:
        """The selection survives a re-order; if its run is gone, the row at its index is selected."""
        if self.selected in after:
            return
        if not after:
            self.selected = None
            return
        index = before.index(self.selected) if self.selected in before else 0
        self.selected = after[min(index, len(after) - 1)]


# ----------------------------------------------------------------------------- reading the screen

COLS = (8, 16, 18, 5, 8)  # ID, Status, Tasks done, Err, Elapsed (then the name)


def split_row(text: str) -> list[str]:
    cells, x = [], 1
    for width in COLS:
        cells.append(text[x : x + width])
        x += width + 1
    cells.append(text[x:])
    return cells


class Checker:
    def __init__(self, app, terminal: Terminal, model: Model) -> None:
        self.app, self.terminal, self.model = app, terminal, model
        table = app.main.watchlist
        self.cursor_bgs = {
            terminal.probe_bg(table.get_component_rich_style("linetable--cursor")),
            terminal.probe_bg(table.get_component_rich_style("linetable--cursor-blurred")),
        }

    def check(self) -> None:
        model, table = self.model, self.app.main.watchlist
        expected = model.order()
        region = table.scrollable_content_region  # without the scrollbar
        rows = self.terminal.region_lines(region)[1:]  # under the header
        shown: list[int] = []
        highlighted: list[int] = []
        said_empty = False
        for y, text in rows:
            if not text.strip():
                continue
            if not expected and ("No watched run matches" in text or "No runs watched" in text):
                said_empty = True  # an empty list says why (a filter hides every run, or none is watched)
                continue
            cells = split_row(text)
            run_id = int(cells[0].split()[0])
            shown.append(run_id)
            self.check_row(run_id, cells, text)
            if self.terminal.bg(region.x + 1, y) in self.cursor_bgs:
                highlighted.append(run_id)
        body = len(rows)
        assert said_empty or expected, "an empty watchlist must say why"
        assert len(shown) == min(body, len(expected)), f"{len(shown)} rows shown, {len(expected)} to show"
        if shown:
            top = expected.index(shown[0]) if shown[0] in expected else -1
            assert shown == expected[top : top + len(shown)], f"rows {shown} are not a window of {expected}"
        if model.selected is None:
            assert highlighted == [] and expected == []
        else:
            assert highlighted == [model.selected], f"highlighted {highlighted}, selected {model.selected}"
        self.check_detail()

    def check_row(self, run_id: int, cells: list[str], text: str) -> None:
        state = self.model.runs[run_id]
        ident = cells[0].strip()
        assert ident == (f"{run_id} ★" if run_id in self.model.bookmarked else str(run_id)), text
        status = cells[1].rstrip()
        if not state.fetched:
            want = f"⚠ {ERROR_WORDS[state.error.kind]}" if state.error else "… loading"
            assert status == want, text
            return
        symbol, word = state.symbol_word()
        marker = " ⚠" if state.flagged() else ""
        full = f"{symbol} {word}{marker}"
        if len(full) <= COLS[1]:
            assert status == full, f"{status!r} != {full!r} in {text!r}"
        else:  # the word is shortened, never the symbol or the marker
            assert status.startswith(symbol + " ") and status.endswith("…" + marker), text
            assert word.startswith(status[2 : len(status) - len(marker) - 1]), text
        assert f" {state.done}/{state.effective_total}" in cells[2], text
        assert cells[3].strip() == str(state.counts["error"]), text
        assert cells[5].strip() == state.name, text

    def check_detail(self) -> None:
        detail = self.app.main.detail
        lines = [t.strip() for _, t in self.terminal.region_lines(detail.region)]
        title = next((line for line in lines if line and not set(line) <= {"─"}), "")
        selected = self.model.selected
        if selected is None:
            assert title.startswith("Select a run"), title
            return
        assert title.startswith(f"Run {selected} "), f"detail header {title!r}, selected {selected}"
        state = self.model.runs[selected]
        if state.fetched:
            symbol, word = state.symbol_word()
            assert f"{symbol} {word}" in title, title


# ----------------------------------------------------------------------------- the walk


def initial_runs(rng: random.Random, ids: list[int]) -> dict[int, RunState]:
    runs = {}
    for run_id in ids:
        total = rng.choice([4, 12, 25, 60, 250, 1200])
        status = rng.choice(["Queued", "Processing", "Processing", "Finished", "Stopped", "Stopping", "Paused"])
        counts = dict.fromkeys(("queued", "processing", "pending", "stopped", "success", "error"), 0)
        if status == "Queued":
            counts["queued"] = total
        elif status in ("Finished",):
            counts["error"] = rng.choice([0, 0, 1, 3])
            counts["pending"] = min(rng.choice([0, 0, 0, 2]), total - counts["error"])  # never a negative count
            counts["success"] = total - counts["error"] - counts["pending"]
        elif status in ("Stopped", "Stopping"):
            counts["stopped"] = total // 2
            counts["success"] = total - total // 2
        else:
            counts["success"] = rng.randrange(total)
            counts["queued"] = total - counts["success"]
        created = rng.randrange(600, 7200)
        updated = rng.choice([5, 30, 1200]) if status != "Finished" else rng.randrange(0, created // 2)
        runs[run_id] = RunState(run_id, f"WF-{run_id % 1000:03d}", status, counts, total, created, updated)
    return runs


def progress(rng: random.Random, state: RunState) -> str:
    """Move a run along its life; returns what happened (for the step log)."""
    c = state.counts
    roll = rng.random()
    if roll < 0.12 and state.fetched:
        state.error = rng.choice([ServerError("HTTP 503 from Zuora.", status=503), RateLimited("HTTP 429.")])
        return "error"
    if roll < 0.2 and state.error is not None:
        state.error = None
        return "recovered"
    if roll < 0.25:
        state.total += rng.choice([1, -1])  # the counts stop adding up (or add up again)
        return "odd counts"
    state.fetched = True
    state.error = None
    if state.status == "Queued":
        state.status = "Processing"
    elif state.status == "Processing":
        moved = min(c["queued"], rng.randint(1, max(1, state.total // 5)))
        c["queued"] -= moved
        failed = rng.choice([0, 0, 0, min(moved, 2)])
        c["error"] += failed
        c["success"] += moved - failed
        state.updated_ago = rng.choice([0, 0, 0, 1200])
        if c["queued"] == 0:
            state.status = "Finished"
    elif state.status == "Stopping":
        state.status = "Stopped"
    elif state.status == "Finished" and c["pending"]:
        c["success"] += c["pending"]
        c["pending"] = 0
    return f"{state.status} {state.done}/{state.total} err {c['error']}"


FILTERS = ["5001", "errors", "proc", "fin", "queued", "wf-02", "zzz", "50"]


async def stop_step(rng: random.Random, app, poller: ScriptedPoller, pilot, model: Model, log: list[str]):
    """X on the selected run, answered as Zuora would answer the model; confirmed (the stop then
    stays on the wire for a few steps) or cancelled. Returns (run ID, the send's future, steps)."""
    from tui.core import actions as A
    from tui.poll.writes import Outcome
    from tui.ui.screens.confirm import ConfirmWrite

    run_id = model.selected
    await press(pilot, "X")
    await settle_until(lambda: poller.calls, pilot=pilot)
    _, prepared = poller.calls.pop()
    plan = A.plan_stop(model.runs[run_id].run())
    prepared.set_result(plan)
    if plan.nothing_to_do:
        await settle_until(lambda: app.session.writes.busy is None, pilot=pilot)
        log.append(f"X {run_id}: nothing to do")
        return None
    await settle_until(lambda: isinstance(app.screen, ConfirmWrite), pilot=pilot)
    if rng.random() < 0.3:
        await press(pilot, "escape")
        await settle_until(lambda: poller.calls, pilot=pilot)
        poller.calls.pop()[1].set_result(Outcome(()))  # the cancel, recorded
        log.append(f"X {run_id}: cancelled")
        return None
    await press(pilot, "tab", "enter")
    await settle_until(lambda: poller.calls and app.screen is app.main, pilot=pilot)
    log.append(f"X {run_id}: stop on the wire")
    return run_id, poller.calls.pop()[1], rng.randint(1, 6)


async def stop_answered(app, poller: ScriptedPoller, pilot, model: Model, run_id: int, future, log: list[str]):
    """Zuora accepts the stop: the run goes Stopping (the refresh that follows shows it)."""
    from tui.core import actions as A
    from tui.poll.writes import Outcome

    future.set_result(Outcome((A.Record(A.STOP, run_id, None, A.DONE, f"Stop of run {run_id} sent."),)))
    state = model.runs.get(run_id)
    if state is not None and state.status not in ("Finished", "Stopped", "Stopping"):
        c = state.counts
        c["stopped"] += c["queued"] + c["pending"]
        c["queued"] = c["pending"] = 0
        state.status, state.fetched, state.error = "Stopping", True, None
        poller.deliver([state.update()])
    await settle_until(lambda: app.session.writes.busy is None, pilot=pilot)
    log.append(f"stop of {run_id} answered")


async def walk(seed: int, steps: int) -> None:
    rng = random.Random(seed)
    ids = list(range(50001, 50033))  # 32 runs: far more than the 7 rows an 80x24 screen shows
    spare = list(range(50101, 50131))
    model = Model(initial_runs(rng, ids))
    app, poller = scripted_app(ids, allow_write=True)
    # state-change toasts from the first step on, however slow the machine: with the app's quiet
    # start (5 s of wall clock) a loaded machine showed toasts at steps a fast one kept quiet
    app.quiet_start = 0
    log: list[str] = []
    writes_rng = random.Random(seed + 1000)  # its own stream: the other steps stay as they were
    in_flight = None  # (run ID, future, steps left) of a stop on the wire
    async with app.run_test(size=SIZE) as pilot:
        terminal = Terminal(app, *SIZE)
        await pilot.pause()
        first = rng.sample(ids, 24)  # most runs arrive in the first batch, some later
        for run_id in first:
            model.runs[run_id].fetched = True
        poller.deliver([model.runs[r].update() for r in first])
        model.selected = model.order()[0]
        await pilot.pause()
        await pilot.pause()
        checker = Checker(app, terminal, model)
        checker.check()
        table = app.main.watchlist
        for step in range(steps):
            if in_flight is not None:  # the watchlist must keep telling the truth meanwhile
                run_id, future, left = in_flight
                in_flight = (run_id, future, left - 1) if left else None
                if not left:
                    before = model.order()  # the stopped run may leave the filter: the selection moves
                    await stop_answered(app, poller, pilot, model, run_id, future, log)
                    model.reselect(before, model.order())
            elif model.selected is not None and writes_rng.random() < 0.05:
                in_flight = await stop_step(writes_rng, app, poller, pilot, model, log)
            before = model.order()
            roll = rng.random()
            if roll < 0.42:
                key = rng.choice(["down", "down", "up", "up", "pagedown", "pageup", "home", "end"])
                await press(pilot, key)
                index = before.index(model.selected) if model.selected in before else 0
                page = max(1, table.body_height - 1)
                target = {
                    "down": index + 1,
                    "up": index - 1,
                    "pagedown": index + page,
                    "pageup": index - page,
                    "home": 0,
                    "end": len(before) - 1,
                }[key]
                if before:
                    model.selected = before[max(0, min(target, len(before) - 1))]
                log.append(key)
            elif roll < 0.72:
                chosen = rng.sample(list(model.runs), rng.randint(1, 6))
                notes = [f"{r}:{progress(rng, model.runs[r])}" for r in chosen]
                poller.deliver([model.runs[r].update() for r in chosen])
                log.append("poll " + ", ".join(notes))
            elif roll < 0.77:
                await press(pilot, "s")
                model.sort = {"added": "status", "status": "errors", "errors": "elapsed", "elapsed": "id"}.get(
                    model.sort, "added"
                )
                log.append(f"s -> {model.sort}")
            elif roll < 0.83:
                text = rng.choice(FILTERS)
                await press(pilot, "slash", "end", "ctrl+u", *text, "enter")
                # the list is re-filtered at every keystroke: the selection follows each step
                for typed in ([""] if model.filter else []) + [text[: n + 1] for n in range(len(text))]:
                    previous = model.order()
                    model.filter = typed
                    model.reselect(previous, model.order())
                log.append(f"/ {text}")
            elif roll < 0.86:
                await press(pilot, "escape")
                model.filter = ""
                log.append("esc")
            elif roll < 0.90 and spare:
                new = [spare.pop(0) for _ in range(rng.randint(1, 2))]
                await press(pilot, "a", *" ".join(map(str, new)).replace(" ", ","), "enter")
                for run_id in new:
                    model.runs[run_id] = initial_runs(rng, [run_id])[run_id]
                if new[0] not in model.order():
                    model.filter = ""  # the filter would hide the run just added: it is cleared
                model.reselect(before, model.order())
                model.selected = new[0]  # what was added is selected
                log.append(f"a {new}")
            elif roll < 0.94 and model.selected is not None and len(model.runs) > 12:
                gone = model.selected
                await press(pilot, "d")
                del model.runs[gone]
                model.bookmarked.discard(gone)
                model.reselect(before, model.order())
                log.append(f"d {gone}")
            elif roll < 0.97 and model.selected is not None:
                run_id = model.selected
                await press(pilot, "b")
                model.bookmarked ^= {run_id}
                await settle_until(
                    lambda rid=run_id: app.book.is_bookmarked(rid) == (rid in model.bookmarked), pilot=pilot
                )
                log.append(f"b {run_id}")
            else:
                size = rng.choice([(80, 20), (96, 30), SIZE])
                terminal.screen.resize(size[1], size[0])  # the terminal first, as a real one would
                await pilot.resize_terminal(*size)
                terminal.screen.resize(SIZE[1], SIZE[0])
                await pilot.resize_terminal(*SIZE)
                log.append(f"resize {size} and back")
            model.reselect(before, model.order())
            app.clear_notifications()  # the writes' notices lie over the rows; they are not what is checked
            await settle(pilot)
            try:
                checker.check()
            except (AssertionError, ValueError, KeyError) as exc:
                screen = "\n".join(terminal.lines())
                raise AssertionError(
                    f"seed {seed}, step {step}: {exc}\nlast steps: {log[-8:]}\n"
                    f"sort {model.sort!r} filter {model.filter!r} selected {model.selected}\n{screen}"
                ) from None
        assert any(entry.endswith("answered") for entry in log), "no stop was ever on the wire in this walk"


@pytest.mark.parametrize("seed", [11, 23, 37])
async def test_watchlist_and_detail_always_tell_the_truth(seed):
    await walk(seed, 200)


# ----------------------------------------------------------------------------- the tasks screen

TASK_STATUSES = ("Queued", "Processing", "Pending", "Success", "Error")
SYMBOLS = {"Queued": "◌", "Processing": "▶", "Pending": "◔", "Success": "✔", "Error": "✖"}
URGENCY = {"Error": 0, "Pending": 2, "Processing": 3, "Queued": 4, "Success": 6}
ACTIONS = ("Callout", "Create", "Update")
# how a task fails, by its index: one message template per class, so the model's groups are its classes
FAILURES = (
    ("WorkflowError::Callout", lambda i: "Callout response was 500 after 3 tries."),
    ("WorkflowError::Timeout", lambda i: f"Callout timed out after {30 + i % 7} seconds"),
    ("WorkflowError::Validation", lambda i: f"Invalid value for field AccountId: 8a8082c40a11{i:020x}"),
)
TASK_SORTS = [None, "status", "duration", "name", "id", "action", "object", "error"]
GROUP_SORTS = ["count", "seen", "class"]


@dataclass
class TaskRun:
    run_id: int
    statuses: list[str]

    def tasks(self) -> tuple[Task, ...]:
        key = tuple(self.statuses)
        if getattr(self, "_cached", (None,))[0] != key:
            self._cached = (key, self._parse())
        return self._cached[1]

    @staticmethod
    def duration(i: int) -> int:
        return (i * 37) % 50

    def _parse(self) -> tuple[Task, ...]:
        out = []
        for i, status in enumerate(self.statuses):
            raw = {
                "id": 700001 + i,
                "name": f"Task {(i * 7919) % 1000:03d}",  # names and IDs sort differently
                "status": status,
                "action_type": ACTIONS[i % 3],
                "object": "Invoice" if i % 2 else None,
                "object_id": f"8a8082c40e1c{i:020x}" if i % 2 else None,
            }
            if status != "Queued":
                raw["start_time"] = stamp(FROZEN - timedelta(seconds=600 - i))
            if status in ("Success", "Error"):
                raw["end_time"] = stamp(FROZEN - timedelta(seconds=600 - i - self.duration(i)))
            if status == "Error":
                error_class, message = FAILURES[(i // 2) % 3]
                raw.update(error=message(i), error_class=error_class)
            out.append(Task.parse(raw))
        return tuple(out)

    def state(self) -> RunState:
        counts = dict.fromkeys(("queued", "processing", "pending", "stopped", "success", "error"), 0)
        for status in self.statuses:
            counts[status.lower()] += 1
        active = counts["queued"] + counts["processing"]
        status = "Processing" if active else "Finished"
        return RunState(self.run_id, "WF-big", status, counts, len(self.statuses), 3600, 0, fetched=True)

    def advance(self, rng: random.Random) -> int:
        moved = 0
        for i, status in enumerate(self.statuses):
            if status in ("Queued", "Processing", "Pending") and rng.random() < 0.08:
                self.statuses[i] = {
                    "Queued": "Processing",
                    "Processing": rng.choice(["Success", "Success", "Error", "Pending"]),
                    "Pending": "Success",
                }[status]
                moved += 1
        return moved


def reselect(selected, before: list, after: list):
    """The cursor stays on its row's key; if the key is gone, on the row at the same index."""
    if selected in after:
        return selected
    if not after:
        return None
    index = before.index(selected) if selected in before else 0
    return after[min(index, len(after) - 1)]


@dataclass
class TasksModel:
    """What the tasks screen must show, computed from the tasks themselves (not from the widgets)."""

    run: TaskRun
    errors_only: bool = False
    needle: str = ""
    sort: int = 0  # index in TASK_SORTS
    reverse: bool = False
    grouped: bool = False
    group_sort: int = 0
    group_reverse: bool = False
    group: str | None = None  # the class whose tasks are listed (enter on a group)
    box: bool = False  # the filter box is open (esc in a list of tasks closes it first)
    selected: int | str | None = None  # a task ID, or a class in the grouped view
    cursor: dict = field(default_factory=lambda: {"tasks": None, "groups": None})

    # the rows ------------------------------------------------------------------------------

    def sort_key(self, name: str, task: Task):
        """(missing, value) as a person reads the column; missing values always go last."""
        label = task.status_label
        if name == "status":
            return (False, URGENCY[label])
        if name == "duration":
            return (task.duration is None, -(task.duration or 0))
        if name == "name":
            return (False, task.name.casefold())
        if name == "id":
            return (False, task.id)
        if name == "action":
            return (False, task.action_type.casefold())
        if name == "object":
            return (task.object is None, ((task.object or "") + (task.object_id or "")).casefold())
        return (label != "Error", (task.error or "").casefold())

    def task_ids(self) -> list[int]:
        tasks = []
        for t in self.run.tasks():
            if self.errors_only and t.status_label != "Error":
                continue
            if self.group is not None and t.error_class != self.group:
                continue
            hay = f"{t.id} {t.name} {t.action_type} {t.status_label} {t.object or ''} {t.object_id or ''}"
            if self.needle and self.needle not in (hay + f" {t.error or ''} {t.error_class or ''}").lower():
                continue
            tasks.append(t)
        name = TASK_SORTS[self.sort]
        if name is not None:
            present = [t for t in tasks if not self.sort_key(name, t)[0]]
            missing = [t for t in tasks if self.sort_key(name, t)[0]]
            present.sort(key=lambda t: self.sort_key(name, t)[1], reverse=self.reverse)  # stable either way
            tasks = present + missing
        return [t.id for t in tasks]

    def groups(self) -> dict[str, dict]:
        """class -> count, first seen, first task: the run's error groups."""
        out: dict[str, dict] = {}
        for t in self.run.tasks():
            if t.status_label == "Error":
                g = out.setdefault(t.error_class, {"count": 0, "seen": t.end_time, "first": t.id})
                g["count"] += 1
                if t.end_time < g["seen"]:
                    g["seen"], g["first"] = t.end_time, t.id
        return out

    def group_order(self) -> list[str]:
        groups = self.groups()
        natural = sorted(groups, key=lambda c: (-groups[c]["count"], groups[c]["seen"], c))
        order = GROUP_SORTS[self.group_sort]
        if order == "count":
            return list(reversed(natural)) if self.group_reverse else natural
        key = (lambda c: groups[c]["seen"]) if order == "seen" else (lambda c: c.casefold())
        return sorted(natural, key=key, reverse=self.group_reverse)

    def rows(self) -> list:
        return self.group_order() if self.grouped else self.task_ids()

    @property
    def view(self) -> str:
        return "groups" if self.grouped else "tasks"

    # switching views -------------------------------------------------------------------------

    def switch(self, change) -> None:
        """Apply ``change`` (which switches views); the cursor goes where that view's was."""
        if self.rows():
            self.cursor[self.view] = self.selected
        change()
        rows = self.rows()
        wanted = self.cursor[self.view]
        self.selected = wanted if wanted in rows else (rows[0] if rows else None)


def split_cells(text: str, table) -> dict[str, str]:
    """A table line cut into its cells, by the widths the table laid out (its layout, not its data)."""
    cells, x = {}, 1
    for column, width in zip(table.columns, table._widths):
        cells[column.key] = text[x : x + width].rstrip()
        x += width + 1
    return cells


def shown_as(value: str, cell: str) -> bool:
    """``cell`` shows ``value``, whole or cut with …"""
    return cell == value or (cell.endswith("…") and value.startswith(cell[:-1]))


async def tasks_walk(seed: int, steps: int, monkeypatch) -> None:
    from tui.core.present import fmt_duration
    from tui.ui.screens.tasks import TasksScreen

    rng = random.Random(seed)
    run = TaskRun(60001, ["Queued"] * 250)
    poller = ScriptedPoller({60001: lambda: TaskList(60001, run.tasks(), 3, None)})
    app, _ = scripted_app([60001], poller=poller)
    monkeypatch.setattr(TasksScreen, "min_reload_gap", 0.0)  # reload as soon as the counts move
    model = TasksModel(run)
    log: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        terminal = Terminal(app, *SIZE)
        await pilot.pause()
        poller.deliver([run.state().update()])
        await press(pilot, "t")
        screen = app.screen
        assert isinstance(screen, TasksScreen)
        table = screen.table
        cursor_bgs = {
            terminal.probe_bg(table.get_component_rich_style("linetable--cursor")),
            terminal.probe_bg(table.get_component_rich_style("linetable--cursor-blurred")),
        }
        await settle_until(lambda: screen.loads == 1, pilot=pilot)
        model.selected = model.rows()[0]
        for step in range(steps):
            before = model.rows()
            roll = rng.random()
            if roll < 0.42:
                key = rng.choice(["down", "down", "up", "pagedown", "pageup", "home", "end"])
                await press(pilot, key)
                index = before.index(model.selected) if model.selected in before else 0
                page = max(1, table.body_height - 1)
                target = {"down": 1, "up": -1, "pagedown": page, "pageup": -page}.get(key)
                index = index + target if target is not None else (0 if key == "home" else len(before) - 1)
                if before:
                    model.selected = before[max(0, min(index, len(before) - 1))]
                log.append(key)
            elif roll < 0.64:
                moved = run.advance(rng)
                poller.deliver([run.state().update()])
                log.append(f"progress {moved}")
            elif roll < 0.69:
                await press(pilot, "e")
                model.errors_only = not model.errors_only
                log.append(f"e -> {model.errors_only}")
            elif roll < 0.74 and not model.grouped:
                text = rng.choice(["", "task 1", "proc", "error", "00", "invoice", "timed"])
                keys = [k if k != " " else "space" for k in text]
                await press(pilot, "slash", "end", "ctrl+u", *keys, "enter")
                model.box = True
                # re-filtered at every keystroke: the selection follows each step
                for typed in ([""] if model.needle else []) + [text[: n + 1] for n in range(len(text))]:
                    previous = model.rows()
                    model.needle = typed
                    model.selected = reselect(model.selected, previous, model.rows())
                log.append(f"/ {text!r}")
            elif roll < 0.80:
                await press(pilot, "s")
                if model.grouped:
                    model.group_sort, model.group_reverse = (model.group_sort + 1) % len(GROUP_SORTS), False
                else:
                    model.sort, model.reverse = (model.sort + 1) % len(TASK_SORTS), False
                log.append(f"s -> {GROUP_SORTS[model.group_sort] if model.grouped else TASK_SORTS[model.sort]}")
            elif roll < 0.84:
                await press(pilot, "S")
                if model.grouped:
                    model.group_reverse = not model.group_reverse
                elif TASK_SORTS[model.sort] is not None:
                    model.reverse = not model.reverse
                log.append("S")
            elif roll < 0.90:
                await press(pilot, "g")
                if model.grouped or model.groups():
                    model.switch(lambda: setattr(model, "grouped", not model.grouped) or setattr(model, "group", None))
                log.append(f"g -> {model.grouped}")
            elif roll < 0.97 and model.grouped and model.selected is not None:
                await press(pilot, "enter")
                chosen = model.selected
                model.cursor["tasks"] = model.groups()[chosen]["first"]
                model.switch(lambda c=chosen: setattr(model, "grouped", False) or setattr(model, "group", c))
                log.append(f"enter group {chosen}")
            elif model.grouped or model.group is not None:
                await press(pilot, "escape")
                if not model.grouped and (model.box or model.needle):  # a filter is cleared first
                    model.box, model.needle = False, ""
                elif model.group is not None:
                    model.switch(lambda: setattr(model, "group", None) or setattr(model, "grouped", True))
                else:
                    model.switch(lambda: setattr(model, "grouped", False))
                log.append("esc")
            else:
                continue
            model.selected = reselect(model.selected, before, model.rows())
            after = model.rows()
            await settle(pilot)
            await settle_until(lambda: not screen.fetching and not screen.wants_reload(), pilot=pilot)
            await settle(pilot)
            try:
                check_tasks_screen(screen, terminal, model, after, cursor_bgs, fmt_duration)
            except (AssertionError, ValueError, KeyError) as exc:
                raise AssertionError(
                    f"seed {seed}, step {step}: {exc}\nlast steps: {log[-8:]}\n" + "\n".join(terminal.lines())
                ) from None
    kinds = Counter(entry.split()[0] for entry in log)  # the walk went everywhere it should
    assert min(kinds["g"], kinds["enter"], kinds["esc"], kinds["S"], kinds["progress"]) >= 2 and kinds["s"] >= 8, kinds


def check_tasks_screen(screen, terminal, model: TasksModel, after: list, cursor_bgs, fmt_duration) -> None:
    table = screen.table
    region = table.scrollable_content_region
    lines = terminal.region_lines(region)
    header = split_cells(lines[0][1], table)
    rows = [(y, t) for y, t in lines[1:] if t.strip()]
    grouped = model.grouped
    by_id = {t.id: t for t in model.run.tasks()}
    groups = model.groups()
    shown, highlighted = [], []
    for y, text in rows:
        cells = split_cells(text, table)
        if grouped:
            key = next(c for c in groups if shown_as(c, cells["class"]))
            assert int(cells["count"].replace(",", "")) == groups[key]["count"], text
        else:
            key = int(cells["id"])
            task = by_id[key]
            label = task.status_label
            assert shown_as(f"{SYMBOLS[label]} {label}", cells["status"]), text
            if "duration" in cells:
                assert cells["duration"] == (fmt_duration(task.duration) if task.duration is not None else "—"), text
            assert shown_as(task.error if label == "Error" else "", cells["error"]), text
        shown.append(key)
        if terminal.bg(region.x + 1, y) in cursor_bgs:
            highlighted.append(key)
    assert len(shown) == min(table.body_height, len(after)), f"{len(shown)} rows for {len(after)}"
    assert shown == after[after.index(shown[0]) :][: len(shown)] if shown else after == [], (shown, after[:20])
    assert highlighted == ([model.selected] if model.selected is not None else []), (highlighted, model.selected)
    # the sorted column is on screen, its header marked with the direction
    sort = GROUP_SORTS[model.group_sort] if grouped else TASK_SORTS[model.sort]
    reverse = model.group_reverse if grouped else model.reverse
    marked = [k for k, v in header.items() if v.endswith((" ▼", " ▲"))]
    assert marked == ([sort] if sort is not None else []), (header, sort)
    if sort is not None:
        assert header[sort].endswith(" ▲" if reverse else " ▼"), header
    title = " ".join(" ".join(t for _, t in terminal.region_lines(screen.query_one("#tasks-title").region)).split())
    errors = sum(1 for s in model.run.statuses if s == "Error")
    assert f"250 tasks, {errors} in Error" in title and "as of" in title, title
    if grouped:
        assert f"{len(groups)} error group" in title, title
    elif model.group is not None:
        assert "▸ group " + model.group[:20] in title, title


@pytest.mark.parametrize("seed", [5, 8])
async def test_tasks_screen_live_sorted_grouped_and_filtered_always_tells_the_truth(seed, monkeypatch):
    await tasks_walk(seed, 250, monkeypatch)
