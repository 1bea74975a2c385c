"""Start a private D-Bus session bus and gnome-keyring-daemon for one test, like dbus-run-session.

Nothing touches the developer's own session: HOME, XDG dirs and the bus are all temporary.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest


def start_secret_service(root: Path, *, unlock: bool = True) -> tuple[dict[str, str], list[int]]:
    for tool in ("dbus-daemon", "gnome-keyring-daemon"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: the README test command installs dbus and gnome-keyring")
    home = root / "kr-home"
    runtime = root / "kr-run"
    for d in (home, runtime):
        d.mkdir(parents=True, exist_ok=True)
        d.chmod(0o700)
    env = dict(
        os.environ,
        HOME=str(home),
        XDG_RUNTIME_DIR=str(runtime),
        XDG_DATA_HOME=str(home / ".local/share"),
        XDG_CONFIG_HOME=str(home / ".config"),
    )
    env.pop("PYTHON_KEYRING_BACKEND", None)
    out = subprocess.run(
        ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=20,
        check=True,
    ).stdout.split()
    address, dbus_pid = out[0], int(out[1])
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    args = ["gnome-keyring-daemon", "--components=secrets"]
    args.append("--unlock" if unlock else "--daemonize")
    proc = subprocess.run(
        args, input="test-password" if unlock else None, capture_output=True, text=True, env=env, timeout=20
    )
    pids = [dbus_pid]
    for line in proc.stdout.splitlines():
        if line.startswith("GNOME_KEYRING_PID="):
            pids.append(int(line.split("=", 1)[1]))
        if "=" in line:
            key, value = line.split("=", 1)
            env[key] = value
    time.sleep(0.3)
    return env, pids


def stop(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
