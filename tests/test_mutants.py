"""Tests written to kill mutants that survived the rest of the suite (issue 10; bench/mutation.md).

Each test names the change to the code it exists to catch. They pin behaviour that other tests
exercised only in a way where the mutant and the real code agree: a run ID next to a valid one,
a run that finishes with tasks still pending.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import cli_env, run_zwr
from tests.hostile import RUN, Conn, HostileServer, Request
from tui.core.errors import BadInput
from tui.core.runid import parse_run_ids

# ----------------------------------------------------------------------------- run IDs


@pytest.mark.parametrize(
    "text",
    [
        "19063?",  # a query starts here: never a run ID
        "19064 19063?",  # ... even beside a valid one (the check must not rely on "no ID found")
        "19064 what?",  # a `?` with no digit is still refused (mutant: `?` dropped from the suspicious set)
        "19064 #frag",
        "19064 19063abc",  # digits glued to letters (mutant: the any(isdigit) branch removed)
        "19064 x19063",
        "19064 19063-2",
    ],
)
def test_suspicious_tokens_are_refused_even_beside_a_valid_id(text):
    with pytest.raises(BadInput):
        parse_run_ids(text)


def test_plain_words_beside_an_id_are_still_ignored():
    assert parse_run_ids("run 19063 failed, see 19064") == [19063, 19064]


# ----------------------------------------------------------------------------- watch and settling runs


def settling_then_done(conn: Conn, request: Request) -> None:
    """Finished with 2 tasks pending for two polls, then Finished with none: by request count,
    not by time, so a slow start cannot make the run look done at the first poll."""
    run = json.loads(RUN)
    polls = len(SERVER[0].requests)
    run["tasks"] = {"total": 3, "success": 3 - (2 if polls <= 2 else 0), "pending": 2 if polls <= 2 else 0}
    run["tasks"].update(error=0, queued=0, processing=0, stopped=0)
    conn.json(200, json.dumps(run))


SERVER: list[HostileServer] = []


def test_watch_keeps_polling_a_finished_run_until_no_task_is_pending():
    """Mutant: ``watch`` ending on ``run.terminal`` (status Finished) instead of ``Phase.DONE``:
    it would exit while Zuora still shows pending tasks, and report the run as done too early."""
    with HostileServer(settling_then_done) as server:
        SERVER[:] = [server]
        env = cli_env(ZUORA_BASE_URL=server.base_url, ZUORA_BEARER_TOKEN="t")
        out = run_zwr("watch", "1", "--interval", "1", "--exit-status", env=env, timeout=60)
        polls = len(server.requests)
    assert out.returncode == 0, out.stderr
    assert "◔ Finished: 1/3 tasks done, 0 errors, 2 pending" in out.stdout  # it saw the settling run ...
    assert "✔ Finished" in out.stdout and "all tasks succeeded" in out.stdout  # ... and waited for the end
    assert polls == 3
