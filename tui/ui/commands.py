"""Every zwr action in the command palette, added beside Textual's own commands."""

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
    ("Refresh all runs now", "refresh_all"),
    ("Pause / resume polling", "toggle_pause"),
    ("Poll faster (shorter interval)", "faster"),
    ("Poll slower (longer interval)", "slower"),
    ("Cycle the watchlist sort order", "sort"),
    ("Copy the selected run ID", "copy_id"),
    ("Copy the selected run's JSON", "copy_json"),
    ("Copy the last Zuora-Request-Id", "copy_request_id"),
    ("Toggle the terminal bell on state changes", "toggle_bell"),
    ("Help: keys and symbols", "help"),
)


class ZwrCommands(Provider):
    async def discover(self) -> Hits:
        for title, action in ACTIONS:
            yield DiscoveryHit(title, partial(self.app.run_action, action), help=f"zwr: {action}")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action in ACTIONS:
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.run_action, action), help=f"zwr: {action}")
