"""Why a run failed, beside the run book: each run's error groups and each workflow's definition.

The run book says *what state* a run is in; this book says *why it failed* and *what it is*:
- one ``ErrorDigest`` per run with task errors (its tasks listed in the poll thread, as the tasks
  screen does, and grouped), made again only when the run's error count moves, and then at most
  once per ``reload_gap`` seconds (a live run that keeps failing must not be listed on every poll);
- one definition per workflow (``GET /workflows/{originalWorkflowId}``), fetched once a session; a
  failure (a 403 says which permission) is kept as its error and shown as a note, never retried
  on its own: the run is what the user asked for, its definition is context.

Nothing is loaded until the UI says a run is on screen (``want``), so scrolling past 300 runs
costs nothing and a run nobody looks at is never listed. Loads run in the poll thread; their
outcomes come back to the UI thread as ``Loaded`` values (the app posts them as messages and
calls ``apply``), like the run book's batches. Plain Python, no Textual: used from the UI thread.
"""

from __future__ import annotations

import concurrent.futures
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from tui.core.client import TaskList, WorkflowResult
from tui.core.errordigest import ErrorDigest, digest_due
from tui.core.errors import ZwrError
from tui.core.model import Workflow
from tui.poll.engine import InternalError
from tui.poll.listeners import Listeners
from tui.poll.runbook import RunBook
from tui.poll.service import Poller

log = logging.getLogger("tui.poll")


@dataclass(frozen=True, slots=True)
class DigestLoaded:
    """A run's tasks were listed (or could not be) for the error count ``error_count``."""

    run_id: int
    error_count: int
    listing: TaskList | None
    error: ZwrError | None
    at: float  # wall clock when the listing finished
    took: float  # seconds the listing took
    ticket: int = 0  # which listing this is (a run unwatched and watched again lists anew)


@dataclass(frozen=True, slots=True)
class WorkflowLoaded:
    workflow_id: str
    workflow: Workflow | None
    error: ZwrError | None


Loaded = DigestLoaded | WorkflowLoaded


@dataclass(frozen=True)
class WhyChange:
    runs: frozenset[int] = frozenset()  # their digest, or whether one is loading, changed
    workflows: frozenset[str] = frozenset()  # definitions that arrived (or failed)

    def __bool__(self) -> bool:
        return bool(self.runs or self.workflows)


Listener = Callable[[WhyChange], None]


def _error(what: str, exc: BaseException) -> ZwrError:
    if isinstance(exc, ZwrError):
        return exc
    log.error("%s failed", what, exc_info=exc)
    return InternalError.from_exception(what, exc)


class WhyBook:
    min_reload_gap = 5.0  # seconds between two listings of one run's tasks, at least

    def __init__(
        self,
        book: RunBook,
        poller: Poller,
        wallclock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.book = book
        self.poller = poller
        self._wallclock = wallclock
        self._monotonic = monotonic
        self._digests: dict[int, ErrorDigest] = {}
        self._listed_at: dict[int, float] = {}  # wall clock of each digest's listing
        self._loading: dict[int, tuple[int, concurrent.futures.Future[TaskList]]] = {}  # run -> (ticket, listing)
        self._gap: dict[int, tuple[float, float]] = {}  # run -> (monotonic end of its last listing, its duration)
        self._workflows: dict[str, Workflow | ZwrError] = {}
        self._workflows_loading: set[str] = set()
        self._sink: Callable[[Loaded], None] | None = None
        self._listeners: Listeners[WhyChange] = Listeners()
        self.listings = 0  # listings started (tests read it)

    # ------------------------------------------------------------------ reading

    def digest(self, run_id: int) -> ErrorDigest | None:
        return self._digests.get(run_id)

    def listed_at(self, run_id: int) -> float | None:
        return self._listed_at.get(run_id)

    def loading(self, run_id: int) -> bool:
        return run_id in self._loading

    def workflow(self, workflow_id: str | None) -> Workflow | ZwrError | None:
        """The definition, the error that kept it away, or None (not asked for, or on its way)."""
        return self._workflows.get(workflow_id) if workflow_id else None

    def workflow_loading(self, workflow_id: str | None) -> bool:
        return workflow_id in self._workflows_loading

    @property
    def busy(self) -> bool:
        """Something is on its way (tests and snapshots wait for quiet)."""
        return bool(self._loading or self._workflows_loading)

    # ------------------------------------------------------------------ wiring

    def attach(self, sink: Callable[[Loaded], None]) -> None:
        """Where outcomes go (called in the poll thread): the app posts them to its own loop."""
        self._sink = sink

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return self._listeners.subscribe(listener)

    def _publish(self, change: WhyChange) -> None:
        if change:
            self._listeners.publish(change)

    def _send(self, outcome: Loaded) -> None:
        sink = self._sink
        if sink is not None:
            sink(outcome)

    # ------------------------------------------------------------------ asking (UI thread)

    def reload_gap(self, run_id: int) -> float:
        """Big lists are listed less often: at least 3x the last listing's duration apart."""
        _, duration = self._gap.get(run_id, (0.0, 0.0))
        return max(self.min_reload_gap, 3 * duration)

    def want(self, run_id: int | None) -> None:
        """``run_id`` is on screen: load what it lacks (its definition, its error groups)."""
        if run_id is None:
            return
        run = self.book.run(run_id)
        if run is None:
            return
        self._want_workflow(run.original_workflow_id)
        if run_id in self._loading or not digest_due(run, self._digests.get(run_id)):
            return
        ended, _ = self._gap.get(run_id, (float("-inf"), 0.0))
        if self._monotonic() - ended < self.reload_gap(run_id):
            return  # asked again on the next tick
        self._list(run_id, run.tasks.error, run.tasks.effective_total if run.tasks.known else None)

    def _list(self, run_id: int, error_count: int, expected_total: int | None) -> None:
        started = self._monotonic()
        self.listings += 1
        ticket = self.listings
        future = self.poller.load_tasks(run_id, expected_total)
        self._loading[run_id] = (ticket, future)

        def done(f: concurrent.futures.Future[TaskList]) -> None:  # poll thread (or at once)
            if f.cancelled():
                return
            exc = f.exception()
            listing = f.result() if exc is None else None
            error = _error(f"listing the tasks of run {run_id}", exc) if exc is not None else None
            took = self._monotonic() - started
            self._send(DigestLoaded(run_id, error_count, listing, error, self._wallclock(), took, ticket))

        future.add_done_callback(done)
        self._publish(WhyChange(runs=frozenset([run_id])))

    def _want_workflow(self, workflow_id: str | None) -> None:
        if not workflow_id or workflow_id in self._workflows or workflow_id in self._workflows_loading:
            return
        self._workflows_loading.add(workflow_id)
        future = self.poller.load_workflow(workflow_id)

        def done(f: concurrent.futures.Future[WorkflowResult]) -> None:
            if f.cancelled():
                return
            exc = f.exception()
            if exc is None:
                self._send(WorkflowLoaded(workflow_id, f.result().workflow, None))
            else:
                self._send(WorkflowLoaded(workflow_id, None, _error(f"reading workflow {workflow_id}", exc)))

        future.add_done_callback(done)

    def offer(self, listing: TaskList, error_count: int) -> None:
        """A listing made for another reason (the tasks screen's), with the run's error count when
        it was asked for: it makes the digest too, unless one for that count is already there."""
        run_id = listing.run_id
        current = self._digests.get(run_id)
        if run_id in self._loading or (current is not None and current.error_count == error_count):
            return
        self._store(run_id, ErrorDigest.from_listing(listing, error_count), self._wallclock())

    def retry(self, run_id: int) -> None:
        """The user refreshed the run: what could not be had (a failed or incomplete listing, a
        definition that failed) is asked for again on the next ``want``."""
        digest = self._digests.get(run_id)
        if digest is not None and (digest.failure or digest.partial):
            del self._digests[run_id]
            self._gap.pop(run_id, None)
        run = self.book.run(run_id)
        workflow_id = run.original_workflow_id if run else None
        if workflow_id and isinstance(self._workflows.get(workflow_id), ZwrError):
            del self._workflows[workflow_id]
        self._publish(WhyChange(runs=frozenset([run_id])))

    def forget(self, run_id: int) -> None:
        """The run is no longer watched: its digest goes, its listing is abandoned."""
        loading = self._loading.pop(run_id, None)
        if loading is not None:
            loading[1].cancel()
        self._digests.pop(run_id, None)
        self._listed_at.pop(run_id, None)
        self._gap.pop(run_id, None)

    # ------------------------------------------------------------------ outcomes (UI thread)

    def apply(self, outcome: Loaded) -> WhyChange:
        if isinstance(outcome, WorkflowLoaded):
            self._workflows_loading.discard(outcome.workflow_id)
            known = outcome.workflow if outcome.workflow is not None else outcome.error
            if known is not None:
                self._workflows[outcome.workflow_id] = known
            change = WhyChange(workflows=frozenset([outcome.workflow_id]))
            self._publish(change)
            return change
        run_id = outcome.run_id
        if self._loading.get(run_id, (None,))[0] != outcome.ticket:
            return WhyChange()  # forgotten (unwatched) while it was on its way
        del self._loading[run_id]
        self._gap[run_id] = (self._monotonic(), outcome.took)
        if outcome.listing is not None:
            digest = ErrorDigest.from_listing(outcome.listing, outcome.error_count)
        else:
            assert outcome.error is not None
            digest = ErrorDigest.failed(run_id, outcome.error_count, outcome.error)
        return self._store(run_id, digest, outcome.at)

    def _store(self, run_id: int, digest: ErrorDigest, at: float) -> WhyChange:
        self._digests[run_id] = digest
        self._listed_at[run_id] = at
        change = WhyChange(runs=frozenset([run_id]))
        self._publish(change)
        return change
