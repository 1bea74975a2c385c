"""``zwr bookmarks``, ``zwr auth`` and secrets as people and scripts supply them.

Bookmarks and ``auth status`` run in-process (they are local and fast); what needs a real
terminal-less process or the simulator runs the installed ``zwr``.
"""

import json

import pytest

from tests.conftest import cli_env, run_zwr
from tui.cli.main import main
from tui.core.errors import ConfigError
from tui.core.secret import Secret
from tui.store import paths
from tui.store.bookmarks import Bookmark, BookmarkStore
from tui.store.connection import Options, resolve
from tui.store.credentials import KeyringStore, keyring_timeout


def zwr(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


# ----------------------------------------------------------------------------- bookmarks


def test_bookmarks_say_what_changed_and_exit_6_when_there_is_nothing(capsys):
    assert zwr(capsys, "bookmarks", "list") == (0, "No bookmarks in profile default.\n", "")
    code, out, _ = zwr(capsys, "bookmarks", "add", "19063", "--label", "nightly")
    assert code == 0 and out == "Bookmarked run 19063 as 'nightly' in profile default.\n"
    code, out, _ = zwr(capsys, "--profile", "default", "bookmarks", "add", "19063", "--note", "n")
    assert code == 0 and out == "Updated the bookmark of run 19063 in profile default.\n"
    code, out, _ = zwr(capsys, "bookmarks", "--profile", "default")  # no action: list
    assert code == 0 and out.splitlines() == ["Bookmarks in profile default (1):", "       19063  nightly  — n"]
    before = paths.bookmarks_file(None).read_bytes()
    code, out, err = zwr(capsys, "bookmarks", "remove", "11111")
    assert (code, out) == (6, "") and err == "error: run 11111 is not bookmarked in profile default; nothing changed.\n"
    code, _, err = zwr(capsys, "bookmarks", "rename", "11111", "x")
    assert code == 6 and "not bookmarked" in err
    assert paths.bookmarks_file(None).read_bytes() == before  # nothing was rewritten
    code, out, _ = zwr(capsys, "bookmarks", "rename", "19063", "invoices")
    assert code == 0 and out == "Renamed the bookmark of run 19063 to 'invoices' in profile default.\n"
    code, out, _ = zwr(capsys, "bookmarks", "remove", "19063")
    assert code == 0 and out == "Removed the bookmark of run 19063 from profile default.\n"
    assert zwr(capsys, "bookmarks", "list")[1] == "No bookmarks in profile default.\n"


def test_bookmarks_of_a_named_profile_and_an_unknown_one(capsys):
    paths.config_file().parent.mkdir(parents=True)
    paths.config_file().write_text('[profiles.prod]\nenv = "us-prod-2"\n')
    assert zwr(capsys, "bookmarks", "add", "5", "--profile", "prod")[1] == "Bookmarked run 5 in profile prod.\n"
    assert "Bookmarks in profile prod (1):" in zwr(capsys, "--profile", "prod", "bookmarks", "list")[1]
    assert zwr(capsys, "bookmarks", "list")[1] == "No bookmarks in profile default.\n"
    code, _, err = zwr(capsys, "--profile", "nope", "bookmarks", "list")
    assert code == 3 and "No profile named 'nope'" in err


DEEP = "[" * 200_000 + "]" * 200_000


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("5", "not a bookmarks export"),
        ("null", "not a bookmarks export"),
        ('{"bookmarks": 5}', "not a bookmarks export"),
        ('"19063"', "not a bookmarks export"),
        ("{not json", "not valid JSON"),
        (DEEP, "nested too deeply"),
        ('{"bookmarks": ' + DEEP + "}", "nested too deeply"),
    ],
)
def test_bookmarks_import_of_a_non_export_is_exit_2_and_loses_nothing(capsys, tmp_path, content, says):
    zwr(capsys, "bookmarks", "add", "19063", "--label", "keep me")
    saved = paths.bookmarks_file(None).read_bytes()
    source = tmp_path / "import.json"
    source.write_text(content)
    code, out, err = zwr(capsys, "bookmarks", "import", str(source))
    assert code == 2 and out == "" and says in err and err.count("\n") == 1
    assert paths.bookmarks_file(None).read_bytes() == saved


def test_bookmarks_import_missing_file(capsys, tmp_path):
    code, _, err = zwr(capsys, "bookmarks", "import", str(tmp_path / "nope.json"))
    assert code == 2 and "Cannot read" in err


def test_bookmarks_file_nested_deep_is_set_aside_not_a_crash(capsys):
    path = paths.bookmarks_file(None)
    path.parent.mkdir(parents=True)
    path.write_text('{"version": 1, "bookmarks": [{"run_id": 7}, ' + DEEP + "]}")
    code, out, err = zwr(capsys, "bookmarks", "list")
    assert code == 0 and "19063" not in out and "damaged" in err and "nested too deeply" in err
    assert list(path.parent.glob(path.name + ".corrupt-*"))


@pytest.mark.parametrize("value", ["²", "١٢", "9" * 5000, str(2**63), 2**63, 0, -1, True, "12a", " 12"])
def test_bookmark_run_ids_from_files_are_ascii_and_in_range(value):
    assert Bookmark.from_json({"run_id": value}) is None


def test_bookmark_run_id_as_text_is_kept():
    assert Bookmark.from_json({"run_id": "19063"}).run_id == 19063


def test_store_remove_missing_ok_default_keeps_the_ui_contract(tmp_path):
    store = BookmarkStore("x", path=tmp_path / "b.json")
    assert store.remove(1) == [] and store.rename(1, "y") == []


# ----------------------------------------------------------------------------- auth


def test_auth_login_checks_the_keyring_before_asking_anything(sim):
    """No secure keyring (the test tripwire backend): refused before a prompt, nothing sent."""
    env = cli_env(sim)
    env.pop("ZUORA_BEARER_TOKEN")
    out = run_zwr("auth", "login", "--profile", "p", "--base-url", sim.base_url, env=env, input="x\ny\n")
    assert out.returncode == 3 and "No secure keyring" in out.stderr and "nothing was asked" in out.stderr
    assert "client ID" not in out.stdout + out.stderr.split("No secure keyring")[0]
    assert sim.requests == []


def test_auth_login_without_a_terminal_is_a_clear_error(sim, isolated_env):
    env = cli_env(sim)
    env.pop("ZUORA_BEARER_TOKEN")
    login = ("auth", "login", "--profile", "p", "--base-url", sim.base_url, "--insecure-storage")
    out = run_zwr(*login, env=env, input="")
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert "No terminal to ask for the client secret" in out.stderr and "--client-secret-stdin" in out.stderr
    out = run_zwr(*login, "--client-secret-stdin", env=env, input=sim.client_secret + "\n")
    assert out.returncode == 2 and "--client-id is required" in out.stderr
    out = run_zwr(*login, "--client-secret-stdin", "--client-id", sim.client_id, env=env, input="")
    assert out.returncode == 3 and "client secret read from stdin is empty" in out.stderr
    assert "Traceback" not in out.stderr and sim.requests == []
    assert not (isolated_env / "config" / "config.toml").exists()


def test_auth_status_shows_the_base_url_in_effect_and_no_keyring_warning_with_env_credentials(capsys, monkeypatch):
    paths.config_file().parent.mkdir(parents=True)
    paths.config_file().write_text('default_profile = "sb"\n[profiles.sb]\nenv = "us-sandbox-2"\nclient_id = "cid"\n')
    code, out, _ = zwr(capsys, "auth", "status")
    assert code == 0
    assert "Base URL:      https://rest.apisandbox.zuora.com — from profile 'sb' (env us-sandbox-2)" in out
    assert "No secure keyring is usable" in out  # credentials would come from the keyring
    monkeypatch.setenv("ZUORA_BASE_URL", "https://rest.test.zuora.com")
    monkeypatch.setenv("ZUORA_BEARER_TOKEN", "tok-from-env\n")
    code, out, _ = zwr(capsys, "auth", "status")
    assert "Base URL:      https://rest.test.zuora.com — from environment (ZUORA_BASE_URL)" in out
    assert "Credentials:   environment (ZUORA_BEARER_TOKEN)" in out and "ZUORA_BEARER_TOKEN=set" in out
    assert "No secure keyring" not in out and "tok-from-env" not in out
    code, out, _ = zwr(capsys, "--env", "eu-sandbox", "auth", "status", "--json")
    report = json.loads(out)
    assert report["effective"]["base_url"] == "https://rest.sandbox.eu.zuora.com"
    assert report["effective"]["base_url_source"] == "command line (--env eu-sandbox)"
    assert report["profiles"][0]["secret_source"] == "environment (ZUORA_BEARER_TOKEN)"


def test_keyring_timeout_setting_is_validated(capsys, monkeypatch):
    assert keyring_timeout({}) == 5.0 and keyring_timeout({"ZWR_KEYRING_TIMEOUT": " 2.5 "}) == 2.5
    for bad in ("abc", "nan", "inf", "0", "-1", "1e9"):
        with pytest.raises(ConfigError, match="ZWR_KEYRING_TIMEOUT must be"):
            keyring_timeout({"ZWR_KEYRING_TIMEOUT": bad})
    monkeypatch.setenv("ZWR_KEYRING_TIMEOUT", "abc")
    code, _, err = zwr(capsys, "auth", "login", "--env", "us-test")
    assert code == 3 and "ZWR_KEYRING_TIMEOUT must be" in err
    code, out, _ = zwr(capsys, "auth", "status")
    assert code == 0 and "Keyring:       not usable: ZWR_KEYRING_TIMEOUT" in out


# ----------------------------------------------------------------------------- secrets as supplied


def test_bearer_token_with_a_trailing_newline_just_works(sim):
    out = run_zwr("get", "19063", env=cli_env(sim, ZUORA_BEARER_TOKEN=sim.demo_token + "\n"))
    assert out.returncode == 0, out.stderr
    assert sim.requests[0].authorization == f"Bearer {sim.demo_token}"


def test_ask_token_from_stdin_is_trimmed(sim):
    env = cli_env(sim)
    env.pop("ZUORA_BEARER_TOKEN")
    out = run_zwr("--ask-token", "get", "19063", env=env, input=f"  {sim.demo_token}  \n")
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("ZUORA_BEARER_TOKEN", "tok\x1b[31men", "ZUORA_BEARER_TOKEN contains a control character"),
        ("ZUORA_BEARER_TOKEN", "tok\nen", "ZUORA_BEARER_TOKEN contains a control character"),
        ("ZUORA_BEARER_TOKEN", "Bearer token", "ZUORA_BEARER_TOKEN contains a space"),
        ("ZUORA_BEARER_TOKEN", "tökén", "ZUORA_BEARER_TOKEN contains a non-ASCII character"),
        ("ZUORA_CLIENT_SECRET", "sec\x07ret", "ZUORA_CLIENT_SECRET contains a control character"),
    ],
)
def test_a_secret_with_a_control_character_is_refused_before_any_request(sim, variable, value, says):
    env = cli_env(sim, ZUORA_CLIENT_ID=sim.client_id)
    env.pop("ZUORA_BEARER_TOKEN")
    env[variable] = value
    out = run_zwr("get", "19063", env=env)
    assert out.returncode == 3 and says in out.stderr
    assert value.strip() not in out.stderr and sim.requests == []


def test_secrets_are_trimmed_wherever_they_come_from(memory_keyring):
    conn = resolve(Options(env="us-test"), {"ZUORA_CLIENT_ID": " cid \n", "ZUORA_CLIENT_SECRET": "\tsec-ret \n"})
    assert conn.auth.client_id == "cid" and repr(conn.auth) == "OAuthClientCredentials(client_id='cid', secret=****)"
    store = KeyringStore(memory_keyring, timeout=3)
    memory_keyring.store[("zwr:rest.zuora.com", "cid")] = "  stored-secret\n"
    assert store.get("https://rest.zuora.com", "cid") == Secret("stored-secret")
    memory_keyring.store[("zwr:rest.zuora.com", "cid")] = "stored\x1bsecret"
    with pytest.raises(ConfigError, match=r"keyring entry zwr:rest.zuora.com / cid contains a control character"):
        store.get("https://rest.zuora.com", "cid")
    assert resolve(
        Options(env="us-test"), {"ZUORA_BEARER_TOKEN": " \n", "ZUORA_CLIENT_SECRET": "s", "ZUORA_CLIENT_ID": "c"}
    )
