"""Nothing a server sends can act on the terminal, whatever field it comes in, through any command.

A hostile Zuora (tests/hostile.py, loopback) puts terminal escapes (ESC, CSI, OSC 0/2/52), BEL,
C1 controls (8-bit CSI/OSC), bidi overrides and isolates, NUL, CR, backspace, line separators,
BOM, a lone surrogate and Rich markup into every field of runs, tasks, workflow definitions,
error bodies and headers (a header carries ESC and 8-bit C1 bytes as they are, UTF-8 bidi
characters as latin-1 mojibake: httpx decodes a header as UTF-8 only when all of it is). Every CLI command runs against it; stdout and stderr must hold no unsafe
character (``tui.core.text.UNSAFE``), no traceback, and still show the hostile text, made visible.

The rule is structural: ``tui/cli/output.py`` is the only module that writes to a stream (checked
below), and it passes every text through ``terminal_safe``; ``--json`` escapes unsafe characters
and still parses back to exactly what the server sent.
"""

from __future__ import annotations

import ast
import io
import json
import re
import sys
import unicodedata
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.hostile import Conn, HostileServer, Request
from tui.cli import output
from tui.cli.main import main
from tui.core.text import UNSAFE, json_text, printable, terminal_safe

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "sanitise-token-4f1c9a"

# every kind of thing that acts on a terminal or hides text, once each
H = (
    "\x1b]0;PWNED-TITLE\x07\x1b]2;PWNED-TITLE\x1b\\\x1b]52;c;UFdORUQ=\x07\x1b[2J\x1b[5m\x1b[8m"
    "\x9b8m\x9d0;C1-TITLE\x9c\x07\u202eevil\u202c\u2066iso\u2069\x00\r\x08\u2028\ufeff\u200b\ud800"
    "[bold red]markup[/][link=file:///etc/passwd]x[/link]"
)


def h(field: str) -> str:
    return f"<{field}>{H}"


# Zuora-Request-Id as the bytes a server sends (Conn.head writes latin-1): valid UTF-8 with bidi
# and a UTF-8 encoded C1 CSI; and raw 8-bit C1 bytes (httpx falls back to latin-1 for them)
REQUEST_ID_UTF8 = "rid-\u202e\u2066\u009b31m\u0085".encode().decode("latin-1")
REQUEST_ID_C1 = "rid-\x9b2J\x9d0;T\x9c\x85\x90"


def run_json(run_id: int, status: str) -> dict:
    return {
        "id": run_id,
        "name": h("run.name"),
        "status": status,
        "originalWorkflowId": "7",
        "type": h("type"),
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": h("updatedAt"),
        "finishedAt": h("finishedAt"),
        "runTime": h("runTime"),
        "cpuTime": h("cpuTime"),
        "messages": {h("message.key"): h("message.value"), "list": [h("message.item")]},
        "tasks": {"total": 2, "success": 0, "error": 1, "queued": h("queued"), "processing": 0, "pending": 0},
    }


def task_json(task_id: int, run_id: int, status: str, object_id: str = "OBJ-1") -> dict:
    return {
        "id": task_id,
        "name": h("task.name"),
        "status": status,
        "action_type": h("action_type"),
        "start_time": h("start_time"),
        "end_time": "2026-01-01T00:00:05Z",
        "error": h("error"),
        "error_class": h("error_class"),
        "error_details": h("error_details") + "\nsecond line " + H,
        "object": h("object"),
        "object_id": object_id,
        "task_id": h("task_id"),
        "tags": [h("tag")],
        "instance": True,
        "workflow_id": run_id,
        "original_workflow_id": 7,
        "call_type": h("call_type"),
        "data": {"Callout": {"URL": h("callout.url"), "ResponseCode": 500, "ResponseBody": h("callout.body")}},
        "parameters": {h("param.key"): h("param.value")},
    }


WORKFLOW = {
    "id": 7,
    "name": h("workflow.name"),
    "description": h("workflow.description"),
    "status": h("workflow.status"),
    "active_version": {"id": 70, "version": h("version"), "status": h("version.status")},
    "ondemandTrigger": True,
    "scheduledTrigger": True,
    "calloutTrigger": h("calloutTrigger"),
    "interval": h("interval"),
    "timezone": h("timezone"),
    "priority": h("priority"),
    "createdAt": h("workflow.createdAt"),
}

ERROR_BODIES = {  # run ID -> (status, content type, body): Zuora's error shapes and a gateway page
    3: (
        404,
        "application/json",
        {"success": False, "processId": h("processId"), "reasons": [{"code": h("code"), "message": h("reason")}]},
    ),
    4: (400, "application/json", {"Errors": [{"Code": h("Code"), "Message": h("Message")}]}),
    5: (200, "text/html", f"<html><title>{h('html.title')}</title><body>{h('html.body')}</body></html>"),
    6: (200, "application/json", {"success": False, "reasons": [{"code": 50000040, "message": h("success-false")}]}),
    7: (401, "application/json", {"message": h("401.message")}),
    9: (200, "application/json", h("not-json")),
    11: (404, "application/json", {"errors": [{"title": h("errors.title"), "code": h("errors.code"), "status": 404}]}),
}


def hostile_zuora(conn: Conn, request: Request) -> None:
    parts = urlsplit(request.path)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    segments = [s for s in parts.path.split("/") if s]
    headers = [
        ("Zuora-Request-Id", REQUEST_ID_UTF8),
        ("RateLimit-Limit", "50000;w=60\x85\u202e".encode().decode("latin-1")),
        ("RateLimit-Remaining", "1\x9b"),
        ("RateLimit-Reset", "\x9d0;T\x9c"),
    ]
    if segments[:2] == ["workflows", "workflow_runs"]:
        run_id = int(segments[2])
        if run_id == 1:
            return conn.json(200, json.dumps(run_json(1, h("status"))), headers)
        if run_id == 2:
            return conn.json(200, json.dumps(run_json(2, "Finished")), headers)
        if run_id == 8:  # an escape in a header: h11 lets it through
            return conn.json(200, json.dumps(run_json(8, "Finished")), [("Zuora-Request-Id", "rid\x1b]0;T\x07")])
        if run_id == 10 and len(conn_requests(request)) == 1:  # once: a retryable failure, then the run
            return conn.respond(
                503,
                [("Content-Type", "application/json"), ("Retry-After", "1\x9b"), ("Zuora-Request-Id", REQUEST_ID_C1)],
                json.dumps({"success": False, "reasons": [{"code": 50000060, "message": h("503.reason")}]}).encode(),
            )
        if run_id == 10:
            return conn.json(200, json.dumps(run_json(10, "Finished")), headers)
        status, kind, body = ERROR_BODIES[run_id]
        text = body if isinstance(body, str) else json.dumps(body)
        body_bytes = text.encode("utf-8", "surrogatepass")  # the lone surrogate as the bytes a server could send
        return conn.respond(status, [("Content-Type", kind), ("Zuora-Request-Id", REQUEST_ID_C1)], body_bytes)
    if segments == ["workflows", "tasks"]:
        headers = [("Zuora-Request-Id", REQUEST_ID_C1)]
        if "object_id" in query:  # zwr find
            tasks = [
                task_json(101, 1, "Error"),
                task_json(201, 2, h("task.status")),
                task_json(301, 2, "Error", "OTHER"),
            ]
            return conn.json(200, json.dumps({"data": tasks, "pagination": {"next_page": None}}), headers)
        run_id = int(query["workflow_id"])
        tasks = [task_json(run_id * 100 + 1, run_id, "Error"), task_json(run_id * 100 + 2, run_id, h("task.status"))]
        # run 1: next_page points back to page 1 (hostile text around it): the listing stops, partial
        next_page = f"https://x.example/{H}?page=1&page_length=50" if run_id == 1 else None
        body = {"data": tasks, "pagination": {"page": 1, "page_length": 50, "next_page": next_page}}
        return conn.json(200, json.dumps(body), headers)
    if segments == ["workflows", "7"]:
        return conn.json(200, json.dumps(WORKFLOW), [("Zuora-Request-Id", REQUEST_ID_C1)])
    return conn.json(404, json.dumps({"message": h("unknown path")}), [("Zuora-Request-Id", REQUEST_ID_C1)])


_SERVER: list[HostileServer] = []


def conn_requests(request: Request) -> list[Request]:
    return [r for r in _SERVER[0].requests if r.path == request.path]


@pytest.fixture(scope="module")
def zuora():
    with HostileServer(hostile_zuora) as server:
        _SERVER[:] = [server]
        yield server
    _SERVER.clear()
    assert server.errors == []  # the handler itself never failed


@pytest.fixture
def env(zuora, monkeypatch):
    monkeypatch.setenv("ZUORA_BASE_URL", zuora.base_url)
    monkeypatch.setenv("ZUORA_BEARER_TOKEN", TOKEN)
    monkeypatch.setenv("NO_COLOR", "1")
    return zuora


def assert_safe(text: str) -> None:
    bad = UNSAFE.search(text)
    assert bad is None, (
        f"unsafe {bad.group(0)!r} at {bad.start()}: {text[max(0, bad.start() - 80) : bad.start() + 40]!r}"
    )


def cli(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse's errors and --help
        code = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    assert "Traceback" not in err and code != 70, err
    assert_safe(out)
    assert_safe(err)
    assert TOKEN not in out + err
    return code, out, err


VISIBLE = "␛]0;PWNED-TITLE␇"  # the title escape, shown instead of acted on


COMMANDS = {
    "get unknown status": (["get", "1"], 0, ["<run.name>", "<status>", "<cpuTime>", "<message.value>", VISIBLE]),
    "get finished, workflow": (["get", "2"], 0, ["<workflow.name>", "<version>", "<interval>", "\\u202e"]),
    "get several, errors": (["get", "1", "2", "3", "4", "5", "6", "7", "9", "11"], 6, ["<reason>", "<html.title>"]),
    "get 401": (["get", "7"], 4, ["<401.message>"]),
    "get 200 success false": (["get", "6"], 11, ["<success-false>"]),
    "get not json": (["get", "9"], 11, []),
    "get escape in a header": (["get", "8"], 0, ["rid␛]0;T␇"]),
    "tasks": (["tasks", "2"], 0, ["<task.name>", "<action_type>", "Unknown (<task"]),
    "tasks errors": (["tasks", "2", "--errors"], 0, ["<error>", "<error_class>", "<callout.url>", "<callout.body>"]),
    "tasks partial": (["tasks", "1"], 11, ["incomplete"]),
    "report markdown": (["report", "2"], 0, ["error\\_class", "workflow.name"]),
    "report text": (["report", "2", "--format", "text"], 0, ["<error_class>", "<workflow.name>"]),
    "find": (["find", "--object-id", "OBJ-1"], 0, ["<task.name>", "<run.name>"]),
    "debug get": (["--debug", "get", "1"], 0, ["(Zuora-Request-Id rid-\\u009b2J\\u009d0;T\\u009c"]),
    "debug tasks": (["--debug", "tasks", "1"], 11, ["next_page"]),
    "watch": (["watch", "2", "--exit-status"], 1, ["<run.name>"]),
    "watch unknown status": (["watch", "1", "--max-wait", "1"], 12, ["<status>"]),
    "stop dry run": (["stop", "1", "--dry-run"], 0, ["<run.name>", "Unknown (<status>"]),
    "stop an ended run": (["stop", "2", "--allow-write", "--yes"], 13, ["<run.name>"]),
    "rerun dry run": (["rerun", "--failed", "2", "--dry-run"], 0, ["<task.name>"]),
    "rerun a task not found": (["rerun", "201", "--dry-run"], 6, ["<unknown path>"]),
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_no_hostile_character_reaches_the_terminal(env, capsys, name):
    args, code, shown = COMMANDS[name]
    got, out, err = cli(capsys, *args)
    if code is not None:
        assert got == code, err
    for needle in shown:
        assert needle in out + err, (needle, out + err)
    if name.startswith("get") and code == 0:
        assert "[bold red]markup[/]" in out  # markup is shown as the text it is


def test_watch_rides_out_a_hostile_503(env, capsys):
    code, _, err = cli(capsys, "watch", "10", "--interval", "1")
    assert code == 0 and "<503.reason>" in err and "Retrying in 1s" in err  # Retry-After "1\x9b" is not believed


@pytest.mark.parametrize(
    "args",
    [
        ["get", "1", "--json"],
        ["get", "1", "2", "3", "--json"],
        ["tasks", "2", "--json"],
        ["find", "--object-id", "OBJ-1", "--json"],
        ["report", "2", "--format", "json"],
    ],
)
def test_json_is_escaped_and_parses_back_to_what_the_server_sent(env, capsys, args):
    _, out, _ = cli(capsys, *args)
    document = json.loads(out)
    text = json.dumps(document)
    assert "PWNED-TITLE" in text
    if args[:2] == ["get", "1"] and len(args) == 3:
        assert document == run_json(1, h("status"))  # exactly Zuora's run object
    if args[0] == "tasks":
        assert document == [task_json(201, 2, "Error"), task_json(202, 2, h("task.status"))]


class FakeTerminal(io.StringIO):
    """A stream that says it is a terminal (colour and watch's live line are on)."""

    encoding = "utf-8"

    def isatty(self) -> bool:
        return True


OUR_CODES = re.compile(r"\x1b\[(?:[0-9;]+m|K)")


@pytest.mark.parametrize("args", [["get", "1"], ["get", "3"], ["watch", "2"], ["get", "1", "--json"]])
def test_on_a_terminal_only_our_own_colour_codes_are_written(env, monkeypatch, args):
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "xterm")
    stdout, stderr = FakeTerminal(), FakeTerminal()
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(sys, "stderr", stderr)
    main(args)
    for text in (stdout.getvalue(), stderr.getvalue()):
        ours = OUR_CODES.sub("", text).replace("\r", "", 1 if args[0] == "watch" else 0)
        assert_safe(ours.replace("\r", "") if args[0] == "watch" else ours)
        assert "\x1b[5m" not in text and "\x1b[8m" not in text  # the server's own SGR codes
    if args == ["get", "1"]:
        assert "\x1b[" in stdout.getvalue()  # colour is on: the marks became SGR codes
        assert output._NONCE not in stdout.getvalue()


def test_local_files_and_environment_are_shown_safely(env, capsys, isolated_env, monkeypatch):
    """Not server text, but output all the same: a bookmark label, a config file, an env value."""
    data = isolated_env / "data"
    data.mkdir()
    label = h("label")
    (data / "bookmarks-default.json").write_text(
        json.dumps({"version": 1, "bookmarks": [{"run_id": 5, "label": label, "note": h("note")}]})
    )
    config = isolated_env / "config"
    config.mkdir()
    (config / "config.toml").write_text("# a comment \x1b]0;T\x07\n[ui]\nbell = true\n", "utf-8")
    monkeypatch.setenv("ZUORA_ENTITY_IDS", "E1\x1b]0;T\x07\u202e")
    audit = isolated_env / "data" / "audit.jsonl"
    hostile_entry = {k: h(k) for k in ("time", "profile", "host", "user", "action", "result", "message", "request_id")}
    line = json.dumps(hostile_entry | {"run_id": h("run_id"), "status": h("status")}) + "\n" + H + "\n"
    audit.write_bytes(line.encode("utf-8", "surrogatepass"))
    for args in (
        ["log"],
        ["log", "--json"],
        ["bookmarks", "list"],
        ["bookmarks", "list", "--json"],
        ["bookmarks", "export"],
        ["config", "show"],
        ["auth", "status"],
        ["auth", "status", "--json"],
    ):
        code, _, err = cli(capsys, *args)
        assert code == 0, err
    assert json.loads(cli(capsys, "bookmarks", "export")[1])["bookmarks"][0]["label"] == label


def test_typed_input_is_echoed_safely(env, capsys):
    """argparse's errors quote what was typed; they go through the door too."""
    for args in (
        ["get", "19063\x1b]0;T\x07"],
        ["--bogus\x1b]0;T\x07"],
        ["gte\x9b2J"],
        ["watch", "1", "--interval", "\x1b[2J"],
    ):
        code, _, err = cli(capsys, *args)
        assert code == 2, err


# ----------------------------------------------------------------------------- the door is the only door


def _stream_writes(tree: ast.AST) -> list[int]:
    """Lines that write to a stream without going through tui/cli/output.py."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "print":
                found.append(node.lineno)
            if isinstance(func, ast.Attribute) and func.attr in ("write", "writelines"):
                target = ast.unparse(func.value)
                if re.fullmatch(r"sys\.(__)?(stdout|stderr)(__)?(\.buffer)?", target):
                    found.append(node.lineno)
            if ast.unparse(func) == "os.write" and ast.unparse(node.args[0]) in ("1", "2"):
                found.append(node.lineno)
    return found


def test_output_py_is_the_only_module_that_writes_to_a_stream():
    offenders = {}
    for path in sorted((ROOT / "tui").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative == "tui/cli/output.py" or relative.startswith(("tui/ui/", "tui/sim/")):
            continue  # the TUI paints through Textual; the simulator is a server
        lines = _stream_writes(ast.parse(path.read_text("utf-8")))
        if lines:
            offenders[relative] = lines
    assert offenders == {}


# ----------------------------------------------------------------------------- the sanitiser itself


def test_unsafe_is_every_control_format_surrogate_and_separator_character():
    """``UNSAFE`` matches exactly Unicode's Cc, Cf, Cs, Zl and Zp categories (this Python's
    Unicode database), less TAB, LF, ZWNJ and ZWJ; a newer Unicode that adds a format
    character fails here until the class is extended."""
    allowed = {"\t", "\n", "\u200c", "\u200d"}
    categories = {"Cc", "Cf", "Cs", "Zl", "Zp"}
    missing, extra = [], []
    for code in range(0x110000):
        ch = chr(code)
        wanted = unicodedata.category(ch) in categories and ch not in allowed
        matched = UNSAFE.match(ch) is not None
        if wanted and not matched:
            missing.append(hex(code))
        elif matched and not wanted and not 0x13430 <= code <= 0x1343F:  # Unicode 15's hieroglyph controls
            extra.append(hex(code))
    assert missing == [] and extra == []


def test_printable_keeps_one_line_and_caps():
    assert printable("a\nb\r\nc\td") == "a b c d"
    assert printable("x" * 10, 4) == "xxxx… (+6 chars)"
    assert printable("a\nb\x1b", keep_newlines=True) == "a\nb␛"
    assert printable(None) == ""
    assert printable("\ud800\U000e0041\u202e") == "\\ud800\\U000e0041\\u202e"
    assert printable("日本 café 👨\u200d👩") == "日本 café 👨\u200d👩"  # readable text stays readable


text_with_hostile = st.text(alphabet=st.characters(codec=None) | st.sampled_from(list(H)), max_size=60)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | text_with_hostile,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text_with_hostile, children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(text_with_hostile)
def test_every_door_leaves_nothing_unsafe(text):
    assert UNSAFE.search(printable(text, 1000)) is None
    assert UNSAFE.search(printable(text, 1000, keep_newlines=True)) is None
    safe = terminal_safe(text)
    assert UNSAFE.search(safe) is None and terminal_safe(safe) == safe  # idempotent
    assert output.render(text) == safe  # without our marks the door is terminal_safe
    safe.encode("utf-8")  # never a lone surrogate: writing it cannot fail


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_json_text_is_safe_and_round_trips(value):
    for ascii_only in (False, True):
        text = json_text(value, ascii_only=ascii_only)
        assert UNSAFE.search(text.replace("\n", "")) is None
        assert json.loads(text) == value
        text.encode("utf-8")


def test_painter_marks_cannot_be_forged():
    paint = output.Painter(io.StringIO(), enabled=True)
    marked = paint("ok", "ok")
    assert output.render(marked) == "\x1b[32mok\x1b[0m"
    forged = "\x00" + "0" * 16 + "31\x00"  # a guess at the nonce: shown, not obeyed
    assert output.render(forged + marked) == "␀" + "0" * 16 + "31␀\x1b[32mok\x1b[0m"
