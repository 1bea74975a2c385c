"""``zwr find``: which runs touched a record, and did one fail?

"The customer says invoice X never went out": ``GET /workflows/tasks?object_id=X&instance=true``
lists the tasks of every run that touched it; zwr groups them by run (``workflow_id``) and looks
each run up (status, error count), at most ``MAX_LOOKUPS`` of them. ``--watch`` opens the TUI on
those runs (it needs a terminal, checked before anything is sent).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys

from tui.cli import exitcodes
from tui.cli.connect import connection_from
from tui.cli.output import Painter, error_line, task_line, write, write_json
from tui.core.client import RunResult, ZuoraClient
from tui.core.errors import BadInput, BadResponse, ZwrError
from tui.core.model import Task, TaskStatus
from tui.core.pagination import TASK_PAGE_LENGTH
from tui.core.present import badge, plural
from tui.core.search import TaskQuery, TaskSearch
from tui.core.text import printable

MAX_LOOKUPS = 50  # runs whose status is fetched (one request each)
MAX_WATCH = 50  # runs --watch opens
TASKS_PER_RUN = 5  # tasks printed under each run (--json has them all)


def _fail(error: ZwrError, prefix: str = "") -> int:
    write(sys.stderr, error_line(error, Painter(sys.stderr), prefix))
    return error.exit_code


def query_from(ns: argparse.Namespace) -> TaskQuery:
    try:
        query = TaskQuery(
            object_id=ns.object_id, object=ns.object, action_type=ns.action_type, name=ns.name, tags=tuple(ns.tag or ())
        )
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    if query.empty:
        raise BadInput("zwr find needs a filter: --object-id, --object, --action-type, --name or --tag.")
    return query


def find(ns: argparse.Namespace) -> int:
    try:
        query = query_from(ns)
    except ZwrError as exc:
        return _fail(exc)
    if ns.watch:
        from tui.cli.launch import refuse_without_terminal

        refused = refuse_without_terminal(also="; without --watch, zwr find prints the runs")
        if refused is not None:
            return refused
    try:
        connection = connection_from(ns)
    except ZwrError as exc:
        return _fail(exc)
    outcome = asyncio.run(_find(connection, query, ns))
    if isinstance(outcome, int):
        return outcome
    code, run_ids = outcome
    if not ns.watch:
        return code
    if not run_ids:
        write(sys.stderr, "nothing to watch: no run matched")
        return code
    from tui.ui.app import ZwrApp

    app = ZwrApp(connection, run_ids=run_ids[:MAX_WATCH])
    app.run()
    return app.return_code or code


async def _find(connection, query: TaskQuery, ns: argparse.Namespace) -> int | tuple[int, list[int]]:
    async with ZuoraClient(connection.settings(), connection.auth) as client:
        try:
            search = await client.find_tasks(query, max_pages=math.ceil(ns.limit / TASK_PAGE_LENGTH))
        except ZwrError as exc:
            return _fail(exc, "find: ")
        runs = search.by_run()
        looked_up = [run_id for run_id, _ in runs if run_id is not None][:MAX_LOOKUPS]
        answers = await asyncio.gather(*(client.get_run(i) for i in looked_up), return_exceptions=True)
    statuses: dict[int, RunResult | ZwrError] = {}
    for run_id, answer in zip(looked_up, answers):
        if isinstance(answer, BaseException) and not isinstance(answer, ZwrError):
            raise answer
        statuses[run_id] = answer
    if ns.json:
        write_json(sys.stdout, _document(search, runs, statuses))
    else:
        _print(search, runs, statuses)
    code = exitcodes.OK
    if search.partial:
        request_id = search.meta.request_id if search.meta else None
        write(
            sys.stderr,
            Painter(sys.stderr)("error", "error")
            + f": find: the search stopped early: {printable(search.partial, 300)}."
            + (f" Zuora-Request-Id {printable(request_id, 64)} (first page)" if request_id else "")
            + f" Narrow it, or raise --limit (now {ns.limit:,}).",
        )
        code = BadResponse.exit_code
    return code, [run_id for run_id, _ in runs if run_id is not None]


def _run_line(run_id: int | None, tasks: tuple[Task, ...], status: RunResult | ZwrError | None, paint: Painter) -> str:
    failed = sum(t.status is TaskStatus.ERROR for t in tasks)
    matching = plural(len(tasks), "matching task") + (f", {failed:,} in Error" if failed else "")
    if run_id is None:
        return f"Tasks without a run ID: {matching}"
    if isinstance(status, RunResult):
        run = status.run
        b = badge(run)
        name = f"  {printable(run.name, 80)}" if run.name else ""
        workflow = f" (workflow {printable(run.original_workflow_id, 30)})" if run.original_workflow_id else ""
        return f"Run {run_id}  {paint(f'{b.symbol} {b.label}', b.tone)}: {b.detail}{name}{workflow}  [{matching}]"
    if isinstance(status, ZwrError):
        return f"Run {run_id}  ? status not available: {printable(status.describe(), 200)}  [{matching}]"
    return f"Run {run_id}  (status not fetched: more than {MAX_LOOKUPS} runs; see --json)  [{matching}]"


def _print(search: TaskSearch, runs, statuses) -> None:
    paint = Painter(sys.stdout)
    head = (
        f"Tasks with {printable(search.query.describe(), 300)}: {plural(len(search.tasks), 'task')} in "
        f"{plural(sum(1 for r, _ in runs if r is not None), 'run')} ({plural(search.pages, 'page')})"
    )
    if search.left_out:
        head += f"; {plural(search.left_out, 'task')} that did not match the filters left out"
    write(sys.stdout, head)
    if not search.tasks:
        write(sys.stdout, "No task of any run matches.")
    for run_id, tasks in runs:
        write(sys.stdout, _run_line(run_id, tasks, statuses.get(run_id) if run_id is not None else None, paint))
        shown = sorted(tasks, key=lambda t: t.status is not TaskStatus.ERROR)[:TASKS_PER_RUN]  # failures first
        for task in shown:
            write(sys.stdout, task_line(task))
            if task.object or task.object_id:
                write(sys.stdout, f"{'':14}{printable(task.object or '?', 40)} {printable(task.object_id or '', 64)}")
        if len(tasks) > len(shown):
            write(sys.stdout, f"{'':14}… {plural(len(tasks) - len(shown), 'more task')} (see --json)")
    if search.meta and search.meta.request_id:
        write(sys.stdout, f"Zuora-Request-Id {printable(search.meta.request_id, 64)} (first page)")


def _document(search: TaskSearch, runs, statuses) -> dict:
    def run_entry(run_id: int | None, tasks: tuple[Task, ...]) -> dict:
        status = statuses.get(run_id) if run_id is not None else None
        entry: dict = {"run_id": run_id, "status": None, "task_errors": None, "name": None, "error": None}
        if isinstance(status, RunResult):
            run = status.run
            entry.update(
                status=run.status_label,
                task_errors=run.tasks.error,
                name=run.name,
                original_workflow_id=run.original_workflow_id,
                outcome=run.outcome.value,
            )
        elif isinstance(status, ZwrError):
            entry["error"] = status.to_dict()
        entry["matching_tasks"] = [dict(t.raw) for t in tasks]
        return entry

    return {
        "query": search.query.to_dict(),
        "tasks": len(search.tasks),
        "pages": search.pages,
        "complete": search.complete,
        "partial": search.partial,
        "left_out": search.left_out,
        "request_id": search.meta.request_id if search.meta else None,
        "runs": [run_entry(run_id, tasks) for run_id, tasks in runs],
    }
