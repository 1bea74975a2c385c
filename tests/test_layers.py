"""Architecture rules: only the UI layer imports Textual; the simulator is stdlib-only;
``zwr get`` loads neither Textual nor keyring."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, cli_env

PKG = ROOT / "tui"
CORE_LAYERS = ["core", "store", "poll", "sim", "cli"]


def modules(layer):
    return sorted(p for p in (PKG / layer).rglob("*.py"))


def imported_names(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


@pytest.mark.parametrize("layer", CORE_LAYERS)
def test_no_textual_outside_ui(layer):
    """The CLI may launch the UI lazily (``zwr``, ``zwr demo``) but never imports Textual itself."""
    offenders = [
        (p.name, n)
        for p in modules(layer)
        for n in imported_names(p)
        if n.split(".")[0] in ("textual", "rich") or (n.startswith("tui.ui") and layer != "cli")
    ]
    assert offenders == [], offenders


@pytest.mark.parametrize("layer", ["core", "store", "poll", "sim", "ui"])
def test_only_the_cli_imports_the_cli(layer):
    """The command line sits on top of the headless layers, beside the UI: the UI reaches shared
    code (environment names, the incident report) in tui.core, never through tui.cli."""
    offenders = [(p.name, n) for p in modules(layer) for n in imported_names(p) if n.startswith("tui.cli")]
    assert offenders == [], offenders


def test_simulator_is_stdlib_only():
    stdlib = sys.stdlib_module_names
    for path in modules("sim"):
        for name in imported_names(path):
            top = name.split(".")[0]
            assert top in stdlib or name.startswith("tui.sim") or top == "__future__", (path.name, name)


def test_core_layers_import_without_textual_at_runtime():
    code = (
        "import sys, importlib, pkgutil, tui\n"
        f"for layer in {CORE_LAYERS!r}:\n"
        "    pkg = importlib.import_module('tui.' + layer)\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "print('textual' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_get_path_imports_neither_textual_nor_keyring(sim):
    code = (
        "import sys\nfrom tui.cli.main import main\nrc = main(['get', '19063', '--json'])\n"
        "sys.stderr.write(repr(['textual' in sys.modules, 'keyring' in sys.modules, rc]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=cli_env(sim))
    assert out.stderr.strip().endswith("[False, False, 0]"), out.stderr
