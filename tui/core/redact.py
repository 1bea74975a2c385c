"""A logging filter that removes credentials from any record, whatever the logger.

Defence in depth: zwr never logs secrets itself, but third-party libraries log at DEBUG.
Every ``Secret`` revealed for a request is registered here so its text can be scrubbed.
"""

from __future__ import annotations

import logging
import re

_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/=]+")
_FORM = re.compile(r"(?i)(client_secret=|access_token[\"']?\s*[:=]\s*[\"']?)[^&\s\"',]+")
_values: set[str] = set()


def register(value: str) -> None:
    if value and len(value) >= 6:
        _values.add(value)


def scrub(text: str) -> str:
    text = _BEARER.sub(r"\1****", text)
    text = _FORM.sub(r"\1****", text)
    for value in list(_values):
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
