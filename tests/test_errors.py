import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.core.errors import parse_error_body
from tui.core.ratelimit import RateLimit, parse_retry_after


@pytest.mark.parametrize(
    "body, text, retryable",
    [
        (
            b'{"success": false, "processId": "X", "reasons": [{"code": 53100320, "message": "Bad things"}]}',
            "Bad things",
            False,
        ),
        (b'{"success": false, "reasons": [{"code": 50000060, "message": "Try later"}]}', "Try later", True),
        (b'{"errors": [{"status": 400, "code": "invalid", "title": "Invalid id"}]}', "Invalid id", False),
        (b'{"Errors": ["Something odd"]}', "Something odd", False),
        (b'{"message": "Authentication error"}', "Authentication error", False),
        (b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>", "502 Bad Gateway", False),
        (b"", None, False),
        (b"[1, 2]", "1; 2", False),
    ],
)
def test_every_error_body_format(body, text, retryable):
    parsed = parse_error_body(body)
    assert parsed.text == text
    assert parsed.retryable is retryable


@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_fuzz_error_body_parser_never_raises(body):
    parse_error_body(body)


@given(
    st.recursive(
        st.none() | st.integers() | st.text(max_size=20),
        lambda c: (
            st.lists(c, max_size=3)
            | st.dictionaries(
                st.sampled_from(["reasons", "errors", "Errors", "message", "code", "title"]), c, max_size=4
            )
        ),
        max_leaves=15,
    )
)
def test_fuzz_error_json_shapes(value):
    parse_error_body(json.dumps(value).encode())


def test_retry_after_seconds_and_http_date():
    assert parse_retry_after("7") == 7
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10)
    assert parse_retry_after("soon") is None


def test_rate_limit_headers():
    rl = RateLimit.from_headers({"RateLimit-Limit": "2500", "RateLimit-Remaining": "100", "RateLimit-Reset": "30"})
    assert rl.limit == 2500 and rl.remaining == 100 and rl.reset == 30 and rl.fraction_left == 0.04
