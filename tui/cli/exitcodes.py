"""Exit codes, documented in README. Fetch failures reuse ``ZwrError.exit_code``."""

from tui.core import errors as E

OK = 0
RUN_FAILED = 1  # --exit-status / --fail-fast: the run has task errors or was stopped
GAVE_UP = 12  # zwr watch --max-wait elapsed before the run ended
INTERRUPTED = 130

TABLE = [
    (OK, "success (for `watch --exit-status`: the run finished with no task errors)"),
    (RUN_FAILED, "`watch --exit-status`: finished with task errors or stopped; `--fail-fast`: first task error"),
    *((cls.exit_code, f"{cls.kind}: {cls.__doc__ or cls.__name__}") for cls in E.ALL_ERRORS),
    (GAVE_UP, "`watch --max-wait` elapsed before the run ended"),
    (INTERRUPTED, "interrupted (Ctrl-C)"),
]
