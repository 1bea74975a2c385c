"""A wrapper for credentials whose repr, str and pickling never reveal the value.

Textual's crash screen and Rich tracebacks print local variables; anything holding a client
secret or bearer token holds it as a ``Secret`` so those prints show ``Secret('****')``.
"""

from __future__ import annotations

from typing import NoReturn

from tui.core import redact


class Secret:
    __slots__ = ("_value",)
    _value: str

    def __init__(self, value: str | Secret) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        object.__setattr__(self, "_value", str(value))
        redact.register(self._value)

    def reveal(self) -> str:
        """The real value: call only where it is sent to the configured Zuora host or keyring."""
        return self._value

    def fingerprint(self) -> str:
        """A short, non-reversible tag so a person can tell two secrets apart."""
        import hashlib  # rarely needed: kept off the start-up path

        return "sha256:" + hashlib.sha256(self._value.encode()).hexdigest()[:8]

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __repr__(self) -> str:
        return "Secret('****')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Secret is immutable")

    def __reduce__(self) -> NoReturn:  # pragma: no cover - defensive
        raise TypeError("Secret values cannot be pickled")
