"""A small taxonomy of everything that can go wrong, each with a human message and exit code.

Every failure a user can meet is one of these classes. Each carries what a person needs to
act or to ask Zuora support: the HTTP status, Zuora's own error text, and the
``Zuora-Request-Id``. Messages never contain credentials: they are built from response
bodies and our own words, never from request headers or bodies, and every text an error
carries is scrubbed of the secrets zwr holds (a server may echo our request back).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from tui.core.redact import scrub
from tui.core.text import printable

RETRYABLE_REASON_CATEGORIES = frozenset({50, 60, 61, 70, 99})


class ZwrError(Exception):
    """Base class. ``kind`` is stable (scripts and JSON output use it); ``exit_code`` is documented."""

    kind = "error"
    exit_code = 1
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        zuora_text: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        message = scrub(message)
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = scrub(request_id) if request_id else request_id
        self.zuora_text = scrub(zuora_text) if zuora_text else zuora_text
        self.retry_after = retry_after

    def describe(self) -> str:
        """One paragraph for a person: our message, Zuora's words, and the request ID."""
        parts = [self.message]
        if self.zuora_text:
            parts.append(f"Zuora said: {printable(self.zuora_text, 300)}")
        if self.request_id:
            parts.append(f"Zuora-Request-Id: {printable(self.request_id, 64)}")
        return " ".join(parts)

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "message": self.message,
            "status": self.status,
            "zuora_text": self.zuora_text,
            "request_id": self.request_id,
            "retry_after": self.retry_after,
            "exit_code": self.exit_code,
        }

    def __str__(self) -> str:
        return self.describe()


class BadInput(ZwrError):
    kind, exit_code = "bad_input", 2


class ConfigError(ZwrError):
    kind, exit_code = "config", 3


class AuthError(ZwrError):
    kind, exit_code = "auth", 4


class PermissionDenied(ZwrError):
    kind, exit_code = "permission", 5


class NotFound(ZwrError):
    kind, exit_code = "not_found", 6


class RateLimited(ZwrError):
    kind, exit_code, retryable = "rate_limited", 7, True


class ServerError(ZwrError):
    kind, exit_code, retryable = "server", 8, True


class Timeout(ZwrError):
    kind, exit_code, retryable = "timeout", 9, True


class NetworkError(ZwrError):
    kind, exit_code, retryable = "network", 10, True


class BadResponse(ZwrError):
    kind, exit_code = "bad_response", 11


class Refused(ZwrError):
    """Zuora refused a write (stop, rerun) and said why: HTTP 400, 409 or 422, or an answer that
    says ``success: false``. Nothing was changed; Zuora's own text is in ``zuora_text``."""

    kind, exit_code = "refused", 15


ALL_ERRORS: tuple[type[ZwrError], ...] = (
    BadInput,
    ConfigError,
    AuthError,
    PermissionDenied,
    NotFound,
    RateLimited,
    ServerError,
    Timeout,
    NetworkError,
    BadResponse,
    Refused,
)


@dataclass(frozen=True, slots=True)
class ErrorBody:
    """What we could read out of an error response, whatever its format.

    ``success`` is the body's own ``success``/``Success`` flag (None when absent) and
    ``process_id`` Zuora's ``processId``, the ID its support asks for besides the Request-Id.
    """

    texts: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    success: bool | None = None
    process_id: str | None = None
    error_shaped: bool = False  # the body is one of Zuora's error shapes and nothing else

    @property
    def text(self) -> str | None:
        return "; ".join(self.texts) if self.texts else None

    @property
    def retryable(self) -> bool:
        return any(code.isdigit() and int(code[-2:]) in RETRYABLE_REASON_CATEGORIES for code in self.codes)

    @property
    def failed(self) -> bool:
        """Zuora said this request failed, whatever the HTTP status: ``success: false`` (any
        capitalisation), or a body that is nothing but an error shape with a message in it."""
        return self.success is False or (self.error_shaped and bool(self.texts))


_SPACES = re.compile(r"\s+")
_TITLE_OPEN = re.compile(r"<title", re.IGNORECASE)  # literal searches: linear
_TITLE_CLOSE = re.compile(r"</title", re.IGNORECASE)


def html_text(page: str) -> str:
    """The title of an HTML page, or its text with tags removed. Linear time on any input.

    Plain ``str.find`` scans that never revisit a character: the regexes used before
    (``<[^>]*>`` and ``<title[^>]*>(.*?)</title>``) backtracked quadratically, so 64 KB of
    ``<`` took seconds (and stalled the UI event loop).
    """
    start = _TITLE_OPEN.search(page)
    if start is not None:
        opened = page.find(">", start.end())
        closed = _TITLE_CLOSE.search(page, opened) if opened != -1 else None
        if closed is not None:
            return _SPACES.sub(" ", page[opened + 1 : closed.start()]).strip()
    parts: list[str] = []
    position = 0
    while True:
        tag = page.find("<", position)
        if tag == -1:
            parts.append(page[position:])
            break
        end = page.find(">", tag)
        if end == -1:  # an unclosed "<": keep the rest as text
            parts.append(page[position:])
            break
        parts.append(page[position:tag])
        parts.append(" ")
        position = end + 1
    return _SPACES.sub(" ", "".join(parts)).strip()


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (int, float, bool)):
        return str(value)
    return None


# Keys of Zuora's error bodies (compared lower-case): the common ``{success, processId, reasons}``,
# the workflow ``{errors: [{title, code, status}]}`` and ``{Errors: [...]}``, the /v1 CRUD
# ``{Success, Errors: [{Code, Message}]}``, the gateway ``{message}`` and OAuth's ``{error, error_description}``.
_ERROR_KEYS = frozenset(
    {"success", "processid", "reasons", "errors", "message", "error", "error_description", "code", "status", "title"}
)
_ITEM_TEXT_KEYS = ("message", "title", "detail", "error_description", "error")


def _get(data: dict[object, object], key: str) -> object:
    """``data[key]`` whatever its capitalisation (``Errors``, ``Message``, ``ProcessId``)."""
    if key in data:
        return data[key]
    wanted = key.lower()
    return next((v for k, v in data.items() if isinstance(k, str) and k.lower() == wanted), None)


def parse_error_body(body: bytes | str | None) -> ErrorBody:
    """Read any of Zuora's error formats (and HTML gateway pages). Never raises."""
    if not body:
        return ErrorBody()
    if isinstance(body, bytes):
        body = body[:65536].decode("utf-8", errors="replace")
    else:
        body = body[:65536]
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raw = html_text(body)
        return ErrorBody((raw[:200],) if raw else (), ())
    return read_error_json(data)


def read_error_json(data: object) -> ErrorBody:
    """The error facts in an already-decoded JSON body (any of Zuora's shapes). Never raises."""
    texts: list[str] = []
    codes: list[str] = []

    def add_text(value: object) -> None:
        text = _as_text(value)
        if text and text not in texts and len(texts) < 20:
            texts.append(text[:500])

    def add_item(item: object) -> None:
        if isinstance(item, dict):
            add_text(next((_get(item, k) for k in _ITEM_TEXT_KEYS if _as_text(_get(item, k))), None))
            code = _as_text(_get(item, "code"))
            if code:
                codes.append(code[:40])
        else:
            add_text(item)

    success: bool | None = None
    process_id: str | None = None
    shaped = False
    if isinstance(data, dict):
        flag = _get(data, "success")
        success = flag if isinstance(flag, bool) else None
        process_id = _as_text(_get(data, "processId"))
        for key in ("reasons", "errors"):
            items = _get(data, key)
            if isinstance(items, list):
                for item in items[:10]:
                    add_item(item)
            elif isinstance(items, str):
                add_text(items)
        for key in ("message", "title", "error_description", "error"):
            add_text(_get(data, key))
        shaped = bool(data) and all(isinstance(k, str) and k.lower() in _ERROR_KEYS for k in data)
    elif isinstance(data, list):
        for item in data[:10]:
            add_text(item)
    elif isinstance(data, str):
        add_text(data)
    return ErrorBody(tuple(texts), tuple(codes), success, process_id[:64] if process_id else None, shaped)
