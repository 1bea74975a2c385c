"""A small taxonomy of everything that can go wrong, each with a human message and exit code.

Every failure a user can meet is one of these classes. Each carries what a person needs to
act or to ask Zuora support: the HTTP status, Zuora's own error text, and the
``Zuora-Request-Id``. Messages never contain credentials: they are built from response
bodies and our own words, never from request headers or bodies.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

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
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id
        self.zuora_text = zuora_text
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
)


@dataclass(frozen=True, slots=True)
class ErrorBody:
    """What we could read out of an error response, whatever its format."""

    texts: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()

    @property
    def text(self) -> str | None:
        return "; ".join(self.texts) if self.texts else None

    @property
    def retryable(self) -> bool:
        return any(code.isdigit() and int(code[-2:]) in RETRYABLE_REASON_CATEGORIES for code in self.codes)


_TAGS = re.compile(r"<[^>]*>")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_SPACES = re.compile(r"\s+")


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (int, float, bool)):
        return str(value)
    return None


def parse_error_body(body: bytes | str | None) -> ErrorBody:
    """Read any of Zuora's error formats (and HTML gateway pages). Never raises."""
    if not body:
        return ErrorBody()
    if isinstance(body, bytes):
        body = body[:65536].decode("utf-8", errors="replace")
    else:
        body = body[:65536]
    texts: list[str] = []
    codes: list[str] = []
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        data = None
        title = _TITLE.search(body)
        raw = title.group(1) if title else _TAGS.sub(" ", body)
        raw = _SPACES.sub(" ", raw).strip()
        if raw:
            texts.append(raw[:200])
        return ErrorBody(tuple(texts), ())

    def add_text(value: object) -> None:
        text = _as_text(value)
        if text and text not in texts:
            texts.append(text[:500])

    if isinstance(data, dict):
        reasons = data.get("reasons")
        if isinstance(reasons, list):
            for reason in reasons[:10]:
                if isinstance(reason, dict):
                    add_text(reason.get("message"))
                    code = _as_text(reason.get("code"))
                    if code:
                        codes.append(code)
        for key in ("errors", "Errors"):
            errors = data.get(key)
            if isinstance(errors, list):
                for item in errors[:10]:
                    if isinstance(item, dict):
                        add_text(item.get("title") or item.get("message") or item.get("detail"))
                        code = _as_text(item.get("code"))
                        if code:
                            codes.append(code)
                    else:
                        add_text(item)
            elif isinstance(errors, str):
                add_text(errors)
        for key in ("message", "error_description", "error", "Message"):
            if key in data:
                add_text(data.get(key))
    elif isinstance(data, list):
        for item in data[:10]:
            add_text(item)
    elif isinstance(data, str):
        add_text(data)
    return ErrorBody(tuple(texts), tuple(codes))
