"""Entry point for ``zwr``: read the command line, dispatch, and turn any failure into one line.

The first word that is not an option decides: a command name runs that command; a run ID or
run URL opens the TUI (``zwr 19063`` is ``zwr ui 19063``); anything else is an unknown
command (exit 2, with a suggestion), never the TUI by accident. Each command's module is
imported only when it runs, so ``zwr get`` loads neither Textual nor keyring.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence

from tui.cli import exitcodes
from tui.cli.parser import (
    COMMANDS,
    CONNECTED,
    build_parser,
    fill_defaults,
    given_connection_options,
    value_options,
)

__all__ = ["COMMANDS", "main"]

_RUN_REF = re.compile(r"[\d\s,;]*\d[\d\s,;]*|https?://\S+", re.IGNORECASE)
_HELP = {"-h", "--help", "--version"}


def _first_word(args: list[str]) -> int | None:
    """Index of the first argument that is not an option or an option's value."""
    takes_value = value_options()
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return i
        if arg.startswith("-") and arg != "-":
            i += 2 if (arg in takes_value and "=" not in arg) else 1
            continue
        return i
    return None


def _unknown_command(word: str) -> int:
    import difflib

    from tui.cli.output import write
    from tui.core.text import printable

    close = difflib.get_close_matches(word, COMMANDS, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else "commands: " + ", ".join(COMMANDS) + "."
    write(sys.stderr, f"error: unknown command '{printable(word, 40)}'; {hint} (`zwr --help` lists them)")
    return exitcodes.BAD_USAGE


def parse(args: list[str]) -> argparse.Namespace | int:
    """The parsed namespace, or an exit code when the line names no command zwr knows."""
    index = _first_word(args)
    command: str | None = None
    # An implied `ui` goes first, so the options before the run IDs are the TUI's own too
    # (`zwr --allow-write --interval 2 19063`), not only the connection options.
    if index is None:
        if not _HELP.intersection(args):
            args, command = ["ui", *args], "ui"  # bare `zwr` or `zwr --profile p`: the TUI
    elif args[index] == "--":
        args, command = ["ui", *args[:index], *args[index + 1 :]], "ui"  # `zwr -- 19063`
    elif args[index] in COMMANDS:
        command = args[index]
    else:
        if not _RUN_REF.fullmatch(args[index]) and not any(c.isdigit() for c in args[index]):
            return _unknown_command(args[index])
        before = args[:index]
        at = index if _HELP.intersection(before) else 0  # `zwr --help 19063`: zwr's help, as before
        args, command = [*args[:at], "ui", *args[at:]], "ui"  # run IDs (or what the ID parser explains)
    parser = build_parser(only=command)
    ns = parser.parse_args(args)
    if ns.command == "help":
        if ns.topic and ns.topic not in COMMANDS:
            return _unknown_command(ns.topic)
        topic = ns.topic if ns.topic and ns.topic != "help" else None
        build_parser(only=topic).parse_args([topic, "--help"] if topic else ["--help"])  # exits 0
    if ns.command is None:  # `zwr --profile` with no value swallowed the implied `ui`
        parser.error("expected run IDs or a command after the options")
    if ns.command not in CONNECTED:
        stray = given_connection_options(ns)
        if stray:
            parser.error(f"zwr {ns.command} uses its own simulator and does not take {', '.join(stray)}")
    return fill_defaults(ns)


def _run(ns: argparse.Namespace) -> int:
    """Run the command with every log record going to stderr through the CLI's door
    (``output.log_door``: secrets scrubbed, terminal codes neutralised; without ``--debug``
    only warnings, as before)."""
    from tui.cli.output import log_door, prepare_streams

    prepare_streams()
    with log_door(ns.debug):
        return _dispatch(ns)


def _dispatch(ns: argparse.Namespace) -> int:
    command = ns.command
    if command == "get":
        from tui.cli import fetch

        return fetch.get(ns)
    if command == "watch":
        from tui.cli import watch

        return watch.watch(ns)
    if command == "tasks":
        from tui.cli import fetch

        return fetch.tasks(ns)
    if command == "report":
        from tui.cli import incident

        return incident.report(ns)
    if command == "find":
        from tui.cli import find

        return find.find(ns)
    if command in ("stop", "rerun", "log"):
        from tui.cli import act

        return {"stop": act.stop, "rerun": act.rerun, "log": act.log}[command](ns)
    if command in ("sim", "demo"):
        from tui.cli import simcmd

        return simcmd.sim(ns) if command == "sim" else simcmd.demo(ns)
    if command in ("auth", "config", "locate", "bookmarks"):
        from tui.cli import manage

        return manage.run(ns)
    from tui.cli import launch

    return launch.ui(ns)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = "zwr"
    try:
        ns = parse(args)
        if isinstance(ns, int):
            return ns
        command = f"zwr {ns.command}"
        return _run(ns)
    except KeyboardInterrupt:
        from tui.cli.output import write

        write(sys.stderr, "\ninterrupted")
        return exitcodes.INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the one place an unexpected failure becomes a message
        from tui.cli.crash import report

        return report(exc, command, debug="--debug" in args)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
