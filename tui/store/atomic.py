"""Crash-safe file writes and a cross-process lock.

A write goes to a temp file in the same directory, is fsynced, then renamed over the target,
so a reader (or a crash) sees either the old or the new content, never a torn file.

The lock is ``filelock`` (``flock`` on Unix, ``LockFileEx`` on Windows): one library instead
of an ``fcntl``-only stand-in that did not lock at all on Windows. Lock files are never
followed through a symbolic link: a link planted at ``bookmarks-*.json.lock`` (dangling or
not) is refused before the lock is taken, and filelock itself opens with ``O_NOFOLLOW``, so
zwr never creates or truncates a file somewhere else.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tui.store.paths import ensure_private_dir


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    ensure_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        with contextlib.suppress(OSError):
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class SymlinkRefused(PermissionError):
    """A lock file that is a symbolic link: zwr will not follow it (nor create its target)."""


@contextlib.contextmanager
def file_lock(path: Path, timeout: float = 10.0) -> Iterator[None]:
    """An exclusive lock on ``path.lock``, shared by all zwr processes (and threads).

    Raises ``TimeoutError`` when another holder keeps it for over ``timeout`` seconds, and
    ``SymlinkRefused`` (an ``OSError``) when the lock file is a symbolic link.
    """
    import filelock  # ~60 ms to import: only when something is saved

    ensure_private_dir(path.parent)
    lock_path = path.with_name(path.name + ".lock")
    if lock_path.is_symlink():
        raise SymlinkRefused(
            errno.ELOOP, f"{lock_path} is a symbolic link; zwr does not follow links for its lock files (remove it)"
        )
    lock = filelock.FileLock(lock_path, timeout=timeout, mode=0o600)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise TimeoutError(f"another zwr process holds {lock_path} for over {timeout:.0f}s") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # planted between the check and the open: O_NOFOLLOW refused it
            raise SymlinkRefused(errno.ELOOP, f"{lock_path} is a symbolic link; zwr does not follow it") from None
        raise
    try:
        yield
    finally:
        lock.release()


def backup_corrupt(path: Path) -> Path | None:
    """Keep a damaged file beside the original so nothing the user saved is thrown away."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    try:
        os.replace(path, target)
    except OSError:
        return None
    return target
