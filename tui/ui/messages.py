"""Messages that carry data into the UI: batches from the poll thread, task lists, and
requests from screens to the app (which owns the stores)."""

from __future__ import annotations

from textual.message import Message

from tui.core.client import TaskList
from tui.core.errors import ZwrError
from tui.core.search import TaskQuery, TaskSearch
from tui.poll.service import Batch
from tui.poll.whybook import Loaded


class RunsUpdated(Message):
    """One batch from the poll thread: the newest update of every run that was polled."""

    def __init__(self, batch: Batch) -> None:
        super().__init__()
        self.batch = batch


class WhyLoaded(Message):
    """An error digest or a workflow definition loaded in the poll thread, for the why book."""

    def __init__(self, outcome: Loaded) -> None:
        super().__init__()
        self.outcome = outcome


class TasksLoaded(Message):
    def __init__(self, run_id: int, tasks: TaskList, as_of: float) -> None:
        super().__init__()
        self.run_id = run_id
        self.tasks = tasks
        self.as_of = as_of  # wall clock when the load finished


class TasksFailed(Message):
    def __init__(self, run_id: int, error: ZwrError) -> None:
        super().__init__()
        self.run_id = run_id
        self.error = error


class TasksProgress(Message):
    def __init__(self, run_id: int, pages: int, tasks: int) -> None:
        super().__init__()
        self.run_id, self.pages, self.tasks = run_id, pages, tasks


class SaveBookmark(Message):
    """Bookmark a run (or change its label); the app saves it and updates the run book."""

    def __init__(self, run_id: int, label: str) -> None:
        super().__init__()
        self.run_id, self.label = run_id, label


class RemoveBookmark(Message):
    def __init__(self, run_id: int) -> None:
        super().__init__()
        self.run_id = run_id


class RememberRuns(Message):
    """Record runs in the recent-runs history."""

    def __init__(self, run_ids: list[int]) -> None:
        super().__init__()
        self.run_ids = run_ids


class RunChosen(Message):
    """A run picked in the sidebar (bookmarks, recent): watch and select it."""

    def __init__(self, run_id: int) -> None:
        super().__init__()
        self.run_id = run_id


class SearchDone(Message):
    """A search of every run's tasks (find by object ID) ended: what it found, or why not."""

    def __init__(self, query: TaskQuery, found: TaskSearch | None, error: ZwrError | None) -> None:
        super().__init__()
        self.query, self.found, self.error = query, found, error
