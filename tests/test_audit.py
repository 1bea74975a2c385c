"""The audit trail of writes (issue 15, item 6): one JSON line per attempt, 0600, no secret,
never through a symlink, whole lines from concurrent processes, zwr's memory of unknown outcomes."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import ROOT
from tui.core import actions as A
from tui.store import audit as audit_mod
from tui.store.audit import AuditError, AuditLog, audit_file, read_entries, unreadable_lines


def record(task_id=1906600010, result=A.DONE, key="zwr-k1", **extra):
    return A.Record(A.RERUN, 19066, task_id, result, "Rerun sent.", status=200, idempotency_key=key, **extra)


def test_one_json_line_per_attempt_in_a_private_file():
    log = AuditLog.for_connection("prod", "https://rest.zuora.com")
    log.append(record())
    log.append(A.Record(A.STOP, 19067, None, A.NOT_SENT, "writes off"))
    path = audit_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(e["action"], e["run_id"], e["task_id"], e["result"]) for e in lines] == [
        ("rerun", 19066, 1906600010, "done"),
        ("stop", 19067, None, "not_sent"),
    ]
    first = lines[0]
    assert first["profile"] == "prod" and first["host"] == "rest.zuora.com" and first["pid"] == os.getpid()
    assert first["time"].endswith("Z") and first["idempotency_key"] == "zwr-k1" and first["status"] == 200
    assert read_entries(profile="other") == [] and len(read_entries(profile="prod")) == 2


def test_a_symlink_in_place_of_the_trail_is_refused_not_followed(tmp_path):
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me\n")
    path = audit_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    log = AuditLog.for_connection(None, "https://rest.zuora.com")
    with pytest.raises(AuditError, match="symbolic link"):
        log.check()
    with pytest.raises(AuditError, match="symbolic link"):
        log.append(record())
    with pytest.raises(AuditError, match="symbolic link"):
        read_entries()
    assert target.read_text() == "keep me\n"


def test_messages_are_scrubbed_and_escapes_cannot_reach_the_file():
    from tui.core.secret import Secret

    Secret("s3cr3t-token-value")  # every Secret is registered with the scrubber when made
    log = AuditLog.for_connection(None, "https://rest.zuora.com")
    log.append(A.Record(A.STOP, 1, None, A.REFUSED, "echo: s3cr3t-token-value \x1b]52;c;x\x07"))
    raw = audit_file().read_bytes()
    assert b"s3cr3t-token-value" not in raw and b"\x1b" not in raw and raw.isascii()


def test_concurrent_processes_write_whole_lines():
    code = (
        "import sys\n"
        "from tui.core import actions as A\n"
        "from tui.store.audit import AuditLog\n"
        "log = AuditLog.for_connection('p', 'https://rest.zuora.com')\n"
        "for n in range(40):\n"
        "    log.append(A.Record('rerun', 1, int(sys.argv[1]) * 1000 + n, 'done', 'x' * 3000))\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(p)], cwd=ROOT, env=dict(os.environ)) for p in range(1, 5)
    ]
    assert all(p.wait(timeout=90) == 0 for p in procs)
    entries = read_entries()
    assert unreadable_lines() == 0 and len(entries) == 160
    assert sorted(e["task_id"] for e in entries) == sorted(p * 1000 + n for p in range(1, 5) for n in range(40))
    assert all(len(e["message"]) == 2000 for e in entries)  # capped


def test_the_trail_rotates_and_is_read_across_the_rotation(monkeypatch):
    monkeypatch.setattr(audit_mod, "MAX_BYTES", 600)
    log = AuditLog.for_connection(None, "https://rest.zuora.com")
    for n in range(6):
        log.append(record(task_id=n))
    rotated = audit_file().with_name("audit.jsonl.1")
    assert rotated.exists() and stat.S_IMODE(rotated.stat().st_mode) == 0o600
    assert [e["task_id"] for e in read_entries()][-3:] == [3, 4, 5]


def test_lines_that_are_not_json_are_skipped_and_counted():
    log = AuditLog.for_connection(None, "https://rest.zuora.com")
    log.append(record())
    with open(audit_file(), "a") as handle:
        handle.write("not json\n[1, 2]\n")
    log.append(record(task_id=2))
    assert [e["task_id"] for e in read_entries()] == [1906600010, 2] and unreadable_lines() == 2


def test_unresolved_keys_are_the_last_unknown_rerun_of_the_host_within_24_hours():
    log = AuditLog.for_connection(None, "https://rest.zuora.com")
    other_host = AuditLog.for_connection(None, "https://rest.eu.zuora.com")
    log.append(record(task_id=1, result=A.UNKNOWN, key="k-unknown"))
    log.append(record(task_id=2, result=A.UNKNOWN, key="k-old"))
    log.append(record(task_id=2, result=A.DONE, key="k-done"))  # resolved since
    log.append(record(task_id=3, result=A.UNKNOWN, key="k-3"))
    log.append(A.Record(A.RERUN, 19066, 3, A.NOT_SENT, "cancelled"))  # not an attempt: ignored
    other_host.append(record(task_id=4, result=A.UNKNOWN, key="k-eu"))
    found = log.unresolved_keys([1, 2, 3, 4])
    assert {task: key for task, (key, _) in found.items()} == {1: "k-unknown", 3: "k-3"}
    later = datetime.now(UTC) + timedelta(hours=25)
    assert log.unresolved_keys([1, 3], now=later) == {}


def test_an_unwritable_data_folder_is_found_before_anything_is_sent(monkeypatch, tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be")
    log = AuditLog(blocked / "audit.jsonl", None, "h")
    with pytest.raises((AuditError, OSError)):
        log.check()
