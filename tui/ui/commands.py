"""zwr's actions in the command palette, beside Textual's own commands.

The palette offers the actions of the screen it was opened from (its ``KEY_SCOPE`` in the
action table, ``tui.ui.keys``): on the tasks screen the tasks screen's actions, never the
watchlist's. Each entry reads as what it does, with its key (the user's keymap applied) and
its group; choosing one runs it on that screen (``app.`` actions on the app).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.ui.keys import Action, on_screen, show_keys


def offered(scope: str | None) -> list[Action]:
    """The palette's entries on a screen of ``scope``."""
    if scope is None:
        return []
    return [a for a in on_screen(scope) if a.palette and a.action]


def title(action: Action) -> str:
    return action.description[:1].upper() + action.description[1:]


class ZwrCommands(Provider):
    def _keymap(self) -> Mapping[str, str]:
        from tui.ui.app import ZwrApp  # the app imports this module

        return self.app.keymap if isinstance(self.app, ZwrApp) else {}

    def _entries(self) -> list[tuple[str, str, str]]:
        """(title, action, help) of each action offered on the palette's screen."""
        keymap = self._keymap()
        scope = getattr(type(self.screen), "KEY_SCOPE", None)
        return [(title(a), a.action, f"{show_keys(a, keymap) or 'no key'} · {a.group}") for a in offered(scope)]

    def _run(self, action: str) -> None:
        self.app.call_later(self.app.run_action, action, self.screen)

    async def discover(self) -> Hits:
        for text, action, help_text in self._entries():
            yield DiscoveryHit(text, partial(self._run, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, action, help_text in self._entries():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(self._run, action), help=help_text)
