"""How requests get a bearer token: a static token, or OAuth client credentials.

The OAuth provider caches the token in memory only, renews it a few minutes before it
expires, and can be told a token was rejected (401) so the next call renews it once.
The token request body (which holds the client secret) is never logged or echoed.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Protocol

from tui.core.errors import AuthError, BadResponse, parse_error_body
from tui.core.secret import Secret

if TYPE_CHECKING:
    from tui.core.client import ZuoraClient


class AuthProvider(Protocol):
    renewable: bool

    async def token(self, client: ZuoraClient) -> Secret: ...

    def invalidate(self, token: Secret) -> None: ...


class StaticToken:
    """A bearer token the user obtained elsewhere (``ZUORA_BEARER_TOKEN`` or a prompt)."""

    renewable = False

    def __init__(self, token: Secret | str) -> None:
        self._token = Secret(token)

    async def token(self, client: ZuoraClient) -> Secret:
        return self._token

    def invalidate(self, token: Secret) -> None:
        pass

    def __repr__(self) -> str:
        return "StaticToken(****)"


class OAuthClientCredentials:
    """OAuth 2.0 client-credentials grant against ``POST /oauth/token``."""

    renewable = True

    def __init__(
        self, client_id: str, client_secret: Secret | str, *, renew_margin: float = 300.0, clock=time.monotonic
    ) -> None:
        self.client_id = client_id
        self._secret = Secret(client_secret)
        self._token: Secret | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self.renew_margin = renew_margin
        self.clock = clock
        self.issued = 0  # how many tokens we obtained: tests and status screens read it

    def __repr__(self) -> str:
        return f"OAuthClientCredentials(client_id={self.client_id!r}, secret=****)"

    def _valid(self) -> bool:
        return self._token is not None and self.clock() < self._expires_at

    def _get_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock_loop is not loop:  # the CLI may run several event loops in turn
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    async def token(self, client: ZuoraClient) -> Secret:
        if self._valid():
            return self._token  # type: ignore[return-value]
        async with self._get_lock():
            if self._valid():
                return self._token  # type: ignore[return-value]
            response = await client._post_token(self.client_id, self._secret)
            try:
                data = json.loads(response.body)
            except ValueError:
                raise BadResponse(
                    "The token endpoint answered with something that is not JSON.",
                    status=response.status,
                    request_id=response.request_id,
                ) from None
            token = data.get("access_token") if isinstance(data, dict) else None
            if not isinstance(token, str) or not token:
                text = parse_error_body(response.body).text
                raise AuthError(
                    "The token endpoint gave no access token.",
                    status=response.status,
                    request_id=response.request_id,
                    zuora_text=text,
                )
            try:
                lifetime = float(data.get("expires_in", 3599))
            except (TypeError, ValueError):
                lifetime = 3599.0
            margin = min(self.renew_margin, lifetime * 0.1)
            self._token = Secret(token)
            self._expires_at = self.clock() + max(1.0, lifetime - margin)
            self.issued += 1
            return self._token

    def invalidate(self, token: Secret) -> None:
        if self._token == token:
            self._token = None
            self._expires_at = 0.0
