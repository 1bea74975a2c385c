"""The wheel carries everything `zwr demo` needs, styles included (they live in styles/ in the repo)."""

import subprocess
import sys
import zipfile

from tests.conftest import ROOT


def test_wheel_contains_styles_and_entry_point(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    wheel = next(tmp_path.glob("zuora_workflow_tui-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for sheet in ("app", "main", "tasks", "modals"):
        assert f"tui/styles/{sheet}.tcss" in names
    assert "tui/sim/server.py" in names and "tui/ui/app.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "zwr = tui.cli.main:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
    assert not any(n.startswith("tests/") for n in names)


def test_installed_wheel_loads_its_own_styles(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(wheels)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(site),
            str(next(wheels.glob("*.whl"))),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    code = (
        "import tui, sys; from tui.ui.styles import styles_dir; from tui.ui.app import ZwrApp; "
        "print(tui.__file__); print(styles_dir())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    module, styles = out.stdout.split()
    assert module.startswith(str(site)) and styles.startswith(str(site))  # not the source tree's styles/
