"""``zwr report RUN_ID``: an incident summary of a run to paste into a ticket or a chat.

The run is fetched first (its failure is the command's failure, as in ``zwr get``); then its
tasks (only when it has errors, to group them) and its workflow definition, concurrently. Those
two may fail without failing the report: the report says what is missing and why.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from tui.cli import exitcodes
from tui.cli.connect import connection_from
from tui.cli.context import gather_incident
from tui.cli.output import Painter, error_line, write
from tui.core.client import ZuoraClient
from tui.core.environments import environment_name
from tui.core.errors import ZwrError
from tui.core.report import render
from tui.core.runid import parse_run_id


def _fail(error: ZwrError, prefix: str = "") -> int:
    write(sys.stderr, error_line(error, Painter(sys.stderr), prefix))
    return error.exit_code


def report(ns: argparse.Namespace) -> int:
    try:
        run_id = parse_run_id(ns.run_id)
        connection = connection_from(ns)
    except ZwrError as exc:
        return _fail(exc)
    return asyncio.run(_report(connection, run_id, ns.format))


async def _report(connection, run_id: int, fmt: str) -> int:
    async with ZuoraClient(connection.settings(), connection.auth) as client:
        try:
            result = await client.get_run(run_id)
        except ZwrError as exc:
            return _fail(exc, f"run {run_id}: ")
        incident = await gather_incident(
            client,
            result.run,
            environment=environment_name(connection.base_url, connection.label),
            production=connection.production,
            run_request_id=result.meta.request_id,
        )
    write(sys.stdout, render(incident, fmt))
    return exitcodes.OK
