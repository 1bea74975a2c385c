"""Progress history of a run during this session: sparkline samples, rate and ETA."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

MAX_SAMPLES = 120


@dataclass(frozen=True, slots=True)
class Sample:
    at: float  # time.monotonic()
    done: int
    errors: int
    total: int


class History:
    def __init__(self, limit: int = MAX_SAMPLES) -> None:
        self.samples: deque[Sample] = deque(maxlen=limit)

    def add(self, sample: Sample) -> None:
        if (
            self.samples
            and self.samples[-1].done == sample.done
            and self.samples[-1].errors == sample.errors
            and sample.at - self.samples[-1].at < 30
        ):
            return  # nothing moved: keep the history meaningful, not a flat line of polls
        self.samples.append(sample)

    def rate(self, window: float = 300.0) -> float | None:
        """Tasks completed per second over the recent window, or None if unknown."""
        if len(self.samples) < 2:
            return None
        last = self.samples[-1]
        first = next((s for s in self.samples if last.at - s.at <= window), self.samples[0])
        if first is last:
            first = self.samples[-2]
        span = last.at - first.at
        if span <= 0:
            return None
        return max(0.0, (last.done - first.done) / span)

    def eta(self) -> float | None:
        rate = self.rate()
        if not rate or not self.samples:
            return None
        last = self.samples[-1]
        remaining = max(0, last.total - last.done)
        return remaining / rate if remaining else 0.0

    def series(self) -> list[int]:
        return [s.done for s in self.samples]
