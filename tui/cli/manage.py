"""``zwr auth``, ``zwr config``/``zwr locate`` and ``zwr bookmarks``: local state for people and scripts.

Every change says what it did in one line; "nothing to do" (removing a bookmark that is not
there) is a documented non-zero exit, so scripts can tell.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from tui.cli import exitcodes
from tui.cli.output import write, write_json
from tui.core.errors import BadInput, ZwrError
from tui.core.text import printable

MAX_IMPORT_BYTES = 16 * 1024 * 1024


def run(ns: argparse.Namespace) -> int:
    try:
        if ns.command == "auth":
            return {"login": login, "logout": logout, "status": status}[getattr(ns, "action", None) or "status"](ns)
        if ns.command in ("config", "locate"):
            return config_cmd(ns)
        return bookmarks_cmd(ns)
    except ZwrError as exc:
        write(sys.stderr, f"error: {exc.describe()}")
        return exc.exit_code


def _requested_profile(ns: argparse.Namespace) -> str | None:
    return ns.profile or os.environ.get("ZWR_PROFILE", "").strip() or None


def _load_config():
    from tui.store.config import load_config

    cfg = load_config()
    if cfg.warning:
        write(sys.stderr, f"warning: {cfg.warning}")
    return cfg


# ----------------------------------------------------------------------------- auth


def _interactive() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _ask(prompt: str, *, hidden: bool) -> str:
    try:
        return getpass.getpass(prompt) if hidden else input(prompt)
    except EOFError:
        raise BadInput("No answer (end of input).") from None


def _secret_target(insecure: bool):
    """Where the secret will be stored, decided before anything is asked (nothing half-happens)."""
    from tui.store.credentials import ALTERNATIVES, InsecureFileStore, KeyringUnavailable, default_store

    store = default_store()
    info = store.info()
    if insecure:
        if info.security == "secure":
            raise BadInput(
                f"A secure keyring is available ({info.describe()}): --insecure-storage is only for machines "
                "without one. Run the same command without it."
            )
        target = InsecureFileStore()
        return target, str(target.path)
    if info.security != "secure":
        raise KeyringUnavailable(
            f"No secure keyring is available (backend: {info.describe()}); nothing was asked or stored. " + ALTERNATIVES
        )
    store.check()  # a locked collection fails here, before the secret is typed
    return store, f"the keyring ({info.describe()})"


def _writable_config_dir(path: Path | None) -> None:
    from tui.core.errors import ConfigError
    from tui.store import paths

    folder = (path or paths.config_file()).parent
    try:
        paths.ensure_private_dir(folder)
    except OSError as exc:
        raise ConfigError(f"Cannot save the profile: {exc.strerror or exc}. Nothing was asked or stored.") from None


def login(ns: argparse.Namespace) -> int:
    from tui.core.environments import ENVIRONMENTS, resolve_base_url
    from tui.store.config import IMPLICIT_PROFILE, Profile, save_config
    from tui.store.secretinput import clean_text, require_secret

    cfg = _load_config()
    name = _requested_profile(ns) or cfg.default_profile or IMPLICIT_PROFILE
    existing = cfg.profiles.get(name)
    env = ns.env or (existing.env if existing and not ns.base_url else None)
    base_url = resolve_base_url(env, ns.base_url or (existing.base_url if existing and not ns.env else None))
    target, where = _secret_target(ns.insecure_storage)
    _writable_config_dir(cfg.path)  # like the keyring: checked before anything is asked
    interactive = _interactive()
    if not interactive and not ns.client_secret_stdin:
        raise BadInput(
            "No terminal to ask for the client secret: pipe it in with --client-secret-stdin (and pass --client-id)."
        )
    client_id = clean_text(ns.client_id or (existing.client_id if existing else "") or "", "The client ID")
    if not client_id:
        if not interactive:
            raise BadInput("--client-id is required when stdin is not a terminal.")
        client_id = clean_text(_ask("Zuora OAuth client ID: ", hidden=False), "The client ID")
    if not client_id:
        raise BadInput("A client ID is required.")
    if ns.client_secret_stdin and not interactive:
        secret = require_secret(sys.stdin.readline(), "The client secret read from stdin")
    else:
        secret = require_secret(
            _ask("Zuora OAuth client secret (input hidden): ", hidden=True), "The client secret typed"
        )
    if not ns.no_verify:
        _verify(base_url, client_id, secret)
        write(sys.stdout, f"Verified client {client_id} against {base_url}/oauth/token.")
    target.set(base_url, client_id, secret)
    from tui.store.credentials import InsecureFileStore

    if isinstance(target, InsecureFileStore):
        write(sys.stderr, InsecureFileStore.WARNING.format(path=target.path))
    profile = Profile(
        name=name,
        env=env if not ns.base_url else None,
        base_url=ns.base_url or (None if env else base_url),
        client_id=client_id,
        entity_ids=ns.entity_ids or (existing.entity_ids if existing else None),
        org_ids=ns.org_ids or (existing.org_ids if existing else None),
        label=ns.label or (existing.label if existing else None),
        color=existing.color if existing else None,
        production=bool(ns.production)
        or bool(existing and existing.production)
        or bool(env and ENVIRONMENTS[env].production),
        allow_write=bool(existing and existing.allow_write),  # a new login never turns writes on or off
        extra=existing.extra if existing else {},
    )
    path = save_config(cfg.with_profile(profile))
    write(sys.stdout, f"Saved the secret in {where}; profile {name!r} written to {path}.")
    return exitcodes.OK


def _verify(base_url: str, client_id: str, secret) -> None:
    import asyncio

    from tui.core.auth import OAuthClientCredentials
    from tui.core.client import ClientSettings, ZuoraClient

    async def verify() -> None:
        auth = OAuthClientCredentials(client_id, secret)
        async with ZuoraClient(ClientSettings(base_url), auth) as client:
            await auth.token(client)

    asyncio.run(verify())


def logout(ns: argparse.Namespace) -> int:
    from tui.core.environments import resolve_base_url
    from tui.core.errors import ConfigError
    from tui.store.config import IMPLICIT_PROFILE
    from tui.store.credentials import InsecureFileStore, KeyringUnavailable, default_store

    cfg = _load_config()
    name = _requested_profile(ns) or cfg.default_profile or IMPLICIT_PROFILE
    profile = cfg.profiles.get(name)
    if profile is None or not profile.client_id:
        raise ConfigError(f"Profile {name!r} has no client ID; nothing to log out.")
    base_url = resolve_base_url(profile.env, profile.base_url)
    removed = InsecureFileStore().delete(base_url, profile.client_id)
    try:
        removed = default_store().delete(base_url, profile.client_id) or removed
    except KeyringUnavailable:
        if not removed:
            raise
    write(sys.stdout, f"{'Removed' if removed else 'No stored secret for'} client {profile.client_id} ({name}).")
    return exitcodes.OK


ENV_VARS = (
    "ZUORA_BASE_URL",
    "ZUORA_BEARER_TOKEN",
    "ZUORA_CLIENT_ID",
    "ZUORA_CLIENT_SECRET",
    "ZUORA_ENTITY_IDS",
    "ZUORA_ORG_IDS",
    "ZWR_PROFILE",
    "ZWR_KEYRING_TIMEOUT",
)
SECRET_VARS = frozenset({"ZUORA_BEARER_TOKEN", "ZUORA_CLIENT_SECRET"})


def _effective(ns: argparse.Namespace, cfg, env) -> dict[str, object]:
    """What a fetch with these options would use: base URL and credentials, each with its source."""
    from tui.cli.connect import options_from
    from tui.store.connection import base_url_from, credentials_from_environment

    options = options_from(ns)
    out: dict[str, object] = {"profile": None}
    try:
        profile = cfg.profile(options.profile)
        out["profile"] = cfg.profile_name(options.profile)
        base_url, source = base_url_from(options, env, profile)
    except ZwrError as exc:
        return {**out, "base_url": None, "base_url_source": f"invalid: {exc.message}", "credentials": None}
    out.update(base_url=base_url, base_url_source=source)
    from_env = credentials_from_environment(env)
    if ns.ask_token:
        out["credentials"] = "prompt (--ask-token)"
    elif from_env:
        out["credentials"] = f"environment ({from_env})"
    elif profile is not None and profile.client_id:
        out["credentials"] = f"stored secret of client {profile.client_id} (see the profile below)"
    else:
        out["credentials"] = None
    return out


def _secret_source(profile, base_url: str, store) -> tuple[str, str | None]:
    from tui.store import paths
    from tui.store.credentials import InsecureFileStore, KeyringUnavailable

    if not profile.client_id:
        return "none (no client ID)", None
    try:
        insecure = InsecureFileStore().get(base_url, profile.client_id) if InsecureFileStore().path.exists() else None
        if insecure:
            return f"INSECURE file {paths.insecure_secrets_file()}", insecure.fingerprint()
        if store is None:
            return "unknown (keyring not usable)", None
        secret = store.get(base_url, profile.client_id)
    except KeyringUnavailable as exc:
        return f"unavailable: {exc.message.split('. Alternatives')[0]}", None
    except ZwrError as exc:
        return f"unusable: {exc.message}", None
    return ("keyring", secret.fingerprint()) if secret else ("none (run `zwr auth login`)", None)


def status(ns: argparse.Namespace) -> int:
    from tui.core.environments import resolve_base_url
    from tui.core.secret import Secret
    from tui.store.credentials import default_store

    cfg = _load_config()
    env = os.environ
    effective = _effective(ns, cfg, env)
    keyring_problem = None
    try:
        store = default_store()
        info = store.info()
        keyring = {"backend": info.name, "security": info.security, "config_path": info.config_path}
    except ZwrError as exc:  # ZWR_KEYRING_TIMEOUT is malformed
        store, keyring_problem = None, exc.message
        keyring = {"backend": None, "security": "none", "config_path": None, "problem": exc.message}
    environment = {
        k: (env[k] if k not in SECRET_VARS else "set") if env.get(k, "").strip() else "unset" for k in ENV_VARS
    }
    report: dict[str, object] = {
        "effective": effective,
        "config_file": str(cfg.path),
        "default_profile": cfg.default_profile,
        "keyring": keyring,
        "environment": environment,
        "precedence": "command-line options > environment variables > profile",
        "profiles": [],
    }
    env_credentials = str(effective.get("credentials") or "").startswith("environment")
    requested = _requested_profile(ns)
    names = [requested] if requested and requested in cfg.profiles else ([] if requested else list(cfg.profiles))
    entries: list[dict[str, object]] = []
    for name in names:
        profile = cfg.profiles[name]
        entry: dict[str, object] = {"name": name, "default": name == cfg.default_profile}
        try:
            base_url = resolve_base_url(profile.env, profile.base_url)
        except ZwrError as exc:
            base_url = f"invalid ({exc.message})"
        entry.update(
            base_url=base_url,
            client_id=profile.client_id,
            production=profile.production,
            writes="on (allow_write = true)" if profile.allow_write else "off (read-only)",
        )
        source, fingerprint = "none", None
        if env_credentials:
            source = str(effective["credentials"])
            if env.get("ZUORA_CLIENT_SECRET", "").strip() and not env.get("ZUORA_BEARER_TOKEN", "").strip():
                fingerprint = Secret(env["ZUORA_CLIENT_SECRET"].strip()).fingerprint()
        elif not base_url.startswith("invalid"):
            source, fingerprint = _secret_source(profile, base_url, store)
        entry.update(secret_source=source, secret_fingerprint=fingerprint)
        entries.append(entry)
    report["profiles"] = entries
    if getattr(ns, "json", False):
        write_json(sys.stdout, report)
        return exitcodes.OK
    url = effective.get("base_url")
    write(sys.stdout, f"Base URL:      {url or 'none'} — from {effective['base_url_source']}")
    write(sys.stdout, f"Credentials:   {effective.get('credentials') or 'none found'}")
    write(sys.stdout, f"Profile:       {effective.get('profile') or '?'}")
    write(sys.stdout, f"Config file:   {report['config_file']}")
    if keyring_problem:
        write(sys.stdout, f"Keyring:       not usable: {keyring_problem}")
    else:
        write(
            sys.stdout,
            f"Keyring:       {keyring['backend']} — {keyring['security']}"
            + (f" (config: {keyring['config_path']})" if keyring["config_path"] else ""),
        )
    write(sys.stdout, f"Precedence:    {report['precedence']}")
    shown = ", ".join(f"{k}={printable(v, 80)}" for k, v in environment.items() if v != "unset")
    write(sys.stdout, f"Environment:   {shown or 'no ZUORA_*/ZWR_* variables set'}")
    if not cfg.profiles:
        write(sys.stdout, "Profiles:      none yet — create one with `zwr auth login --profile NAME --env ENV`")
    for entry in entries:
        flag = " (default)" if entry.get("default") else ""
        prod = "  PRODUCTION" if entry.get("production") else ""
        write(sys.stdout, f"Profile {entry['name']}{flag}{prod}")
        for key in ("base_url", "client_id", "secret_source", "secret_fingerprint", "writes"):
            if entry.get(key) is not None:
                write(sys.stdout, f"  {key.replace('_', ' '):<18} {entry[key]}")
    if not env_credentials and keyring["security"] != "secure":
        from tui.store.credentials import ALTERNATIVES

        write(sys.stdout, f"\nNo secure keyring is usable. {ALTERNATIVES}")
    return exitcodes.OK


# ----------------------------------------------------------------------------- config


def config_cmd(ns: argparse.Namespace) -> int:
    from tui.store import paths
    from tui.store.audit import audit_file
    from tui.store.config import IMPLICIT_PROFILE

    cfg = _load_config()
    if getattr(ns, "action", None) == "show":
        try:
            write(sys.stdout, cfg.path.read_text("utf-8") if cfg.path else "")
        except FileNotFoundError:
            write(sys.stdout, f"# {cfg.path} does not exist yet")
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"Cannot read {cfg.path}: {exc}") from None
        return exitcodes.OK
    try:
        profile = cfg.profile_name(_requested_profile(ns))
    except ZwrError:
        profile = _requested_profile(ns) or IMPLICIT_PROFILE
    rows = [
        ("config file", paths.config_file()),
        ("config dir", paths.config_dir()),
        ("data dir", paths.data_dir()),
        (f"bookmarks ({profile})", paths.bookmarks_file(profile)),
        (f"history ({profile})", paths.history_file(profile)),
        ("insecure secrets (opt-in only)", paths.insecure_secrets_file()),
        ("audit trail of writes", audit_file()),
    ]
    try:
        from keyring.util import platform_ as platform_util

        rows.append(("keyring config", platform_util.config_root()))
    except Exception:  # noqa: BLE001, S110 - keyring's config path is a nicety; its absence is not an error
        pass
    for name, path in rows:
        write(sys.stdout, f"{name + ':':<32} {path}")
    return exitcodes.OK


# ----------------------------------------------------------------------------- bookmarks


def _read_import(file: str) -> list[object]:
    """The entries of an export file, or ``BadInput`` (exit 2) saying what is wrong: nothing is saved."""
    shown = "stdin" if file == "-" else file
    try:
        if file == "-":
            raw = sys.stdin.buffer.read(MAX_IMPORT_BYTES + 1)
        else:
            with Path(file).open("rb") as handle:
                raw = handle.read(MAX_IMPORT_BYTES + 1)
    except OSError as exc:
        raise BadInput(f"Cannot read {shown}: {exc.strerror or exc}.") from None
    if len(raw) > MAX_IMPORT_BYTES:
        raise BadInput(f"{shown} is over {MAX_IMPORT_BYTES // (1024 * 1024)} MB: not a bookmarks export.")
    try:
        data = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise BadInput(f"{shown} is nested too deeply to be a bookmarks export.") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInput(f"{shown} is not valid JSON ({printable(exc, 100)}).") from None
    entries = data.get("bookmarks") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise BadInput(
            f'{shown} is not a bookmarks export: expected an object with a "bookmarks" list '
            "(what `zwr bookmarks export` writes) or a list of bookmarks."
        )
    return entries


def bookmarks_cmd(ns: argparse.Namespace) -> int:
    from tui.core.runid import parse_run_id
    from tui.store.bookmarks import Bookmark, BookmarkStore, NotBookmarked, StoreError

    cfg = _load_config()
    profile = cfg.profile_name(_requested_profile(ns))
    store = BookmarkStore(profile)
    action = getattr(ns, "action", None) or "list"
    code = exitcodes.OK
    try:
        if action == "list":
            items = store.list()
            if getattr(ns, "json", False):
                write_json(sys.stdout, [b.to_json() for b in items])
            elif not items:
                write(sys.stdout, f"No bookmarks in profile {profile}.")
            else:
                write(sys.stdout, f"Bookmarks in profile {profile} ({len(items)}):")
                for b in items:
                    write(
                        sys.stdout,
                        f"{b.run_id:>12}  {printable(b.label, 60)}"
                        + (f"  — {printable(b.note, 80)}" if b.note else ""),
                    )
        elif action == "add":
            run_id = parse_run_id(ns.run_id)
            existed = any(b.run_id == run_id for b in store.list())
            store.add(run_id, ns.label, ns.note)
            label = f" as {printable(ns.label, 60)!r}" if ns.label else ""
            verb = "Updated the bookmark of" if existed else "Bookmarked"
            write(sys.stdout, f"{verb} run {run_id}{label} in profile {profile}.")
        elif action == "remove":
            run_id = parse_run_id(ns.run_id)
            store.remove(run_id, missing_ok=False)
            write(sys.stdout, f"Removed the bookmark of run {run_id} from profile {profile}.")
        elif action == "rename":
            run_id = parse_run_id(ns.run_id)
            store.rename(run_id, ns.label, missing_ok=False)
            write(
                sys.stdout, f"Renamed the bookmark of run {run_id} to {printable(ns.label, 60)!r} in profile {profile}."
            )
        elif action == "export":
            payload = {"version": 1, "bookmarks": [b.to_json() for b in store.list()]}
            write_json(sys.stdout, payload)
        elif action == "import":
            entries = _read_import(ns.file)
            parsed = [b for b in (Bookmark.from_json(e) for e in entries) if b is not None]
            before = {b.run_id for b in store.list()}
            store.import_entries(parsed)
            new = len({b.run_id for b in parsed} - before)
            write(
                sys.stdout,
                f"Imported {new} bookmark(s) into profile {profile} ({len(parsed) - new} already there, "
                f"{len(entries) - len(parsed)} unreadable skipped).",
            )
    except NotBookmarked as exc:
        write(sys.stderr, f"error: run {exc.run_id} is not bookmarked in profile {profile}; nothing changed.")
        code = exitcodes.NOT_BOOKMARKED
    except StoreError as exc:
        write(sys.stderr, f"error: {exc}")
        code = exitcodes.STORE_FAILED
    for warning in store.warnings:
        write(sys.stderr, f"warning: {warning}")
    return code
