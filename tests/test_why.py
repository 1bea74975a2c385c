"""Why did it fail (issue 14), headless: workflow context, `zwr report`, `zwr find`, bad input.

Against the simulator over real HTTP (its realistic error mix is run 19075) or a canned server
where Zuora's exact bytes or a misbehaving server are needed. The commands run in-process
(``tui.cli.main.main``), which is what the installed ``zwr`` calls, to keep the suite fast.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.canned import Answer, CannedServer, example, example_bytes
from tui.cli.main import main
from tui.core import errors as E
from tui.core.auth import StaticToken
from tui.core.client import ClientSettings, ZuoraClient
from tui.core.model import Workflow
from tui.core.report import BODY_LIMIT
from tui.core.search import TaskQuery
from tui.sim import Simulator

INVOICE = "8a8082c40e1c000000000000000000b7"  # touched by runs 19070, 19073 and 19075 (which failed on it)


def zwr(capsys, monkeypatch, base_url: str, token: str, *args: str) -> tuple[int, str, str]:
    import logging

    root = logging.getLogger()  # an earlier in-process `--debug` leaves a handler on a closed stream
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(root, "level", logging.WARNING)
    monkeypatch.setenv("ZUORA_BASE_URL", base_url)
    monkeypatch.setenv("ZUORA_BEARER_TOKEN", token)
    monkeypatch.setenv("NO_COLOR", "1")
    try:
        code = main(list(args))
    except SystemExit as exit:  # argparse refusals
        code = exit.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def run(capsys, monkeypatch, sim):
    return lambda *args: zwr(capsys, monkeypatch, sim.base_url, sim.demo_token, *args)


# ---------------------------------------------------------------------------- workflow context (item 4)


def test_get_names_the_workflow_once_per_definition(run, sim):
    code, out, err = run("get", "19066", "19067", "19068")  # 19067 and 19068 share workflow 19033
    assert code == 0 and err == ""
    assert (
        "  Workflow  Billing webhook notifications (workflow 19032), active version 3.0.1; triggers: on demand, "
        "scheduled; schedule 0 2 * * * (America/Los_Angeles); priority High" in out.splitlines()
    )
    assert out.count("Account cleanup (workflow 19033)") == 2
    definitions = [r.path for r in sim.requests_to("/workflows/190")]
    assert sorted(definitions) == ["/workflows/19032", "/workflows/19033"]


def test_a_403_on_the_definition_is_one_quiet_line_and_the_run_is_shown(run, sim):
    sim.add_fault("status", status=403, path=r"^/workflows/19032$")
    code, out, err = run("get", "19066")
    assert code == 0 and err == ""
    line = next(line for line in out.splitlines() if line.startswith("  Workflow"))
    assert "19032 (definition not available: Permission denied (HTTP 403)" in line
    assert '"Workflow View Access"' in line and "The run itself is not affected" in line
    assert "✖ Finished" in out and "3 task errors" in out


def test_get_json_is_zuoras_run_object_and_asks_for_no_definition(run, sim):
    code, out, _ = run("get", "19066", "--json")
    assert code == 0 and json.loads(out)["originalWorkflowId"] == 19032
    assert sim.requests_to("/workflows/19032") == []


async def test_the_official_definition_is_read():
    def route(method, path, query):
        if path == "/workflows/2":
            return Answer(body=example_bytes("workflow_definition_example.json"))
        return Answer(404, example_bytes("error_bad_request_Errors.json"))

    with CannedServer(route) as server:
        async with ZuoraClient(ClientSettings(server.base_url), StaticToken("t")) as client:
            result = await client.get_workflow("2")  # originalWorkflowId is declared a string
            with pytest.raises(E.NotFound) as missing:
                await client.get_workflow(3)
            with pytest.raises(E.BadInput):
                await client.get_workflow("WF-1")
    flow = result.workflow
    assert (flow.id, flow.name, flow.version, flow.version_id, flow.status) == (2, "test", "0.0.1", 49, "Active")
    assert flow.triggers == ("on demand", "callout") and flow.schedule is None and flow.timezone == "Sydney"
    assert flow.priority == "Medium" and flow.description is None and flow.anomalies == ()
    assert result.meta.request_id and "definition was not found" in missing.value.message


def test_the_simulators_definitions_have_zuoras_shape(sim):
    import httpx

    official = example("workflow_definition_example.json")
    for workflow_id in (19027, 19040, 100):  # named, detailed, and one no run names
        answer = httpx.get(
            f"{sim.base_url}/workflows/{workflow_id}", headers={"Authorization": f"Bearer {sim.demo_token}"}
        )
        if workflow_id == 100:
            assert answer.status_code == 404
            continue
        body = answer.json()
        assert set(body) == set(official) and set(body["active_version"]) == set(official["active_version"])
        assert all(type(body[k]) is type(official[k]) for k in official), workflow_id
        assert Workflow.parse(body).anomalies == ()


@given(
    st.dictionaries(
        st.sampled_from([*example("workflow_definition_example.json"), "x"]),
        st.none() | st.integers() | st.text(max_size=20) | st.booleans() | st.lists(st.integers(), max_size=2),
    )
)
def test_workflow_parser_never_raises(data):
    flow = Workflow.parse(data)
    assert isinstance(flow.triggers, tuple) and (flow.schedule is None or isinstance(flow.schedule, str))


# ---------------------------------------------------------------------------- zwr report (item 5)


def test_report_markdown_of_the_realistic_mix(run):
    code, out, err = run("report", "19075")
    assert code == 0 and err == ""
    assert out.startswith("### zwr incident report: run 19075 (WF-19040-00000314)\n")
    assert "- **Workflow:** Nightly invoice notifications (workflow 19040), active version 4.2.0" in out
    assert "- **Tasks:** 400 total: 316 success, 84 error" in out
    rows = [line for line in out.splitlines() if re.match(r"\| \d", line)]
    assert [row.split(" | ")[0] for row in rows] == ["| 80", "| 3", "| 1"]
    assert (
        "Callout response was 500 after \\<n\\> tries." in rows[0]
        and "HTTP 500 from hooks.acme-billing.example" in rows[0]
    )
    assert 'answered HTTP 500: \\{"error": "database timeout"' in out  # one example each, with the callout
    assert re.search(r"^- run: [0-9a-f-]{36}$", out, re.M) and re.search(r"^- workflow: [0-9a-f-]{36}$", out, re.M)


def test_report_text_and_json(run):
    code, text, _ = run("report", "19066", "--format", "text")
    assert code == 0 and "  Environment  " in text and "       3 × WorkflowError::Callout:" in text
    code, raw, _ = run("report", "19066", "--format", "json")
    document = json.loads(raw)
    assert document["run"]["outcome"] == "failed" and document["workflow"]["interval"] == "0 2 * * *"
    group = document["error_groups"][0]
    assert group["count"] == 3 and group["response_codes"] == {"500": 3} and len(group["task_ids"]) == 3
    assert group["first_task"]["callout_response_code"] == 500
    assert set(document["request_ids"]) == {"run", "tasks (first page)", "workflow"}
    code, _, err = run("report", "19066", "--format", "md")
    assert code == 2 and "must be one of markdown, text, json" in err


def test_report_survives_what_it_cannot_read(run, sim):
    sim.add_fault("status", status=500, path=r"^/workflows/tasks$")
    sim.add_fault("status", status=403, path=r"^/workflows/19032$")
    code, out, _ = run("report", "19066")
    assert code == 0 and "✖ Finished: 3 task errors" in out
    assert "#### Errors: 3 tasks (not listed)" in out and "The tasks could not be listed" in out
    assert "19032 (definition not available: Permission denied \\(HTTP 403\\)" in out
    assert re.search(r"^- tasks \(failed\): [0-9a-f-]{36}$", out, re.M) and "- workflow (failed): " in out
    code, _, err = run("report", "99999")
    assert code == 6 and "not found" in err


HOSTILE = "Bad *input* | [click](http://evil.example) `x` <script> \x1b]52;c;ZXZpbA==\x07 _u_ #1 & ~s~"


def hostile_route(method, path, query):
    """A failed run whose task carries hostile text and a 1 MB callout response body."""
    run = {
        "id": 7,
        "name": "Run *7* [bold]",
        "status": "Finished",
        "originalWorkflowId": "70",
        "tasks": {"total": 1, "queued": 0, "processing": 0, "pending": 0, "stopped": 0, "success": 0, "error": 1},
    }
    task = {
        "id": 71,
        "name": "Notify | them",
        "status": "Error",
        "action_type": "Callout",
        "instance": True,
        "workflow_id": 7,
        "error": HOSTILE,
        "error_class": "WorkflowError::Callout",
        "error_details": "x" * 200_000,
        "data": {"Callout": {"URL": "https://hook.example/a|b", "ResponseCode": 500, "ResponseBody": "y" * 1_000_000}},
    }
    if path == "/workflows/workflow_runs/7":
        return Answer(body=run)
    if path == "/workflows/tasks":
        return Answer(body={"data": [task], "pagination": {"page": 1, "page_length": 100}})
    if path == "/workflows/70":
        return Answer(body={"id": 70, "name": "Flow | *one*", "interval": "0 1 * * *", "timezone": "UTC"})
    return Answer(404, {"message": "no"})


def test_report_keeps_hostile_text_literal_and_caps_huge_bodies(capsys, monkeypatch):
    with CannedServer(hostile_route) as server:
        code, out, _ = zwr(capsys, monkeypatch, server.base_url, "t", "report", "7")
        _, text, _ = zwr(capsys, monkeypatch, server.base_url, "t", "report", "7", "--format", "text")
        _, raw, _ = zwr(capsys, monkeypatch, server.base_url, "t", "report", "7", "--format", "json")
    assert code == 0
    for output in (out, text, raw):
        assert "\x1b" not in output and "\x07" not in output and len(output) < 20_000
    escaped = "Bad \\*input\\* \\| \\[click\\]\\(http://evil.example\\) \\`x\\` \\<script\\> ␛]52;c;ZXZpbA==␇ \\_u\\_ \\#1 \\& \\~s\\~"
    assert escaped.replace("]52", "\\]52") in out  # every markdown special character escaped
    assert "### zwr incident report: run 7 (Run \\*7\\* \\[bold\\])" in out
    assert "Flow \\| \\*one\\* (workflow 70)" in out and "schedule 0 1 \\* \\* \\* \\(UTC\\)" in out
    assert "y" * BODY_LIMIT + "… (cut: 1,000,000 characters in all)" in out  # capped and marked
    table = next(line for line in out.splitlines() if line.startswith("| 1 |"))
    assert table.count(" | ") == 5  # the hostile pipes did not add columns
    assert HOSTILE.replace("\x1b", "␛").replace("\x07", "␇") in text  # plain text: literal, escapes visible
    assert json.loads(raw)["error_groups"][0]["first_task"]["callout_response_body"].endswith("in all)")


# ---------------------------------------------------------------------------- zwr find (item 6)


def test_find_groups_the_tasks_by_run_failed_runs_first(run, sim):
    code, out, err = run("find", "--object-id", INVOICE)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == f"Tasks with object ID {INVOICE}: 23 tasks in 3 runs (1 page)"
    runs = [line for line in lines if line.startswith("Run ")]
    assert [line.split()[1] for line in runs] == ["19075", "19073", "19070"]
    assert "✖ Finished: 84 task errors" in runs[0] and "[2 matching tasks, 1 in Error]" in runs[0]
    assert "WorkflowError::Callout: Callout response was 500 after 3 tries." in out
    queries = [r.query for r in sim.requests_to("/workflows/tasks")]
    assert queries == [{"object_id": [INVOICE], "instance": ["true"], "page": ["1"], "page_length": ["100"]}]


def test_find_json_for_scripts(run):
    code, out, _ = run("find", "--object-id", INVOICE, "--action-type", "Callout", "--json")
    document = json.loads(out)
    assert code == 0 and document["complete"] and document["query"]["action_type"] == "Callout"
    assert [entry["run_id"] for entry in document["runs"]] == [19075]
    task = document["runs"][0]["matching_tasks"][0]
    assert task["object_id"] == INVOICE and task["status"] == "Error" and document["runs"][0]["task_errors"] == 84


def test_find_refuses_before_sending_anything(run, sim):
    assert run("find")[0] == 2
    code, _, err = run("find", "--object-id", "a\x1bb")
    assert code == 2 and "printable" in err
    code, _, err = run("find", "--object-id", INVOICE, "--watch")  # pytest's stdout is not a terminal
    assert code == 2 and "needs a terminal" in err
    code, _, err = run("find", "--object-id", INVOICE, "--limit", "0")
    assert code == 2
    assert sim.requests == []


def test_find_does_not_believe_a_server_that_ignores_its_filters(capsys, monkeypatch):
    """Zuora's own page example answers task 2771 (object_id null) whatever is asked."""

    def route(method, path, query):
        if path == "/workflows/tasks":
            return Answer(body=example_bytes("tasks_page_example.json") if query["page"] == ["1"] else {"data": []})
        return Answer(404, {"message": "no"})

    with CannedServer(route) as server:
        code, out, _ = zwr(capsys, monkeypatch, server.base_url, "t", "find", "--object-id", INVOICE)
    assert code == 0 and "0 tasks in 0 runs" in out and "1 task that did not match the filters left out" in out
    assert "No task of any run matches." in out


def test_find_stops_at_its_limit_and_says_so(capsys, monkeypatch):
    def route(method, path, query):
        if path == "/workflows/tasks":
            page = int(query["page"][0])
            tasks = [
                {"id": page * 1000 + i, "status": "Success", "instance": True, "workflow_id": 5, "object_id": "R1"}
                for i in range(100)
            ]
            return Answer(
                body={"data": tasks, "pagination": {"next_page": f"https://x/?page={page + 1}&page_length=100"}}
            )
        return Answer(body={"id": 5, "status": "Finished", "tasks": {"total": 1}})

    with CannedServer(route) as server:
        code, out, err = zwr(capsys, monkeypatch, server.base_url, "t", "find", "--object-id", "R1", "--limit", "250")
        pages = len(server.seen("/workflows/tasks"))
    assert code == 11 and pages == 3 and "300 tasks in 1 run (3 pages)" in out
    assert "the search stopped early: Zuora still offered more after 3 pages" in err and "--limit (now 250)" in err


def test_task_query_params_and_checks():
    query = TaskQuery(object_id=" R1 ", tags=("a", " ", "b"))
    assert query.params() == {"instance": "true", "object_id": "R1", "tags[]": ["a", "b"]}
    assert query.describe() == "object ID R1, tag a or b" and TaskQuery(name="  ").empty
    from tui.core.model import Task

    ok = Task.parse({"id": 1, "object_id": "R1", "tags": ["b"], "instance": True})
    assert query.matches(ok)
    assert not query.matches(Task.parse({"id": 2, "object_id": "R1", "tags": []}))
    assert not query.matches(Task.parse({"id": 3, "object_id": "R2", "tags": ["a"]}))
    assert not query.matches(Task.parse({"id": 4, "object_id": "R1", "tags": ["a"], "instance": False}))
    assert TaskQuery(object="invoice").matches(Task.parse({"id": 5, "object": "Invoice"}))


async def test_client_refuses_an_empty_search():
    async with ZuoraClient(ClientSettings("http://127.0.0.1:9"), StaticToken("t")) as client:
        with pytest.raises(E.BadInput):
            await client.find_tasks(TaskQuery())


def test_help_has_examples_for_the_new_commands(capsys):
    for command in ("report", "find"):
        with pytest.raises(SystemExit) as done:
            main([command, "--help"])
        assert done.value.code == 0 and f"zwr {command}" in capsys.readouterr().out.split("examples:")[1]


def test_the_simulator_serves_definitions_with_rate_limits():
    with Simulator(rate_limit=(2, 60.0)) as sim:
        import httpx

        headers = {"Authorization": f"Bearer {sim.demo_token}"}
        answers = [httpx.get(f"{sim.base_url}/workflows/19027", headers=headers).status_code for _ in range(3)]
    assert answers == [200, 200, 429]


def test_report_marks_production_and_sums_up_beyond_twenty_groups():
    from datetime import UTC, datetime

    from tui.core.environments import environment_name
    from tui.core.errorgroups import group_errors
    from tui.core.model import Run, Task
    from tui.core.report import Incident, render

    run = Run.parse({"id": 9, "status": "Finished", "tasks": {"total": 25, "error": 25}})
    tasks = [
        Task.parse({"id": i, "status": "Error", "error_class": f"Kind{chr(65 + i)}", "error": "boom"})
        for i in range(25)
    ]
    incident = Incident(
        run=run,
        environment=environment_name("https://rest.zuora.com"),
        production=True,
        generated_at=datetime(2024, 1, 1, tzinfo=UTC),
        groups=group_errors(tasks),
        tasks_listed=25,
    )
    markdown, text = render(incident, "markdown"), render(incident, "text")
    assert "- **Environment:** **⚠ PRODUCTION** US Production, Cloud 2 \\(https://rest.zuora.com\\)" in markdown
    assert "  Environment  ⚠ PRODUCTION  US Production, Cloud 2 (https://rest.zuora.com)" in text
    for output in (markdown, text):
        assert "… and 5 more groups (5 tasks)." in output
    assert markdown.count("\n| 1 |") == 20
    with pytest.raises(ValueError):
        render(incident, "html")


def test_the_realistic_error_mix_keeps_zuoras_task_shape(sim):
    """The new failure kinds (timeouts, validation errors) answer in the official Task shape too."""
    import httpx

    from tests.test_conformance import ACTION_TYPES, ERROR_FIELDS, TASK_FIELDS, TASK_NULLABLE, conforms

    official = example("task_example.json")
    headers = {"Authorization": f"Bearer {sim.demo_token}"}
    params = {"workflow_id": 19075, "instance": "true", "page": 4, "page_length": 100}
    tasks = httpx.get(f"{sim.base_url}/workflows/tasks", params=params, headers=headers).json()["data"]
    failed = [t for t in tasks if t["status"] == "Error"]
    assert {t["error_class"] for t in failed} == {
        "WorkflowError::Callout",
        "WorkflowError::Timeout",
        "WorkflowError::Validation",
    }
    for task in tasks:
        conforms(task, official, TASK_FIELDS, TASK_NULLABLE | ERROR_FIELDS, f"task {task['id']}")
        assert task["action_type"] in ACTION_TYPES
        if task["action_type"] == "Callout":
            callout, reference = task["data"]["Callout"], official["data"]["Callout"]
            assert set(callout) == set(reference) and all(type(callout[k]) is type(reference[k]) for k in reference)
