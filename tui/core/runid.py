"""Turn what a person typed or pasted into run IDs, or explain why not.

The result is always a positive ``int``: the URL is built from that integer, so nothing the
user typed (``../``, ``?``, ``#``, ``%2F``) can ever reach a request path.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from tui.core.errors import BadInput

MAX_ID = 2**63 - 1
_DIGITS = re.compile(r"\d{1,19}")
_RUN_NAME = re.compile(r"\bWF-\d+-\d+\b", re.IGNORECASE)
_URL_PATH_ID = re.compile(r"/workflow_runs/(\d{1,19})(?:/|$)")
_QUERY_ID = re.compile(r"(?:^|&)(?:workflow_run_id|run_id|runId)=(\d{1,19})(?:&|$)")
_SEPARATORS = re.compile(r"[\s,;]+")
_FREE_TEXT = re.compile(r"[^\W\d_]{2,}")  # a word: "run 19063 failed" is for the TUI's `a` dialog, not argv
_RUN_NUMBER_START = re.compile(r"(?i)\bWF-\d")  # a run *number*: parse_run_ids explains it
_SUSPICIOUS = re.compile(r"(\.\.|[/\\?#%<>]|%2f)", re.IGNORECASE)


def _to_id(digits: str, original: str) -> int:
    value = int(digits)
    if value <= 0 or value > MAX_ID:
        raise BadInput(f"{original!r} is not a valid run ID: it must be a positive whole number.")
    return value


def _from_url(text: str) -> int:
    parts = urlsplit(text)
    path = unquote(parts.path)
    match = _URL_PATH_ID.search(path)
    if match:
        return _to_id(match.group(1), text)
    match = _QUERY_ID.search(parts.query)
    if match:
        return _to_id(match.group(1), text)
    raise BadInput(
        "That URL does not contain a workflow run ID: expected a link like "
        "https://rest.zuora.com/workflows/workflow_runs/19063."
    )


def _run_name_error(name: str) -> BadInput:
    return BadInput(
        f"{name} is a run number (the run's name), not a run ID. Zuora's API looks runs up by "
        "their numeric ID, e.g. 19063: open the run in the Zuora UI and copy the ID from its URL."
    )


def parse_run_id(text: str) -> int:
    """Parse exactly one run ID from ``text``; raise ``BadInput`` with a helpful message."""
    ids = parse_run_ids(text)
    if len(ids) != 1:
        listed = ", ".join(str(i) for i in ids[:5])
        raise BadInput(f"Expected one run ID but found {len(ids)} ({listed}).")
    return ids[0]


def parse_run_ids(text: str) -> list[int]:
    """Parse one or more run IDs separated by spaces, commas or semicolons, or pasted URLs.

    Plain words around the IDs ("run 19063 failed") are ignored; anything that looks like an
    attempt to build a path or query (``19063/../x``, ``19063?a``) is rejected outright.
    Duplicates are removed, order is kept.
    """
    if text is None or not str(text).strip():
        raise BadInput("Enter a run ID, e.g. 19063.")
    text = str(text).strip()
    if len(text) > 10_000:
        raise BadInput("That input is too long to contain run IDs (over 10,000 characters).")
    found: list[int] = []
    names: list[str] = []
    for token in _SEPARATORS.split(text):
        if not token:
            continue
        token = token.strip("()[]{}\"'`.")
        if not token:
            continue
        if token.lower().startswith(("http://", "https://")):
            found.append(_from_url(token))
        elif _DIGITS.fullmatch(token):
            found.append(_to_id(token, token))
        elif token.isdigit():
            raise BadInput(f"{token[:30]!r} is too long to be a run ID.")
        elif _RUN_NAME.fullmatch(token):
            names.append(token.upper())
        elif _SUSPICIOUS.search(token) or any(c.isdigit() for c in token):
            shown = token if len(token) <= 40 else token[:40] + "…"
            raise BadInput(
                f"{shown!r} is not a run ID: a run ID is a number such as 19063 "
                "(or a link that contains /workflow_runs/19063)."
            )
        # plain words ("run", "failed") are ignored so pasted sentences work
    if not found:
        if names:
            raise _run_name_error(names[0])
        raise BadInput(f"No run ID found in {text[:60]!r}: a run ID is a number such as 19063.")
    return list(dict.fromkeys(found))


_TASK_URL_ID = re.compile(r"/workflows/tasks/(\d{1,19})(?:/|$)")


def parse_task_ids(words: list[str]) -> list[int]:
    """Task IDs for ``zwr rerun``: numbers separated by spaces, commas or semicolons, or links that
    contain ``/workflows/tasks/ID``. Stricter than run IDs (a write is about to happen): every
    token must be an ID; a word is an error, never ignored. Duplicates are removed, order is kept."""
    found: list[int] = []
    for token in _SEPARATORS.split(" ".join(words).strip()):
        if not token:
            continue
        match = _TASK_URL_ID.search(unquote(urlsplit(token).path)) if token.lower().startswith("http") else None
        digits = match.group(1) if match else token
        if not _DIGITS.fullmatch(digits) or not 0 < int(digits) <= MAX_ID:
            shown = token if len(token) <= 40 else token[:40] + "…"
            raise BadInput(f"{shown!r} is not a task ID: a task ID is a number such as 1906600010.")
        found.append(int(digits))
    if not found:
        raise BadInput("Name at least one task ID, e.g. 1906600010.")
    return list(dict.fromkeys(found))


def parse_argv_run_ids(words: list[str]) -> list[int]:
    """Run IDs from command-line arguments: each word must be IDs (``19063``, ``19063,19064``)
    or a run link. Stricter than :func:`parse_run_ids`, which forgives the words of a pasted
    sentence: on a command line a stray word (``zwr get 19063 abc``) is a mistake to report,
    not to drop. Duplicates are removed, order is kept."""
    found: list[int] = []
    for word in words:
        link = word.strip().lower().startswith(("http://", "https://"))
        if not link and _FREE_TEXT.search(word) and not _RUN_NUMBER_START.search(word):
            shown = word if len(word) <= 60 else word[:60] + "…"
            raise BadInput(
                f"{shown!r} is not a run ID or run URL. On the command line give IDs such as 19063 "
                "or links; pasted sentences work in the TUI's `a` dialog."
            )
        ids = parse_run_ids(word)  # explains bad IDs, run numbers (WF-...), suspicious text
        found.extend(i for i in ids if i not in found)
    if not found:
        raise BadInput("Enter a run ID, e.g. 19063.")
    return found
