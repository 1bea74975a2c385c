"""Locate the ``.tcss`` files: inside the installed wheel (``tui/styles``) or the source tree (``styles/``)."""

from __future__ import annotations

from pathlib import Path, PurePath

import tui


def styles_dir() -> Path:
    package = Path(tui.__file__).resolve().parent
    for candidate in (package / "styles", package.parent / "styles"):
        if (candidate / "app.tcss").is_file():
            return candidate
    raise FileNotFoundError("zwr's styles (app.tcss) are missing from the installation")


def stylesheet(*names: str) -> list[str | PurePath]:  # Textual's CSS_PATH type
    base = styles_dir()
    return [base / f"{name}.tcss" for name in names]
