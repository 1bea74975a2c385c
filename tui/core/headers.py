"""Zuora request headers: Track-Id validation/generation, the multi-entity/org headers, and the
one function that builds the headers of an outgoing request.

The bearer token is written only into an ``httpx.Headers`` (whose repr masks Authorization), never
into a plain dict or string local, so a traceback that prints locals cannot show it.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from tui.core.errors import BadInput

if TYPE_CHECKING:
    import httpx

    from tui.core.secret import Secret

_TRACK_OK = re.compile(r"^[\x21-\x7e]{1,64}$")  # printable US-ASCII, no spaces or controls
_TRACK_FORBIDDEN = set(":;\"'")
_ID_LIST = re.compile(r"^[A-Za-z0-9_\-]+(,[A-Za-z0-9_\-]+)*$")
_IDEMPOTENCY_OK = re.compile(r"^[A-Za-z0-9_\-]{1,255}$")


def validate_track_id(value: str) -> str:
    """Zuora-Track-Id: at most 64 US-ASCII characters, none of ``: ; " '``."""
    if not _TRACK_OK.match(value or "") or _TRACK_FORBIDDEN & set(value):
        raise BadInput(
            "Zuora-Track-Id must be 1-64 printable US-ASCII characters without spaces and without any of : ; \" '"
        )
    return value


def new_track_id() -> str:
    return "zwr-" + os.urandom(16).hex()  # 36 characters (no uuid import: it costs `zwr get` start-up)


def new_idempotency_key() -> str:
    """A key for one logical write: send the same key on every attempt of that write."""
    return "zwr-" + os.urandom(16).hex()


def validate_idempotency_key(value: str) -> str:
    if not _IDEMPOTENCY_OK.match(value or ""):
        raise BadInput("Idempotency-Key must be 1-255 characters of letters, digits, - and _.")
    return value


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


def request_headers(
    *,
    track_id: str,
    entity_ids: str | None,
    org_ids: str | None,
    token: Secret | None,
    idempotency_key: str | None = None,
    form: bool = False,
) -> httpx.Headers:
    import httpx

    headers = httpx.Headers(
        {
            "Accept": "application/json",
            "Accept-Encoding": "gzip",  # decoded by body.BodyReader, under the size cap
            "Zuora-Track-Id": track_id,
        }
    )
    if entity_ids:
        headers["Zuora-Entity-Ids"] = entity_ids
    if org_ids:
        headers["Zuora-Org-Ids"] = org_ids
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    if form:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if token is not None:
        headers["Authorization"] = "Bearer " + token.reveal()
    return headers
