"""Helpers for Pilot and snapshot tests: an app on a simulator, waiting for data, reading widgets."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from tui.core.auth import StaticToken
from tui.sim import RunSpec, Scenario
from tui.sim.scenario import REFERENCE_SAMPLE
from tui.store.connection import Connection
from tui.ui.app import ZwrApp

FROZEN = datetime(2019, 9, 10, 20, 0, 0, tzinfo=UTC)


def connection(sim, production: bool = False, label: str = "Simulator", profile: str | None = "test") -> Connection:
    return Connection(
        base_url=sim.base_url,
        auth=StaticToken(sim.demo_token),
        auth_source="simulator",
        profile=profile,
        production=production,
        label=label,
    )


def make_app(sim, run_ids=(), *, frozen: bool = False, production: bool = False, **kwargs) -> ZwrApp:
    clock = (lambda: FROZEN) if frozen else None
    kwargs.setdefault("interval", 1.0)
    kwargs.setdefault("bell", False)
    return ZwrApp(connection(sim, production), run_ids=run_ids, clock=clock, **kwargs)


async def wait_for(predicate, timeout: float = 10.0, pilot=None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        if pilot is not None:
            await pilot.pause(0.05)
        else:
            await asyncio.sleep(0.05)


def text_of(widget) -> str:
    """Plain text of what a widget renders (Rich renderables are printed without colour)."""
    import io

    from rich.console import Console
    from textual.content import Content
    from textual.visual import RichVisual

    rendered = widget.render()
    if isinstance(rendered, RichVisual):
        rendered = rendered._renderable
    if isinstance(rendered, (str, Content)):
        return str(rendered)
    console = Console(width=200, file=io.StringIO(), color_system=None, legacy_windows=False)
    console.print(rendered)
    return console.file.getvalue()


def frozen_scenario() -> Scenario:
    """Fixed JSON for every run, so snapshots do not move with the wall clock."""

    def run(run_id, status, tasks, name=None, finished=True, **extra):
        data = dict(
            REFERENCE_SAMPLE,
            id=run_id,
            status=status,
            name=name or f"WF-19027-{run_id:08d}",
            tasks=dict(zip(("total", "queued", "processing", "pending", "stopped", "success", "error"), tasks)),
        )
        if not finished:
            data["finishedAt"] = None
            data["updatedAt"] = "2019-09-10 19:59:30 UTC"
        data.update(extra)
        return RunSpec(run_id, data["name"], tasks[0], raw_override=data)

    return Scenario(
        [
            run(19063, "Finished", (4, 0, 0, 0, 0, 4, 0)),
            run(19064, "Queued", (25, 25, 0, 0, 0, 0, 0), finished=False),
            run(19065, "Processing", (12000, 8000, 200, 0, 0, 3790, 10), finished=False),
            run(19066, "Finished", (12, 0, 0, 0, 0, 9, 3)),
            run(19067, "Stopping", (30, 0, 0, 0, 15, 15, 0), finished=False),
            run(19068, "Stopped", (30, 0, 0, 0, 21, 9, 0)),
            run(19069, "Finished", (20, 0, 0, 2, 0, 18, 0)),
            run(19070, "Paused", (5, 1, 0, 0, 0, 4, 0), finished=False),
            run(19071, "Finished", (0, 0, 0, 0, 0, 0, 0), name="[bold red]not markup[/] \x1b[31mesc"),
        ]
    )
