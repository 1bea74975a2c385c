"""What Zuora tells us about our request budget, read from every response."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RateLimit:
    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None  # seconds until the window resets
    observed_at: float = 0.0  # time.monotonic() when read

    @property
    def fraction_left(self) -> float | None:
        if self.limit and self.remaining is not None and self.limit > 0:
            return max(0.0, min(1.0, self.remaining / self.limit))
        return None

    @classmethod
    def from_headers(cls, headers) -> RateLimit | None:
        def number(name: str) -> float | None:
            raw = headers.get(name)
            if raw is None:
                return None
            try:
                # Some gateways send "100, 100;w=60": take the first figure.
                return float(str(raw).split(",")[0].split(";")[0].strip())
            except ValueError:
                return None

        limit, remaining, reset = number("RateLimit-Limit"), number("RateLimit-Remaining"), number("RateLimit-Reset")
        if limit is None and remaining is None:
            return None
        return cls(
            limit=int(limit) if limit is not None else None,
            remaining=int(remaining) if remaining is not None else None,
            reset=reset,
            observed_at=time.monotonic(),
        )


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: either delta-seconds or an HTTP date. None if unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
        return max(0.0, seconds) if seconds == seconds else None
    except ValueError:
        pass
    import email.utils  # only when a server sends an HTTP date: keeps `zwr get` start-up lean

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)
