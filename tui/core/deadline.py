"""Deadlines that reach every wait and every socket operation of a call.

Two context variables, so they follow the caller into asyncio tasks and (copied) into threads
without being passed through every function:

- the *call* deadline: a caller bounds everything a call may do (all attempts, retry waits,
  token renewal) with ``within(seconds)``; ``zwr watch`` uses it for ``--max-wait``;
- the *attempt* deadline: set by the drivers around one HTTP exchange, read by the network
  backend in ``transport.py`` so connect, TLS, every header read and every body read together
  end by it (a server trickling one byte a second cannot stretch an attempt past it).

Times are ``time.monotonic()`` values.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_call: ContextVar[float | None] = ContextVar("zwr_call_deadline", default=None)
attempt: ContextVar[float | None] = ContextVar("zwr_attempt_deadline", default=None)


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Everything the client does inside this block ends within ``seconds`` (nested blocks can
    only shorten it). A call that runs out of time raises ``errors.Timeout``."""
    if math.isnan(seconds):  # NaN: treat as no time at all rather than as no limit
        seconds = 0.0
    end = time.monotonic() + max(0.0, seconds)
    outer = _call.get()
    mark = _call.set(end if outer is None else min(outer, end))
    try:
        yield
    finally:
        _call.reset(mark)


def call_deadline() -> float | None:
    """The caller's deadline, if one is set in this context."""
    return _call.get()
