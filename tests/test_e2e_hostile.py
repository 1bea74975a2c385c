"""The installed TUI against a hostile server, in a real terminal (tmux): escapes in ``cpuTime``,
names, statuses, task fields, error bodies and ``Zuora-Request-Id`` never reach the terminal.

A terminal that obeyed them would change its title (OSC 0/2, tmux's ``#{pane_title}``) or its
clipboard (OSC 52, a tmux paste buffer with ``set-clipboard on``) with no key pressed. The test
first proves that this tmux does both when the escapes are printed raw (so a pass is not an
accident of configuration), then runs ``zwr`` on hostile runs, walks its screens and checks the
title and the buffers are untouched and the escapes are shown as text.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from tests.hostile import RUN, Conn, HostileServer, Request
from tests.tmuxterm import Tmux

pytestmark = pytest.mark.e2e

ZWR = Path(sys.executable).parent / "zwr"
TITLE = "\x1b]0;PWNED-0\x07\x1b]2;PWNED-2\x1b\\"
CLIP = "\x1b]52;c;UFdORUQ=\x07\x1b]52;p;UFdORUQ=\x1b\\"
H = TITLE + CLIP + "\x9d2;PWNED-C1\x9c\x1b[2J\u202e[bold]M[/]\ud800\x7f\u200b"  # and a lone surrogate, DEL, ZWSP


def hostile(conn: Conn, request: Request) -> None:
    headers = [("Zuora-Request-Id", "rid" + TITLE + CLIP)]  # h11 passes ESC and BEL in a header value
    if "/workflow_runs/" in request.path:
        run = json.loads(RUN)
        run_id = int(request.path.split("/workflow_runs/")[1].split("?")[0].split("/")[0])
        if run_id == 3:  # an error body, shown in the run's panel
            body = json.dumps({"success": False, "reasons": [{"code": 50000040, "message": "bad " + H}]})
            return conn.respond(400, [("Content-Type", "application/json"), *headers], body.encode())
        run.update(id=run_id, name=f"run{run_id} " + H, cpuTime=H, type=H)
        run["status"] = "Finished" if run_id == 1 else "Odd" + H
        run["tasks"] = {"total": 2, "success": 1, "error": 1, "queued": 0, "processing": 0, "pending": 0, "stopped": 0}
        return conn.json(200, json.dumps(run), headers)
    if request.path.startswith("/workflows/tasks"):
        task = {
            "id": 11, "name": "task " + H, "status": "Error", "action_type": "Callout", "error": "boom " + H,
            "error_class": H, "error_details": H, "object": H, "object_id": H, "tags": [H], "workflow_id": 1,
            "data": {"Callout": {"URL": "https://x.example/" + H, "ResponseCode": 500, "ResponseBody": H}},
        }  # fmt: skip
        other = dict(task, id=12, status="Weird" + H, name="t2 " + H)
        return conn.json(200, json.dumps({"data": [task, other], "pagination": {}}), headers)
    return conn.json(200, json.dumps({"id": 1, "name": "wf " + H}), headers)


class HostileTmux(Tmux):
    """The installed zwr against a hostile server, watching what a terminal keeps: its title and
    clipboard (OSC 0/2/52 must never reach them)."""

    def __init__(self) -> None:
        super().__init__(f"zwr-hostile-{os.getpid()}", "h")

    def title(self) -> str:
        return self.run("display-message", "-p", "-t", "h", "#{pane_title}").strip()

    def buffers(self) -> str:
        return self.run("list-buffers").strip()

    def start(self, command: str, env: dict[str, str]) -> None:
        extra = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
        self.run("new-session", "-d", "-s", "h", "-x", "120", "-y", "32", *extra, "sleep 120")
        self.run("set-option", "-g", "set-clipboard", "on")
        self.run("select-pane", "-t", "h", "-T", "ORIGINAL")
        self.run("respawn-pane", "-k", "-t", "h", command)


@pytest.fixture
def tmux():
    t = HostileTmux()
    yield t
    t.run("kill-server")


def test_this_tmux_obeys_raw_escapes(tmux, tmp_path):
    """The control: printed raw, the same escapes do change the title and fill a buffer."""
    script = tmp_path / "raw.py"
    script.write_text(f"import sys, time\nsys.stdout.write({TITLE + CLIP!r})\nsys.stdout.flush()\ntime.sleep(30)\n")
    tmux.start(f"{sys.executable} {script}", {"TERM": "xterm-256color"})
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (tmux.title().startswith("PWNED") and tmux.buffers()):
        time.sleep(0.2)
    assert tmux.title().startswith("PWNED") and "PWNED" in tmux.run("show-buffer")


def test_hostile_values_never_reach_the_terminal(tmux, isolated_env):
    assert ZWR.exists(), "the zwr console script is not installed in this environment"
    with HostileServer(hostile) as server:
        env = {
            "TERM": "xterm-256color",
            "ZUORA_BASE_URL": server.base_url,
            "ZUORA_BEARER_TOKEN": "hostile-e2e-token",
            "ZWR_CONFIG_DIR": str(isolated_env / "config"),
            "ZWR_DATA_DIR": str(isolated_env / "data"),
            "HOME": str(isolated_env / "home"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
        tmux.start(f"{ZWR} 1 2 3 --interval 1; echo ZWR-EXIT=$?; sleep 60", env)
        tmux.wait_for("run1 ", "run2 ", "␛]0;PWNED-0␇")  # the escapes are on screen, as text
        for keys in (["Down"], ["Down"], ["Up", "Up"], ["t"], ["Enter"], ["Escape"], ["j"], ["Escape"], ["Escape"]):
            tmux.run("send-keys", "-t", "h", *keys)
            time.sleep(0.6)
            assert tmux.title() == "ORIGINAL", tmux.screen()
            assert tmux.buffers() == "", tmux.buffers()
        time.sleep(2.5)  # a few more polls of every run
        assert tmux.title() == "ORIGINAL" and tmux.buffers() == ""
        tmux.run("send-keys", "-t", "h", "i")  # copy the Request-Id: what is copied is the text shown
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not tmux.buffers():
            time.sleep(0.2)
        copied = tmux.run("show-buffer")
        assert copied.startswith("rid␛]0;PWNED-0␇") and "\x1b" not in copied and "\x07" not in copied
        tmux.run("send-keys", "-t", "h", "q")
        tmux.wait_for("ZWR-EXIT=0", timeout=20)
    assert tmux.title() == "ORIGINAL"
    assert server.errors == []
