"""Turn parsed command-line options into a ``Connection`` (shared by get/watch/tasks/ui)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from tui.core.secret import Secret
from tui.store.connection import Connection, Options, resolve


def options_from(ns: argparse.Namespace) -> Options:
    return Options(
        base_url=ns.base_url,
        env=ns.env,
        entity_ids=ns.entity_ids,
        org_ids=ns.org_ids,
        track_id=ns.track_id,
        timeout=ns.timeout,
        profile=ns.profile or os.environ.get("ZWR_PROFILE"),
    )


def _prompt_token() -> Secret:
    if not sys.stdin.isatty():
        line = sys.stdin.readline().strip()
    else:
        line = getpass.getpass("Zuora bearer token (input hidden): ").strip()
    return Secret(line)


def connection_from(ns: argparse.Namespace) -> Connection:
    """Resolve; the profile and keyring are consulted only when the environment lacks credentials."""
    options = options_from(ns)
    profile = None
    secret_lookup = None
    needs_profile = (
        options.profile
        or not (os.environ.get("ZUORA_BASE_URL") or options.base_url or options.env)
        or not (os.environ.get("ZUORA_BEARER_TOKEN") or os.environ.get("ZUORA_CLIENT_SECRET"))
    )
    if needs_profile and not ns.ask_token:
        from tui.store import config as config_mod
        from tui.store.credentials import lookup_secret

        profile = config_mod.load_config().profile(options.profile)
        secret_lookup = lookup_secret
    elif options.profile:
        from tui.store import config as config_mod

        profile = config_mod.load_config().profile(options.profile)
    return resolve(
        options, profile=profile, secret_lookup=secret_lookup, prompt_token=_prompt_token if ns.ask_token else None
    )
