"""Remove credentials from text: log records (a logging filter, whatever the logger) and every
text a server sends back that zwr may show (``errors.ZwrError`` scrubs its texts here).

Defence in depth: zwr never logs secrets itself, but third-party libraries log at DEBUG, and
a server may echo our request (the token form with ``client_secret=...``, or the Authorization
header) in its error text. Every ``Secret`` is registered here when created, in the forms a
server could echo it back in (as is, URL-encoded, JSON-escaped), so its text can be scrubbed.
"""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import quote, quote_plus

_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/=]+")
_FORM = re.compile(
    r"(?i)((?:client_secret|access_token|refresh_token)[\"']?\s*[:=]\s*[\"']?)[^&\s\"',;}]+",
)
_values: set[str] = set()


def register(value: str) -> None:
    if not value or len(value) < 6:
        return
    for form in (value, quote_plus(value), quote(value, safe=""), json.dumps(value)[1:-1]):
        _values.add(form)


def scrub(text: str) -> str:
    text = _BEARER.sub(r"\1****", text)
    text = _FORM.sub(r"\1****", text)
    for value in sorted(_values, key=len, reverse=True):  # longest first: a form may contain another
        if value in text:
            text = text.replace(value, "****")
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record must not break logging
            return True
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True
