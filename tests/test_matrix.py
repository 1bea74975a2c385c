"""The hardening matrix: every fault (rows) against every front (columns).

Columns: ``zwr get`` and ``zwr watch`` (subprocesses, real exit codes), the TUI (Pilot) and the
tasks screen. Every cell asserts: no crash or hang (bounded subprocess time / Pilot wait), the
message names the problem, the documented exit code, the last good data stays visible in the TUI,
no secret in any output, hostile text shown literally, retries bounded.
"""

from __future__ import annotations

import email.utils
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import cli_env, run_zwr
from tests.uihelpers import make_app, text_of, wait_for
from tui.sim import Simulator
from tui.ui.screens.tasks import TasksScreen
from tui.ui.widgets.bars import TaskBars
from tui.ui.widgets.watchlist import Watchlist

TOKEN = "matrix-token-9f3a1c-secret"
DATA = Path(__file__).parent / "data"


@dataclass
class Row:
    id: str
    apply: Callable[[Simulator], None] | None  # inject the fault into the simulator
    get_code: int
    message: str  # expected in the CLI output (stderr or stdout)
    nature: str  # permanent | transient | data | ok
    tui: str | None = None  # expected in the TUI detail after the fault (None: same as message)
    run_id: int = 19063
    env: dict = field(default_factory=dict)


def fault(kind, **options):
    return lambda sim: sim.add_fault(kind, **options)


def http_date(seconds):
    return email.utils.formatdate(time.time() + seconds, usegmt=True)


ESCAPES = "name\x1b]52;c;ZXZpbA==\x07 \x1b[31mred\x1b[0m \x9b2J end"
ROWS = [
    Row("401-bad-token", fault("status", status=401, path="workflow_runs"), 4, "HTTP 401", "permanent"),
    Row("403", fault("status", status=403, path="workflow_runs"), 5, "Workflow View Access", "permanent"),
    Row("404", fault("status", status=404, path="workflow_runs"), 6, "30 days", "permanent"),
    Row(
        "429-retry-after-seconds",
        fault("status", status=429, headers={"Retry-After": "1"}, path="workflow_runs"),
        7,
        "HTTP 429",
        "transient",
    ),
    Row("429-no-retry-after", fault("status", status=429, path="workflow_runs"), 7, "HTTP 429", "transient"),
    Row(
        "429-retry-after-date",
        lambda sim: sim.add_fault("status", status=429, headers={"Retry-After": http_date(1)}, path="workflow_runs"),
        7,
        "HTTP 429",
        "transient",
    ),
    Row("500", fault("status", status=500, path="workflow_runs"), 8, "HTTP 500", "transient"),
    Row("502-html", fault("html", status=502, path="workflow_runs"), 8, "Bad Gateway", "transient"),
    Row(
        "503-retry-after",
        fault("status", status=503, headers={"Retry-After": "1"}, path="workflow_runs"),
        8,
        "HTTP 503",
        "transient",
    ),
    Row("504", fault("status", status=504, path="workflow_runs"), 8, "HTTP 504", "transient"),
    Row("reset-mid-body", fault("reset", mid_body=True, path="workflow_runs"), 10, "closed", "transient"),
    Row(
        "read-timeout",
        fault("hang", delay=3, path="workflow_runs"),
        9,
        "Timed out",
        "transient",
        env={"--timeout": "0.5"},
    ),
    Row("gzip-body", fault("oversize", size=50_000, path="workflow_runs"), 0, "Finished", "ok"),
    Row("truncated-json", fault("truncate", path="workflow_runs"), 11, "not valid JSON", "permanent"),
    Row(
        "non-json-200", fault("body", body=b"hello, not json", path="workflow_runs"), 11, "not valid JSON", "permanent"
    ),
    Row("shape-list", fault("body", body=b"[1, 2]", path="workflow_runs"), 11, "not a run object", "permanent"),
    Row("shape-null", fault("body", body=b"null", path="workflow_runs"), 11, "not a run object", "permanent"),
    Row("shape-string", fault("body", body=b'"run"', path="workflow_runs"), 11, "not a run object", "permanent"),
    Row(
        "wrong-types",
        fault("fields", fields={"createdAt": 5, "runTime": "fast", "cpuTime": [], "id": "x"}, path="workflow_runs"),
        0,
        "not a timestamp",
        "data",
    ),
    Row(
        "unknown-status",
        fault("fields", fields={"status": "Hibernating"}, path="workflow_runs"),
        0,
        "Hibernating",
        "data",
    ),
    Row(
        "counts-dont-add-up",
        fault(
            "fields",
            fields={
                "tasks": {
                    "total": 4,
                    "success": 9,
                    "error": 1,
                    "queued": 0,
                    "processing": 0,
                    "pending": 0,
                    "stopped": 0,
                }
            },
            path="workflow_runs",
        ),
        0,
        "add up to 10",
        "data",
    ),
    Row(
        "negative-and-huge",
        fault(
            "fields",
            fields={
                "tasks": {
                    "total": 10**15,
                    "success": 10**15,
                    "error": -3,
                    "queued": 0,
                    "processing": 0,
                    "pending": 0,
                    "stopped": 0,
                }
            },
            path="workflow_runs",
        ),
        0,
        "negative",
        "data",
    ),
    Row(
        "total-zero",
        fault(
            "fields",
            fields={
                "tasks": {
                    "total": 0,
                    "success": 0,
                    "error": 0,
                    "queued": 0,
                    "processing": 0,
                    "pending": 0,
                    "stopped": 0,
                }
            },
            path="workflow_runs",
        ),
        0,
        "0 total",
        "data",
        tui="none (total = 0)",
    ),
    Row("10MB-body", fault("oversize", size=10 * 1024 * 1024, path="workflow_runs"), 11, "larger than", "permanent"),
    Row(
        "1MB-name",
        fault("fields", fields={"name": "N" * 1_000_000}, path="workflow_runs"),
        0,
        "chars)",
        "data",
        tui="NNNN",
    ),
    Row(
        "rich-markup",
        fault("fields", fields={"name": "[bold red]boom[/] [link=http://x]y[/link]"}, path="workflow_runs"),
        0,
        "[bold red]boom[/]",
        "data",
    ),
    Row("escape-codes", fault("fields", fields={"name": ESCAPES}, path="workflow_runs"), 0, "␛]52;c;ZXZpbA==", "data"),
    Row(
        "rtl-and-wide",
        fault("fields", fields={"name": "\u202eevil\u202c שלום 東京ワイド"}, path="workflow_runs"),
        0,
        "שלום 東京ワイド",
        "data",
    ),
]
IDS = [r.id for r in ROWS]


def assert_clean(text: str) -> None:
    assert TOKEN not in text
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "\u202e" not in text  # bidi overrides are made visible, never applied


@pytest.fixture
def msim():
    with Simulator(demo_token=TOKEN) as sim:
        yield sim


def env_for(sim, **extra):
    env = cli_env(sim, ZUORA_BEARER_TOKEN=TOKEN)
    env.update(extra)
    return env


# ---------------------------------------------------------------------------- column: zwr get


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_get(row, msim):
    row.apply(msim)
    args = ["get", str(row.run_id)] + [x for kv in row.env.items() for x in kv]
    started = time.monotonic()
    out = run_zwr(*args, env=env_for(msim), timeout=60)
    assert time.monotonic() - started < 45  # retries stop within their bound
    assert out.returncode == row.get_code, out.stderr
    assert row.message in out.stdout + out.stderr
    assert_clean(out.stdout + out.stderr)
    if row.get_code:
        assert out.stderr.startswith("error:") and "Traceback" not in out.stderr
        assert "Zuora-Request-Id" in out.stderr or (row.nature == "transient" and row.id.startswith(("reset", "read")))


# ---------------------------------------------------------------------------- column: zwr watch


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_watch(row, msim):
    row.apply(msim)
    args = ["watch", str(row.run_id), "--interval", "1", "--max-wait", "4"] + [x for kv in row.env.items() for x in kv]
    out = run_zwr(*args, env=env_for(msim), timeout=60)
    text = out.stdout + out.stderr
    assert_clean(text)
    assert "Traceback" not in text
    if row.nature == "transient":
        assert out.returncode == 12 and "warning:" in out.stderr and row.message in out.stderr
    elif row.id == "unknown-status":  # not known to be terminal: keeps watching until --max-wait
        assert out.returncode == 12 and row.message in out.stdout
    else:
        assert out.returncode == row.get_code and row.message in text


# ---------------------------------------------------------------------------- column: the TUI


@pytest.mark.parametrize("row", ROWS, ids=IDS)
async def test_tui(row, msim):
    settings = {"max_attempts": 1}
    if "--timeout" in row.env:
        settings["read_timeout"] = float(row.env["--timeout"])
    app = make_app(msim, [row.run_id], interval=0.3, client_settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: row.run_id in app.updates and app.updates[row.run_id].run is not None, pilot=pilot)
        good = app.updates[row.run_id].run
        row.apply(msim)
        app.engine.refresh(row.run_id)
        if row.nature in ("permanent", "transient"):
            await wait_for(lambda: app.updates[row.run_id].error is not None, timeout=15, pilot=pilot)
            await pilot.pause(0.1)
            update = app.updates[row.run_id]
            assert update.run == good and update.stale  # the last good data stays, marked stale
            shown = text_of(app.main.query_one("#detail-error"))
            assert (row.tui or row.message) in shown and "stale" in shown
            assert "Finished" in text_of(app.main.query_one("#detail-badge"))
        else:
            await wait_for(
                lambda: app.updates[row.run_id].run is not None and app.updates[row.run_id].run != good,
                timeout=15,
                pilot=pilot,
            ) if row.nature == "data" else await pilot.pause(0.5)
            await pilot.pause(0.1)
            detail = "".join(text_of(w) for w in app.main.query("#detail-title, #detail-badge, #detail-timing"))
            detail += text_of(app.main.query_one(TaskBars))
            expected = row.tui or row.message
            if row.id == "counts-dont-add-up" or row.id == "negative-and-huge":
                assert expected in detail
            elif row.nature == "data":
                assert expected in detail, detail[:500]
            assert_clean(detail)
            assert_clean("".join(str(c) for c in app.main.query_one(Watchlist).cells(str(row.run_id))))
        svg = app.export_screenshot()
        assert TOKEN not in svg


# ---------------------------------------------------------------------------- column: the tasks screen

TASK_ROWS = [
    ("500", fault("status", status=500, path="/workflows/tasks"), "HTTP 500"),
    ("502-html", fault("html", status=502, path="/workflows/tasks"), "Bad Gateway"),
    ("truncated", fault("truncate", path="/workflows/tasks"), "not valid JSON"),
    ("wrong-shape", fault("body", body=b'{"data": "x"}', path="/workflows/tasks"), "not a task list"),
    ("403", fault("status", status=403, path="/workflows/tasks"), "Workflow View Access"),
]


@pytest.mark.parametrize("name, apply, message", TASK_ROWS, ids=[r[0] for r in TASK_ROWS])
async def test_tasks_screen(name, apply, message, msim):
    app = make_app(msim, [19073], client_settings={"max_attempts": 1})
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: 19073 in app.updates, pilot=pilot)
        await pilot.press("t")
        screen = app.screen
        assert isinstance(screen, TasksScreen)
        await wait_for(lambda: screen.query_one("#tasks-table").row_count == 250, pilot=pilot)
        apply(msim)
        await pilot.press("r")
        await wait_for(lambda: message in text_of(screen.query_one("#tasks-title")), timeout=15, pilot=pilot)
        title = text_of(screen.query_one("#tasks-title"))
        assert "previous list" in title and screen.query_one("#tasks-table").row_count == 250
        assert TOKEN not in title


async def test_tasks_screen_hostile_task_text(msim):
    import tui.sim.scenario as scenario

    original = scenario.RunSpec.task_json

    def hostile(self, index, age, now, state=None):
        task = original(self, index, age, now, state)
        task["name"] = "[bold]x[/] \x1b[2J wipe"
        task["error_class"] = "\x1b]52;c;ZXZpbA==\x07"
        return task

    scenario.RunSpec.task_json = hostile
    try:
        app = make_app(msim, [19066])
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(lambda: 19066 in app.updates, pilot=pilot)
            await pilot.press("t")
            table = app.screen.query_one("#tasks-table")
            await wait_for(lambda: table.row_count == 12, pilot=pilot)
            cells = "".join(str(c) for c in table.cells(table.keys[0]))
            assert "[bold]x[/]" in cells and "␛" in cells
            assert_clean(cells)
    finally:
        scenario.RunSpec.task_json = original


# ---------------------------------------------------------------------------- rows that need their own world


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("command", ["get", "watch"])
def test_connection_refused(command):
    env = cli_env(ZUORA_BASE_URL=f"http://127.0.0.1:{closed_port()}", ZUORA_BEARER_TOKEN=TOKEN)
    extra = ["--interval", "1", "--max-wait", "3"] if command == "watch" else []
    out = run_zwr(command, "19063", *extra, env=env, timeout=60)
    assert out.returncode == (10 if command == "get" else 12) and "refused" in out.stderr
    assert_clean(out.stdout + out.stderr)


@pytest.mark.parametrize("command", ["get", "watch"])
def test_dns_failure(command):
    env = cli_env(ZUORA_BASE_URL="https://zwr-matrix.invalid", ZUORA_BEARER_TOKEN=TOKEN)
    extra = ["--interval", "1", "--max-wait", "3"] if command == "watch" else []
    out = run_zwr(command, "19063", *extra, env=env, timeout=60)
    assert out.returncode == (10 if command == "get" else 12) and "resolve" in out.stderr
    assert_clean(out.stdout + out.stderr)


@pytest.fixture
def tls_sim():
    with Simulator(demo_token=TOKEN, tls=(str(DATA / "selfsigned.pem"), str(DATA / "selfsigned.key"))) as sim:
        yield sim


@pytest.mark.parametrize("command", ["get", "watch"])
def test_tls_self_signed_refused(command, tls_sim):
    extra = ["--interval", "1", "--max-wait", "3"] if command == "watch" else []
    out = run_zwr(command, "19063", *extra, env=env_for(tls_sim), timeout=60)
    assert out.returncode == (10 if command == "get" else 12) and "TLS" in out.stderr
    assert tls_sim.requests == []  # the handshake failed: no request (and no token) was ever sent
    assert_clean(out.stdout + out.stderr)


@pytest.mark.parametrize("command", ["get", "watch"])
def test_expired_token_renewed(command, msim):
    msim.add_fault("status", status=401, path="workflow_runs", times=1)
    env = env_for(msim, ZUORA_CLIENT_ID=msim.client_id, ZUORA_CLIENT_SECRET=msim.client_secret)
    del env["ZUORA_BEARER_TOKEN"]
    out = run_zwr(command, "19063", env=env, timeout=60)
    assert out.returncode == 0 and len(msim.requests_to("/oauth/token")) == 2
    assert msim.client_secret not in out.stdout + out.stderr


@pytest.mark.parametrize("command", ["get", "tasks"])
def test_redirect_and_foreign_next_page_keep_the_token_home(command, msim):
    with Simulator(demo_token=TOKEN) as other:
        if command == "get":
            msim.add_fault("redirect", location=f"{other.base_url}/workflows/workflow_runs/19063")
            out = run_zwr("get", "19063", env=env_for(msim))
            assert out.returncode == 11 and "redirect" in out.stderr
        else:
            msim.add_fault("next_page", location=other.base_url)
            out = run_zwr("tasks", "19073", env=env_for(msim))
            assert out.returncode == 0 and "250 tasks in 3 pages" in out.stdout
        assert other.requests == []


async def test_tui_survives_the_server_going_away(msim):
    app = make_app(msim, [19070], interval=0.3, client_settings={"max_attempts": 1})
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: 19070 in app.updates and app.updates[19070].run is not None, pilot=pilot)
        msim.stop()
        await wait_for(lambda: app.updates[19070].error is not None, timeout=15, pilot=pilot)
        await pilot.pause(0.1)
        assert app.updates[19070].run is not None and "refused" in text_of(app.main.query_one("#detail-error"))
        await pilot.press("a")  # and the app still answers keys
        assert app.screen.__class__.__name__ == "RunIdEntry"


@pytest.mark.parametrize("where", ["dns", "tls"])
async def test_tui_network_failures_from_the_start(where, tls_sim):
    from tui.core.auth import StaticToken
    from tui.store.connection import Connection
    from tui.ui.app import ZwrApp

    base_url = "https://zwr-matrix.invalid" if where == "dns" else tls_sim.base_url
    app = ZwrApp(
        Connection(base_url=base_url, auth=StaticToken(TOKEN), auth_source="test", profile="p"),
        run_ids=[19063],
        interval=0.3,
        bell=False,
        client_settings={"max_attempts": 1},
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: 19063 in app.updates and app.updates[19063].error is not None, pilot=pilot)
        await pilot.pause(0.1)
        shown = text_of(app.main.query_one("#detail-error"))
        assert ("resolve" if where == "dns" else "TLS") in shown
        assert app.updates[19063].error.kind == "network" and app.updates[19063].polling  # it keeps retrying
        assert TOKEN not in app.export_screenshot()
    assert tls_sim.requests == []
