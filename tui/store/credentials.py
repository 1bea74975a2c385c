"""The OAuth client secret in the OS keyring: classified, time-bounded, failing closed.

- Service ``zwr:<host>``, username = client ID. Bearer tokens are never stored.
- The backend is classified before use: ``secure`` (Keychain, Credential Locker, Secret
  Service, KWallet, libsecret), ``insecure`` (plaintext/alt backends) or ``none``.
  zwr never writes a secret to an insecure backend or a file unless the user opted in
  with ``--insecure-storage`` (a 0600 file, warned about on every use).
- Every keyring call runs in a daemon thread with a timeout: a locked Secret Service
  collection over SSH can block forever. After one timeout the keyring is marked unusable
  for the rest of the process, and zwr goes on without it.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from tui.core.errors import ConfigError
from tui.core.secret import Secret
from tui.store import paths
from tui.store.atomic import atomic_write, file_lock
from tui.store.secretinput import clean_secret

T = TypeVar("T")
DEFAULT_TIMEOUT = 5.0
MAX_TIMEOUT = 300.0


def keyring_timeout(environ: Mapping[str, str] | None = None) -> float:
    """``ZWR_KEYRING_TIMEOUT`` in seconds (default 5), or ``ConfigError`` saying what is wrong with it.

    Read when the keyring is first needed, not at import, so a bad value is a clear message
    for the commands that use the keyring and no concern for those that do not.
    """
    text = (os.environ if environ is None else environ).get("ZWR_KEYRING_TIMEOUT", "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (0 < value <= MAX_TIMEOUT):
        raise ConfigError(
            f"ZWR_KEYRING_TIMEOUT must be a number of seconds above 0 and at most {MAX_TIMEOUT:.0f}, not {text[:40]!r}."
        )
    return value


SECURE_MODULES = (
    "keyring.backends.macOS",
    "keyring.backends.Windows",
    "keyring.backends.SecretService",
    "keyring.backends.kwallet",
    "keyring.backends.libsecret",
)
NONE_MODULES = ("keyring.backends.fail", "keyring.backends.null")

ALTERNATIVES = (
    "Alternatives: (1) set ZUORA_CLIENT_ID and ZUORA_CLIENT_SECRET (or ZUORA_BEARER_TOKEN) in the environment; "
    "(2) use --ask-token for a session-only token kept in memory; (3) on a headless Linux server, start a keyring "
    "for this shell: `dbus-run-session -- bash` then `echo -n PASSWORD | gnome-keyring-daemon --unlock`; "
    "(4) opt in to a plaintext 0600 file with `zwr auth login --insecure-storage` (warned about on every use)."
)


class KeyringUnavailable(ConfigError):
    """The keyring cannot be used; the message says why and what to do instead."""


@dataclass(frozen=True)
class BackendInfo:
    name: str
    module: str
    security: str  # secure | insecure | none
    config_path: str | None

    def describe(self) -> str:
        return f"{self.name} ({self.security})"


def service_name(base_url: str) -> str:
    return f"zwr:{(urlsplit(base_url).netloc or base_url).lower()}"


def _classify(backend: Any) -> str:
    chain = getattr(backend, "backends", None)
    if chain is not None:  # ChainerBackend: as good as its best member
        kinds = [_classify(b) for b in chain]
        return "secure" if "secure" in kinds else ("insecure" if "insecure" in kinds else "none")
    module = type(backend).__module__
    if module.startswith(NONE_MODULES):
        return "none"
    if module.startswith(SECURE_MODULES):
        return "secure"
    return "insecure"


class KeyringStore:
    """Timeout-guarded access to one keyring backend (the active one unless given)."""

    def __init__(self, backend: Any = None, timeout: float | None = None) -> None:
        self._backend = backend
        self.timeout = keyring_timeout() if timeout is None else timeout
        self.unusable: str | None = None

    def backend(self) -> Any:
        if self._backend is None:
            import keyring

            self._backend = self._call(keyring.get_keyring, "load the keyring")
        return self._backend

    def info(self) -> BackendInfo:
        try:
            backend = self.backend()
        except KeyringUnavailable:
            return BackendInfo("unavailable", "", "none", None)
        try:
            from keyring.util import platform_ as platform_util

            config_path = str(platform_util.config_root())
        except Exception:  # noqa: BLE001
            config_path = None
        cls = type(backend)
        name = getattr(backend, "name", None) or f"{cls.__module__}.{cls.__name__}"
        return BackendInfo(str(name), cls.__module__, _classify(backend), config_path)

    def _call(self, fn: Callable[..., T], what: str, *args: Any) -> T:
        if self.unusable:
            raise KeyringUnavailable(self.unusable)
        box: dict[str, Any] = {}

        def target() -> None:
            try:
                box["value"] = fn(*args)
            except BaseException as exc:  # noqa: BLE001 - reported below
                box["error"] = exc

        thread = threading.Thread(target=target, name="zwr-keyring", daemon=True)
        thread.start()
        thread.join(self.timeout)
        if thread.is_alive():
            self.unusable = (
                f"The keyring did not answer within {self.timeout:.0f}s (a locked collection "
                f"waiting for an unlock prompt?); it is disabled for this session. {ALTERNATIVES}"
            )
            raise KeyringUnavailable(self.unusable)
        if "error" in box:
            exc = box["error"]
            text = type(exc).__name__
            lowered = str(exc).lower()
            if "locked" in lowered or "unlock" in lowered or "dismissed" in lowered:
                reason = "the keyring collection is locked"
            elif "dbus" in lowered or "d-bus" in lowered or "bus" in text.lower():
                reason = "no D-Bus session / Secret Service is reachable"
            elif "no recommended backend" in lowered or text == "NoKeyringError":
                reason = "no keyring backend is available"
            else:
                reason = f"{text}"
            raise KeyringUnavailable(f"Cannot {what}: {reason}. {ALTERNATIVES}") from None
        return box.get("value")  # type: ignore[return-value]

    def _require_secure(self) -> Any:
        backend = self.backend()
        security = _classify(backend)
        if security == "none":
            raise KeyringUnavailable(f"No usable keyring backend on this machine. {ALTERNATIVES}")
        if security == "insecure":
            raise KeyringUnavailable(
                f"The keyring backend {type(backend).__name__} is not secure (it may store "
                f"secrets in plain text); zwr will not use it. {ALTERNATIVES}"
            )
        return backend

    def check(self) -> None:
        """Fail now, saying why, if the keyring cannot be used (insecure, locked, unreachable):
        before a person types a secret that could not be stored."""
        backend = self._require_secure()
        self._call(backend.get_password, "read the keyring", "zwr:check", "zwr")

    def get(self, base_url: str, client_id: str) -> Secret | None:
        backend = self._require_secure()
        value = self._call(backend.get_password, "read the keyring", service_name(base_url), client_id)
        if not isinstance(value, str):
            return None
        return clean_secret(value, f"The keyring entry {service_name(base_url)} / {client_id}")

    def set(self, base_url: str, client_id: str, secret: Secret) -> None:
        backend = self._require_secure()
        self._call(backend.set_password, "write to the keyring", service_name(base_url), client_id, secret.reveal())

    def delete(self, base_url: str, client_id: str) -> bool:
        backend = self._require_secure()
        from keyring.errors import PasswordDeleteError

        def remove() -> bool:
            try:
                backend.delete_password(service_name(base_url), client_id)
                return True
            except PasswordDeleteError:
                return False

        return self._call(remove, "delete from the keyring")


# ----------------------------------------------------------------------------- opt-in plaintext file


class InsecureFileStore:
    """A 0600 JSON file, used only after an explicit ``--insecure-storage`` opt-in."""

    WARNING = (
        "WARNING: using a client secret stored in plain text at {path} (opted in with "
        "--insecure-storage). Anyone who can read this file can use your Zuora credentials."
    )

    def __init__(self) -> None:
        self.path = paths.insecure_secrets_file()

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, base_url: str, client_id: str) -> Secret | None:
        value = self._read().get(f"{service_name(base_url)}|{client_id}")
        if not isinstance(value, str):
            return None
        return clean_secret(value, f"The secret for client {client_id} in {self.path}")

    def set(self, base_url: str, client_id: str, secret: Secret) -> None:
        with file_lock(self.path):
            data = self._read()
            data[f"{service_name(base_url)}|{client_id}"] = secret.reveal()
            atomic_write(self.path, json.dumps(data).encode())

    def delete(self, base_url: str, client_id: str) -> bool:
        with file_lock(self.path):
            data = self._read()
            found = data.pop(f"{service_name(base_url)}|{client_id}", None) is not None
            if data:
                atomic_write(self.path, json.dumps(data).encode())
            elif self.path.exists():
                self.path.unlink()
        return found


_default_store: KeyringStore | None = None


def default_store() -> KeyringStore:
    global _default_store
    if _default_store is None:
        _default_store = KeyringStore()
    return _default_store


def lookup_secret(base_url: str, client_id: str, *, warn: Callable[[str], None]) -> Secret | None:
    """Find a stored secret: the opt-in file first (it only exists if the user chose it), then the keyring.
    Using the file is said through ``warn`` (the CLI's output door)."""
    insecure = InsecureFileStore()
    if insecure.path.exists():
        secret = insecure.get(base_url, client_id)
        if secret is not None:
            warn(InsecureFileStore.WARNING.format(path=insecure.path))
            return secret
    return default_store().get(base_url, client_id)
