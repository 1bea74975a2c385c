"""``zwr auth``, ``zwr config``/``zwr locate`` and ``zwr bookmarks``: local state for people and scripts."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tui.cli.output import write
from tui.core.errors import ZwrError
from tui.core.secret import Secret


def _parser(command: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"zwr {command}")
    sub = p.add_subparsers(dest="action", required=True)
    if command == "auth":
        login = sub.add_parser("login", help="verify a client ID/secret against Zuora and store the secret")
        login.add_argument("--profile", default=None)
        login.add_argument("--env", metavar="NAME")
        login.add_argument("--base-url", metavar="URL")
        login.add_argument("--client-id")
        login.add_argument("--client-secret-stdin", action="store_true", help="read the secret from stdin")
        login.add_argument("--entity-ids")
        login.add_argument("--org-ids")
        login.add_argument("--label")
        login.add_argument("--production", action="store_true", default=None)
        login.add_argument(
            "--insecure-storage",
            action="store_true",
            help="store the secret in a plaintext 0600 file (only if no secure keyring)",
        )
        login.add_argument("--no-verify", action="store_true", help="store without checking against /oauth/token")
        logout = sub.add_parser("logout", help="delete the stored secret of a profile")
        logout.add_argument("--profile", default=None)
        status = sub.add_parser("status", help="where each setting and secret comes from")
        status.add_argument("--profile", default=None)
        status.add_argument("--json", action="store_true")
    elif command in ("config", "locate"):
        sub.add_parser("path", help="print every file location zwr uses")
        sub.add_parser("show", help="print the config file")
    elif command == "bookmarks":
        for name in ("list", "add", "remove", "rename", "export", "import"):
            s = sub.add_parser(name)
            s.add_argument("--profile", default=None)
            if name in ("add", "remove", "rename"):
                s.add_argument("run_id")
            if name == "add":
                s.add_argument("--label", default="")
                s.add_argument("--note", default="")
            if name == "rename":
                s.add_argument("label")
            if name == "import":
                s.add_argument("file", help="a file from `zwr bookmarks export`, or - for stdin")
            if name == "list":
                s.add_argument("--json", action="store_true")
    return p


def main(command: str, argv: Sequence[str]) -> int:
    if command == "locate" and not argv:
        argv = ["path"]
    ns = _parser(command).parse_args(list(argv))
    try:
        if command == "auth":
            return {"login": login, "logout": logout, "status": status}[ns.action](ns)
        if command in ("config", "locate"):
            return config_cmd(ns)
        return bookmarks_cmd(ns)
    except ZwrError as exc:
        write(sys.stderr, f"error: {exc.describe()}")
        return exc.exit_code


def _profile_name(ns: argparse.Namespace) -> str:
    from tui.store.config import load_config

    cfg = load_config()
    return ns.profile or os.environ.get("ZWR_PROFILE") or cfg.default_profile or "default"


# ----------------------------------------------------------------------------- auth


def login(ns: argparse.Namespace) -> int:
    from tui.core.auth import OAuthClientCredentials
    from tui.core.client import ClientSettings, ZuoraClient
    from tui.core.environments import ENVIRONMENTS, resolve_base_url
    from tui.core.errors import ConfigError
    from tui.store.config import Profile, load_config, save_config
    from tui.store.credentials import ALTERNATIVES, InsecureFileStore, KeyringUnavailable, default_store

    cfg = load_config()
    name = _profile_name(ns)
    existing = cfg.profiles.get(name)
    env = ns.env or (existing.env if existing and not ns.base_url else None)
    base_url = resolve_base_url(env, ns.base_url or (existing.base_url if existing and not ns.env else None))
    client_id = ns.client_id or (existing.client_id if existing else None)
    if not client_id:
        if not sys.stdin.isatty() and ns.client_secret_stdin:
            raise ConfigError("--client-id is required with --client-secret-stdin.")
        client_id = input("Zuora OAuth client ID: ").strip()
    if not client_id:
        raise ConfigError("A client ID is required.")
    if ns.client_secret_stdin:
        secret = Secret(sys.stdin.readline().strip())
    else:
        secret = Secret(getpass.getpass("Zuora OAuth client secret (input hidden): ").strip())
    if not secret:
        raise ConfigError("The client secret is empty.")
    # Decide where the secret will go before asking Zuora, so nothing half-happens.
    store = default_store()
    if ns.insecure_storage:
        target = InsecureFileStore()
    else:
        info = store.info()
        if info.security != "secure":
            raise KeyringUnavailable(
                f"No secure keyring is available (backend: {info.describe()}); the secret "
                "was not stored. " + ALTERNATIVES
            )
        target = store
    if not ns.no_verify:

        async def verify() -> None:
            auth = OAuthClientCredentials(client_id, secret)
            async with ZuoraClient(ClientSettings(base_url), auth) as client:
                await auth.token(client)

        asyncio.run(verify())
        write(sys.stdout, f"Verified client {client_id} against {base_url}/oauth/token.")
    target.set(base_url, client_id, secret)
    if isinstance(target, InsecureFileStore):
        write(sys.stderr, InsecureFileStore.WARNING.format(path=target.path))
        where = str(target.path)
    else:
        where = f"the keyring ({store.info().describe()})"
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
        extra=existing.extra if existing else {},
    )
    path = save_config(cfg.with_profile(profile))
    write(sys.stdout, f"Saved the secret in {where}; profile {name!r} written to {path}.")
    return 0


def logout(ns: argparse.Namespace) -> int:
    from tui.core.environments import resolve_base_url
    from tui.core.errors import ConfigError
    from tui.store.config import load_config
    from tui.store.credentials import InsecureFileStore, KeyringUnavailable, default_store

    cfg = load_config()
    name = _profile_name(ns)
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
    return 0


def status(ns: argparse.Namespace) -> int:
    from tui.core.environments import resolve_base_url
    from tui.store import paths
    from tui.store.config import load_config
    from tui.store.credentials import InsecureFileStore, KeyringUnavailable, default_store

    cfg = load_config()
    store = default_store()
    info = store.info()
    env = os.environ
    report: dict[str, object] = {
        "config_file": str(cfg.path),
        "default_profile": cfg.default_profile,
        "keyring": {"backend": info.name, "security": info.security, "config_path": info.config_path},
        "environment": {
            k: ("set" if env.get(k) else "unset")
            for k in (
                "ZUORA_BASE_URL",
                "ZUORA_BEARER_TOKEN",
                "ZUORA_CLIENT_ID",
                "ZUORA_CLIENT_SECRET",
                "ZUORA_ENTITY_IDS",
                "ZUORA_ORG_IDS",
                "ZWR_PROFILE",
            )
        },
        "precedence": "command-line options > environment variables > profile",
        "profiles": [],
    }
    names = [ns.profile] if ns.profile else list(cfg.profiles)
    for name in names:
        profile = cfg.profile(name)
        entry: dict[str, object] = {"name": name, "default": name == cfg.default_profile}
        if profile is not None:
            try:
                base_url = resolve_base_url(profile.env, profile.base_url)
            except ZwrError as exc:
                base_url = f"invalid ({exc.message})"
            entry.update(base_url=base_url, client_id=profile.client_id, production=profile.production)
            source, fingerprint = "none", None
            if env.get("ZUORA_BEARER_TOKEN"):
                source = "environment (ZUORA_BEARER_TOKEN)"
            elif env.get("ZUORA_CLIENT_SECRET"):
                source = "environment (ZUORA_CLIENT_SECRET)"
                fingerprint = Secret(env["ZUORA_CLIENT_SECRET"]).fingerprint()
            elif profile.client_id and not base_url.startswith("invalid"):
                insecure = (
                    InsecureFileStore().get(base_url, profile.client_id) if InsecureFileStore().path.exists() else None
                )
                if insecure:
                    source, fingerprint = f"INSECURE file {paths.insecure_secrets_file()}", insecure.fingerprint()
                else:
                    try:
                        secret = store.get(base_url, profile.client_id)
                        source = "keyring" if secret else "none (run `zwr auth login`)"
                        fingerprint = secret.fingerprint() if secret else None
                    except KeyringUnavailable as exc:
                        source = f"unavailable: {exc.message.split('. Alternatives')[0]}"
            entry.update(secret_source=source, secret_fingerprint=fingerprint)
        report["profiles"].append(entry)  # type: ignore[union-attr]
    if ns.json:
        write(sys.stdout, json.dumps(report, indent=2))
        return 0
    write(sys.stdout, f"Config file:   {report['config_file']}")
    write(
        sys.stdout,
        f"Keyring:       {info.name} — {info.security}"
        + (f" (config: {info.config_path})" if info.config_path else ""),
    )
    write(sys.stdout, f"Precedence:    {report['precedence']}")
    write(sys.stdout, "Environment:   " + ", ".join(f"{k}={v}" for k, v in report["environment"].items()))  # type: ignore[union-attr]
    if not names:
        write(sys.stdout, "Profiles:      none yet — create one with `zwr auth login --profile NAME --env ENV`")
    for entry in report["profiles"]:  # type: ignore[union-attr]
        flag = " (default)" if entry.get("default") else ""
        prod = "  PRODUCTION" if entry.get("production") else ""
        write(sys.stdout, f"Profile {entry['name']}{flag}{prod}")
        for key in ("base_url", "client_id", "secret_source", "secret_fingerprint"):
            if entry.get(key) is not None:
                write(sys.stdout, f"  {key.replace('_', ' '):<18} {entry[key]}")
    if info.security != "secure":
        from tui.store.credentials import ALTERNATIVES

        write(sys.stdout, f"\nNo secure keyring is usable. {ALTERNATIVES}")
    return 0


# ----------------------------------------------------------------------------- config


def config_cmd(ns: argparse.Namespace) -> int:
    from tui.store import paths
    from tui.store.config import load_config

    cfg = load_config()
    if ns.action == "show":
        try:
            write(sys.stdout, cfg.path.read_text("utf-8") if cfg.path else "")
        except FileNotFoundError:
            write(sys.stdout, f"# {cfg.path} does not exist yet")
        return 0
    profile = os.environ.get("ZWR_PROFILE") or cfg.default_profile
    rows = [
        ("config file", paths.config_file()),
        ("config dir", paths.config_dir()),
        ("data dir", paths.data_dir()),
        ("bookmarks", paths.bookmarks_file(profile)),
        ("history", paths.history_file(profile)),
        ("insecure secrets (opt-in only)", paths.insecure_secrets_file()),
    ]
    try:
        from keyring.util import platform_ as platform_util

        rows.append(("keyring config", platform_util.config_root()))
    except Exception:  # noqa: BLE001, S110 - keyring's config path is a nicety; its absence is not an error
        pass
    for name, path in rows:
        write(sys.stdout, f"{name + ':':<32} {path}")
    return 0


# ----------------------------------------------------------------------------- bookmarks


def bookmarks_cmd(ns: argparse.Namespace) -> int:
    from tui.core.runid import parse_run_id
    from tui.store.bookmarks import Bookmark, BookmarkStore, StoreError

    store = BookmarkStore(_profile_name(ns))
    try:
        if ns.action == "list":
            items = store.list()
            if ns.json:
                write(sys.stdout, json.dumps([b.to_json() for b in items], indent=2, ensure_ascii=False))
            else:
                from tui.core.text import printable

                for b in items:
                    write(
                        sys.stdout,
                        f"{b.run_id:>12}  {printable(b.label, 60)}"
                        + (f"  — {printable(b.note, 80)}" if b.note else ""),
                    )
        elif ns.action == "add":
            store.add(parse_run_id(ns.run_id), ns.label, ns.note)
        elif ns.action == "remove":
            store.remove(parse_run_id(ns.run_id))
        elif ns.action == "rename":
            store.rename(parse_run_id(ns.run_id), ns.label)
        elif ns.action == "export":
            write(
                sys.stdout,
                json.dumps(
                    {"version": 1, "bookmarks": [b.to_json() for b in store.list()]}, indent=2, ensure_ascii=False
                ),
            )
        elif ns.action == "import":
            text = sys.stdin.read() if ns.file == "-" else Path(ns.file).read_text(encoding="utf-8")
            data = json.loads(text)
            entries = data.get("bookmarks", []) if isinstance(data, dict) else data
            parsed = [b for b in (Bookmark.from_json(e) for e in entries) if b is not None]
            store.import_entries(parsed)
            write(sys.stdout, f"Imported {len(parsed)} bookmark(s) ({len(entries) - len(parsed)} unreadable skipped).")
    except StoreError as exc:
        write(sys.stderr, f"error: {exc}")
        return 3
    except (OSError, ValueError) as exc:
        write(sys.stderr, f"error: cannot import: {exc}")
        return 2
    for warning in store.warnings:
        write(sys.stderr, f"warning: {warning}")
    return 0
