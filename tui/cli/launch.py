"""``zwr [RUN_ID...]``: resolve the connection headlessly, then start the Textual app."""

from __future__ import annotations

import argparse
import sys

from tui.cli.output import write
from tui.core.errors import ZwrError


def ui(ns: argparse.Namespace) -> int:
    from tui.cli.connect import connection_from
    from tui.core.runid import parse_run_ids

    try:
        run_ids = parse_run_ids(" ".join(ns.run_ids)) if ns.run_ids else []
        connection = connection_from(ns)
    except ZwrError as exc:
        write(sys.stderr, f"error: {exc.describe()}")
        return exc.exit_code
    from tui.ui.app import ZwrApp

    app = ZwrApp(connection, run_ids=run_ids, interval=ns.interval)
    app.run()
    return app.return_code or 0
