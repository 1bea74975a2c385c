"""``zwr [RUN_ID...]``: check the terminal, resolve the connection headlessly, then start the Textual app.

The TUI starts only when stdin and stdout are both terminals: in a pipe or a cron job it would
write escape codes into a file and wait for keys that never come. Scripts get a one-line
pointer to ``zwr get`` / ``zwr watch`` instead (exit 2), before Textual is even imported.
"""

from __future__ import annotations

import argparse
import re
import sys

from tui.cli import exitcodes
from tui.cli.output import write
from tui.core.errors import BadInput, ZwrError

NO_TERMINAL = (
    "error: the TUI needs a terminal (stdin and stdout must both be one); "
    "in scripts use `zwr get RUN_ID` or `zwr watch RUN_ID`"
)
_FREE_TEXT = re.compile(r"[^\W\d_]{2,}")  # a word: "run 19063 failed" is for the `a` dialog, not argv
_RUN_NUMBER = re.compile(r"(?i)\bWF-\d")  # a run *number*: the run-ID parser explains it


def has_terminal() -> bool:
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def refuse_without_terminal(also: str = "") -> int | None:
    """``None`` when the TUI may start, else the exit code after saying why (one line)."""
    if has_terminal():
        return None
    write(sys.stderr, NO_TERMINAL + also)
    return exitcodes.BAD_USAGE


def run_ids_from_argv(words: list[str]) -> list[int]:
    """Run IDs and run URLs only: each word must be IDs (``19063``, ``19063,19064``) or a link."""
    from tui.core.runid import parse_run_ids

    found: list[int] = []
    for word in words:
        link = word.strip().lower().startswith(("http://", "https://"))
        if not link and _FREE_TEXT.search(word) and not _RUN_NUMBER.search(word):
            raise BadInput(
                f"{word[:60]!r} is not a run ID or run URL. On the command line give IDs such as 19063 "
                "or links; pasted sentences work in the TUI's `a` dialog."
            )
        ids = parse_run_ids(word)  # explains bad IDs, run numbers (WF-...), suspicious text
        found.extend(i for i in ids if i not in found)
    return found


def ui(ns: argparse.Namespace) -> int:
    from tui.cli.connect import connection_from

    try:
        run_ids = run_ids_from_argv(ns.run_ids)
    except ZwrError as exc:
        write(sys.stderr, f"error: {exc.describe()}")
        return exc.exit_code
    refused = refuse_without_terminal()
    if refused is not None:
        return refused
    try:
        connection = connection_from(ns)
    except ZwrError as exc:
        write(sys.stderr, f"error: {exc.describe()}")
        return exc.exit_code
    from tui.ui.app import ZwrApp

    app = ZwrApp(connection, run_ids=run_ids, interval=ns.interval, allow_write=ns.allow_write)
    app.run()
    return app.return_code or 0
