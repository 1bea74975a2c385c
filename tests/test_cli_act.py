"""``zwr stop``, ``zwr rerun`` and ``zwr log`` as a user runs them: subprocesses against the
simulator, on a pipe and on a pseudo-terminal (issue 15, items 1, 4, 5, 6)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from tests.conftest import ROOT, cli_env, run_zwr


def writes(sim):
    return [r for r in sim.requests if r.method in ("PUT", "POST") and r.path != "/oauth/token"]


def audit_lines(tmp_path):
    path = tmp_path / "data" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def config(tmp_path, text):
    folder = tmp_path / "config"
    folder.mkdir(exist_ok=True)
    (folder / "config.toml").write_text(text)


def on_terminal(args, env, answer: str, timeout=60):
    """Run zwr with stdin on a pseudo-terminal (it asks), typing ``answer``; stdout/stderr piped."""
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tui", *args],
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=ROOT,
            text=True,
        )
        os.write(master, answer.encode() + b"\n")
        out, err = proc.communicate(timeout=timeout)
    finally:
        os.close(slave)
        os.close(master)
    return proc.returncode, out, err


def test_writes_are_off_by_default_and_refused_before_any_request(sim, isolated_env):
    out = run_zwr("stop", "19072", "--yes", env=cli_env(sim))
    assert out.returncode == 3 and "--allow-write" in out.stderr and "allow_write = true" in out.stderr
    assert out.stderr.count("\n") == 1 and sim.requests == []  # one line, nothing sent (not even a read)
    (line,) = audit_lines(isolated_env)
    assert (line["action"], line["run_id"], line["result"]) == ("stop", 19072, "not_sent")


def test_without_a_terminal_a_write_needs_yes(sim):
    out = run_zwr("rerun", "--failed", "19066", "--allow-write", env=cli_env(sim))
    assert out.returncode == 2 and "--yes" in out.stderr and "--dry-run" in out.stderr and sim.requests == []


def test_dry_run_reads_and_sends_nothing(sim):
    out = run_zwr("rerun", "--failed", "19075", "--dry-run", env=cli_env(sim))
    assert out.returncode == 0, out.stderr
    assert "About to rerun 84 failed tasks of run 19075" in out.stdout and out.stdout.count("would rerun") == 84
    assert "Dry run: nothing was sent (writes are off" in out.stdout and writes(sim) == []
    ended = run_zwr("stop", "19063", "--dry-run", "--json", env=cli_env(sim))
    document = json.loads(ended.stdout)
    assert ended.returncode == 13 and document["dry_run"] and "already Finished" in document["nothing_to_do"]


def test_stop_then_stop_again_sends_once(sim, isolated_env):
    first = run_zwr("stop", "19072", "--allow-write", "--yes", env=cli_env(sim))
    assert first.returncode == 0, first.stderr
    assert "Zuora accepted it" in first.stdout and "is now Stopping" in first.stdout
    assert "About to stop run 19072" in first.stderr and "46 tasks not yet done will not run" in first.stderr
    again = run_zwr("stop", "19072", "--allow-write", "--yes", env=cli_env(sim))
    assert again.returncode == 13 and "already Stopping: nothing was sent" in again.stdout
    assert len(sim.requests_to("/stop")) == 1 and sim.stops_performed == {19072: 1}
    assert [e["result"] for e in audit_lines(isolated_env)] == ["done", "not_sent"]


def test_rerun_failed_then_again_reruns_each_task_once(sim, isolated_env):
    first = run_zwr("rerun", "--failed", "19066", "--allow-write", "--yes", "--json", env=cli_env(sim))
    document = json.loads(first.stdout)
    assert first.returncode == 0 and document["exit_code"] == 0, first.stderr
    assert [r["result"] for r in document["records"]] == ["done"] * 3
    keys = {r["idempotency_key"] for r in document["records"]}
    assert len(keys) == 3 and all(k.startswith("zwr-") for k in keys)
    again = run_zwr("rerun", "--failed", "19066", "--allow-write", "--yes", env=cli_env(sim))
    assert again.returncode == 13 and "has no failed tasks: nothing was sent" in again.stdout
    assert sim.reruns_performed == {1906600010: 1, 1906600011: 1, 1906600012: 1}
    logged = audit_lines(isolated_env)
    assert [e["result"] for e in logged] == ["done"] * 3 + ["not_sent"] and {
        e["idempotency_key"] for e in logged
    } >= keys


def test_rerun_by_id_skips_what_has_not_failed_and_reports_partial_failure(sim):
    sim.add_fault("status", status=404, path="1907500318/rerun")
    out = run_zwr("rerun", "1907500317", "1907500318", "1907500001", "--allow-write", "--yes", env=cli_env(sim))
    assert out.returncode == 14, out.stdout + out.stderr
    assert "✔ task 1907500317" in out.stdout and "✖ task 1907500318" in out.stdout and "45 days" in out.stdout
    assert "1907500001 succeeded: nothing to rerun" in out.stderr and "1 skipped" in out.stdout
    mixed = run_zwr("rerun", "1906600010", "1907500317", "--allow-write", "--yes", env=cli_env(sim))
    assert mixed.returncode == 2 and "one run at a time" in mixed.stderr
    bad = run_zwr("rerun", "1906600010", "x", "--allow-write", "--yes", env=cli_env(sim))
    assert bad.returncode == 2 and "'x' is not a task ID" in bad.stderr


def test_an_unknown_outcome_is_not_repeated_and_the_next_try_reuses_its_key(sim, isolated_env):
    sim.add_fault("status", status=500, path="rerun", times=1)  # Zuora fails before acting
    first = run_zwr("rerun", "1906600010", "--allow-write", "--yes", env=cli_env(sim))
    assert first.returncode == 8 and "still Error" in first.stdout and "same Idempotency-Key" in first.stdout
    second = run_zwr("rerun", "1906600010", "--allow-write", "--yes", env=cli_env(sim))
    assert second.returncode == 0, second.stdout + second.stderr
    keys = [r.idempotency_key for r in sim.requests_to("/rerun")]
    assert len(keys) == 2 and keys[0] == keys[1] and sim.reruns_performed == {1906600010: 1}
    assert [e["result"] for e in audit_lines(isolated_env)] == ["unknown", "done"]


def test_profile_allow_write_and_production_needs_the_run_id_typed(sim, isolated_env):
    config(
        isolated_env,
        f'[profiles.prod]\nbase_url = "{sim.base_url}"\nproduction = true\nallow_write = true\n'
        f'[profiles.ro]\nbase_url = "{sim.base_url}"\n',
    )
    env = cli_env(sim)
    del env["ZUORA_BASE_URL"]
    code, out, err = on_terminal(["--profile", "prod", "stop", "19072"], env, "y")
    assert code == 13 and "⚠ PRODUCTION" in err and "type the run ID (19072)" in err and "Cancelled" in err
    assert writes(sim) == []
    code, out, err = on_terminal(["--profile", "prod", "stop", "19072"], env, "19072")
    assert code == 0 and "Zuora accepted it" in out and sim.stops_performed == {19072: 1}
    code, out, err = on_terminal(["--profile", "ro", "rerun", "--failed", "19066"], env, "y")
    assert code == 3 and "profile 'ro'" in err and "[profiles.ro]" in err and len(writes(sim)) == 1
    results = [(e["profile"], e["result"]) for e in audit_lines(isolated_env)]
    assert results == [("prod", "not_sent"), ("prod", "done"), ("ro", "not_sent")]


def test_a_sandbox_confirmation_takes_y_and_anything_else_cancels(sim):
    env = cli_env(sim)
    code, _, err = on_terminal(["rerun", "--failed", "19066", "--allow-write"], env, "")
    assert code == 13 and "Rerun 3 failed tasks of run 19066" in err and "[y/N]" in err and writes(sim) == []
    code, out, _ = on_terminal(["rerun", "--failed", "19066", "--allow-write"], env, "y")
    assert code == 0 and out.count("✔ task") == 3


def test_log_prints_every_attempt_and_no_secret(sim, isolated_env):
    env = cli_env(sim, ZUORA_CLIENT_ID=sim.client_id, ZUORA_CLIENT_SECRET=sim.client_secret)
    del env["ZUORA_BEARER_TOKEN"]
    assert run_zwr("stop", "19072", "--allow-write", "--yes", env=env).returncode == 0
    assert run_zwr("rerun", "1906600010", "--allow-write", "--yes", env=env).returncode == 0
    path = isolated_env / "data" / "audit.jsonl"
    raw = path.read_text()
    tokens = list(sim.tokens)
    assert tokens and not any(t in raw for t in tokens) and sim.client_secret not in raw
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    shown = run_zwr("log", env=env)
    assert (
        shown.returncode == 0 and "stop run 19072" in shown.stdout and "rerun run 19066 task 1906600010" in shown.stdout
    )
    assert shown.stdout.count("DONE HTTP 200") == 2 and "Zuora-Request-Id" in shown.stdout
    lines = [json.loads(line) for line in run_zwr("log", "--json", "--limit", "1", env=env).stdout.splitlines()]
    assert len(lines) == 1 and lines[0]["action"] == "rerun"
    empty = run_zwr("--profile", "nobody", "log", env=env)
    assert "No writes recorded for profile 'nobody'" in empty.stdout


@pytest.mark.parametrize(
    "args", [["stop", "19063x"], ["rerun", "--failed", "1", "2"], ["stop", "1", "--timeout", "nan"]]
)
def test_bad_input_is_refused_before_anything_is_sent(sim, args):
    out = run_zwr(*args, "--allow-write", "--yes", env=cli_env(sim))
    assert out.returncode == 2 and sim.requests == []
