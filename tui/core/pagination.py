"""Listing a run's tasks page by page, safely whatever the server does (no I/O here).

``GET /workflows/tasks`` is paginated with ``page``/``page_length`` and a ``pagination.next_page``
URL. Zuora's own example names another host (``https://rest.zuora.com``) and keeps only ``page``
and ``page_length``, dropping the ``workflow_id`` filter. So zwr never requests ``next_page``
itself: it reads the page number and length out of it and asks the configured host again with
its own filters. A hostile or broken server cannot make that loop forever or grow without bound:

- progress: every page must bring at least one task ID not seen before, and ``next_page`` must
  point forward; otherwise the listing stops, marked partial with the reason;
- pages: at most ``ceil(total / page_length) + PAGE_SLACK`` when the run's total is known (a live
  run may grow a little while we read), ``MAX_TASK_PAGES`` otherwise;
- bytes: at most ``MAX_TASK_BYTES`` of task JSON per listing.

Tasks whose ``workflow_id`` names another workflow are not the run's: they are counted in
``left_out`` and not listed. A search across runs (``zwr find``) has no run: it passes its own
``keep`` test (the task matches the filters asked for) and its own page cap.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from tui.core.model import Task

TASK_PAGE_LENGTH = 100  # Zuora's maximum
MAX_TASK_PAGES = 1000  # hard cap when the run's total is unknown (100,000 tasks at full pages)
PAGE_SLACK = 2  # pages beyond total / page_length that a growing run may need
MAX_TASK_BYTES = 64 * 1024 * 1024  # task JSON kept for one listing


@dataclass(frozen=True, slots=True)
class PageRequest:
    page: int
    page_length: int


def read_next_page(next_page: object, current: PageRequest) -> PageRequest | None:
    """The page ``next_page`` asks for, on whatever host it names. Only ``page`` and
    ``page_length`` are taken from it; the caller adds its own filters. None when absent."""
    if not isinstance(next_page, str) or not next_page.strip():
        return None
    try:
        query = parse_qs(urlsplit(next_page.strip()[:2000]).query)
    except ValueError:
        query = {}

    def number(name: str) -> int | None:
        values = query.get(name) or []
        value = values[-1].strip() if values else ""
        return int(value) if value.isdigit() and len(value) <= 9 else None

    page = number("page")
    length = number("page_length")
    return PageRequest(
        page if page is not None else current.page + 1,
        length if length is not None and 1 <= length <= TASK_PAGE_LENGTH else current.page_length,
    )


@dataclass
class TaskPager:
    """Collects pages of one run's task list and decides what (if anything) to ask for next."""

    run_id: int | None  # None: a search across runs (``keep`` decides what is listed)
    expected_total: int | None = None
    page_length: int = TASK_PAGE_LENGTH
    max_bytes: int = MAX_TASK_BYTES
    keep: Callable[[Task], bool] | None = None  # instead of "belongs to the run"
    page_cap: int | None = None  # at most this many pages, whatever the total
    tasks: list[Task] = field(default_factory=list, init=False)
    left_out: int = field(default=0, init=False)
    pages: int = field(default=0, init=False)
    bytes_read: int = field(default=0, init=False)
    partial: str | None = field(default=None, init=False)  # why the listing stopped before it was complete
    _seen: set[int] = field(default_factory=set, init=False, repr=False)
    _smallest_page: int = field(default=TASK_PAGE_LENGTH, init=False, repr=False)

    def first(self) -> PageRequest:
        return PageRequest(1, self.page_length)

    @property
    def max_pages(self) -> int:
        """How many pages this listing may take at most."""
        cap = MAX_TASK_PAGES if self.page_cap is None else max(1, min(self.page_cap, MAX_TASK_PAGES))
        total = self.expected_total
        if total is None or total < 0:
            return cap
        return min(cap, math.ceil(total / max(1, self._smallest_page)) + PAGE_SLACK)

    @property
    def stopped(self) -> bool:
        return self.partial is not None

    def accept(self, request: PageRequest, tasks: list[Task], size: int) -> bool:
        """Take one page (in page order). False when the listing must stop here: the page brought
        nothing new (``partial`` says so) or the byte budget is spent."""
        self.pages += 1
        self.bytes_read += size
        if tasks:  # full pages count too: next_page may have asked for shorter ones (page_length=20)
            self._smallest_page = min(self._smallest_page, len(tasks))
        new = 0
        for task in tasks:
            if task.id is not None:
                if task.id in self._seen:
                    continue
                self._seen.add(task.id)
                new += 1
            if self._keeps(task):
                self.tasks.append(task)
            else:
                self.left_out += 1
        if tasks and new == 0:
            self.partial = (
                f"page {request.page} repeated tasks already listed (Zuora's pagination did not move on); "
                f"stopped after {self.pages} pages"
            )
            return False
        if self.bytes_read > self.max_bytes:
            self.partial = f"stopped after {self.bytes_read // (1024 * 1024)} MB of task data ({self.pages} pages)"
            return False
        return True

    def _keeps(self, task: Task) -> bool:
        if self.keep is not None:
            return self.keep(task)
        return self.run_id is None or task.belongs_to(self.run_id)

    def after(self, request: PageRequest, tasks: list[Task], next_page: object) -> PageRequest | None:
        """The next page to fetch after ``request`` (already accepted), or None when done."""
        if self.stopped or not tasks:
            return None  # an empty page ends the list, whatever next_page says
        following = read_next_page(next_page, request)
        if following is None:
            return None
        if following.page <= request.page:
            self.partial = (
                f"next_page points back to page {following.page} from page {request.page}; "
                f"stopped after {self.pages} pages"
            )
            return None
        if self.pages >= self.max_pages:
            self.partial = (
                f"Zuora still offered more after {self.pages} pages"
                + (f" for a run of {self.expected_total:,} tasks" if self.expected_total is not None else "")
                + "; stopped there"
            )
            return None
        return following

    def fan_out(self, first_tasks: int, next_page: object) -> list[PageRequest]:
        """With the run's total known and a full first page, pages 2..N can be fetched at once."""
        total = self.expected_total
        if not total or total <= self.page_length or first_tasks != self.page_length or next_page is None:
            return []
        last = min(self.max_pages - PAGE_SLACK, math.ceil(total / self.page_length))
        return [PageRequest(n, self.page_length) for n in range(2, last + 1)]
