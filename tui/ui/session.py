"""What every screen shares: the run book, the why book, the poller, the clock, the connection
and the writes.

The app builds one ``Session`` and hands it to the screens it pushes, so a screen reaches the
state it renders and the controls it needs through typed attributes, never through ``self.app``.
Watching and unwatching go through here so the run book, the why book (error groups, workflow
definitions) and the poller always agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from tui.poll.engine import RunUpdate
from tui.poll.runbook import RunBook
from tui.poll.service import Poller
from tui.poll.whybook import WhyBook
from tui.store.connection import Connection
from tui.ui.widgets.banner import Banner

if TYPE_CHECKING:
    from tui.ui.writes import WriteFlows


@dataclass
class Session:
    book: RunBook
    poller: Poller
    clock: Callable[[], datetime]
    connection: Connection
    demo: bool = False
    bell: bool = True
    make_writes: Callable[[], WriteFlows] | None = None  # stop and rerun (the app gives it; writes may be off)
    _writes: WriteFlows | None = field(default=None, init=False, repr=False)
    why: WhyBook = field(init=False)  # each run's error groups and each workflow's definition, beside the book

    @property
    def writes(self) -> WriteFlows | None:
        """The stop and rerun flows, built on first use: their modules (actions, the audit
        trail) are not needed for the first paint, and until a write is asked for there is
        nothing for them to follow."""
        if self._writes is None and self.make_writes is not None:
            self._writes = self.make_writes()
        return self._writes

    @property
    def writes_in_use(self) -> WriteFlows | None:
        """The flows if anything asked for them already (else ``None``), without building them."""
        return self._writes

    def __post_init__(self) -> None:
        self.why = WhyBook(self.book, self.poller, self.wallclock)

    def wallclock(self) -> float:
        return self.clock().timestamp()

    def banner(self) -> Banner:
        c = self.connection
        return Banner(c.label, c.profile, c.production, self.demo)

    def watch(self, run_ids: Iterable[int]) -> list[int]:
        """Watch runs (the book first, so their rows exist before the first update); returns
        those that were not watched yet."""
        ids = list(dict.fromkeys(run_ids))
        added = self.book.watch(ids)
        for run_id in ids:
            self.poller.watch(run_id)
        return added

    def unwatch(self, run_id: int) -> None:
        self.poller.unwatch(run_id)
        self.why.forget(run_id)
        self.book.unwatch(run_id)

    def restore(self, run_id: int, position: int, update: RunUpdate | None) -> None:
        """Undo ``unwatch``: back in its place with its last known state, polled again."""
        self.book.restore(run_id, position, update)
        self.poller.watch(run_id)

    def refresh(self, run_id: int | None = None) -> None:
        self.poller.refresh(run_id)
