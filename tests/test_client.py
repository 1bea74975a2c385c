"""The client against the simulator over real HTTP on 127.0.0.1."""

import asyncio
import email.utils
import random
import socket
import time

import pytest

from tui.core import deadline
from tui.core import errors as E
from tui.core.auth import OAuthClientCredentials, StaticToken
from tui.core.client import ClientSettings, ZuoraClient
from tui.core.model import RunStatus
from tui.sim import Simulator
from tui.sim.scenario import REFERENCE_SAMPLE


class Sleeps:
    """Records retry sleeps instead of waiting (keeps the suite fast, asserts the delays)."""

    def __init__(self):
        self.calls = []

    async def __call__(self, seconds):
        self.calls.append(seconds)


async def settled(sim, client, timeout=10.0):
    """Wait until the simulator has recorded every request the client sent: it records a
    request after answering it, so a fast client could read ``sim.requests`` too early."""
    deadline = time.monotonic() + timeout
    while len(sim.requests) < client.requests_sent and time.monotonic() < deadline:
        await asyncio.sleep(0.005)


def make(sim, auth=None, sleep=None, **settings):
    return ZuoraClient(
        ClientSettings(sim.base_url, **settings), auth or StaticToken(sim.demo_token), sleep=sleep or Sleeps()
    )


EXPECTED = {
    19063: "Finished",
    19064: "Queued",
    19066: "Finished",
    19068: "Stopped",
    19069: "Finished",
    19070: "Processing",
    19072: "Processing",
    19073: "Finished",
    19074: "Finished",
}


async def test_every_demo_status(sim):
    async with make(sim) as client:
        for run_id, status in EXPECTED.items():
            result = await client.get_run(run_id)
            assert result.run.status.value == status
            assert result.run.id == run_id
            assert result.meta.request_id and len(result.meta.request_id) == 36


async def test_reference_sample_round_trip(sim):
    async with make(sim) as client:
        result = await client.get_run(19063)
    assert dict(result.run.raw) == REFERENCE_SAMPLE


async def test_stopping_status_and_progress_over_time():
    with Simulator(speed=30) as sim:
        async with make(sim) as client:
            seen = set()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                seen.add((await client.get_run(19067)).run.status)
                if RunStatus.STOPPED in seen:
                    break
                await asyncio.sleep(0.05)
    assert {RunStatus.STOPPING, RunStatus.STOPPED} <= seen


async def test_headers_sent_and_track_id_echoed(sim):
    async with make(sim, entity_ids="e1, e2", org_ids="o1,o2", track_id="ticket-42") as client:
        result = await client.get_run(19063)
    await settled(sim, client)
    record = sim.requests_to("/workflow_runs/19063")[-1]
    assert record.entity_ids == "e1,e2" and record.org_ids == "o1,o2"
    assert record.track_id == "ticket-42" and result.meta.track_id == "ticket-42"
    assert "gzip" in record.accept_encoding


async def test_generated_track_ids_are_unique_and_valid(sim):
    async with make(sim) as client:
        await client.get_run(19063)
        await client.get_run(19063)
    await settled(sim, client)
    ids = [r.track_id for r in sim.requests]
    assert len(set(ids)) == 2 and all(len(i) <= 64 and not set(i) & set(":;\"'") for i in ids)


@pytest.mark.parametrize("bad", ["a:b", "x" * 65, "semi;colon", "quote'", "sp ace", "é"])
def test_track_id_validation(bad):
    with pytest.raises(E.BadInput):
        ClientSettings("http://127.0.0.1:1", track_id=bad)


@pytest.mark.parametrize(
    "url",
    ["http://rest.zuora.com", "ftp://x", "https://u:p@rest.zuora.com", "https://rest.zuora.com?x=1", "rest.zuora.com"],
)
def test_base_url_validation(url):
    with pytest.raises(E.ConfigError):
        ClientSettings(url)


async def test_gzip_response_decoded(sim):
    async with make(sim) as client:
        tasks = await client.get_tasks(19073)
    assert len(tasks.tasks) == 250  # pages are > 1000 bytes, so the simulator gzipped them


# ---------------------------------------------------------------------------- error classes


async def test_404_mentions_retention(sim):
    async with make(sim) as client:
        with pytest.raises(E.NotFound) as info:
            await client.get_run(424242)
    assert "30 days" in info.value.message and info.value.request_id
    assert "not found" in info.value.zuora_text and info.value.exit_code == 6


async def test_401_static_token(sim):
    async with make(sim, auth=StaticToken("wrong")) as client:
        with pytest.raises(E.AuthError) as info:
            await client.get_run(19063)
    assert info.value.status == 401 and "Authentication error" in info.value.describe()


async def test_403_names_the_permission(sim):
    sim.add_fault("status", path="workflow_runs", status=403)
    async with make(sim) as client:
        with pytest.raises(E.PermissionDenied, match="Workflow View Access"):
            await client.get_run(19063)


async def test_429_retry_after_honoured_then_success(sim):
    sim.add_fault("status", status=429, headers={"Retry-After": "3"}, times=2)
    sleeps = Sleeps()
    async with make(sim, sleep=sleeps) as client:
        result = await client.get_run(19063)
    assert result.run.id == 19063 and sleeps.calls == [3.0, 3.0] and result.meta.attempts == 3


async def test_503_retry_after_http_date(sim):
    when = email.utils.formatdate(time.time() + 5, usegmt=True)
    sim.add_fault("status", status=503, headers={"Retry-After": when}, times=1)
    sleeps = Sleeps()
    async with make(sim, sleep=sleeps) as client:
        await client.get_run(19063)
    assert len(sleeps.calls) == 1 and 3 <= sleeps.calls[0] <= 5.5


async def test_429_gives_up_within_bound(sim):
    sim.add_fault("status", status=429)
    sleeps = Sleeps()
    async with make(sim, sleep=sleeps, max_attempts=4) as client:
        with pytest.raises(E.RateLimited) as info:
            await client.get_run(19063)
    await settled(sim, client)
    assert len(sim.requests) == 4 and len(sleeps.calls) == 3 and "Gave up after 4 attempts" in info.value.message
    assert all(0 <= s <= 8 for s in sleeps.calls)  # full jitter within the cap


async def test_retry_after_beyond_budget_is_reported_not_slept(sim):
    sim.add_fault("status", status=429, headers={"Retry-After": "600"})
    sleeps = Sleeps()
    async with make(sim, sleep=sleeps) as client:
        with pytest.raises(E.RateLimited) as info:
            await client.get_run(19063)
    assert sleeps.calls == [] and info.value.retry_after == 600


async def test_500_not_retried(sim):
    sim.add_fault("status", status=500)
    async with make(sim) as client:
        with pytest.raises(E.ServerError) as info:
            await client.get_run(19063)
    await settled(sim, client)
    assert len(sim.requests) == 1 and "Injected HTTP 500" in info.value.zuora_text


async def test_502_html_page_retried_then_reported(sim):
    sim.add_fault("html", status=502)
    async with make(sim, max_attempts=2) as client:
        with pytest.raises(E.ServerError) as info:
            await client.get_run(19063)
    await settled(sim, client)
    assert "Bad Gateway" in info.value.zuora_text and len(sim.requests) == 2


async def test_504_then_success(sim):
    sim.add_fault("status", status=504, times=1)
    async with make(sim) as client:
        assert (await client.get_run(19063)).meta.attempts == 2


async def test_read_timeout(sim):
    sim.add_fault("hang", delay=1.0)
    async with make(sim, read_timeout=0.2, max_attempts=2) as client:
        with pytest.raises(E.Timeout):
            await client.get_run(19063)


async def test_connection_refused():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with ZuoraClient(ClientSettings(f"http://127.0.0.1:{port}"), StaticToken("t"), sleep=Sleeps()) as client:
        with pytest.raises(E.NetworkError, match="refused"):
            await client.get_run(19063)


async def test_connection_reset_mid_body(sim):
    sim.add_fault("reset", mid_body=True)
    async with make(sim, max_attempts=2) as client:
        with pytest.raises(E.NetworkError):
            await client.get_run(19063)


async def test_truncated_json(sim):
    sim.add_fault("truncate")
    async with make(sim) as client:
        with pytest.raises(E.BadResponse, match="not valid JSON"):
            await client.get_run(19063)


async def test_html_with_200(sim):
    sim.add_fault("html", status=200)
    async with make(sim) as client:
        with pytest.raises(E.BadResponse, match="HTML page"):
            await client.get_run(19063)


@pytest.mark.parametrize("body", [[1, 2], None, "a string"])
async def test_wrong_json_shape(sim, body):
    import json

    sim.add_fault("body", body=json.dumps(body).encode())
    async with make(sim) as client:
        with pytest.raises(E.BadResponse, match="not a run object"):
            await client.get_run(19063)


async def test_oversized_body_capped(sim):
    sim.add_fault("oversize", size=3_000_000)
    async with make(sim, max_body_bytes=1_000_000) as client:
        with pytest.raises(E.BadResponse, match="larger than"):
            await client.get_run(19063)


async def test_large_but_allowed_body_with_huge_name(sim):
    sim.add_fault("oversize", size=1_000_000)
    async with make(sim) as client:
        result = await client.get_run(19063)
    assert len(result.run.name) == 1_000_000


async def test_wrong_field_types_become_anomalies(sim):
    sim.add_fault("fields", fields={"status": "Exploded", "tasks": {"total": -1, "error": "many"}, "createdAt": 5})
    async with make(sim) as client:
        run = (await client.get_run(19063)).run
    assert run.status is RunStatus.UNKNOWN and run.status_raw == "Exploded" and len(run.anomalies) >= 3


async def test_redirect_not_followed_and_token_stays_home(sim):
    with Simulator() as other:
        sim.add_fault("redirect", location=f"{other.base_url}/workflows/workflow_runs/19063")
        async with make(sim) as client:
            with pytest.raises(E.BadResponse, match="redirect"):
                await client.get_run(19063)
        assert other.requests == []


# ---------------------------------------------------------------------------- auth


async def test_oauth_token_obtained_and_reused(sim):
    auth = OAuthClientCredentials(sim.client_id, sim.client_secret)
    async with make(sim, auth=auth) as client:
        await client.get_run(19063)
        await client.get_run(19064)
    await settled(sim, client)
    assert auth.issued == 1 and len(sim.requests_to("/oauth/token")) == 1


async def test_oauth_bad_secret(sim):
    auth = OAuthClientCredentials(sim.client_id, "nope")
    async with make(sim, auth=auth) as client:
        with pytest.raises(E.AuthError, match="client ID or secret"):
            await client.get_run(19063)


async def test_token_renewed_once_on_401_and_request_retried(sim):
    auth = OAuthClientCredentials(sim.client_id, sim.client_secret)
    async with make(sim, auth=auth) as client:
        await client.get_run(19063)
        sim.expire_tokens()
        result = await client.get_run(19063)
    assert result.run.id == 19063 and auth.issued == 2
    await settled(sim, client)
    assert [r.status for r in sim.requests_to("/workflow_runs/")] == [200, 401, 200]


async def test_token_renewed_before_expiry_without_a_401():
    with Simulator(token_ttl=2) as sim:
        auth = OAuthClientCredentials(sim.client_id, sim.client_secret)
        async with make(sim, auth=auth) as client:
            await client.get_run(19063)
            await asyncio.sleep(1.9)  # ttl 2s, margin 10% -> renewed after 1.8s
            await client.get_run(19063)
        await settled(sim, client)
        assert auth.issued == 2 and all(r.status == 200 for r in sim.requests)


async def test_persistent_401_after_renewal_is_an_auth_error(sim):
    sim.add_fault("status", status=401, path="workflow_runs")
    auth = OAuthClientCredentials(sim.client_id, sim.client_secret)
    async with make(sim, auth=auth) as client:
        with pytest.raises(E.AuthError):
            await client.get_run(19063)
    await settled(sim, client)
    assert auth.issued == 2 and len(sim.requests_to("/workflow_runs/")) == 2


# ---------------------------------------------------------------------------- tasks and pagination


async def test_all_task_pages_sequential_and_concurrent(sim):
    async with make(sim) as client:
        sequential = await client.get_tasks(19073)
        concurrent = await client.get_tasks(19073, expected_total=250)
    assert [t.id for t in sequential.tasks] == [t.id for t in concurrent.tasks]
    assert len(sequential.tasks) == 250 and sequential.pages == 3
    errors = [t for t in sequential.tasks if t.status.value == "Error"]
    assert len(errors) == 3 and errors[0].error_class == "WorkflowError::Callout" and "HTTP 500" in errors[0].error
    await settled(sim, client)
    pages = [r.query["page_length"] for r in sim.requests_to("/workflows/tasks")]
    assert all(p == ["100"] for p in pages)


async def test_foreign_next_page_is_not_followed(sim):
    with Simulator() as other:
        sim.add_fault("next_page", location=other.base_url)
        async with make(sim) as client:
            tasks = await client.get_tasks(19073)
        assert len(tasks.tasks) == 250
        assert other.requests == []  # the token never reached the other host
        await settled(sim, client)
        assert [r.query["page"] for r in sim.requests_to("/workflows/tasks")] == [["1"], ["2"], ["3"]]


async def test_huge_run_ten_thousand_tasks(sim):
    async with make(sim, page_concurrency=8) as client:
        run = (await client.get_run(19070)).run
        tasks = await client.get_tasks(19070, expected_total=run.tasks.total)
    assert len(tasks.tasks) == 12000 and tasks.pages == 120


# ---------------------------------------------------------------------------- limits


async def test_concurrency_is_bounded():
    with Simulator(latency=0.03) as sim:
        async with make(sim, concurrency=4) as client:
            await asyncio.gather(*(client.get_run(19063) for _ in range(40)))
        await settled(sim, client)
        assert sim.max_in_flight <= 4 and client.max_in_flight <= 4 and len(sim.requests) == 40


async def test_rate_limit_headers_exposed():
    with Simulator(rate_limit=(100, 60)) as sim:
        async with make(sim) as client:
            result = await client.get_run(19063)
            await client.get_run(19063)
        assert result.meta.rate_limit.remaining == 99 and client.rate_limit.remaining == 98


async def test_non_int_ids_rejected_before_any_request(sim):
    async with make(sim) as client:
        for bad in ("19063/../x", -1, 0, True):
            with pytest.raises(E.BadInput):
                await client.get_run(bad)
    assert sim.requests == []


# ---------------------------------------------------------------------------- the policy, step by step (sans-IO)


class Clock:
    """A fake monotonic clock, starting at the real one (``deadline.within`` reads the real one)."""

    def __init__(self):
        self.now = time.monotonic()

    def __call__(self):
        return self.now


def walk(flow, replies, clock=None, token=None):
    """Drive a policy flow by hand. ``replies`` answer its Send steps in order; Sleep steps
    advance ``clock``. Returns (steps, result) or raises what the flow raised."""
    import itertools

    from tui.core.policy import NeedToken, Send, Sleep
    from tui.core.secret import Secret

    steps, reply, answers = [], None, iter(replies)
    for _ in itertools.count():
        try:
            step = flow.send(reply)
        except StopIteration as done:
            return steps, done.value
        steps.append(step)
        if isinstance(step, Send):
            reply = next(answers)
        elif isinstance(step, Sleep):
            if clock is not None:
                clock.now += step.seconds
            reply = None
        elif isinstance(step, NeedToken):
            reply = token or Secret("token-" + str(len(steps)))
        if len(steps) > 100:
            raise AssertionError("the flow does not end")


def answer(status, **headers):
    import httpx

    from tui.core.policy import Response

    return Response(status, httpx.Headers(headers), b'{"message": "m"}', "rid", 0.01)


def policy_for(clock=None, **settings):
    from tui.core.policy import Policy

    return Policy(ClientSettings("http://127.0.0.1:9", **settings), random.Random(7), clock or Clock())


def kinds(steps):
    return [type(s).__name__ for s in steps]


def test_policy_read_is_retried_after_timeouts_and_network_errors():
    from tui.core.policy import Failure, RequestSpec

    flow = policy_for().exchange(RequestSpec("GET", "http://127.0.0.1:9/x", "X"), renewable=False)
    steps, (response, attempts) = walk(flow, [Failure(E.Timeout("t")), Failure(E.NetworkError("reset")), answer(200)])
    assert response.status == 200 and attempts == 3
    assert kinds(steps) == ["NeedToken", "Send", "Sleep", "NeedToken", "Send", "Sleep", "NeedToken", "Send"]


def test_policy_write_without_key_is_repeated_only_when_it_never_left():
    from tui.core.policy import Failure, RequestSpec

    spec = RequestSpec.write("POST", "http://127.0.0.1:9/workflows/tasks/1/rerun", what="Rerun")
    steps, (response, attempts) = walk(
        policy_for().exchange(spec, renewable=True),
        [Failure(E.NetworkError("refused"), sent=False), answer(429, **{"Retry-After": "1"}), answer(401), answer(200)],
    )
    assert response.status == 200 and attempts == 3  # refused, 429, (401 -> renewed token), 200
    assert [s.stale is not None for s in steps if type(s).__name__ == "NeedToken"] == [False, False, False, True]
    for reply, error in [(Failure(E.Timeout("t")), E.Timeout), (Failure(E.NetworkError("reset")), E.NetworkError)]:
        with pytest.raises(error, match="not repeated"):
            walk(policy_for().exchange(spec, renewable=True), [reply])
    with pytest.raises(E.ServerError):
        walk(policy_for().exchange(spec, renewable=True), [answer(503), answer(200)])


def test_policy_write_with_idempotency_key_keeps_its_key_on_every_attempt():
    from tui.core.policy import Failure, RequestSpec, Send

    spec = RequestSpec.write(
        "PUT", "http://127.0.0.1:9/workflows/workflow_runs/1/stop", what="Stop", idempotency_key="k-1"
    )
    steps, (_, attempts) = walk(
        policy_for().exchange(spec, renewable=False), [Failure(E.Timeout("t")), answer(503), answer(200)]
    )
    sent = [s.outgoing for s in steps if isinstance(s, Send)]
    assert attempts == 3 and [o.headers()["Idempotency-Key"] for o in sent] == ["k-1"] * 3
    assert len({o.headers()["Zuora-Track-Id"] for o in sent}) == 3
    with pytest.raises(E.BadInput):
        RequestSpec.write("POST", "http://127.0.0.1:9/x", what="X", idempotency_key="no spaces allowed")


def test_policy_waits_fit_the_deadline_and_the_budget():
    from tui.core.policy import RequestSpec, Send, Sleep

    clock = Clock()
    spec = RequestSpec("GET", "http://127.0.0.1:9/x", "X")
    # call budget 2 x 5 s + 12 s = 22 s; each attempt is given at most the read timeout
    policy = policy_for(clock, read_timeout=5.0, max_retry_wait=12.0, max_attempts=10)
    with pytest.raises(E.ServerError, match="Gave up after 3 attempts") as info:
        walk(policy.exchange(spec, renewable=False), [answer(503, **{"Retry-After": "6"})] * 10, clock)
    assert info.value.retry_after == 6  # three attempts and two 6 s waits: a third would pass the 12 s budget
    clock = Clock()
    policy = policy_for(clock, read_timeout=5.0, max_retry_wait=12.0, max_attempts=10)
    with deadline.within(4.0):
        steps, _ = walk(policy.exchange(spec, renewable=False), [answer(200)], clock)
        send = next(s for s in steps if isinstance(s, Send))
        assert 3.5 <= send.timeout <= 4.5 and send.deadline == clock.now + send.timeout  # not read_timeout (5 s)
        with pytest.raises(E.ServerError, match="Gave up after 1 attempt"):  # a 6 s wait does not fit in 4 s
            walk(policy.exchange(spec, renewable=False), [answer(503, **{"Retry-After": "6"})], clock)
    with deadline.within(0), pytest.raises(E.Timeout, match="no time left"):
        walk(policy_for(Clock()).exchange(spec, renewable=False), [])
    with pytest.raises(E.RateLimited) as info:  # clamped to an hour, then beyond the budget: no wait
        walk(policy_for(Clock()).exchange(spec, renewable=False), [answer(429, **{"Retry-After": "99999999"})])
    assert info.value.retry_after == 3600.0
    for value in ("nan", "inf", "-1"):
        steps, _ = walk(
            policy_for(Clock()).exchange(spec, renewable=False), [answer(429, **{"Retry-After": value}), answer(200)]
        )
        assert 0 <= next(s for s in steps if isinstance(s, Sleep)).seconds <= 0.5  # unreadable, so backoff


def test_policy_never_sends_outside_the_configured_origin():
    from tui.core.policy import RequestSpec

    for url in ("http://127.0.0.2:9/x", "https://127.0.0.1:9/x", "http://127.0.0.1:10/x"):
        with pytest.raises(E.BadResponse, match="outside the configured Zuora host"):
            walk(policy_for().exchange(RequestSpec("GET", url, "X"), renewable=False), [])


# ---------------------------------------------------------------------------- the blocking driver (zwr get)


def test_blocking_client_oauth_once_for_many_runs_in_parallel():
    from tui.core.blocking import BlockingClient

    with Simulator(latency=0.02) as sim:
        auth = OAuthClientCredentials(sim.client_id, sim.client_secret)
        with BlockingClient(ClientSettings(sim.base_url, concurrency=4), auth) as client:
            results = client.get_runs([19063, 19064, 424242, 19066, 19068, 19069, 19070, 19073])
        assert [type(r).__name__ for r in results] == ["RunResult"] * 2 + ["NotFound"] + ["RunResult"] * 5
        assert [r.run.id for r in results if not isinstance(r, E.ZwrError)] == [
            19063,
            19064,
            19066,
            19068,
            19069,
            19070,
            19073,
        ]
        assert auth.issued == 1 and len(sim.requests_to("/oauth/token")) == 1  # one fetch, under the lock
        assert sim.max_in_flight <= 4


def test_blocking_client_renews_on_401_and_shares_the_async_policy():
    from tui.core.blocking import BlockingClient

    with Simulator() as sim:
        auth = OAuthClientCredentials(sim.client_id, sim.client_secret)
        with BlockingClient(ClientSettings(sim.base_url), auth, sleep=lambda s: None) as client:
            assert client.get_run(19063).run.id == 19063
            sim.expire_tokens()
            assert client.get_run(19063).meta.attempts == 1
            sim.add_fault("status", status=503, headers={"Retry-After": "2"}, times=2)
            assert client.get_run(19063).meta.attempts == 3
            with pytest.raises(E.NotFound, match="30 days"):
                client.get_run(424242)
            assert client.get_task(1906300001).id == 1906300001
        assert auth.issued == 2


@pytest.mark.parametrize("extra", [["--json"], []], ids=["json", "summary-with-workflow"])
def test_zwr_get_imports_no_asyncio_textual_or_keyring(sim, extra):
    """Both forms: the summary also fetches each run's workflow definition, blocking too."""
    import subprocess
    import sys

    from tests.conftest import ROOT, cli_env

    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "tui", "get", "19063", "19066", *extra],
        env=cli_env(sim),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    if not extra:
        assert "Workflow  " in out.stdout  # the definition was fetched through the blocking client
    imported = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}
    assert "tui.core.blocking" in imported and "httpx" in imported
    forbidden = {m for m in imported if m.split(".")[0] in ("asyncio", "textual", "keyring", "rich", "uuid")}
    forbidden |= {m for m in imported if m.startswith("anyio._core._sockets")}
    assert forbidden == set()


@pytest.mark.parametrize("field", ["read_timeout", "connect_timeout", "call_timeout"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1.0, 0.0])
def test_timeouts_must_be_positive_and_finite(field, value):
    with pytest.raises(E.BadInput):
        ClientSettings("http://127.0.0.1:1", **{field: value})


@pytest.mark.parametrize("value", ["nan", "-1", "inf"])
def test_get_refuses_a_bad_timeout_before_sending(sim, value):
    from tests.conftest import cli_env, run_zwr

    out = run_zwr("get", "19063", "--timeout", value, env=cli_env(sim))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert sim.requests == []
