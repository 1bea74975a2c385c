"""The TOML config file: named profiles (tenants) and UI settings.

Only non-secret settings live here. Read with ``tomllib`` (fast, stdlib: every command reads
it); written with ``tomlkit``, which edits the user's own document so that comments, layout
and unknown keys survive a save. A config that does not parse is backed up and reported; zwr
then starts with defaults.
"""

from __future__ import annotations

import math
from collections.abc import MutableMapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.core.environments import ENVIRONMENTS, validate_base_url
from tui.core.errors import ConfigError
from tui.store import paths
from tui.store.atomic import atomic_write, backup_corrupt, file_lock

if TYPE_CHECKING:
    from tomlkit import TOMLDocument

IMPLICIT_PROFILE = "default"  # names "no profile": environment only, bookmarks-default.json
MAX_CONFIG_BYTES = 1024 * 1024  # a hand-written config is a few KB; a bigger file is not one
UI_RANGES = {"interval": (1.0, 3600.0)}  # [ui] numbers outside these are ignored (with a warning)
PROFILE_KEYS = (
    "env",
    "base_url",
    "client_id",
    "entity_ids",
    "org_ids",
    "label",
    "color",
    "production",
    "allow_write",
)


@dataclass(frozen=True)
class Profile:
    name: str
    env: str | None = None
    base_url: str | None = None
    client_id: str | None = None
    entity_ids: str | None = None
    org_ids: str | None = None
    label: str | None = None
    color: str | None = None
    production: bool = False
    allow_write: bool = False  # writes to Zuora (stop, rerun): off unless the profile says so
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_table(cls, name: str, table: dict[str, Any]) -> Profile:
        known = {k: table[k] for k in PROFILE_KEYS if k in table}
        for key in ("env", "base_url", "client_id", "entity_ids", "org_ids", "label", "color"):
            if key in known and not isinstance(known[key], str):
                raise ConfigError(f"Profile {name!r}: {key} must be a string.")
        for key in ("production", "allow_write"):
            if key in known and not isinstance(known[key], bool):
                raise ConfigError(f"Profile {name!r}: {key} must be true or false.")
        if known.get("env") and known["env"] not in ENVIRONMENTS:
            raise ConfigError(f"Profile {name!r}: unknown env {known['env']!r} (known: {', '.join(ENVIRONMENTS)}).")
        if known.get("base_url"):
            validate_base_url(known["base_url"])
        if "production" not in known and known.get("env"):
            known["production"] = ENVIRONMENTS[known["env"]].production
        extra = {k: v for k, v in table.items() if k not in PROFILE_KEYS}
        return cls(name=name, extra=extra, **known)

    def to_table(self) -> dict[str, Any]:
        table = dict(self.extra)
        for f in fields(self):
            if f.name in PROFILE_KEYS:
                value = getattr(self, f.name)
                if value not in (None, "", False):
                    table[f.name] = value
        return table


@dataclass(frozen=True)
class Config:
    default_profile: str | None = None
    profiles: dict[str, Profile] = field(default_factory=dict)
    ui: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    warning: str | None = None  # set when the file was unreadable and defaults are in use

    def profile(self, name: str | None) -> Profile | None:
        """The named profile, else the default one; ``ConfigError`` if a named one is missing.

        ``IMPLICIT_PROFILE`` ("default") names the profile used when none is configured, so
        ``--profile default`` works (and returns ``None``) unless a real profile has that name.
        """
        if name:
            if name in self.profiles:
                return self.profiles[name]
            if name == IMPLICIT_PROFILE:
                return None
            known = ", ".join(self.profiles) or "none yet"
            raise ConfigError(
                f"No profile named {name!r} in {self.path} (profiles: {known}; {IMPLICIT_PROFILE!r} means "
                f"no profile). Create it with `zwr auth login --profile {name} --env ...`."
            )
        if self.default_profile and self.default_profile in self.profiles:
            return self.profiles[self.default_profile]
        return None

    def profile_name(self, name: str | None) -> str:
        """The name bookmarks and history are filed under: the profile ``profile(name)`` picks."""
        chosen = self.profile(name)
        return chosen.name if chosen is not None else IMPLICIT_PROFILE

    def with_profile(self, profile: Profile, *, make_default: bool = False) -> Config:
        profiles = dict(self.profiles)
        profiles[profile.name] = profile
        default = profile.name if (make_default or not self.default_profile) else self.default_profile
        return replace(self, profiles=profiles, default_profile=default)

    def ui_setting(self, key: str, default: Any) -> Any:
        """``[ui] key`` if it has the default's type (and, for numbers, a sane range), else ``default``."""
        value = self.ui.get(key, default)
        if isinstance(default, float) and isinstance(value, (int, float)) and not isinstance(value, bool):
            low, high = UI_RANGES.get(key, (-math.inf, math.inf))
            return float(value) if math.isfinite(value) and low <= value <= high else default
        return value if isinstance(value, type(default)) else default

    def ui_warnings(self) -> list[str]:
        """A line per ``[ui]`` number that ``ui_setting`` will ignore, so nobody wonders why."""
        lines = []
        for key, (low, high) in UI_RANGES.items():
            value = self.ui.get(key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (low <= value <= high):
                lines.append(f"[ui] {key} = {value!r} in {self.path} is ignored: it must be {low:g} to {high:g}.")
        return lines


def load_config(path: Path | None = None) -> Config:
    path = path or paths.config_file()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Config(path=path)
    except OSError as exc:
        return Config(path=path, warning=f"Cannot read config {path}: {exc.strerror}. Using defaults.")
    if len(raw) > MAX_CONFIG_BYTES:
        backup = backup_corrupt(path)
        where = f" It was moved to {backup}." if backup else ""
        return Config(path=path, warning=f"Config file {path} is over 1 MB: not a zwr config.{where} Using defaults.")
    import tomllib  # only when there is a config to read (`zwr RUN_ID` with none starts faster)

    try:
        data = tomllib.loads(raw.decode("utf-8"))
        profiles_table = data.pop("profiles", {}) or {}
        if not isinstance(profiles_table, dict):
            raise ConfigError("[profiles] must be a table")
        profiles = {
            name: Profile.from_table(name, table) for name, table in profiles_table.items() if isinstance(table, dict)
        }
        default = data.pop("default_profile", None)
        ui = data.pop("ui", {}) or {}
        config = Config(
            default_profile=default if isinstance(default, str) else None,
            profiles=profiles,
            ui=ui if isinstance(ui, dict) else {},
            extra=data,
            path=path,
        )
        warnings = config.ui_warnings()
        return replace(config, warning=" ".join(warnings)) if warnings else config
    except RecursionError:
        backup = backup_corrupt(path)
        where = f" It was moved to {backup}." if backup else ""
        return Config(path=path, warning=f"Config file {path} is nested too deeply to read.{where} Using defaults.")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, ConfigError) as exc:
        backup = backup_corrupt(path)
        where = f" It was moved to {backup}." if backup else ""
        return Config(path=path, warning=f"Config file {path} is invalid ({exc}).{where} Using defaults.")


def save_config(config: Config, path: Path | None = None) -> Path:
    """Write ``config``'s profiles, ``[ui]`` and default profile into the file as it is on disk now.

    tomlkit edits the document in place: comments, blank lines, key order, quoting and keys zwr
    does not know survive byte for byte; only the values that differ are rewritten, and a new
    profile is appended as its own ``[profiles.NAME]`` table. The file is re-read under the lock,
    so what another process saved in between is kept (zwr never deletes a profile). A file that
    no longer parses is set aside (``*.corrupt-*``) and a new one written. Raises ``ConfigError``
    (exit 3) when the file cannot be written; the old file is then intact.
    """
    path = path or config.path or paths.config_file()
    try:
        with file_lock(path):
            document = _document_on_disk(path)
            _apply(document, config)
            import tomlkit

            atomic_write(path, tomlkit.dumps(document).encode("utf-8"))
    except OSError as exc:  # TimeoutError (lock), UnsafeDirectory, disk full, read-only folder
        raise ConfigError(f"Could not save {path}: {exc.strerror or exc}. The file was not changed.") from None
    return path


def _document_on_disk(path: Path) -> TOMLDocument:
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return tomlkit.document()
    if len(raw) > MAX_CONFIG_BYTES:
        backup_corrupt(path)
        return tomlkit.document()
    try:
        return tomlkit.parse(raw.decode("utf-8"))
    except (TOMLKitError, UnicodeDecodeError, RecursionError, ValueError):
        backup_corrupt(path)  # changed since it was loaded, and broken: keep it beside the new one
        return tomlkit.document()


def _set(table: MutableMapping[str, Any], key: str, value: Any) -> None:
    """``table[key] = value`` only when it differs: an equal value keeps its formatting and comments."""
    current = table.get(key)
    if current is not None and _plain(current) == value:
        return
    table[key] = value


def _plain(item: Any) -> Any:
    unwrap = getattr(item, "unwrap", None)
    return unwrap() if unwrap is not None else item


def _apply(document: TOMLDocument, config: Config) -> None:
    import tomlkit

    if config.default_profile:
        _set(document, "default_profile", config.default_profile)
    if config.ui:
        ui = document.get("ui")
        if ui is None or not isinstance(_plain(ui), dict):
            document["ui"] = ui = tomlkit.table()
        for key, value in config.ui.items():
            _set(ui, key, value)
    if not config.profiles:
        return
    profiles = document.get("profiles")
    if profiles is None or not isinstance(_plain(profiles), dict):
        document["profiles"] = profiles = tomlkit.table(is_super_table=True)
    for name, profile in config.profiles.items():
        wanted = profile.to_table()
        table = profiles.get(name)
        if table is None or not isinstance(_plain(table), dict):
            table = tomlkit.table()
            for key, value in wanted.items():
                table[key] = value
            table.add(tomlkit.nl())  # a blank line before whatever follows
            profiles[name] = table
            continue
        for key in [k for k in table if k not in wanted and _plain(table[k]) not in ("", False)]:
            del table[key]  # a value zwr removed (``production = false`` means what leaving it out means)
        for key, value in wanted.items():
            _set(table, key, value)


def keys_section(config: Config) -> tuple[dict[str, Any], str | None]:
    """``[keys]`` as the user wrote it (action id -> key or keys; the UI checks the ids and
    keys, ``tui.ui.keymap``), and a warning if ``keys`` is there but is not a table.
    It stays in ``config.extra``, so saving the config keeps it."""
    table = config.extra.get("keys")
    if table is None or isinstance(table, dict):
        return dict(table or {}), None
    return {}, f"keys in {config.path} must be a table ([keys]): it is ignored, every key keeps its default."
