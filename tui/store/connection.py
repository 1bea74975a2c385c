"""Decide where to connect and how to authenticate, from options, environment and profile.

Precedence is command-line options > environment variables > profile. Secrets never come
from argv: only from the environment, the keyring, stdin or a masked prompt.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tui.core.auth import AuthProvider, OAuthClientCredentials, StaticToken
from tui.core.client import ClientSettings
from tui.core.environments import environment_for, resolve_base_url
from tui.core.errors import ConfigError
from tui.core.secret import Secret
from tui.store.secretinput import clean_secret


@dataclass(frozen=True)
class Options:
    """What the user asked for explicitly (command line). ``None`` means not given."""

    base_url: str | None = None
    env: str | None = None
    entity_ids: str | None = None
    org_ids: str | None = None
    track_id: str | None = None
    timeout: float | None = None
    profile: str | None = None


@dataclass(frozen=True)
class Connection:
    base_url: str
    auth: AuthProvider = field(repr=False)
    auth_source: str
    entity_ids: str | None = None
    org_ids: str | None = None
    track_id: str | None = None
    timeout: float | None = None
    profile: str | None = None
    production: bool = False
    label: str = ""
    allow_write: bool = False  # the profile's ``allow_write`` (writes to Zuora; ``--allow-write`` adds to it)
    sources: Mapping[str, str] = field(default_factory=dict)  # setting -> where it came from

    def settings(self, **overrides: Any) -> ClientSettings:
        """``overrides`` are ``ClientSettings`` keyword arguments, which it validates itself."""
        extra: dict[str, Any] = {}
        if self.timeout:
            extra["read_timeout"] = self.timeout
            extra["connect_timeout"] = min(self.timeout, 10.0)
        extra.update(overrides)
        return ClientSettings(
            self.base_url, entity_ids=self.entity_ids, org_ids=self.org_ids, track_id=self.track_id, **extra
        )


def _pick(
    name: str,
    option: str | None,
    env_value: str | None,
    profile_value: str | None,
    sources: dict[str, str],
    env_name: str,
) -> str | None:
    if option not in (None, ""):
        sources[name] = "command line"
        return option
    if env_value not in (None, ""):
        sources[name] = f"environment ({env_name})"
        return env_value
    if profile_value not in (None, ""):
        sources[name] = "profile"
        return profile_value
    sources[name] = "default"
    return None


def base_url_from(options: Options, env: Mapping[str, str], profile: object | None = None) -> tuple[str | None, str]:
    """The base URL in effect and where it came from (options > environment > profile).

    ``(None, "not configured")`` when nothing names one; a malformed URL raises ``ConfigError``.
    """
    p_env = getattr(profile, "env", None)
    p_url = getattr(profile, "base_url", None)
    if options.base_url or options.env:
        flag = "--base-url" if options.base_url else f"--env {options.env}"
        return resolve_base_url(options.env, options.base_url), f"command line ({flag})"
    if env.get("ZUORA_BASE_URL", "").strip():
        return resolve_base_url(None, env["ZUORA_BASE_URL"]), "environment (ZUORA_BASE_URL)"
    if p_url or p_env:
        name = getattr(profile, "name", "?")
        detail = f"env {p_env}" if p_env and not p_url else "base_url"
        return resolve_base_url(p_env, p_url), f"profile {name!r} ({detail})"
    return None, "not configured"


def credentials_from_environment(env: Mapping[str, str]) -> str | None:
    """The environment variable that supplies credentials, if any (so the keyring is not needed)."""
    for name in ("ZUORA_BEARER_TOKEN", "ZUORA_CLIENT_SECRET"):
        if env.get(name, "").strip():
            return name
    return None


def resolve(
    options: Options,
    environ: Mapping[str, str] | None = None,
    *,
    profile: object | None = None,
    secret_lookup: Callable[[str, str], Secret | None] | None = None,
    prompt_token: Callable[[], Secret] | None = None,
) -> Connection:
    """Build a ``Connection``.

    ``profile`` is a ``tui.store.config.Profile`` (or None). ``secret_lookup(base_url, client_id)``
    returns a ``Secret`` from the keyring or ``None``; it is only called when no secret is in the
    environment, so scripts with ``ZUORA_BEARER_TOKEN`` never touch the keyring. Secrets from the
    environment are trimmed and refused if they hold control characters (``secretinput``).
    """
    env = os.environ if environ is None else environ
    sources: dict[str, str] = {}
    base_url, sources["base_url"] = base_url_from(options, env, profile)
    if base_url is None:
        base_url = resolve_base_url(None, None)  # raises a ConfigError with guidance
    entity_ids = _pick(
        "entity_ids",
        options.entity_ids,
        env.get("ZUORA_ENTITY_IDS"),
        getattr(profile, "entity_ids", None),
        sources,
        "ZUORA_ENTITY_IDS",
    )
    org_ids = _pick(
        "org_ids",
        options.org_ids,
        env.get("ZUORA_ORG_IDS"),
        getattr(profile, "org_ids", None),
        sources,
        "ZUORA_ORG_IDS",
    )
    client_id = _pick(
        "client_id",
        None,
        env.get("ZUORA_CLIENT_ID", "").strip(),
        getattr(profile, "client_id", None),
        sources,
        "ZUORA_CLIENT_ID",
    )
    auth: AuthProvider
    token = None if prompt_token else clean_secret(env.get("ZUORA_BEARER_TOKEN", ""), "ZUORA_BEARER_TOKEN", header=True)
    client_secret = (
        None if (token or prompt_token) else clean_secret(env.get("ZUORA_CLIENT_SECRET", ""), "ZUORA_CLIENT_SECRET")
    )
    if prompt_token is not None:  # --ask-token: the command line wins over the environment
        auth, auth_source = StaticToken(prompt_token()), "prompt"
    elif token is not None:
        auth, auth_source = StaticToken(token), "environment (ZUORA_BEARER_TOKEN)"
    elif client_secret is not None:
        if not client_id:
            raise ConfigError("ZUORA_CLIENT_SECRET is set but no client ID: set ZUORA_CLIENT_ID too.")
        auth = OAuthClientCredentials(str(client_id), client_secret)
        auth_source = "environment (ZUORA_CLIENT_SECRET)"
    else:
        secret = secret_lookup(base_url, str(client_id)) if (client_id and secret_lookup) else None
        if secret is not None:
            auth, auth_source = OAuthClientCredentials(str(client_id), secret), "keyring"
        else:
            hint = (
                f" No secret for client ID {client_id} was found in the keyring: run `zwr auth login`."
                if client_id
                else ""
            )
            raise ConfigError(
                "No Zuora credentials: set ZUORA_BEARER_TOKEN, or ZUORA_CLIENT_ID and ZUORA_CLIENT_SECRET, "
                "or store a secret with `zwr auth login`, or pass --ask-token for a masked prompt." + hint
            )
    known = environment_for(base_url)
    production = bool(getattr(profile, "production", False)) or bool(known and known.production)
    label = getattr(profile, "label", None) or (known.label if known else base_url)
    return Connection(
        base_url=base_url,
        auth=auth,
        auth_source=auth_source,
        entity_ids=entity_ids,
        org_ids=org_ids,
        track_id=options.track_id,
        timeout=options.timeout,
        profile=getattr(profile, "name", None),
        production=production,
        label=str(label),
        allow_write=getattr(profile, "allow_write", False) is True,
        sources=sources,
    )
