"""Where zwr keeps its files. Overridable for tests and portable setups.

``ZWR_CONFIG_DIR`` and ``ZWR_DATA_DIR`` win over the platform directories (platformdirs).
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "zwr"


def config_dir() -> Path:
    override = os.environ.get("ZWR_CONFIG_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir(APP, appauthor=False))


def data_dir() -> Path:
    override = os.environ.get("ZWR_DATA_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def config_file() -> Path:
    return config_dir() / "config.toml"


def insecure_secrets_file() -> Path:
    return config_dir() / "secrets-insecure.json"


def bookmarks_file(profile: str | None) -> Path:
    return data_dir() / f"bookmarks-{_safe(profile)}.json"


def history_file(profile: str | None) -> Path:
    return data_dir() / f"history-{_safe(profile)}.json"


def _safe(profile: str | None) -> str:
    name = profile or "default"
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:64] or "default"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (0700). Existing directories are tightened when we own them."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        if path.stat().st_mode & 0o077:
            path.chmod(0o700)
    except OSError:
        pass
    return path
