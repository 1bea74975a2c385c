"""Bookmarks and recent-run history: durable JSON lists, one file per profile.

Every change is a locked read-modify-write of the whole file (``file_lock`` + ``atomic_write``),
so two zwr instances saving at once merge instead of overwriting each other, and a crash
mid-write leaves the old or the new file. A damaged file is moved aside (``*.corrupt-*``),
the run IDs still legible in it are salvaged, and the user is told. Fields and entries written
by a newer zwr are carried through unchanged.
"""

from __future__ import annotations

import builtins
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tui.store import paths
from tui.store.atomic import atomic_write, backup_corrupt, file_lock

FORMAT_VERSION = 1
MAX_RUN_ID = 2**63 - 1
HISTORY_LIMIT = 200
_SALVAGE = re.compile(r'"run_id"\s*:\s*"?(\d{1,19})')


class StoreError(Exception):
    """Saving failed (disk full, read-only directory...); what was already saved is intact."""


class NotBookmarked(LookupError):
    """``remove``/``rename`` with ``missing_ok=False`` of a run that has no bookmark; nothing was written."""

    def __init__(self, run_id: int) -> None:
        super().__init__(f"run {run_id} is not bookmarked")
        self.run_id = run_id


def _run_id(value: Any) -> int | None:
    """A run ID from a file: ASCII digits only (``"١٢"`` and ``"²"`` pass ``isdigit``), within range."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_RUN_ID:
        return None
    return value


@dataclass(frozen=True)
class Bookmark:
    run_id: int
    label: str = ""
    profile: str | None = None
    added: str = ""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_json(cls, item: Any) -> Bookmark | None:
        if not isinstance(item, dict):
            return None
        run_id = _run_id(item.get("run_id"))
        if run_id is None:
            return None

        def text(key: str) -> str:
            value = item.get(key)
            return value if isinstance(value, str) else ""

        known = ("run_id", "label", "profile", "added", "note")
        return cls(
            run_id,
            text("label")[:200],
            item.get("profile") if isinstance(item.get("profile"), str) else None,
            text("added"),
            text("note")[:2000],
            {k: v for k, v in item.items() if k not in known},
        )

    def to_json(self) -> dict[str, Any]:
        data = dict(self.extra)
        data.update(
            {
                "run_id": self.run_id,
                "label": self.label,
                "profile": self.profile,
                "added": self.added,
                "note": self.note,
            }
        )
        return data


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Document:
    items: list[Bookmark]
    unreadable: list[Any]  # entries we could not parse: written back untouched
    extra: dict[str, Any]


class ListStore:
    """A JSON list of ``Bookmark`` entries with locking, merging and corruption recovery."""

    key = "bookmarks"
    limit: int | None = None

    def __init__(self, path: Path, profile: str | None = None) -> None:
        self.path = path
        self.profile = profile
        self.warnings: list[str] = []

    # ------------------------------------------------------------------ reading

    def _load(self) -> _Document:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return _Document([], [], {})
        except OSError as exc:
            self.warnings.append(f"Cannot read {self.path}: {exc.strerror}.")
            return _Document([], [], {})
        try:
            data = json.loads(raw.decode("utf-8"))
            if isinstance(data, list):  # tolerate a bare list
                data = {self.key: data}
            if not isinstance(data, dict) or not isinstance(data.get(self.key, []), list):
                raise ValueError(f"expected an object with a {self.key!r} list")
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            if isinstance(exc, RecursionError):
                exc = ValueError("nested too deeply")
            salvaged = [
                Bookmark(run_id, label="(recovered)", profile=self.profile, added=now_iso())
                for run_id in dict.fromkeys(_run_id(m) for m in _SALVAGE.findall(raw.decode("utf-8", "replace")))
                if run_id is not None
            ]
            backup = backup_corrupt(self.path)
            self.warnings.append(
                f"{self.path.name} was damaged ({str(exc)[:80]}); it was kept as {backup.name if backup else '?'}"
                f" and {len(salvaged)} run ID(s) were recovered from it."
            )
            return _Document(salvaged, [], {})
        items: list[Bookmark] = []
        unreadable: list[Any] = []
        for entry in data.get(self.key, []):
            parsed = Bookmark.from_json(entry)
            if parsed is None:
                unreadable.append(entry)
            else:
                items.append(parsed)
        if unreadable:
            self.warnings.append(
                f"{len(unreadable)} entr{'y' if len(unreadable) == 1 else 'ies'} in "
                f"{self.path.name} could not be read; they are kept in the file as they are."
            )
        extra = {k: v for k, v in data.items() if k not in (self.key, "version")}
        return _Document(items, unreadable, extra)

    def list(self) -> list[Bookmark]:
        return self._load().items

    # ------------------------------------------------------------------ writing

    def _save(self, doc: _Document) -> None:
        payload = dict(doc.extra)
        payload["version"] = FORMAT_VERSION
        payload[self.key] = [b.to_json() for b in doc.items] + doc.unreadable
        try:
            data = json.dumps(payload, indent=1, ensure_ascii=False).encode("utf-8")
        except (RecursionError, ValueError) as exc:
            raise StoreError(f"Could not save {self.path}: {exc}. Nothing already saved was lost.") from None
        try:
            atomic_write(self.path, data)
        except OSError as exc:
            raise StoreError(
                f"Could not save {self.path}: {exc.strerror or exc}. Nothing already saved was lost."
            ) from None

    # builtins.list: in this class body, ``list`` is the method above
    def update(self, change: Callable[[builtins.list[Bookmark]], builtins.list[Bookmark]]) -> builtins.list[Bookmark]:
        """Apply ``change`` to the freshest copy on disk, under the lock, and save."""
        try:
            with file_lock(self.path):
                doc = self._load()
                doc.items = change(list(doc.items))
                if self.limit is not None:
                    doc.items = doc.items[: self.limit]
                self._save(doc)
                return doc.items
        except (TimeoutError, OSError) as exc:
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"Could not save {self.path}: {exc}. Nothing already saved was lost.") from None


class BookmarkStore(ListStore):
    key = "bookmarks"

    def __init__(self, profile: str | None = None, path: Path | None = None) -> None:
        super().__init__(path or paths.bookmarks_file(profile), profile)

    def add(self, run_id: int, label: str = "", note: str = "") -> list[Bookmark]:
        def change(items: list[Bookmark]) -> list[Bookmark]:
            for i, item in enumerate(items):
                if item.run_id == run_id:
                    items[i] = replace(item, label=label or item.label, note=note or item.note)
                    return items
            items.append(Bookmark(run_id, label, self.profile, now_iso(), note))
            return items

        return self.update(change)

    def remove(self, run_id: int, *, missing_ok: bool = True) -> list[Bookmark]:
        def change(items: list[Bookmark]) -> list[Bookmark]:
            if not missing_ok and all(b.run_id != run_id for b in items):
                raise NotBookmarked(run_id)
            return [b for b in items if b.run_id != run_id]

        return self.update(change)

    def rename(self, run_id: int, label: str, *, missing_ok: bool = True) -> list[Bookmark]:
        def change(items: list[Bookmark]) -> list[Bookmark]:
            if not missing_ok and all(b.run_id != run_id for b in items):
                raise NotBookmarked(run_id)
            return [replace(b, label=label) if b.run_id == run_id else b for b in items]

        return self.update(change)

    def import_entries(self, entries: list[Bookmark]) -> list[Bookmark]:
        def change(items: list[Bookmark]) -> list[Bookmark]:
            have = {b.run_id for b in items}
            return items + [replace(e, profile=self.profile) for e in entries if e.run_id not in have]

        return self.update(change)


class HistoryStore(ListStore):
    """Recently viewed runs, newest first, bounded."""

    key = "history"
    limit = HISTORY_LIMIT

    def __init__(self, profile: str | None = None, path: Path | None = None) -> None:
        super().__init__(path or paths.history_file(profile), profile)

    def touch(self, run_ids: list[int]) -> list[Bookmark]:
        def change(items: list[Bookmark]) -> list[Bookmark]:
            fresh = [Bookmark(i, profile=self.profile, added=now_iso()) for i in run_ids]
            keep = [b for b in items if b.run_id not in set(run_ids)]
            return fresh + keep

        return self.update(change)
