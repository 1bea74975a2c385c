"""What Zuora tells us about our request budget, read from every response.

Zuora counts requests per tenant in three windows (a minute, an hour, a day) and, following the
IETF RateLimit header fields draft, reports the window *closest to exhaustion*:

    RateLimit-Limit: 2250000, 50000;w=60, 2250000;w=3600, 27000000;w=86400
    RateLimit-Remaining: 0
    RateLimit-Reset: 600

The first, bare figure is the quota of the reported window; the ``q;w=seconds`` items list every
window (the quota policies). ``RateLimit-Remaining`` and ``RateLimit-Reset`` belong to the reported
window, so ``RateLimit.limit``/``remaining``/``reset``/``window`` all describe that one window and
``fraction_left`` compares like with like. Plain integers (``RateLimit-Limit: 2500``) still work.

Header values come from a server and are hostile until proven otherwise: ``inf``, ``nan``,
negative or 400-digit numbers are ignored, a ``RateLimit-Reset`` that looks like an epoch
timestamp is read as an absolute time, and every wait is clamped to ``MAX_RESET``. Nothing here
raises on any input.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

MAX_RESET = 3600.0  # no server value makes zwr wait longer than this for a window to reset
MAX_RETRY_AFTER = 3600.0
EPOCH_THRESHOLD = 1_000_000_000  # a "seconds until reset" this large is a Unix time (2001-09-09 or later)
MAX_QUOTA = 10**12  # more requests than any tenant has; larger figures are not believed

_NUMBER = re.compile(r"\s*([0-9]{1,15})(?:\.([0-9]{1,9}))?\s*")
_WINDOW = re.compile(r"\bw\s*=\s*([0-9]{1,9})\b")


def _figure(text: object) -> float | None:
    """A non-negative, finite, reasonably sized decimal number, or None (never raises)."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    match = _NUMBER.fullmatch(text)
    if not match:
        return None
    return float(match.group(1) + ("." + match.group(2) if match.group(2) else ""))


def _header(headers: object, name: str) -> str | None:
    """Case-insensitive lookup in httpx.Headers or a plain mapping (tests, recorded examples)."""
    if not isinstance(headers, Mapping) and not hasattr(headers, "get"):
        return None
    value = headers.get(name)
    if value is None and isinstance(headers, Mapping):
        wanted = name.lower()
        value = next((v for k, v in headers.items() if isinstance(k, str) and k.lower() == wanted), None)
    return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class QuotaPolicy:
    """One window Zuora counts requests in: ``quota`` requests per ``window`` seconds."""

    quota: int
    window: float


def parse_limit_header(value: str | None) -> tuple[int | None, tuple[QuotaPolicy, ...]]:
    """``RateLimit-Limit`` as (the reported window's quota, every quota policy)."""
    if not value or len(value) > 1000:
        return None, ()
    expiring: int | None = None
    policies: list[QuotaPolicy] = []
    for item in value.split(",")[:20]:
        head, _, params = item.partition(";")
        quota = _figure(head)
        if quota is None or not quota.is_integer() or not 0 < quota <= MAX_QUOTA:
            continue
        window = _WINDOW.search(params) if params else None
        if window is not None:
            seconds = int(window.group(1))
            if seconds > 0:
                policies.append(QuotaPolicy(int(quota), float(seconds)))
        elif expiring is None and not params:
            expiring = int(quota)
    return expiring, tuple(policies)


def parse_reset(value: str | None, now: float | None = None) -> float | None:
    """Seconds until the window resets, in ``[0, MAX_RESET]``. A figure that looks like a Unix
    time (some gateways send one) is read as the moment of the reset."""
    seconds = _figure(value)
    if seconds is None:
        return None
    if seconds >= EPOCH_THRESHOLD:
        seconds = max(0.0, seconds - (time.time() if now is None else now))
    return min(seconds, MAX_RESET)


def _reported_window(
    expiring: int | None, policies: tuple[QuotaPolicy, ...], remaining: int | None, reset: float | None
) -> QuotaPolicy | None:
    """The policy that ``RateLimit-Remaining`` belongs to.

    The draft (and Zuora) put the reported window's quota first, so a policy with that quota is it
    (the shortest window that can still be running, if several share the quota). Without a first
    figure, or with one that names no policy, pick the shortest window that fits both figures: a
    quota at least ``remaining`` and a length at least ``reset``."""

    def fits(policy: QuotaPolicy) -> bool:
        return (remaining is None or policy.quota >= remaining) and (reset is None or policy.window >= reset)

    by_length = sorted(policies, key=lambda p: p.window)
    if expiring is not None:
        named = [p for p in by_length if p.quota == expiring]
        if named:
            return next((p for p in named if fits(p)), named[0])
    return next((p for p in by_length if fits(p)), None)


WINDOW_NAMES = {60.0: "minute", 3600.0: "hour", 86400.0: "day"}


@dataclass(frozen=True, slots=True)
class RateLimit:
    """The budget of the window ``RateLimit-Remaining`` belongs to (see the module docstring)."""

    limit: int | None = None  # quota of the reported window
    remaining: int | None = None  # requests left in it
    reset: float | None = None  # seconds until it resets, at ``observed_at``; clamped to MAX_RESET
    observed_at: float = 0.0  # time.monotonic() when read
    window: float | None = None  # the reported window's length in seconds, when the header names it
    policies: tuple[QuotaPolicy, ...] = ()  # every window Zuora listed

    @property
    def fraction_left(self) -> float | None:
        if self.limit and self.remaining is not None and self.limit > 0:
            return max(0.0, min(1.0, self.remaining / self.limit))
        return None

    @property
    def window_name(self) -> str:
        """ "minute", "hour", "day", "90 s", or "window" when the header did not say."""
        if self.window is None:
            return "window"
        return WINDOW_NAMES.get(self.window) or f"{self.window:g} s"

    @classmethod
    def from_headers(cls, headers: object, now: float | None = None) -> RateLimit | None:
        expiring, policies = parse_limit_header(_header(headers, "RateLimit-Limit"))
        remaining_figure = _figure(_header(headers, "RateLimit-Remaining"))
        remaining = (
            int(remaining_figure)
            if remaining_figure is not None and remaining_figure.is_integer() and remaining_figure <= MAX_QUOTA
            else None
        )
        reset = parse_reset(_header(headers, "RateLimit-Reset"), now)
        if expiring is None and not policies and remaining is None:
            return None
        window = _reported_window(expiring, policies, remaining, reset)
        limit = expiring if expiring is not None else (window.quota if window else None)
        if reset is None and window is not None:
            reset = min(window.window, MAX_RESET)  # the window's length is the latest it can reset
        return cls(
            limit=limit,
            remaining=remaining,
            reset=reset,
            observed_at=time.monotonic(),
            window=window.window if window else None,
            policies=policies,
        )


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds in ``[0, MAX_RETRY_AFTER]``: delta-seconds or an HTTP date.
    None if unreadable (``inf``, ``nan``, negative numbers and garbage included)."""
    if not value or not isinstance(value, str) or len(value) > 100:
        return None
    value = value.strip()
    seconds = _figure(value)
    if seconds is not None:
        return min(seconds, MAX_RETRY_AFTER)
    if value[:1].isdigit() or value[:1] in "+-.":
        return None  # a number we do not believe (negative, 400 digits, 1e9999)
    import email.utils  # only when a server sends an HTTP date: keeps `zwr get` start-up lean

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    try:
        delta = when.timestamp() - current
    except (OverflowError, OSError, ValueError):
        return None
    return max(0.0, min(delta, MAX_RETRY_AFTER))
