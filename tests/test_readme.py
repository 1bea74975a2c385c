"""README promises that tests keep honest: commands, exit codes, keys, the CI command."""

import re
import subprocess

from tests.conftest import ROOT
from tui.cli import exitcodes
from tui.cli.main import COMMANDS
from tui.core.environments import ENVIRONMENTS
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


def test_every_main_screen_key_documented():
    names = {"slash": "/", "plus": "+", "minus": "-", "delete": None, "escape": None, "question_mark": "?"}
    for binding in MainScreen.BINDINGS:
        for key in binding.key.split(","):
            shown = names.get(key, key)
            if shown:
                assert f"`{shown}`" in README, key


def test_screenshot_exists():
    assert (ROOT / "docs/screenshot.svg").read_text().startswith("<svg")
