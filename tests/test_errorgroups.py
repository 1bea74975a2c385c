"""Error grouping (issue 14, item 1): equal problems on different records are one group.

Examples come from the simulator's realistic mixes (run 19075: 80 callouts answered 500 by one
host, 3 timeouts, 1 validation error); properties are checked with hypothesis.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.core.errorgroups import MAX_TEMPLATE, NO_MESSAGE, group_errors, key_of, message_of, normalise
from tui.core.model import Task, TaskStatus
from tui.sim import demo_scenario

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def run_tasks(run_id: int) -> list[Task]:
    spec = demo_scenario().get(run_id)
    age = spec.created_ago + 10_000  # long finished
    state = spec.state(age)
    return [Task.parse(spec.task_json(i, age, NOW, state)) for i in range(spec.total)]


def test_the_realistic_mix_makes_three_groups():
    groups = group_errors(run_tasks(19075))
    assert [(g.count, g.error_class, g.template, g.host) for g in groups] == [
        (80, "WorkflowError::Callout", "Callout response was 500 after <n> tries.", "hooks.acme-billing.example"),
        (
            3,
            "WorkflowError::Timeout",
            "Callout to https://ledger.acme-erp.example/api/v2/journal/<uuid> timed out after <n> seconds (<n> tries)",
            "ledger.acme-erp.example",
        ),
        (1, "WorkflowError::Validation", "Invalid value for field AccountId: <id>", None),
    ]
    callouts, timeouts, invalid = groups
    assert callouts.response_codes == ((500, 80),) and callouts.response_code == 500
    assert timeouts.response_code == 504 and invalid.response_code is None  # not a callout
    assert invalid.message.startswith("Invalid value for field AccountId: 8a8082c4")  # the record, as sent
    assert sum(g.count for g in groups) == 84 and len({i for g in groups for i in g.task_ids}) == 84
    first = callouts.first
    assert first.id == min(callouts.task_ids) and callouts.first_seen == first.end_time


def test_the_original_demo_errors_are_one_group_despite_their_invoice_urls():
    groups = group_errors(run_tasks(19073))
    assert len(groups) == 1 and groups[0].count == 3
    assert groups[0].template == (
        "Callout to https://hooks.acme-billing.example/invoices/INV-<n> failed: HTTP 500 Internal Server Error"
    )


def test_a_run_without_errors_has_no_groups():
    assert group_errors(run_tasks(19063)) == () and group_errors([]) == ()


@pytest.mark.parametrize(
    "message, expected",
    [
        ("Callout response was 404 after 1 tries.", "Callout response was 404 after <n> tries."),
        ("HTTP/1.1 503 at 12:35:43", "HTTP/1.1 503 at <time>"),
        ("status=404 for 1234", "status=404 for <n>"),
        ("code 1234", "code <n>"),  # not an HTTP status
        ("Amount 1,234.56 exceeds -20", "Amount <n> exceeds <n>"),
        ("user bob@example.com", "user <email>"),
        ("id 3f2504e0-4f89-11d3-9a0c-0305e82c3301", "id <uuid>"),
        ("Account 8a8082c47f3d2a1b017f3d2a1b2c0001 and 0015g00000XyZAbAAN", "Account <id> and <id>"),
        ("at 2024-03-01T12:00:01.123Z and 2019-09-10 19:32:21 UTC", "at <time> and <time>"),
        ("Thu, 19 Sep 2019 12:35:43 GMT", "<time>"),
        (
            "GET https://api2.acme.example:8443/v1/items/42?token=abc&x=1 failed",
            "GET https://api2.acme.example:8443/v1/items/<n>?… failed",
        ),
        ("Is the account active?", "Is the account active?"),  # a question is not a query string
        ("api v1 on host10", "api v1 on host10"),  # digits inside words stay
        ("  spaced \t\n out  ", "spaced out"),
        ("", NO_MESSAGE),
        (None, NO_MESSAGE),
    ],
)
def test_normalise_examples(message, expected):
    assert normalise(message) == expected


def test_hostile_and_huge_messages_are_bounded():
    assert len(normalise("1" * 1_000_000)) <= MAX_TEMPLATE
    assert len(normalise("a" * 1_000_000)) <= MAX_TEMPLATE
    hostile = "\x1b[31mred\x1b[0m [bold]x[/bold]"
    assert normalise(hostile) == hostile  # text stays text: escapes are made visible where it is printed
    assert normalise("a\ue000b") == "ab"  # the host marker cannot be smuggled in


def test_message_falls_back_to_details_and_key_to_empty_parts():
    task = Task.parse({"id": 1, "status": "Error", "error": " ", "error_details": "first line 123\nsecond"})
    assert message_of(task) == "first line 123"
    assert key_of(task) == ("", "first line <n>", "")
    assert message_of(Task.parse({"id": 2, "status": "Error"})) == NO_MESSAGE


def test_host_only_for_callout_tasks():
    """A non-callout task's ``data.Callout`` is an earlier task's payload (Zuora's own example)."""
    data = {"Callout": {"URL": "https://a.example/x", "ResponseCode": 500}}
    callout = Task.parse({"id": 1, "status": "Error", "action_type": "Callout", "error": "e", "data": data})
    other = Task.parse({"id": 2, "status": "Error", "action_type": "If", "error": "e", "data": data})
    broken = Task.parse(
        {
            "id": 3,
            "status": "Error",
            "action_type": "Callout",
            "error": "e",
            "data": {"Callout": {"URL": "http://[::1"}},
        }
    )
    groups = group_errors([callout, other, broken])
    assert {g.host for g in groups} == {"a.example", None} and sum(g.count for g in groups) == 3


# ---------------------------------------------------------------------------- properties

words = st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ :;!()'"), max_size=12)
variable = st.one_of(
    st.integers(min_value=1000, max_value=10**15).map(str),
    st.floats(min_value=0, max_value=1e6, allow_nan=False).map(lambda f: f"{f:.2f}"),
    st.uuids().map(str),
    st.integers(min_value=0, max_value=2**128 - 1).map(lambda n: f"8a8082c4{n:032x}"[:32]),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1)).map(
        lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")
    ),
    st.integers(min_value=1, max_value=99_999_999).map(lambda n: f"INV-{n:08d}"),
)


@st.composite
def two_fillings(draw):
    """One message shape filled twice with different variable parts."""
    shape = draw(st.lists(words, min_size=1, max_size=6))
    slots = len(shape)
    first = draw(st.lists(variable, min_size=slots, max_size=slots))
    second = draw(st.lists(variable, min_size=slots, max_size=slots))
    kinds = [_kind(v) for v in first]
    second = [b if _kind(b) == k else a for a, b, k in zip(first, second, kinds)]  # same kind per slot

    def fill(values):
        return " ".join(f"{w} {v}" for w, v in zip(shape, values))

    return fill(first), fill(second)


def _kind(value: str) -> str:
    if value.startswith("INV-"):
        return "inv"
    if len(value) == 36 and value.count("-") == 4:
        return "uuid"
    if value.startswith("8a8082c4"):
        return "hex"
    if "T" in value:
        return "time"
    return "number"


@given(two_fillings())
def test_equal_problems_on_different_records_normalise_equally(pair):
    first, second = pair
    assert normalise(first) == normalise(second)


@given(st.text(max_size=400))
@settings(max_examples=300)
def test_normalise_is_idempotent_and_bounded(text):
    once = normalise(text)
    assert normalise(once) == once and len(once) <= MAX_TEMPLATE


statuses = st.sampled_from(["Error", "Success", "Error", "Pending", "weird"])
messages = st.sampled_from(
    ["Callout response was 500 after 3 tries.", "Callout response was 500 after 1 tries.", "Timeout 42", "", None]
)
classes = st.sampled_from(["WorkflowError::Callout", "WorkflowError::Timeout", None])


@st.composite
def task_lists(draw):
    count = draw(st.integers(min_value=0, max_value=40))
    tasks = []
    for index in range(count):
        start = NOW + timedelta(seconds=draw(st.integers(min_value=0, max_value=50)))
        tasks.append(
            Task.parse(
                {
                    "id": index + 1,
                    "status": draw(statuses),
                    "error": draw(messages),
                    "error_class": draw(classes),
                    "action_type": draw(st.sampled_from(["Callout", "If"])),
                    "start_time": start.isoformat() if draw(st.booleans()) else None,
                    "data": {"Callout": {"URL": draw(st.sampled_from(["https://a.example/1", "https://b.example/2"]))}},
                }
            )
        )
    return tasks


@given(task_lists(), st.randoms(use_true_random=False))
def test_groups_account_for_every_error_exactly_once(tasks, rnd):
    groups = group_errors(tasks)
    errors = [t for t in tasks if t.status is TaskStatus.ERROR]
    assert sum(g.count for g in groups) == len(errors)
    assert sorted(i for g in groups for i in g.task_ids) == sorted(t.id for t in errors)
    assert len({g.key for g in groups}) == len(groups)
    assert [g.count for g in groups] == sorted((g.count for g in groups), reverse=True)
    for group in groups:
        members = [t for t in errors if key_of(t) == group.key]
        assert group.count == len(members) and group.first in members
        timed = [t.start_time for t in members if t.start_time is not None]
        if timed:
            assert group.first_seen == min(timed)  # the earliest (these tasks have no end_time)
        else:
            assert group.first is members[0] and group.first_seen is None  # listing order
    shuffled = list(tasks)
    rnd.shuffle(shuffled)
    again = group_errors(shuffled)
    assert {(g.key, g.count, g.first_seen) for g in again} == {(g.key, g.count, g.first_seen) for g in groups}


# ---------------------------------------------------------------------------- the per-run digest


def test_digest_is_due_once_per_error_count():
    from tui.core.client import TaskList
    from tui.core.errordigest import ErrorDigest, digest_due
    from tui.core.errors import ServerError
    from tui.core.model import Run

    def run(errors: int):
        return Run.parse({"id": 19075, "status": "Processing", "tasks": {"total": 400, "error": errors}})

    assert not digest_due(run(0), None) and not digest_due(None, None)
    assert digest_due(run(3), None)
    digest = ErrorDigest.from_listing(TaskList(19075, tuple(run_tasks(19075)), 4, None), 3)
    assert digest.errors == 84 and [g.count for g in digest.groups] == [80, 3, 1] and digest.listed == 400
    assert not digest_due(run(3), digest) and digest_due(run(4), digest)
    broken = ErrorDigest.failed(19075, 4, ServerError("Zuora had a server error (HTTP 500).", request_id="r-1"))
    assert broken.failure.startswith("Zuora had a server error") and broken.request_id == "r-1" and broken.groups == ()
    assert not digest_due(run(4), broken)  # not asked again on every poll
