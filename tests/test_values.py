"""Any value a server can send is parsed, presented and printed without a crash, in any time zone.

Hypothesis builds runs, tasks and workflow definitions whose every field is drawn from what a
JSON body can hold and what broke zwr before: 400-digit counts, ``1e400`` (JSON's infinity),
``NaN``, placeholder dates (``0001-01-01T00:00:00Z``) and year-1 or year-9998 timestamps with
offsets, hostile text. Each example goes through the model, every present/format function, the
CLI's text output (get, watch, tasks, find lines), ``zwr report`` in its three formats and the
task detail fields, with the local zone at both ends of the clock (UTC+14 and UTC-12), where
``astimezone`` of an edge date overflows. Output must be text with no unsafe character.
"""

from __future__ import annotations

import io
import json
import time
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.cli import output
from tui.core.errorgroups import group_errors
from tui.core.model import MAX_NUMBER, Run, Task, Workflow, parse_timestamp
from tui.core.present import (
    badge,
    fmt_duration,
    fmt_local,
    fmt_utc,
    is_stuck,
    plural,
    tasks_listed,
    workflow_summary,
)
from tui.core.report import FORMATS, Incident, render
from tui.core.taskdetail import task_fields
from tui.core.taskorder import COLUMNS, sort_tasks
from tui.core.text import UNSAFE, json_text

EDGE_TIMES = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00-12:00",
    "0001-01-01 00:00:00 UTC",
    "1969-12-31T23:59:59Z",
    "1970-01-01T00:00:00+01:00",
    "1970-01-01T00:00:00-23:59",
    "9998-12-31T23:59:59-23:59",
    "9998-12-31T23:59:59+14:00",
    "9999-12-31T23:59:59Z",
    "2026-02-30T00:00:00Z",
    "2026-01-01T24:00:00Z",
    "2026-01-01T00:00:00.9999999999Z",
    "2019-09-10 19:32:21 UTC",
]
BIG = [10**400, -(10**400), 10**15, 10**15 + 1, 2**63, -1, 0, 1e308, float("inf"), float("-inf"), float("nan")]
BIG_TEXT = ["9" * 400, "1e400", "-0", "NaN", "Infinity", " 12 ", "0x10", "١٢"]
HOSTILE = ["\x1b]0;T\x07", "\x9b2J", "\u202e", "\ud800", "[bold]x[/]", "\x00", "a" * 5000]

scalars = (
    st.none()
    | st.booleans()
    | st.sampled_from(BIG)
    | st.integers()
    | st.floats()
    | st.sampled_from(EDGE_TIMES + BIG_TEXT + HOSTILE)
    | st.text(max_size=30)
)
values = st.recursive(
    scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3), max_leaves=8
)
counts = st.dictionaries(
    st.sampled_from(["total", "queued", "processing", "pending", "stopped", "success", "error"]),
    scalars,
    max_size=7,
)
statuses = (
    st.sampled_from(["Queued", "Processing", "Stopping", "Stopped", "Finished", "finished ", "Weird", ""]) | scalars
)


@st.composite
def runs(draw) -> dict:
    keys = ["id", "name", "originalWorkflowId", "type", "createdAt", "updatedAt", "finishedAt", "runTime", "cpuTime"]
    data = {key: draw(scalars) for key in draw(st.lists(st.sampled_from(keys), unique=True))}
    data["status"] = draw(statuses)
    data["tasks"] = draw(counts | values)
    if draw(st.booleans()):
        data["messages"] = draw(values)
    for key in ("createdAt", "updatedAt", "finishedAt"):  # often a real edge timestamp
        if draw(st.booleans()):
            data[key] = draw(st.sampled_from(EDGE_TIMES))
    return data


@st.composite
def tasks(draw) -> dict:
    keys = [
        "id", "name", "action_type", "start_time", "end_time", "error", "error_class", "error_details", "object",
        "object_id", "task_id", "tags", "instance", "workflow_id", "original_workflow_id", "original_task_id",
        "call_type", "parameters", "concurrent_limit",
    ]  # fmt: skip
    data = {key: draw(values) for key in draw(st.lists(st.sampled_from(keys), unique=True))}
    data["status"] = draw(st.sampled_from(["Error", "Success", "Pending", "Odd"]) | scalars)
    for key in ("start_time", "end_time"):
        if draw(st.booleans()):
            data[key] = draw(st.sampled_from(EDGE_TIMES))
    if draw(st.booleans()):
        data["action_type"] = "Callout"
        data["data"] = {"Callout": {"URL": draw(scalars), "ResponseCode": draw(scalars), "ResponseBody": draw(values)}}
    return data


@pytest.fixture(params=["Pacific/Kiritimati", "Etc/GMT+12"], ids=["UTC+14", "UTC-12"])
def far_zone(request, monkeypatch):
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


def safe_text(text: str) -> None:
    assert isinstance(text, str)
    bad = UNSAFE.search(text.replace("\n", ""))
    assert bad is None, repr(text[max(0, bad.start() - 40) : bad.start() + 40])


NOW = datetime(2026, 1, 1, tzinfo=UTC)


def present_run(run: Run) -> None:
    paint = output.Painter(io.StringIO(), enabled=False)
    for moment in (run.created_at, run.updated_at, run.finished_at):
        safe_text(fmt_utc(moment))
        safe_text(fmt_local(moment))
    safe_text(fmt_duration(run.elapsed(NOW)))
    safe_text(fmt_duration(run.run_time))
    is_stuck(run, NOW)
    b = badge(run)
    safe_text(b.label + b.detail)
    safe_text(output.summary(run, paint, request_id="r", now=NOW, workflow="note"))
    safe_text(output.progress_line(run, NOW))
    safe_text(output.bar(run))
    safe_text(tasks_listed(run.tasks.total, run.tasks.effective_total, run.tasks.error))
    safe_text(plural(run.tasks.total, "task"))
    safe_text(json_text(dict(run.raw)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=runs())
def test_any_run_is_parsed_and_presented(far_zone, data):
    run = Run.parse(data)
    for moment in (run.created_at, run.updated_at, run.finished_at):
        assert moment is None or 1969 <= moment.year <= 9999  # placeholders refused (an offset may cross a year)
    for count in (run.tasks.total, run.tasks.error, run.tasks.pending, run.tasks.effective_total):
        assert 0 <= count <= 7 * MAX_NUMBER
    present_run(run)
    incident = Incident(run=run, environment="env", production=True, generated_at=NOW)
    for fmt in FORMATS:
        safe_text(render(incident, fmt))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.lists(tasks(), min_size=1, max_size=4), run=runs())
def test_any_tasks_are_listed_grouped_detailed_and_reported(far_zone, data, run):
    parsed = [Task.parse(d) for d in data]
    for task in parsed:
        safe_text(output.task_line(task))
        for line in output.callout_lines(task):
            safe_text(line)
        for field in task_fields(task):
            safe_text(field.text)
        safe_text(fmt_duration(task.duration))
        safe_text(json_text(dict(task.raw)))
    for column in COLUMNS:
        sort_tasks(parsed, column)
        sort_tasks(parsed, column, reverse=True)
    groups = group_errors(parsed)
    incident = Incident(
        run=Run.parse(run),
        environment="env",
        production=False,
        generated_at=NOW,
        groups=groups,
        tasks_listed=len(parsed),
    )
    for fmt in FORMATS:
        safe_text(render(incident, fmt))
    json.loads(render(incident, "json"))


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "id",
                "name",
                "status",
                "active_version",
                "ondemandTrigger",
                "interval",
                "timezone",
                "priority",
                "createdAt",
            ]
        ),
        values | st.dictionaries(st.sampled_from(["id", "version", "status"]), scalars),
    )
)
def test_any_workflow_definition_is_summarised(data):
    safe_text(workflow_summary(Workflow.parse(data)))


@pytest.mark.parametrize("raw", EDGE_TIMES)
def test_edge_timestamps_format_in_far_zones(far_zone, raw):
    """The reported crash: ``0001-01-01T00:00:00Z`` with a non-UTC local zone killed ``fmt_local``."""
    moment = parse_timestamp(raw)
    assert moment is None or moment.year >= 1969
    assert fmt_local(moment) and fmt_utc(moment)
    # and a datetime at the very edge of Python's calendar, however it was made
    for edge in (datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)):
        assert fmt_local(edge) and fmt_utc(edge)


def test_a_400_digit_total_is_refused_and_everything_still_prints(far_zone):
    run = Run.parse(
        {"id": 1, "status": "Processing", "tasks": {"total": 10**400, "error": "9" * 400, "success": 1e400}}
    )
    assert run.tasks.total == 0 and run.tasks.error == 0 and run.tasks.success == 0  # refused, each an anomaly
    assert any("out of range" in a for a in run.anomalies) and any("not a number" in a for a in run.anomalies)
    present_run(run)
