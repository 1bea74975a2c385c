from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.core.model import (
    Outcome,
    Phase,
    Run,
    RunStatus,
    Task,
    TaskCounts,
    TaskStatus,
    flatten_messages,
    parse_int,
    parse_timestamp,
)
from tui.core.present import badge, is_stuck
from tui.sim.scenario import REFERENCE_SAMPLE


def test_reference_sample_parses_exactly():
    run = Run.parse(REFERENCE_SAMPLE)
    assert run.id == 19063 and run.name == "WF-19027-00000032"
    assert run.status is RunStatus.FINISHED and run.phase is Phase.DONE and run.outcome is Outcome.SUCCEEDED
    assert run.original_workflow_id == "19027"
    assert run.created_at == datetime(2019, 9, 10, 19, 32, 21, tzinfo=UTC)
    assert run.elapsed() == 73.0
    assert run.cpu_time == "19:01:04"  # as sent: Zuora documents no format (and runTime is 64.5 s)
    assert run.type == "Workflow::Instance" and run.messages == ()
    assert run.run_time == pytest.approx(64.513026)
    assert run.tasks.success == 4 and run.tasks.total == 4
    assert run.anomalies == ()


@pytest.mark.parametrize(
    "status, phase",
    [
        ("Queued", Phase.QUEUED),
        ("Processing", Phase.ACTIVE),
        ("Stopping", Phase.STOPPING),
        ("Stopped", Phase.DONE),
        ("Finished", Phase.DONE),
        ("processing", Phase.ACTIVE),
        ("Paused", Phase.UNKNOWN),
    ],
)
def test_statuses_and_phases(status, phase):
    run = Run.parse({**REFERENCE_SAMPLE, "status": status})
    assert run.phase is phase
    if phase is Phase.UNKNOWN:
        assert run.status is RunStatus.UNKNOWN and run.status_raw == "Paused"
        assert "Paused" in run.status_label and badge(run).symbol == "?"


def test_finished_with_pending_is_settling_not_terminal_phase():
    run = Run.parse({**REFERENCE_SAMPLE, "tasks": {**REFERENCE_SAMPLE["tasks"], "pending": 2, "success": 2}})
    assert run.terminal and run.phase is Phase.SETTLING and run.outcome is Outcome.RUNNING
    assert "settling" in badge(run).detail


def test_errors_mean_failed_even_though_status_is_finished():
    run = Run.parse({**REFERENCE_SAMPLE, "tasks": {**REFERENCE_SAMPLE["tasks"], "error": 1, "success": 3}})
    assert run.outcome is Outcome.FAILED and badge(run).tone == "error"


def test_a_stopped_run_with_task_errors_is_shown_stopped_not_finished():
    """Zuora's word wins: a run stopped after some tasks failed is Stopped (with its errors),
    never "Finished" (found by a new user: a stop of a run with 2 errors showed ✖ Finished)."""
    tasks = {**REFERENCE_SAMPLE["tasks"], "error": 2, "success": 1, "stopped": 1}
    run = Run.parse({**REFERENCE_SAMPLE, "status": "Stopped", "tasks": tasks})
    shown = badge(run)
    assert (shown.symbol, shown.label) == ("■", "Stopped") and "2 task errors" in shown.detail
    assert run.outcome is Outcome.FAILED  # watch --exit-status still fails on it


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2019-09-10 19:32:21 UTC", datetime(2019, 9, 10, 19, 32, 21, tzinfo=UTC)),
        ("2019-09-10 19:32:21", datetime(2019, 9, 10, 19, 32, 21, tzinfo=UTC)),
        ("2019-09-10T19:32:21.5Z", datetime(2019, 9, 10, 19, 32, 21, 500000, tzinfo=UTC)),
        ("2019-09-10T21:32:21+02:00", datetime(2019, 9, 10, 19, 32, 21, tzinfo=UTC)),
        ("yesterday", None),
        (None, None),
        (12, None),
        ("2019-13-45 99:00:00", None),
    ],
)
def test_timestamps(raw, expected):
    assert parse_timestamp(raw) == expected


def test_missing_finished_at_while_running_ticks_with_now():
    run = Run.parse({**REFERENCE_SAMPLE, "status": "Processing", "finishedAt": None})
    now = datetime(2019, 9, 10, 20, 32, 21, tzinfo=UTC)
    assert run.finished_at is None and run.elapsed(now) == 3600


@pytest.mark.parametrize("raw, shown", [("19:01:04", "19:01:04"), ("123:00:01", "123:00:01"), (12.5, "12.5"), ("", "")])
def test_cpu_time_is_kept_exactly_as_sent(raw, shown):
    run = Run.parse({**REFERENCE_SAMPLE, "cpuTime": raw})
    assert run.cpu_time == shown and not any("cpuTime" in a for a in run.anomalies)


def test_cpu_time_of_the_wrong_type_is_an_anomaly():
    run = Run.parse({**REFERENCE_SAMPLE, "cpuTime": {"h": 1}})
    assert run.cpu_time is None and any("cpuTime" in a for a in run.anomalies)


def test_messages_are_flattened_to_lines():
    run = Run.parse({**REFERENCE_SAMPLE, "messages": {"2771": ["Callout retried", "done"], "note": {"a": 1}}})
    assert run.messages == ("2771: Callout retried", "2771: done", "note.a: 1")
    assert flatten_messages("just text") == ("just text",) and flatten_messages(None) == ()
    assert len(flatten_messages({"k": list(range(500))})) == 50  # bounded
    deep: dict = {}
    cursor = deep
    for _ in range(50):
        cursor["x"] = {}
        cursor = cursor["x"]
    assert flatten_messages(deep) == ("x.x.x.x.x: …",)


def test_a_definition_is_not_a_run():
    run = Run.parse({**REFERENCE_SAMPLE, "type": "Workflow::Setup"})
    assert run.type == "Workflow::Setup" and any("definition, not a run" in a for a in run.anomalies)


@pytest.mark.parametrize(
    "raw",
    ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+05:00", "1969-12-31 23:59:59", "9999-12-31T23:59:59-05:00"],
)
def test_placeholder_and_edge_dates_are_not_timestamps(raw):
    assert parse_timestamp(raw) is None
    run = Run.parse({**REFERENCE_SAMPLE, "createdAt": raw})
    assert run.created_at is None and any("createdAt" in a for a in run.anomalies)
    badge(run)
    run.elapsed()


def test_zone_less_timestamps_are_utc():
    assert parse_timestamp("2019-09-19T12:35:37") == datetime(2019, 9, 19, 12, 35, 37, tzinfo=UTC)


@pytest.mark.parametrize("value", [10**400, "9" * 40, float("inf"), -(10**16)])
def test_numbers_out_of_range_are_refused(value):
    assert parse_int(value) is None
    run = Run.parse({**REFERENCE_SAMPLE, "tasks": {**REFERENCE_SAMPLE["tasks"], "total": value}})
    assert run.tasks.total == 0 and any("tasks.total" in a for a in run.anomalies)


def test_original_workflow_id_string_or_int():
    assert Run.parse({**REFERENCE_SAMPLE, "originalWorkflowId": "19027"}).original_workflow_id == "19027"


def test_missing_and_partial_tasks():
    run = Run.parse({k: v for k, v in REFERENCE_SAMPLE.items() if k != "tasks"})
    assert not run.tasks.known and run.tasks.effective_total == 0
    partial = Run.parse({**REFERENCE_SAMPLE, "tasks": {"total": 5, "success": 2}})
    assert partial.tasks.success == 2 and partial.tasks.error == 0
    assert any("missing" in a for a in partial.anomalies)


def test_negative_and_inconsistent_counts_are_flagged_not_fatal():
    run = Run.parse(
        {
            **REFERENCE_SAMPLE,
            "tasks": {
                "total": 3,
                "success": 5,
                "error": -2,
                "queued": "x",
                "pending": 0,
                "processing": 0,
                "stopped": 0,
            },
        }
    )
    assert run.tasks.error == 0 and run.tasks.success == 5
    joined = " ".join(run.anomalies)
    assert "negative" in joined and "not a number" in joined and "add up to 5" in joined
    assert run.tasks.effective_total == 5  # bars use the larger figure


def test_total_zero():
    counts = TaskCounts.parse(
        {"total": 0, "queued": 0, "processing": 0, "pending": 0, "stopped": 0, "success": 0, "error": 0}
    )
    assert counts.fraction("success") == 0.0 and counts.anomalies == ()


def test_wrong_types_everywhere_never_raise():
    run = Run.parse(
        {"id": "abc", "status": 7, "createdAt": [], "runTime": "fast", "cpuTime": {}, "tasks": "many", "name": {"x": 1}}
    )
    assert run.id is None and run.status is RunStatus.UNKNOWN and run.name is None
    assert len(run.anomalies) >= 4


def test_non_object_rejected_with_value_error():
    for value in ([], None, "x", 3):
        with pytest.raises(ValueError):
            Run.parse(value)


def test_stuck_detection():
    run = Run.parse({**REFERENCE_SAMPLE, "status": "Processing", "finishedAt": None})
    assert is_stuck(run, datetime(2019, 9, 10, 20, 0, tzinfo=UTC))
    assert not is_stuck(run, datetime(2019, 9, 10, 19, 34, tzinfo=UTC))


def test_task_parse_tolerates_dict_error_details_and_bad_entries():
    task = Task.parse(
        {
            "id": 5,
            "status": "Error",
            "error_details": {"a": 1},
            "tags": ["x"],
            "start_time": "2024-01-01T00:00:00Z",
            "end_time": "2024-01-01T00:00:02Z",
        }
    )
    assert task.status is TaskStatus.ERROR and '"a": 1' in task.error_details and task.duration == 2
    assert Task.parse("garbage").status is TaskStatus.UNKNOWN


def test_task_official_fields():
    task = Task.parse(
        {
            "id": 7,
            "status": "Error",
            "instance": True,
            "workflow_id": 19063,
            "original_workflow_id": 19027,
            "original_task_id": 2582,
            "task_id": 6,
            "call_type": "REST",
            "error_details": "Callout response was 500 after 3 tries.",
            "data": {"Callout": {"URL": "https://x.example/a", "ResponseCode": 500, "ResponseBody": {"e": "boom"}}},
        }
    )
    assert (task.instance, task.workflow_id, task.original_workflow_id, task.original_task_id) == (
        True,
        19063,
        19027,
        2582,
    )
    assert task.parent_id == 6 and task.call_type == "REST" and task.error_details.startswith("Callout response")
    assert task.callout.url == "https://x.example/a" and task.callout.response_code == 500
    assert task.callout.response_body == '{"e": "boom"}'
    assert task.belongs_to(19063) and not task.belongs_to(476)
    assert Task.parse({"id": 1}).belongs_to(476)  # no workflow_id: nothing says it is another run's
    assert Task.parse({"id": 1, "data": {"Callout": "x"}}).callout is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.sampled_from([*list(REFERENCE_SAMPLE), "messages", "x"]), json_values, max_size=12))
def test_fuzz_run_parser_never_raises(data):
    run = Run.parse(data)
    badge(run)
    run.elapsed()
    assert run.tasks.effective_total >= 0


@given(json_values)
def test_fuzz_task_parser_never_raises(data):
    Task.parse(data)
