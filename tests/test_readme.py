"""README promises that tests keep honest: commands, exit codes, keys, the CI command."""

import re
import subprocess

from textual.binding import Binding

from tests.conftest import ROOT
from tui.cli import exitcodes
from tui.cli.main import COMMANDS
from tui.core.environments import ENVIRONMENTS
from tui.ui.keys import BY_ID, readme_table
from tui.ui.screens.main import MainScreen

README = (ROOT / "README.md").read_text()


def test_two_commands_first():
    head = README.split("## ")[0]
    assert "zwr demo" in head and "pytest" in head
    assert head.index("<!-- demo-command -->") < head.index("<!-- test-command -->")


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci/run").read_text()
    assert "test-command" in ci and "bash -c" in ci
    extracted = subprocess.run(
        ["bash", "-c", ci.split("cmd=$(")[1].split(")\nif")[0]], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    assert extracted and extracted in README and "pytest" in extracted


def test_every_exit_code_documented():
    for code, _ in exitcodes.table():
        assert re.search(rf"^\| {code} \|", README, re.M), code


def test_every_command_and_environment_documented():
    for command in COMMANDS:
        if command != "ui":
            assert f"zwr {command}" in README, command
    for name, env in ENVIRONMENTS.items():
        assert f"| {name} |" in README and env.base_url in README


def test_keys_table_is_the_action_table():
    """README's keys table is generated from tui/ui/keys.py: regenerate it with `python -m tui.ui.keys`."""
    table = README.split("<!-- keys-table -->\n")[1].split("\n<!-- /keys-table -->")[0]
    assert table == readme_table()


def test_every_binding_of_every_screen_is_in_the_action_table():
    """No screen declares a key outside the table (so README, help and the palette see it)."""
    from tui.ui.app import ZwrApp
    from tui.ui.screens.confirm import ConfirmWrite
    from tui.ui.screens.help import HelpScreen
    from tui.ui.screens.modals import LabelEntry, ObjectIdEntry, RawJson, RunIdEntry
    from tui.ui.screens.taskdetail import TaskDetailScreen
    from tui.ui.screens.tasks import TasksScreen

    owners = (ZwrApp, MainScreen, TasksScreen, HelpScreen, RunIdEntry, LabelEntry, ObjectIdEntry, RawJson)
    for owner in (*owners, TaskDetailScreen, ConfirmWrite):
        for binding in owner.BINDINGS:
            assert isinstance(binding, Binding) and binding.id in BY_ID, (owner.__name__, binding)
            assert BY_ID[binding.id].keys == binding.key, binding


def test_screenshot_exists():
    assert (ROOT / "docs/screenshot.svg").read_text().startswith("<svg")
