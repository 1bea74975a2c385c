"""How requests get a bearer token: a static token, or OAuth client credentials.

A provider holds state only; it does no I/O. The request policy (``policy.py``) asks the
driver for a token ("need a token"); the driver returns ``cached()`` or, under the provider's
lock, runs the token exchange (``POST /oauth/token`` with ``token_form()``) and hands the answer
to ``accept()``. So token fetch and renewal-on-401 work the same for the async client and the
blocking ``zwr get`` path.

The OAuth provider caches the token in memory only, renews it a few minutes before it
expires, and can be told a token was rejected (401) so the next call renews it once. The
client secret and the token live in ``Secret`` objects and in ``TokenForm``, whose reprs mask
them: a traceback that prints locals (Textual's crash screen) shows ``****``.
"""

from __future__ import annotations

import json
import math
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from tui.core.errors import AuthError, BadResponse, parse_error_body
from tui.core.secret import Secret

if TYPE_CHECKING:
    import asyncio

    from tui.core.client import ZuoraClient
    from tui.core.policy import Response

DEFAULT_LIFETIME = 3599.0  # what Zuora issues; used when expires_in is missing or unreadable
MIN_LIFETIME = 1.0
MAX_LIFETIME = 86400.0


class TokenForm:
    """The body of ``POST /oauth/token``. Encoded only when sent; its repr never shows the secret."""

    __slots__ = ("_client_id", "_secret")

    def __init__(self, client_id: str, secret: Secret) -> None:
        self._client_id = client_id
        self._secret = secret

    def encode(self) -> bytes:
        return urlencode(
            {"client_id": self._client_id, "client_secret": self._secret.reveal(), "grant_type": "client_credentials"}
        ).encode()

    def __repr__(self) -> str:
        return f"TokenForm(client_id={self._client_id!r}, client_secret=****)"


def token_lifetime(value: object) -> float:
    """``expires_in`` as seconds within [1 s, 1 day]: a server can send 10^400, NaN or -5."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return DEFAULT_LIFETIME
    if isinstance(value, int):
        return float(min(max(value, int(MIN_LIFETIME)), int(MAX_LIFETIME)))  # no float(10**400)
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return DEFAULT_LIFETIME
    if math.isnan(number):
        return DEFAULT_LIFETIME
    return min(max(number, MIN_LIFETIME), MAX_LIFETIME)


def _mask_token(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads`` hook: the access token becomes a ``Secret`` as it is parsed."""
    return {k: Secret(v) if k == "access_token" and isinstance(v, str) and v else v for k, v in pairs}


class AuthProvider:
    """What the drivers ask of a credential source. Subclasses: ``StaticToken``, ``OAuthClientCredentials``.

    State only, no I/O: ``cached()`` answers, or a driver fetches a token (under ``lock`` /
    ``async_lock()``: one fetch however many requests need it) by running the token exchange
    with ``token_form()`` and handing the answer to ``accept()``."""

    renewable = False

    def __init__(self) -> None:
        self.lock = threading.Lock()  # held by a blocking driver while it fetches a token
        self._async_locks: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()

    def cached(self) -> Secret | None:
        """A token that is still good, or None if one must be fetched."""
        raise NotImplementedError

    def invalidate(self, token: Secret) -> None:
        """Zuora rejected ``token`` (401): the next ``cached()`` must not return it."""

    def token_form(self) -> TokenForm:
        raise AuthError("These credentials cannot be renewed.")

    def accept(self, response: Response) -> Secret:
        raise AuthError("These credentials cannot be renewed.")

    def async_lock(self) -> asyncio.Lock:
        """One asyncio lock per event loop (the poll engine may run its own loop in a thread)."""
        import asyncio  # only async drivers get here

        loop = asyncio.get_running_loop()
        lock = self._async_locks.get(loop)
        if lock is None:
            lock = self._async_locks[loop] = asyncio.Lock()
        return lock

    async def token(self, client: ZuoraClient) -> Secret:
        """A valid token, fetched through ``client`` if needed (kept for callers of the old API)."""
        return await client.token()


class StaticToken(AuthProvider):
    """A bearer token the user obtained elsewhere (``ZUORA_BEARER_TOKEN`` or a prompt)."""

    renewable = False

    def __init__(self, token: Secret | str) -> None:
        super().__init__()
        self._token = Secret(token)

    def cached(self) -> Secret:
        return self._token

    def invalidate(self, token: Secret) -> None:
        pass

    async def token(self, client: ZuoraClient) -> Secret:
        return self._token

    def __repr__(self) -> str:
        return "StaticToken(****)"


class OAuthClientCredentials(AuthProvider):
    """OAuth 2.0 client-credentials grant against ``POST /oauth/token``."""

    renewable = True

    def __init__(
        self,
        client_id: str,
        client_secret: Secret | str,
        *,
        renew_margin: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.client_id = client_id
        self._secret = Secret(client_secret)
        self._state: tuple[Secret | None, float] = (None, 0.0)  # (token, renew at): replaced whole
        self.renew_margin = renew_margin
        self.clock = clock
        self.issued = 0  # how many tokens we obtained: tests and status screens read it

    def __repr__(self) -> str:
        return f"OAuthClientCredentials(client_id={self.client_id!r}, secret=****)"

    def cached(self) -> Secret | None:
        token, renew_at = self._state
        return token if token is not None and self.clock() < renew_at else None

    def invalidate(self, token: Secret) -> None:
        if self._state[0] == token:
            self._state = (None, 0.0)

    def token_form(self) -> TokenForm:
        return TokenForm(self.client_id, self._secret)

    def accept(self, response: Response) -> Secret:
        """Read the token endpoint's 2xx answer; remember the token until shortly before it expires."""
        try:
            data = json.loads(response.body, object_pairs_hook=_mask_token)
        except (ValueError, RecursionError):
            raise BadResponse(
                "The token endpoint answered with something that is not JSON.",
                status=response.status,
                request_id=response.request_id,
            ) from None
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, Secret):
            raise AuthError(
                "The token endpoint gave no access token.",
                status=response.status,
                request_id=response.request_id,
                zuora_text=parse_error_body(response.body).text,
            )
        lifetime = token_lifetime(data.get("expires_in", DEFAULT_LIFETIME))
        margin = min(self.renew_margin, lifetime * 0.1)
        self._state = (token, self.clock() + max(1.0, lifetime - margin))
        self.issued += 1
        return token
