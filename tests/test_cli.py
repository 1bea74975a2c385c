"""The headless commands as a user runs them: a subprocess against the simulator."""

import json

import pytest

from tests.conftest import cli_env, run_zwr


def test_get_summary(sim):
    out = run_zwr("get", "19066", env=cli_env(sim))
    assert out.returncode == 0, out.stderr
    assert "✖ Finished" in out.stdout and "3 task errors" in out.stdout and "12 total" in out.stdout
    assert "Zuora-Request-Id" in out.stdout


def test_get_json_is_the_run_object(sim):
    out = run_zwr("get", "19063", "--json", env=cli_env(sim))
    assert json.loads(out.stdout)["name"] == "WF-19027-00000032"


def test_get_several_json_array_with_error_entries(sim):
    out = run_zwr("get", "19063,19064 424242", "--json", env=cli_env(sim))
    docs = json.loads(out.stdout)
    assert [d.get("id") for d in docs] == [19063, 19064, 424242]
    assert docs[2]["error"]["kind"] == "not_found" and out.returncode == 6


def test_bad_ids_never_reach_the_server(sim):
    for bad in ("19063/../../oauth/token", "WF-19027-00000032", "19063?x", "%2e%2e"):
        out = run_zwr("get", bad, env=cli_env(sim))
        assert out.returncode == 2 and out.stderr.startswith("error:")
    assert sim.requests == []


@pytest.mark.parametrize("args", [("19063", "abc"), ("19063", "WF-19027-00000032"), ("19063", "run", "19064")])
def test_a_bad_argument_beside_a_good_one_is_refused_not_dropped(sim, args):
    """`zwr get 19063 abc` used to print 19063 and exit 0, dropping "abc" without a word."""
    out = run_zwr("get", *args, env=cli_env(sim))
    assert out.returncode == 2 and out.stderr.startswith("error:") and out.stdout == ""
    assert repr(args[1]) in out.stderr or "run number" in out.stderr
    assert sim.requests == []


def test_pasted_url(sim):
    out = run_zwr("get", f"{sim.base_url}/workflows/workflow_runs/19063", env=cli_env(sim))
    assert out.returncode == 0 and "Run 19063" in out.stdout


@pytest.mark.parametrize(
    "fault, code",
    [
        (dict(kind="status", status=403), 5),
        (dict(kind="status", status=500), 8),
        (dict(kind="truncate"), 11),
        (dict(kind="html", status=200), 11),
    ],
)
def test_exit_codes(sim, fault, code):
    fault = dict(fault)  # the parameter is shared: a second run of this test must see it whole
    kind = fault.pop("kind")
    sim.add_fault(kind, **fault)
    out = run_zwr("get", "19063", env=cli_env(sim))
    assert out.returncode == code, out.stderr


def test_exit_code_auth_and_config(sim):
    assert run_zwr("get", "19063", env=cli_env(sim, ZUORA_BEARER_TOKEN="bad")).returncode == 4
    out = run_zwr("get", "19063", env=cli_env())
    assert out.returncode == 3 and "No Zuora base URL" in out.stderr


def test_exit_code_network_refused():
    out = run_zwr(
        "get", "19063", "--timeout", "2", env=cli_env(ZUORA_BASE_URL="http://127.0.0.1:9", ZUORA_BEARER_TOKEN="x")
    )
    assert out.returncode == 10 and "refused" in out.stderr


def test_hostile_name_printed_literally(sim):
    sim.add_fault("fields", fields={"name": "evil\x1b]52;c;ZXZpbA==\x07\x1b[31mred[/]"})
    out = run_zwr("get", "19063", env=cli_env(sim))
    assert "\x1b" not in out.stdout and "\x07" not in out.stdout
    assert "␛]52;c;ZXZpbA==" in out.stdout


def test_oauth_from_environment(sim):
    env = cli_env(sim, ZUORA_CLIENT_ID=sim.client_id, ZUORA_CLIENT_SECRET=sim.client_secret)
    del env["ZUORA_BEARER_TOKEN"]
    out = run_zwr("get", "19063", env=env)
    assert out.returncode == 0 and len(sim.requests_to("/oauth/token")) == 1


def test_tasks_errors(sim):
    out = run_zwr("tasks", "19073", "--errors", env=cli_env(sim))
    assert out.returncode == 0 and "250 tasks in 3 pages, 3 in Error" in out.stdout
    assert out.stdout.count("WorkflowError::Callout") == 3 and "database timeout" in out.stdout


def test_no_secret_on_argv():
    """No option of any command or action takes a secret: they come from the environment, keyring or stdin."""
    from tui.cli.parser import build_parser

    def parsers(parser):
        yield parser
        for action in parser._actions:
            for child in (getattr(action, "choices", None) or {}).values():
                if hasattr(child, "_actions"):
                    yield from parsers(child)

    options = {o for p in parsers(build_parser()) for a in p._actions for o in a.option_strings}
    assert "--client-secret-stdin" in options and "--ask-token" in options  # the tree was walked
    assert not any(o in ("--token", "--bearer-token", "--password", "--client-secret", "--secret") for o in options)


def test_python_m_tui_and_version():
    out = run_zwr("--version", env=cli_env())
    assert out.returncode == 0 and out.stdout.startswith("zwr ")
