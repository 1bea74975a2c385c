"""Zuora's published examples drive the client, the simulator and the tests (issue 12).

1. Every official example is served byte for byte over real HTTP on 127.0.0.1 and read through
   the client and the model, as zwr would read Zuora.
2. The simulator's answers (run, task page, task, error bodies, rate-limit headers) are compared
   with the official examples and field table, key by key and JSON type by JSON type, so the
   simulator the other tests run against cannot drift away from Zuora again.
3. With Zuora's own rate-limit header values, 40 active runs keep polling without a 429.

The examples are copies in tests/data/zuora (see its README); nothing outside the repository is read.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.canned import EXAMPLES, Answer, CannedServer, example, example_bytes
from tests.conftest import cli_env, run_zwr
from tui.core import errors as E
from tui.core.auth import OAuthClientCredentials, StaticToken
from tui.core.client import ClientSettings, ZuoraClient
from tui.core.errors import parse_error_body, read_error_json
from tui.core.model import Run, RunStatus, Task, TaskStatus
from tui.core.present import fmt_rate_limit
from tui.core.ratelimit import QuotaPolicy, RateLimit
from tui.poll.engine import PollEngine
from tui.sim import Scenario, Simulator
from tui.sim.scenario import REFERENCE_SAMPLE
from tui.sim.server import ZUORA_RATE_LIMITS

TOKEN = "conformance-token"


class NoSleep:
    async def __call__(self, seconds: float) -> None:
        pass


def client_for(base_url: str, auth=None, **settings) -> ZuoraClient:
    return ZuoraClient(ClientSettings(base_url, **settings), auth or StaticToken(TOKEN), sleep=NoSleep())


# ---------------------------------------------------------------------------- the official field table

SCHEMA_TYPES = {"integer": (int,), "string": (str,), "number": (int, float), "object": (dict,), "boolean": (bool,)}
SCHEMA_TYPES["array"] = (list,)


def official_fields(section: str) -> dict[str, tuple[type, ...]]:
    """``field -> JSON types`` from a table of fields.md (``section`` starts its ``##`` heading)."""
    text = (EXAMPLES / "fields.md").read_text()
    block = next(b for b in text.split("\n## ") if b.startswith(section))
    fields = {}
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        name = re.fullmatch(r"`([\w.]+)`", cells[0]) if cells else None
        if name and len(cells) > 1:
            word = re.sub(r"[*`]", "", cells[1]).split()[0].rstrip(",")
            fields[name.group(1)] = SCHEMA_TYPES[word]
    return fields


RUN_FIELDS = official_fields("Run:")
TASK_FIELDS = official_fields("Task:")
ENVELOPE_FIELDS = official_fields("Task list envelope")
ACTION_TYPES = set(json.loads((EXAMPLES / "task_action_types.json").read_text()))


def test_the_field_table_is_read():
    assert {"id", "cpuTime", "messages", "tasks", "tasks.error"} <= set(RUN_FIELDS) and len(RUN_FIELDS) == 19
    assert {"workflow_id", "data", "parameters", "error_details", "task_id", "concurrent_limit"} <= set(TASK_FIELDS)
    assert TASK_FIELDS["error_details"] == (str,) and TASK_FIELDS["instance"] == (bool,)
    assert set(ENVELOPE_FIELDS) == {"data", "pagination.next_page", "pagination.page", "pagination.page_length"}
    assert len(ACTION_TYPES) == 48


def conforms(value: dict, reference: dict, schema: dict[str, tuple[type, ...]], nullable: set[str], where: str):
    """``value`` has every key of ``reference``, no key outside the official ``schema``, and each
    value has the reference's JSON type (the schema's where the reference is null); None only
    for ``nullable`` keys or where the reference itself is null."""
    assert set(reference) <= set(value), f"{where}: missing {set(reference) - set(value)}"
    top = {k for k in schema if "." not in k}
    assert set(value) <= top, f"{where}: not official: {set(value) - top}"
    for key, item in value.items():
        ref = reference.get(key)
        if item is None:
            assert ref is None or key in nullable, f"{where}: {key} is null"
            continue
        expected = (type(ref),) if ref is not None else schema[key]
        if float in expected:
            expected = (int, float)  # a JSON number
        assert isinstance(item, expected) and not (isinstance(item, bool) and bool not in expected), (
            f"{where}: {key} is {type(item).__name__}, Zuora sends {'/'.join(t.__name__ for t in expected)}"
        )


# ---------------------------------------------------------------------------- 1. examples through the client


def examples_route(overrides: dict[str, Answer] | None = None):
    """Zuora as its examples describe it: run 19063, its task page (task 2771 of workflow 476,
    next_page on rest.zuora.com) then an empty page 2, task 2771, the token endpoint."""
    overrides = overrides or {}

    def route(method: str, path: str, query: dict[str, list[str]]) -> Answer:
        if path in overrides:
            return overrides[path]
        if path == "/oauth/token":
            return Answer(body=example_bytes("oauth_token_example.json"))
        if path == "/workflows/workflow_runs/19063":
            return Answer(body=example_bytes("workflow_run_example.json"))
        if path == "/workflows/workflow_runs/400":
            return Answer(body=example_bytes("run_workflow_example.json"))
        if path == "/workflows/tasks":
            if query.get("page") == ["1"]:
                return Answer(body=example_bytes("tasks_page_example.json"))
            return Answer(body={"data": [], "pagination": {"page": int(query["page"][0]), "page_length": 1}})
        if path == "/workflows/tasks/2771":
            return Answer(body=example_bytes("task_example.json"))
        if path == "/workflows/tasks/2772":
            return Answer(body=example_bytes("task_rerun_example.json"))
        return Answer(404, example_bytes("error_bad_request_Errors.json"))

    return route


async def test_official_run_is_read_exactly():
    with CannedServer(examples_route()) as server:
        async with client_for(server.base_url) as client:
            result = await client.get_run(19063)
            queued = (await client.get_run(400)).run
    run = result.run
    assert dict(run.raw) == example("workflow_run_example.json") == REFERENCE_SAMPLE
    assert (run.id, run.name, run.original_workflow_id, run.type) == (
        19063,
        "WF-19027-00000032",
        "19027",
        "Workflow::Instance",
    )
    assert run.status is RunStatus.FINISHED and run.tasks.success == run.tasks.total == 4
    assert run.cpu_time == "19:01:04" and run.run_time == pytest.approx(64.513026)  # cpuTime as sent
    assert run.created_at.isoformat() == "2019-09-10T19:32:21+00:00" and run.anomalies == ()
    assert result.meta.request_id == "canned-0001"
    # POST /workflows/{id}/run answers a Queued run without counts or timings: nothing to complain about
    assert queued.status is RunStatus.QUEUED and not queued.tasks.known and queued.anomalies == ()


async def test_official_task_page_leaves_out_the_task_of_another_run():
    """Zuora's page lists task 2771 of workflow 476: it is not run 19063's. Its next_page names
    rest.zuora.com and drops the filters: zwr asks its own host for page 2 with its own filters."""
    with CannedServer(examples_route()) as server:
        async with client_for(server.base_url) as client:
            listing = await client.get_tasks(19063, expected_total=4)
        pages = [r.query for r in server.seen("/workflows/tasks")]
    assert listing.tasks == () and listing.left_out == 1 and listing.expected_total == 4
    assert listing.pages == 2 and listing.complete and listing.meta.request_id == "canned-0001"
    assert pages == [
        {"workflow_id": ["19063"], "instance": ["true"], "page": ["1"], "page_length": ["100"]},
        {"workflow_id": ["19063"], "instance": ["true"], "page": ["2"], "page_length": ["1"]},
    ]


async def test_official_task_and_rerun_answers():
    with CannedServer(examples_route()) as server:
        async with client_for(server.base_url) as client:
            task = await client.get_task(2771)
            rerun = await client.get_task(2772)
    assert task == rerun
    assert (task.id, task.name, task.action_type, task.status) == (2771, "If", "If", TaskStatus.SUCCESS)
    assert (task.instance, task.workflow_id, task.original_workflow_id, task.original_task_id) == (True, 476, 416, 2582)
    assert task.call_type == "SOAP" and task.parent_id is None and task.tags == ()
    assert task.error is task.error_class is task.error_details is None and task.duration == pytest.approx(0.085)
    assert task.callout.url == "https://rest.apisandbox.zuora.com/v1/action/query"
    assert task.callout.response_code == 500 and "unexpected error" in task.callout.response_body
    assert task.raw["parameters"]["strict_variables"] == "true"


async def test_official_stop_and_rerun_answers_through_the_write_methods():
    route = examples_route(
        {
            "/workflows/workflow_runs/19063/stop": Answer(body=example_bytes("stop_run_example.json")),
            "/workflows/tasks/2771/rerun": Answer(body=example_bytes("task_rerun_example.json")),
        }
    )
    with CannedServer(route) as server:
        async with client_for(server.base_url) as client:
            stopped = await client.stop_run(19063)
            rerun = await client.rerun_task(2771, idempotency_key="zwr-conformance")
        sent = server.seen("/rerun")
    assert stopped.data == {"success": True} and stopped.meta.request_id
    assert rerun.task.id == 2771 and rerun.task.status is TaskStatus.SUCCESS and rerun.meta.status == 200
    headers = {name.lower(): value for name, value in sent[0].headers.items()}
    assert sent[0].method == "POST" and headers["idempotency-key"] == "zwr-conformance"


WRITE_ERRORS = [
    ("error_stop_run_404.json", 404, E.NotFound, "45 days in production"),
    ("error_workflow_errors.json", 409, E.Refused, "Zuora refused to stop run 19063 (HTTP 409)"),
    ("error_common_reasons.json", 400, E.Refused, "Zuora refused to stop run 19063 (HTTP 400)"),
    ("error_common_reasons.json", 200, E.Refused, "reported a failure"),
    ("error_unauthorized.json", 401, E.AuthError, "HTTP 401"),
]


@pytest.mark.parametrize("name, status, error, text", WRITE_ERRORS, ids=[f"{e[0]}-{e[1]}" for e in WRITE_ERRORS])
async def test_official_error_bodies_on_a_stop(name, status, error, text):
    answer = Answer(status, example_bytes(name), {"WWW-Authenticate": "Bearer"} if status == 401 else {})
    with CannedServer(examples_route({"/workflows/workflow_runs/19063/stop": answer})) as server:
        async with client_for(server.base_url) as client:
            with pytest.raises(error) as info:
                await client.stop_run(19063)
    zuora_words = parse_error_body(example_bytes(name)).text
    assert text in info.value.message and info.value.zuora_text == zuora_words and info.value.request_id


ERRORS = [
    # file, the status Zuora documents it with, the error zwr raises, Zuora's words in it
    ("error_common_reasons.json", 400, E.BadInput, "'termType' value should be one of: TERMED, EVERGREEN"),
    ("error_unauthorized.json", 401, E.AuthError, "Authentication error"),
    ("error_stop_run_404.json", 404, E.NotFound, "Cannot find a workflow run with id provided."),
    ("error_workflow_errors.json", 409, E.BadResponse, "The provided workflow_id references a workflow instance"),
    ("error_bad_request_Errors.json", 404, E.NotFound, "Task not found"),
    ("error_proxy_bad_request.json", 400, E.BadInput, "invalid id"),
]


@pytest.mark.parametrize("name, status, error, text", ERRORS, ids=[e[0] for e in ERRORS])
async def test_official_error_bodies(name, status, error, text):
    answer = Answer(status, example_bytes(name), {"WWW-Authenticate": "Bearer"} if status == 401 else {})
    with CannedServer(examples_route({"/workflows/workflow_runs/19063": answer})) as server:
        async with client_for(server.base_url) as client:
            with pytest.raises(error) as info:
                await client.get_run(19063)
    assert info.value.status == status and text in info.value.zuora_text and info.value.request_id


@pytest.mark.parametrize("name, status, error, text", ERRORS, ids=[e[0] for e in ERRORS])
async def test_official_error_bodies_with_http_200_are_errors(name, status, error, text):
    """Zuora's error-handling guide: a 200 does not by itself mean success."""
    answer = Answer(200, example_bytes(name))
    with CannedServer(examples_route({"/workflows/workflow_runs/19063": answer, "/workflows/tasks": answer})) as server:
        async with client_for(server.base_url) as client:
            with pytest.raises(E.BadResponse) as run_info:
                await client.get_run(19063)
            with pytest.raises(E.BadResponse) as tasks_info:
                await client.get_tasks(19063)
    for info in (run_info, tasks_info):
        assert info.value.exit_code == 11 and text in info.value.zuora_text and info.value.request_id
        assert "reported a failure" in info.value.message
    if name == "error_common_reasons.json":
        assert "processId CBCFED6580B4E076" in run_info.value.message


@pytest.mark.parametrize(
    "name",
    [
        "stop_run_example.json",
        "run_workflow_example.json",
        "workflow_definition_example.json",
        "workflows_page_example.json",
        "usages_example.json",
        "tasks_page_example.json",
        "task_example.json",
        "oauth_token_example.json",
    ],
)
def test_successful_examples_are_not_mistaken_for_errors(name):
    assert not read_error_json(example(name)).failed


def test_every_error_example_reads_as_a_failure():
    for name in sorted(p.name for p in EXAMPLES.glob("error_*.json")):
        body = read_error_json(example(name))
        assert body.failed and body.text, name
    assert read_error_json(example("error_common_reasons.json")).process_id == "CBCFED6580B4E076"
    assert read_error_json(example("error_proxy_bad_request.json")).codes == ("INVALID_VALUE",)


async def test_official_token_answer():
    auth = OAuthClientCredentials("client-id", "client-secret")
    with CannedServer(examples_route()) as server:
        async with client_for(server.base_url, auth=auth) as client:
            await client.get_run(19063)
        run_request = server.seen("/workflow_runs/")[0]
    assert run_request.headers["Authorization"] == "Bearer " + example("oauth_token_example.json")["access_token"]
    assert auth.issued == 1


async def test_official_429_and_its_rate_limit_header():
    sample = example("rate_limit_429_example.json")
    answer = Answer(sample["status"], b"", sample["headers"])
    with CannedServer(examples_route({"/workflows/workflow_runs/19063": answer})) as server:
        async with client_for(server.base_url, max_attempts=1) as client:
            with pytest.raises(E.RateLimited):
                await client.get_run(19063)
            rate, budget = client.rate_limit, client.budget_left()
    assert (rate.limit, rate.remaining, rate.reset, rate.window) == (2_250_000, 0, 600, 3600)
    assert rate.policies == (QuotaPolicy(50_000, 60), QuotaPolicy(2_250_000, 3600), QuotaPolicy(27_000_000, 86400))
    assert budget[0] == 0 and 590 < budget[1] <= 600
    assert fmt_rate_limit(rate) == "0 left of 2,250,000 per hour"


def test_zwr_tasks_on_the_official_page():
    """The issue's first finding, as a user would meet it."""
    with CannedServer(examples_route()) as server:
        out = run_zwr("tasks", "19063", env=cli_env(ZUORA_BASE_URL=server.base_url, ZUORA_BEARER_TOKEN=TOKEN))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "Run 19063: 0 of 4 tasks (1 task of another run left out) in 2 pages"
    assert "2771" not in out.stdout
    assert lines[-1] == "Zuora-Request-Id canned-0002 (first page)"  # 0001 was the run
    assert out.stderr == ""  # following next_page on another host is routine: no warning...
    with CannedServer(examples_route()) as server:
        env = cli_env(ZUORA_BASE_URL=server.base_url, ZUORA_BEARER_TOKEN=TOKEN)
        debug = run_zwr("tasks", "19063", "--debug", env=env)
    assert "next_page names another host" in debug.stderr  # ...but --debug says so


def test_zwr_get_shows_cpu_time_as_sent_utc_and_messages():
    with CannedServer(examples_route()) as server:
        out = run_zwr("get", "19063", env=cli_env(ZUORA_BASE_URL=server.base_url, ZUORA_BEARER_TOKEN=TOKEN))
    assert out.returncode == 0 and "cpuTime 19:01:04" in out.stdout and "runTime 1m 04s" in out.stdout
    assert "Created   2019-09-10 19:32:21 UTC" in out.stdout
    with Simulator(production=True) as sim:
        shown = run_zwr("get", "19066", env=cli_env(sim))
        raw = sim_get(sim, "/workflows/workflow_runs/19066").json()["messages"]
    first = next(iter(raw))
    assert shown.returncode == 0 and f"Messages  {first}: Callout response was 500" in shown.stdout


def test_zwr_get_on_a_200_refusal_exits_11_with_zuoras_words():
    answer = Answer(200, example_bytes("error_common_reasons.json"))
    with CannedServer(examples_route({"/workflows/workflow_runs/19063": answer})) as server:
        env = cli_env(ZUORA_BASE_URL=server.base_url, ZUORA_BEARER_TOKEN=TOKEN)
        out = run_zwr("get", "19063", env=env)
        as_json = run_zwr("get", "19063", "19064", "--json", env=env)
    assert out.returncode == 11 and out.stdout == ""
    assert "'termType' value should be one of" in out.stderr and "CBCFED6580B4E076" in out.stderr
    assert "Zuora-Request-Id: canned-0001" in out.stderr
    assert json.loads(as_json.stdout)[0]["error"]["kind"] == "bad_response"


# ---------------------------------------------------------------------------- 2. the simulator against them


def sim_get(sim: Simulator, path: str, token: str | None = None, method: str = "GET", **params) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token or sim.demo_token}"}
    return httpx.request(method, sim.base_url + path, params=params or None, headers=headers)


RUN_NULLABLE = {"finishedAt"}  # null while the run is not finished
TASK_NULLABLE = {"start_time", "end_time", "task_id"}  # not started, not ended, the first task


def test_simulator_serves_the_reference_run_exactly(sim):
    assert sim_get(sim, "/workflows/workflow_runs/19063").json() == example("workflow_run_example.json")


@pytest.mark.parametrize("run_id", [19064, 19066, 19067, 19068, 19069, 19070, 19072, 19073])
def test_simulator_run_matches_official(run_id):
    with Simulator(production=True) as sim:
        run = sim_get(sim, f"/workflows/workflow_runs/{run_id}").json()
    official = example("workflow_run_example.json")
    conforms(run, official, RUN_FIELDS, RUN_NULLABLE, f"run {run_id}")
    tasks = {k[6:]: v for k, v in RUN_FIELDS.items() if k.startswith("tasks.")}
    assert set(run["tasks"]) == set(official["tasks"]) == set(tasks)
    assert all(type(v) is int for v in run["tasks"].values())
    assert run["type"] == "Workflow::Instance"
    assert ("messages" in run) == (run["tasks"]["error"] > 0)  # production only, from the failed tasks
    assert Run.parse(run).anomalies == ()


def test_simulator_task_page_matches_official():
    with Simulator(next_page_host="https://rest.zuora.com") as sim:
        page = sim_get(sim, "/workflows/tasks", workflow_id=19073, instance="true", page=1, page_length=100).json()
        last = sim_get(sim, "/workflows/tasks", workflow_id=19073, instance="true", page=3, page_length=100).json()
    official = example("tasks_page_example.json")
    assert set(page) == set(official) and set(page["pagination"]) == set(official["pagination"])
    assert {f"pagination.{k}" for k in page["pagination"]} | {"data"} == set(ENVELOPE_FIELDS)
    for key, value in page["pagination"].items():
        assert type(value) is type(official["pagination"][key])
    ours, theirs = urlsplit(page["pagination"]["next_page"]), urlsplit(official["pagination"]["next_page"])
    assert (ours.scheme, ours.netloc, ours.path) == (theirs.scheme, theirs.netloc, theirs.path)
    assert set(parse_qs(ours.query)) == set(parse_qs(theirs.query)) == {"page", "page_length"}
    assert parse_qs(ours.query) == {"page": ["2"], "page_length": ["100"]}
    assert len(page["data"]) == 100 and "next_page" not in last["pagination"] and len(last["data"]) == 50


def test_simulator_tasks_match_official():
    official = example("task_example.json")
    with Simulator() as sim:
        tasks = []
        # pages with every task status: finished with errors, stopped, settling, queued, processing
        for run_id, number in ((19073, 3), (19066, 1), (19068, 1), (19069, 1), (19064, 1), (19070, 5)):
            page = sim_get(sim, "/workflows/tasks", workflow_id=run_id, instance="true", page=number, page_length=100)
            tasks += [(run_id, t) for t in page.json()["data"]]
        single = sim_get(sim, f"/workflows/tasks/{tasks[0][1]['id']}").json()
    assert single == tasks[0][1]
    statuses = {t["status"] for _, t in tasks}
    assert statuses == {"Success", "Error", "Stopped", "Pending", "Queued", "Processing"}, statuses
    callouts = 0
    for run_id, task in tasks:
        where = f"task {task['id']} ({task['status']})"
        conforms(task, official, TASK_FIELDS, TASK_NULLABLE | ERROR_FIELDS, where)
        assert task["workflow_id"] == run_id and task["instance"] is True and task["action_type"] in ACTION_TYPES
        assert task["status"] in {"Queued", "Processing", "Pending", "Success", "Stopped", "Error"}
        errors = [task[k] for k in sorted(ERROR_FIELDS)]
        if task["status"] == "Error":
            assert all(isinstance(v, str) and v for v in errors), where  # error_details is a string
        else:
            assert errors == [None, None, None], where  # error fields only on Error tasks
        assert set(task["data"]) <= set(official["data"]) and "Workflow" in task["data"]
        if task["action_type"] == "Callout":
            callouts += 1
            callout, reference = task["data"]["Callout"], official["data"]["Callout"]
            assert set(callout) == set(reference), where
            assert all(type(callout[k]) is type(reference[k]) for k in reference), where
        parsed = Task.parse(task)
        assert parsed.belongs_to(run_id) and parsed.id == task["id"]
    assert callouts > 3


ERROR_FIELDS = {"error", "error_class", "error_details"}


def shape(value):
    """The JSON types of a value, recursively (what must match; values may differ)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value[:1]]
    return type(value).__name__


def test_simulator_error_bodies_match_official(sim):
    unauthorized = sim_get(sim, "/workflows/workflow_runs/19063", token="wrong")
    stop = sim_get(sim, "/workflows/workflow_runs/999/stop", method="PUT")
    task = sim_get(sim, "/workflows/tasks/999")
    run = sim_get(sim, "/workflows/workflow_runs/999")
    assert (unauthorized.status_code, unauthorized.json()) == (401, example("error_unauthorized.json"))
    assert (stop.status_code, stop.json()) == (404, example("error_stop_run_404.json"))
    assert (task.status_code, task.json()) == (404, example("error_bad_request_Errors.json"))
    assert run.status_code == 404 and shape(run.json()) == shape(example("error_common_reasons.json"))
    assert str(run.json()["reasons"][0]["code"]).endswith("40")  # Zuora's "not found" category
    assert sim_get(sim, "/workflows/workflow_runs/19072/stop", method="PUT").json() == example("stop_run_example.json")
    ended = sim_get(sim, "/workflows/workflow_runs/19063/stop", method="PUT")  # zwr's assumption: 409
    assert ended.status_code == 409 and shape(ended.json()) == shape(example("error_workflow_errors.json"))
    rerun = sim_get(sim, "/workflows/tasks/1906600010/rerun", method="POST")
    assert rerun.status_code == 200 and set(example("task_rerun_example.json")) <= set(rerun.json())


def test_simulator_rate_limit_headers_match_official():
    sample = example("rate_limit_429_example.json")
    with Simulator(rate_limit=ZUORA_RATE_LIMITS, rate_spent={3600.0: 2_250_000}) as spent:
        answer = sim_get(spent, "/workflows/workflow_runs/19063")
    assert answer.status_code == sample["status"] and answer.content == b""  # the sample has no body
    assert {name.lower() for name in sample["headers"]} <= set(answer.headers)  # httpx lower-cases names
    assert answer.headers["ratelimit-limit"] == sample["headers"]["ratelimit-limit"]
    assert answer.headers["ratelimit-remaining"] == "0" and 3500 <= int(answer.headers["ratelimit-reset"]) <= 3600
    assert int(answer.headers["Retry-After"]) == int(answer.headers["ratelimit-reset"])
    with Simulator(rate_limit=ZUORA_RATE_LIMITS) as fresh:
        ok = sim_get(fresh, "/workflows/workflow_runs/19063")
    ours, theirs = RateLimit.from_headers(ok.headers), RateLimit.from_headers(sample["headers"])
    assert ours.policies == theirs.policies and ours.window == 60 and ours.remaining == 49_999  # the minute is closest


# ---------------------------------------------------------------------------- 3. polling with Zuora's limits


async def test_forty_runs_with_zuoras_rate_limit_neither_stall_nor_earn_a_429():
    """Zuora's sample header (2250000, 50000;w=60, 2250000;w=3600, 27000000;w=86400) with the hour
    nearly spent: 30,000 requests left, reset in 600 s. Forty active runs must keep polling (a
    gate that keeps back 2% of the hourly quota, 45,000, would wait the 10 minutes out) and never
    earn a 429; the intervals stretch to spread the budget (600 s x 40 runs / 30,000 = 0.8 s)."""
    scenario = Scenario()
    run_ids = scenario.add_synthetic(40, active=True, duration=3600)
    spent = {3600.0: 2_250_000 - 30_000}
    with Simulator(scenario, rate_limit=ZUORA_RATE_LIMITS, rate_spent=spent, rate_age={3600.0: 3000.0}) as sim:
        async with ZuoraClient(ClientSettings(sim.base_url), StaticToken(sim.demo_token)) as client:
            polls: dict[int, int] = dict.fromkeys(run_ids, 0)

            def count(update):
                if update.error is None and update.run is not None:
                    polls[update.run_id] += 1

            engine = PollEngine(client, count, interval=0.3)
            for run_id in run_ids:
                engine.watch(run_id)
            deadline = time.monotonic() + 60
            while min(polls.values()) < 3 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await engine.aclose()
            rate = client.rate_limit
        assert min(polls.values()) >= 3, f"polling stalled: {sorted(polls.values())[:5]}"
        assert sim.rejected_429 == 0
    assert (rate.limit, rate.window) == (2_250_000, 3600) and 29_000 < rate.remaining < 30_000
    assert 500 < rate.reset <= 600 and engine.frugal  # it knows the budget is tight, and stretches


async def test_a_200_refusal_reaches_the_poll_engine_as_an_error():
    """What the TUI's error panel shows: the engine's update carries Zuora's reason, not a run
    with "Unknown (no status)"."""
    answer = Answer(200, example_bytes("error_proxy_bad_request.json"))
    with CannedServer(examples_route({"/workflows/workflow_runs/19063": answer})) as server:
        async with client_for(server.base_url) as client:
            updates = []
            engine = PollEngine(client, updates.append, interval=0.3)
            engine.watch(19063)
            deadline = time.monotonic() + 20
            while not updates and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            await engine.aclose()
    update = updates[0]
    assert update.run is None and update.error.kind == "bad_response" and not update.polling
    assert update.error.zuora_text == "invalid id" and update.error.request_id == "canned-0001"
