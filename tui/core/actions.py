"""Acting on a run, safely: stop a run, rerun tasks (issue 15). No Textual, no files.

Everything the fronts (``zwr stop``/``zwr rerun`` and the TUI) share lives here, so they cannot
drift apart:

- **what there is to do** (``plan_stop``, ``plan_rerun``, ``plan_rerun_failed``): a stop of a run
  that is stopping or has ended, a rerun of a task that has not failed, is decided against here
  and nothing is sent;
- **the words of the confirmation** (``confirmation``): the environment (production marked), the
  run's ID and name, and exactly what will happen ("rerun 83 failed tasks");
- **doing it** (``Executor``): each write is sent once through the request policy (a rerun
  carries an ``Idempotency-Key``, so the policy's retries cannot rerun a task twice); when an
  answer is lost (timeout, reset, 5xx) the run or task is read again to learn whether the write
  took effect, and it is never repeated blindly; a batch of reruns stops at the first error that
  would hit every task (403 first of all);
- **one ``Record`` per attempt**, handed to a sink: the audit trail (``tui.store.audit``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tui.core import errors as E
from tui.core.headers import new_idempotency_key
from tui.core.model import Phase, Run, RunStatus, Task, TaskStatus
from tui.core.present import plural
from tui.core.text import printable

if TYPE_CHECKING:
    from tui.core.client import TaskList, ZuoraClient

STOP, RERUN = "stop", "rerun"

# What became of one write. Scripts read these words in `zwr log --json` and `--json` output.
DONE = "done"  # Zuora answered 2xx
CONFIRMED = "confirmed"  # the answer was lost, but reading the run/task again shows it took effect
REFUSED = "refused"  # Zuora answered with an error: nothing was changed
UNKNOWN = "unknown"  # no answer, and no sign it took effect: not repeated; look before trying again
NOT_SENT = "not_sent"  # zwr sent nothing (writes off, nothing to do, cancelled, a batch that stopped)
SUCCEEDED = frozenset({DONE, CONFIRMED})

# Errors after which a batch goes on with the next task: they are about that one task.
_PER_TASK = (E.NotFound, E.Refused)
# Errors that prove Zuora did not act (it refused before processing), so there is nothing to check.
_NOT_ACTED = (E.PermissionDenied, E.NotFound, E.AuthError, E.RateLimited, E.BadInput, E.ConfigError)

IDEMPOTENCY_WINDOW = 24 * 3600.0  # Zuora keeps an Idempotency-Key's answer this long


def writes_off_hint(profile: str | None) -> str:
    """The one line that says how to enable writes (issue 15, item 1)."""
    name = profile or "default"
    table = f"[profiles.{name}]" if profile else "a profile"
    return (
        f"Writes to Zuora are off for profile '{name}' (read-only is the default): add --allow-write to the "
        f"command, or set allow_write = true in {table} of config.toml."
    )


# ---------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Record:
    """One write attempt and what became of it: one line of the audit trail, one line of output.

    Built from Zuora's answers and zwr's own words only: no request header, no token."""

    action: str  # STOP or RERUN
    run_id: int | None
    task_id: int | None
    result: str  # DONE, CONFIRMED, REFUSED, UNKNOWN, NOT_SENT
    message: str
    status: int | None = None  # the HTTP status of the write's answer, if one came
    request_id: str | None = None  # its Zuora-Request-Id
    idempotency_key: str | None = None
    attempts: int = 0  # requests sent for this write (retries with the same key included)
    error: str | None = None  # ``ZwrError.kind`` when it failed
    exit_code: int = 0

    @property
    def ok(self) -> bool:
        return self.result in SUCCEEDED

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "run_id": self.run_id,
            "task_id": self.task_id,
            "result": self.result,
            "message": self.message,
            "status": self.status,
            "request_id": self.request_id,
            "idempotency_key": self.idempotency_key,
            "attempts": self.attempts,
            "error": self.error,
        }


Sink = Callable[[Record], None]


def _failed(action: str, run_id: int | None, task_id: int | None, result: str, exc: E.ZwrError, **extra: Any) -> Record:
    """A record for a write that raised ``exc``; ``extra`` overrides (message, exit_code...)."""
    fields: dict[str, Any] = {
        "message": exc.describe(),
        "status": exc.status,
        "request_id": exc.request_id,
        "error": exc.kind,
        "exit_code": exc.exit_code,
    }
    fields.update(extra)
    return Record(action, run_id, task_id, result, **fields)


# ---------------------------------------------------------------------------- plans


def run_title(run: Run) -> str:
    """'run 19067 “WF-19033-00000012”' (the name made printable)."""
    name = f" “{printable(run.name, 80)}”" if run.name else ""
    return f"run {run.id}{name}"


def run_state(run: Run) -> str:
    """'Processing; 30 tasks: 12 success, 2 error, 1 processing, 15 queued'."""
    t = run.tasks
    text = printable(run.status_label, 40)
    if t.known:
        names = ("success", "error", "stopped", "pending", "processing", "queued")
        counts = [f"{getattr(t, name):,} {name}" for name in names if getattr(t, name)]
        text += f"; {plural(t.effective_total, 'task')}" + (": " + ", ".join(counts) if counts else "")
    return text


@dataclass(frozen=True, slots=True)
class StopPlan:
    run: Run
    reason: str | None = None  # why nothing will be sent; None: the stop will be sent

    @property
    def nothing_to_do(self) -> bool:
        return self.reason is not None

    @property
    def summary(self) -> str:
        return f"stop {run_title(self.run)}"

    @property
    def effect(self) -> str:
        """Exactly what will happen."""
        t = self.run.tasks
        left = t.queued + t.processing + t.pending
        tasks = f"its {plural(left, 'task')} not yet done will not run" if t.known and left else "no more tasks run"
        return (
            f"Zuora stops {run_title(self.run)} ({run_state(self.run)}): {tasks}. "
            "The run goes Stopping, then Stopped; a stopped run cannot be resumed."
        )


def plan_stop(run: Run) -> StopPlan:
    """A stop of a run that is already stopping or has ended says so, and nothing is sent."""
    phase = run.phase
    if run.status is RunStatus.STOPPING:
        return StopPlan(run, f"{run_title(run)} is already Stopping: nothing was sent.")
    if run.status is RunStatus.STOPPED:
        return StopPlan(run, f"{run_title(run)} is already Stopped: nothing was sent.")
    if phase is Phase.DONE:
        return StopPlan(run, f"{run_title(run)} has already Finished ({run_state(run)}): nothing was sent.")
    return StopPlan(run)


def rerun_reason(task: Task, run_id: int | None = None) -> str | None:
    """Why ``task`` is not rerun (None: it is). Only a task that ended without success is rerun:
    one that is queued or processing may be a rerun already under way."""
    status = task.status
    if task.instance is False:
        return "is a task of a workflow definition, not of a run"
    if run_id is not None and not task.belongs_to(run_id):
        return f"belongs to run {task.workflow_id}, not {run_id}"
    if status in (TaskStatus.ERROR, TaskStatus.STOPPED):
        return None
    if status is TaskStatus.SUCCESS:
        return "succeeded: nothing to rerun"
    if status in (TaskStatus.QUEUED, TaskStatus.PROCESSING, TaskStatus.PENDING):
        return f"is {status.value}: it has not ended (a rerun may already be under way)"
    return f"has a status zwr does not know ({printable(task.status_label, 40)}): not rerun"


@dataclass(frozen=True, slots=True)
class RerunPlan:
    run: Run  # the run the tasks belong to
    tasks: tuple[Task, ...]  # to rerun, in this order
    skipped: tuple[tuple[int | None, str], ...] = ()  # (task ID, why it is not rerun)
    failed_only: bool = False  # `--failed`: every failed task of the run
    note: str | None = None  # something the person should know before confirming

    @property
    def nothing_to_do(self) -> bool:
        return not self.tasks

    @property
    def reason(self) -> str | None:
        if self.tasks:
            return None
        what = "failed tasks" if self.failed_only else "tasks to rerun"
        return f"{run_title(self.run)} has no {what}: nothing was sent."

    @property
    def summary(self) -> str:
        noun = "failed task" if self.failed_only else "task"
        return f"rerun {plural(len(self.tasks), noun)} of {run_title(self.run)}"

    @property
    def effect(self) -> str:
        ids = ", ".join(str(t.id) for t in self.tasks[:5]) + (", …" if len(self.tasks) > 5 else "")
        return (
            f"Zuora runs {plural(len(self.tasks), 'task')} of {run_title(self.run)} ({run_state(self.run)}) again "
            f"({ids}), one request each with its own Idempotency-Key; the run is active again until they end."
        )


def plan_rerun_failed(run: Run, listing: TaskList) -> RerunPlan:
    """Every task of ``run`` in Error (all pages). An incomplete listing is refused: "every failed
    task" must mean every one; the tasks can still be rerun by ID."""
    if listing.partial:
        raise E.BadResponse(
            f"The task list of run {run.id} is incomplete ({printable(listing.partial, 200)}), so zwr cannot say "
            "which tasks failed. Rerun tasks by ID instead: zwr rerun TASK_ID..."
        )
    failed = tuple(t for t in listing.tasks if t.status is TaskStatus.ERROR and t.belongs_to(run.id or 0))
    note = None
    if run.tasks.known and run.tasks.error != len(failed):
        note = (
            f"The run counts {plural(run.tasks.error, 'task error')} but {plural(len(failed), 'task')} in Error "
            "were listed (a live run changes as it is read); the listed ones are rerun."
        )
    return RerunPlan(run, failed, failed_only=True, note=note)


def plan_rerun(run: Run, tasks: Iterable[Task]) -> RerunPlan:
    """The tasks named by ID that can be rerun; the others are skipped with the reason."""
    chosen: list[Task] = []
    skipped: list[tuple[int | None, str]] = []
    for task in tasks:
        reason = rerun_reason(task, run.id)
        if reason is None:
            chosen.append(task)
        else:
            skipped.append((task.id, reason))
    return RerunPlan(run, tuple(chosen), tuple(skipped))


def confirmation(plan: StopPlan | RerunPlan, *, environment: str, production: bool, profile: str | None) -> list[str]:
    """The lines a person reads before saying yes: where, what, and exactly what will happen."""
    where = ("⚠ PRODUCTION  " if production else "") + environment
    lines = [
        f"About to {plan.summary}.",
        f"  Environment  {where}" + (f"  (profile {printable(profile, 40)})" if profile else ""),
        f"  What happens {plan.effect}",
    ]
    if isinstance(plan, RerunPlan):
        if plan.skipped:
            lines.append(f"  Not rerun    {plural(len(plan.skipped), 'task')}: " + skipped_text(plan.skipped, 3))
        if plan.note:
            lines.append(f"  Note         {plan.note}")
    return lines


def skipped_text(skipped: Iterable[tuple[int | None, str]], limit: int = 1000) -> str:
    items = list(skipped)
    text = "; ".join(f"{task_id} {reason}" for task_id, reason in items[:limit])
    return text + (f"; … {len(items) - limit} more" if len(items) > limit else "")


# ---------------------------------------------------------------------------- keys


def choose_key(task: Task, previous: tuple[str, datetime] | None) -> str:
    """The Idempotency-Key for a rerun of ``task``. ``previous`` is the key and time of an earlier
    rerun of it whose outcome is unknown (from the audit trail, at most 24 hours old). That key
    is used again unless the task has visibly run since: if Zuora did get the earlier request, it
    answers the same key with the same answer and reruns nothing. A task that ran since then was
    rerun (or ran again on its own): a new key, a new rerun."""
    if previous is not None:
        key, when = previous
        moments = [m for m in (task.start_time, task.end_time) if m is not None]
        if not any(m > when for m in moments):
            return key
    return new_idempotency_key()


# ---------------------------------------------------------------------------- doing it


def _took_effect(before: Task, after: Task) -> bool:
    """Does ``after`` (read once the answer to a rerun was lost) show that the rerun happened?"""
    if after.status in (TaskStatus.QUEUED, TaskStatus.PROCESSING, TaskStatus.PENDING):
        return True
    if after.status is not before.status:
        return True
    for old, new in ((before.start_time, after.start_time), (before.end_time, after.end_time)):
        if new is not None and (old is None or new > old):
            return True
    return False


@dataclass
class Batch:
    """What a batch of reruns did, task by task."""

    records: list[Record] = field(default_factory=list)
    stopped_at: Record | None = None  # the failure that ended the batch early

    @property
    def done(self) -> int:
        return sum(1 for r in self.records if r.ok)

    @property
    def not_attempted(self) -> list[Record]:
        return [r for r in self.records if r.result == NOT_SENT]


class Executor:
    """Sends writes through one client and hands every attempt to ``sink`` (the audit trail).

    ``allowed`` is checked again here (the fronts check it first), so a front that forgot cannot
    write: without it every call is a NOT_SENT record with the hint."""

    def __init__(self, client: ZuoraClient, sink: Sink, *, allowed: bool, profile: str | None = None) -> None:
        self.client = client
        self.sink = sink
        self.allowed = allowed
        self.profile = profile

    def _emit(self, record: Record) -> Record:
        self.sink(record)
        return record

    def _off(self, action: str, run_id: int | None, task_id: int | None) -> Record | None:
        if self.allowed:
            return None
        return self._emit(
            Record(action, run_id, task_id, NOT_SENT, writes_off_hint(self.profile), error="config", exit_code=3)
        )

    async def stop(self, plan: StopPlan) -> Record:
        run_id = plan.run.id
        if run_id is None:
            raise E.BadInput("The run has no ID: nothing to stop.")
        if plan.reason is not None:
            return self._emit(Record(STOP, run_id, None, NOT_SENT, plan.reason))
        off = self._off(STOP, run_id, None)
        if off is not None:
            return off
        try:
            answer = await self.client.stop_run(run_id)
        except E.ZwrError as exc:
            if isinstance(exc, (*_NOT_ACTED, E.Refused)):
                return self._emit(_failed(STOP, run_id, None, REFUSED, exc))
            return self._emit(await self._check_stop(run_id, exc))
        meta = answer.meta
        return self._emit(
            Record(
                STOP,
                run_id,
                None,
                DONE,
                f"Stop of run {run_id} sent: Zuora accepted it.",
                status=meta.status,
                request_id=meta.request_id,
                attempts=meta.attempts,
            )
        )

    async def _check_stop(self, run_id: int, exc: E.ZwrError) -> Record:
        """The answer to a stop was lost: read the run to learn whether the stop took effect."""
        try:
            run = (await self.client.get_run(run_id)).run
        except E.ZwrError as check:
            return _failed(
                STOP,
                run_id,
                None,
                UNKNOWN,
                exc,
                message=f"{exc.describe()} Reading run {run_id} again failed too ({check.message}), so zwr cannot "
                f"tell whether it stopped; it did not repeat the stop. Check with: zwr get {run_id}",
            )
        if run.status in (RunStatus.STOPPING, RunStatus.STOPPED):
            return _failed(
                STOP,
                run_id,
                None,
                CONFIRMED,
                exc,
                message=f"The answer to the stop was lost ({exc.message}), but run {run_id} is now "
                f"{run.status.value}: the stop took effect.",
                exit_code=0,
                error=None,
            )
        return _failed(
            STOP,
            run_id,
            None,
            UNKNOWN,
            exc,
            message=f"{exc.describe()} Run {run_id} is still {printable(run.status_label, 40)}: the stop may not have "
            f"reached Zuora, and zwr did not repeat it. Check with `zwr get {run_id}`, then stop it again if need be.",
        )

    async def rerun(self, task: Task, key: str, run_id: int | None = None) -> Record:
        """Rerun one task with ``key`` (see ``choose_key``)."""
        task_id = task.id
        if task_id is None:
            raise E.BadInput("The task has no ID: nothing to rerun.")
        run_id = run_id if run_id is not None else task.workflow_id
        off = self._off(RERUN, run_id, task_id)
        if off is not None:
            return off
        try:
            answer = await self.client.rerun_task(task_id, idempotency_key=key)
        except E.ZwrError as exc:
            refused_409 = isinstance(exc, E.Refused) and exc.status == 409  # also "same key still in progress"
            if isinstance(exc, (*_NOT_ACTED, E.Refused)) and not refused_409:
                return self._emit(_failed(RERUN, run_id, task_id, REFUSED, exc, idempotency_key=key))
            return self._emit(await self._check_rerun(task, run_id, key, exc))
        meta = answer.meta
        status = f" (now {printable(answer.task.status_label, 20)})" if answer.task is not None else ""
        if meta.attempts > 1:
            status += f", after {meta.attempts} attempts with one Idempotency-Key (Zuora acts on a key once)"
        return self._emit(
            Record(
                RERUN,
                run_id,
                task_id,
                DONE,
                f"Rerun of task {task_id} sent: Zuora accepted it{status}.",
                status=meta.status,
                request_id=meta.request_id,
                idempotency_key=key,
                attempts=meta.attempts,
            )
        )

    async def _check_rerun(self, task: Task, run_id: int | None, key: str, exc: E.ZwrError) -> Record:
        """The answer to a rerun was lost (or was a 409): read the task to learn whether it reran."""
        task_id = task.id
        try:
            after = await self.client.get_task(task_id or 0)
        except E.ZwrError as check:
            return _failed(
                RERUN,
                run_id,
                task_id,
                UNKNOWN,
                exc,
                idempotency_key=key,
                message=f"{exc.describe()} Reading task {task_id} again failed too ({check.message}). zwr did not "
                "repeat the rerun; running `zwr rerun` again within 24 hours sends the same Idempotency-Key, so the "
                "task cannot run twice.",
            )
        if _took_effect(task, after):
            return _failed(
                RERUN,
                run_id,
                task_id,
                CONFIRMED,
                exc,
                idempotency_key=key,
                message=f"The answer to the rerun was lost ({exc.message}), but task {task_id} is now "
                f"{printable(after.status_label, 20)}: the rerun took effect.",
                exit_code=0,
                error=None,
            )
        result = REFUSED if isinstance(exc, E.Refused) else UNKNOWN
        tail = (
            ""
            if result == REFUSED
            else " zwr did not repeat the rerun; running `zwr rerun` again within 24 hours sends the same "
            "Idempotency-Key, so the task cannot run twice."
        )
        return _failed(
            RERUN,
            run_id,
            task_id,
            result,
            exc,
            idempotency_key=key,
            message=f"{exc.describe()} Task {task_id} is still {printable(after.status_label, 20)}.{tail}",
        )

    async def rerun_all(
        self,
        plan: RerunPlan,
        keys: Mapping[int, str],
        on_record: Callable[[Record], None] | None = None,
    ) -> Batch:
        """Rerun ``plan``'s tasks one after the other. A failure about one task (404, Zuora's
        refusal) moves on to the next; any other (403 first of all, 401, 429, timeouts, network,
        5xx) stops the batch: the rest are reported as not attempted."""
        batch = Batch()
        for index, task in enumerate(plan.tasks):
            record = await self.rerun(task, keys[task.id or 0], plan.run.id)
            batch.records.append(record)
            if on_record is not None:
                on_record(record)
            per_task = record.error in {cls.kind for cls in _PER_TASK}
            if record.result in (REFUSED, UNKNOWN, NOT_SENT) and not per_task:
                batch.stopped_at = record
                for rest in plan.tasks[index + 1 :]:
                    skipped = Record(
                        RERUN,
                        plan.run.id,
                        rest.id,
                        NOT_SENT,
                        f"not attempted: the batch stopped at task {task.id} ({record.error or 'writes off'})",
                    )
                    batch.records.append(skipped)
                    if on_record is not None:
                        on_record(skipped)
                break
        return batch
