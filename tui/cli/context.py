"""What the headless commands add around a run: its workflow definition and its incident facts.

Shared by ``zwr get`` (the workflow's name, version, trigger and schedule), ``zwr report``
and ``zwr find``. A definition that cannot be read is a note, never a failure of the command:
the run is what the user asked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tui.core.client import TaskList, WorkflowResult, ZuoraClient
from tui.core.errors import ZwrError
from tui.core.lazy import lazy_module
from tui.core.model import Run, Workflow
from tui.core.present import plural
from tui.core.text import printable

if TYPE_CHECKING:  # `zwr get` uses this module too, and needs neither
    import asyncio

    from tui.core.blocking import BlockingClient
    from tui.core.errorgroups import ErrorGroup
    from tui.core.report import Incident
else:
    asyncio = lazy_module("asyncio")  # `zwr get` (blocking) imports this module and must not load asyncio


def _workflow_ids(runs: Iterable[Run]) -> list[str]:
    return list(dict.fromkeys(run.original_workflow_id for run in runs if run.original_workflow_id))


async def fetch_workflows(client: ZuoraClient, runs: Iterable[Run]) -> dict[str, WorkflowResult | ZwrError]:
    """The definition of every workflow ``runs`` name, each fetched once, concurrently. A
    failure is kept as its error (for a note), never raised."""
    ids = _workflow_ids(runs)
    results = await asyncio.gather(*(client.get_workflow(i) for i in ids), return_exceptions=True)
    found: dict[str, WorkflowResult | ZwrError] = {}
    for workflow_id, result in zip(ids, results):
        if isinstance(result, BaseException) and not isinstance(result, ZwrError):
            raise result
        found[workflow_id] = result
    return found


def fetch_workflows_blocking(client: BlockingClient, runs: Iterable[Run]) -> dict[str, WorkflowResult | ZwrError]:
    """``fetch_workflows`` for the blocking ``zwr get``: one request per distinct workflow (runs
    of one workflow are the common case), a failure kept as its error."""
    found: dict[str, WorkflowResult | ZwrError] = {}
    for workflow_id in _workflow_ids(runs):
        try:
            found[workflow_id] = client.get_workflow(workflow_id)
        except ZwrError as exc:
            found[workflow_id] = exc
    return found


def workflow_note(error: ZwrError) -> str:
    """One line for a definition that could not be read."""
    return f"definition not available: {printable(error.describe(), 700)}"


def workflow_for(found: dict[str, WorkflowResult | ZwrError], run: Run) -> Workflow | str | None:
    """The run's definition, the note saying why it is missing, or None (the run names none)."""
    result = found.get(run.original_workflow_id or "")
    if isinstance(result, WorkflowResult):
        return result.workflow
    if isinstance(result, ZwrError):
        return f"{printable(run.original_workflow_id, 30)} ({workflow_note(result)})"
    return None


async def gather_incident(
    client: ZuoraClient, run: Run, *, environment: str, production: bool, run_request_id: str | None
) -> Incident:
    """The run's error groups (its tasks listed only when it has errors) and workflow, fetched
    concurrently; whatever fails becomes a note in the report."""
    from tui.core.errorgroups import group_errors
    from tui.core.report import Incident

    wants_tasks = run.id is not None and run.tasks.error > 0
    total = run.tasks.total if run.tasks.known else None
    listing_job = client.get_tasks(run.id, expected_total=total) if wants_tasks and run.id is not None else None
    workflow_job = client.get_workflow(run.original_workflow_id) if run.original_workflow_id else None
    jobs = [job for job in (listing_job, workflow_job) if job is not None]
    results = iter(await asyncio.gather(*jobs, return_exceptions=True))
    listing = next(results) if listing_job is not None else None
    workflow = next(results) if workflow_job is not None else None
    for result in (listing, workflow):
        if isinstance(result, BaseException) and not isinstance(result, ZwrError):
            raise result
    request_ids: list[tuple[str, str]] = []
    if run_request_id:
        request_ids.append(("run", run_request_id))
    groups: tuple[ErrorGroup, ...] = ()
    listed: int | None = None
    tasks_note: str | None = None
    if isinstance(listing, ZwrError):
        tasks_note = f"The tasks could not be listed, so the errors are not grouped: {listing.describe()}"
        if listing.request_id:
            request_ids.append(("tasks (failed)", listing.request_id))
    elif isinstance(listing, TaskList):  # or None: not asked for
        groups, listed = group_errors(listing.tasks), len(listing.tasks)
        if listing.meta and listing.meta.request_id:
            request_ids.append(("tasks (first page)", listing.meta.request_id))
        if listing.partial:
            tasks_note = (
                f"The task list is incomplete ({listing.partial}): the groups count "
                f"{plural(len(listing.tasks), 'listed task')}."
            )
    workflow_text = None
    if isinstance(workflow, ZwrError):
        workflow_text = workflow_note(workflow)
        if workflow.request_id:
            request_ids.append(("workflow (failed)", workflow.request_id))
    elif isinstance(workflow, WorkflowResult) and workflow.meta.request_id:  # or None: not asked for
        request_ids.append(("workflow", workflow.meta.request_id))
    return Incident(
        run=run,
        environment=environment,
        production=production,
        generated_at=datetime.now(UTC),
        groups=groups,
        tasks_listed=listed,
        tasks_note=tasks_note,
        workflow=workflow.workflow if isinstance(workflow, WorkflowResult) else None,
        workflow_note=workflow_text,
        request_ids=tuple(request_ids),
    )
