"""The audit trail of writes to Zuora: one JSON line per write attempt (issue 15, item 6).

``audit.jsonl`` in the data directory, a 0600 file in a 0700 folder, appended to and never
rewritten: time, profile, host, OS user, action, run and task IDs, result, HTTP status,
Zuora-Request-Id, Idempotency-Key and zwr's message. Never a secret: records are built from
Zuora's answers and zwr's own (scrubbed) words, never from request headers.

Concurrent zwr processes (two terminals, a script and the TUI) append safely: every line is one
``write()`` on an ``O_APPEND`` descriptor, taken under the store's cross-process lock, so lines
never interleave or tear. The file is opened with ``O_NOFOLLOW``: a symlink planted in its place
is refused, not followed. Over ``MAX_BYTES`` the file is moved to ``audit.jsonl.1`` (one
generation kept) before the next line, under the same lock.

The trail is also zwr's memory of writes whose outcome is unknown: ``unresolved_keys`` finds the
Idempotency-Key of such a rerun, so trying again within Zuora's 24 hours sends the same key and
cannot rerun the task twice.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tui.core.actions import IDEMPOTENCY_WINDOW, NOT_SENT, RERUN, UNKNOWN, Record
from tui.core.redact import scrub
from tui.store import paths

FILE_NAME = "audit.jsonl"
MAX_BYTES = 10 * 1024 * 1024
MAX_MESSAGE = 2000


class AuditError(OSError):
    """The audit trail cannot be written (or read); says where and why."""


def audit_file() -> Path:
    return paths.data_dir() / FILE_NAME


# ---------------------------------------------------------------------------- the store's lock
# One place that names the store's lock helper (its name may change with the store hardening).


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    from tui.store.atomic import file_lock

    with file_lock(path):
        yield


def _open(path: Path, flags: int) -> int:
    """A descriptor on the regular file ``path``, never through a symlink, 0600 when created."""
    paths.ensure_private_dir(path.parent)
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a symlink where the file should be
            raise AuditError(f"{path} is a symbolic link; zwr does not follow it. Remove it.") from None
        raise AuditError(f"cannot open the audit trail {path}: {exc.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise AuditError(f"{path} is not a regular file.")
    if info.st_mode & 0o077 and info.st_uid == os.getuid():
        os.fchmod(fd, 0o600)
    return fd


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _user() -> str | None:
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name is not worth failing a write over
        return None


@dataclass(frozen=True)
class AuditLog:
    """The trail as seen by one connection (its profile and host go on every line)."""

    path: Path
    profile: str | None
    host: str

    @classmethod
    def for_connection(cls, profile: str | None, base_url: str, path: Path | None = None) -> AuditLog:
        from urllib.parse import urlsplit

        parts = urlsplit(base_url)
        host = parts.hostname or base_url
        if parts.port:
            host += f":{parts.port}"
        return cls(path or audit_file(), profile, host)

    def check(self) -> None:
        """Raise ``AuditError`` unless a line could be appended now: checked before anything is
        sent, so no write goes unrecorded for want of a writable file."""
        os.close(_open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT))

    def line(self, record: Record) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "time": _now(),
            "profile": self.profile or "default",
            "host": self.host,
            "user": _user(),
            "pid": os.getpid(),
        }
        data = record.to_json()
        data["message"] = scrub(str(data.get("message") or ""))[:MAX_MESSAGE]
        entry.update(data)
        return entry

    def append(self, record: Record) -> None:
        """One line for ``record``, written whole or not at all."""
        payload = (json.dumps(self.line(record), ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")
        try:
            with _locked(self.path):
                self._rotate()
                fd = _open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
                try:
                    written = os.write(fd, payload)
                    if written != len(payload):  # a full disk: never leave half a line behind
                        os.ftruncate(fd, os.fstat(fd).st_size - written)
                        raise AuditError(f"the disk is full: the audit trail {self.path} could not be written.")
                    os.fsync(fd)
                finally:
                    os.close(fd)
        except TimeoutError as exc:
            raise AuditError(str(exc)) from None
        except AuditError:
            raise
        except OSError as exc:
            raise AuditError(f"cannot write the audit trail {self.path}: {exc.strerror}") from None

    def _rotate(self) -> None:
        try:
            size = os.lstat(self.path).st_size
        except FileNotFoundError:
            return
        if size >= MAX_BYTES:
            os.replace(self.path, self.path.with_name(self.path.name + ".1"))

    def unresolved_keys(self, task_ids: Iterable[int], now: datetime | None = None) -> dict[int, tuple[str, datetime]]:
        """For each task, the Idempotency-Key and time of its last rerun on this host when that
        rerun's outcome is unknown and it is less than 24 hours old (Zuora keeps a key that long).
        ``tui.core.actions.choose_key`` decides whether to send it again."""
        wanted = set(task_ids)
        now = now or datetime.now(UTC)
        last: dict[int, dict[str, Any]] = {}
        for entry in read_entries(self.path):
            task_id = entry.get("task_id")
            if (
                task_id in wanted
                and entry.get("host") == self.host
                and entry.get("action") == RERUN
                and entry.get("result") != NOT_SENT
            ):
                last[task_id] = entry
        found: dict[int, tuple[str, datetime]] = {}
        for task_id, entry in last.items():
            key, when = entry.get("idempotency_key"), parse_time(entry.get("time"))
            if entry.get("result") != UNKNOWN or not isinstance(key, str) or when is None:
                continue
            if now - when <= timedelta(seconds=IDEMPOTENCY_WINDOW):
                found[task_id] = (key, when)
        return found


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def read_entries(path: Path | None = None, *, profile: str | None = None) -> list[dict[str, Any]]:
    """Every readable line (the rotated file first), oldest first; lines that are not JSON
    objects are skipped (``unreadable_lines`` counts them)."""
    return _read(path or audit_file(), profile)[0]


def unreadable_lines(path: Path | None = None) -> int:
    return _read(path or audit_file(), None)[1]


def _read(path: Path, profile: str | None) -> tuple[list[dict[str, Any]], int]:
    entries: list[dict[str, Any]] = []
    bad = 0
    for candidate in (path.with_name(path.name + ".1"), path):
        try:
            fd = _open(candidate, os.O_RDONLY)
        except AuditError:
            if candidate.is_symlink():
                raise
            continue
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(MAX_BYTES * 2)
        for raw in data.splitlines():
            if not raw.strip():
                continue
            try:
                entry = json.loads(raw)
            except (ValueError, RecursionError):
                bad += 1
                continue
            if not isinstance(entry, dict):
                bad += 1
                continue
            if profile is None or entry.get("profile") == profile:
                entries.append(entry)
    return entries, bad
