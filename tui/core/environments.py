"""Zuora's REST base URLs as named environments, and validation of custom base URLs.

Plain ``http://`` is allowed only for loopback hosts (the embedded simulator): a bearer
token must never cross a network unencrypted.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from tui.core.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Environment:
    name: str
    label: str
    base_url: str
    production: bool


ENVIRONMENTS: dict[str, Environment] = {
    env.name: env
    for env in (
        Environment("us-test", "US Developer & Central Sandbox", "https://rest.test.zuora.com", False),
        Environment("us-sandbox-1", "US API Sandbox, Cloud 1", "https://rest.sandbox.na.zuora.com", False),
        Environment("us-sandbox-2", "US API Sandbox, Cloud 2", "https://rest.apisandbox.zuora.com", False),
        Environment("us-prod-1", "US Production, Cloud 1", "https://rest.na.zuora.com", True),
        Environment("us-prod-2", "US Production, Cloud 2", "https://rest.zuora.com", True),
        Environment("eu-test", "EU Developer & Central Sandbox", "https://rest.test.eu.zuora.com", False),
        Environment("eu-sandbox", "EU API Sandbox", "https://rest.sandbox.eu.zuora.com", False),
        Environment("eu-prod", "EU Production", "https://rest.eu.zuora.com", True),
        Environment("apac-test", "APAC Developer & Central Sandbox", "https://rest.test.ap.zuora.com", False),
        Environment("apac-prod", "APAC Production", "https://rest.ap.zuora.com", True),
    )
}


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def environment_for(base_url: str) -> Environment | None:
    for env in ENVIRONMENTS.values():
        if env.base_url == base_url:
            return env
    return None


def environment_name(base_url: str, label: str = "") -> str:
    """ "US Production, Cloud 2 (https://rest.zuora.com)", the profile's label, or the URL
    (the CLI's confirmations and reports and the TUI's confirmation modal say it the same way)."""
    env = environment_for(base_url)
    name = env.label if env is not None else label.strip()
    return f"{name} ({base_url})" if name and name != base_url else base_url


def resolve_base_url(env: str | None = None, base_url: str | None = None) -> str:
    """Return a validated base URL from an environment name or a URL (URL wins)."""
    if base_url:
        return validate_base_url(base_url)
    if env:
        key = env.strip().lower()
        if key not in ENVIRONMENTS:
            names = ", ".join(ENVIRONMENTS)
            raise ConfigError(f"Unknown environment {env!r}. Known environments: {names}.")
        return ENVIRONMENTS[key].base_url
    raise ConfigError(
        "No Zuora base URL configured: pass --env NAME or --base-url URL, set ZUORA_BASE_URL, "
        "or choose a profile (zwr config path shows where profiles live). Try `zwr demo` for the simulator."
    )


_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")


def _valid_host(host: str) -> str:
    """The host in the form httpx will send (IDNA A-labels), or ``ConfigError`` saying what is wrong.

    Checked here, at the edge, because httpx only finds a malformed name (``xn--.com``, ``a..b``)
    when the first request is built, deep inside the client, where it would be a traceback.
    """
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    name = host.lower()
    if not name.isascii() or any(label.startswith("xn--") for label in name.split(".")):
        import idna  # httpx's own IDNA library: what it accepts, we accept

        try:
            name = idna.encode(idna.decode(name)).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError) as exc:
            raise ConfigError(f"Base URL host {host!r} is not a valid internationalised domain name ({exc}).") from None
    labels = name[:-1].split(".") if name.endswith(".") else name.split(".")
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ConfigError(
            f"Base URL host {host!r} is not a valid host name: each dot-separated part must be 1-63 letters, "
            "digits or hyphens, not starting or ending with a hyphen."
        )
    return name


def validate_base_url(url: str) -> str:
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"Base URL {url!r} is not a valid URL ({exc}).") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(f"Base URL {url!r} must look like https://rest.zuora.com.")
    if parts.username or parts.password:
        raise ConfigError("Base URL must not contain a user name or password.")
    if parts.query or parts.fragment:
        raise ConfigError("Base URL must not contain a query (?) or fragment (#).")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(
            f"Refusing plain http:// for {parts.hostname}: credentials would travel unencrypted. "
            "Use https:// (plain http is allowed only for 127.0.0.1/localhost, i.e. the simulator)."
        )
    host = _valid_host(parts.hostname)
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{port}" if port else "")
    path = parts.path.rstrip("/")
    return f"{parts.scheme}://{netloc}{path}"


def origin(url: str) -> tuple[str, str, int]:
    """Scheme, host and effective port: two URLs may share a token only if these match."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return (parts.scheme.lower(), (parts.hostname or "").lower(), port)
