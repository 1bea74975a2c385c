"""``zwr watch``: follow one run until it ends, riding out transient faults, within bounds.

A CI job must never hang on it. Three bounds, each enforced during a request as well as
between polls:

- ``--max-wait S``: an overall deadline; exit 12 when it passes.
- ``--give-up S`` (default 300, 0 never): when every poll has failed for S seconds, exit with
  the code of the last failure (7 rate limited, 8 server, 9 timeout, 10 network) and say how
  long it tried.
- every wait is at least 1 s (so a ``Retry-After: 0`` loop cannot flood the tenant's shared
  rate limit) and at most ``MAX_WAIT`` (whatever ``Retry-After`` says), and never longer than
  what is left of either deadline.

Each poll is a single attempt (``max_attempts=1``): this loop is watch's retry policy, so every
failure is reported as it happens and the bounds hold between attempts, instead of a poll
spending up to the client's 30 s retry budget out of sight. Only the public client API
(``get_run``) is used; the 401 renewal stays in the client.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from tui.cli import exitcodes
from tui.cli.connect import connection_from
from tui.cli.output import Painter, error_line, progress_line, rewrite_line, summary, write
from tui.core.client import ZuoraClient
from tui.core.errors import ZwrError
from tui.core.model import Phase, Run
from tui.core.present import fmt_duration
from tui.core.runid import parse_run_id
from tui.core.text import printable

MIN_WAIT = 1.0  # floor of every wait between polls
MAX_WAIT = 300.0  # ceiling of any wait, whatever Retry-After says
MAX_BACKOFF = 60.0  # ceiling of the doubling backoff without Retry-After


def retry_delay(error: ZwrError, failures: int, interval: float) -> float:
    """How long to wait after the ``failures``-th failure in a row: Retry-After if sane, else backoff."""
    backoff = min(MAX_BACKOFF, interval * 2 ** min(failures - 1, 30))
    hint = error.retry_after
    delay = hint if hint is not None and math.isfinite(hint) and hint >= 0 else backoff
    return min(MAX_WAIT, max(MIN_WAIT, delay))


def _fail(error: ZwrError, run_id: int) -> int:
    write(sys.stderr, error_line(error, Painter(sys.stderr), f"run {run_id}: "))
    return error.exit_code


def _seconds(value: float) -> str:
    return f"{round(value, 1):g}s"


@dataclass
class _Streak:
    """Polls failing in a row: since when, how many, and the last error."""

    since: float
    started_wall: float
    count: int
    error: ZwrError


class Watch:
    def __init__(self, client: ZuoraClient, run_id: int, ns: argparse.Namespace) -> None:
        self.client = client
        self.run_id = run_id
        self.interval: float = ns.interval
        self.exit_status: bool = ns.exit_status
        self.fail_fast: bool = ns.fail_fast
        self.max_wait: float | None = ns.max_wait
        self.give_up: float = ns.give_up
        self.tty = sys.stdout.isatty()
        self.paint = Painter(sys.stdout)
        self.clock = time.monotonic
        self.started = self.clock()
        self.deadline = self.started + self.max_wait if self.max_wait else math.inf
        self.streak: _Streak | None = None
        self.last_run: Run | None = None
        self.last_key: object = None
        self.line_open = False  # a \r progress line is on the terminal

    # ------------------------------------------------------------------ bounds

    def _give_up_at(self) -> float:
        if self.streak is None or not self.give_up:
            return math.inf
        return self.streak.since + self.give_up

    def _limit(self) -> float:
        return min(self.deadline, self._give_up_at())

    def _ended(self) -> int | None:
        """The exit code if a deadline has passed, after saying so; else ``None``."""
        now = self.clock()
        if now >= self.deadline:
            return self._max_wait_passed()
        if now >= self._give_up_at():
            return self._gave_up()
        return None

    def _max_wait_passed(self) -> int:
        self._close_line()
        if self.last_run is not None:
            what = f"still {printable(self.last_run.status_label, 40)}"
        elif self.streak is not None:
            what = f"no answer yet (last error: {self.streak.error.describe()})"
        else:
            what = "no answer yet"
        write(sys.stderr, f"error: run {self.run_id} {what} after --max-wait {self.max_wait:g}s")
        return exitcodes.GAVE_UP

    def _gave_up(self) -> int:
        self._close_line()
        streak = self.streak
        assert streak is not None
        tried = fmt_duration(self.clock() - streak.since)
        since = time.strftime("%H:%M:%S", time.localtime(streak.started_wall))
        write(
            sys.stderr,
            error_line(
                streak.error,
                Painter(sys.stderr),
                f"run {self.run_id}: gave up after {tried} of failed polls ({streak.count} in a row since {since}; "
                f"--give-up {self.give_up:g}s). Last error: ",
            ),
        )
        return streak.error.exit_code

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, min(seconds, self._limit() - self.clock())))

    # ------------------------------------------------------------------ output

    def _close_line(self) -> None:
        if self.line_open:
            write(sys.stdout, "")
            self.line_open = False

    def _show(self, run: Run) -> None:
        line = printable(time.strftime("%H:%M:%S ") + progress_line(run, datetime.now(UTC)), 300)
        key = (run.status, run.tasks)
        if self.tty:
            rewrite_line(sys.stdout, line)
            self.line_open = True
        elif key != self.last_key:
            write(sys.stdout, line)
        self.last_key = key

    def _final(self, run: Run, request_id: str | None, code: int) -> int:
        self._close_line()
        write(sys.stdout, summary(run, self.paint, request_id=request_id))
        return code

    # ------------------------------------------------------------------ the loop

    async def run(self) -> int:
        while True:
            ended = self._ended()
            if ended is not None:
                return ended
            began, began_wall = self.clock(), time.time()
            remaining = self._limit() - began
            deadline = asyncio.timeout(None if remaining == math.inf else remaining)
            try:
                async with deadline:
                    result = await self.client.get_run(self.run_id)
            except TimeoutError:
                if not deadline.expired():
                    raise
                # a bound passed during the request: say which
                return self._max_wait_passed() if self.deadline <= self._give_up_at() else self._gave_up()
            except ZwrError as exc:
                if not exc.retryable:
                    self._close_line()
                    return _fail(exc, self.run_id)
                if self.streak is None:
                    self.streak = _Streak(began, began_wall, 0, exc)
                self.streak.count += 1
                self.streak.error = exc
                ended = self._ended()
                if ended is not None:
                    return ended
                delay = min(retry_delay(exc, self.streak.count, self.interval), self._limit() - self.clock())
                self._close_line()
                write(sys.stderr, f"warning: run {self.run_id}: {exc.describe()} Retrying in {_seconds(delay)}.")
                await self._sleep(delay)
                continue
            self.streak = None
            run = result.run
            self.last_run = run
            self._show(run)
            request_id = result.meta.request_id
            if self.fail_fast and run.tasks.error > 0:
                return self._final(run, request_id, exitcodes.RUN_FAILED)
            if run.phase is Phase.DONE:
                failed = run.tasks.error > 0 or run.status.value == "Stopped"
                return self._final(run, request_id, exitcodes.RUN_FAILED if self.exit_status and failed else 0)
            await self._sleep(self.interval)


def watch(ns: argparse.Namespace) -> int:
    try:
        run_id = parse_run_id(ns.run_id)
        connection = connection_from(ns)
    except ZwrError as exc:
        write(sys.stderr, error_line(exc, Painter(sys.stderr)))
        return exc.exit_code

    async def main() -> int:
        async with ZuoraClient(connection.settings(max_attempts=1), connection.auth) as client:
            return await Watch(client, run_id, ns).run()

    return asyncio.run(main())
