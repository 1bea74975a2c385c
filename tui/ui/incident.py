"""The incident report of a run as the TUI knows it (the same words as ``zwr report``).

Built from what is already on screen: the run from the run book, its error groups and workflow
from the why book, the Zuora-Request-Ids seen. Nothing is fetched: a report copied while the
errors are still being grouped says so, and groups made for an older error count say that too,
so a pasted report never passes old numbers off as current.
"""

from __future__ import annotations

from datetime import datetime

from tui.core.environments import environment_name
from tui.core.errorgroups import ErrorGroup
from tui.core.errors import ZwrError
from tui.core.model import Workflow
from tui.core.report import Incident
from tui.ui.session import Session


def incident_for(session: Session, run_id: int, now: datetime) -> Incident | None:
    update = session.book.update(run_id)
    run = update.run if update else None
    if run is None:
        return None
    why = session.why
    digest = why.digest(run_id)
    request_ids: list[tuple[str, str]] = []
    if update is not None and update.meta is not None and update.meta.request_id:
        request_ids.append(("run", update.meta.request_id))
    groups: tuple[ErrorGroup, ...] = ()
    listed: int | None = None
    note: str | None = None
    if run.tasks.error and digest is None:
        note = "The errors are still being grouped (the tasks are being listed): copy the report again in a moment."
    elif digest is not None and digest.failure:
        note = f"The tasks could not be listed, so the errors are not grouped: {digest.failure}"
        if digest.request_id:
            request_ids.append(("tasks (failed)", digest.request_id))
    elif digest is not None:
        groups, listed = digest.groups, digest.listed
        if digest.request_id:
            request_ids.append(("tasks (first page)", digest.request_id))
        if digest.partial:
            note = f"The task list is incomplete ({digest.partial}): the groups count {listed:,} listed tasks."
        if digest.error_count != run.tasks.error:
            note = (note + " " if note else "") + (
                f"The groups were made when the run had {digest.error_count:,} task errors; it has "
                f"{run.tasks.error:,} now."
            )
    known = why.workflow(run.original_workflow_id)
    workflow = known if isinstance(known, Workflow) else None
    workflow_note = None
    if isinstance(known, ZwrError):
        workflow_note = f"definition not available: {known.describe()}"
    elif known is None and run.original_workflow_id:
        workflow_note = "definition not read yet"
    connection = session.connection
    return Incident(
        run=run,
        environment=environment_name(connection.base_url, connection.label),
        production=connection.production,
        generated_at=now,
        groups=groups,
        tasks_listed=listed,
        tasks_note=note,
        workflow=workflow,
        workflow_note=workflow_note,
        request_ids=tuple(request_ids),
    )
