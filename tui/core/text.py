"""Make server-supplied text safe to print: no control characters, bounded length.

Zuora returns user-authored names and error texts; they can hold terminal escape codes
(ESC, CSI, OSC 52 clipboard writes) or be megabytes long. Everything shown to a person
goes through ``printable`` first; markup safety is the renderer's job (Rich ``Text``).
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    ch = match.group(0)
    code = ord(ch)
    if code == 0x1B:
        return "\u241b"  # SYMBOL FOR ESCAPE
    if code < 0x20:
        return chr(0x2400 + code)  # control pictures block
    return f"\\u{code:04x}"


def printable(value: object, limit: int = 500, *, keep_newlines: bool = False) -> str:
    """Return ``value`` as text with control characters made visible and length capped."""
    text = "" if value is None else str(value)
    if len(text) > limit:
        text = text[:limit] + f"… (+{len(text) - limit} chars)"
    if keep_newlines:
        return "\n".join(_CONTROL.sub(_visible, line) for line in text.split("\n"))
    text = text.replace("\t", " ").replace("\r\n", " ").replace("\n", " ")
    return _CONTROL.sub(_visible, text)
