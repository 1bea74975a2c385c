"""The CLI's last line of defence: any failure becomes one clear line, never a bare traceback.

A ``ZwrError`` that escaped a command is printed like every other error (its exit code is
documented). Anything else is a bug in zwr: one line names the command, the exception type and
its message (scrubbed of secrets, escapes made visible) and suggests ``--debug``; exit 70. With
``--debug`` the traceback is printed first, scrubbed of every secret zwr holds.
"""

from __future__ import annotations

import sys

from tui.cli import exitcodes
from tui.cli.output import write


def report(exc: BaseException, command: str, *, debug: bool) -> int:
    from tui.core.errors import ZwrError
    from tui.core.redact import scrub
    from tui.core.text import printable

    if isinstance(exc, ZwrError):
        write(sys.stderr, f"error: {exc.describe()}")
        return exc.exit_code
    if debug:
        import traceback

        text = "".join(traceback.format_exception(exc))
        write(sys.stderr, printable(scrub(text), 100_000, keep_newlines=True).rstrip())
    detail = printable(scrub(str(exc)), 300)
    what = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    hint = "the traceback is above" if debug else "run it again with --debug to see the traceback (secrets scrubbed)"
    write(
        sys.stderr,
        f"error: {command} failed unexpectedly ({what}). This is a bug in zwr: {hint}, and please report it.",
    )
    return exitcodes.INTERNAL
