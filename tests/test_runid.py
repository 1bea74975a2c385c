import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.core.errors import BadInput
from tui.core.runid import parse_run_id, parse_run_ids


@pytest.mark.parametrize(
    "text, expected",
    [
        ("19063", 19063),
        ("  19063 \n", 19063),
        ("https://rest.zuora.com/workflows/workflow_runs/19063", 19063),
        ("https://apisandbox.zuora.com/workflows/workflow_runs/19063/tasks", 19063),
        ("https://x.zuora.com/app?workflow_run_id=19063", 19063),
        ("run 19063 failed", 19063),
        ("(19063)", 19063),
        ("019063", 19063),
    ],
)
def test_accepts_ids_in_many_forms(text, expected):
    assert parse_run_id(text) == expected


def test_several_ids_keep_order_and_drop_duplicates():
    assert parse_run_ids("19063, 19064;19065 19063") == [19063, 19064, 19065]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "19063/../x",
        "../19063",
        "19063?x=1",
        "19063#frag",
        "19063%2F..",
        "%2F19063",
        "abc",
        "0",
        "-5",
        "1" * 25,
        "19063abc",
        "https://rest.zuora.com/workflows/",
        "x" * 20_000,
    ],
)
def test_rejects_anything_else(text):
    with pytest.raises(BadInput) as info:
        parse_run_ids(text)
    assert info.value.message  # a human explanation, not an empty error


def test_run_name_is_explained():
    with pytest.raises(BadInput, match="run number"):
        parse_run_id("WF-19027-00000032")


def test_single_id_expected():
    with pytest.raises(BadInput, match="Expected one run ID"):
        parse_run_id("1 2")


@given(st.text(max_size=200))
def test_fuzz_never_crashes_and_only_yields_positive_ints(text):
    try:
        ids = parse_run_ids(text)
    except BadInput:
        return
    assert ids and all(isinstance(i, int) and 0 < i < 2**63 for i in ids)
    # whatever came in, only digits go into URLs
    assert all(str(i).isdigit() for i in ids)
