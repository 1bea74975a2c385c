"""Secrets as people supply them: trimmed, and refused when they hold control characters.

A token read with ``$(cat token.txt)``, pasted into a prompt or saved by another tool often
ends in a newline or a space. Zuora never issues whitespace at either end, so it is trimmed.
A control character *inside* (ESC, NUL, a newline in the middle) is a broken paste or a
hostile value: sent on, it fails as an obscure protocol error or splits an HTTP header. It is
refused before any request, with a message naming where the value came from and never the
value itself.
"""

from __future__ import annotations

import re

from tui.core.errors import ConfigError
from tui.core.secret import Secret

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def clean_text(value: str, source: str) -> str:
    """A non-secret identifier (a client ID) typed or pasted: trimmed, refused with control characters."""
    text = value.strip()
    if _CONTROL.search(text):
        raise ConfigError(f"{source} contains a control character; type it again.")
    return text


def clean_secret(value: str, source: str, *, header: bool = False) -> Secret | None:
    """Trim ``value``; ``None`` when nothing is left; ``ConfigError`` (exit 3) when it is unusable.

    ``header`` marks a bearer token, which travels in an HTTP header and so must be printable
    ASCII without spaces.
    """
    text = value.strip()
    if not text:
        return None
    if _CONTROL.search(text):
        raise ConfigError(f"{source} contains a control character; paste the value again (nothing was sent).")
    if header and not text.isascii():
        raise ConfigError(f"{source} contains a non-ASCII character; a bearer token is plain ASCII (nothing was sent).")
    if header and " " in text:
        raise ConfigError(
            f"{source} contains a space; give the token alone, without 'Bearer ' or other words (nothing was sent)."
        )
    return Secret(text)


def require_secret(value: str, source: str, *, header: bool = False) -> Secret:
    """Like ``clean_secret``, but an empty value is an error too."""
    secret = clean_secret(value, source, header=header)
    if secret is None:
        raise ConfigError(f"{source} is empty.")
    return secret
