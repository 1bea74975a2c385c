"""Exit codes, documented in README. Fetch failures reuse ``ZwrError.exit_code``.

Constants only at import (``zwr --help`` must not pay for the error classes); ``table()``
builds the documented list, which tests/test_readme.py checks against README.
"""

OK = 0
RUN_FAILED = 1  # --exit-status / --fail-fast: the run has task errors or was stopped
BAD_USAGE = 2  # same as BadInput: an unknown command, a bad option, the TUI without a terminal
STORE_FAILED = 3  # same as ConfigError: bookmarks could not be saved (what was saved is intact)
NOT_BOOKMARKED = 6  # same as NotFound: `bookmarks remove/rename` of a run with no bookmark
GAVE_UP = 12  # zwr watch --max-wait elapsed before the run ended
NOTHING_SENT = 13  # zwr stop/rerun: nothing to do (already stopped, no failed task...) or answered no
PARTIAL = 14  # zwr rerun: some tasks were rerun, some were not
INTERNAL = 70  # an unexpected exception (a bug): one line, the traceback with --debug
INTERRUPTED = 130


def table() -> list[tuple[int, str]]:
    from tui.core import errors as E

    return [
        (OK, "success (for `watch --exit-status`: the run finished with no task errors)"),
        (RUN_FAILED, "`watch --exit-status`: finished with task errors or stopped; `--fail-fast`: first task error"),
        *((cls.exit_code, f"{cls.kind}: {cls.__doc__ or cls.__name__}") for cls in E.ALL_ERRORS),
        (GAVE_UP, "`watch --max-wait` elapsed before the run ended"),
        (NOTHING_SENT, "`stop`/`rerun`: nothing to do, or not confirmed: nothing was sent"),
        (PARTIAL, "`rerun`: some tasks were rerun and some were not"),
        (INTERNAL, "an unexpected error inside zwr (a bug): one line; `--debug` shows the traceback"),
        (INTERRUPTED, "interrupted (Ctrl-C)"),
    ]
