"""The request path against a hostile server (tests/hostile.py): bounded memory, bounded time,
clear messages and documented exit codes, whatever the bytes on the wire.

``zwr get`` runs as a subprocess (the blocking driver) with its own peak RSS measured; the
async driver (TUI, ``watch``, ``tasks``) is exercised in-process and through ``zwr watch``.
Bounds are generous (a loaded 2-core machine must never trip them): they separate "bounded"
from "runs for hours / takes gigabytes", not fast from slow.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import time

import pytest

from tests.conftest import cli_env
from tests.hostile import RUN, Conn, HostileServer, Request, bomb, run_measured
from tui.core import deadline
from tui.core import errors as E
from tui.core.auth import OAuthClientCredentials, StaticToken
from tui.core.blocking import BlockingClient
from tui.core.client import ClientSettings, RequestSpec, ZuoraClient
from tui.core.errors import html_text, parse_error_body
from tui.core.headers import new_idempotency_key

TOKEN = "hostile-token-7d1e0b-secret"
SECRET = "client+secret/Zq8X=do-not-leak"  # URL-encodes differently: the echo is scrubbed in every form
RSS_BOUND_MB = 250  # a normal `zwr get` peaks near 40 MB; a bomb that got through reaches gigabytes


class Sleeps:
    def __init__(self):
        self.calls = []

    async def __call__(self, seconds):
        self.calls.append(seconds)


def env_for(server, **extra):
    env = cli_env(ZUORA_BASE_URL=server.base_url, ZUORA_BEARER_TOKEN=TOKEN)
    env.update(extra)
    return env


def serve_run(conn: Conn, request: Request) -> None:
    conn.json(200, RUN)


def assert_clean_failure(out, code, *needles):
    assert out.returncode == code, out.stderr
    assert out.stderr.startswith("error:") and "Traceback" not in out.stderr
    for needle in needles:
        assert needle in out.stderr, out.stderr
    assert TOKEN not in out.stdout + out.stderr


# ---------------------------------------------------------------------------- 1. memory


def test_gzip3_bomb_fails_fast_with_bounded_memory():
    payload = bomb(3)
    assert len(payload) < 300  # the 298-byte bomb of the issue: 4 GiB after three gzip layers

    def handler(conn, request):
        conn.respond(200, [("Content-Type", "application/json"), ("Content-Encoding", "gzip, gzip, gzip")], payload)

    with HostileServer(handler) as server:
        out = run_measured(["get", "1"], env_for(server))
    assert_clean_failure(out, 11, "3 content encodings (gzip, gzip, gzip)", "at most 2")
    assert out.maxrss_mb < RSS_BOUND_MB
    assert len(server.requests) == 1  # a bad body is not retried


@pytest.mark.parametrize("command", ["get", "watch"])
def test_gzip2_bomb_stops_at_the_cap_after_decoding(command):
    """Two layers are accepted, so the bytes are inflated, in bounded steps, until the cap."""

    def handler(conn, request):
        # Two header lines: they are one list of encodings
        conn.respond(200, [("Content-Encoding", "gzip"), ("Content-Encoding", "gzip")], bomb(2))

    extra = ["--interval", "1", "--max-wait", "30"] if command == "watch" else []
    with HostileServer(handler) as server:
        out = run_measured([command, "1", *extra], env_for(server))
    assert_clean_failure(out, 11, "larger than the 8 MB limit")
    assert out.maxrss_mb < RSS_BOUND_MB


def test_set_cookie_flood_keeps_no_cookie():
    cookie = "c" * 3000

    def handler(conn, request):
        headers = [("Set-Cookie", f"k{i}={cookie}; Path=/") for i in range(20)]
        conn.json(200, RUN, headers)

    with HostileServer(handler) as server:

        async def polls():
            async with ZuoraClient(ClientSettings(server.base_url), StaticToken(TOKEN)) as client:
                for _ in range(15):
                    await client.get_run(1)
                return len(client._http.cookies.jar)

        assert asyncio.run(polls()) == 0
        with BlockingClient(ClientSettings(server.base_url), StaticToken(TOKEN)) as blocking:
            for _ in range(5):
                blocking.get_run(1)
        assert len(server.requests) == 20
        assert all(r.header("cookie") is None for r in server.requests)


def test_huge_headers_are_refused_with_bounded_memory():
    def handler(conn, request):
        conn.head(200, [("X-Padding", "p" * (4 * 1024 * 1024)), ("Content-Length", "2")])
        conn.send(b"{}")

    with HostileServer(handler) as server:
        out = run_measured(["get", "1"], env_for(server))
    assert_clean_failure(out, 11, "headers larger than zwr accepts")
    assert out.maxrss_mb < RSS_BOUND_MB


# ---------------------------------------------------------------------------- 4. deadlines


def trickling_body(conn, request):
    conn.head(200, [("Content-Type", "application/json"), ("Content-Length", "100000")])
    conn.trickle(b" " * 100000, every=0.05)  # the read timeout never fires: a byte arrives every 50 ms


def trickling_headers(conn, request):
    conn.trickle(b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"s" * 100000, every=0.05)


@pytest.mark.parametrize("handler", [trickling_body, trickling_headers], ids=["body", "headers"])
def test_trickle_cannot_outlive_the_timeout(handler):
    with HostileServer(handler) as server:
        out = run_measured(["get", "1", "--timeout", "0.5"], env_for(server), timeout=90)
    # 4 attempts of 0.5 s and at most 3.5 s of backoff; without the deadline: 5000 s per attempt
    assert_clean_failure(out, 9, "Timed out", "within 0.5s", "Gave up after 4 attempts")
    assert len(server.requests) == 4
    assert out.seconds < 60


@pytest.mark.parametrize("handler", [trickling_body, trickling_headers], ids=["body", "headers"])
async def test_trickle_async_driver_attempt_deadline(handler):
    with HostileServer(handler) as server:
        settings = ClientSettings(server.base_url, read_timeout=0.3, max_attempts=1)
        async with ZuoraClient(settings, StaticToken(TOKEN)) as client:
            with pytest.raises(E.Timeout, match=r"within 0\.3s"):
                await asyncio.wait_for(client.get_run(1), 60)


# Unbelievable values are ignored (backoff applies); believable ones are clamped to an hour.
@pytest.mark.parametrize(
    "value, expected", [("inf", None), ("1e400", None), ("-5", None), ("nan", None), ("99999999", 3600.0)]
)
async def test_retry_after_is_clamped(value, expected):
    def handler(conn, request):
        conn.json(429, b'{"message": "slow down"}', [("Retry-After", value)])

    with HostileServer(handler) as server:
        sleeps = Sleeps()
        async with ZuoraClient(ClientSettings(server.base_url), StaticToken(TOKEN), sleep=sleeps) as client:
            with pytest.raises(E.RateLimited) as info:
                await client.get_run(1)
    assert info.value.retry_after == expected
    assert "infs" not in info.value.describe() and "nans" not in info.value.describe()
    assert all(0 <= s <= 30 for s in sleeps.calls)  # never slept what the server asked for


async def test_caller_deadline_bounds_retry_waits():
    def handler(conn, request):
        conn.json(503, b'{"message": "busy"}', [("Retry-After", "5")])

    with HostileServer(handler) as server:
        sleeps = Sleeps()
        async with ZuoraClient(ClientSettings(server.base_url), StaticToken(TOKEN), sleep=sleeps) as client:
            with deadline.within(2.0), pytest.raises(E.ServerError, match="Gave up after 1 attempt"):
                await client.get_run(1)
            # without the caller's deadline, the 5 s wait fits the retry budget and is taken
            with pytest.raises(E.ServerError):
                await client.get_run(1)
    assert sleeps.calls == [5.0, 5.0, 5.0]
    assert len(server.requests) == 1 + 4


def test_caller_deadline_bounds_an_attempt_blocking_driver():
    def handler(conn, request):
        conn.hang()

    with HostileServer(handler) as server, BlockingClient(ClientSettings(server.base_url), StaticToken(TOKEN)) as c:
        started = time.monotonic()
        with deadline.within(0.5), pytest.raises(E.Timeout):
            c.get_run(1)
        assert time.monotonic() - started < 30  # read timeout alone: 30 s per attempt, 4 attempts
    assert len(server.requests) == 1


async def test_token_retry_waits_are_clamped():
    def handler(conn, request):
        conn.json(503, b'{"message": "token service busy"}', [("Retry-After", "60")])

    with HostileServer(handler) as server:
        sleeps = Sleeps()
        auth = OAuthClientCredentials("cid", SECRET)
        async with ZuoraClient(ClientSettings(server.base_url), auth, sleep=sleeps) as client:
            with pytest.raises(E.ServerError):
                await client.get_run(1)
    assert sleeps.calls == [] and len(server.requests) == 1


# ---------------------------------------------------------------------------- 5. the HTML parser


def test_html_text_is_linear_on_hostile_pages():
    # The old regexes needed minutes for pages like these (quadratic); this must return at once.
    assert html_text("<" * 1_000_000).startswith("<<<")
    assert html_text("<title>" * 200_000) == ""
    assert html_text("<title" * 200_000).startswith("<title<title")  # never closed: kept as text
    assert html_text("<p>" * 300_000 + "x") == "x"
    assert html_text("<html><head><TITLE>\n502  Bad Gateway</title></head><body>nginx</body></html>") == (
        "502 Bad Gateway"
    )
    assert html_text("<h1>Oops</h1>\n<p>try again</p>") == "Oops try again"
    assert parse_error_body(b"<" * 65536).text == "<" * 200


def test_get_with_a_page_of_angle_brackets():
    def handler(conn, request):
        conn.respond(500, [("Content-Type", "text/html")], b"<" * 65536)

    with HostileServer(handler) as server:
        out = run_measured(["get", "1"], env_for(server))
    assert_clean_failure(out, 8, "HTTP 500", "Zuora said: <<<<")


# ---------------------------------------------------------------------------- 7. secrets


def oauth_env(server):
    env = env_for(server, ZUORA_CLIENT_ID="cid", ZUORA_CLIENT_SECRET=SECRET)
    del env["ZUORA_BEARER_TOKEN"]
    return env


@pytest.mark.parametrize("shape", ["form", "json", "header"])
def test_server_echo_of_our_secrets_is_scrubbed(shape):
    def handler(conn, request):
        if request.path == "/oauth/token":
            if shape == "form":  # the token form echoed back, URL-encoded as we sent it
                conn.respond(400, [("Content-Type", "text/plain")], b"invalid_client: " + request.body)
            elif shape == "json":
                conn.json(401, json.dumps({"message": f"secret {SECRET} is wrong", "error": repr(request.body)}))
            else:
                conn.json(200, json.dumps({"access_token": TOKEN, "expires_in": 3600}))
        else:
            conn.json(401, json.dumps({"message": f"token rejected: {request.header('authorization')}"}))

    with HostileServer(handler) as server:
        out = run_measured(["get", "1"], oauth_env(server))
    assert out.returncode == 4 and "Zuora said:" in out.stderr
    text = out.stdout + out.stderr
    assert SECRET not in text and TOKEN not in text
    assert "client%2Bsecret%2FZq8X%3Ddo-not-leak" not in text  # the URL-encoded form
    assert "****" in text


def rendered_traceback(exc: BaseException) -> str:
    """What Textual's crash screen would print: a Rich traceback with every local shown, unabridged."""
    import io

    from rich.console import Console
    from rich.traceback import Traceback

    tb = exc.__traceback__.tb_next  # skip the test's own frame
    trace = Traceback.from_exception(
        type(exc), exc, tb, show_locals=True, locals_max_length=10_000, locals_max_string=1_000_000
    )
    console = Console(file=io.StringIO(), width=300)
    console.print(trace)
    return console.file.getvalue()


class Boom(Exception):
    pass


# A crash inside each request function: building the headers, sending, reading the body,
# finishing the response, parsing the token answer; during the token request and the GET.
CRASH_POINTS = [
    ("token-headers", "headers", "/oauth/token"),
    ("get-headers", "headers", "/workflow_runs/"),
    ("token-send", "send", "/oauth/token"),
    ("get-send", "send", "/workflow_runs/"),
    ("token-body", "body", "/oauth/token"),
    ("get-body", "body", "/workflow_runs/"),
    ("token-finish", "finish", "/oauth/token"),
    ("get-finish", "finish", "/workflow_runs/"),
    ("token-accept", "accept", "/oauth/token"),
]


def crash_target(point: str, driver: str):
    import httpx

    from tui.core import auth, body, policy, ratelimit

    return {
        "headers": (policy, "request_headers"),
        "send": (httpx.AsyncClient if driver == "async" else httpx.Client, "send"),
        "body": (body.BodyReader, "body"),
        "finish": (ratelimit.RateLimit, "from_headers"),
        "accept": (auth, "token_lifetime"),
    }[point]


@pytest.mark.parametrize("driver", ["async", "blocking"])
@pytest.mark.parametrize("name, point, when", CRASH_POINTS, ids=[c[0] for c in CRASH_POINTS])
def test_traceback_with_locals_from_every_request_function_holds_no_secret(driver, name, point, when, monkeypatch):
    from tui.core import policy

    def handler(conn, request):
        if request.path == "/oauth/token":
            conn.json(200, json.dumps({"access_token": TOKEN, "expires_in": 3600}))
        else:
            conn.json(200, RUN)

    current = {"url": ""}  # the request being made
    original_headers = policy.Outgoing.headers

    def tracked_headers(self):
        current["url"] = self.url
        return original_headers(self)

    monkeypatch.setattr(policy.Outgoing, "headers", tracked_headers)
    owner, attr = crash_target(point, driver)
    original = getattr(owner, attr)

    def crash(*args, **kwargs):
        if when in current["url"]:
            raise Boom(name)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, attr, crash)

    with HostileServer(handler) as server:
        auth = OAuthClientCredentials("cid", SECRET)
        settings = ClientSettings(server.base_url)
        if driver == "async":

            async def fetch():
                async with ZuoraClient(settings, auth) as client:
                    await client.get_run(1)

            with pytest.raises(Boom) as info:
                asyncio.run(fetch())
        else:
            with BlockingClient(settings, auth) as client, pytest.raises(Boom) as info:
                client.get_run(1)
    rendered = rendered_traceback(info.value)
    assert f"Boom: {name}" in rendered and "locals" in rendered.lower()
    assert SECRET not in rendered and TOKEN not in rendered
    assert "client%2Bsecret" not in rendered


# ---------------------------------------------------------------------------- 3. values a token endpoint sends


@pytest.mark.parametrize(
    "expires_in", [b"1" + b"0" * 400, b"NaN", b"-5", b"Infinity", b"1e400", b'"soon"', b"null", b"true"]
)
@pytest.mark.parametrize("driver", ["async", "blocking"])
def test_odd_expires_in_does_not_crash(expires_in, driver):
    def handler(conn, request):
        if request.path == "/oauth/token":
            conn.json(200, b'{"access_token": "' + TOKEN.encode() + b'", "expires_in": ' + expires_in + b"}")
        else:
            conn.json(200, RUN)

    with HostileServer(handler) as server:
        auth = OAuthClientCredentials("cid", SECRET)
        settings = ClientSettings(server.base_url)
        if driver == "async":

            async def twice():
                async with ZuoraClient(settings, auth) as client:
                    await client.get_run(1)
                    await client.get_run(1)

            asyncio.run(twice())
        else:
            with BlockingClient(settings, auth) as client:
                client.get_run(1)
                client.get_run(1)
    assert auth.issued in (1, 2)  # a -5 s lifetime is read as 1 s: at most one renewal here
    assert len(server.requests_to("/workflow_runs/")) == 2


def test_get_with_an_expires_in_of_400_digits():
    def handler(conn, request):
        if request.path == "/oauth/token":
            conn.json(200, b'{"access_token": "' + TOKEN.encode() + b'", "expires_in": 1' + b"0" * 400 + b"}")
        else:
            conn.json(200, RUN)

    with HostileServer(handler) as server:
        out = run_measured(["get", "1", "--json"], oauth_env(server))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["id"] == 1


# ---------------------------------------------------------------------------- writes: never retried blindly


def drop_after_request(conn, request):
    pass  # read the request, then hang up without answering: it may have been processed


@pytest.mark.parametrize("driver", ["async", "blocking"])
def test_write_without_idempotency_key_is_not_repeated_after_a_reset(driver):
    with HostileServer(drop_after_request) as server:
        spec = RequestSpec.write("POST", server.base_url + "/workflows/tasks/7/rerun", what="Rerun of task 7")
        with pytest.raises(E.NetworkError, match="may have reached Zuora, so it was not repeated") as info:
            call(driver, server, spec)
        assert len(server.requests) == 1
        assert server.requests[0].header("idempotency-key") is None
    assert info.value.exit_code == 10


@pytest.mark.parametrize("driver", ["async", "blocking"])
def test_write_with_idempotency_key_is_retried_with_the_same_key(driver):
    with HostileServer(drop_after_request) as server:
        key = new_idempotency_key()
        spec = RequestSpec.write(
            "PUT", server.base_url + "/workflows/workflow_runs/1/stop", what="Stop", idempotency_key=key
        )
        with pytest.raises(E.NetworkError, match="Gave up after 4 attempts"):
            call(driver, server, spec)
        assert [r.header("idempotency-key") for r in server.requests] == [key] * 4
        assert {r.method for r in server.requests} == {"PUT"}


def test_write_refused_connection_is_retried():
    with HostileServer(serve_run) as server:
        url = server.base_url
    # the server is gone: the connection is refused, so the request never left and may be repeated
    spec = RequestSpec.write("POST", url + "/workflows/tasks/7/rerun", what="Rerun of task 7")

    async def go():
        async with ZuoraClient(ClientSettings(url), StaticToken(TOKEN), sleep=Sleeps()) as client:
            with pytest.raises(E.NetworkError, match="refused"):
                await client.call(spec)
            return client.requests_sent

    assert asyncio.run(go()) == 4


def test_write_5xx_is_not_repeated_but_429_is():
    statuses = iter([503, 429, 200])

    def handler(conn, request):
        conn.json(next(statuses), b'{"success": true}')

    with HostileServer(handler) as server:
        spec = RequestSpec.write("POST", server.base_url + "/workflows/tasks/7/rerun", what="Rerun")
        with pytest.raises(E.ServerError):
            call("async", server, spec)
        response, attempts = call("async", server, spec)  # 429 (refused unprocessed), then 200
    assert response.status == 200 and attempts == 2 and len(server.requests) == 3


def call(driver, server, spec):
    settings = ClientSettings(server.base_url)
    if driver == "blocking":
        with BlockingClient(settings, StaticToken(TOKEN), sleep=lambda s: None) as client:
            return client.call(spec)

    async def go():
        async with ZuoraClient(settings, StaticToken(TOKEN), sleep=Sleeps()) as client:
            return await client.call(spec)

    return asyncio.run(go())


# ---------------------------------------------------------------------------- the body reader, unit by unit


def test_multi_member_gzip_and_raw_deflate_and_identity():
    import zlib

    from tui.core.body import BodyReader

    def read(encodings, data, step=3, limit=1000):
        reader = BodyReader(encodings, None, limit=limit, max_layers=2)
        for i in range(0, len(data), step):
            if not reader.feed(data[i : i + step]):
                break
        else:
            reader.feed(None)
        return reader.error.message if reader.error else reader.body()

    assert read(["gzip"], gzip.compress(b"ab") + gzip.compress(b"cd")) == b"abcd"
    assert read(["deflate"], zlib.compress(b"hello")) == b"hello"
    assert read(["deflate"], zlib.compress(b"hello")[2:-4]) == b"hello"  # servers that send raw deflate
    assert read(["identity"], b"x" * 1000) == b"x" * 1000
    assert "larger than" in read([], b"x" * 1001)
    assert read(["gzip", "identity"], gzip.compress(b"ok")) == b"ok"
    assert "could not be decoded" in read(["gzip"], b"not gzip at all")
    assert "does not support (br)" in read(["br"], b"x")
    assert read(["gzip"], gzip.compress(b"ok") + b"\0\0trailing") == b"ok"  # ignored, as httpx does
    assert "larger than" in BodyReader([], "5000", limit=1000, max_layers=2).error.message


def test_ctrl_c_ends_a_get_of_several_runs_at_once():
    """Requests in flight on worker threads must not hold the process after Ctrl-C."""
    import signal
    import subprocess
    import sys

    from tests.conftest import ROOT

    def handler(conn, request):
        conn.hang()

    with HostileServer(handler) as server:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tui", "get", "1", "2", "3"],
            env=env_for(server),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        try:
            ends = time.monotonic() + 30
            while len(server.requests) < 3 and time.monotonic() < ends and proc.poll() is None:
                time.sleep(0.02)
            assert len(server.requests) == 3
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=20)  # the requests themselves would run for 30 s and more
        finally:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err
