"""Server text for Rich/Textual: always a ``Text`` object (never parsed as markup), with control
characters made visible and length capped. Every widget that shows server data uses these."""

from __future__ import annotations

from rich.text import Text

from tui.core.text import printable

TONE_STYLES = {
    "ok": "bold green",
    "error": "bold red",
    "warning": "bold yellow",
    "active": "bold cyan",
    "queued": "bold blue",
    "pending": "bold magenta",
    "muted": "dim",
    "unknown": "bold magenta",
}


def literal(value: object, limit: int = 200, style: str = "", *, keep_newlines: bool = False) -> Text:
    return Text(printable(value, limit, keep_newlines=keep_newlines), style=style, no_wrap=False)


def toned(text: str, tone: str) -> Text:
    return Text(text, style=TONE_STYLES.get(tone, ""))
