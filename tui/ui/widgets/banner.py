"""The connection banner: which tenant you are looking at. Production is unmistakable."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.ui.safe import literal


class Banner(Static):
    DEFAULT_CLASSES = "banner"

    def __init__(self, label: str, profile: str | None, production: bool, demo: bool = False, **kwargs) -> None:
        text = Text()
        if production:
            text.append(" ⚠ PRODUCTION ", style="bold reverse")
            text.append("  ")
        text.append("zwr ", style="bold")
        text.append_text(literal(label, 60))
        if profile:
            text.append("  profile ", style="dim")
            text.append_text(literal(profile, 40))
        if demo:
            text.append("  (simulated data)", style="italic")
        super().__init__(text, **kwargs)
        self.set_class(production, "production")
