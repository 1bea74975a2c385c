"""Entry point for ``zwr``: parse arguments and dispatch, importing only what a command needs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tui import __version__

COMMANDS = ("get", "watch", "tasks", "sim", "demo", "auth", "config", "locate", "bookmarks", "ui")


def _connection_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("connection (options > environment > profile)")
    g.add_argument("--profile", help="profile from the config file (env ZWR_PROFILE)")
    g.add_argument("--env", metavar="NAME", help="named Zuora environment, e.g. us-prod-2, eu-sandbox")
    g.add_argument("--base-url", metavar="URL", help="Zuora REST base URL (env ZUORA_BASE_URL)")
    g.add_argument("--entity-ids", metavar="IDS", help="Zuora-Entity-Ids header (env ZUORA_ENTITY_IDS)")
    g.add_argument("--org-ids", metavar="IDS", help="Zuora-Org-Ids header, comma separated (env ZUORA_ORG_IDS)")
    g.add_argument("--track-id", metavar="ID", help="fixed Zuora-Track-Id (default: a new one per request)")
    g.add_argument("--timeout", type=float, metavar="S", help="read timeout in seconds (default 30)")
    g.add_argument("--ask-token", action="store_true", help="prompt (masked) for a bearer token")
    g.add_argument("--debug", action="store_true", help="debug logging to stderr (secrets are never logged)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zwr",
        description="Explore Zuora Workflow runs. `zwr [RUN_ID...]` opens the TUI.",
        epilog="Commands: get, watch, tasks, sim, demo, auth, config, bookmarks. `zwr COMMAND -h` for help.",
    )
    parser.add_argument("--version", action="version", version=f"zwr {__version__}")
    return parser


def build_command_parser(command: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"zwr {command}")
    if command in ("get", "watch", "tasks", "ui"):
        _connection_options(p)
    if command == "get":
        p.description = "Fetch runs once and print a summary (or JSON)."
        p.add_argument("run_ids", nargs="+", metavar="RUN_ID", help="run IDs, or pasted text/URLs containing them")
        p.add_argument("--json", action="store_true", help="print the run JSON (an array for several runs)")
    elif command == "watch":
        p.description = "Refresh a run until it ends (Finished with nothing pending, or Stopped)."
        p.add_argument("run_id", metavar="RUN_ID")
        p.add_argument("--interval", type=float, default=5.0, metavar="S", help="seconds between polls (default 5)")
        p.add_argument(
            "--exit-status",
            action="store_true",
            help="exit 0 only if the run finished with no task errors, 1 otherwise",
        )
        p.add_argument("--fail-fast", action="store_true", help="exit 1 at the first task error")
        p.add_argument("--max-wait", type=float, metavar="S", help="give up (exit 12) after this many seconds")
    elif command == "tasks":
        p.description = "List the tasks of a run (all pages)."
        p.add_argument("run_id", metavar="RUN_ID")
        p.add_argument("--errors", action="store_true", help="only tasks in Error, with their error details")
        p.add_argument("--json", action="store_true", help="print the tasks as a JSON array")
    elif command == "ui":
        p.add_argument("run_ids", nargs="*", metavar="RUN_ID")
        p.add_argument("--interval", type=float, metavar="S", help="poll interval in seconds")
    elif command in ("sim", "demo"):
        p.description = "Run the embedded Zuora Workflow API simulator" + (
            " and open the TUI on it." if command == "demo" else " on 127.0.0.1."
        )
        p.add_argument("--port", type=int, default=0 if command == "demo" else 8765)
        p.add_argument("--host", default="127.0.0.1", help="loopback address only")
        p.add_argument("--token-ttl", type=float, default=3599.0, help="lifetime of issued tokens, seconds")
        p.add_argument("--latency", type=float, default=0.0, help="added latency per request, seconds")
        p.add_argument("--speed", type=float, default=1.0, help="time speed-up of the live runs")
        p.add_argument(
            "--synthetic",
            type=int,
            default=0,
            metavar="N",
            help="add N generated runs (IDs from 100001) for load tests",
        )
        p.add_argument("--synthetic-finished", action="store_true", help="generated runs are already finished")
        p.add_argument("--rate-limit", metavar="N/S", help="allow N requests per S seconds (RateLimit-* headers, 429)")
        p.add_argument(
            "--fault-rate",
            type=float,
            default=0.0,
            metavar="P",
            help="inject a random fault (500, 503, 429, reset, HTML) into a fraction P of requests",
        )
        if command == "demo":
            p.add_argument("--interval", type=float, default=2.0, metavar="S", help="poll interval in seconds")
            p.add_argument("--headless", action="store_true", help="print the runs instead of opening the TUI")
    return p


def _setup_logging(debug: bool) -> None:
    if not debug:
        return
    import logging

    from tui.core.redact import RedactingFilter

    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-h", "--help", "--version"):
        build_parser().parse_args(args)
        return 0
    command = args[0] if args and args[0] in COMMANDS else "ui"
    rest = args[1:] if args and args[0] in COMMANDS else args
    try:
        if command in ("auth", "config", "locate", "bookmarks"):
            from tui.cli import manage

            return manage.main(command, rest)
        ns = build_command_parser(command).parse_args(rest)
        _setup_logging(getattr(ns, "debug", False))
        if command == "get":
            from tui.cli import fetch

            return fetch.get(ns)
        if command == "watch":
            from tui.cli import fetch

            return fetch.watch(ns)
        if command == "tasks":
            from tui.cli import fetch

            return fetch.tasks(ns)
        if command == "sim":
            from tui.cli import simcmd

            return simcmd.sim(ns)
        if command == "demo":
            from tui.cli import simcmd

            return simcmd.demo(ns)
        from tui.cli import launch

        return launch.ui(ns)
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
