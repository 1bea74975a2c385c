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
