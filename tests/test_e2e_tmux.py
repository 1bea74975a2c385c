"""End to end: the installed ``zwr demo`` in a real terminal (tmux), driven with send-keys."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tmuxterm import Tmux
from tui.sim.scenario import demo_scenario

ZWR = Path(sys.executable).parent / "zwr"


@pytest.fixture
def tmux(request):
    # one tmux server per test: a next test's new-session must never reach a server the previous
    # test's kill-server is still shutting down (seen once under load: an empty screen for 40 s)
    t = Tmux(f"zwr-e2e-{os.getpid()}-{request.node.name[:40]}", "e2e")
    yield t
    t.run("kill-server")


def test_demo_in_a_real_terminal(tmux):
    assert ZWR.exists(), "the zwr console script is not installed in this environment"
    command = f"{ZWR} demo --interval 1; echo ZWR-EXIT=$?; sleep 60"
    tmux.run("new-session", "-d", "-s", "e2e", "-x", "80", "-y", "24", "-e", "TERM=xterm-256color", command)
    screen = tmux.wait_for("19066", "19068", "Finished", "Processing", "Queued", "Tasks done", "? Help  q Quit  a Add")
    assert "✖ Finished" in screen and "✔ Finished" in screen and "■ Stopped" in screen
    assert "█" in screen  # task bars are drawn
    assert "simulated data" in screen
    tmux.run("send-keys", "-t", "e2e", "t")  # tasks of the selected run
    tmux.wait_for("Tasks of run 19063", "4 tasks", "as of")
    tmux.run("send-keys", "-t", "e2e", "Escape")
    tmux.wait_for("Tasks done")
    # more runs than the 8 rows at 80x24: End shows the last run on the last row (no scrollbar
    # hides it) and the detail names it
    last = demo_scenario().ids()[-1]
    tmux.run("send-keys", "-t", "e2e", "End")
    screen = tmux.wait_for(f"Run {last}")
    rows = [line for line in screen.splitlines() if line[:7].strip().isdigit()]
    assert rows and rows[-1].split()[0] == str(last), screen
    tmux.run("send-keys", "-t", "e2e", "Home")
    tmux.wait_for("Run 19063")
    tmux.run("send-keys", "-t", "e2e", "?")  # help: every screen's keys, and how to close it
    tmux.wait_for("esc closes", "Everywhere", "show every key of every screen")
    tmux.run("send-keys", "-t", "e2e", "Escape")
    tmux.wait_for("Tasks done")
    tmux.run("send-keys", "-t", "e2e", "q")
    final = tmux.wait_for("ZWR-EXIT=0", timeout=20)
    assert "Tasks done" not in final  # the alternate screen is gone: the terminal was restored
    assert "Traceback" not in final and "Error" not in final  # a clean exit: no traceback at shutdown


def test_stop_a_run_in_a_real_terminal(tmux, tmp_path):
    """X on a running run in `zwr demo`: the dialog, enter cancels (Cancel has the focus), tab
    and enter stop it; the row goes Stopped; `zwr log` has both attempts."""
    data = tmp_path / "e2e-data"
    env = ["-e", "TERM=xterm-256color", "-e", f"ZWR_DATA_DIR={data}", "-e", f"ZWR_CONFIG_DIR={tmp_path / 'cfg'}"]
    command = f"{ZWR} demo --interval 1; echo ZWR-EXIT=$?; sleep 60"
    tmux.run("new-session", "-d", "-s", "e2e", "-x", "80", "-y", "24", *env, command)
    tmux.wait_for("19066", "Tasks done", "a Add")
    ids = demo_scenario().ids()
    tmux.run("send-keys", "-t", "e2e", "End", *["Up"] * (len(ids) - 1 - ids.index(19072)))
    tmux.wait_for("Run 19072")
    tmux.run("send-keys", "-t", "e2e", "X")
    tmux.wait_for("About to stop run 19072", "Cancel", "Stop run 19072", "will not run")
    tmux.run("send-keys", "-t", "e2e", "Enter")
    tmux.wait_for("Cancelled: nothing was sent.")
    tmux.run("send-keys", "-t", "e2e", "X")
    tmux.wait_for("About to stop run 19072")
    tmux.run("send-keys", "-t", "e2e", "Tab", "Enter")
    screen = tmux.wait_for("Stop of run 19072 settled")
    assert any(line.split()[:3] == ["19072", "■", "Stopped"] for line in screen.splitlines()), screen
    tmux.run("send-keys", "-t", "e2e", "q")
    tmux.wait_for("ZWR-EXIT=0", timeout=20)
    log = subprocess.run(
        [str(ZWR), "--profile", "demo", "log"],
        env={**os.environ, "ZWR_DATA_DIR": str(data), "ZWR_CONFIG_DIR": str(tmp_path / "cfg"), "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout.splitlines()
    assert [line.split()[3:7] for line in log] == [
        ["stop", "run", "19072", "NOT_SENT"],
        ["stop", "run", "19072", "DONE"],
    ], log
