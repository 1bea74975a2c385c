"""Turn parsed command-line options into a ``Connection`` (shared by get/watch/tasks/ui)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from tui.core.errors import ConfigError
from tui.core.secret import Secret
from tui.store.connection import Connection, Options, credentials_from_environment, resolve
from tui.store.secretinput import require_secret


def options_from(ns: argparse.Namespace) -> Options:
    return Options(
        base_url=ns.base_url,
        env=ns.env,
        entity_ids=ns.entity_ids,
        org_ids=ns.org_ids,
        track_id=ns.track_id,
        timeout=ns.timeout,
        profile=ns.profile or os.environ.get("ZWR_PROFILE", "").strip() or None,
    )


def _prompt_token() -> Secret:
    """``--ask-token``: a masked prompt on a terminal, else one line of stdin (``... | zwr get --ask-token``)."""
    if sys.stdin.isatty():
        return require_secret(getpass.getpass("Zuora bearer token (input hidden): "), "The token typed", header=True)
    try:
        line = sys.stdin.readline()
    except (OSError, ValueError):
        line = ""
    if not line.strip():
        raise ConfigError("--ask-token: no terminal to prompt on and no token on stdin.")
    return require_secret(line, "The token read from stdin (--ask-token)", header=True)


def connection_from(ns: argparse.Namespace) -> Connection:
    """Resolve; the profile and keyring are consulted only when the environment lacks credentials."""
    options = options_from(ns)
    profile = None
    secret_lookup = None
    needs_profile = (
        options.profile
        or not (os.environ.get("ZUORA_BASE_URL", "").strip() or options.base_url or options.env)
        or not credentials_from_environment(os.environ)
    )
    if needs_profile:
        from tui.store import config as config_mod

        profile = config_mod.load_config().profile(options.profile)
        if not ns.ask_token:
            from tui.cli.output import write
            from tui.store.credentials import lookup_secret

            def secret_lookup(base_url: str, client_id: str) -> Secret | None:
                return lookup_secret(base_url, client_id, warn=lambda message: write(sys.stderr, message))

    return resolve(
        options, profile=profile, secret_lookup=secret_lookup, prompt_token=_prompt_token if ns.ask_token else None
    )
