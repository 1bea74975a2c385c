"""Runs that evolve with time: what the simulator answers at any moment.

Each ``RunSpec`` describes a run's life relative to its creation (queued, processing,
optionally stopping or settling). ``state(age)`` gives the counts and timestamps at a given
age, so runs progress live while the simulator runs, deterministically.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tui.sim import failures
from tui.sim.definitions import DEMO_WORKFLOWS, WorkflowSpec, generic

# Values of the official ``action_type`` enum (48 in all), with the API each calls and a typical
# configuration (``parameters``), as Zuora's Task schema describes them.
ACTIONS = ("Callout", "Iterate", "If", "Logic::Lambda", "Export", "Query", "Create", "Update")
CALL_TYPES = {"Callout": "REST", "Query": "SOAP", "Export": "SOAP", "Create": "SOAP", "Update": "SOAP", "If": "SOAP"}
PARAMETERS: dict[str, dict[str, str]] = {
    "Iterate": {"iterate_over": "Data.Query.Invoice", "concurrent": "true"},
    "If": {
        "if_clause": "{% if Data.Invoice.Balance > 0 %}\r\nTrue\r\n{% else %}\r\nFalse\r\n{% endif %}",
        "strict_variables": "true",
    },
    "Logic::Lambda": {"runtime": "python3.9", "handler": "main.handler"},
    "Export": {"object": "Invoice", "format": "csv"},
    "Query": {"zoql": "select Id, Balance from Invoice where Status = 'Posted'"},
    "Create": {"object": "Payment"},
    "Update": {"object": "Account", "fields": "Status__c"},
}
TASK_NAMES = (
    "Fetch subscriptions",
    "Notify billing webhook",
    "Check amount due",
    "Compute proration",
    "Export usage",
    "Query accounts",
    "Create invoice",
    "Update custom field",
)


STOP_VIEWS = 3  # a stopped run answers Stopping to this many reads of it, then Stopped
RERUN_QUEUED_VIEWS = 1  # a rerun task is Queued for this many reads of its run (or of it) ...
RERUN_DONE_VIEWS = 3  # ... then Processing until this many, then Success or Error again
COUNT_NAMES = ("queued", "processing", "pending", "stopped", "success", "error")


@dataclass
class StopRequest:
    """A stop asked for through ``PUT .../stop``: the run's counts when it was asked, frozen."""

    age: float
    view: int  # the run's ``views`` when it was asked
    counts: dict[str, int]
    ended_age: float | None = None  # when it answered Stopped the first time


@dataclass
class Rerun:
    """The latest rerun of one task (``POST /workflows/tasks/{id}/rerun``)."""

    age: float
    view: int
    outcome: str  # "Success" or "Error": how the rerun ends
    kind: str  # how it fails again, when it does (``failures.KINDS``)
    settled_age: float | None = None

    def status(self, views: int) -> str:
        done = views - self.view
        if done < RERUN_QUEUED_VIEWS:
            return "Queued"
        return "Processing" if done < RERUN_DONE_VIEWS else self.outcome


def fmt_ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def fmt_hms(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@dataclass
class RunSpec:
    """A run's script. Times are seconds of the run's age (0 = created)."""

    id: int
    name: str
    total: int
    workflow_id: int = 19027
    created_ago: float = 3600.0  # age of the run when the simulator starts
    queued_for: float = 1.0
    duration: float | None = 60.0  # processing time; None = keeps processing forever
    errors: int = 0
    stop_at: float | None = None  # progress fraction at which a stop was requested
    stopping_for: float = 10.0
    pending_final: int = 0  # Finished with pending tasks ...
    settle_after: float = 0.0  # ... for this long after finishing
    stuck_after: float | None = None  # updatedAt freezes at this age (a stuck run)
    description: str = ""
    raw_override: dict[str, Any] | None = None  # exact JSON to serve (the reference sample)
    extra: dict[str, Any] = field(default_factory=dict)
    # how the error tasks fail, in order: (kind, count) with kinds of ``failures.KINDS``; error
    # tasks beyond the mix (or all of them without one) fail the original demo's way ("callout")
    error_mix: tuple[tuple[str, int], ...] = ()
    # what the API asked of the run (issue 15); changed by the server under ``Scenario.lock``.
    # ``views`` (reads of the run or of one of its tasks) is the clock of stops and reruns, so they
    # move on as fast as someone looks, deterministically: Stopping for a few polls, then Stopped.
    views: int = 0
    stop_request: StopRequest | None = None
    reruns: dict[int, Rerun] = field(default_factory=dict)  # task index -> its latest rerun

    def failure_kind(self, position: int) -> str:
        """The kind of the ``position``-th error task (0-based) of this run."""
        for kind, count in self.error_mix:
            if position < count:
                return kind
            position -= count
        return "callout"

    # ------------------------------------------------------------------ life

    def state(self, age: float) -> dict[str, Any]:
        """Status, counts and key moments of the run at ``age`` seconds, with the stop and the
        reruns asked for through the API. ``base_counts`` lay out the tasks (see ``task_status``)."""
        state = self.stop_state() if self.stop_request is not None else self.scripted_state(age)
        state["base_counts"] = state["counts"]
        if self.reruns:
            self._apply_reruns(state, age)
        return state

    def stop_state(self) -> dict[str, Any]:
        """A stopped run: Stopping for ``STOP_VIEWS`` reads, then Stopped. Queued and pending
        tasks are stopped at once, processing ones when the run is Stopped."""
        request = self.stop_request
        assert request is not None
        counts = dict(request.counts)
        stopping = self.views - request.view < STOP_VIEWS
        counts["stopped"] += counts["queued"] + counts["pending"] + (0 if stopping else counts["processing"])
        counts["queued"] = counts["pending"] = 0
        if not stopping:
            counts["processing"] = 0
            end = request.ended_age if request.ended_age is not None else request.age
            return {"status": "Stopped", "counts": counts, "updated_age": end, "finished_age": end}
        return {"status": "Stopping", "counts": counts, "updated_age": request.age, "finished_age": None}

    def _apply_reruns(self, state: dict[str, Any], age: float) -> None:
        """Move each rerun task from its place in the layout to its rerun's status; a rerun
        still queued or processing makes an ended run active again."""
        base = state["base_counts"]
        counts = dict(base)
        active = False
        last = 0.0
        for index, rerun in self.reruns.items():
            was, _ = self.task_status(index, base)
            now = rerun.status(self.views)
            counts[was.lower()] -= 1
            counts[now.lower()] += 1
            active = active or now in ("Queued", "Processing")
            last = max(last, rerun.settled_age if rerun.settled_age is not None else rerun.age)
        state["counts"] = counts
        if state["status"] in ("Finished", "Stopped"):
            if active:
                state.update(status="Processing", finished_age=None, updated_age=age)
            else:
                state["updated_age"] = max(state["updated_age"], last)
                state["finished_age"] = max(state["finished_age"] or 0.0, last)

    # ------------------------------------------------------------------ actions (the server holds the lock)

    def observe(self, age: float) -> None:
        """One read of the run (or of one of its tasks): stops and reruns move on."""
        self.views += 1
        request = self.stop_request
        if request is not None and request.ended_age is None and self.views - request.view >= STOP_VIEWS:
            request.ended_age = age
        for rerun in self.reruns.values():
            if rerun.settled_age is None and self.views - rerun.view >= RERUN_DONE_VIEWS:
                rerun.settled_age = age

    def request_stop(self, age: float) -> str | None:
        """Stop the run; None when done (or already stopping), else why it cannot be stopped."""
        state = self.state(age)
        status = state["status"]
        if status == "Stopping":
            return None
        if status == "Stopped" or (status == "Finished" and not state["counts"]["pending"]):
            return f"Workflow run {self.id} has already {'been stopped' if status == 'Stopped' else 'finished'}."
        self.stop_request = StopRequest(age, self.views, {name: int(state["counts"][name]) for name in COUNT_NAMES})
        return None

    def request_rerun(self, index: int, age: float, fails_again: bool) -> str | None:
        """Rerun task ``index``; None when done, else why it cannot be rerun (it has not ended)."""
        state = self.state(age)
        status = self.current_status(index, state)
        if status not in ("Error", "Stopped", "Success"):
            return f"Task {self.task_id(index)} is {status}: only a task that has ended can be rerun."
        _, position = self.task_status(index, state["base_counts"])
        previous = self.reruns.get(index)
        kind = previous.kind if previous else (self.failure_kind(position) if status == "Error" else "callout")
        fails = fails_again or kind == "validation"  # a record that is wrong stays wrong
        # a new dict, never changed in place: readers iterate theirs without a lock
        self.reruns = {**self.reruns, index: Rerun(age, self.views, "Error" if fails else "Success", kind)}
        return None

    def current_status(self, index: int, state: dict[str, Any]) -> str:
        rerun = self.reruns.get(index)
        return rerun.status(self.views) if rerun else self.task_status(index, state["base_counts"])[0]

    def scripted_state(self, age: float) -> dict[str, Any]:
        """The run's own script at ``age`` (no API actions)."""
        total = self.total
        q = self.queued_for
        counts = dict.fromkeys(("queued", "processing", "pending", "stopped", "success", "error"), 0)
        finished_age = None
        if age < q:
            counts["queued"] = total
            return {"status": "Queued", "counts": counts, "updated_age": 0.0, "finished_age": None}
        if self.stop_at is not None and self.duration is not None:
            stop_age = q + self.duration * self.stop_at
            if age >= stop_age:
                self._fill_progress(counts, self.stop_at, running=False)
                counts["stopped"] = total - counts["success"] - counts["error"]
                if age < stop_age + self.stopping_for:
                    return {"status": "Stopping", "counts": counts, "updated_age": stop_age, "finished_age": None}
                end = stop_age + self.stopping_for
                return {"status": "Stopped", "counts": counts, "updated_age": end, "finished_age": end}
        if self.duration is None or age < q + self.duration:
            progress = 0.0 if self.duration is None else (age - q) / self.duration
            if self.duration is None:
                frozen = age if self.stuck_after is None else min(age, self.stuck_after)
                progress = min(0.95, (frozen - q) / 3600.0)
            self._fill_progress(counts, progress, running=True)
            updated = age if self.stuck_after is None else min(age, self.stuck_after)
            return {"status": "Processing", "counts": counts, "updated_age": updated, "finished_age": None}
        finished_age = q + self.duration
        counts["error"] = self.errors
        settling = self.pending_final and age < finished_age + self.settle_after
        counts["pending"] = self.pending_final if settling else 0
        counts["success"] = total - self.errors - counts["pending"]
        updated = age if settling else finished_age + (self.settle_after if self.pending_final else 0)
        return {"status": "Finished", "counts": counts, "updated_age": updated, "finished_age": finished_age}

    def _fill_progress(self, counts: dict[str, int], progress: float, *, running: bool) -> None:
        total = self.total
        progress = max(0.0, min(1.0, progress))
        done = min(total, math.floor(total * progress))
        errors = min(self.errors, math.ceil(self.errors * progress - 1e-9)) if progress > 0.1 else 0
        errors = min(errors, done)
        counts["error"] = errors
        counts["success"] = done - errors
        if running:
            counts["processing"] = min(total - done, max(1, total // 50)) if total - done > 0 else 0
            counts["queued"] = total - done - counts["processing"]

    def to_json(self, age: float, now: datetime, *, production: bool = False) -> dict[str, Any]:
        """The run object of ``GET /workflows/workflow_runs/{id}`` at ``age``; ``messages`` only
        in production, as Zuora documents."""
        if self.raw_override is not None:
            return dict(self.raw_override)
        st = self.state(age)
        created = now - timedelta(seconds=age)
        counts = st["counts"]
        finished_age = st["finished_age"]
        end_age = finished_age if finished_age is not None else age
        data: dict[str, Any] = {
            "cpuTime": fmt_hms(max(0.0, end_age - self.queued_for) * 0.8),
            "createdAt": fmt_ts(created),
            "finishedAt": fmt_ts(created + timedelta(seconds=finished_age)) if finished_age is not None else None,
            "id": self.id,
            "name": self.name,
            "originalWorkflowId": self.workflow_id,
            "runTime": round(end_age, 6),
            "status": st["status"],
            "tasks": {**counts, "total": self.total},
            "type": "Workflow::Instance",
            "updatedAt": fmt_ts(created + timedelta(seconds=st["updated_age"])),
        }
        if production:
            messages = self.messages_json(age, now)
            if messages:
                data["messages"] = messages
        data.update(self.extra)
        return data

    # ------------------------------------------------------------------ tasks

    def task_json(self, index: int, age: float, now: datetime, state: dict[str, Any] | None = None) -> dict[str, Any]:
        """Task ``index`` (0-based) at ``age`` in Zuora's shape (every official field of its
        ``Task`` schema; error fields only on Error tasks; ``data`` with the HTTP exchange of a
        callout). Statuses are laid out in a fixed order. ``state`` (from ``self.state(age)``)
        can be passed in to compute it once per page."""
        st = state or self.state(age)
        c = st["base_counts"]
        if self.raw_override is not None:
            c = dict(self.raw_override.get("tasks", {}))
        status, position = self.task_status(index, c)
        kind = self.failure_kind(position)
        created = (now - timedelta(seconds=age)).replace(microsecond=0)
        fixed = self.raw_override.get("createdAt") if self.raw_override is not None else None
        if isinstance(fixed, str):  # fixed JSON: its tasks start when it says it was created (stable snapshots)
            try:
                created = datetime.strptime(fixed, "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=created.tzinfo)
            except ValueError:
                pass
        start = created + timedelta(seconds=int(self.queued_for) + index // 10)
        rerun = self.reruns.get(index)
        if rerun is not None:
            status, kind = rerun.status(self.views), rerun.kind
            start = created + timedelta(seconds=int(rerun.age))
        action = ACTIONS[index % len(ACTIONS)]
        obj, number = failures.record(index)
        task: dict[str, Any] = {
            "action_type": action,
            "call_type": CALL_TYPES.get(action, "REST"),
            "data": {
                "Workflow": {
                    "ExecutionDate": created.strftime("%Y-%m-%d"),
                    "ExecutionDateTime": created.strftime("%Y-%m-%dT%H:%M:%S"),
                    "WorkflowRunUser": "sim-user",
                }
            },
            "end_time": (start + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            if status in ("Success", "Error", "Stopped")
            else None,
            "error": None,
            "error_class": None,
            "error_details": None,
            "id": self.task_id(index),
            "instance": True,
            "name": f"{TASK_NAMES[index % len(TASK_NAMES)]} #{index + 1}",
            "object": obj,
            "object_id": failures.record_id(obj, number),
            "original_task_id": self.workflow_id * 1000 + index % 1000 + 1,
            "original_workflow_id": self.workflow_id,
            "parameters": dict(PARAMETERS.get(action, {})),
            "start_time": start.strftime("%Y-%m-%dT%H:%M:%S.000Z") if status != "Queued" else None,
            "status": status,
            "tags": ["billing"] if index % 4 == 0 else [],
            "task_id": None if index == 0 else self.task_id(0),
            "workflow_id": self.id,
        }
        if status == "Error":
            failures.fail(task, kind, index, self.id, created)
        elif action == "Callout":
            failures.succeed_callout(task, index)
        if task["action_type"] == "Iterate":
            task["concurrent_limit"] = 5
        if index > 0:
            task["data"]["Tasks"] = {"Previous": {"Id": self.task_id(index - 1), "Status": "Success"}}
        return task

    @staticmethod
    def task_status(index: int, counts: dict[str, Any]) -> tuple[str, int]:
        """Task ``index``'s status in a fixed layout (successes, errors, stopped, pending,
        processing, queued) and its position among the tasks of that status."""
        edge = 0
        for name in ("success", "error", "stopped", "pending", "processing", "queued"):
            count = int(counts.get(name, 0))
            if index < edge + count:
                return name.capitalize(), index - edge
            edge += count
        return "Queued", 0

    def indices(self, object_id: str | None = None) -> range:
        """The task indices that may carry ``object_id`` (all of them without one): every
        record ID of the simulated tenant ends in its pool number, so a search by record
        looks at one task in ``RECORD_POOL`` instead of building every task of every run."""
        if object_id is None:
            return range(self.total)
        number = failures.record_number(object_id)
        if number is None:
            return range(0)
        return range(number, self.total, failures.RECORD_POOL)

    def task_id(self, index: int) -> int:
        return self.id * 100000 + index + 1

    def messages_json(self, age: float, now: datetime) -> dict[str, str] | None:
        """``messages`` as a production tenant might send them (Zuora documents only "an object"
        of messages from tasks): the error tasks' details, by task name."""
        state = self.state(age)
        counts = state["base_counts"]
        first = int(counts.get("success", 0))  # error tasks follow the successful ones (see task_json)
        errors = [i for i in range(first, first + int(counts.get("error", 0))) if i not in self.reruns]
        errors += [i for i, rerun in self.reruns.items() if rerun.status(self.views) == "Error"]
        tasks = (self.task_json(i, age, now, state) for i in sorted(errors)[:50])
        return {task["name"]: task["error_details"] for task in tasks} or None


class Scenario:
    """The set of runs (and workflow definitions) the simulator knows. Thread-safe for adding
    runs while serving."""

    def __init__(self, runs: list[RunSpec] | None = None, workflows: tuple[WorkflowSpec, ...] = ()) -> None:
        self._runs: dict[int, RunSpec] = {}
        self._workflows: dict[int, WorkflowSpec] = {w.id: w for w in workflows}
        self._named: set[int] = set()  # workflow IDs some run names as its originalWorkflowId
        self._lock = threading.Lock()
        self.actions = threading.Lock()  # held by the server while it stops, reruns or observes a run
        for run in runs or []:
            self.add(run)

    def add(self, run: RunSpec) -> RunSpec:
        with self._lock:
            self._runs[run.id] = run
            self._named.add(run.workflow_id)
        return run

    def add_workflow(self, workflow: WorkflowSpec) -> WorkflowSpec:
        with self._lock:
            self._workflows[workflow.id] = workflow
        return workflow

    def definition(self, workflow_id: int) -> dict[str, Any] | None:
        """``GET /workflows/{id}``: a definition for every workflow a run names (a generic one
        when the scenario gives no details), None for any other ID."""
        spec = self._workflows.get(workflow_id)
        if spec is None and workflow_id in self._named:
            spec = generic(workflow_id)
        return spec.to_json() if spec is not None else None

    def get(self, run_id: int) -> RunSpec | None:
        return self._runs.get(run_id)

    def ids(self) -> list[int]:
        return sorted(self._runs)

    def runs(self) -> list[RunSpec]:
        return [self._runs[i] for i in self.ids()]

    def add_synthetic(
        self, count: int, *, start_id: int = 100001, active: bool = True, duration: float = 3600.0
    ) -> list[int]:
        """Add ``count`` generated runs (for load tests): active ones progress over ``duration``."""
        ids = []
        for n in range(count):
            run_id = start_id + n
            total = 5 + (n * 37) % 200
            if active:
                spec = RunSpec(
                    run_id,
                    f"WF-{19000 + n % 50}-{n:08d}",
                    total,
                    created_ago=30 + n % 60,
                    queued_for=1,
                    duration=duration,
                    errors=(n % 7 == 0) * 2,
                    description="synthetic active run",
                )
            else:
                spec = RunSpec(
                    run_id,
                    f"WF-{19000 + n % 50}-{n:08d}",
                    total,
                    created_ago=7200 + n,
                    queued_for=1,
                    duration=600,
                    errors=(n % 9 == 0) * 1,
                    description="synthetic finished run",
                )
            self.add(spec)
            ids.append(run_id)
        return ids


REFERENCE_SAMPLE = {
    "cpuTime": "19:01:04",
    "createdAt": "2019-09-10 19:32:21 UTC",
    "finishedAt": "2019-09-10 19:33:34 UTC",
    "id": 19063,
    "name": "WF-19027-00000032",
    "originalWorkflowId": 19027,
    "runTime": 64.513026,
    "status": "Finished",
    "tasks": {"error": 0, "pending": 0, "processing": 0, "queued": 0, "stopped": 0, "success": 4, "total": 4},
    "type": "Workflow::Instance",
    "updatedAt": "2019-09-10 19:33:34 UTC",
}


def demo_scenario() -> Scenario:
    """The built-in runs: every status, live progress, errors (one realistic mix), a huge and a
    stuck run; a definition for each workflow."""
    return Scenario(
        [
            RunSpec(
                19063,
                "WF-19027-00000032",
                4,
                raw_override=REFERENCE_SAMPLE,
                description="Finished, 4/4 tasks (the API reference sample)",
            ),
            RunSpec(
                19064,
                "WF-19030-00000101",
                25,
                workflow_id=19030,
                created_ago=20,
                queued_for=3600,
                description="Queued (waits for an hour)",
            ),
            RunSpec(
                19065,
                "WF-19031-00000007",
                40,
                workflow_id=19031,
                created_ago=0,
                queued_for=5,
                duration=90,
                description="live: Queued -> Processing -> Finished over ~95 s",
            ),
            RunSpec(
                19066,
                "WF-19032-00000450",
                12,
                workflow_id=19032,
                created_ago=7200,
                duration=75,
                errors=3,
                description="Finished with 3 task errors (callout HTTP 500)",
            ),
            RunSpec(
                19067,
                "WF-19033-00000012",
                30,
                workflow_id=19033,
                created_ago=60,
                queued_for=2,
                duration=120,
                stop_at=0.5,
                stopping_for=20,
                description="live: Processing -> Stopping -> Stopped",
            ),
            RunSpec(
                19068,
                "WF-19033-00000011",
                30,
                workflow_id=19033,
                created_ago=86400,
                duration=100,
                stop_at=0.3,
                stopping_for=5,
                description="Stopped yesterday",
            ),
            RunSpec(
                19069,
                "WF-19034-00000203",
                20,
                workflow_id=19034,
                created_ago=100,
                duration=60,
                pending_final=2,
                settle_after=120,
                description="settling: Finished with 2 pending tasks",
            ),
            RunSpec(
                19070,
                "WF-19035-00000003",
                12000,
                workflow_id=19035,
                created_ago=30,
                duration=900,
                errors=4,
                description="huge: 12,000 tasks processing over 15 minutes",
            ),
            RunSpec(
                19071,
                "WF-19036-00000088",
                60,
                workflow_id=19036,
                created_ago=0,
                queued_for=2,
                duration=120,
                errors=5,
                error_mix=(("timeout", 1), ("callout-500", 4)),
                description="live: Processing, task errors appear as it runs",
            ),
            RunSpec(
                19072,
                "WF-19037-00000005",
                50,
                workflow_id=19037,
                created_ago=3000,
                duration=None,
                stuck_after=300,
                description="stuck: Processing, no update for ~45 minutes",
            ),
            RunSpec(
                19073,
                "WF-19038-00000777",
                250,
                workflow_id=19038,
                created_ago=5400,
                duration=300,
                errors=3,
                description="Finished, 250 tasks over 3 pages, 3 errors",
            ),
            RunSpec(
                19074,
                "Sync [bold]ACME[/bold] \u2014 \u6771\u4eac \u2713",
                8,
                workflow_id=19039,
                created_ago=1800,
                duration=40,
                description="Finished; a name with markup-like and wide text",
            ),
            RunSpec(
                19075,
                "WF-19040-00000314",
                400,
                workflow_id=19040,
                created_ago=9000,
                duration=600,
                errors=84,
                error_mix=(("callout-500", 80), ("timeout", 3), ("validation", 1)),
                description="Finished with 84 errors: 80 callouts answered 500 by one host, 3 timeouts, 1 invalid record",
            ),
        ],
        DEMO_WORKFLOWS,
    )
