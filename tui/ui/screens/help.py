"""The help screen: every key of every screen, from the action table, and the status symbols.

Generated from ``tui.ui.keys.ACTIONS`` with the user's keymap applied, so it lists exactly the
keys that work. Laid out for the width it gets: a key column as wide as the longest key and a
description column that wraps inside itself (a key never drifts away from its description);
from 100 columns on, two such pairs side by side. Imported when first opened.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.events import Resize
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.ui.keys import ACTIONS, BY_ID, SCREENS, Action, bindings, show_keys
from tui.ui.styles import stylesheet

SYMBOLS = (
    ("✔", "finished, no task errors"),
    ("✖", "finished with task errors"),
    ("▶", "processing"),
    ("◌", "queued"),
    ("◔", "settling: finished, tasks still pending"),
    ("◼", "stopping"),
    ("■", "stopped"),
    ("?", "a status zwr does not know (Zuora's word shown)"),
    ("⚠", "stale data, a stuck run or odd counts"),
)
TWO_PAIRS_FROM = 100  # columns of text from which two key/description pairs fit side by side


def _pairs(rows: list[tuple[str, str]], width: int, key_width: int) -> Table:
    """Rows of (key, description) as aligned columns; two pairs per line when ``width`` allows."""
    pairs = 2 if width >= TWO_PAIRS_FROM else 1
    table = Table.grid(padding=(0, 2, 0, 0), expand=True)
    for _ in range(pairs):
        table.add_column(no_wrap=True, width=key_width, style="bold")
        table.add_column(ratio=1, overflow="fold")
    half = (len(rows) + pairs - 1) // pairs
    columns = [rows[i * half : (i + 1) * half] for i in range(pairs)]
    for line in range(half):
        cells: list[str] = []
        for column in columns:
            key, text = column[line] if line < len(column) else ("", "")
            cells += [key, text]
        table.add_row(*cells)
    return table


def help_sections(keymap: Mapping[str, str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """(heading, [(keys, description)]) per screen, in SCREENS' order; groups stay together."""
    sections = []
    for screen, heading in SCREENS.items():
        actions: list[Action] = [a for a in ACTIONS if a.screen == screen]
        groups = list(dict.fromkeys(a.group for a in actions))
        ordered = sorted(actions, key=lambda a: groups.index(a.group))
        rows = [(show_keys(a, keymap) or "palette", a.description) for a in ordered]
        sections.append((heading, rows))
    return sections


def help_renderable(keymap: Mapping[str, str], width: int) -> RenderableType:
    parts: list[RenderableType] = []
    sections = help_sections(keymap)
    key_width = max(len(key) for _, rows in sections for key, _ in rows)  # one column for every section
    for heading, rows in sections:
        parts += [Text(heading, style="bold underline"), _pairs(rows, width, key_width), Text("")]
    parts.append(Text("Status symbols (readable without colour)", style="bold underline"))
    parts.append(_pairs(list(SYMBOLS), width, key_width))
    return Group(*parts)


class KeyHelp(Static):
    """The help text, re-laid out whenever its width changes."""

    def __init__(self, keymap: Mapping[str, str], **kwargs) -> None:
        super().__init__(help_renderable(keymap, 0), **kwargs)
        self.keymap = dict(keymap)
        self._laid_out_for = -1

    def on_resize(self, event: Resize) -> None:
        width = event.size.width
        if width != self._laid_out_for:
            self._laid_out_for = width
            self.update(help_renderable(self.keymap, width))


class HelpScreen(ModalScreen[None]):
    CSS_PATH = stylesheet("modals")
    BINDINGS = bindings("help")

    def __init__(self, keymap: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.keymap = dict(keymap or {})

    def compose(self) -> ComposeResult:
        close = show_keys(BY_ID["help-close"], self.keymap)
        with Vertical(classes="dialog wide", id="help"):
            title = Text.assemble(("zwr: keys", "bold"), ("   ", ""), (f"{close.split()[0]} closes", "bold reverse"))
            yield Static(title, id="help-title")
            with VerticalScroll():
                yield KeyHelp(self.keymap, id="help-keys")
            yield Static(Text(f"↑ ↓ pgup pgdn scroll · {close} close", style="dim"), id="help-hint")
