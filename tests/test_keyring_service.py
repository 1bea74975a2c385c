"""Credentials against a real Secret Service (gnome-keyring on a private D-Bus), through the CLI."""

import time

import pytest

from tests.conftest import cli_env, run_zwr
from tests.secretservice import start_secret_service, stop

pytestmark = pytest.mark.keyring_service


@pytest.fixture
def service(tmp_path):
    env, pids = start_secret_service(tmp_path)
    yield env
    stop(pids)


def zwr_env(service, sim=None, **extra):
    env = dict(service)
    env.update({k: v for k, v in cli_env(sim).items() if k.startswith(("ZUORA_", "ZWR_", "NO_COLOR"))})
    env.pop("ZUORA_BEARER_TOKEN", None)
    env.update(extra)
    return env


def files_containing(root, needle: str) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and "kr-home" not in path.parts:
            try:
                if needle.encode() in path.read_bytes():
                    found.append(str(path))
            except OSError:
                pass
    return found


def test_login_status_use_logout_with_a_real_secret_service(service, sim, tmp_path):
    env = zwr_env(service, sim)
    env.pop("ZUORA_BASE_URL")
    insecure = run_zwr(
        "auth",
        "login",
        "--profile",
        "sim",
        "--base-url",
        sim.base_url,
        "--client-id",
        sim.client_id,
        "--client-secret-stdin",
        "--insecure-storage",
        env=env,
        input=sim.client_secret + "\n",
    )
    assert insecure.returncode == 2 and "A secure keyring is available" in insecure.stderr
    assert sim.requests == [] and files_containing(tmp_path, sim.client_secret) == []
    login = run_zwr(
        "auth",
        "login",
        "--profile",
        "sim",
        "--base-url",
        sim.base_url,
        "--client-id",
        sim.client_id,
        "--client-secret-stdin",
        env=env,
        input=sim.client_secret + "\n",
    )
    assert login.returncode == 0, login.stderr
    assert "Verified" in login.stdout and "keyring" in login.stdout
    assert len(sim.requests_to("/oauth/token")) == 1  # verified before saving
    # the secret went to the keyring, not to any file of ours
    assert files_containing(tmp_path, sim.client_secret) == []

    status = run_zwr("auth", "status", "--json", env=env)
    assert status.returncode == 0, status.stderr
    import json

    report = json.loads(status.stdout)
    assert report["keyring"]["security"] == "secure" and "SecretService" in report["keyring"]["backend"]
    profile = report["profiles"][0]
    assert profile["secret_source"] == "keyring" and profile["secret_fingerprint"].startswith("sha256:")
    assert sim.client_secret not in status.stdout

    got = run_zwr("get", "19063", "--profile", "sim", env=env)
    assert got.returncode == 0, got.stderr
    assert len(sim.requests_to("/oauth/token")) == 2  # OAuth with the stored secret

    logout = run_zwr("auth", "logout", "--profile", "sim", env=env)
    assert logout.returncode == 0 and "Removed" in logout.stdout
    after = run_zwr("get", "19063", "--profile", "sim", env=env)
    assert after.returncode == 3 and "zwr auth login" in after.stderr


def test_locked_collection_clear_message_no_hang_nothing_written(tmp_path, sim):
    env, pids = start_secret_service(tmp_path, unlock=False)
    try:
        env = zwr_env(env, sim, ZWR_KEYRING_TIMEOUT="3")
        env.pop("ZUORA_BASE_URL")
        started = time.monotonic()
        out = run_zwr(
            "auth",
            "login",
            "--profile",
            "p",
            "--base-url",
            sim.base_url,
            "--client-id",
            sim.client_id,
            "--client-secret-stdin",
            env=env,
            input=sim.client_secret + "\n",
            timeout=60,
        )
        elapsed = time.monotonic() - started
    finally:
        stop(pids)
    assert out.returncode == 3, (out.stdout, out.stderr)
    assert "keyring" in out.stderr.lower() and "Alternatives" in out.stderr
    assert elapsed < 30
    assert files_containing(tmp_path, sim.client_secret) == []
    assert sim.requests == []  # the locked keyring was found before the secret was read or verified


def test_no_backend_at_all_clear_message_nothing_written(tmp_path, sim):
    env = zwr_env({}, sim, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    env = {**cli_env(sim), **env}
    env.pop("ZUORA_BASE_URL")
    env.pop("ZUORA_BEARER_TOKEN", None)
    out = run_zwr(
        "auth",
        "login",
        "--profile",
        "p",
        "--base-url",
        sim.base_url,
        "--client-id",
        sim.client_id,
        "--client-secret-stdin",
        env=env,
        input=sim.client_secret + "\n",
    )
    assert out.returncode == 3 and "No secure keyring" in out.stderr and "ZUORA_CLIENT_SECRET" in out.stderr
    assert files_containing(tmp_path, sim.client_secret) == []
    assert sim.requests == []  # refused before asking Zuora


def test_insecure_storage_is_an_explicit_opt_in(tmp_path, sim):
    env = {**cli_env(sim), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    env.pop("ZUORA_BASE_URL")
    env.pop("ZUORA_BEARER_TOKEN")
    out = run_zwr(
        "auth",
        "login",
        "--profile",
        "p",
        "--base-url",
        sim.base_url,
        "--client-id",
        sim.client_id,
        "--client-secret-stdin",
        "--insecure-storage",
        env=env,
        input=sim.client_secret + "\n",
    )
    assert out.returncode == 0, out.stderr
    assert "WARNING" in out.stderr and "plain text" in out.stderr
    secrets_file = next((tmp_path / "config").glob("secrets-insecure.json"))
    assert secrets_file.stat().st_mode & 0o777 == 0o600
    got = run_zwr("get", "19063", "--profile", "p", env=env)
    assert got.returncode == 0 and "WARNING" in got.stderr  # warned on every use
