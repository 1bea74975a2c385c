"""zwr's actions in the command palette, beside Textual's own commands.

Each entry runs on the screen the palette was opened from (``app.`` actions on the app); an
entry is offered only where its action exists, so the tasks screen does not offer watchlist
actions.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

ACTIONS = (
    ("Add run IDs to the watchlist", "add_runs"),
    ("Show the tasks of the selected run", "tasks"),
    ("Show the raw JSON of the selected run", "raw"),
    ("Bookmark / unbookmark the selected run", "toggle_bookmark"),
    ("Label the bookmark of the selected run", "label"),
    ("Stop watching the selected run", "unwatch"),
    ("Refresh the selected run now", "refresh_selected"),
    ("Refresh all runs now", "app.refresh_all"),
    ("Pause / resume polling", "app.toggle_pause"),
    ("Poll faster (shorter interval)", "app.faster"),
    ("Poll slower (longer interval)", "app.slower"),
    ("Cycle the sort order (watchlist, or tasks)", "sort"),
    ("Reverse the sort order (tasks)", "reverse"),
    ("Show / hide the error groups (tasks)", "toggle_groups"),
    ("Show the first task error of the selected run in full", "first_error"),
    ("Copy the incident report of the selected run (markdown)", "copy_report"),
    ("Find runs by object ID (the record their tasks touched)", "find"),
    ("Copy the selected run ID", "copy_id"),
    ("Copy the selected run's JSON", "copy_json"),
    ("Copy the last Zuora-Request-Id", "copy_request_id"),
    ("Toggle the terminal bell on state changes", "app.toggle_bell"),
    ("Help: keys and symbols", "app.help"),
)


class ZwrCommands(Provider):
    def _available(self) -> list[tuple[str, str]]:
        screen = self.screen
        found = []
        for title, action in ACTIONS:
            target, _, name = action.rpartition(".")
            owner = self.app if target == "app" else screen
            if hasattr(owner, f"action_{name}"):
                found.append((title, action))
        return found

    def _run(self, action: str) -> None:
        self.app.call_later(self.app.run_action, action, self.screen)

    async def discover(self) -> Hits:
        for title, action in self._available():
            yield DiscoveryHit(title, partial(self._run, action), help=f"zwr: {action.rpartition('.')[2]}")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action in self._available():
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(self._run, action),
                    help=f"zwr: {action.rpartition('.')[2]}",
                )
