"""``zwr get`` and ``zwr tasks``: headless fetches for scripts and plain terminals (``zwr watch``: watch.py).

``get`` is blocking (``core.blocking``: no event loop, no asyncio import) because a one-shot
command would otherwise spend more time starting asyncio than on its request; ``tasks`` uses the
async client. Both run the same request policy.
"""

from __future__ import annotations

import argparse
import sys

from tui.cli import exitcodes
from tui.cli.connect import connection_from
from tui.cli.context import fetch_workflows_blocking, workflow_for
from tui.cli.output import Painter, callout_lines, error_line, summary, task_line, write, write_json
from tui.core.client import RunResult, ZuoraClient
from tui.core.errors import BadResponse, ZwrError
from tui.core.lazy import lazy_module
from tui.core.model import TaskStatus
from tui.core.present import plural, tasks_listed
from tui.core.runid import parse_argv_run_ids, parse_run_id
from tui.core.text import printable

asyncio = lazy_module("asyncio")  # loaded by watch/tasks only: `zwr get` never needs it


def _fail(error: ZwrError, prefix: str = "") -> int:
    write(sys.stderr, error_line(error, Painter(sys.stderr), prefix))
    return error.exit_code


def get(ns: argparse.Namespace) -> int:
    try:
        run_ids = parse_argv_run_ids(ns.run_ids)
        connection = connection_from(ns)
        settings = connection.settings()  # validates --timeout too: nothing is sent if it is wrong
    except ZwrError as exc:
        return _fail(exc)
    return _get(settings, connection.auth, run_ids, ns.json)


def _get(settings, auth, run_ids: list[int], as_json: bool) -> int:
    from tui.core.blocking import BlockingClient

    with BlockingClient(settings, auth) as client:
        results = client.get_runs(run_ids)  # concurrently, in order; a failed run is its ZwrError
        # issue 14: the workflow's name, version, trigger and schedule (not for --json: Zuora's run object as is)
        found = (
            {} if as_json else fetch_workflows_blocking(client, [r.run for r in results if isinstance(r, RunResult)])
        )
    paint = Painter(sys.stdout)
    code = exitcodes.OK
    documents = []
    for run_id, result in zip(run_ids, results):
        if isinstance(result, BaseException) and not isinstance(result, ZwrError):
            raise result
        if isinstance(result, ZwrError):
            code = code or result.exit_code
            if as_json:
                documents.append({"id": run_id, "error": result.to_dict()})
            _fail(result, f"run {run_id}: ")
            continue
        if as_json:
            documents.append(dict(result.run.raw))
        else:
            workflow = workflow_for(found, result.run)
            write(sys.stdout, summary(result.run, paint, request_id=result.meta.request_id, workflow=workflow))
            if len(run_ids) > 1:
                write(sys.stdout, "")
    if as_json:
        payload = documents[0] if len(run_ids) == 1 and "error" not in documents[0] else documents
        if len(run_ids) > 1 or "error" not in documents[0]:
            write_json(sys.stdout, payload)
    return code


def tasks(ns: argparse.Namespace) -> int:
    try:
        run_id = parse_run_id(ns.run_id)
        connection = connection_from(ns)
    except ZwrError as exc:
        return _fail(exc)
    return asyncio.run(_tasks(connection, run_id, ns))


async def _tasks(connection, run_id: int, ns: argparse.Namespace) -> int:
    async with ZuoraClient(connection.settings(), connection.auth) as client:
        try:
            run = (await client.get_run(run_id)).run
            listing = await client.get_tasks(run_id, expected_total=run.tasks.total if run.tasks.known else None)
        except ZwrError as exc:
            return _fail(exc, f"run {run_id}: ")
    selected = [t for t in listing.tasks if not ns.errors or t.status is TaskStatus.ERROR]
    request_id = listing.meta.request_id if listing.meta else None
    if ns.json:
        write_json(sys.stdout, [dict(t.raw) for t in selected])
        if listing.left_out:
            write(sys.stderr, f"note: run {run_id}: {plural(listing.left_out, 'task')} of another run left out")
    else:
        write(
            sys.stdout,
            f"Run {run_id}: {tasks_listed(len(listing.tasks), listing.expected_total, listing.left_out)}"
            f" in {plural(listing.pages, 'page')}" + (f", {len(selected):,} in Error" if ns.errors else ""),
        )
        for task in selected:
            write(sys.stdout, task_line(task))
            if ns.errors:
                for line in callout_lines(task):
                    write(sys.stdout, f"{'':14}{line}")
                if task.error_details:
                    for detail in printable(task.error_details, 2000, keep_newlines=True).splitlines()[:30]:
                        write(sys.stdout, f"{'':14}{detail}")
        if request_id:
            write(sys.stdout, f"Zuora-Request-Id {printable(request_id, 64)} (first page)")
    if listing.partial:
        write(
            sys.stderr,
            Painter(sys.stderr)("error", "error")
            + f": run {run_id}: the task list is incomplete: {printable(listing.partial, 300)}."
            + (f" Zuora-Request-Id {printable(request_id, 64)} (first page)" if request_id else ""),
        )
        return BadResponse.exit_code
    return exitcodes.OK
