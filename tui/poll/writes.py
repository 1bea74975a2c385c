"""The TUI's writes to Zuora (stop a run, rerun tasks), done in the poll thread. No Textual.

``tui.core.actions`` decides what there is to do and does it; this module is the order in
which the TUI goes through it, the same as ``zwr stop``/``zwr rerun``:

1. writes must be on (``Writer.allowed``); when they are not, the UI says how to enable them
   and ``refused`` records the attempt (nothing is sent, no question is asked);
2. ``prepare_*``: the audit trail is checked to be writable, the run (and its tasks) read
   fresh, and the plan made. A plan with nothing to do is recorded here (why, nothing sent);
3. the UI asks; a cancel is recorded (``cancelled``);
4. ``stop``/``rerun``: the run (or the tasks) are read *again* first, because the question may
   have stood open for minutes: a run that has ended meanwhile is not stopped, a task that is
   no longer failed is not rerun (and a task that failed since was not confirmed, so it is not
   added). Then the ``Executor`` sends each write once, never repeated blindly, every attempt
   a line in the audit trail.

Every coroutine here takes the client as its first argument: ``PollThread.call`` runs it in
the poll thread, so no request and no audit-file write happens on the UI loop. ``Follow`` turns
the run's updates after a write into one notification when it settles.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from tui.core import actions as A
from tui.core import errors as E
from tui.core.model import Phase, RunStatus, Task, TaskCounts
from tui.core.present import plural

if TYPE_CHECKING:
    from tui.core.client import ZuoraClient
    from tui.poll.engine import RunUpdate
    from tui.store.audit import AuditLog

FOLLOW_SECONDS = 15 * 60.0  # how long a run is kept polled after a write, waiting for it to settle
CANCELLED = "cancelled at the confirmation"
Severity = Literal["information", "warning", "error"]  # Textual's notification levels, named here


@dataclass(frozen=True)
class Outcome:
    """What a confirmed write did: one record per attempt (in order), and any trouble writing
    them to the audit trail (the writes happened; the trail could not say so)."""

    records: tuple[A.Record, ...]
    audit_warnings: tuple[str, ...] = ()

    @property
    def done(self) -> int:
        return sum(1 for r in self.records if r.ok)

    @property
    def sent(self) -> bool:
        return any(r.result != A.NOT_SENT for r in self.records)


class _Sink:
    """Hands records to the audit trail; a trail that fails after a write is a warning, never a
    lost result (as in ``zwr stop``)."""

    def __init__(self, audit: AuditLog) -> None:
        self.audit = audit
        self.records: list[A.Record] = []
        self.warnings: list[str] = []

    def __call__(self, record: A.Record) -> None:
        from tui.store.audit import AuditError

        self.records.append(record)
        try:
            self.audit.append(record)
        except AuditError as exc:
            if not self.warnings:
                self.warnings.append(str(exc))

    def outcome(self) -> Outcome:
        return Outcome(tuple(self.records), tuple(self.warnings))


@dataclass(frozen=True)
class Writer:
    """Where the TUI's writes go and whether they may: built once per app from the connection."""

    audit: AuditLog
    allowed: bool
    profile: str | None
    environment: str  # "US Production, Cloud 2 (https://rest.zuora.com)", the label, or the URL
    production: bool
    demo: bool = False  # `zwr demo --read-only`: the way to writes is to leave out --read-only

    def confirmation(self, plan: A.StopPlan | A.RerunPlan) -> list[str]:
        return A.confirmation(plan, environment=self.environment, production=self.production, profile=self.profile)

    @property
    def hint(self) -> str:
        if self.demo:
            return (
                "Writes are off in this demo (zwr demo --read-only): start `zwr demo` without --read-only to try them."
            )
        return A.writes_off_hint(self.profile)

    def _executor(self, client: ZuoraClient, sink: _Sink) -> A.Executor:
        return A.Executor(client, sink, allowed=self.allowed, profile=self.profile)

    # ------------------------------------------------------------------ records of what was not sent

    async def record(self, client: ZuoraClient, record: A.Record) -> Outcome:
        """Record an attempt that sends nothing (writes off, cancelled)."""
        sink = _Sink(self.audit)
        sink(record)
        return sink.outcome()

    def refused(self, action: str, run_id: int, task_id: int | None = None) -> A.Record:
        return A.Record(action, run_id, task_id, A.NOT_SENT, self.hint, error="config", exit_code=3)

    @staticmethod
    def cancelled(plan: A.StopPlan | A.RerunPlan) -> A.Record:
        action = A.STOP if isinstance(plan, A.StopPlan) else A.RERUN
        single = isinstance(plan, A.RerunPlan) and not plan.failed_only and len(plan.tasks) == 1
        return A.Record(action, plan.run.id, plan.tasks[0].id if single else None, A.NOT_SENT, CANCELLED)

    # ------------------------------------------------------------------ preparing (before the question)

    async def prepare_stop(self, client: ZuoraClient, run_id: int) -> A.StopPlan:
        """The plan for a stop, from the run as Zuora has it now; nothing to do is recorded."""
        await asyncio.to_thread(self.audit.check)
        plan = A.plan_stop((await client.get_run(run_id)).run)
        if plan.nothing_to_do:
            await self._executor(client, _Sink(self.audit)).stop(plan)  # records why, sends nothing
        return plan

    async def prepare_rerun_failed(self, client: ZuoraClient, run_id: int) -> A.RerunPlan:
        """Every task of the run in Error (all pages; an incomplete list is refused)."""
        await asyncio.to_thread(self.audit.check)
        run = (await client.get_run(run_id)).run
        listing = await client.get_tasks(run_id, expected_total=run.tasks.total if run.tasks.known else None)
        return self._nothing_recorded(A.plan_rerun_failed(run, listing))

    async def prepare_rerun_tasks(self, client: ZuoraClient, run_id: int, task_ids: Sequence[int]) -> A.RerunPlan:
        """The named tasks of the run that can be rerun (the others skipped, with the reason)."""
        await asyncio.to_thread(self.audit.check)
        run = (await client.get_run(run_id)).run
        tasks = await asyncio.gather(*(client.get_task(task_id) for task_id in task_ids))
        return self._nothing_recorded(A.plan_rerun(run, tasks))

    def _nothing_recorded(self, plan: A.RerunPlan) -> A.RerunPlan:
        if plan.nothing_to_do:
            task_id = plan.skipped[0][0] if len(plan.skipped) == 1 else None
            _Sink(self.audit)(A.Record(A.RERUN, plan.run.id, task_id, A.NOT_SENT, self.why_not(plan)))
        return plan

    @staticmethod
    def why_not(plan: A.StopPlan | A.RerunPlan) -> str:
        """Why nothing will be sent, in one sentence a person can act on."""
        if isinstance(plan, A.RerunPlan) and plan.nothing_to_do and plan.skipped and not plan.failed_only:
            why = A.skipped_text(plan.skipped, 3).replace(": nothing to rerun", "")  # said once, in front
            return f"Nothing to rerun: task {why}."
        return plan.reason or "Nothing to do: nothing was sent."

    # ------------------------------------------------------------------ doing it (after the question)

    async def stop(self, client: ZuoraClient, plan: A.StopPlan) -> Outcome:
        """Read the run again, then stop it if there is still something to stop."""
        sink = _Sink(self.audit)
        run_id = plan.run.id or 0
        try:
            fresh = A.plan_stop((await client.get_run(run_id)).run)
        except E.ZwrError as exc:
            sink(_not_sent(A.STOP, run_id, None, f"run {run_id} could not be read again before the stop", exc))
            return sink.outcome()
        try:
            await self._executor(client, sink).stop(fresh)
        except asyncio.CancelledError:
            sink(_cut_off(A.STOP, run_id, None))
            raise
        return sink.outcome()

    async def rerun(self, client: ZuoraClient, plan: A.RerunPlan) -> Outcome:
        """Read the confirmed tasks again, then rerun those still failed, one after the other."""
        sink = _Sink(self.audit)
        run_id = plan.run.id or 0
        try:
            fresh = await self._still_failed(client, plan)
        except E.ZwrError as exc:
            sink(_not_sent(A.RERUN, run_id, None, "the tasks could not be read again before the rerun", exc))
            return sink.outcome()
        send: list[Task] = []
        for task in plan.tasks:
            now = fresh.get(task.id or 0)
            reason = "is no longer listed" if now is None else A.rerun_reason(now, run_id)
            if reason is None and now is not None:
                send.append(now)
            else:
                sink(A.Record(A.RERUN, run_id, task.id, A.NOT_SENT, f"Not sent: task {task.id} {reason} now."))
        if not send:
            return sink.outcome()
        previous = await asyncio.to_thread(self.audit.unresolved_keys, [t.id for t in send if t.id is not None])
        keys = {t.id or 0: A.choose_key(t, previous.get(t.id or 0)) for t in send}
        batch = A.RerunPlan(plan.run, tuple(send), failed_only=plan.failed_only)
        try:
            await self._executor(client, sink).rerun_all(batch, keys)
        except asyncio.CancelledError:
            answered = {r.task_id for r in sink.records}
            cut = next((t.id for t in send if t.id not in answered), None)
            sink(_cut_off(A.RERUN, run_id, cut, keys.get(cut or 0)))
            raise
        return sink.outcome()

    @staticmethod
    async def _still_failed(client: ZuoraClient, plan: A.RerunPlan) -> dict[int, Task]:
        """The confirmed tasks as Zuora has them now (the run's list for --failed, else each task)."""
        run_id = plan.run.id or 0
        if plan.failed_only:
            listing = await client.get_tasks(run_id, expected_total=plan.run.tasks.total or None)
            wanted = {t.id for t in plan.tasks}
            return {t.id: t for t in listing.tasks if t.id in wanted and t.id is not None}
        tasks = await asyncio.gather(*(client.get_task(t.id or 0) for t in plan.tasks))
        return {t.id: t for t in tasks if t.id is not None}


def _not_sent(action: str, run_id: int, task_id: int | None, what: str, exc: E.ZwrError) -> A.Record:
    return A.Record(
        action,
        run_id,
        task_id,
        A.NOT_SENT,
        f"Not sent: {what} ({exc.message}).",
        status=exc.status,
        request_id=exc.request_id,
        error=exc.kind,
        exit_code=exc.exit_code,
    )


def _cut_off(action: str, run_id: int, task_id: int | None, key: str | None = None) -> A.Record:
    """zwr was closed while a write was on the wire: Zuora may or may not have acted. A rerun's
    key is kept: rerunning the task within 24 hours sends it again (``AuditLog.unresolved_keys``)."""
    subject = f"task {task_id}" if task_id is not None else f"run {run_id}"
    return A.Record(
        action,
        run_id,
        task_id,
        A.UNKNOWN,
        f"zwr was closed while the {action} of {subject} was on its way: it may or may not have taken effect, "
        f"and it was not repeated. Check with: zwr get {run_id}",
        idempotency_key=key,
        error="cancelled",
        exit_code=1,
    )


# ---------------------------------------------------------------------------- after a write


def severity(record: A.Record) -> Severity:
    """How a notification of ``record`` looks: done is information, nothing sent a warning."""
    if record.ok:
        return "information"
    return "warning" if record.result == A.NOT_SENT else "error"


def summary(plan: A.StopPlan | A.RerunPlan, outcome: Outcome) -> tuple[str, Severity]:
    """One notification for a confirmed write: (text, severity)."""
    records = outcome.records
    if not records:
        return "Nothing was sent.", "warning"
    if len(records) == 1:
        return records[0].message, severity(records[0])
    done = outcome.done
    failed = [r for r in records if r.result in (A.REFUSED, A.UNKNOWN)]
    not_sent = [r for r in records if r.result == A.NOT_SENT]
    if done == len(plan.tasks) == len(records):
        return f"Rerun of {plural(done, 'task')} of run {plan.run.id} sent: Zuora accepted each.", "information"
    text = f"Rerun of {done:,} of {plural(len(plan.tasks), 'task')} of run {plan.run.id} sent"
    parts = []
    if failed:
        parts.append(f"{len(failed):,} failed (first: task {failed[0].task_id}: {failed[0].message})")
    if not_sent:
        parts.append(f"{len(not_sent):,} not sent ({not_sent[0].message})")
    text += ("; " + "; ".join(parts) if parts else "") + ". Every attempt is in the audit trail: zwr log"
    if not failed and not not_sent:
        return text, "information"
    return text, "warning" if done else "error"


@dataclass
class Follow:
    """A run watched after a write until it settles, for one notification with the new counts.

    Settled: the run has ended (Stopped, or Finished with nothing queued, processing or pending)
    in a fetch made after the write. After a rerun, a run that looks exactly as before may be a
    Zuora that has not shown the rerun yet: it counts as settled once the run was seen active,
    its counts moved, or three fetches said the same."""

    action: str
    run_id: int
    since: float  # wall clock of the write's answer
    before: TaskCounts | None
    until: float  # wall clock after which it is given up (the engine's hold ends then too)
    seen_active: bool = False
    fetches: int = 0

    @classmethod
    def after(cls, action: str, run_id: int, before: TaskCounts | None, now: float) -> Follow:
        return cls(action, run_id, now, before, now + FOLLOW_SECONDS)

    def expired(self, now: float) -> bool:
        return now > self.until

    def observe(self, update: RunUpdate) -> tuple[str, Severity] | None:
        """The notification (text, severity) once the run has settled, else None."""
        run, fetched = update.run, update.fetched_at
        if run is None or update.error is not None or fetched is None or fetched < self.since:
            return None  # not a fetch made after the write (each good fetch is one update)
        self.fetches += 1
        t = run.tasks
        busy = t.queued + t.processing + t.pending
        if run.phase is not Phase.DONE or busy:
            self.seen_active = True
            return None
        if self.action == A.RERUN and not (self.seen_active or t != self.before or self.fetches >= 3):
            return None
        return self.settled_text(update)

    def settled_text(self, update: RunUpdate) -> tuple[str, Severity]:
        run = update.run
        assert run is not None
        state = A.run_state(run)
        if self.action == A.STOP:
            if run.status is RunStatus.STOPPED:
                return f"Stop of run {self.run_id} settled: {state}.", "warning"
            return f"Run {self.run_id} ended before the stop took hold: {state}.", "warning"
        errors = run.tasks.error
        before = self.before.error if self.before is not None else None
        was = f" (before the rerun: {plural(before, 'error')})" if before is not None and before != errors else ""
        return (
            f"Rerun of tasks of run {self.run_id} settled: {state}{was}.",
            "error" if errors else "information",
        )
