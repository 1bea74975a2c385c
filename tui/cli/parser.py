"""The command-line grammar: one argparse tree, so options mean the same wherever they are typed.

``zwr [OPTIONS] COMMAND [OPTIONS] [ACTION] [OPTIONS]``: the connection options (``--profile``,
``--env``, ``--base-url``, ...) are accepted before the command, after it and after an action
(``zwr --profile prod auth status``, ``zwr auth status --profile prod``), the way git, gh and
kubectl users type them. argparse sub-parsers with one parent parser do this at no start-up cost
beyond argparse itself (click would add ~20 ms to every ``zwr get``). The parent's options
default to ``SUPPRESS`` so a sub-parser never overwrites a value given earlier on the line;
``fill_defaults`` supplies the real defaults after parsing.

Numbers are validated here, at the edge, with a message naming the option: ``--timeout nan``
or ``--interval 0.001`` never reach the code that would sleep or send on them.
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
from collections.abc import Callable
from typing import TextIO

from tui import __version__

# Commands in the order `zwr --help` lists them; tests/test_readme.py checks README mentions each.
COMMANDS = (
    "get",
    "watch",
    "tasks",
    "report",
    "find",
    "stop",
    "rerun",
    "log",
    "ui",
    "demo",
    "sim",
    "auth",
    "bookmarks",
    "config",
    "locate",
    "help",
)
# Commands that use the connection options (the others refuse them rather than ignore them silently).
CONNECTED = frozenset(
    {"get", "watch", "tasks", "report", "find", "stop", "rerun", "log", "ui", "auth", "bookmarks", "config", "locate"}
)
MIN_POLL_INTERVAL = 1.0  # Zuora's rate limit is shared by the whole tenant
DAY = 86400.0

CONNECTION_DEFAULTS: dict[str, object] = {
    "profile": None,
    "env": None,
    "base_url": None,
    "entity_ids": None,
    "org_ids": None,
    "track_id": None,
    "timeout": None,
    "ask_token": False,
    "debug": False,
}


def seconds(low: float, high: float, *, above: bool = False, zero: bool = False) -> Callable[[str], float]:
    """An argparse ``type`` for a number of seconds in ``[low, high]`` (``(low, high]`` if ``above``).

    ``zero`` also accepts 0 (``--give-up 0`` means never). nan, inf and words are refused.
    """

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        if zero and value == 0:
            return 0.0
        ok = math.isfinite(value) and (value > low if above else value >= low) and value <= high
        if not ok:
            bound = f"more than {low:g}" if above else f"at least {low:g}"
            extra = " (or 0 for never)" if zero else ""
            raise argparse.ArgumentTypeError(f"must be {bound} and at most {high:g} seconds{extra}, not {text!r}")
        return value

    parse.__name__ = "seconds"  # argparse names the type in some messages
    return parse


def number(cast: Callable[[str], float], low: float, high: float, what: str) -> Callable[[str], float]:
    """An argparse ``type`` for a bounded number that is not a duration (ports, rates, counts)."""

    def parse(text: str) -> float:
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"must be {what} from {low:g} to {high:g}, not {text!r}")
        return value

    parse.__name__ = what
    return parse


def one_of(*words: str) -> Callable[[str], str]:
    """An argparse ``type`` for one word of a fixed set (like ``choices``, which the grammar
    keeps for sub-commands)."""

    def parse(text: str) -> str:
        if text not in words:
            raise argparse.ArgumentTypeError(f"must be one of {', '.join(words)}, not {text[:40]!r}")
        return text

    parse.__name__ = "format"
    return parse


@functools.cache
def _width() -> int:
    import shutil

    return max(60, min(100, shutil.get_terminal_size().columns - 2))


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Examples keep their line breaks; the terminal width is asked once, not per option
    (argparse builds a formatter for every ``add_argument``)."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=34, width=_width())


def connection_parent() -> argparse.ArgumentParser:
    """The options every command that talks to Zuora (or to the profile's files) accepts anywhere."""
    parent = argparse.ArgumentParser(add_help=False, allow_abbrev=False, formatter_class=_Formatter)
    g = parent.add_argument_group("connection options (before or after the command; options > environment > profile)")
    s = argparse.SUPPRESS
    g.add_argument("--profile", default=s, metavar="NAME", help="profile from the config file (env ZWR_PROFILE)")
    g.add_argument("--env", default=s, metavar="NAME", help="named Zuora environment, e.g. us-prod-2, eu-sandbox")
    g.add_argument("--base-url", default=s, metavar="URL", help="Zuora REST base URL (env ZUORA_BASE_URL)")
    g.add_argument("--entity-ids", default=s, metavar="IDS", help="Zuora-Entity-Ids header (env ZUORA_ENTITY_IDS)")
    g.add_argument("--org-ids", default=s, metavar="IDS", help="Zuora-Org-Ids header (env ZUORA_ORG_IDS)")
    g.add_argument("--track-id", default=s, metavar="ID", help="fixed Zuora-Track-Id (default: new per request)")
    g.add_argument(
        "--timeout", default=s, type=seconds(0, 3600, above=True), metavar="S", help="read timeout (default 30)"
    )
    g.add_argument("--ask-token", default=s, action="store_true", help="prompt (masked) for a bearer token")
    g.add_argument("--debug", default=s, action="store_true", help="debug log and tracebacks on stderr, scrubbed")
    return parent


def debug_parent() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False, allow_abbrev=False, formatter_class=_Formatter)
    parent.add_argument("--debug", default=argparse.SUPPRESS, action="store_true", help="debug log on stderr")
    return parent


def fill_defaults(ns: argparse.Namespace) -> argparse.Namespace:
    for name, value in CONNECTION_DEFAULTS.items():
        if not hasattr(ns, name):
            setattr(ns, name, value)
    return ns


def value_options() -> frozenset[str]:
    """The top-level options that take a value (``--profile NAME``), to find the command word."""
    return frozenset("--" + name.replace("_", "-") for name, default in CONNECTION_DEFAULTS.items() if default is None)


def given_connection_options(ns: argparse.Namespace) -> list[str]:
    """The connection options present on the line (before ``fill_defaults``), as typed."""
    return ["--" + name.replace("_", "-") for name in CONNECTION_DEFAULTS if name != "debug" and hasattr(ns, name)]


TOP_DESCRIPTION = """\
zwr: a terminal explorer for Zuora Workflow runs.

  zwr [OPTIONS] RUN_ID...          open the TUI on these runs (IDs or run URLs; needs a terminal)
  zwr [OPTIONS] COMMAND [ARGS]     run a command; options go before or after it"""

TOP_EPILOG = """\
examples:
  zwr demo                                        try it all on the embedded simulator
  zwr auth login --profile sandbox --env us-sandbox-2
  zwr --profile sandbox get 19063 --json          scripts: one fetch, JSON on stdout
  zwr watch 19063 --exit-status --give-up 600     CI: follow a run, exit 0 only on success

`zwr COMMAND --help` (or `zwr help COMMAND`) shows a command's options and examples.
Exit codes, configuration and credentials are described in README.md."""

# name -> (one line for `zwr --help`, description, examples)
HELP: dict[str, tuple[str, str, str]] = {
    "get": (
        "fetch runs once: status, timing, task counts, errors (--json for scripts)",
        "Fetch each run once and print a summary, or the run JSON with --json.",
        "  zwr get 19063\n"
        "  zwr get 19063 19064 --json | jq '.[].status'\n"
        "  zwr --profile prod get https://rest.zuora.com/workflows/workflow_runs/19063",
    ),
    "watch": (
        "follow a run until it ends; --exit-status for CI",
        "Refresh a run until it ends (Finished with nothing pending, or Stopped). Transient faults\n"
        "(429, 5xx, timeouts, network) are ridden out with backoff; when every poll has failed for\n"
        "--give-up seconds, watch exits with the code of the last failure (7, 8, 9 or 10).",
        "  zwr watch 19063 --exit-status                 # exit 0 only if it finished without task errors\n"
        "  zwr watch 19063 --max-wait 1800 --give-up 120 # at most 30 min; 2 min of failures ends it",
    ),
    "tasks": (
        "list the tasks of a run (all pages); --errors for the failed ones and why",
        "List every task of a run, following all pages.",
        "  zwr tasks 19063\n  zwr tasks 19063 --errors\n  zwr tasks 19063 --json > tasks.json",
    ),
    "report": (
        "an incident summary of a run for a ticket or a chat (markdown, text or JSON)",
        "Summarise a run for an incident: environment, workflow, status, timing, task counts, its errors\n"
        "grouped (IDs and numbers in the messages set aside) with the first task of each group, and\n"
        "the Zuora-Request-Ids. A definition or task list that cannot be read is noted, not fatal.",
        "  zwr report 19066                      # markdown, ready to paste\n"
        "  zwr report 19066 --format text\n"
        "  zwr report 19066 --format json | jq '.error_groups[0]'",
    ),
    "find": (
        "find the runs whose tasks touched a record (--object-id), with their status and errors",
        "Search the tasks of every run (GET /workflows/tasks) by the record they touched or by other\n"
        "task fields, and group them by run with each run's status and error count.",
        "  zwr find --object-id 8a8082c40e1c000000000000000000b7   # which runs touched this invoice?\n"
        "  zwr find --object Invoice --action-type Callout --tag billing --json\n"
        "  zwr find --object-id 8a8082c40e1c000000000000000000b7 --watch   # open those runs in the TUI",
    ),
    "stop": (
        "stop a run (a write: needs allow_write or --allow-write, and a confirmation)",
        "Stop a run (PUT /workflows/workflow_runs/{id}/stop). A run that is already stopping or has\n"
        "ended is left alone and nothing is sent (exit 13). On a terminal zwr shows the environment\n"
        "(production marked), the run and what will happen, and asks (in production: type the run ID);\n"
        "elsewhere it refuses without --yes. Every attempt is recorded in the audit trail (zwr log).",
        "  zwr stop 19067 --dry-run               # what would happen; nothing is sent\n"
        "  zwr --profile sandbox stop 19067 --allow-write\n"
        "  zwr stop 19067 --allow-write --yes --json   # scripts: no question, JSON on stdout",
    ),
    "rerun": (
        "rerun tasks by ID, or every failed task of a run (--failed); a write, confirmed",
        "Rerun tasks (POST /workflows/tasks/{id}/rerun), each with its own Idempotency-Key so a retry\n"
        "cannot rerun it twice. Only tasks in Error or Stopped are rerun; the others are listed with the\n"
        "reason. One run at a time; a batch stops at the first error that would hit every task (403...)\n"
        "and reports each task. Needs allow_write or --allow-write; confirmed like `zwr stop`.",
        "  zwr rerun --failed 19066 --dry-run     # which tasks, and nothing is sent\n"
        "  zwr rerun --failed 19066 --allow-write\n"
        "  zwr rerun 1906600010 1906600011 --allow-write --yes",
    ),
    "log": (
        "the audit trail: every write attempt (stop, rerun) and what became of it",
        "Print the audit trail (audit.jsonl in the data folder): one line per write attempt with its\n"
        "time, profile, host, user, action, run and task, result and Zuora-Request-Id. With --profile,\n"
        "only that profile's lines.",
        "  zwr log\n  zwr log --limit 20\n  zwr log --json | jq 'select(.result != \"done\")'",
    ),
    "ui": (
        "open the TUI (what `zwr RUN_ID...` does); needs a terminal",
        "Open the Textual app on these runs. Run IDs and run URLs are accepted; free text is a\n"
        "feature of the app's `a` dialog. stdin and stdout must be a terminal. Stop and rerun (X, F, R)\n"
        "need the profile's allow_write or --allow-write, and are confirmed in a dialog.",
        "  zwr 19063 19064\n  zwr --profile prod ui\n  zwr ui https://rest.zuora.com/workflows/workflow_runs/19063\n"
        "  zwr --profile sandbox --allow-write 19066   # X stops a run, F reruns its failed tasks",
    ),
    "demo": (
        "the simulator and the TUI in one process: no Zuora account needed",
        "Start the embedded Zuora Workflow API simulator and open the TUI on its demo runs. Writes are\n"
        "on (stop a run with X, rerun failed tasks with F; confirmed); --read-only refuses them.",
        "  zwr demo\n  zwr demo --speed 5 --fault-rate 0.1   # faster runs, 10% random faults\n  zwr demo --headless\n"
        "  zwr demo --read-only                   # writes refused, as a read-only profile does",
    ),
    "sim": (
        "the Zuora Workflow API simulator alone, on 127.0.0.1",
        "Serve the simulator on 127.0.0.1 and print its base URL, credentials and run IDs.",
        "  zwr sim --port 8765\n"
        "  export ZUORA_BASE_URL=http://127.0.0.1:8765 ZUORA_BEARER_TOKEN=...  # printed by zwr sim\n"
        "  zwr get 19066",
    ),
    "auth": (
        "store, check or delete credentials (login, status, logout)",
        "Manage the OAuth client secret kept in the OS keyring. Without an action: status.",
        "  zwr auth login --profile sandbox --env us-sandbox-2\n"
        '  printf %s "$SECRET" | zwr auth login --profile ci --env us-test --client-id ID --client-secret-stdin\n'
        "  zwr --profile sandbox auth status",
    ),
    "bookmarks": (
        "list, add, remove, rename, export or import bookmarks (per profile)",
        "The bookmarks the TUI shows, for scripts. One file per profile; `default` is the profile\n"
        "used when none is configured. Without an action: list.",
        "  zwr bookmarks add 19063 --label 'nightly invoices'\n"
        "  zwr --profile prod bookmarks list\n"
        "  zwr bookmarks export > bookmarks.json && zwr --profile other bookmarks import bookmarks.json",
    ),
    "config": (
        "show every file location (path) or the config file (show)",
        "Where zwr keeps its files, or the config file's content. Without an action: path.",
        "  zwr config path\n  zwr config show",
    ),
    "locate": ("the same as `zwr config path`", "Print every file location zwr uses.", "  zwr locate"),
    "help": ("show help for a command", "Show the help of a command (or of zwr).", "  zwr help watch"),
}


class ZwrParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage line leaves out the nine shared connection options.

    ``[OPTIONS]`` stands for them (``--help`` lists them). The line is built only when shown:
    formatting usage compiles regular expressions, which ``zwr get`` should not pay for.
    """

    def _short_usage(self) -> None:
        if self.usage is not None:
            return
        own = [a for a in self._actions if a.dest not in CONNECTION_DEFAULTS]
        formatter = self.formatter_class(prog=self.prog)
        formatter.add_usage(None, own, [], prefix="")
        text = formatter.format_help().strip()
        if len(own) < len(self._actions):
            text = text.replace(self.prog, self.prog + " [OPTIONS]", 1)
        self.usage = text

    def format_usage(self) -> str:
        self._short_usage()
        return super().format_usage()

    def format_help(self) -> str:
        self._short_usage()
        return super().format_help()

    def _print_message(self, message: str, file: TextIO | None = None) -> None:
        """Usage, help and errors (which quote what was typed) go out through the CLI's door too."""
        if message:
            from tui.cli.output import put

            put(file or sys.stderr, message)


def _command(sub, name: str, parents: list[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    line, description, examples = HELP[name]
    return sub.add_parser(
        name,
        help=line,
        description=description,
        epilog="examples:\n" + examples,
        parents=parents,
        formatter_class=_Formatter,
        allow_abbrev=False,
    )


def _actions(parser: argparse.ArgumentParser, command: str):
    return parser.add_subparsers(title="actions", dest="action", metavar="ACTION", prog=f"zwr {command}")


def _action(sub, name: str, line: str, example: str, parents: list[argparse.ArgumentParser]):
    made = sub.add_parser(
        name,
        help=line,
        description=line[0].upper() + line[1:] + ".",
        epilog="example:\n  " + example,
        parents=parents,
        formatter_class=_Formatter,
        allow_abbrev=False,
    )
    return made


def _get(p: argparse.ArgumentParser, connection: argparse.ArgumentParser) -> None:
    p.add_argument("run_ids", nargs="+", metavar="RUN_ID", help="run IDs, or pasted text/URLs containing them")
    p.add_argument("--json", action="store_true", help="print the run JSON (an array for several runs)")


def _watch(p: argparse.ArgumentParser, connection: argparse.ArgumentParser) -> None:
    p.add_argument("run_id", metavar="RUN_ID")
    p.add_argument(
        "--interval",
        type=seconds(MIN_POLL_INTERVAL, 3600),
        default=5.0,
        metavar="S",
        help="seconds between polls (default 5, at least 1)",
    )
    p.add_argument(
        "--exit-status", action="store_true", help="exit 0 only if the run finished with no task errors, 1 otherwise"
    )
    p.add_argument("--fail-fast", action="store_true", help="exit 1 at the first task error")
    p.add_argument(
        "--max-wait",
        type=seconds(0, 30 * DAY, above=True),
        metavar="S",
        help="overall deadline, also during a request: exit 12 when it passes",
    )
    p.add_argument(
        "--give-up",
        type=seconds(0, 30 * DAY, above=True, zero=True),
        default=300.0,
        metavar="S",
        help="exit when every poll has failed for S seconds (default 300; 0 never)",
    )


def _tasks(p: argparse.ArgumentParser, connection: argparse.ArgumentParser) -> None:
    p.add_argument("run_id", metavar="RUN_ID")
    p.add_argument("--errors", action="store_true", help="only tasks in Error, with their error details")
    p.add_argument("--json", action="store_true", help="print the tasks as a JSON array")


def _report(p: argparse.ArgumentParser, connection: argparse.ArgumentParser) -> None:
    p.add_argument("run_id", metavar="RUN_ID")
    p.add_argument(
        "--format",
        type=one_of("markdown", "text", "json"),
        default="markdown",
        metavar="{markdown,text,json}",
        help="markdown (default: Zuora's text escaped, for tickets and chats), text or json",
    )


def _find(p: argparse.ArgumentParser, connection: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("filters (at least one; Zuora's GET /workflows/tasks filters)")
    g.add_argument("--object-id", metavar="ID", help="the ID of the record the tasks worked on")
    g.add_argument("--object", metavar="NAME", help="the object the tasks worked on, e.g. Invoice")
    g.add_argument("--action-type", metavar="TYPE", help="the task type, e.g. Callout")
    g.add_argument("--name", metavar="NAME", help="the task name")
    g.add_argument("--tag", action="append", metavar="TAG", help="a task tag (repeat for any of several)")
    p.add_argument("--json", action="store_true", help="print the runs and their matching tasks as JSON")
    p.add_argument("--watch", action="store_true", help="then open the TUI on those runs (needs a terminal)")
    p.add_argument(
        "--limit",
        type=number(int, 1, 100_000, "a number of tasks"),
        default=1000,
        metavar="N",
        help="read at most N tasks, in pages of 100 (default 1000)",
    )


def _write_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("write options")
    g.add_argument(
        "--allow-write", action="store_true", help="allow this write even if the profile is read-only (the default)"
    )
    g.add_argument("--yes", "-y", action="store_true", help="do not ask (required when stdin is not a terminal)")
    g.add_argument("--dry-run", action="store_true", help="say what would be done; send nothing")
    p.add_argument("--json", action="store_true", help="print what was done as JSON (one document)")


def _stop(p: argparse.ArgumentParser, connection: argparse.ArgumentParser) -> None:
    p.add_argument("run_id", metavar="RUN_ID")
    _write_options(p)


def _rerun(p: argparse.ArgumentParser, connection: argparse.ArgumentParser) -> None:
    p.add_argument("ids", nargs="+", metavar="ID", help="task IDs (of one run), or with --failed one run ID")
    p.add_argument("--failed", action="store_true", help="rerun every task of the run RUN_ID that is in Error")
    _write_options(p)


def _log(p: argparse.ArgumentParser, connection: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print the lines as they are stored (JSON lines)")
    p.add_argument(
        "--limit",
        type=number(int, 1, 1_000_000, "a number of lines"),
        default=100,
        metavar="N",
        help="the last N lines (default 100)",
    )


def _ui(p: argparse.ArgumentParser, connection: argparse.ArgumentParser) -> None:
    p.add_argument("run_ids", nargs="*", metavar="RUN_ID", help="run IDs or run URLs")
    p.add_argument(
        "--interval", type=seconds(MIN_POLL_INTERVAL, 3600), metavar="S", help="poll interval (default 5, at least 1)"
    )
    p.add_argument(
        "--allow-write",
        action="store_true",
        help="allow stop and rerun (X, F, R keys; always confirmed) even if the profile is read-only (the default)",
    )


def _simulator(p: argparse.ArgumentParser, connection: argparse.ArgumentParser) -> None:
    demo = p.prog.endswith("demo")
    p.add_argument(
        "--port",
        type=number(int, 0, 65535, "a port number"),
        default=0 if demo else 8765,
        help="TCP port (0: any free port)" + ("" if demo else "; default 8765"),
    )
    p.add_argument("--host", default="127.0.0.1", help="loopback address only")
    p.add_argument(
        "--token-ttl", type=seconds(0, 30 * DAY, above=True), default=3599.0, metavar="S", help="token lifetime"
    )
    p.add_argument("--latency", type=seconds(0, 60), default=0.0, metavar="S", help="added latency per request")
    p.add_argument("--speed", type=number(float, 0.01, 10000, "a speed-up factor"), default=1.0, help="time speed-up")
    p.add_argument(
        "--synthetic",
        type=number(int, 0, 1_000_000, "a count"),
        default=0,
        metavar="N",
        help="add N generated runs (IDs from 100001) for load tests",
    )
    p.add_argument("--synthetic-finished", action="store_true", help="generated runs are already finished")
    p.add_argument("--rate-limit", metavar="N/S", help="allow N requests per S seconds (RateLimit-* headers, 429)")
    p.add_argument(
        "--fault-rate",
        type=number(float, 0, 1, "a fraction"),
        default=0.0,
        metavar="P",
        help="inject a random fault (500, 503, 429, reset, HTML) into a fraction P of requests",
    )
    if demo:
        p.add_argument(
            "--interval", type=seconds(MIN_POLL_INTERVAL, 3600), default=2.0, metavar="S", help="poll interval"
        )
        p.add_argument("--headless", action="store_true", help="print the runs instead of opening the TUI")
        p.add_argument(
            "--read-only", action="store_true", help="refuse writes (stop, rerun) as a read-only profile does"
        )


def _auth(p: argparse.ArgumentParser, connection: argparse.ArgumentParser) -> None:
    actions = _actions(p, "auth")
    login = _action(
        actions,
        "login",
        "check a client ID and secret against Zuora, then store the secret in the keyring",
        "zwr auth login --profile sandbox --env us-sandbox-2",
        [connection],
    )
    login.add_argument("--client-id", metavar="ID", help="the OAuth client ID (asked for if missing)")
    login.add_argument(
        "--client-secret-stdin", action="store_true", help="read the secret from stdin (one line) instead of a prompt"
    )
    login.add_argument("--label", help="a name for the banner")
    login.add_argument("--production", action="store_true", default=None, help="mark the profile as production")
    login.add_argument(
        "--insecure-storage",
        action="store_true",
        help="store the secret in a plaintext 0600 file (only where no secure keyring exists)",
    )
    login.add_argument("--no-verify", action="store_true", help="store without checking against /oauth/token")
    _action(
        actions, "logout", "delete the stored secret of a profile", "zwr auth logout --profile sandbox", [connection]
    )
    status = _action(
        actions,
        "status",
        "the base URL and credentials in effect and where each comes from",
        "zwr --profile sandbox auth status",
        [connection],
    )
    status.add_argument("--json", action="store_true", help="the same as JSON")


BOOKMARK_ACTIONS = {
    "list": ("list the bookmarks of the profile", "zwr bookmarks list --json"),
    "add": ("bookmark a run (or change its label/note)", "zwr bookmarks add 19063 --label 'nightly invoices'"),
    "remove": ("remove a bookmark (exit 6 if there is none)", "zwr bookmarks remove 19063"),
    "rename": ("change a bookmark's label (exit 6 if there is none)", "zwr bookmarks rename 19063 'invoices'"),
    "export": ("print the bookmarks as JSON", "zwr bookmarks export > bookmarks.json"),
    "import": ("add bookmarks from an export (existing ones are kept)", "zwr bookmarks import bookmarks.json"),
}


def _bookmarks(p: argparse.ArgumentParser, connection: argparse.ArgumentParser) -> None:
    actions = _actions(p, "bookmarks")
    for name, (line, example) in BOOKMARK_ACTIONS.items():
        s = _action(actions, name, line, example, [connection])
        if name in ("add", "remove", "rename"):
            s.add_argument("run_id", metavar="RUN_ID")
        if name == "add":
            s.add_argument("--label", default="")
            s.add_argument("--note", default="")
        if name == "rename":
            s.add_argument("label", metavar="LABEL")
        if name == "import":
            s.add_argument("file", metavar="FILE", help="a file from `zwr bookmarks export`, or - for stdin")
        if name == "list":
            s.add_argument("--json", action="store_true", help="print the bookmarks as a JSON array")


def _config(p: argparse.ArgumentParser, connection: argparse.ArgumentParser) -> None:
    actions = _actions(p, "config")
    _action(actions, "path", "print every file location zwr uses", "zwr config path", [connection])
    _action(actions, "show", "print the config file", "zwr config show", [connection])


def _help(p: argparse.ArgumentParser, connection: argparse.ArgumentParser) -> None:
    p.add_argument("topic", nargs="?", metavar="COMMAND", help="the command to explain")


BUILDERS: dict[str, Callable[[argparse.ArgumentParser, argparse.ArgumentParser], None]] = {
    "get": _get,
    "watch": _watch,
    "tasks": _tasks,
    "report": _report,
    "find": _find,
    "stop": _stop,
    "rerun": _rerun,
    "log": _log,
    "ui": _ui,
    "demo": _simulator,
    "sim": _simulator,
    "auth": _auth,
    "bookmarks": _bookmarks,
    "config": _config,
    "locate": lambda p, connection: None,
    "help": _help,
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole grammar, or (``only``) the top level and that one command.

    ``main`` knows the command before parsing (it must, to tell run IDs from unknown
    commands), so ``zwr get`` builds one sub-parser instead of eleven and their actions:
    each argparse parser costs ~0.4 ms (gettext looks up its titles), ~5 ms in all.
    """
    connection = connection_parent()
    parser = ZwrParser(
        prog="zwr",
        description=TOP_DESCRIPTION,
        epilog=TOP_EPILOG,
        parents=[connection],
        formatter_class=_Formatter,
        allow_abbrev=False,
        usage="zwr [OPTIONS] [RUN_ID... | COMMAND ...]",
    )
    parser.add_argument("--version", action="version", version=f"zwr {__version__}")
    sub = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND", prog="zwr")
    for name in COMMANDS if only is None else (only,):
        if name == "help":
            parents = []
        else:
            parents = [connection] if name in CONNECTED else [debug_parent()]
        BUILDERS[name](_command(sub, name, parents), connection)
    return parser
