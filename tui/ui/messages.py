"""Messages from the headless engine to the widgets: data flows one way, as messages."""

from __future__ import annotations

from textual.message import Message

from tui.core.client import TaskList
from tui.core.errors import ZwrError
from tui.poll.engine import RunUpdate


class RunUpdated(Message):
    def __init__(self, update: RunUpdate) -> None:
        super().__init__()
        self.update = update


class TasksLoaded(Message):
    def __init__(self, run_id: int, tasks: TaskList) -> None:
        super().__init__()
        self.run_id = run_id
        self.tasks = tasks


class TasksFailed(Message):
    def __init__(self, run_id: int, error: ZwrError) -> None:
        super().__init__()
        self.run_id = run_id
        self.error = error


class TasksProgress(Message):
    def __init__(self, run_id: int, pages: int, tasks: int) -> None:
        super().__init__()
        self.run_id, self.pages, self.tasks = run_id, pages, tasks
