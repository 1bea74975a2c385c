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
  e          the first task error in full (the run's biggest error group)
  y          copy the incident report of the run (markdown, as zwr report)
  f          find runs by object ID (the record their tasks touched)
  ctrl+b     show / hide the bookmarks sidebar
  tab        move between sidebar, watchlist and detail
  ctrl+p     command palette         ?           this help
  q          quit

Run detail: a run with task errors shows its error groups (class, message with
  the variable parts as <n>/<id>, count, first task) without a key pressed

Tasks screen
  s / S      sort by the next column (status, slowest first, name, ID,
             action, object, error) / reverse it
  g          error groups (tasks, class, message, first seen); enter lists
             a group's tasks, esc goes back a level
  e          only tasks in Error     /           filter by text
  enter      the task in full        j           raw JSON of the task
  r          reload the list now     esc         back
  (the list reloads by itself while the run's task counts move)

Task details
  ↑/↓        move between fields     c / C       copy the field / all fields
  j          raw JSON of the task    esc         back

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
