"""Zuora request headers: Track-Id validation/generation and the multi-entity/org headers."""

from __future__ import annotations

import re
import uuid

from tui.core.errors import BadInput

_TRACK_OK = re.compile(r"^[\x21-\x7e]{1,64}$")  # printable US-ASCII, no spaces or controls
_TRACK_FORBIDDEN = set(":;\"'")
_ID_LIST = re.compile(r"^[A-Za-z0-9_\-]+(,[A-Za-z0-9_\-]+)*$")


def validate_track_id(value: str) -> str:
    """Zuora-Track-Id: at most 64 US-ASCII characters, none of ``: ; " '``."""
    if not _TRACK_OK.match(value or "") or _TRACK_FORBIDDEN & set(value):
        raise BadInput(
            "Zuora-Track-Id must be 1-64 printable US-ASCII characters without spaces and without any of : ; \" '"
        )
    return value


def new_track_id() -> str:
    return "zwr-" + uuid.uuid4().hex  # 36 characters


def normalise_id_list(value: str | None, what: str) -> str | None:
    """Entity and org ID lists: comma separated, no spaces, nothing that could split a header."""
    if value is None:
        return None
    cleaned = ",".join(part.strip() for part in value.split(",") if part.strip())
    if not cleaned:
        return None
    if not _ID_LIST.match(cleaned) or len(cleaned) > 2000:
        raise BadInput(f"{what} must be a comma-separated list of IDs (letters, digits, - and _).")
    return cleaned
