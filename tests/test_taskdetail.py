"""Task details show everything Zuora gives (issue 14, item 3), safely, from the official example on."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from tests.canned import example
from tui.core.model import Task
from tui.core.taskdetail import MAX_FIELD, pretty_text, task_fields
from tui.sim import demo_scenario


def fields_of(data) -> dict[str, str]:
    return {f.key: f.text for f in task_fields(Task.parse(data))}


def test_the_official_example_in_full():
    fields = fields_of(example("task_example.json"))
    assert fields["id"] == "2771" and fields["action_type"] == "If" and fields["call_type"] == "SOAP"
    assert fields["start_time"] == "2019-09-19 12:35:43 UTC" and fields["duration"] == "0s"
    assert fields["original_task_id"] == "2582" and fields["workflow_id"] == "476" and fields["task_id"] == "—"
    assert "error" not in fields and "callout" not in fields  # an If task: its data.Callout is an earlier task's
    data = json.loads(fields["data"])
    assert (
        data["Callout"]["ResponseCode"] == 500 and data["Tasks"]["Previous"]["ErrorClass"] == "WorkflowError::Callout"
    )
    assert json.loads(fields["parameters"])["strict_variables"] == "true"


def test_a_failed_callout_from_the_simulator():
    spec = demo_scenario().get(19075)
    age = spec.created_ago + 10_000
    from datetime import UTC, datetime

    task = spec.task_json(316, age, datetime.now(UTC))  # the first error: a callout answered 500
    fields = fields_of(task)
    assert fields["error_class"] == "WorkflowError::Callout"
    assert fields["error"] == "Callout response was 500 after 3 tries."
    assert json.loads(fields["error_details"])["response_code"] == 500  # pretty-printed JSON
    assert fields["callout"].startswith("https://hooks.acme-billing.example/invoices/INV-") and fields[
        "callout"
    ].endswith("-> HTTP 500")
    assert json.loads(fields["response_body"]) == {"error": "database timeout", "retryable": True}
    assert fields["object"] == "Invoice" and len(fields["object_id"]) == 32 and fields["tags"] in ("billing", "—")
    labels = [f.label for f in task_fields(Task.parse(task))]
    assert labels.index("Error") < labels.index("Object") < labels.index("Data")  # why first, payloads last
    assert "Error details (JSON)" in labels


def test_hostile_and_huge_values_stay_text_and_are_capped():
    task = {
        "id": 1,
        "status": "Error",
        "action_type": "Callout",
        "error": "bad \x1b]52;c;ZXZpbA==\x07 [b]x[/b]\nsecond line",
        "error_details": "{not json " + "z" * 300_000,
        "data": {
            "Callout": {"URL": "https://h.example", "ResponseCode": 502, "ResponseBody": "\x1b[31m" + "y" * 300_000}
        },
        "tags": ["a\x1bb"],
    }
    fields = task_fields(Task.parse(task))
    for field in fields:
        assert "\x1b" not in field.text and "\x07" not in field.text and len(field.text) < MAX_FIELD + 40
    by_key = {f.key: f for f in fields}
    assert by_key["error"].text == "bad ␛]52;c;ZXZpbA==␇ [b]x[/b]\nsecond line" and by_key["error"].multiline
    assert by_key["error_details"].text.endswith("chars)") and by_key["error_details"].label == "Error details"
    assert by_key["response_body"].text.startswith("␛[31myyy") and by_key["tags"].text == "a␛b"
    assert '"\\u001b[31m' in by_key["data"].text  # inside JSON the escape is JSON-escaped


def test_pretty_text():
    assert pretty_text('{"a": [1, 2]}') == ('{\n  "a": [\n    1,\n    2\n  ]\n}', True)
    assert pretty_text("plain") == ("plain", False) and pretty_text("[broken") == ("[broken", False)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=15,
)


@given(st.dictionaries(st.sampled_from(sorted(example("task_example.json"))), json_values, max_size=12))
def test_any_task_renders_without_raising(data):
    for field in task_fields(Task.parse(data)):
        assert isinstance(field.text, str) and field.label
