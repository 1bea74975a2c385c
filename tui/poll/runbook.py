"""The run book: the one place that knows what zwr currently believes about every watched run.

Per watched run it holds the latest ``RunUpdate`` from the engine (run data, error, polling
state, progress history); beside that the bookmarks (with their labels) and the recent runs
as the store last confirmed them. Every view (watchlist, detail, status line, tasks screen)
renders from here and keeps nothing it could not re-derive, so two panels can never disagree.

Views subscribe and are told what changed (``BookChange``): which runs changed visibly,
which were only re-fetched (the age moves, nothing else), whether runs were added or removed,
whether bookmarks or recent runs changed. It is plain Python (no Textual), used from the UI
thread only; the poll thread reaches it through batches the UI applies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from tui.core.model import Run
from tui.poll.engine import RunUpdate
from tui.poll.listeners import Listeners


class Saved(Protocol):
    """A bookmark or recent entry as the store returns it (``tui.store.bookmarks.Bookmark``)."""

    @property
    def run_id(self) -> int: ...
    @property
    def label(self) -> str: ...


@dataclass(frozen=True)
class BookChange:
    runs: frozenset[int] = frozenset()  # data a person can see changed (run, error, polling)
    touched: frozenset[int] = frozenset()  # re-fetched, nothing else changed (ages move)
    membership: bool = False  # runs were added or removed
    bookmarks: bool = False
    recent: bool = False

    def __bool__(self) -> bool:
        return bool(self.runs or self.touched or self.membership or self.bookmarks or self.recent)


def _visible_key(update: RunUpdate | None) -> object:
    if update is None:
        return None
    error = update.error
    return (update.run, error and (error.kind, error.message), update.polling)


Listener = Callable[[BookChange], None]


class RunBook:
    def __init__(self) -> None:
        self._updates: dict[int, RunUpdate] = {}  # insertion order is the order runs were added
        self._bookmarks: dict[int, str] = {}
        self._bookmark_items: tuple[Saved, ...] = ()
        self._recent: tuple[Saved, ...] = ()
        self._listeners: Listeners[BookChange] = Listeners()
        self.revision = 0  # bumped by every change: cheap "did anything change since" checks

    # ------------------------------------------------------------------ reading

    def __contains__(self, run_id: object) -> bool:
        return run_id in self._updates

    def __iter__(self) -> Iterator[int]:
        return iter(self._updates)

    def __len__(self) -> int:
        return len(self._updates)

    def ids(self) -> list[int]:
        """Watched runs in the order they were added."""
        return list(self._updates)

    def update(self, run_id: int) -> RunUpdate | None:
        return self._updates.get(run_id)

    def run(self, run_id: int) -> Run | None:
        update = self._updates.get(run_id)
        return update.run if update else None

    def updates(self) -> dict[int, RunUpdate]:
        """Runs that have been fetched (or failed) at least once: ``{run_id: update}``."""
        return {rid: u for rid, u in self._updates.items() if u.run is not None or u.error is not None}

    def is_bookmarked(self, run_id: int) -> bool:
        return run_id in self._bookmarks

    def label(self, run_id: int) -> str:
        """The bookmark's label ("" if none, or if the run is not bookmarked)."""
        return self._bookmarks.get(run_id, "")

    @property
    def bookmarks(self) -> tuple[Saved, ...]:
        return self._bookmark_items

    @property
    def recent(self) -> tuple[Saved, ...]:
        return self._recent

    # ------------------------------------------------------------------ writing (UI thread)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(change)`` after every change; returns the unsubscribe function."""
        return self._listeners.subscribe(listener)

    def _publish(self, change: BookChange) -> BookChange:
        if change:
            self.revision += 1
            self._listeners.publish(change)
        return change

    def watch(self, run_ids: Iterable[int]) -> list[int]:
        """Add runs (in order, ignoring ones already watched); returns those added."""
        added = []
        for run_id in run_ids:
            if run_id not in self._updates:
                self._updates[run_id] = RunUpdate.placeholder(run_id)
                added.append(run_id)
        self._publish(BookChange(runs=frozenset(added), membership=bool(added)))
        return added

    def unwatch(self, run_id: int) -> bool:
        if self._updates.pop(run_id, None) is None:
            return False
        self._publish(BookChange(runs=frozenset([run_id]), membership=True))
        return True

    def restore(self, run_id: int, position: int, update: RunUpdate | None = None) -> bool:
        """Watch a run again at ``position`` in the order (undoing ``unwatch``), with the state
        last known of it (its ``fetched_at`` says how old that is) until the next poll."""
        if run_id in self._updates:
            return False
        items = list(self._updates.items())
        items.insert(max(0, min(position, len(items))), (run_id, update or RunUpdate.placeholder(run_id)))
        self._updates = dict(items)
        self._publish(BookChange(runs=frozenset([run_id]), membership=True))
        return True

    def apply(self, updates: Iterable[RunUpdate]) -> BookChange:
        """Take a batch from the engine; updates of runs no longer watched are dropped."""
        changed: set[int] = set()
        touched: set[int] = set()
        for update in updates:
            current = self._updates.get(update.run_id)
            if current is None:
                continue  # unwatched while the update was on its way
            self._updates[update.run_id] = update
            if _visible_key(current) != _visible_key(update):
                changed.add(update.run_id)
            else:
                touched.add(update.run_id)
        return self._publish(BookChange(runs=frozenset(changed), touched=frozenset(touched)))

    def set_bookmarks(self, items: Iterable[Saved]) -> BookChange:
        """The bookmarks as the store confirmed them (after a load or a successful save)."""
        items = tuple(items)
        new = {b.run_id: b.label or "" for b in items}
        old = self._bookmarks
        affected = {rid for rid in set(old) | set(new) if old.get(rid) != new.get(rid) or (rid in old) != (rid in new)}
        self._bookmarks, self._bookmark_items = new, items
        return self._publish(BookChange(runs=frozenset(affected & set(self._updates)), bookmarks=True))

    def set_recent(self, items: Iterable[Saved]) -> BookChange:
        self._recent = tuple(items)
        return self._publish(BookChange(recent=True))
