"""Config, profiles, precedence, keyring handling and durable bookmarks."""

import errno
import json
import os
import signal
import stat
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, cli_env, run_zwr
from tui.core.errors import ConfigError
from tui.core.secret import Secret
from tui.store import paths
from tui.store.bookmarks import BookmarkStore, HistoryStore, StoreError
from tui.store.config import Config, Profile, load_config, save_config
from tui.store.connection import Options, resolve
from tui.store.credentials import KeyringStore, KeyringUnavailable, _classify, service_name

# ---------------------------------------------------------------------------- config and precedence


def test_config_round_trip_keeps_unknown_keys():
    path = paths.config_file()
    path.parent.mkdir(parents=True)
    path.write_text(
        'future_key = 1\ndefault_profile = "sb"\n[ui]\ninterval = 10\n'
        '[profiles.sb]\nenv = "us-sandbox-2"\nclient_id = "abc"\nfancy = "x"\n'
    )
    cfg = load_config()
    assert cfg.profile(None).client_id == "abc" and cfg.ui_setting("interval", 5.0) == 10
    save_config(cfg.with_profile(Profile("prod", env="us-prod-2", production=True)))
    again = load_config()
    assert again.extra["future_key"] == 1 and again.profiles["sb"].extra == {"fancy": "x"}
    assert again.profiles["prod"].production and again.default_profile == "sb"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_allow_write_is_off_unless_a_profile_says_true(isolated_env):
    """Issue 15: writes to Zuora are off for every profile unless it says ``allow_write = true``."""
    path = paths.config_file()
    path.parent.mkdir(parents=True)
    path.write_text('[profiles.ro]\nenv = "us-prod-2"\n[profiles.rw]\nenv = "us-test"\nallow_write = true\n')
    cfg = load_config()
    env = {"ZUORA_BEARER_TOKEN": "t"}
    assert not resolve(Options(), env, profile=cfg.profiles["ro"]).allow_write
    assert resolve(Options(), env, profile=cfg.profiles["rw"]).allow_write
    assert not resolve(Options(base_url="https://rest.zuora.com"), env).allow_write  # no profile: read-only
    save_config(cfg.with_profile(Profile("new", env="us-test")))
    again = load_config()
    assert again.profiles["rw"].allow_write and "allow_write" not in path.read_text().split("[profiles.new]")[1]
    path.write_text('[profiles.odd]\nenv = "us-test"\nallow_write = "yes"\n')
    odd = load_config()
    assert odd.profiles == {} and "allow_write must be true or false" in odd.warning


def test_invalid_config_is_backed_up_and_defaults_used():
    path = paths.config_file()
    path.parent.mkdir(parents=True)
    path.write_text("this is [not toml")
    cfg = load_config()
    assert cfg.profiles == {} and "invalid" in cfg.warning
    assert list(path.parent.glob("config.toml.corrupt-*"))


def test_unknown_profile_is_a_clear_error():
    with pytest.raises(ConfigError, match="No profile named 'nope'"):
        Config().profile("nope")


def test_precedence_options_over_env_over_profile():
    profile = Profile("p", env="eu-sandbox", client_id="cid", entity_ids="E1", org_ids="O1")
    env = {"ZUORA_BASE_URL": "https://rest.zuora.com", "ZUORA_ENTITY_IDS": "E2", "ZUORA_BEARER_TOKEN": "t"}
    conn = resolve(Options(entity_ids="E3"), env, profile=profile)
    assert conn.base_url == "https://rest.zuora.com" and conn.entity_ids == "E3" and conn.org_ids == "O1"
    assert conn.sources["entity_ids"] == "command line" and conn.sources["org_ids"] == "profile"
    assert conn.sources["base_url"] == "environment (ZUORA_BASE_URL)" and conn.production  # us-prod-2 host
    conn = resolve(Options(env="us-test"), env, profile=profile)
    assert conn.base_url == "https://rest.test.zuora.com" and conn.entity_ids == "E2"
    conn = resolve(Options(), {"ZUORA_BEARER_TOKEN": "t"}, profile=profile)
    assert conn.base_url == "https://rest.sandbox.eu.zuora.com"


def test_keyring_only_consulted_without_env_secret():
    calls = []
    profile = Profile("p", env="us-test", client_id="cid")

    def lookup(base_url, client_id):
        calls.append((base_url, client_id))
        return Secret("from-keyring")

    conn = resolve(Options(), {"ZUORA_CLIENT_SECRET": "env-secret"}, profile=profile, secret_lookup=lookup)
    assert calls == [] and conn.auth_source.startswith("environment")
    conn = resolve(Options(), {}, profile=profile, secret_lookup=lookup)
    assert calls == [("https://rest.test.zuora.com", "cid")] and conn.auth_source == "keyring"


def test_missing_credentials_message():
    with pytest.raises(ConfigError, match="No Zuora credentials"):
        resolve(Options(env="us-test"), {})


def test_config_path_lists_every_location(isolated_env):
    out = run_zwr("config", "path", env=cli_env())
    assert out.returncode == 0
    for fragment in ("config.toml", "bookmarks-default.json", "history-default.json", str(isolated_env / "data")):
        assert fragment in out.stdout


# ---------------------------------------------------------------------------- keyring


def test_backend_classification(memory_keyring):
    from keyring.backends import fail, null

    assert _classify(memory_keyring) == "secure"
    assert _classify(fail.Keyring()) == "none" and _classify(null.Keyring()) == "none"
    plaintext = type("PlaintextKeyring", (), {"__module__": "keyrings.alt.file"})()
    assert _classify(plaintext) == "insecure"


def test_memory_keyring_round_trip(memory_keyring):
    store = KeyringStore(memory_keyring)
    store.set("https://rest.zuora.com", "cid", Secret("s3cret-value"))
    assert memory_keyring.store[("zwr:rest.zuora.com", "cid")] == "s3cret-value"
    assert store.get("https://rest.zuora.com", "cid").reveal() == "s3cret-value"
    assert store.delete("https://rest.zuora.com", "cid") and store.get("https://rest.zuora.com", "cid") is None


def test_insecure_backend_refused():
    plaintext = type("PlaintextKeyring", (), {"__module__": "keyrings.alt.file", "get_password": lambda *a: "x"})()
    with pytest.raises(KeyringUnavailable, match="not secure"):
        KeyringStore(plaintext).get("https://rest.zuora.com", "cid")


def test_hanging_keyring_times_out_once_then_is_disabled(memory_keyring):
    memory_keyring.get_password = lambda *a: time.sleep(30)
    store = KeyringStore(memory_keyring, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(KeyringUnavailable, match="did not answer"):
        store.get("https://rest.zuora.com", "cid")
    assert time.monotonic() - started < 2
    started = time.monotonic()
    with pytest.raises(KeyringUnavailable):
        store.get("https://rest.zuora.com", "cid")
    assert time.monotonic() - started < 0.1  # marked unusable: no second wait


def test_service_name():
    assert service_name("https://rest.eu.zuora.com") == "zwr:rest.eu.zuora.com"


def test_secret_never_in_repr_str_format():
    s = Secret("hunter2-very-secret")
    assert "hunter2" not in repr(s) + str(s) + f"{s}" + repr([s]) + repr({"k": s})
    assert s.fingerprint().startswith("sha256:") and "hunter2" not in s.fingerprint()


# ---------------------------------------------------------------------------- bookmarks


def test_bookmarks_add_rename_remove_and_unknown_fields_kept():
    store = BookmarkStore("p")
    store.path.parent.mkdir(parents=True, exist_ok=True)
    store.path.write_text(
        json.dumps(
            {
                "version": 9,
                "sync": {"x": 1},
                "bookmarks": [{"run_id": 1, "label": "one", "color": "red"}, "garbage-entry"],
            }
        )
    )
    store.add(2, "two")
    store.rename(1, "uno")
    data = json.loads(store.path.read_text())
    assert data["sync"] == {"x": 1} and "garbage-entry" in data["bookmarks"]
    first = next(b for b in data["bookmarks"] if isinstance(b, dict) and b["run_id"] == 1)
    assert first["color"] == "red" and first["label"] == "uno"
    store.remove(2)
    assert [b.run_id for b in store.list()] == [1]
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700


def test_corrupt_file_backed_up_and_ids_salvaged():
    store = BookmarkStore("p")
    store.path.parent.mkdir(parents=True, exist_ok=True)
    store.path.write_text('{"bookmarks": [{"run_id": 19063, "label": "x"}, {"run_id": 19064, "lab')
    items = store.list()
    assert [b.run_id for b in items] == [19063, 19064] and "damaged" in store.warnings[0]
    backups = list(store.path.parent.glob("bookmarks-p.json.corrupt-*"))
    assert len(backups) == 1 and "19064" in backups[0].read_text()


def test_history_bounded_newest_first():
    store = HistoryStore("p")
    for n in range(1, 260, 10):
        store.touch(list(range(n, n + 10)))
    items = store.list()
    assert len(items) == 200 and items[0].run_id == 251


ADDER = """
import sys
from tui.store.bookmarks import BookmarkStore
store = BookmarkStore("p")
for i in range(int(sys.argv[1]), int(sys.argv[1]) + 40):
    store.add(i, f"label {i}")
"""


def test_two_processes_adding_in_parallel_lose_nothing():
    procs = [
        subprocess.Popen([sys.executable, "-c", ADDER, str(start)], cwd=ROOT, env=os.environ.copy())
        for start in (1000, 2000)
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    ids = {b.run_id for b in BookmarkStore("p").list()}
    assert ids == set(range(1000, 1040)) | set(range(2000, 2040))


WRITER = """
import sys
from tui.store.bookmarks import BookmarkStore
store = BookmarkStore("p")
i = 0
while True:
    i += 1
    store.add(100000 + i, "x" * 2000)
"""


def test_killed_mid_write_leaves_old_or_new_never_broken():
    store = BookmarkStore("p")
    store.add(1, "keep me")
    for _ in range(5):
        proc = subprocess.Popen([sys.executable, "-c", WRITER], cwd=ROOT, env=os.environ.copy())
        time.sleep(0.4)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        data = json.loads(store.path.read_text())  # always valid JSON
        assert data["bookmarks"][0]["run_id"] == 1
    assert not store.warnings


def test_read_only_directory_reports_and_keeps_file():
    if os.geteuid() == 0:
        # root ignores directory permissions; simulate the same OSError the kernel gives users
        import tui.store.atomic as atomic

        original = atomic.tempfile.mkstemp

        def denied(*a, **k):
            raise PermissionError(errno.EACCES, "Permission denied")

        store = BookmarkStore("p")
        store.add(1, "one")
        atomic.tempfile.mkstemp = denied
        try:
            with pytest.raises(StoreError, match="Permission denied"):
                store.add(2, "two")
        finally:
            atomic.tempfile.mkstemp = original
    else:  # pragma: no cover - non-root developers
        store = BookmarkStore("p")
        store.add(1, "one")
        store.path.parent.chmod(0o500)
        try:
            with pytest.raises(StoreError):
                store.add(2, "two")
        finally:
            store.path.parent.chmod(0o700)
    assert [b.run_id for b in store.list()] == [1]


def test_disk_full_reports_and_keeps_file(monkeypatch):
    store = BookmarkStore("p")
    store.add(1, "one")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StoreError, match="No space left"):
        store.add(2, "two")
    monkeypatch.undo()
    assert [b.run_id for b in store.list()] == [1]
    assert not list(store.path.parent.glob(".*.tmp"))  # no temp litter


def test_bookmarks_cli_round_trip(tmp_path):
    env = cli_env()
    assert run_zwr("bookmarks", "add", "19063", "--label", "sample", env=env).returncode == 0
    assert run_zwr("bookmarks", "add", "https://rest.zuora.com/workflows/workflow_runs/19064", env=env).returncode == 0
    assert run_zwr("bookmarks", "add", "../etc", env=env).returncode == 2
    exported = run_zwr("bookmarks", "export", env=env).stdout
    assert run_zwr("bookmarks", "remove", "19063", env=env).returncode == 0
    listing = run_zwr("bookmarks", "list", env=env).stdout
    assert "19064" in listing and "19063" not in listing
    dump = tmp_path / "export.json"
    dump.write_text(exported)
    out = run_zwr("bookmarks", "import", str(dump), env=env)
    assert out.returncode == 0 and "Imported 1 bookmark(s) into profile default (1 already there" in out.stdout
    listed = json.loads(run_zwr("bookmarks", "list", "--json", env=env).stdout)
    assert {b["run_id"] for b in listed} == {19063, 19064}
    assert next(b for b in listed if b["run_id"] == 19063)["label"] == "sample"
