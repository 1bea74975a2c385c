"""The benchmark and soak commands still run (tiny sizes; no timing is asserted here)."""

import subprocess
import sys

from tests.conftest import ROOT


def test_benchmark_runs_at_tiny_size():
    out = subprocess.run(
        [sys.executable, "bench/run.py", "--tiny", "--no-save"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr[-3000:]
    for figure in ("| 1. ", "| 2. ", "| 3. ", "| 4a. ", "| 4b. ", "| 5. ", "| 6a. ", "| 6b. ", "| 7. ", "| 8. "):
        assert figure in out.stdout, figure
    assert "| figure | zwr | baseline | ratio |" in out.stdout


def test_soak_runs_briefly():
    out = subprocess.run(
        [sys.executable, "bench/soak.py", "--minutes", "0.2", "--runs", "20", "--interval", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr[-3000:]
    assert "crashed: no" in out.stdout and "all runs in" in out.stdout
