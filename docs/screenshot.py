"""Regenerate docs/screenshot.svg (the README picture) from the app on the simulator.

Run: .venv/bin/python docs/screenshot.py
"""

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.uihelpers import frozen_scenario, make_app, settle, wait_for
from tui.sim import Simulator


async def main() -> None:
    with Simulator(frozen_scenario(), stable_request_ids=True) as sim:
        ids = sim.scenario.ids()
        app = make_app(sim, ids, frozen=True, interval=60)
        async with app.run_test(size=(130, 38)) as pilot:
            await wait_for(lambda: len(app.updates) == len(ids), pilot=pilot)
            app.main.watchlist.select_run(19066)  # a failed run: its error groups show with no key
            await pilot.pause(app.main.WANT_AFTER + 0.1)
            await wait_for(lambda: not app.session.why.busy and app.session.why.digest(19066), pilot=pilot)
            await settle(pilot)
            svg = app.export_screenshot(title="zwr — Zuora Workflow runs")
    target = Path(__file__).with_name("screenshot.svg")
    target.write_text(svg)
    print(f"wrote {target}")


if __name__ == "__main__":
    asyncio.run(main())
