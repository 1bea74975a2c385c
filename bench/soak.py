"""Soak test (not in the default suite): the TUI watching many runs against a simulator that
injects random faults, for minutes. Reports start/end RSS, crashes, and recovery once faults stop.

    .venv/bin/python bench/soak.py                 # 200 runs, 10 minutes, 10% faults
    .venv/bin/python bench/soak.py --minutes 1 --runs 50

Exit status 0 only if the app never crashed, memory stayed flat (end RSS within 25% + 20 MiB of the
RSS after warm-up) and every run recovered (fresh data, no error) within 90 s after faults stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def rss_mib() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def soak(runs: int, minutes: float, fault_rate: float, interval: float) -> int:
    from tests.uihelpers import wait_for
    from tui.cli.simcmd import add_random_faults
    from tui.core.auth import StaticToken
    from tui.sim import Scenario, Simulator
    from tui.store.connection import Connection
    from tui.ui.app import ZwrApp

    scenario = Scenario()
    ids = scenario.add_synthetic(runs, duration=7200)
    sim = Simulator(scenario, latency=0.02)
    sim.record_requests = False
    sim.start()
    add_random_faults(sim, fault_rate)
    app = ZwrApp(
        Connection(base_url=sim.base_url, auth=StaticToken("demo-token"), auth_source="soak"),
        run_ids=ids,
        interval=interval,
        bell=False,
        client_settings={"concurrency": 16, "max_attempts": 2},
    )
    samples: list[tuple[float, float]] = []
    errors_seen = 0
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_for(lambda: len(app.updates) == runs, timeout=120, pilot=pilot)
            started = time.monotonic()
            await asyncio.sleep(min(30.0, minutes * 60 / 4))  # warm-up
            warm = rss_mib()
            samples.append((0.0, warm))
            deadline = started + minutes * 60
            while time.monotonic() < deadline:
                await asyncio.sleep(min(30.0, max(1.0, deadline - time.monotonic())))
                errors_seen += sum(1 for u in app.updates.values() if u.error is not None)
                samples.append((time.monotonic() - started, rss_mib()))
                await pilot.press("down")  # the app keeps answering keys
            end = rss_mib()
            polls = app.engine.polls
            sim.clear_faults()
            recover_started = time.monotonic()
            try:
                await wait_for(
                    lambda: all(u.error is None and u.run is not None for u in app.updates.values()),
                    timeout=90,
                    pilot=pilot,
                )
                recovered = time.monotonic() - recover_started
            except AssertionError:
                recovered = None
            stuck = [u.run_id for u in app.updates.values() if u.error is not None]
    finally:
        sim.stop()
    flat = end <= warm * 1.25 + 20
    print(f"runs {runs}, {minutes:g} min, faults {fault_rate:.0%}, interval {interval:g}s, polls {polls}")
    print(
        f"RSS after warm-up {warm:.1f} MiB, at end {end:.1f} MiB ({'flat' if flat else 'GREW'}); samples: "
        + ", ".join(f"{t:.0f}s={m:.0f}" for t, m in samples)
    )
    print(f"error states observed at samples: {errors_seen}; crashed: no")
    print(
        f"recovery after faults stopped: {f'all runs in {recovered:.1f}s' if recovered is not None else 'NOT all: ' + str(stuck[:10])}"
    )
    return 0 if flat and recovered is not None else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--fault-rate", type=float, default=0.10)
    parser.add_argument("--interval", type=float, default=5.0)
    ns = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="zwr-soak-")
    os.environ.update(ZWR_CONFIG_DIR=f"{tmp}/config", ZWR_DATA_DIR=f"{tmp}/data")
    return asyncio.run(soak(ns.runs, ns.minutes, ns.fault_rate, ns.interval))


if __name__ == "__main__":
    raise SystemExit(main())
