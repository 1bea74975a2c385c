"""Shared fixtures. Every test runs with its own config/data dirs, a keyring tripwire and a
truecolor terminal environment (the same colour system for every app in the process).

The tripwire: ``PYTHON_KEYRING_BACKEND`` points at keyring's fail backend and the in-process
keyring is reset to it, so any accidental use of the developer's real keyring errors out.
Tests that need a keyring install an in-memory one (``memory_keyring``) or start a real
Secret Service (``secret_service`` in test_keyring_service.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tui.sim import Simulator

# `--hypothesis-profile=mutation` (bench/mutation.md): mutmut traces every call while it maps
# tests to functions, so generation is slow there; the same examples every run (derandomize)
settings.register_profile("mutation", suppress_health_check=list(HealthCheck), deadline=None, derandomize=True)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith(("ZUORA_", "ZWR_")):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("ZWR_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("ZWR_DATA_DIR", str(tmp_path / "data"))
    for xdg in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(xdg, str(tmp_path / xdg.lower()))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("ZWR_KEYRING_TIMEOUT", "3")
    monkeypatch.setenv("TZ", "UTC")  # local times in snapshots must not depend on the machine
    # One colour system for every app in the test process, whatever the developer's or CI's TERM.
    # Textual caches a style's ANSI codes on the shared ``rich.style.Style`` object itself
    # (``Strip.render_ansi`` sets ``style._ansi``; ``Strip.render_style`` reuses it for any colour
    # system), and Rich/Textual lru_caches hand the same Style objects to every later app. So an app
    # drawn in 16 colours (TERM=xterm, no COLORTERM) makes a later truecolor app draw those styles in
    # 16 colours too: a cursor row bg #fea62b came out as ANSI brightred in the next test's terminal.
    monkeypatch.setenv("COLORTERM", "truecolor")
    monkeypatch.delenv("NO_COLOR", raising=False)
    import time as _time

    _time.tzset()
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    from tui.store import credentials

    credentials._default_store = None
    yield tmp_path


@pytest.fixture
def sim():
    with Simulator() as simulator:
        yield simulator


@pytest.fixture
def memory_keyring():
    """A real keyring backend class (in memory), marked secure as Secret Service would be."""
    import keyring

    from tests.memkeyring import MemoryKeyring

    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    from tui.store import credentials

    credentials._default_store = None
    yield backend


def cli_env(sim: Simulator | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZUORA_",))}
    if sim is not None:
        env["ZUORA_BASE_URL"] = sim.base_url
        env["ZUORA_BEARER_TOKEN"] = sim.demo_token or ""
    env.update(extra)
    env.setdefault("NO_COLOR", "1")
    return env


def run_zwr(*args: str, env: dict[str, str], input: str | None = None, timeout: float = 60):
    import subprocess

    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        env=env,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
