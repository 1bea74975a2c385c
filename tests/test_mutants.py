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
from tui.core import errors as E
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


# ----------------------------------------------------------------------------- small pieces mutmut found unpinned


def test_task_fractions():
    from tui.core.model import TaskCounts

    counts = TaskCounts(total=8, success=4, error=2, pending=1)
    assert [counts.fraction(n) for n in ("success", "error", "pending", "queued")] == [0.5, 0.25, 0.125, 0.0]
    assert TaskCounts(total=0).fraction("success") == 0.0  # no division by zero


def test_too_large_names_the_limit_in_megabytes():
    from tui.core.body import BodyReader

    reader = BodyReader([], None, limit=3 * 1024 * 1024, max_layers=2)
    reader._too_large()
    assert (
        reader.error is not None and reader.error.message == "Zuora's response is larger than the 3 MB limit; not read."
    )


@pytest.mark.parametrize(
    "page, text",
    [
        ("<html><title>Bad gateway</title></html>", "Bad gateway"),
        ("<html><title >Bad\n   gateway</title><h1>x</h1></html>", "Bad gateway"),
        ("<title>unclosed", "unclosed"),  # no </title>: the text of the page
        ("<titlex", "<titlex"),  # "<title" with no ">" after it: an unclosed "<", kept as text
        ("a <b>bold</b> c", "a bold c"),
        ("a < b", "a < b"),  # an unclosed "<" is text
        ("</title> before <title>late</title>", "late"),
    ],
)
def test_html_text(page, text):
    from tui.core.errors import html_text

    assert html_text(page) == text


def test_error_to_dict_is_the_documented_shape():
    from tui.core import errors as E

    error = E.NotFound("gone", status=404, request_id="rid", zuora_text="said", retry_after=2.0)
    assert error.to_dict() == {
        "kind": "not_found",
        "message": "gone",
        "status": 404,
        "zuora_text": "said",
        "request_id": "rid",
        "retry_after": 2.0,
        "exit_code": 6,
    }


def test_task_query_cleans_and_checks_its_filters():
    from tui.core.search import MAX_FILTER, TaskQuery

    query = TaskQuery(object_id="  8a80  ", object=" ", action_type=None, name="n", tags=(" a ", "", "b"))
    assert (query.object_id, query.object, query.name, query.tags) == ("8a80", None, "n", ("a", "b"))
    assert query.to_dict() == {
        "object_id": "8a80",
        "object": None,
        "action_type": None,
        "name": "n",
        "tags": ["a", "b"],
    }
    assert query.params() == {"instance": "true", "object_id": "8a80", "name": "n", "tags[]": ["a", "b"]}
    assert query.describe() == "object ID 8a80, name n, tag a or b"
    assert TaskQuery(object=" ").empty and not TaskQuery(tags=("x",)).empty
    for bad in ({"object_id": "x" * (MAX_FILTER + 1)}, {"name": "a\x1bb"}, {"action_type": "a\x7f"}):
        with pytest.raises(ValueError, match="printable"):
            TaskQuery(**bad)
    for bad_tag in ("x" * (MAX_FILTER + 1), "a\nb"):
        with pytest.raises(ValueError, match="--tag"):
            TaskQuery(tags=(bad_tag,))
    assert TaskQuery(object_id="x" * MAX_FILTER).object_id == "x" * MAX_FILTER  # the limit itself is allowed


def test_task_query_matches_only_what_was_asked():
    from tui.core.model import Task
    from tui.core.search import TaskQuery

    task = Task.parse({"id": 1, "object_id": "A", "object": "Invoice", "action_type": "Callout", "tags": ["t1"]})
    assert TaskQuery(object_id="A", object="invoice", action_type="CALLOUT", tags=("t1", "zz")).matches(task)
    assert not TaskQuery(object_id="B").matches(task)
    assert not TaskQuery(object="Account").matches(task)
    assert not TaskQuery(action_type="If").matches(task)
    assert not TaskQuery(tags=("t2",)).matches(task)
    assert not TaskQuery(object_id="A").matches(Task.parse({"id": 1, "object_id": "A", "instance": False}))
    assert TaskQuery(object_id="A").matches(Task.parse({"id": 1, "object_id": "A", "instance": True}))


def test_search_groups_by_run_failed_first_then_newest_then_no_run():
    from tui.core.model import Task
    from tui.core.search import TaskQuery, TaskSearch

    def task(i, run, status="Success"):
        return Task.parse({"id": i, "workflow_id": run, "status": status})

    tasks = (task(1, 10), task(2, None), task(3, 30), task(4, 20, "Error"), task(5, 10))
    search = TaskSearch(TaskQuery(object_id="x"), tasks, 1, None)
    assert [(run, [t.id for t in ts]) for run, ts in search.by_run()] == [
        (20, [4]),
        (30, [3]),
        (10, [1, 5]),
        (None, [2]),
    ]
    assert search.complete and not TaskSearch(TaskQuery(object_id="x"), (), 1, None, partial="why").complete


def test_secret_equality_hash_fingerprint():
    from tui.core.secret import Secret

    a, b, c = Secret("s3cret-value"), Secret("s3cret-value"), Secret("other-value")
    assert a == b and a != c and a != "s3cret-value"
    assert hash(a) == hash(b) and len({a, b, c}) == 2
    assert a.fingerprint() == b.fingerprint() != c.fingerprint() and a.fingerprint().startswith("sha256:")
    assert len(a.fingerprint()) == len("sha256:") + 8 and "s3cret" not in a.fingerprint()
    assert f"{a:>20}" == "Secret('****')" and Secret(a).reveal() == "s3cret-value"
    with pytest.raises(TypeError):
        __import__("pickle").dumps(a)


def test_lazy_module_imports_on_first_use_only():
    import sys

    from tui.core.lazy import LazyModule, lazy_module

    assert lazy_module("json") is sys.modules["json"]  # already imported: the module itself
    name = "colorsys"  # small, stdlib, not imported by zwr
    sys.modules.pop(name, None)
    lazy = lazy_module(name)
    assert isinstance(lazy, LazyModule) and repr(lazy) == "LazyModule('colorsys', loaded=False)"
    assert name not in sys.modules
    assert lazy.rgb_to_hsv(1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)
    assert repr(lazy) == "LazyModule('colorsys', loaded=True)" and name in sys.modules
    assert lazy.hsv_to_rgb is sys.modules[name].hsv_to_rgb


def test_idempotency_keys_are_fresh_and_valid():
    from tui.core.headers import new_idempotency_key, validate_idempotency_key

    keys = {new_idempotency_key() for _ in range(50)}
    assert len(keys) == 50 and all(k.startswith("zwr-") and len(k) == 36 for k in keys)
    assert all(validate_idempotency_key(k) == k for k in keys)


def test_credentials_that_cannot_be_renewed_say_so():
    from tui.core.auth import AuthProvider, StaticToken
    from tui.core.errors import AuthError

    token = StaticToken("tok-abcdef-123")
    assert not token.renewable
    for call in (token.token_form, lambda: token.accept(None)):
        with pytest.raises(AuthError, match="cannot be renewed"):
            call()
    assert "tok-abcdef" not in repr(token)
    with pytest.raises(NotImplementedError):
        AuthProvider().cached()


# ----------------------------------------------------------------------------- the deadline wrappers: TLS and the rest
# Loopback tests never use TLS or unix sockets, but Zuora is https: the wrappers must pass every
# call through with its timeout clamped to the attempt deadline, and wrap what they return.


class _Inner:
    """A fake httpcore stream/backend: records each call and returns itself as the new stream."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        def call(*args):
            self.calls.append((name, args))
            return self if name in ("start_tls", "connect_unix_socket", "connect_tcp") else f"{name}-result"

        return call


class _AsyncInner(_Inner):
    def __getattr__(self, name):
        sync = super().__getattr__(name)

        async def call(*args):
            return sync(*args)

        return call if name != "get_extra_info" else sync


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
async def test_transport_wrappers_pass_through_with_the_deadline(asynchronous):
    import time

    import httpcore

    from tui.core import deadline, transport

    inner = _AsyncInner() if asynchronous else _Inner()
    backend = (transport._AsyncBackend if asynchronous else transport._Backend)(inner)
    wrapped = transport._AsyncStream if asynchronous else transport._Stream

    async def run(value):
        return await value if asynchronous else value

    mark = deadline.attempt.set(time.monotonic() + 5)
    try:
        stream = await run(backend.connect_unix_socket("/sock", 60, ["opt"]))
        assert isinstance(stream, wrapped)
        name, (path, timeout, options) = inner.calls[-1]
        assert (name, path, options) == ("connect_unix_socket", "/sock", ["opt"]) and 0 < timeout <= 5
        tls = await run(stream.start_tls("ctx", "rest.zuora.com", 60))
        assert isinstance(tls, wrapped)
        name, (context, host, timeout) = inner.calls[-1]
        assert (name, context, host) == ("start_tls", "ctx", "rest.zuora.com") and 0 < timeout <= 5
        assert tls.get_extra_info("ssl_object") == "get_extra_info-result"
        assert await run(backend.sleep(0.5)) is None and inner.calls[-1] == ("sleep", (0.5,))
        await run(stream.start_tls("ctx", None, 1))
        assert inner.calls[-1][1][2] == 1  # a shorter timeout than the time left is kept
    finally:
        deadline.attempt.reset(mark)
    await run(stream.start_tls("ctx", "h", None))
    assert inner.calls[-1][1][2] is None  # no attempt deadline: nothing clamped
    mark = deadline.attempt.set(time.monotonic() - 1)  # the deadline has passed
    try:
        with pytest.raises(httpcore.ConnectTimeout):
            await run(stream.start_tls("ctx", "h", 60))
        with pytest.raises(httpcore.ConnectTimeout):
            await run(backend.connect_unix_socket("/sock", 60))
    finally:
        deadline.attempt.reset(mark)


# ----------------------------------------------------------------------------- client errors keep Zuora's facts


def _zuora_facts(conn: Conn, request: Request) -> None:
    path = request.path.split("?")[0]
    rid = [("Zuora-Request-Id", "rid-" + path.rsplit("/", 1)[-1])]
    reason = {"success": False, "processId": "P1", "reasons": [{"code": 50000040, "message": "zuora says " + path}]}
    if path in ("/workflows/403", "/workflows/404"):
        return conn.respond(int(path[-3:]), [("Content-Type", "application/json"), *rid], json.dumps(reason).encode())
    if path in ("/workflows/5", "/workflows/tasks/5", "/workflows/tasks"):
        return conn.json(200, "[]", rid)  # JSON, but not the object asked for
    if path.startswith("/workflows/tasks/"):
        return conn.json(200, json.dumps({"id": int(path.rsplit("/", 1)[-1]), "status": "Success"}), rid)
    return conn.json(200, json.dumps({"id": int(path.rsplit("/", 1)[-1]), "name": "wf"}), rid)


async def test_client_errors_keep_zuoras_status_request_id_and_text():
    from tui.core import errors as E
    from tui.core.auth import StaticToken
    from tui.core.client import ClientSettings, ZuoraClient
    from tui.core.search import TaskQuery

    with HostileServer(_zuora_facts) as server:
        async with ZuoraClient(ClientSettings(server.base_url, max_attempts=1), StaticToken("tok-123456")) as client:
            for status, kind, says in ((403, E.PermissionDenied, "Workflow View Access"), (404, E.NotFound, "deleted")):
                with pytest.raises(kind) as caught:
                    await client.get_workflow(status)
                error = caught.value
                assert (error.status, error.request_id) == (status, f"rid-{status}"), error.to_dict()
                assert error.zuora_text == f"zuora says /workflows/{status}" and says in error.message
                assert f"workflow {status}" in error.message.lower()
            with pytest.raises(E.BadResponse) as caught:
                await client.get_workflow("5")
            assert caught.value.message.startswith("Workflow 5: the response is not a workflow definition")
            assert (caught.value.status, caught.value.request_id) == (200, "rid-5")
            for bad in (0, -1, True, "x", None):
                with pytest.raises(E.BadInput, match="Workflow ID must be a positive integer"):
                    await client.get_workflow(bad)
            result = await client.get_workflow("1")  # a string ID, as Zuora documents it
            assert result.workflow.id == 1 and result.meta.attempts == 1 and result.meta.request_id == "rid-1"
            with pytest.raises(E.BadResponse) as caught:
                await client.get_task(5)
            assert caught.value.message == "Task 5: the response is not a task object."
            assert caught.value.request_id == "rid-5"
            for bad in (0, -1, True, "1"):
                with pytest.raises(E.BadInput, match="Task ID must be a positive integer"):
                    await client.get_task(bad)
            assert (await client.get_task(1)).id == 1
            with pytest.raises(E.BadResponse) as caught:
                await client.find_tasks(TaskQuery(object_id="x"))
            assert caught.value.message == "Task search: the response is not a task list."
            assert (caught.value.status, caught.value.request_id) == (200, "rid-tasks")
            with pytest.raises(E.BadInput, match="at least one filter"):
                await client.find_tasks(TaskQuery())
        assert server.errors == []


def _two_pages(conn: Conn, request: Request) -> None:
    page = int(request.path.split("page=")[1].split("&")[0])
    tasks = [{"id": page * 10 + i, "workflow_id": 7, "object_id": "A", "instance": True} for i in range(2)]
    following = f"/workflows/tasks?page={page + 1}&page_length=2" if page == 1 else None
    conn.json(
        200, json.dumps({"data": tasks, "pagination": {"next_page": following}}), [("Zuora-Request-Id", f"p{page}")]
    )


async def test_a_search_reports_each_page_and_the_first_pages_request_id():
    from tui.core.auth import StaticToken
    from tui.core.client import ClientSettings, ZuoraClient
    from tui.core.search import TaskQuery

    pages = []
    with HostileServer(_two_pages) as server:
        async with ZuoraClient(ClientSettings(server.base_url), StaticToken("tok-123456")) as client:
            search = await client.find_tasks(TaskQuery(object_id="A"), on_page=lambda p, n: pages.append((p, n)))
    assert pages == [(1, 2), (2, 2)] and search.pages == 2 and [t.id for t in search.tasks] == [10, 11, 20, 21]
    assert search.meta.request_id == "p1" and search.meta.attempts == 1 and search.complete
    assert "instance=true" in server.requests[0].path and "object_id=A" in server.requests[0].path


def test_since_update_is_never_negative_and_counts_from_now():
    from datetime import UTC, datetime, timedelta

    from tui.core.model import Run

    run = Run.parse({"id": 1, "status": "Processing", "updatedAt": "2026-01-01T00:00:00Z"})
    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert run.since_update(at + timedelta(seconds=90)) == 90.0
    assert run.since_update(at) == 0.0 and run.since_update(at - timedelta(hours=1)) == 0.0  # clock skew
    assert run.since_update() > 0  # now: long after 2026-01-01
    assert Run.parse({"id": 1}).since_update(at) is None


def test_workflow_anomalies_name_what_is_odd():
    from tui.core.model import Workflow

    odd = Workflow.parse({"active_version": "4.2", "ondemandTrigger": "yes", "createdAt": "someday"})
    assert odd.anomalies == (
        "id missing or not a number",
        "active_version has an unexpected type (str)",
        "ondemandTrigger is not true or false ('yes')",
        "createdAt is not a timestamp ('someday')",
    )
    assert Workflow.parse({"id": 1, "active_version": {"version": "1"}}).anomalies == ()
    with pytest.raises(ValueError, match="expected a JSON object for the workflow, got list"):
        Workflow.parse([])


@pytest.mark.parametrize(
    "listed, total, left_out, text",
    [
        (3, None, 0, "3 tasks"),
        (3, 3, 0, "3 tasks"),
        (1, 1, 0, "1 task"),
        (3, 4, 0, "3 of 4 tasks"),
        (1200, 1500, 2, "1,200 of 1,500 tasks (2 tasks of another run left out)"),
        (2, None, 1, "2 tasks (1 task of another run left out)"),
    ],
)
def test_tasks_listed(listed, total, left_out, text):
    from tui.core.present import tasks_listed

    assert tasks_listed(listed, total, left_out) == text


def test_get_runs_of_several_runs_uses_daemon_workers_and_raises_a_crash_in_the_caller(monkeypatch):
    import threading

    from tui.core.auth import StaticToken
    from tui.core.blocking import BlockingClient
    from tui.core.client import ClientSettings
    from tui.core.errors import NotFound

    seen = []

    def fake_get_run(self, run_id):
        thread = threading.current_thread()
        seen.append((run_id, thread.name, thread.daemon))
        if run_id == 3:
            raise NotFound("no such run")
        if run_id == 4:
            raise RuntimeError("a bug in a worker")
        return f"run {run_id}"

    monkeypatch.setattr(BlockingClient, "get_run", fake_get_run)
    with BlockingClient(ClientSettings("http://127.0.0.1:9"), StaticToken("tok-123456")) as client:
        results = client.get_runs([1, 2, 3])
        assert results[:2] == ["run 1", "run 2"] and isinstance(results[2], NotFound)  # in order, errors kept
        assert {(name, daemon) for _, name, daemon in seen} == {("zwr-get", True)}  # Ctrl-C never waits for them
        with pytest.raises(RuntimeError, match="a bug in a worker"):
            client.get_runs([1, 4, 2])
        seen.clear()
        assert client.get_runs([1]) == ["run 1"] and seen[0][1] == threading.current_thread().name  # one: no thread
        assert client.get_runs([]) == []
        seen.clear()
        assert client.get_runs([5, 6]) == ["run 5", "run 6"] and {name for _, name, _ in seen} == {"zwr-get"}


def test_every_workflow_field_is_read():
    from datetime import UTC, datetime

    from tui.core.model import Workflow

    data = {
        "id": 19040, "name": "Nightly", "description": "sends invoices", "status": "Active",
        "active_version": {"id": 7, "version": "4.2.0", "status": "Active"},
        "ondemandTrigger": True, "scheduledTrigger": "false", "calloutTrigger": False,
        "interval": "0 3 * * *", "timezone": "Europe/Berlin", "priority": "High",
        "createdAt": "2026-01-02T03:04:05Z", "updatedAt": "2026-02-03 04:05:06 UTC",
    }  # fmt: skip
    workflow = Workflow.parse(data)
    assert (workflow.id, workflow.name, workflow.description, workflow.status) == (
        19040,
        "Nightly",
        "sends invoices",
        "Active",
    )
    assert (workflow.version, workflow.version_id, workflow.version_status) == ("4.2.0", 7, "Active")
    assert (workflow.ondemand, workflow.scheduled, workflow.callout) == (True, False, False)
    assert (workflow.interval, workflow.timezone, workflow.priority) == ("0 3 * * *", "Europe/Berlin", "High")
    assert workflow.created_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert workflow.updated_at == datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert workflow.raw is data and workflow.anomalies == () and workflow.triggers == ("on demand",)
    assert workflow.schedule == "0 3 * * * (Europe/Berlin)"
    assert Workflow.parse({"id": 1, "description": ""}).description is None  # empty is no description


def test_fmt_local_falls_back_to_utc_at_the_edge_of_the_calendar(monkeypatch):
    import time
    from datetime import UTC, datetime

    from tui.core.present import fmt_local, fmt_utc

    monkeypatch.setenv("TZ", "Etc/GMT+12")
    time.tzset()
    try:
        edge = datetime.min.replace(tzinfo=UTC)
        assert fmt_local(edge) == fmt_utc(edge) != "—"  # local year 0 would overflow: UTC is shown
        assert fmt_local(datetime(2026, 1, 1, 12, tzinfo=UTC)) == "2026-01-01 00:00:00 -12"
    finally:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()


def test_transport_errors_name_the_host():
    import httpx

    from tui.core.transport import describe_transport_error, failure

    refused = httpx.ConnectError("[Errno 111] Connection refused")
    assert describe_transport_error(refused, "https://rest.zuora.com").message == (
        "Connection refused by rest.zuora.com: nothing is listening there."
    )
    assert "by not-a-url:" in describe_transport_error(refused, "not-a-url").message  # no host: the URL itself
    lost = failure(refused, "https://rest.eu.zuora.com", 5.0)
    assert "rest.eu.zuora.com" in lost.error.message and lost.sent is False
    timeout = failure(httpx.ReadTimeout("slow"), "https://rest.zuora.com", 5.0)
    assert (
        timeout.error.message == "Timed out waiting for an answer from rest.zuora.com (no complete answer within 5s)."
    )
    assert timeout.sent is True


# ----------------------------------------------------------------------------- run IDs: the exact messages


@pytest.mark.parametrize(
    "text, message",
    [
        (None, "Enter a run ID, e.g. 19063."),
        ("   ", "Enter a run ID, e.g. 19063."),
        ("1" * 10_001, "That input is too long to contain run IDs (over 10,000 characters)."),
        ("19063abc", "'19063abc' is not a run ID: a run ID is a number such as 19063 (or a link that contains /workflow_runs/19063)."),
        ("x1" * 30, f"'{'x1' * 20}…' is not a run ID: a run ID is a number such as 19063 (or a link that contains /workflow_runs/19063)."),
        ("a" * 39 + "1", f"'{'a' * 39}1' is not a run ID: a run ID is a number such as 19063 (or a link that contains /workflow_runs/19063)."),
        ("wf-19027-00000032", "WF-19027-00000032 is a run number (the run's name), not a run ID. Zuora's API looks runs up by their numeric ID, e.g. 19063: open the run in the Zuora UI and copy the ID from its URL."),
        (str(2**63), f"'{2**63}' is not a valid run ID: it must be a positive whole number."),
        ("0", "'0' is not a valid run ID: it must be a positive whole number."),
        ("nothing here", "No run ID found in 'nothing here': a run ID is a number such as 19063."),
        ("https://x.zuora.com/a", "That URL does not contain a workflow run ID: expected a link like https://rest.zuora.com/workflows/workflow_runs/19063."),
        ("https://x.zuora.com/workflows/workflow_runs/0", "'https://x.zuora.com/workflows/workflow_runs/0' is not a valid run ID: it must be a positive whole number."),
        ("https://x.zuora.com/a?runId=0", "'https://x.zuora.com/a?runId=0' is not a valid run ID: it must be a positive whole number."),
    ],
)  # fmt: skip
def test_run_id_messages(text, message):
    with pytest.raises(BadInput) as caught:
        parse_run_ids(text)
    assert caught.value.message == message


def test_run_id_edges_that_are_accepted():
    from tui.core.runid import MAX_ID, parse_run_id

    assert parse_run_ids(str(MAX_ID)) == [MAX_ID]
    assert parse_run_ids("1 " * 4999 + "22") == [1, 22]  # exactly 10,000 characters: not too long
    assert parse_run_ids(",19063") == [19063] and parse_run_ids("() 19063 ()") == [19063]  # empty tokens skipped
    with pytest.raises(BadInput) as caught:
        parse_run_id("1 2 3 4 5 6")
    assert caught.value.message == "Expected one run ID but found 6 (1, 2, 3, 4, 5)."


def test_fan_out_asks_for_pages_two_to_n_only_after_a_full_first_page():
    from tui.core.pagination import PAGE_SLACK, PageRequest, TaskPager

    pager = TaskPager(1, expected_total=250)
    assert pager.fan_out(100, "next") == [PageRequest(2, 100), PageRequest(3, 100)]
    assert pager.fan_out(100, None) == []  # Zuora says there is no next page
    assert pager.fan_out(50, "next") == []  # a short first page: follow next_page instead
    assert TaskPager(1, expected_total=100).fan_out(100, "next") == []  # one page holds it all
    assert TaskPager(1).fan_out(100, "next") == []  # total unknown
    huge = TaskPager(1, expected_total=10**6).fan_out(100, "next")
    assert huge[-1].page == TaskPager(1, expected_total=10**6).max_pages - PAGE_SLACK  # bounded by the page cap


def test_small_predicates():
    from datetime import UTC, datetime, timedelta

    from tui.core.model import Run
    from tui.core.present import STUCK_AFTER, is_stuck
    from tui.core.secret import Secret

    assert not Secret("") and Secret("x")
    run = Run.parse({"id": 1, "status": "Processing", "updatedAt": "2026-01-01T00:00:00Z"})
    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert is_stuck(run, at + timedelta(seconds=STUCK_AFTER)) and not is_stuck(
        run, at + timedelta(seconds=STUCK_AFTER - 1)
    )


# ----------------------------------------------------------------------------- the poll engine and settling runs


async def test_the_engine_keeps_polling_a_settling_run_at_the_settling_interval():
    """Mutant: ``_delay_after_success`` returning None for SETTLING as for DONE: a run Finished
    with tasks still pending would never be polled again and its pending count would freeze."""
    from tests.test_poll import VirtualTime, client_for, until
    from tui.poll.engine import PollEngine
    from tui.sim import RunSpec, Scenario, Simulator

    settling = RunSpec(
        800, "WF-1-800", 10, created_ago=3600, queued_for=0, duration=60, pending_final=2, settle_after=10**6
    )
    with Simulator(Scenario([settling])) as sim:
        updates = []
        vt = VirtualTime()
        async with client_for(sim) as client:
            engine = PollEngine(
                client, updates.append, interval=5.0, settling_interval=30.0, clock=vt.clock, sleep=vt.sleep
            )
            engine.watch(800)
            await until(lambda: engine.polls == 1 and vt.sleeping == 1)
            assert 27 <= vt.delays[-1] <= 33  # max(interval, settling interval), ±10% jitter
            for n in range(2):
                await vt.advance(40)
                await until(lambda n=n: engine.polls == 2 + n and vt.sleeping == 1)
            await engine.aclose()
    assert len(sim.requests_to("/workflow_runs/800")) == 3
    assert all(u.polling for u in updates if u.run is not None)


# ----------------------------------------------------------------------------- the poll engine, in-process
# The cadence tests in test_poll.py run the engine against the simulator; these pin the arithmetic
# of each decision (jitter, focus, the rate-limit stretch, the budget gate, the interval floor)
# with a recording random source and a client whose rate-limit state the test sets.


class _Rng:
    """``uniform(a, b)`` returns ``a + (b - a) * at`` and records ``(a, b)``."""

    def __init__(self, at: float = 1.0) -> None:
        self.at = at
        self.calls: list[tuple[float, float]] = []

    def uniform(self, a: float, b: float) -> float:
        self.calls.append((a, b))
        return a + (b - a) * self.at


def _offline_client():
    from tui.core.auth import StaticToken
    from tui.core.client import ClientSettings, ZuoraClient

    return ZuoraClient(ClientSettings("http://127.0.0.1:9", max_attempts=1), StaticToken("tok-123456"))


def _budget(limit, remaining, reset, window=None):
    import time

    from tui.core.ratelimit import RateLimit

    return RateLimit(limit=limit, remaining=remaining, reset=reset, observed_at=time.monotonic(), window=window)


def _run(status="Processing", pending=0):
    from tui.core.model import Run

    tasks = {"total": 2 + pending, "success": 2, "pending": pending, "error": 0, "queued": 0, "processing": 0}
    return Run.parse({"id": 1, "status": status, "tasks": {**tasks, "stopped": 0}})


async def test_stretch_jitters_scales_for_focus_floors_and_caps():
    from tui.poll.engine import PollEngine

    async with _offline_client() as client:
        rng = _Rng(at=1.0)
        engine = PollEngine(client, lambda u: None, rng=rng, max_backoff=300.0, unfocused_factor=3.0)
        assert engine._stretch(10.0) == pytest.approx(11.0) and rng.calls == [(-0.1, 0.1)]  # +10%
        rng.at = 0.0
        assert engine._stretch(10.0) == pytest.approx(9.0)  # -10%
        assert engine._stretch(0.5) == 1.0  # never under MIN_INTERVAL, whatever the jitter
        assert engine._stretch(10_000.0) == 900.0  # capped at max_backoff x unfocused_factor
        engine.set_focus(False)
        assert not engine.focused and engine._stretch(10.0) == pytest.approx(27.0)  # x3 while unfocused
        engine.set_focus(True)
        assert engine.focused and engine._stretch(10.0) == pytest.approx(9.0)
        assert engine.frugal is False


async def test_stretch_spreads_a_low_budget_over_the_window():
    from tui.poll.engine import PollEngine

    async with _offline_client() as client:
        engine = PollEngine(client, lambda u: None, rng=_Rng(at=0.5), max_backoff=300.0)
        client.rate_limit = _budget(100, 10, 60.0)  # exactly 10% left: not yet frugal
        assert engine._stretch(5.0) == pytest.approx(5.0) and not engine.frugal
        client.rate_limit = _budget(100, 5, 60.0)  # 5 requests for 60 s, one run: one every 12 s
        assert engine._stretch(5.0) == pytest.approx(12.0) and engine.frugal
        client.rate_limit = _budget(100, 9, 60.0)
        assert engine._stretch(5.0) == pytest.approx(60.0 / 9)
        client.rate_limit = _budget(100, 0, 60.0)  # nothing left: wait for the reset
        assert engine._stretch(5.0) == pytest.approx(60.0)
        client.rate_limit = _budget(100, 5, None)  # no reset known: a minute
        assert engine._stretch(5.0) == pytest.approx(12.0)
        client.rate_limit = _budget(100, 1, 3000.0)  # a reset beyond max_backoff waits max_backoff
        assert engine._stretch(5.0) == pytest.approx(300.0)
        client.rate_limit = _budget(100, 50, 60.0)  # plenty again
        assert engine._stretch(5.0) == pytest.approx(5.0) and not engine.frugal


async def test_budget_gate_waits_for_the_reset_only_when_the_budget_is_spent():
    from tui.poll.engine import PollEngine

    async with _offline_client() as client:
        sleeps: list[float] = []

        async def sleep(seconds):
            sleeps.append(seconds)

        rng = _Rng(at=0.0)
        engine = PollEngine(client, lambda u: None, rng=rng, max_backoff=300.0, sleep=sleep)
        await engine._budget_gate()  # nothing known: go
        client.rate_limit = _budget(None, 1, 50.0)  # a remaining figure with no limit: go
        await engine._budget_gate()
        client.rate_limit = _budget(100, 3, 50.0)  # more than the two kept back: go
        await engine._budget_gate()
        assert sleeps == [] and not engine.frugal
        client.rate_limit = _budget(100, 2, 0.0)  # spent, but the window has just reset: go
        await engine._budget_gate()
        assert sleeps == []

        async def reset_after_sleep(seconds):
            sleeps.append(seconds)
            client.rate_limit = _budget(100, 100, 60.0)

        engine._sleep_for = reset_after_sleep
        client.rate_limit = _budget(100, 2, 50.0)  # two left: wait for the reset, then go
        await engine._budget_gate()
        assert len(sleeps) == 1 and 49.0 < sleeps[0] <= 50.05 and rng.calls == [(0.05, 0.5)] and engine.frugal
        client.rate_limit = _budget(100, 0, 3000.0)  # a far reset: at most max_backoff
        await engine._budget_gate()
        assert sleeps[-1] == pytest.approx(300.05)

        engine._sleep_for = sleep  # a server that never resets cannot hold the run forever
        sleeps.clear()
        client.rate_limit = _budget(100, 0, 50.0)
        await engine._budget_gate()
        assert len(sleeps) == 100


async def test_budget_gate_keeps_one_request_back_per_active_run():
    import asyncio

    from tui.poll.engine import PollEngine

    async with _offline_client() as client:
        gate = asyncio.Event()

        async def sleep(seconds):
            await gate.wait()

        engine = PollEngine(client, lambda u: None, rng=_Rng(at=0.0), sleep=sleep)
        client.rate_limit = _budget(100, 0, 50.0)  # the loops below wait in the gate
        for run_id in (1, 2, 3):
            engine.watch(run_id)
        for _ in range(5):
            await asyncio.sleep(0)
        assert engine.active_loops() == 3 and engine.watched == [1, 2, 3]
        slept: list[float] = []

        async def record(seconds):
            slept.append(seconds)
            client.rate_limit = _budget(100, 100, 60.0)

        engine._sleep_for = record
        client.rate_limit = _budget(100, 3, 50.0)  # three left for three runs: wait
        await engine._budget_gate()
        assert len(slept) == 1
        client.rate_limit = _budget(100, 4, 50.0)  # one spare: go
        await engine._budget_gate()
        assert len(slept) == 1
        client.rate_limit = _budget(100, 5, 60.0)  # 5 left for 3 runs, 60 s: one poll each 36 s
        assert engine._stretch(5.0) == pytest.approx(36.0)
        await engine.aclose()


def test_delay_after_success_by_phase():
    from tui.poll.engine import PollEngine

    engine = PollEngine.__new__(PollEngine)
    engine.interval, engine.settling_interval = 5.0, 30.0
    assert engine._delay_after_success(_run("Processing")) == 5.0
    assert engine._delay_after_success(_run("Queued")) == 5.0
    assert engine._delay_after_success(_run("Stopping")) == 5.0
    assert engine._delay_after_success(_run("Finished", pending=2)) == 30.0  # settling: slower
    assert engine._delay_after_success(_run("Weird")) == 30.0  # unknown status: slower
    assert engine._delay_after_success(_run("Finished")) is None
    assert engine._delay_after_success(_run("Stopped")) is None
    engine.interval = 40.0  # never faster than the interval
    assert engine._delay_after_success(_run("Finished", pending=2)) == 40.0
    assert engine._delay_after_success(_run("Weird")) == 40.0


def test_transitions_name_each_change_once():
    from tui.poll.engine import transitions

    def run(status, error=0):
        from tui.core.model import Run

        return Run.parse({"id": 1, "status": status, "tasks": {"total": 2, "success": 2 - error, "error": error}})

    assert transitions(None, run("Finished")) == ()
    assert transitions(run("Processing"), run("Processing")) == ()
    assert transitions(run("Processing"), run("Processing", 1)) == ("first_error",)
    assert transitions(run("Processing", 1), run("Processing", 2)) == ()  # not the first
    assert transitions(run("Processing"), run("Finished")) == ("finished",)
    assert transitions(run("Processing"), run("Finished", 1)) == ("first_error", "failed")
    assert transitions(run("Processing", 1), run("Finished", 1)) == ("failed",)
    assert transitions(run("Processing"), run("Stopping")) == ("stopping",)
    assert transitions(run("Stopping"), run("Stopped")) == ("stopped",)
    assert transitions(run("Queued"), run("Processing")) == ()
    assert transitions(run("Finished"), run("Finished")) == ()


@pytest.mark.parametrize(
    "value, message",
    [
        ("3", "poll interval '3' is not a number: using 5 s"),
        (float("inf"), "poll interval inf is not a finite number: using 5 s"),
        (0.25, "poll interval 0.25 s is below the minimum: using 1 s"),
        (7200, "poll interval 7200 s is above the maximum: using 3600 s"),
    ],
)
def test_interval_messages(value, message):
    from tui.poll.engine import clamp_interval

    assert clamp_interval(value)[1] == message


def test_interval_edges():
    from tui.poll.engine import DEFAULT_INTERVAL, MAX_INTERVAL, MIN_INTERVAL, clamp_interval

    assert (DEFAULT_INTERVAL, MIN_INTERVAL, MAX_INTERVAL) == (5.0, 1.0, 3600.0)
    assert clamp_interval(3600) == (3600.0, None) and clamp_interval(1.0) == (1.0, None)
    assert clamp_interval(None) == (5.0, "poll interval None is not a number: using 5 s")
    assert clamp_interval(float("nan"), 9.0)[0] == 9.0


def test_internal_error_names_the_exception_briefly():
    from tui.poll.engine import InternalError

    error = InternalError.from_exception("polling run 7", KeyError())
    assert error.message == "Internal error while polling run 7 (KeyError). Press r to retry; details with --debug."
    assert (error.kind, error.exit_code, error.retryable) == ("internal", 1, False)
    error = InternalError.from_exception("x", ValueError("  odd  "))
    assert "(ValueError: odd)" in error.message
    error = InternalError.from_exception("x", ValueError("y" * 500))
    assert f"(ValueError: {'y' * (200 - len('ValueError: '))})" in error.message


def test_run_update_placeholder_and_stale():
    from tui.core.errors import NotFound
    from tui.poll.engine import RunUpdate

    update = RunUpdate.placeholder(7)
    assert (update.run_id, update.run, update.meta, update.error, update.polling) == (7, None, None, None, True)
    assert (update.next_poll_in, update.fetched_at, update.transitions, update.history) == (None, None, (), ())
    assert (update.rate, update.eta, update.next_poll_at) == (None, None, None)
    assert not update.stale
    assert not RunUpdate(7, None, None, NotFound("x"), False, None, None).stale  # an error, but no data
    assert not RunUpdate(7, _run(), None, None, True, 5.0, 1.0).stale  # data, no error
    assert RunUpdate(7, _run(), None, NotFound("x"), False, None, 1.0).stale


async def test_engine_controls():
    from tui.poll.engine import PollEngine

    async with _offline_client() as client:
        now = [100.0]
        engine = PollEngine(client, lambda u: None, clock=lambda: now[0])
        assert (engine.interval, engine.settling_interval, engine.max_backoff, engine.unfocused_factor) == (
            5.0,
            30.0,
            300.0,
            3.0,
        )
        assert not engine.paused and engine.polls == 0 and engine.focused and not engine.frugal
        engine.pause()
        assert engine.paused
        engine.resume()
        assert not engine.paused
        engine.hold(1, 60)  # not watched: nothing to hold
        assert engine.watched == [] and engine.active_loops() == 0
        engine.pause()  # the loops below wait for resume: no request is sent
        engine.watch(1)
        engine.watch(1)
        assert engine.watched == [1] and engine.active_loops() == 1
        watch = engine._watches[1]
        engine.hold(1, 60)
        assert watch.hold_until == 160.0
        engine.hold(1, 0.5)
        assert watch.hold_until == 100.5
        engine.hold(1, 0)
        assert watch.hold_until is None
        watch.failures, watch.in_flight = 3, True
        engine.refresh(1)
        assert watch.failures == 0 and watch.refresh_pending and watch.wake.is_set()
        watch.in_flight = False
        watch.wake.clear()
        engine.refresh()
        assert not watch.refresh_pending and watch.wake.is_set()
        engine.refresh(99)  # not watched: ignored
        engine.pause()
        engine.watch(2)
        other = engine._watches[2]
        other.failures = watch.failures = 2
        engine.refresh(1)
        assert watch.failures == 0 and other.failures == 2  # only the run asked for
        engine.unwatch(2)
        watch.wake.clear()
        assert engine.set_interval(8) == 8.0 and watch.wake.is_set()
        watch.wake.clear()
        engine.set_focus(False)
        assert not watch.wake.is_set()
        engine.set_focus(True)
        assert watch.wake.is_set()
        engine.unwatch(1)
        engine.unwatch(1)
        assert engine.watched == []
        await engine.aclose()


# ----------------------------------------------------------------------------- the run book
# The views' one source of truth; the UI tests exercise it through Textual (outside mutmut's test
# selection), so its own rules are pinned here: what counts as a visible change, order, restore.


def test_run_book_tells_listeners_what_changed_and_keeps_the_order():
    from tui.core.errors import NotFound
    from tui.poll.engine import RunUpdate
    from tui.poll.runbook import BookChange, RunBook

    book = RunBook()
    changes: list[BookChange] = []
    unsubscribe = book.subscribe(changes.append)
    assert not BookChange() and len(book) == 0 and book.revision == 0 and book.bookmarks == () == book.recent
    assert book.watch([3, 1, 3]) == [3, 1]
    assert changes[-1] == BookChange(runs=frozenset({3, 1}), membership=True) and book.revision == 1
    assert book.watch([1]) == [] and len(changes) == 1 and book.revision == 1  # nothing new: no event
    assert book.ids() == [3, 1] and list(book) == [3, 1] and len(book) == 2 and 3 in book and 9 not in book
    assert book.update(3) == RunUpdate.placeholder(3) and book.run(3) is None and book.run(9) is None
    assert book.updates() == {}  # placeholders are not fetched runs

    fetched = RunUpdate(3, _run(), None, None, True, 5.0, 100.0)
    change = book.apply([RunUpdate(9, _run(), None, None, True, 5.0, 100.0), fetched])  # 9 is not watched
    assert change == BookChange(runs=frozenset({3})) and book.run(3) == _run() and 9 not in book
    assert book.updates() == {3: fetched}
    again = RunUpdate(3, _run(), None, None, True, 5.0, 105.0)  # re-fetched, nothing a person sees moved
    assert book.apply([again]) == BookChange(touched=frozenset({3})) and book.update(3) is again
    for different in (
        RunUpdate(3, _run("Finished"), None, None, True, 5.0, 110.0),  # the run
        RunUpdate(3, _run("Finished"), None, None, False, None, 110.0),  # polling stopped
        RunUpdate(3, _run("Finished"), None, NotFound("a"), False, None, 110.0),  # an error
        RunUpdate(3, _run("Finished"), None, NotFound("b"), False, None, 110.0),  # another message
    ):
        assert book.apply([different]) == BookChange(runs=frozenset({3}))
    failed = RunUpdate(1, None, None, NotFound("gone"), False, None, None)
    book.apply([failed])
    assert book.updates() == {3: different, 1: failed}  # an error alone counts as fetched

    revision = book.revision
    assert book.unwatch(3) and changes[-1] == BookChange(runs=frozenset({3}), membership=True)
    assert not book.unwatch(3) and book.revision == revision + 1
    assert book.restore(3, 0, different) and book.ids() == [3, 1] and book.update(3) is different
    assert not book.restore(3, 0)  # already watched
    assert book.restore(7, 99) and book.ids() == [3, 1, 7] and book.update(7) == RunUpdate.placeholder(7)
    assert book.restore(8, -5) and book.ids() == [8, 3, 1, 7]
    assert book.restore(5, 1) and book.ids() == [8, 5, 3, 1, 7]
    assert changes[-1] == BookChange(runs=frozenset({5}), membership=True)
    unsubscribe()
    unsubscribe()  # twice is harmless
    count = len(changes)
    book.watch([11])
    assert len(changes) == count and 11 in book


def test_run_book_bookmarks_and_recent():
    from dataclasses import dataclass

    from tui.poll.runbook import BookChange, RunBook

    @dataclass(frozen=True)
    class Saved:
        run_id: int
        label: str = ""

    book = RunBook()
    changes: list[BookChange] = []
    book.subscribe(changes.append)
    book.watch([1, 2, 3])
    marks = (Saved(1, "nightly"), Saved(4, ""))
    change = book.set_bookmarks(marks)
    assert change == BookChange(runs=frozenset({1}), bookmarks=True)  # 4 is bookmarked but not watched
    assert book.bookmarks == marks and book.is_bookmarked(1) and book.is_bookmarked(4) and not book.is_bookmarked(2)
    assert book.label(1) == "nightly" and book.label(4) == "" and book.label(2) == ""
    assert book.set_bookmarks(marks) == BookChange(bookmarks=True)  # the same again: no run changed
    change = book.set_bookmarks([Saved(1, "renamed"), Saved(2, None), Saved(4)])
    assert change == BookChange(runs=frozenset({1, 2}), bookmarks=True) and book.label(2) == ""
    assert book.set_bookmarks([Saved(2)]) == BookChange(runs=frozenset({1}), bookmarks=True)
    assert book.set_bookmarks([]) == BookChange(runs=frozenset({2}), bookmarks=True)
    recent = [Saved(9)]
    assert book.set_recent(recent) == BookChange(recent=True) and book.recent == (Saved(9),)
    assert changes[-1] == BookChange(recent=True)
    assert all(bool(BookChange(**{name: value})) for name, value in (
        ("runs", frozenset({1})), ("touched", frozenset({1})), ("membership", True), ("bookmarks", True), ("recent", True)
    ))  # fmt: skip


# ----------------------------------------------------------------------------- survivors of the first mutmut run


def test_task_ids_for_a_rerun():
    from tui.core.runid import MAX_ID, parse_task_ids

    words = [
        "1906600010",
        "1906600011,1906600010;",
        "https://x.zuora.com/workflows/tasks/42/",
        "HTTP://h/workflows/tasks/43",
    ]
    assert parse_task_ids(words) == [1906600010, 1906600011, 42, 43]  # links, separators, duplicates once
    assert parse_task_ids(["1", "2"]) == [1, 2] and parse_task_ids([",5"]) == [5]  # an empty token is skipped
    assert parse_task_ids([str(MAX_ID)]) == [MAX_ID]
    for bad in ("0", str(MAX_ID + 1), "abc", "5x", "/workflows/tasks/7", "https://x.zuora.com/workflows/runs/7"):
        with pytest.raises(BadInput) as caught:
            parse_task_ids(["1", bad])
        assert caught.value.message == f"{bad!r} is not a task ID: a task ID is a number such as 1906600010."
    with pytest.raises(BadInput) as caught:
        parse_task_ids(["x" * 40])
    assert caught.value.message.startswith(f"'{'x' * 40}' is not a task ID")  # 40 characters: shown whole
    with pytest.raises(BadInput) as caught:
        parse_task_ids(["y" * 41])
    assert caught.value.message.startswith(f"'{'y' * 40}…' is not a task ID")
    for nothing in ([], ["", " "], [" , ;"]):
        with pytest.raises(BadInput) as caught:
            parse_task_ids(nothing)
        assert caught.value.message == "Name at least one task ID, e.g. 1906600010."


def test_html_text_with_an_unclosed_title_tag_is_text():
    from tui.core.errors import html_text

    assert html_text("<title x </title") == "<title x </title"  # "<title" never closed by ">": no title


def test_too_large_rounds_the_limit_in_megabytes():
    from tui.core.body import BodyReader

    reader = BodyReader([], None, limit=3 * 1024 * 1024 // 2, max_layers=2)  # 1.5 MB: shown as 2
    reader._too_large()
    assert (
        reader.error is not None and reader.error.message == "Zuora's response is larger than the 2 MB limit; not read."
    )


@pytest.mark.parametrize("status", [400, 401])
def test_token_endpoint_rejections_are_auth_errors_with_zuoras_facts(status):
    import httpx

    from tui.core.policy import Response, token_error

    body = b'{"error": "invalid_client", "error_description": "bad secret"}'
    error = token_error(Response(status, httpx.Headers(), body, "rid-7", 0.01), "The token endpoint", False)
    assert isinstance(error, E.AuthError) and (error.status, error.request_id) == (status, "rid-7")
    assert error.zuora_text == "invalid_client; bad secret" or error.zuora_text == "bad secret; invalid_client"
    assert error.message == (f"Zuora rejected the OAuth client ID or secret (token request failed, HTTP {status}).")


def test_token_endpoint_other_statuses_are_named_like_any_request():
    import httpx

    from tui.core.policy import Response, token_error

    error = token_error(Response(404, httpx.Headers(), b"", "rid-8", 0.01), "The token endpoint", False)
    assert isinstance(error, E.NotFound) and error.message.startswith("The token endpoint was not found (HTTP 404).")
    error = token_error(Response(402, httpx.Headers(), b"", None, 0.01), "The token endpoint", False)
    assert isinstance(error, E.BadResponse) and error.message == "Unexpected HTTP 402 from Zuora."


async def test_engine_loads_a_runs_tasks_through_its_client():
    from tests.test_poll import client_for
    from tui.poll.engine import PollEngine
    from tui.sim import Simulator

    with Simulator() as sim:
        async with client_for(sim) as client:
            engine = PollEngine(client, lambda u: None)
            pages = []
            listing = await engine.load_tasks(19063, expected_total=3, on_page=lambda p, n: pages.append((p, n)))
    assert listing.tasks and all(task.belongs_to(19063) for task in listing.tasks)
    assert pages and pages[0][0] == 1
    assert (listing.run_id, listing.expected_total) == (19063, 3)
    assert sim.requests_to("/workflows/tasks")[0].query["workflow_id"] == ["19063"]


def test_a_write_spec_is_upper_case_and_keeps_its_options():
    from tui.core.policy import RequestSpec

    spec = RequestSpec.write("post", "http://127.0.0.1:9/workflows/tasks/1/rerun", what="Rerun", max_attempts=1)
    assert (spec.method, spec.what, spec.max_attempts, spec.idempotent, spec.idempotency_key) == (
        "POST",
        "Rerun",
        1,
        False,
        None,
    )
    keyed = RequestSpec.write("put", "http://127.0.0.1:9/x", what="Stop", idempotency_key="zwr-" + "a" * 32)
    assert keyed.idempotent and keyed.method == "PUT" and keyed.idempotency_key == "zwr-" + "a" * 32


def test_workflow_anomalies_quote_a_bounded_piece_of_the_value():
    from tui.core.model import Workflow

    odd = Workflow.parse({"id": 1, "ondemandTrigger": "y" * 25, "createdAt": "z" * 35})
    assert odd.anomalies == (
        f"ondemandTrigger is not true or false ('{'y' * 20}')",
        f"createdAt is not a timestamp ('{'z' * 30}')",
    )


def test_sane_wait_clamps_into_zero_to_max_wait():
    from tui.core.policy import MAX_WAIT, sane_wait

    assert sane_wait(0.5) == 0.5 and sane_wait(-3.0) == 0.0 and sane_wait(float("inf")) == MAX_WAIT
    assert sane_wait(None) is None and sane_wait(float("nan")) is None


@pytest.mark.parametrize(
    "renewable, hint",
    [
        (True, "the OAuth client ID or secret was rejected, or a fresh token was refused"),
        (False, "the access token is invalid or has expired (tokens live one hour)"),  # was "bearer ****"
    ],
)
def test_a_401_says_which_credentials_were_refused(renewable, hint):
    import httpx

    from tui.core.policy import Response, status_error

    error = status_error(Response(401, httpx.Headers(), b"", None, 0.01), "Run 1", renewable)
    assert error.message == f"Zuora refused the credentials (HTTP 401): {hint}."


def test_backoff_doubles_from_the_base_up_to_the_cap():
    from tui.core.client import ClientSettings
    from tui.core.policy import Policy

    rng = _Rng(at=1.0)
    policy = Policy(ClientSettings("http://127.0.0.1:9", backoff_base=0.5, backoff_cap=3.0), rng)
    assert [policy.backoff(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 3.0]
    assert rng.calls == [(0, 0.5), (0, 1.0), (0, 2.0), (0, 3.0)]  # full jitter: anywhere from 0


def test_retry_after_edges():
    from tui.core.ratelimit import parse_retry_after

    now = 1445412470.0  # 10 s before the date below
    date = "Wed, 21 Oct 2015 07:28:00 GMT"
    assert parse_retry_after(date.ljust(100), now=now) == 10  # 100 characters: read
    assert parse_retry_after(date.ljust(101), now=now) is None  # longer: not read at all
    assert parse_retry_after(5) is None  # not text
    for digit_first in ("21 Oct 2015 07:28:00 GMT", "5 Oct 2015 07:28:00 GMT", "+5 Oct 2015 07:28:00 GMT"):
        assert parse_retry_after(digit_first, now=now) is None  # an HTTP date starts with its day name


def test_run_id_tokens_and_messages_at_the_edges():
    from tui.core.runid import parse_run_ids

    assert parse_run_ids("http://x.zuora.com/workflows/workflow_runs/19063") == [19063]
    assert parse_run_ids("HTTPS://x.zuora.com/workflows/workflow_runs/19064") == [19064]
    cases = {
        "X19063": "'X19063' is not a run ID",  # only brackets, quotes and dots are stripped
        "7" * 35: f"'{'7' * 30}' is too long to be a run ID.",
        "a" * 40 + "1": f"'{'a' * 40}…' is not a run ID",
        "word " * 20: f"No run ID found in {('word ' * 20).strip()[:60]!r}",
    }
    for text, start in cases.items():
        with pytest.raises(BadInput) as caught:
            parse_run_ids(text)
        assert caught.value.message.startswith(start), caught.value.message


@pytest.mark.parametrize(
    "status, headers, kind, message, retry_after",
    [
        (403, {}, E.PermissionDenied, 'Permission denied (HTTP 403): your Zuora user needs the "Workflow View Access" permission (and access to this entity/org).', None),
        (404, {}, E.NotFound, "Run 7 was not found (HTTP 404). Runs are kept 30 days by default in sandboxes and 45 days in production, so an old bookmark can point at a deleted run; also check the environment and entity.", None),
        (429, {"Retry-After": "12"}, E.RateLimited, "Rate limited by Zuora (HTTP 429): retry in 12s.", 12.0),
        (429, {}, E.RateLimited, "Rate limited by Zuora (HTTP 429).", None),
        (500, {"Retry-After": "3"}, E.ServerError, "Zuora had a server error (HTTP 500).", 3.0),
        (599, {}, E.ServerError, "Zuora had a server error (HTTP 599).", None),
        (600, {}, E.BadResponse, "Unexpected HTTP 600 from Zuora.", None),
        (300, {"Location": "https://evil.example/x"}, E.BadResponse, "Zuora answered with a redirect (HTTP 300) to evil.example; zwr does not follow redirects, so credentials never leave the configured host.", None),
        (399, {}, E.BadResponse, "Zuora answered with a redirect (HTTP 399) to another location; zwr does not follow redirects, so credentials never leave the configured host.", None),
        (400, {}, E.BadInput, "Zuora rejected the request (HTTP 400).", None),
        (418, {}, E.BadResponse, "Unexpected HTTP 418 from Zuora.", None),
    ],
)  # fmt: skip
def test_every_status_maps_to_its_error_with_zuoras_facts(status, headers, kind, message, retry_after):
    import httpx

    from tui.core.policy import Response, status_error

    body = b'{"success": false, "reasons": [{"code": 5, "message": "said so"}]}'
    error = status_error(Response(status, httpx.Headers(headers), body, "rid-9", 0.01), "Run 7", False)
    assert type(error) is kind and error.message == message and error.retry_after == retry_after
    assert (error.status, error.request_id, error.zuora_text) == (status, "rid-9", "said so")


def test_describe_caps_zuoras_words_and_names_the_request_id():
    error = E.ServerError("Zuora had a server error (HTTP 500).", zuora_text="w" * 301, request_id="rid-" + "9" * 70)
    assert error.describe() == (
        f"Zuora had a server error (HTTP 500). Zuora said: {'w' * 300}… (+1 chars) "
        f"Zuora-Request-Id: {('rid-' + '9' * 70)[:64]}… (+10 chars)"
    )
    assert E.NotFound("gone", request_id="rid-1").describe() == "gone Zuora-Request-Id: rid-1"


# ----------------------------------------------------------------------------- pagination


def _page(first_id: int, count: int):
    from tui.core.model import Task

    return [Task.parse({"id": first_id + i, "workflow_id": 7}) for i in range(count)]


def test_a_server_that_shortens_its_pages_is_followed_to_the_end():
    """Found by mutmut (``len(tasks) <= page_length``): ``next_page`` asking for pages of 20 made
    every later page "full", so the page cap stayed at total / 100 + slack and a run of 250
    tasks was cut at 180, marked partial."""
    from tui.core.pagination import TaskPager

    pager = TaskPager(7, expected_total=250)
    request, listed = pager.first(), 0
    for _ in range(50):
        tasks = _page(listed + 1, min(request.page_length, 250 - listed))
        listed += len(tasks)
        assert pager.accept(request, tasks, 10)
        request = pager.after(request, tasks, f"/x?page={request.page + 1}&page_length=20" if listed < 250 else None)
        if request is None:
            break
    assert len(pager.tasks) == 250 and pager.partial is None and pager.pages == 9


def test_the_page_cap_follows_the_smallest_page_and_an_empty_page_changes_nothing():
    from tui.core.pagination import PAGE_SLACK, PageRequest, TaskPager

    pager = TaskPager(7, expected_total=250)
    assert pager.max_pages == 3 + PAGE_SLACK
    assert pager.accept(PageRequest(1, 100), [], 10) and pager.max_pages == 3 + PAGE_SLACK  # not a page of 0
    assert pager.accept(PageRequest(1, 100), _page(1, 50), 10) and pager.max_pages == 5 + PAGE_SLACK


def test_fan_out_edges_and_the_cap_message():
    from tui.core.pagination import PageRequest, TaskPager

    assert TaskPager(1, expected_total=101).fan_out(100, "next") == [PageRequest(2, 100)]  # just over one page
    pager = TaskPager(1, expected_total=99, page_length=50)
    pager.accept(PageRequest(1, 50), _page(1, 50), 10)  # the client takes the first page first
    assert pager.fan_out(50, "next") == [PageRequest(2, 50)]
    pager = TaskPager(7)  # no total: the hard cap, and a message without one
    pager.pages = 1000
    assert pager.after(PageRequest(5, 100), _page(1, 1), "/x?page=6") is None
    assert pager.partial == "Zuora still offered more after 1000 pages; stopped there"


def test_the_byte_budget_is_spent_only_beyond_it_and_named_in_megabytes():
    from tui.core.pagination import PageRequest, TaskPager

    pager = TaskPager(7, max_bytes=1000)
    assert pager.accept(PageRequest(1, 100), _page(1, 1), 1000)  # exactly the budget: go on
    assert not pager.accept(PageRequest(2, 100), _page(2, 1), 1)
    pager = TaskPager(7, max_bytes=1)
    assert not pager.accept(PageRequest(1, 100), _page(1, 1), 3 * 1024 * 1024)
    assert pager.partial == "stopped after 3 MB of task data (1 pages)"


def test_next_page_is_read_within_bounds():
    from tui.core.pagination import PageRequest, read_next_page

    current = PageRequest(1, 100)
    at_the_edge = "/x?pad=" + "b" * 1987 + "&page=7"
    assert len(at_the_edge) == 2001 and read_next_page(at_the_edge, current) == PageRequest(2, 100)  # cut at 2000
    within = "/x?pad=" + "b" * 1986 + "&page=7"
    assert len(within) == 2000 and read_next_page(within, current) == PageRequest(7, 100)  # read whole
    assert read_next_page("/x?page=123456789", current) == PageRequest(123456789, 100)  # nine digits
    assert read_next_page("/x?page=1234567890", current) == PageRequest(2, 100)  # ten: not believed
    assert read_next_page("/x?page=2&page_length=100", PageRequest(1, 20)) == PageRequest(2, 100)  # the maximum
