"""Secrets (client secret, bearer tokens) never appear in logs, messages, tracebacks, screenshots or files."""

import io
import logging

import pytest
from rich.console import Console
from rich.traceback import Traceback

from tests.conftest import cli_env, run_zwr
from tests.uihelpers import wait_for
from tui.core.auth import OAuthClientCredentials
from tui.core.client import ClientSettings, ZuoraClient
from tui.core.errors import ZwrError
from tui.sim import Simulator
from tui.store.connection import Connection

SECRET = "client-secret-Zq8X2-do-not-leak"


@pytest.fixture
def secret_sim():
    with Simulator(client_secret=SECRET, token_ttl=3599) as sim:
        yield sim


def secrets_of(sim):
    return [SECRET, *sim.tokens]


async def test_debug_logs_hold_no_secret_even_without_the_redacting_filter(secret_sim, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    auth = OAuthClientCredentials(secret_sim.client_id, SECRET)
    async with ZuoraClient(ClientSettings(secret_sim.base_url), auth) as client:
        await client.get_run(19063)
        secret_sim.expire_tokens()
        await client.get_run(19063)  # 401 -> renewal -> retry
        with pytest.raises(ZwrError):
            await client.get_run(424242)
    bad = OAuthClientCredentials(secret_sim.client_id, SECRET + "-wrong")
    async with ZuoraClient(ClientSettings(secret_sim.base_url), bad) as client:
        with pytest.raises(ZwrError) as info:
            await client.get_run(19063)
    assert len(secret_sim.tokens) == 2 and len(caplog.records) > 5
    everything = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records) + info.value.describe()
    for secret in secrets_of(secret_sim):
        assert secret not in everything
    assert SECRET not in str(info.value) + repr(info.value.to_dict())


def test_cli_debug_output_has_no_secret(secret_sim):
    env = cli_env(secret_sim, ZUORA_CLIENT_ID=secret_sim.client_id, ZUORA_CLIENT_SECRET=SECRET)
    del env["ZUORA_BEARER_TOKEN"]
    out = run_zwr("get", "19063", "--debug", env=env)
    assert out.returncode == 0 and "DEBUG" in out.stderr
    for secret in secrets_of(secret_sim):
        assert secret not in out.stdout + out.stderr


async def test_traceback_with_locals_masks_secrets(secret_sim):
    auth = OAuthClientCredentials(secret_sim.client_id, SECRET)
    async with ZuoraClient(ClientSettings(secret_sim.base_url), auth) as client:
        token = await auth.token(client)

        def crash(client=client, auth=auth, token=token):
            raise RuntimeError("boom")

        try:
            crash()
        except RuntimeError as exc:
            tb = Traceback.from_exception(type(exc), exc, exc.__traceback__, show_locals=True)
    console = Console(file=io.StringIO(), width=200)
    console.print(tb)
    rendered = console.file.getvalue()
    assert "Secret('****')" in rendered or "****" in rendered
    for secret in secrets_of(secret_sim):
        assert secret not in rendered


async def test_screenshots_and_files_hold_no_secret(secret_sim, isolated_env):
    from tui.ui.app import ZwrApp

    auth = OAuthClientCredentials(secret_sim.client_id, SECRET)
    connection = Connection(base_url=secret_sim.base_url, auth=auth, auth_source="test", profile="p", label="Sim")
    app = ZwrApp(connection, run_ids=[19063, 19066], interval=0.3, bell=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: len(app.updates) == 2, pilot=pilot)
        await pilot.press("b", "C")
        await pilot.pause(0.3)
        svg = app.export_screenshot()
        clipboard = app.clipboard
        detail = repr(app.connection) + repr(app.client) + repr(auth)
    for secret in secrets_of(secret_sim):
        assert secret not in svg and secret not in clipboard and secret not in detail
    for path in isolated_env.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            for secret in secrets_of(secret_sim):
                assert secret.encode() not in content, path
