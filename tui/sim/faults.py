"""Faults the simulator can inject, per request path, per run, for N requests or at random.

A fault is matched against each request; ``latency`` delays and lets the request go on, every
other kind replaces the normal answer. Tests add faults to exercise one failure at a time.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field
from typing import Any

KINDS = (
    "latency",  # sleep ``delay`` seconds, then answer normally
    "status",  # answer ``status`` with ``body`` (a Zuora-shaped default) and ``headers``
    "html",  # answer ``status`` (default 502) with a gateway HTML page
    "reset",  # close the connection without an answer (``mid_body``: after part of the body)
    "truncate",  # 200 with the JSON cut in half (a consistent Content-Length)
    "body",  # answer 200 (or ``status``) with ``body`` exactly (bytes/str/JSON value)
    "oversize",  # 200 with a valid run JSON padded to ``size`` bytes
    "fields",  # merge ``fields`` into the run JSON (wrong types, hostile text, odd counts)
    "redirect",  # 302 to ``location``
    "next_page",  # task pages carry a ``next_page`` on ``location`` (another host)
    "hang",  # sleep ``delay`` seconds before answering (read timeouts)
)


@dataclass
class Fault:
    kind: str
    path: str | None = None  # regex searched in the request path
    run_id: int | None = None
    method: str | None = None
    times: int | None = None  # how many matching requests it applies to (None: all)
    probability: float = 1.0
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay: float = 0.0
    size: int = 0
    fields: dict[str, Any] | None = None
    location: str | None = None
    mid_body: bool = False
    # a write path only: the server acts first (stops the run, reruns the task, saves the answer
    # under the Idempotency-Key), then the fault replaces the answer: a ``hang`` past the client's
    # timeout, a ``reset``, a ``status`` or ``html`` page from a gateway. "Timeout after the server acted".
    acted: bool = False
    hits: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {', '.join(KINDS)}")
        if self.acted and self.kind not in ("hang", "reset", "status", "html"):
            raise ValueError("a fault after the server acted is a hang, a reset, a status or an html page")
        self._pattern = re.compile(self.path) if self.path else None

    def matches(self, method: str, path: str, run_id: int | None, rng: random.Random) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method and self.method.upper() != method:
            return False
        if self._pattern and not self._pattern.search(path):
            return False
        if self.run_id is not None and self.run_id != run_id:
            return False
        return not (self.probability < 1.0 and rng.random() >= self.probability)


class FaultBook:
    """The active faults; thread-safe because the server answers on many threads."""

    def __init__(self, seed: int | None = None) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._rng = random.Random(seed)

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def match(self, method: str, path: str, run_id: int | None) -> list[Fault]:
        """All faults that apply to this request, counting a hit on each."""
        with self._lock:
            found = []
            for fault in self._faults:
                if fault.matches(method, path, run_id, self._rng):
                    fault.hits += 1
                    found.append(fault)
            return found
