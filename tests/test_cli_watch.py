"""``zwr watch`` as CI runs it: the installed command against the simulator, bounded in time.

Waits are at least 1 s (the poll-interval floor), so these tests use fast simulated runs
(``speed``) and short bounds; every wall-time check is a generous ceiling that only a hang
would exceed, never a speed assertion.
"""

import json
import math
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, cli_env, run_zwr
from tests.hostile import RUN, HostileServer
from tui.cli.main import main
from tui.cli.watch import MAX_WAIT, MIN_WAIT, retry_delay
from tui.core.errors import RateLimited, ServerError
from tui.sim import Simulator

HANG = 60  # a request that would outlive every bound below


def test_watch_until_finished_exit_status_ok():
    """Queued, then Processing, then Finished, by request count (not by the simulator's clock: a
    slow start on a loaded machine would miss the Queued phase)."""

    def queued_processing_finished(conn, request):
        run = json.loads(RUN)
        run["status"] = ("Queued", "Processing", "Finished")[min(len(server.requests), 3) - 1]
        conn.json(200, json.dumps(run))

    with HostileServer(queued_processing_finished) as server:
        env = cli_env(ZUORA_BASE_URL=server.base_url, ZUORA_BEARER_TOKEN="t")
        out = run_zwr("watch", "500", "--interval", "1", "--exit-status", env=env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert any("Queued" in line for line in lines) and any("Processing" in line for line in lines)
    assert "✔ Finished" in out.stdout


def test_watch_exit_status_failed_run(sim):
    out = run_zwr("watch", "19066", "--exit-status", env=cli_env(sim))
    assert out.returncode == 1 and "3 task errors" in out.stdout


def test_watch_fail_fast_on_first_error():
    with Simulator(speed=20) as sim:
        out = run_zwr("watch", "19071", "--interval", "1", "--fail-fast", env=cli_env(sim))
    assert out.returncode == 1 and "Processing" in out.stdout


def test_watch_stopped_run_exit_status():
    with Simulator(speed=20) as sim:
        out = run_zwr("watch", "19067", "--interval", "1", "--exit-status", env=cli_env(sim))
    assert out.returncode == 1 and "Stopped" in out.stdout


def test_watch_max_wait(sim):
    out = run_zwr("watch", "19064", "--interval", "1", "--max-wait", "1", env=cli_env(sim))
    assert out.returncode == 12 and "still Queued" in out.stderr


def test_watch_survives_transient_errors(sim):
    sim.add_fault("status", status=500, times=2, path="workflow_runs", headers={"Retry-After": "1"})
    out = run_zwr("watch", "19063", "--interval", "1", env=cli_env(sim))
    assert out.returncode == 0 and out.stderr.count("warning:") == 2
    assert "Retrying in 1s" in out.stderr


def test_watch_not_found_exits_6(sim):
    assert run_zwr("watch", "999", env=cli_env(sim)).returncode == 6


@pytest.mark.parametrize(("status", "code"), [(500, 8), (429, 7)])
def test_watch_gives_up_with_the_last_failures_code(sim, status, code):
    """A server that fails forever ends the watch after --give-up seconds, not hours later."""
    sim.add_fault("status", status=status, path="workflow_runs", headers={"Retry-After": "1"})
    started = time.monotonic()
    out = run_zwr("watch", "19063", "--interval", "1", "--give-up", "2", env=cli_env(sim), timeout=90)
    assert time.monotonic() - started < 60  # a hang would take forever; this is no speed check
    assert out.returncode == code, out.stderr
    last = out.stderr.strip().splitlines()[-1]
    assert "gave up after" in last and "--give-up 2s" in last and f"HTTP {status}" in last
    assert len(sim.requests_to("/workflows/workflow_runs/19063")) <= 12  # bounded, not a flood


def test_watch_give_up_zero_never_gives_up(sim):
    """With --give-up 0 only --max-wait ends a watch of a failing server (exit 12, not 8)."""
    sim.add_fault("status", status=500, path="workflow_runs")
    out = run_zwr("watch", "19063", "--give-up", "0", "--max-wait", "3", env=cli_env(sim))
    assert out.returncode == 12, out.stderr
    assert "no answer yet" in out.stderr and "HTTP 500" in out.stderr


def test_watch_max_wait_is_enforced_during_a_request(sim):
    sim.add_fault("hang", delay=HANG, path="workflow_runs")
    started = time.monotonic()
    out = run_zwr("watch", "19063", "--max-wait", "2", env=cli_env(sim), timeout=90)
    assert time.monotonic() - started < HANG / 2  # it did not wait for the hanging answer
    assert out.returncode == 12 and "after --max-wait 2s" in out.stderr


def test_watch_give_up_is_enforced_during_a_request(sim):
    """The first poll fails; the next one hangs: the give-up bound cuts it short with the first's code."""
    sim.add_fault("status", status=500, times=1, path="workflow_runs")
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "watch", "19063", "--interval", "2", "--give-up", "3"],
        env=cli_env(sim),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        while not sim.requests_to("workflow_runs") and time.monotonic() - started < 30:
            time.sleep(0.05)  # the first (failing) poll was answered; the next comes 2 s later
        sim.add_fault("hang", delay=HANG, path="workflow_runs")
        _, stderr = proc.communicate(timeout=90)
    finally:
        proc.kill()
    assert time.monotonic() - started < HANG / 2
    assert proc.returncode == 8 and "gave up after" in stderr, stderr


def test_watch_never_sleeps_what_retry_after_asks_beyond_its_bounds(sim):
    sim.add_fault("status", status=503, path="workflow_runs", headers={"Retry-After": "99999"})
    out = run_zwr("watch", "19063", "--max-wait", "3", env=cli_env(sim))
    assert out.returncode == 12, out.stderr
    retry = [line for line in out.stderr.splitlines() if "Retrying in" in line]
    assert retry and all(float(line.rsplit("Retrying in ", 1)[1].rstrip("s.")) <= 3 for line in retry)
    assert "99999s" not in out.stderr and "inf" not in out.stderr


@pytest.mark.parametrize("hint", [None, math.nan, math.inf, -1.0, 0.0, 0.001, 1e9, 42.0])
def test_retry_delay_is_always_between_the_floor_and_the_ceiling(hint):
    for failures in (1, 2, 10, 1000):
        for error in (ServerError("x", retry_after=hint), RateLimited("x", retry_after=hint)):
            delay = retry_delay(error, failures, interval=5.0)
            assert MIN_WAIT <= delay <= MAX_WAIT
    assert retry_delay(ServerError("x", retry_after=42.0), 1, 5.0) == 42.0
    assert retry_delay(ServerError("x"), 1, 5.0) == 5.0 and retry_delay(ServerError("x"), 2, 5.0) == 10.0


@pytest.mark.parametrize(
    "args",
    [
        ["--interval", "0.001"],
        ["--interval", "nan"],
        ["--max-wait", "0"],
        ["--max-wait", "inf"],
        ["--give-up", "-1"],
        ["--give-up", "nan"],
    ],
)
def test_watch_numbers_refused_before_any_request(sim, args, monkeypatch, capsys):
    monkeypatch.setenv("ZUORA_BASE_URL", sim.base_url)
    monkeypatch.setenv("ZUORA_BEARER_TOKEN", sim.demo_token)
    with pytest.raises(SystemExit) as done:
        main(["watch", "19063", *args])
    err = capsys.readouterr().err
    assert done.value.code == 2 and f"argument {args[0]}:" in err
    assert "Traceback" not in err and sim.requests == []
