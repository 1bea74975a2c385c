"""The help screen: keys and status symbols (imported when first opened)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.ui.styles import stylesheet

HELP = """\
Watchlist and run detail
  a          add run IDs (type or paste; several at once)
  ↑/↓        select a run            enter / t   tasks of the run
  j          raw JSON of the run     /           filter the watchlist
  s          cycle sort (added, status, errors, elapsed, id)
  b          bookmark / unbookmark   l           label (bookmarks the run)
  d          stop watching the run   r / R       refresh now (run / all)
  p          pause / resume polling  + / -       slower / faster polling
  c          copy run ID             C           copy run JSON
  i          copy the last Zuora-Request-Id
  ctrl+b     show / hide the bookmarks sidebar
  tab        move between sidebar, watchlist and detail
  ctrl+p     command palette         ?           this help
  q          quit

Writes to Zuora: off unless allowed (allow_write, --allow-write),
confirmed in a dialog (Cancel first), recorded (zwr log)
  X          stop the run            F           rerun failed tasks

Tasks screen
  e          only tasks in Error     /           filter by text
  enter      full error details      j           raw JSON of the task
  r          reload the list now     esc         back
  R          rerun this task         F / X       rerun failed / stop
  (the list reloads by itself while the run's task counts move)

Status symbols (readable without colour)
  ✔ finished, no errors    ✖ finished with task errors   ▶ processing
  ◌ queued    ◔ settling (finished, tasks pending)    ◼ stopping   ■ stopped
  ? unknown status         ⚠ stale data, stuck run or odd counts
"""


class HelpScreen(ModalScreen[None]):
    CSS_PATH = stylesheet("modals")
    BINDINGS = [Binding("escape,q,question_mark", "dismiss(None)", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(Text("zwr — keys", style="bold"))
            with VerticalScroll():
                yield Static(Text(HELP))
