"""Group a run's task errors by what went wrong, not by which record it went wrong on.

A run with 84 failed tasks rarely has 84 problems: 80 callouts to one host answered 500, three
timed out, one record failed validation. Zuora's error texts carry the record (invoice numbers,
32-hex IDs, UUIDs, URLs with IDs in their path, timestamps, amounts), so equal problems read as
different strings. ``normalise`` replaces those variable parts with placeholders (``<id>``,
``<uuid>``, ``<n>``, ``<time>``, ``<email>``) and ``group_errors`` counts the tasks per
(error class, normalised message, callout host), with the first task of each group.

Rules, decided once here (README, "Zuora API notes"):
- a three-digit HTTP status after "HTTP", "status", "code", "response was", "returned" or
  "responded with" is kept: "500" and "404" are different problems; every other number varies;
- a URL keeps its scheme and host (a failing host is the story), its path segments are
  normalised like any text and its query is dropped (``?…``);
- a callout task's group also carries its callout's host (``data.Callout.URL``): two hosts
  failing the same way are two problems. Only tasks whose ``action_type`` is ``Callout`` have
  a host: other tasks' ``data.Callout`` is the payload of an earlier task.

Pure functions on parsed ``Task`` values, bounded: messages are cut to ``MAX_MESSAGE``
characters before any pattern runs, so hostile texts cost at most a few milliseconds each.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from tui.core.model import Task, TaskStatus

MAX_MESSAGE = 1000  # characters of an error text looked at (Zuora's can be megabytes)
MAX_TEMPLATE = 300  # characters of a group's normalised message kept
NO_MESSAGE = "(no error message)"

_TIME = (
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s?(?:Z|UTC|[+-]\d{2}:?\d{2}))?)?"
    r"|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2}(?: GMT)?"
    r"|\b\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\b"
)
_TOKENS = re.compile(
    r"(?P<status>\b(?:HTTP(?:/\d(?:\.\d)?)?|[Ss]tatus(?: code)?|[Cc]ode|[Rr]esponse(?: code)?(?: was)?|returned"
    r"|responded with)\s?[:=]?\s?[1-5]\d\d\b)"
    rf"|(?P<time>{_TIME})"
    r"|(?P<uuid>\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b)"
    r"|(?P<email>\b[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+\b)"
    r"|(?P<query>(?<=[\w/])\?[\w.%-]+=[^\s\"'<>\ue000]*)"
    r"|(?P<hex>\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{16,}\b)"
    r"|(?P<mixed>\b(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z0-9]{12,}\b)"
    r"|(?P<number>(?<![\w.])[-+]?\d+(?:[.,]\d+)*(?![\w]))"
)
_URL = re.compile(r"\b(https?://[^\s/?#\"'<>]+)")
_SPACES = re.compile(r"\s+")
_HOST = "\ue000"  # stands for a URL's scheme and host while the tokens are replaced (a private-use character)
_REPLACEMENT = {
    "time": "<time>",
    "uuid": "<uuid>",
    "email": "<email>",
    "query": "?…",
    "hex": "<id>",
    "mixed": "<id>",
    "number": "<n>",
}


def _replace(match: re.Match[str]) -> str:
    kind = match.lastgroup or ""
    return match.group(0) if kind == "status" else _REPLACEMENT[kind]


def normalise(message: str | None) -> str:
    """``message`` with its variable parts replaced by placeholders, whitespace collapsed.

    Idempotent (a normalised message normalises to itself); hosts of URLs are kept."""
    if not message:
        return NO_MESSAGE
    text = _SPACES.sub(" ", message[:MAX_MESSAGE].replace(_HOST, "")).strip()
    if not text:
        return NO_MESSAGE
    hosts: list[str] = []

    def keep_host(match: re.Match[str]) -> str:  # hosts are never normalised (api2.acme.example stays)
        hosts.append(match.group(1))
        return _HOST

    text = _URL.sub(keep_host, text)
    text = _TOKENS.sub(_replace, text)
    restored = iter(hosts)
    text = re.sub(_HOST, lambda _: next(restored, ""), text)
    return text[:MAX_TEMPLATE]


def message_of(task: Task) -> str:
    """The text a person reads as the task's error: Zuora's ``error`` (its ErrorReason), else
    the first line of ``error_details``."""
    if task.error and task.error.strip():
        return task.error.strip()
    if task.error_details and task.error_details.strip():
        return task.error_details.strip().splitlines()[0]
    return NO_MESSAGE


def callout_host(task: Task) -> str | None:
    """The host a callout task called (``data.Callout.URL``), for callout tasks only."""
    if task.action_type != "Callout" or task.callout is None or not task.callout.url:
        return None
    try:
        host = urlsplit(task.callout.url.strip()[:2000]).hostname
    except ValueError:
        return None
    return host[:253] if host else None


def key_of(task: Task) -> tuple[str, str, str]:
    """The group a failed task belongs to: (error class, normalised message, callout host)."""
    return (task.error_class or "", normalise(message_of(task)), callout_host(task) or "")


def seen_at(task: Task) -> datetime | None:
    """When the error was seen: the task's end, else its start."""
    return task.end_time or task.start_time


@dataclass(frozen=True, slots=True)
class ErrorGroup:
    """Failed tasks that failed the same way. ``first`` is the earliest (by end, else start
    time; then listing order), ``task_ids`` every task of the group in listing order."""

    error_class: str | None
    template: str  # the normalised message
    host: str | None  # the callout's host, for callout tasks
    count: int
    first: Task
    first_seen: datetime | None
    task_ids: tuple[int, ...]
    response_codes: tuple[tuple[int, int], ...] = ()  # (callout HTTP code, tasks), most common first

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.error_class or "", self.template, self.host or "")

    @property
    def message(self) -> str:
        """The first task's own message, as Zuora wrote it."""
        return message_of(self.first)

    @property
    def response_code(self) -> int | None:
        """The callout HTTP code most tasks of the group got, if any."""
        return self.response_codes[0][0] if self.response_codes else None


def group_errors(tasks: Iterable[Task]) -> tuple[ErrorGroup, ...]:
    """The tasks in Error, grouped; the biggest group first (then the earliest, then by key)."""
    members: dict[tuple[str, str, str], list[tuple[int, Task]]] = {}
    for index, task in enumerate(tasks):
        if task.status is TaskStatus.ERROR:
            members.setdefault(key_of(task), []).append((index, task))
    groups = []
    for key, entries in members.items():
        _, first = min(entries, key=lambda e: _earliest(e[0], e[1]))
        codes = Counter(
            t.callout.response_code
            for _, t in entries
            if t.action_type == "Callout" and t.callout is not None and t.callout.response_code is not None
        )
        groups.append(
            ErrorGroup(
                error_class=key[0] or None,
                template=key[1],
                host=key[2] or None,
                count=len(entries),
                first=first,
                first_seen=seen_at(first),
                task_ids=tuple(t.id for _, t in entries if t.id is not None),
                response_codes=tuple(sorted(codes.items(), key=lambda c: (-c[1], c[0]))),
            )
        )
    groups.sort(
        key=lambda g: (-g.count, g.first_seen is None, g.first_seen.timestamp() if g.first_seen else 0.0, g.key)
    )
    return tuple(groups)


def _earliest(index: int, task: Task) -> tuple[bool, float, int]:
    moment = seen_at(task)
    return (moment is None, moment.timestamp() if moment else 0.0, index)
