"""``zwr stop``, ``zwr rerun`` and ``zwr log``: writes to Zuora from the command line (issue 15).

The order of a write is fixed, so that nothing is sent by accident:

1. writes must be on (the profile's ``allow_write`` or ``--allow-write``; ``--dry-run`` reads only);
2. off a terminal, ``--yes`` is required; the audit trail must be writable; all before any request;
3. read the run (and tasks) and decide what there is to do (``tui.core.actions``): a run already
   stopping or ended, a task that has not failed, is left alone and nothing is sent (exit 13);
4. on a terminal, show where (production marked), what, and exactly what will happen, and ask:
   ``y`` in a sandbox, the run ID typed in production; anything else cancels (exit 13);
5. send (``Executor``: never blindly repeated), one audit line per attempt, one output line per
   task, then read the run again and say where it stands.

The async client is used (``--failed`` lists tasks with concurrent pages); the prompt blocks the
loop, which has nothing else to do meanwhile.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from tui.cli import exitcodes
from tui.cli.connect import connection_from
from tui.cli.output import Painter, put, write
from tui.core import actions as A
from tui.core.environments import environment_name
from tui.core.errors import BadInput, ConfigError, ZwrError
from tui.core.lazy import lazy_module
from tui.core.text import printable

if TYPE_CHECKING:
    import asyncio
else:
    asyncio = lazy_module("asyncio")

SYMBOLS = {A.DONE: "✔", A.CONFIRMED: "✔", A.REFUSED: "✖", A.UNKNOWN: "?", A.NOT_SENT: "·"}
TONES = {A.DONE: "ok", A.CONFIRMED: "ok", A.REFUSED: "error", A.UNKNOWN: "warning", A.NOT_SENT: "muted"}


def _fail(error: ZwrError) -> int:
    write(sys.stderr, Painter(sys.stderr)("error", "error") + f": {error.describe()}")
    return error.exit_code


def _interactive() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


class Session:
    """What one write command knows: its connection, the audit trail, the options."""

    def __init__(self, ns: argparse.Namespace, action: str) -> None:
        from tui.store.audit import AuditLog

        self.ns = ns
        self.action = action
        self.connection = connection_from(ns)
        self.allowed = bool(self.connection.allow_write or ns.allow_write)
        self.audit = AuditLog.for_connection(self.connection.profile, self.connection.base_url)
        self.environment = environment_name(self.connection.base_url, self.connection.label)
        self.records: list[A.Record] = []
        self.audit_failed: str | None = None

    def gate(self, run_id: int | None, task_id: int | None = None) -> int | None:
        """Checks made before any request: writes on, a way to confirm, a writable audit trail."""
        if self.ns.dry_run:
            return None
        if not self.allowed:
            self.sink(A.Record(self.action, run_id, task_id, A.NOT_SENT, A.writes_off_hint(self.connection.profile)))
            write(sys.stderr, "error: " + A.writes_off_hint(self.connection.profile) + " Nothing was sent.")
            return ConfigError.exit_code
        if not self.ns.yes and not _interactive():
            write(
                sys.stderr,
                f"error: zwr {self.action} asks for confirmation and stdin is not a terminal: add --yes "
                "(check first with --dry-run). Nothing was sent.",
            )
            return exitcodes.BAD_USAGE
        from tui.store.audit import AuditError

        try:
            self.audit.check()
        except AuditError as exc:
            write(sys.stderr, f"error: {exc} Every write is recorded there, so nothing was sent.")
            return ConfigError.exit_code
        return None

    def sink(self, record: A.Record) -> None:
        """Every attempt goes to the audit trail; a trail that fails after the write is a warning
        (the write happened and is reported), never a lost result."""
        from tui.store.audit import AuditError

        self.records.append(record)
        try:
            self.audit.append(record)
        except AuditError as exc:
            if self.audit_failed is None:
                self.audit_failed = str(exc)
                write(sys.stderr, f"warning: {exc}")

    def confirm(self, plan: A.StopPlan | A.RerunPlan) -> bool:
        """Ask on the terminal (prompts on stderr, so stdout stays clean for --json)."""
        c = self.connection
        lines = A.confirmation(plan, environment=self.environment, production=c.production, profile=c.profile)
        paint = Painter(sys.stderr)
        for line in lines:
            write(sys.stderr, line.replace("⚠ PRODUCTION", paint("⚠ PRODUCTION", "error")))
        if self.ns.yes:
            return True
        run_id = plan.run.id
        if c.production:
            prompt = f"Production: type the run ID ({run_id}) to confirm; anything else cancels: "
            return _ask(prompt) == str(run_id)
        return _ask(f"{plan.summary[0].upper()}{plan.summary[1:]}? [y/N] ").lower() in ("y", "yes")

    def show(self, record: A.Record) -> None:
        if self.ns.json:
            return
        paint = Painter(sys.stdout)
        subject = f"task {record.task_id}" if record.task_id is not None else f"run {record.run_id}"
        line = paint(SYMBOLS.get(record.result, "?"), TONES.get(record.result, "muted")) + f" {subject}: "
        line += printable(record.message, 1500)
        if record.request_id and record.request_id not in record.message:
            line += f" (Zuora-Request-Id {printable(record.request_id, 64)})"
        write(sys.stdout, line)

    def emit_json(self, **fields: Any) -> None:
        if self.ns.json:
            document = {"action": self.action, "dry_run": self.ns.dry_run, **fields}
            document["records"] = [r.to_json() for r in self.records]
            write(sys.stdout, json.dumps(document, indent=2, ensure_ascii=True))

    def executor(self, client) -> A.Executor:
        return A.Executor(client, self.sink, allowed=self.allowed, profile=self.connection.profile)


def _ask(prompt: str) -> str:
    put(sys.stderr, prompt)  # through the output door, like every other byte
    try:
        line = sys.stdin.readline()
    except (OSError, ValueError):
        return ""
    return line.strip()


async def _after(client, run_id: int | None, session: Session) -> None:
    """Read the run once more and say where it stands (the write's effect, or why not)."""
    if run_id is None or session.ns.json:
        return
    try:
        run = (await client.get_run(run_id)).run
    except ZwrError as exc:
        write(sys.stdout, f"  run {run_id} could not be read again: {exc.message}")
        return
    write(sys.stdout, f"  run {run_id} is now {A.run_state(run)}; follow it with: zwr watch {run_id}")


# ---------------------------------------------------------------------------- zwr stop


def stop(ns: argparse.Namespace) -> int:
    from tui.core.runid import parse_run_id

    try:
        run_id = parse_run_id(ns.run_id)
        session = Session(ns, A.STOP)
        session.connection.settings()  # a bad --timeout is refused before anything is sent
    except ZwrError as exc:
        return _fail(exc)
    refused = session.gate(run_id)
    if refused is not None:
        return refused
    return asyncio.run(_stop(session, run_id))


async def _stop(session: Session, run_id: int) -> int:
    from tui.core.client import ZuoraClient

    c = session.connection
    async with ZuoraClient(c.settings(), c.auth) as client:
        try:
            run = (await client.get_run(run_id)).run
        except ZwrError as exc:
            return _fail(exc)
        plan = A.plan_stop(run)
        if session.ns.dry_run:
            return _dry_run(session, plan)
        if plan.nothing_to_do:
            session.show(await session.executor(client).stop(plan))  # recorded: nothing sent, and why
            session.emit_json(run_id=run_id, exit_code=exitcodes.NOTHING_SENT)
            return exitcodes.NOTHING_SENT
        if not session.confirm(plan):
            session.sink(A.Record(A.STOP, run_id, None, A.NOT_SENT, "cancelled at the confirmation"))
            write(sys.stderr, "Cancelled: nothing was sent.")
            session.emit_json(run_id=run_id, exit_code=exitcodes.NOTHING_SENT)
            return exitcodes.NOTHING_SENT
        record = await session.executor(client).stop(plan)
        session.show(record)
        if record.ok:
            await _after(client, run_id, session)
    session.emit_json(run_id=run_id, exit_code=record.exit_code)
    return record.exit_code


def _dry_run(session: Session, plan: A.StopPlan | A.RerunPlan) -> int:
    """What would happen; nothing is sent or recorded."""
    c = session.connection
    code = exitcodes.NOTHING_SENT if plan.nothing_to_do else exitcodes.OK
    if session.ns.json:
        fields: dict[str, Any] = {"run_id": plan.run.id, "nothing_to_do": plan.reason, "exit_code": code}
        if isinstance(plan, A.RerunPlan):
            fields["would_rerun"] = [t.id for t in plan.tasks]
            fields["skipped"] = [{"task_id": i, "reason": r} for i, r in plan.skipped]
        session.emit_json(**fields)
        return code
    if plan.nothing_to_do:
        write(sys.stdout, printable(plan.reason, 500))
    else:
        for line in A.confirmation(plan, environment=session.environment, production=c.production, profile=c.profile):
            write(sys.stdout, line)
        if isinstance(plan, A.RerunPlan):
            for task in plan.tasks:
                write(sys.stdout, f"  would rerun  {task.id}  {printable(task.name or '-', 60)}")
    if isinstance(plan, A.RerunPlan) and plan.nothing_to_do and plan.skipped:
        write(sys.stdout, "  Not rerun    " + A.skipped_text(plan.skipped, 20))
    note = "" if session.allowed else " (writes are off for this profile: add --allow-write to do it)"
    write(sys.stdout, f"Dry run: nothing was sent{note}.")
    return code


# ---------------------------------------------------------------------------- zwr rerun


def rerun(ns: argparse.Namespace) -> int:
    from tui.core.runid import parse_run_id, parse_task_ids

    try:
        if ns.failed:
            if len(ns.ids) != 1:
                raise BadInput("--failed takes one run ID: zwr rerun --failed RUN_ID")
            run_id, task_ids = parse_run_id(ns.ids[0]), []
        else:
            run_id, task_ids = None, parse_task_ids(ns.ids)
        session = Session(ns, A.RERUN)
        session.connection.settings()
    except ZwrError as exc:
        return _fail(exc)
    refused = session.gate(run_id)
    if refused is not None:
        return refused
    return asyncio.run(_rerun(session, run_id, task_ids))


async def _tasks_by_id(client, task_ids: list[int]) -> tuple[list[Any], list[tuple[int, ZwrError]]]:
    results = await asyncio.gather(*(client.get_task(i) for i in task_ids), return_exceptions=True)
    found, missing = [], []
    for task_id, result in zip(task_ids, results):
        if isinstance(result, ZwrError):
            missing.append((task_id, result))
        elif isinstance(result, BaseException):
            raise result
        else:
            found.append(result)
    return found, missing


async def _plan_rerun(client, run_id: int | None, task_ids: list[int]) -> tuple[A.RerunPlan, list[ZwrError]]:
    """The plan, and the errors of task IDs that could not be read (reported, never guessed at)."""
    if run_id is not None:  # --failed
        run = (await client.get_run(run_id)).run
        listing = await client.get_tasks(run_id, expected_total=run.tasks.total if run.tasks.known else None)
        return A.plan_rerun_failed(run, listing), []
    tasks, missing = await _tasks_by_id(client, task_ids)
    if missing and not tasks:
        raise missing[0][1]
    runs = sorted({t.workflow_id for t in tasks if t.workflow_id is not None})
    if len(runs) > 1:
        raise BadInput(
            f"These tasks belong to {len(runs)} runs ({', '.join(map(str, runs[:5]))}): "
            "rerun the tasks of one run at a time."
        )
    if not runs:
        raise BadInput("None of these tasks names the run it belongs to (workflow_id): zwr reruns tasks of runs.")
    run = (await client.get_run(runs[0])).run
    plan = A.plan_rerun(run, tasks)
    skipped = tuple((task_id, f"could not be read: {exc.message}") for task_id, exc in missing)
    if skipped:
        plan = A.RerunPlan(plan.run, plan.tasks, skipped + plan.skipped, note=plan.note)
    return plan, [exc for _, exc in missing]


async def _rerun(session: Session, run_id: int | None, task_ids: list[int]) -> int:
    from tui.core.client import ZuoraClient

    c = session.connection
    async with ZuoraClient(c.settings(), c.auth) as client:
        try:
            plan, unread = await _plan_rerun(client, run_id, task_ids)
        except ZwrError as exc:
            return _fail(exc)
        run_id = plan.run.id
        if session.ns.dry_run:
            return _dry_run(session, plan)
        if plan.nothing_to_do:
            session.sink(A.Record(A.RERUN, run_id, None, A.NOT_SENT, plan.reason or "nothing to do"))
            if not session.ns.json:
                write(sys.stdout, printable(plan.reason, 500))
                if plan.skipped:
                    write(sys.stdout, "  Not rerun    " + A.skipped_text(plan.skipped, 20))
            code = unread[0].exit_code if unread else exitcodes.NOTHING_SENT
            session.emit_json(run_id=run_id, skipped=_skipped_json(plan), exit_code=code)
            return code
        if not session.confirm(plan):
            session.sink(A.Record(A.RERUN, run_id, None, A.NOT_SENT, "cancelled at the confirmation"))
            write(sys.stderr, "Cancelled: nothing was sent.")
            session.emit_json(run_id=run_id, exit_code=exitcodes.NOTHING_SENT)
            return exitcodes.NOTHING_SENT
        previous = session.audit.unresolved_keys(t.id for t in plan.tasks if t.id is not None)
        keys = {t.id or 0: A.choose_key(t, previous.get(t.id or 0)) for t in plan.tasks}
        batch = await session.executor(client).rerun_all(plan, keys, on_record=session.show)
        code = _batch_code(batch, unread)
        if not session.ns.json:
            write(sys.stdout, _batch_summary(plan, batch))
        if batch.done:
            await _after(client, run_id, session)
    session.emit_json(run_id=run_id, skipped=_skipped_json(plan), exit_code=code)
    return code


def _skipped_json(plan: A.RerunPlan) -> list[dict[str, Any]]:
    return [{"task_id": task_id, "reason": reason} for task_id, reason in plan.skipped]


def _batch_code(batch: A.Batch, unread: list[ZwrError]) -> int:
    failures = [r for r in batch.records if r.result in (A.REFUSED, A.UNKNOWN)]
    if not failures and not unread and not batch.not_attempted:
        return exitcodes.OK
    if batch.done:
        return exitcodes.PARTIAL
    first = failures[0].exit_code if failures else (unread[0].exit_code if unread else exitcodes.PARTIAL)
    return first or exitcodes.PARTIAL


def _batch_summary(plan: A.RerunPlan, batch: A.Batch) -> str:
    parts = [f"Rerun {batch.done:,} of {len(plan.tasks):,}"]
    refused = sum(1 for r in batch.records if r.result == A.REFUSED)
    unknown = sum(1 for r in batch.records if r.result == A.UNKNOWN)
    if refused:
        parts.append(f"{refused:,} refused")
    if unknown:
        parts.append(f"{unknown:,} with an unknown outcome (not repeated)")
    if batch.not_attempted:
        parts.append(
            f"{len(batch.not_attempted):,} not attempted (the batch stopped at the first {batch.stopped_at.error if batch.stopped_at else ''} error)"
        )
    if plan.skipped:
        parts.append(f"{len(plan.skipped):,} skipped")
    return "; ".join(parts) + ". Every attempt is in the audit trail: zwr log"


# ---------------------------------------------------------------------------- zwr log


def log(ns: argparse.Namespace) -> int:
    import os

    from tui.store.audit import AuditError, audit_file, read_entries, unreadable_lines

    profile = ns.profile or os.environ.get("ZWR_PROFILE", "").strip() or None
    path = audit_file()
    try:
        entries = read_entries(path, profile=profile)[-ns.limit :]
        bad = unreadable_lines(path)
    except AuditError as exc:
        write(sys.stderr, f"error: {exc}")
        return ConfigError.exit_code
    if ns.json:
        for entry in entries:
            write(sys.stdout, json.dumps(entry, ensure_ascii=True, separators=(",", ":")))
    elif not entries:
        write(sys.stdout, f"No writes recorded{f' for profile {profile!r}' if profile else ''} in {path}.")
    else:
        for entry in entries:
            write(sys.stdout, log_line(entry))
    if bad:
        write(sys.stderr, f"warning: {bad} line(s) of {path} are not JSON and were skipped.")
    return exitcodes.OK


def log_line(entry: dict[str, Any]) -> str:
    """One audit line for a person; every field made printable (the file is ours, but it is a file)."""

    def field(name: str, limit: int = 60) -> str:
        value = entry.get(name)
        return printable(value, limit) if value not in (None, "") else "-"

    subject = f"run {field('run_id', 20)}"
    if entry.get("task_id") is not None:
        subject += f" task {field('task_id', 20)}"
    line = (
        f"{field('time', 30)}  {field('profile', 30)}@{field('host', 80)}  {field('user', 30)}  "
        f"{field('action', 10)} {subject}  {field('result', 12).upper()}"
    )
    if entry.get("status") is not None:
        line += f" HTTP {field('status', 5)}"
    line += f"  {field('message', 400)}"
    if entry.get("request_id"):
        line += f"  Zuora-Request-Id {field('request_id', 64)}"
    return line
