"""Where zwr keeps its files. Overridable for tests and portable setups.

``ZWR_CONFIG_DIR`` and ``ZWR_DATA_DIR`` win over the platform directories (platformdirs).
"""

from __future__ import annotations

import errno
import os
import stat
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


class UnsafeDirectory(PermissionError):
    """A folder zwr cannot make private: owned by another user, or its permissions cannot be
    tightened. zwr writes nothing there (bookmarks name runs; the opt-in secrets file is a secret)."""


def _me() -> int:
    return os.geteuid()


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (0700), or tighten an existing one to 0700; refuse (``UnsafeDirectory``)
    a folder owned by another user or one whose permissions cannot be changed.

    On Windows (no POSIX owner or modes) the folder is only created.
    """
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "nt":  # pragma: no cover - per-user profile folders are private there
        return path
    info = path.stat()
    if info.st_uid != _me():
        raise UnsafeDirectory(
            errno.EPERM,
            f"{path} belongs to another user (uid {info.st_uid}); zwr keeps its files only in a folder of "
            "yours that it can make private (set ZWR_CONFIG_DIR / ZWR_DATA_DIR to one)",
        )
    if stat.S_IMODE(info.st_mode) & 0o077:
        try:
            path.chmod(0o700)
        except OSError as exc:
            raise UnsafeDirectory(
                errno.EPERM,
                f"{path} is readable by others and zwr cannot make it private ({exc.strerror or exc}); "
                "it writes nothing there (set ZWR_CONFIG_DIR / ZWR_DATA_DIR to another folder)",
            ) from None
    return path
