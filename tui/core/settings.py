"""Client settings: where to connect and the bounds every request lives within.

Kept apart from ``client.py`` so that resolving a connection (``tui.store.connection``) and the
blocking ``zwr get`` path do not import the async client.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tui.core.environments import validate_base_url
from tui.core.errors import BadInput
from tui.core.headers import normalise_id_list, validate_track_id


@dataclass(frozen=True, slots=True)
class ClientSettings:
    base_url: str
    entity_ids: str | None = None
    org_ids: str | None = None
    track_id: str | None = None  # fixed Track-Id; otherwise one is generated per request
    connect_timeout: float = 5.0
    # ``--timeout``: the most one attempt may take, connect + headers + the whole body together.
    read_timeout: float = 30.0
    # The most one call may take, all attempts and retry waits included. None: two attempt
    # timeouts plus the retry-wait budget. A caller can shorten it with ``deadline.within``.
    call_timeout: float | None = None
    max_body_bytes: int = 8 * 1024 * 1024  # counted after every Content-Encoding is undone
    max_encodings: int = 2  # stacked Content-Encoding layers accepted (Zuora sends at most one)
    max_attempts: int = 4
    max_retry_wait: float = 30.0  # total sleep between attempts of one call
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    concurrency: int = 8
    page_concurrency: int = 8  # Zuora allows 40 requests in flight per tenant

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", validate_base_url(self.base_url))
        object.__setattr__(self, "entity_ids", normalise_id_list(self.entity_ids, "Entity IDs"))
        object.__setattr__(self, "org_ids", normalise_id_list(self.org_ids, "Org IDs"))
        if self.track_id is not None:
            validate_track_id(self.track_id)
        for name in ("connect_timeout", "read_timeout", "call_timeout"):
            value = getattr(self, name)
            if value is None and name == "call_timeout":
                continue
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise BadInput(f"A timeout must be a positive number of seconds, got {value!r}.")
        if not math.isfinite(self.max_retry_wait) or self.max_retry_wait < 0:
            raise BadInput(f"max_retry_wait must be a finite number of seconds, got {self.max_retry_wait!r}.")

    @property
    def call_budget(self) -> float:
        if self.call_timeout is not None:
            return float(self.call_timeout)
        return 2 * self.read_timeout + self.max_retry_wait
