"""``zwr sim`` (the simulator standalone) and ``zwr demo`` (simulator + TUI in one process)."""

from __future__ import annotations

import argparse
import sys
import time

from tui.cli.output import write


def _start(ns: argparse.Namespace):
    from tui.sim import Simulator

    rate = None
    if getattr(ns, "rate_limit", None):
        try:
            count, seconds = ns.rate_limit.split("/")
            rate = (int(count), float(seconds))
            if rate[0] < 1 or not 0 < rate[1] <= 86400:
                raise ValueError
        except ValueError:
            write(sys.stderr, "error: --rate-limit takes N/S with N >= 1 and 0 < S <= 86400, e.g. 2500/60")
            return None
    try:
        simulator = Simulator(
            host=ns.host, port=ns.port, token_ttl=ns.token_ttl, latency=ns.latency, speed=ns.speed, rate_limit=rate
        )
        if getattr(ns, "synthetic", 0):
            simulator.scenario.add_synthetic(ns.synthetic, active=not ns.synthetic_finished)
        if getattr(ns, "fault_rate", 0.0) > 0:
            add_random_faults(simulator, ns.fault_rate)
        simulator.record_requests = False  # a long-running server must not grow its request log
        return simulator.start()
    except (ValueError, OSError) as exc:
        write(sys.stderr, f"error: cannot start the simulator: {exc}")
        return None


def add_random_faults(simulator, rate: float) -> None:
    """Spread ``rate`` over five kinds of failure (for soak tests and demos of resilience)."""
    share = rate / 5
    simulator.add_fault("status", status=500, probability=share)
    simulator.add_fault("status", status=503, headers={"Retry-After": "2"}, probability=share)
    simulator.add_fault("status", status=429, headers={"Retry-After": "1"}, probability=share)
    simulator.add_fault("reset", probability=share)
    simulator.add_fault("html", status=502, probability=share)


def sim(ns: argparse.Namespace) -> int:
    simulator = _start(ns)
    if simulator is None:
        return 2
    write(sys.stdout, f"Zuora Workflow simulator listening on {simulator.base_url}")
    write(sys.stdout, "Credentials (simulator only, not real secrets):")
    write(sys.stdout, f"  export ZUORA_BASE_URL={simulator.base_url}")
    write(sys.stdout, f"  export ZUORA_BEARER_TOKEN={simulator.demo_token}")
    write(sys.stdout, f"  or OAuth: client ID {simulator.client_id}, client secret {simulator.client_secret}")
    write(sys.stdout, "Runs:")
    for spec in simulator.scenario.runs():
        write(sys.stdout, f"  {spec.id}  {spec.description}")
    write(sys.stdout, "Any other ID answers 404. Runs can be stopped and failed tasks rerun:")
    write(sys.stdout, "  zwr stop 19072 --allow-write; zwr rerun --failed 19066 --allow-write")
    write(sys.stdout, "Ctrl-C to stop.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
    return 0


def demo(ns: argparse.Namespace) -> int:
    if not ns.headless:
        from tui.cli.launch import refuse_without_terminal

        refused = refuse_without_terminal(also="; `zwr demo --headless` prints the demo runs")
        if refused is not None:
            return refused
    simulator = _start(ns)
    if simulator is None:
        return 2
    try:
        run_ids = simulator.scenario.ids()
        if ns.headless:
            import os
            import subprocess

            env = dict(os.environ, ZUORA_BASE_URL=simulator.base_url, ZUORA_BEARER_TOKEN=simulator.demo_token)
            return subprocess.call([sys.executable, "-m", "tui", "get", *map(str, run_ids)], env=env)
        from tui.core.auth import StaticToken
        from tui.store.connection import Connection
        from tui.ui.app import ZwrApp

        connection = Connection(
            base_url=simulator.base_url,
            auth=StaticToken(simulator.demo_token),
            auth_source="simulator",
            profile="demo",
            label="Simulator (demo)",
            allow_write=not ns.read_only,  # the demo is the one place writes are on by default (its own simulator)
        )
        app = ZwrApp(connection, run_ids=run_ids, interval=ns.interval, demo=True)
        app.run()
        return app.return_code or 0
    finally:
        simulator.stop()
