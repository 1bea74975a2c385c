"""Stop a run, rerun tasks, from the TUI (issue 15): the flow from a key to a notification.

One flow per write, one write at a time: writes off -> the hint, nothing asked or sent;
otherwise read fresh and plan (``tui.poll.writes.Writer.prepare_*`` in the poll thread) ->
nothing to do says why -> the question (``ConfirmWrite``) -> cancel is recorded, or the write
is sent (in the poll thread again) -> one notification of what happened -> the run is
refreshed at once and kept polled until it settles, then one more notification with its new
counts (``Follow``).

The flows are workers of the *app*, not of a screen: leaving the tasks screen while a rerun
is on the wire must not cancel it. The send is shielded too: even a cancelled worker (the app
quitting) leaves the write to finish in the poll thread, whose ``close`` waits for it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from tui.core import actions as A
from tui.core.errors import ZwrError
from tui.poll.writes import FOLLOW_SECONDS, Follow, Outcome, Severity, Writer, summary

if TYPE_CHECKING:
    from textual.app import App

    from tui.core.client import ZuoraClient
    from tui.poll.engine import RunUpdate
    from tui.ui.session import Session

T = TypeVar("T")
Plan = A.StopPlan | A.RerunPlan
# the engine's own notices for these are replaced by the one that says how the write settled
SETTLING_TRANSITIONS = frozenset({"finished", "failed", "stopped"})


class WriteFlows:
    def __init__(self, app: App, session: Session, writer: Writer) -> None:
        self.app = app
        self.session = session
        self.writer = writer
        self.busy: str | None = None  # what the flow under way is doing ("stop run 19065")
        self.follows: dict[int, Follow] = {}
        self.outcomes: list[Outcome] = []  # every confirmed write's outcome (tests read it)
        self.notes: list[tuple[str, str]] = []  # (text, severity) of every notification (tests read it)

    @property
    def allowed(self) -> bool:
        return self.writer.allowed

    # ------------------------------------------------------------------ the three writes

    def stop(self, run_id: int) -> None:
        self._start(A.STOP, run_id, None, f"the stop of run {run_id}", partial(self.writer.prepare_stop, run_id=run_id))

    def rerun_failed(self, run_id: int) -> None:
        self._start(
            A.RERUN,
            run_id,
            None,
            f"the rerun of the failed tasks of run {run_id}",
            partial(self.writer.prepare_rerun_failed, run_id=run_id),
        )

    def rerun_task(self, run_id: int, task_id: int) -> None:
        self._start(
            A.RERUN,
            run_id,
            task_id,
            f"the rerun of task {task_id}",
            partial(self.writer.prepare_rerun_tasks, run_id=run_id, task_ids=[task_id]),
        )

    # ------------------------------------------------------------------ the flow

    def _notify(self, text: str, severity: Severity = "information", timeout: float = 8) -> None:
        self.notes.append((text, severity))
        self.app.notify(text, severity=severity, markup=False, timeout=timeout)

    def _call(self, work: Callable[[ZuoraClient], Awaitable[T]]) -> concurrent.futures.Future[T]:
        return self.session.poller.call(work)

    def _start(
        self,
        action: str,
        run_id: int,
        task_id: int | None,
        what: str,
        prepare: Callable[[ZuoraClient], Awaitable[Plan]],
    ) -> None:
        writer = self.writer
        if not writer.allowed:  # refused before anything is read, asked or sent; the attempt is recorded
            self._notify(f"{writer.hint} Nothing was sent.", "error", timeout=15)
            refused = writer.refused(action, run_id, task_id)
            self.app.run_worker(self._record(refused), group="write-record", name=what, exit_on_error=False)
            return
        if self.busy is not None:
            self._notify(f"One write at a time: {self.busy} is still under way.", "warning")
            return
        self.busy = what
        self.app.run_worker(self._flow(prepare), group="write", name=what, exit_on_error=False)

    async def _flow(self, prepare: Callable[[ZuoraClient], Awaitable[Plan]]) -> None:
        from tui.store.audit import AuditError
        from tui.ui.screens.confirm import ConfirmWrite

        writer = self.writer
        try:
            try:
                plan = await asyncio.wrap_future(self._call(prepare))
            except AuditError as exc:
                self._notify(f"{exc} Every write is recorded there, so nothing was sent.", "error", timeout=15)
                return
            except ZwrError as exc:
                self._notify(f"Nothing was sent: {exc.describe()}", "error", timeout=15)
                return
            if plan.nothing_to_do:
                self._notify(writer.why_not(plan), "warning")
                return
            screen = ConfirmWrite(plan, writer.confirmation(plan), production=writer.production)
            self.app.clear_notifications()  # at 80x24 an old notice would lie over the dialog's buttons
            if not await self.app.push_screen_wait(screen):
                self._notify("Cancelled: nothing was sent.")
                await self._record(writer.cancelled(plan))
                return
            send = writer.stop if isinstance(plan, A.StopPlan) else writer.rerun
            if isinstance(plan, A.RerunPlan) and len(plan.tasks) > 1:
                self._notify(f"Sending: {plan.summary}…")
            # shielded: a write on the wire finishes (and is recorded) even if this worker is cancelled
            outcome = await asyncio.shield(asyncio.wrap_future(self._call(partial(send, plan=plan))))
            self._after(plan, outcome)
        finally:
            self.busy = None

    async def _record(self, record: A.Record) -> None:
        """An attempt that sends nothing (writes off, cancelled), into the audit trail (in the
        poll thread: it is a file write)."""
        outcome = await asyncio.wrap_future(self._call(partial(self.writer.record, record=record)))
        for warning in outcome.audit_warnings:
            self._notify(f"The audit trail could not record this: {warning}", "warning")

    def _after(self, plan: Plan, outcome: Outcome) -> None:
        """Say what happened; refresh the run at once and follow it until it settles."""
        self.outcomes.append(outcome)
        text, severity = summary(plan, outcome)
        self._notify(text, severity, timeout=15 if severity != "information" else 8)
        for warning in outcome.audit_warnings:
            self._notify(f"The write happened, but the audit trail could not record it: {warning}", "warning")
        run_id = plan.run.id
        if run_id is None:
            return
        if outcome.done:
            action = A.STOP if isinstance(plan, A.StopPlan) else A.RERUN
            self.follows[run_id] = Follow.after(action, run_id, plan.run.tasks, self.session.wallclock())
            self.session.poller.hold(run_id, FOLLOW_SECONDS)  # keep polling even if the run looks done
        self.session.refresh(run_id)  # at once, even if nothing was sent: zwr has just read it afresh

    # ------------------------------------------------------------------ following (the app hands every update here)

    def observe(self, update: RunUpdate) -> frozenset[str]:
        """Follow a run after a write; returns the engine transitions this replaces."""
        follow = self.follows.get(update.run_id)
        if follow is None:
            return frozenset()
        settled = follow.observe(update)
        if settled is not None:
            del self.follows[update.run_id]
            self.session.poller.hold(update.run_id, 0)
            text, severity = settled
            self._notify(text, severity, timeout=15)
            if self.session.bell:
                self.app.bell()
        elif follow.expired(self.session.wallclock()):
            del self.follows[update.run_id]
        return SETTLING_TRANSITIONS
