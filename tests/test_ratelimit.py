"""Rate-limit headers as Zuora documents them, and as a hostile server might send them."""

from __future__ import annotations

import time

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.core.present import fmt_rate_limit
from tui.core.ratelimit import (
    MAX_RESET,
    MAX_RETRY_AFTER,
    QuotaPolicy,
    RateLimit,
    parse_limit_header,
    parse_reset,
    parse_retry_after,
)

ZUORA = "2250000, 50000;w=60, 2250000;w=3600, 27000000;w=86400"


def headers(limit=None, remaining=None, reset=None):
    found = {"RateLimit-Limit": limit, "RateLimit-Remaining": remaining, "RateLimit-Reset": reset}
    return {k: v for k, v in found.items() if v is not None}


def test_zuoras_structured_header_names_the_window_remaining_belongs_to():
    rl = RateLimit.from_headers(headers(ZUORA, "30000", "600"))
    assert (rl.limit, rl.remaining, rl.reset, rl.window, rl.window_name) == (2_250_000, 30_000, 600, 3600, "hour")
    assert rl.policies == (QuotaPolicy(50_000, 60), QuotaPolicy(2_250_000, 3600), QuotaPolicy(27_000_000, 86400))
    assert rl.fraction_left == pytest.approx(30_000 / 2_250_000)
    assert fmt_rate_limit(rl) == "30,000 left of 2,250,000 per hour"


def test_the_minute_window_when_it_is_the_closest_to_exhaustion():
    rl = RateLimit.from_headers(headers("50000, 50000;w=60, 2250000;w=3600, 27000000;w=86400", "120", "42"))
    assert (rl.limit, rl.window, rl.window_name) == (50_000, 60, "minute")
    assert fmt_rate_limit(rl) == "120 left of 50,000 per minute"


@pytest.mark.parametrize(
    "limit, remaining, reset, window, quota",
    [
        ("50000;w=60, 2250000;w=3600", "49000", "30", 60, 50_000),  # no first figure: the shortest that fits
        ("50000;w=60, 2250000;w=3600", "100000", "1200", 3600, 2_250_000),  # too many left for the minute
        ("100, 100;w=1, 100;w=60", "7", "30", 60, 100),  # one quota, two windows: the one that can be running
    ],
)
def test_the_window_is_chosen_by_quota_and_reset(limit, remaining, reset, window, quota):
    rl = RateLimit.from_headers(headers(limit, remaining, reset))
    assert (rl.window, rl.limit) == (window, quota)


def test_plain_integers_still_work():
    rl = RateLimit.from_headers(headers("2500", "100", "30"))
    assert (rl.limit, rl.remaining, rl.reset, rl.window, rl.policies) == (2500, 100, 30, None, ())
    assert rl.fraction_left == 0.04 and fmt_rate_limit(rl) == "100 left of 2,500 per window"


def test_case_insensitive_names_in_any_mapping():
    lower = RateLimit.from_headers({"ratelimit-limit": ZUORA, "ratelimit-remaining": "0", "ratelimit-reset": "600"})
    real = RateLimit.from_headers(httpx.Headers({"RATELIMIT-LIMIT": ZUORA, "RateLimit-Remaining": "0"}))
    assert lower.remaining == 0 and lower.window == 3600 and real.limit == 2_250_000
    assert real.reset == 3600  # no reset header: the window's length is the latest it can reset
    assert RateLimit.from_headers({}) is None and RateLimit.from_headers(None) is None


HOSTILE = ["inf", "nan", "-inf", "-5", "9" * 400, "1e309", "", "abc", "0x10", "\u0661\u0662", "1_000", " ; , ;w="]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_are_ignored_never_raised(value):
    rl = RateLimit.from_headers(headers(value, value, value))
    assert rl is None
    partial = RateLimit.from_headers(headers(value, "10", value))
    assert partial.limit is None and partial.remaining == 10 and partial.reset is None and partial.fraction_left is None
    assert parse_retry_after(value) is None
    assert fmt_rate_limit(partial) == "10 left of ? per window"


def test_negative_and_absurd_quotas_are_dropped_from_the_policies():
    expiring, policies = parse_limit_header("-1, 0;w=60, 10;w=-5, 10;w=0, 10;w=abc, 1e400;w=60, 5;w=60")
    assert expiring is None and policies == (QuotaPolicy(5, 60),)
    assert parse_limit_header("1, " * 5000) == (None, ())  # over 1000 characters: not read at all


def test_reset_sent_as_an_epoch_timestamp_is_an_absolute_time():
    now = 1_800_000_000.0
    assert parse_reset(str(int(now + 120)), now=now) == 120
    assert parse_reset(str(int(now - 50)), now=now) == 0  # already past
    assert parse_reset(str(int(now + 10**6)), now=now) == MAX_RESET
    assert parse_reset("86400") == MAX_RESET and parse_reset("0.5") == 0.5
    rl = RateLimit.from_headers(headers(ZUORA, "10", str(int(time.time()) + 90)))
    assert 85 <= rl.reset <= 90  # not 1.8e9 seconds away: polling does not stop for decades


def test_retry_after_is_clamped():
    assert parse_retry_after("7") == 7 and parse_retry_after("0.25") == 0.25
    assert parse_retry_after("99999") == MAX_RETRY_AFTER
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10)
    assert parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT") == MAX_RETRY_AFTER
    assert parse_retry_after("Mon, 01 Jan 0001 00:00:00 GMT") in (None, 0.0)


@given(st.text(max_size=120), st.text(max_size=60), st.text(max_size=60))
def test_fuzz_never_raises_and_stays_in_range(limit, remaining, reset):
    rl = RateLimit.from_headers(headers(limit, remaining, reset))
    if rl is not None:
        assert rl.reset is None or 0 <= rl.reset <= MAX_RESET
        assert rl.limit is None or rl.limit > 0
        assert rl.remaining is None or rl.remaining >= 0
        assert rl.fraction_left is None or 0 <= rl.fraction_left <= 1
        fmt_rate_limit(rl)
    retry = parse_retry_after(reset)
    assert retry is None or 0 <= retry <= MAX_RETRY_AFTER
