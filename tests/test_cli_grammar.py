"""The command line itself: options anywhere, unknown commands, no TUI by accident, help, bad numbers.

Where the point is the process (a terminal or not, what reaches the simulator) the installed
``zwr`` runs as a subprocess; pure grammar checks call ``tui.cli.main`` in-process (fast).
"""

import json
import os
import pty
import subprocess
import sys

import pytest

from tests.conftest import ROOT, cli_env, run_zwr
from tui.cli.main import main, parse
from tui.cli.parser import COMMANDS, CONNECTED, HELP

ZWR = [sys.executable, "-m", "tui"]

# One line per command that accepts the connection options: the words around which they may go.
PLACES = {
    "get": (["get"], ["19063"]),
    "watch": (["watch"], ["19063"]),
    "tasks": (["tasks"], ["19063"]),
    "report": (["report"], ["19063"]),
    "find": (["find"], ["--object-id", "X"]),
    "stop": (["stop"], ["19063", "--dry-run"]),
    "rerun": (["rerun"], ["--failed", "19063"]),
    "log": (["log"], []),
    "ui": (["ui"], ["19063"]),
    "auth": (["auth", "status"], []),
    "bookmarks": (["bookmarks", "list"], []),
    "config": (["config", "path"], []),
    "locate": (["locate"], []),
}
OPTIONS = ["--profile", "p", "--env", "us-test", "--timeout", "2", "--entity-ids", "E1", "--debug", "--ask-token"]


def _check(ns):
    assert ns.profile == "p" and ns.env == "us-test" and ns.timeout == 2.0 and ns.entity_ids == "E1"
    assert ns.debug is True and ns.ask_token is True and ns.base_url is None and ns.org_ids is None


@pytest.mark.parametrize("command", sorted(PLACES))
def test_connection_options_before_or_after_the_command_and_action(command):
    assert set(PLACES) == CONNECTED
    words, positional = PLACES[command]
    placements = [
        OPTIONS + words + positional,
        words + positional + OPTIONS,
        words[:1] + OPTIONS + words[1:] + positional,
    ]
    for args in placements:
        ns = parse(args)
        assert ns.command == command, args
        _check(ns)


def test_later_option_wins_and_defaults_fill_in():
    ns = parse(["--profile", "a", "get", "1", "--profile", "b"])
    assert ns.profile == "b" and ns.timeout is None and ns.debug is False and ns.json is False
    ns = parse(["--timeout", "3", "19063", "19064"])  # run IDs after options: the TUI
    assert ns.command == "ui" and ns.run_ids == ["19063", "19064"] and ns.timeout == 3.0


def test_options_before_the_command_against_the_simulator(sim):
    """`zwr --timeout 2 get 1020` used to open the TUI; `--profile default` used to be unknown."""
    env = cli_env(sim)
    out = run_zwr("--timeout", "2", "--profile", "default", "get", "19063", "--json", env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["id"] == 19063
    status = run_zwr("--profile", "default", "auth", "status", "--json", env=env)
    assert status.returncode == 0, status.stderr
    effective = json.loads(status.stdout)["effective"]
    assert effective["base_url"] == sim.base_url and effective["base_url_source"] == "environment (ZUORA_BASE_URL)"
    assert effective["profile"] == "default"


def test_unknown_command_suggests_and_never_opens_the_tui():
    out = run_zwr("gte", "19063", env=cli_env())  # nothing configured at all
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr == "error: unknown command 'gte'; did you mean 'get'? (`zwr --help` lists them)\n"


@pytest.mark.parametrize(("word", "hint"), [("bookmark", "'bookmarks'"), ("wtach", "'watch'"), ("xyzzy", "get,")])
def test_unknown_command_hints(capsys, word, hint):
    assert main([word, "19063"]) == 2
    err = capsys.readouterr().err
    assert f"unknown command '{word}'" in err and hint in err and err.count("\n") == 1


def test_words_are_not_run_ids_on_the_command_line(capsys):
    assert main(["19063", "failed"]) == 2
    assert "'failed' is not a run ID or run URL" in capsys.readouterr().err
    assert main(["WF-19027-00000032"]) == 2
    assert "run number" in capsys.readouterr().err
    assert main(["19063?x"]) == 2
    assert "not a run ID" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["19063"], [], ["ui"], ["demo"], ["--profile", "default", "19063"]])
def test_the_tui_refuses_to_start_without_a_terminal(sim, args):
    """stdin and stdout are pipes: one line naming zwr get and zwr watch, exit 2, no escape codes."""
    out = subprocess.run(
        [*ZWR, *args], env=cli_env(sim), cwd=ROOT, stdin=subprocess.PIPE, capture_output=True, timeout=60
    )
    assert out.returncode == 2, out.stderr
    assert out.stdout == b"" and b"\x1b" not in out.stderr
    lines = out.stderr.decode().splitlines()
    assert len(lines) == 1 and "needs a terminal" in lines[0]
    assert "`zwr get RUN_ID`" in lines[0] and "`zwr watch RUN_ID`" in lines[0]
    assert sim.requests == []


def test_the_tui_refuses_when_only_stdin_is_a_terminal(sim):
    """A terminal on stdin but a pipe on stdout (``zwr 19063 > file``) is refused too."""
    primary, secondary = pty.openpty()
    try:
        out = subprocess.run(
            [*ZWR, "19063"], env=cli_env(sim), cwd=ROOT, stdin=secondary, capture_output=True, timeout=60
        )
    finally:
        os.close(secondary)
        os.close(primary)
    assert out.returncode == 2 and out.stdout == b"" and b"needs a terminal" in out.stderr
    assert sim.requests == []


def test_help_lists_every_command_with_one_line(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps to the terminal width
    for command in COMMANDS:
        assert f"{command} {' '.join(HELP[command][0].split())}" in text, command
    assert "examples:" in text


@pytest.mark.parametrize(
    "args",
    [[c] for c in COMMANDS if c != "help"]
    + [["auth", a] for a in ("login", "logout", "status")]
    + [["bookmarks", a] for a in ("list", "add", "remove", "rename", "export", "import")]
    + [["config", a] for a in ("path", "show")],
)
def test_every_command_and_action_has_an_example(capsys, args):
    with pytest.raises(SystemExit) as done:
        main([*args, "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: zwr {' '.join(args)}")
    example = text.split("example", 1)[1]
    assert "zwr " in example and all(word in example for word in args)


def test_help_command(capsys):
    with pytest.raises(SystemExit):
        main(["help", "watch"])
    assert "--give-up" in capsys.readouterr().out
    assert main(["help", "wtach"]) == 2


@pytest.mark.parametrize(
    "args",
    [
        ["get", "1", "--timeout", "nan"],
        ["--timeout", "inf", "get", "1"],
        ["get", "1", "--timeout", "-1"],
        ["get", "1", "--timeout", "0"],
        ["get", "1", "--timeout", "abc"],
        ["ui", "--interval", "0.5"],
        ["demo", "--interval", "nan"],
        ["sim", "--port", "70000"],
        ["sim", "--fault-rate", "2"],
        ["sim", "--latency", "-1"],
    ],
)
def test_bad_numbers_name_the_option(capsys, args):
    with pytest.raises(SystemExit) as done:
        main(args)
    assert done.value.code == 2
    err = capsys.readouterr().err
    option = next(a for a in args if a.startswith("--"))
    assert f"argument {option}:" in err and "Traceback" not in err


def test_simulator_commands_refuse_connection_options(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--profile", "prod", "demo"])
    assert done.value.code == 2 and "does not take --profile" in capsys.readouterr().err


def test_option_names_are_not_abbreviated(capsys):
    with pytest.raises(SystemExit):
        main(["get", "1", "--js"])
    assert "unrecognized arguments: --js" in capsys.readouterr().err


def test_bad_base_url_is_one_line_not_a_traceback(sim):
    out = run_zwr("get", "19063", "--base-url", "https://xn--.com", env=cli_env(sim))
    assert out.returncode == 3 and out.stderr.count("\n") == 1
    assert "not a valid internationalised domain name" in out.stderr and "Traceback" not in out.stderr
    assert sim.requests == []


def test_unexpected_exception_is_one_line_and_debug_shows_the_scrubbed_traceback(capsys, monkeypatch):
    """A bug cannot be had for real, so one is planted: the handler must still keep secrets out."""
    from tui.cli import fetch
    from tui.core.secret import Secret

    secret = Secret("planted-secret-value")

    def broken(ns):
        raise RuntimeError(f"boom with {secret.reveal()}")

    monkeypatch.setattr(fetch, "get", broken)
    assert main(["get", "19063"]) == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "zwr get failed unexpectedly (RuntimeError: boom with ****)" in err and "--debug" in err
    assert main(["--debug", "get", "19063"]) == 70
    err = capsys.readouterr().err
    assert "Traceback" in err and "in broken" in err and "planted-secret-value" not in err


def test_keyboard_interrupt_is_130(capsys, monkeypatch):
    from tui.cli import fetch

    def interrupted(ns):
        raise KeyboardInterrupt

    monkeypatch.setattr(fetch, "get", interrupted)
    assert main(["get", "19063"]) == 130 and "interrupted" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        ["--allow-write", "19063"],
        ["19063", "--allow-write"],
        ["--profile", "p", "--allow-write", "--interval", "2", "19063"],
        ["ui", "--allow-write", "19063"],
    ],
)
def test_the_tui_takes_allow_write_before_or_after_the_run_ids(args):
    """The implied `ui` goes first, so the TUI's own options may come before the run IDs too."""
    ns = parse(args)
    assert ns.command == "ui" and ns.allow_write is True and ns.run_ids == ["19063"]
    assert parse(["19063"]).allow_write is False and parse([]).allow_write is False


def test_demo_read_only():
    assert parse(["demo", "--read-only"]).read_only is True and parse(["demo"]).read_only is False
