"""Listeners of one kind of change, for the books the UI reads (the run book, the why book).

Both books tell their readers the same way: a listener is called with the change after it is
made, may unsubscribe itself while being called, and is never called again once it has
unsubscribed. Kept apart so the two books cannot drift in that.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

Change = TypeVar("Change")


class Listeners(Generic[Change]):
    def __init__(self) -> None:
        self._items: list[Callable[[Change], None]] = []

    def subscribe(self, listener: Callable[[Change], None]) -> Callable[[], None]:
        """Call ``listener(change)`` after every change; returns the unsubscribe function."""
        self._items.append(listener)

        def unsubscribe() -> None:
            if listener in self._items:
                self._items.remove(listener)

        return unsubscribe

    def publish(self, change: Change) -> None:
        for listener in list(self._items):  # a copy: a listener may unsubscribe while called
            listener(change)
