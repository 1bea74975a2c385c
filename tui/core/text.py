"""Make server-supplied text safe to show: nothing in it can act on a terminal, bounded length.

Zuora returns user-authored names and error texts, and a hostile server (or a proxy) can put
anything in any field or header: terminal escapes (ESC, CSI, OSC 0/2 set the window title,
OSC 52 writes the clipboard), their 8-bit C1 forms (U+009B is CSI on some terminals), BEL,
NUL, bidi overrides (U+202E, U+2066) that reorder what a person reads, zero-width and other
invisible format characters, lone surrogates (legal in JSON, fatal to a UTF-8 encoder).

One definition of "unsafe" (``UNSAFE``) serves three doors:

- ``printable``: one field, for a line of output: unsafe characters made visible, newlines
  and tabs flattened, length capped and marked. Front ends call it per field for layout.
- ``terminal_safe``: a whole text on its way out (the CLI's ``write``, log records): the
  choke point every byte of output passes, so a field nobody thought of is still safe.
- ``json_text``: JSON for output, still valid and equal once parsed: unsafe characters are
  written as ``\\uXXXX`` escapes, printable non-ASCII (accents, CJK) stays readable.

Markup safety is the renderer's job (Rich ``Text``; the CLI prints no markup).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

# Every code point of the Unicode categories Cc (controls: C0, DEL, C1), Cf (format: bidi
# embeddings, overrides, isolates and marks, zero-width space, word joiner, BOM, soft hyphen,
# interlinear annotations, tag characters), Cs (surrogates), Zl and Zp (line and paragraph
# separators), except TAB and LF (handled by each door) and ZWNJ/ZWJ (U+200C/U+200D: needed by
# Persian, Indic scripts and emoji; they reorder nothing and drive no terminal).
# tests/test_sanitise.py checks this against ``unicodedata`` for every code point.
UNSAFE_CLASS = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e"
    "\u200b\u200e-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
UNSAFE = re.compile(f"[{UNSAFE_CLASS}]")
_UNSAFE_OR_TAB = re.compile(f"[\t{UNSAFE_CLASS}]")


def _visible(match: re.Match[str]) -> str:
    """A visible stand-in: control pictures for C0 (``␛`` for ESC), ``\\uXXXX`` otherwise."""
    code = ord(match.group(0))
    if code == 0x1B:
        return "\u241b"  # SYMBOL FOR ESCAPE
    if code < 0x20:
        return chr(0x2400 + code)  # the control pictures block: ␀ ␇ ␈ ␍ ...
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def terminal_safe(text: str) -> str:
    """``text`` with every unsafe character made visible; newlines and tabs kept. Idempotent.

    The last door before a stream: it cannot tell our words from a server's, so it keeps the
    line structure and neutralises everything that could act on the terminal or hide text.
    """
    return UNSAFE.sub(_visible, text)


def printable(value: object, limit: int = 500, *, keep_newlines: bool = False) -> str:
    """``value`` as one field of output: unsafe characters visible, length capped and marked.

    ``keep_newlines`` keeps line breaks (multi-line error details); otherwise newlines and tabs
    become spaces so a field cannot forge a line of its own.
    """
    text = "" if value is None else str(value)
    if len(text) > limit:
        text = text[:limit] + f"… (+{len(text) - limit} chars)"
    if keep_newlines:
        return UNSAFE.sub(_visible, text.replace("\r\n", "\n"))
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
    return _UNSAFE_OR_TAB.sub(_visible, text)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # JSON escapes astral characters as a surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_text(
    value: object, *, indent: int | None = 2, ascii_only: bool = False, default: Callable[[Any], Any] | None = None
) -> str:
    """JSON of ``value`` that is safe on a terminal and parses back to exactly ``value``.

    ``json.dumps`` escapes C0 controls but writes DEL, C1, bidi and format characters and lone
    surrogates raw when ``ensure_ascii`` is off; outside JSON's own syntax (which is ASCII) they
    can only sit inside strings, so each is replaced by its ``\\uXXXX`` escape. ``ascii_only``
    escapes all non-ASCII (for an output encoding that is not UTF-8).
    """
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only, default=default)
    return text if ascii_only else UNSAFE.sub(_json_escape, text)
