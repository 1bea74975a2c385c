"""An embedded simulator of the Zuora Workflow API. Standard library only.

It serves real HTTP on a loopback address so the client, the CLI and the TUI can be tried
and tested with no Zuora account; see ``Simulator``.
"""

from tui.sim.faults import Fault
from tui.sim.scenario import RunSpec, Scenario, demo_scenario
from tui.sim.server import Simulator

__all__ = ["Fault", "RunSpec", "Scenario", "Simulator", "demo_scenario"]
