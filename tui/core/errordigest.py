"""A run's error groups as of one task listing, and when to list again ("errors at a glance").

Zuora's task list has no status filter: to say why a run failed, zwr lists all its tasks (as the
tasks screen does) and groups the failed ones (``errorgroups``). That is worth doing once per
error count: a digest remembers the ``tasks.error`` of the run it was made for and is due again
only when that count moves (a live run that keeps failing). A listing that failed is a digest
too, with the reason, so a broken task list is not asked for again on every poll; refreshing
the run by hand drops it. Pure: the UI owns the cache and the background loading.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.core.client import TaskList
from tui.core.errorgroups import ErrorGroup, group_errors
from tui.core.errors import ZwrError
from tui.core.model import Run


@dataclass(frozen=True, slots=True)
class ErrorDigest:
    run_id: int
    error_count: int  # the run's tasks.error when the listing was asked for
    groups: tuple[ErrorGroup, ...] = ()
    listed: int = 0  # tasks read
    partial: str | None = None  # the listing stopped early: the groups count what was read
    request_id: str | None = None  # of the listing's first page
    failure: str | None = None  # why the tasks could not be listed

    @classmethod
    def from_listing(cls, listing: TaskList, error_count: int) -> ErrorDigest:
        return cls(
            listing.run_id,
            error_count,
            group_errors(listing.tasks),
            len(listing.tasks),
            listing.partial,
            listing.meta.request_id if listing.meta else None,
        )

    @classmethod
    def failed(cls, run_id: int, error_count: int, error: ZwrError) -> ErrorDigest:
        return cls(run_id, error_count, failure=error.describe(), request_id=error.request_id)

    @property
    def errors(self) -> int:
        """Failed tasks found in the listing (may differ from the run's count while it moves)."""
        return sum(group.count for group in self.groups)


def digest_due(run: Run | None, digest: ErrorDigest | None) -> bool:
    """True when ``run`` has task errors and no digest was made for its current error count."""
    if run is None or run.id is None or run.tasks.error <= 0:
        return False
    return digest is None or digest.run_id != run.id or digest.error_count != run.tasks.error
