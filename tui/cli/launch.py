"""``zwr [RUN_ID...]``: check the terminal, resolve the connection headlessly, then start the Textual app.

The TUI starts only when stdin and stdout are both terminals: in a pipe or a cron job it would
write escape codes into a file and wait for keys that never come. Scripts get a one-line
pointer to ``zwr get`` / ``zwr watch`` instead (exit 2), before Textual is even imported.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from tui.cli import exitcodes
from tui.cli.output import write
from tui.core.errors import ZwrError

if TYPE_CHECKING:
    from tui.poll.service import PollThread
    from tui.store.connection import Connection

NO_TERMINAL = (
    "error: the TUI needs a terminal (stdin and stdout must both be one); "
    "in scripts use `zwr get RUN_ID` or `zwr watch RUN_ID`"
)


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
    """Run IDs and run URLs only (``zwr 19063``); none at all is fine: the TUI starts empty."""
    from tui.core.runid import parse_argv_run_ids

    return parse_argv_run_ids(words) if words else []


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
    resume_gc = pause_gc()
    poller = start_first_fetch(connection, run_ids, ns.interval)
    try:
        from tui.ui.app import ZwrApp

        app = ZwrApp(
            connection,
            run_ids=run_ids,
            interval=ns.interval,
            allow_write=ns.allow_write,
            started=poller,
            after_first_paint=resume_gc,
        )
        app.run()
        return app.return_code or 0
    finally:
        poller.close()  # the app closes it when it ran; this covers a start that failed before
        gc.enable()


def pause_gc() -> Callable[[], None]:
    """Pause the cyclic garbage collector for the start-up; returns what resumes it (the app
    calls it after its first paint). The start-up allocates a few hundred thousand objects
    (imports, the first screen) that all live on, so collections then only re-scan them: ~50 ms
    of CPU, an eighth of `zwr RUN_ID` to the first paint. Resuming freezes them (``gc.freeze``):
    later collections skip them too."""
    gc.disable()

    def resume() -> None:
        gc.freeze()
        gc.enable()

    return resume


def start_first_fetch(connection: Connection, run_ids: list[int], interval: float | None = None) -> PollThread:
    """Poll the runs before Textual is imported: their first answers are in by the first frame.
    At the interval the app will use (``--interval``, else the config's, as ``ZwrApp`` reads
    them): a different one, set when the app adopts the poller, would poll the runs again at once."""
    from tui.core.client import ZuoraClient
    from tui.poll.engine import DEFAULT_INTERVAL, clamp_interval
    from tui.poll.service import start_polling
    from tui.store.config import load_config

    wanted = interval if interval is not None else load_config().ui_setting("interval", DEFAULT_INTERVAL)
    client = ZuoraClient(connection.settings(), connection.auth)
    return start_polling(lambda: client, run_ids, interval=clamp_interval(wanted)[0])
