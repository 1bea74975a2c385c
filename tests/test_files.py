"""zwr's own files: hand-edited config survives a save, locks never follow links, folders are
private or refused, and no malformed file ends in a traceback.

Durability of bookmarks under concurrency, SIGKILL, ENOSPC and read-only folders is in
test_store.py (those run on the filelock-based lock too).
"""

from __future__ import annotations

import difflib
import io
import json
import os
import stat
import sys
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.cli.main import main
from tui.core.errors import ConfigError
from tui.store import atomic, paths
from tui.store.atomic import file_lock
from tui.store.bookmarks import BookmarkStore, StoreError
from tui.store.config import Config, Profile, load_config, save_config

HAND_WRITTEN = """\
# zwr config, edited by hand.   Keep the comments!
default_profile = "sandbox"   # the one I use most

[ui]
interval = 10    # slower than the default
bell = false

# --- tenants ---------------------------------------------------------------

[profiles.sandbox]           # US sandbox, cloud 2
env = 'us-sandbox-2'         # literal string quoting stays
client_id = "2c92c0f8-old"   # rotated every quarter
label   =   "US sandbox"
production = false
tags = [
  "billing",   # first
  "ops",
]
fancy = { colour = "blue", width = 3 }   # written by a newer zwr

[profiles.eu]
env = "eu-sandbox"

[plugins.someday]
enabled = true
"""


def zwr(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, out.out, out.err


def write_config(text: str) -> os.PathLike:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


# ----------------------------------------------------------------------------- config: tomlkit keeps the user's file


def test_adding_a_profile_keeps_the_hand_written_file_byte_for_byte(memory_keyring, capsys, monkeypatch):
    path = write_config(HAND_WRITTEN)
    monkeypatch.setattr(sys, "stdin", io.StringIO("the-secret-value\n"))
    code, _, err = zwr(
        capsys, "auth", "login", "--profile", "prod", "--env", "us-prod-2", "--client-id", "8a8aa2",
        "--client-secret-stdin", "--no-verify",
    )  # fmt: skip
    assert code == 0, err
    text = path.read_text("utf-8")
    before, _, added = text.partition("[profiles.prod]")
    assert before.rstrip("\n") == HAND_WRITTEN.split("[plugins.someday]")[0].rstrip(
        "\n"
    )  # everything before, as it was
    assert "[plugins.someday]\nenabled = true\n" in text  # and the table after it too
    assert 'env = "us-prod-2"' in added and 'client_id = "8a8aa2"' in added and "production = true" in added
    again = load_config()
    assert again.profiles["prod"].production and again.default_profile == "sandbox"
    assert again.profiles["sandbox"].extra["fancy"] == {"colour": "blue", "width": 3}


def test_changing_a_profile_rewrites_only_the_changed_line(memory_keyring):
    path = write_config(HAND_WRITTEN)
    cfg = load_config()
    sandbox = cfg.profiles["sandbox"]
    from dataclasses import replace

    save_config(cfg.with_profile(replace(sandbox, client_id="2c92c0f8-new")))
    changed = [
        line
        for line in difflib.unified_diff(HAND_WRITTEN.splitlines(), path.read_text("utf-8").splitlines(), lineterm="")
        if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))
    ]
    assert changed == [
        '-client_id = "2c92c0f8-old"   # rotated every quarter',
        '+client_id = "2c92c0f8-new"   # rotated every quarter',
    ]


def test_saving_an_unchanged_config_changes_no_byte():
    path = write_config(HAND_WRITTEN)
    save_config(load_config())
    assert path.read_text("utf-8") == HAND_WRITTEN


def test_a_profile_saved_by_another_process_in_between_is_kept():
    write_config(HAND_WRITTEN)
    mine = load_config()
    other = load_config()
    save_config(other.with_profile(Profile("theirs", env="eu-prod")))
    save_config(mine.with_profile(Profile("mine", env="us-test")))
    assert {"sandbox", "eu", "theirs", "mine"} <= set(load_config().profiles)


def test_a_config_broken_since_it_was_loaded_is_set_aside_on_save():
    path = write_config(HAND_WRITTEN)
    cfg = load_config()
    path.write_text("[profiles.sandbox\nbroken =", "utf-8")
    save_config(cfg.with_profile(Profile("new", env="us-test")))
    assert set(load_config().profiles) == {"sandbox", "eu", "new"}
    assert [p.read_text() for p in path.parent.glob("config.toml.corrupt-*")] == ["[profiles.sandbox\nbroken ="]


@pytest.mark.parametrize("failure", ["read-only", "disk full", "not owned"])
def test_a_config_that_cannot_be_saved_is_a_clear_error_and_stays_intact(monkeypatch, failure):
    import errno

    path = write_config(HAND_WRITTEN)
    cfg = load_config().with_profile(Profile("new", env="us-test"))
    if failure == "read-only":
        monkeypatch.setattr(atomic.tempfile, "mkstemp", _raise(PermissionError(errno.EACCES, "Permission denied")))
    elif failure == "disk full":
        monkeypatch.setattr(atomic.os, "fsync", _raise(OSError(errno.ENOSPC, "No space left on device")))
    else:
        monkeypatch.setattr(paths, "_me", lambda: os.geteuid() + 1)
    with pytest.raises(ConfigError, match=r"Could not save .*The file was not changed"):
        save_config(cfg)
    monkeypatch.undo()
    assert path.read_text("utf-8") == HAND_WRITTEN
    assert not list(path.parent.glob(".*.tmp"))


def _raise(exc: BaseException):
    def fail(*args, **kwargs):
        raise exc

    return fail


@pytest.mark.parametrize(
    "content, says",
    [
        ("a = " + "[" * 50_000 + "]" * 50_000, "nested too deeply"),
        ("[ui]\ninterval = " + "{x = " * 50_000 + "1" + "}" * 50_000, "nested too deeply"),
        ("x" * (1024 * 1024 + 1), "over 1 MB"),
        ("\xff\xfe not utf-8", "invalid"),
        ("[profiles.p]\nproduction = 'yes'", "production must be true or false"),
        ("[profiles]\np = 5\n[ui]\ninterval = nan", "ignored"),
    ],
    ids=["deep arrays", "deep inline tables", "huge", "not UTF-8", "wrong type", "odd values"],
)
def test_malformed_config_is_reported_and_set_aside_never_a_traceback(capsys, content, says):
    path = paths.config_file()
    path.parent.mkdir(parents=True)
    path.write_bytes(content.encode("latin-1" if "\xff" in content else "utf-8"))
    code, _, err = zwr(capsys, "bookmarks", "list")
    assert code == 0 and says in err
    if says != "ignored":
        assert list(path.parent.glob("config.toml.corrupt-*")) and not path.exists()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300) | st.text(alphabet="[]{}=\"'.,\n #abc01", max_size=300).map(str.encode))
def test_load_config_never_raises_on_any_bytes(isolated_env, data):
    path = isolated_env / "fuzz.toml"
    path.write_bytes(data)
    cfg = load_config(path)
    assert isinstance(cfg, Config)


# ----------------------------------------------------------------------------- bookmarks and import files

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda c: (
        st.lists(c, max_size=4) | st.dictionaries(st.sampled_from(["run_id", "label", "bookmarks", "x"]), c, max_size=4)
    ),
    max_leaves=15,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(json_values)
def test_any_bookmarks_file_or_import_is_read_or_set_aside(isolated_env, capsys, value):
    store = BookmarkStore("fuzz", path=isolated_env / "fuzz" / "b.json")
    store.path.parent.mkdir(exist_ok=True)
    store.path.write_text(json.dumps(value))
    store.list()  # never raises: read, or set aside with a warning
    export = isolated_env / "fuzz" / "import.json"
    export.write_text(json.dumps(value))
    code, _, err = zwr(capsys, "bookmarks", "import", str(export))
    assert code == 0 or (code == 2 and err.startswith("error:"))


# ----------------------------------------------------------------------------- lock files and folders


def test_a_dangling_symlink_lock_file_is_refused_and_its_target_never_created(tmp_path):
    store = BookmarkStore("p")
    store.add(1, "keep")
    target = tmp_path / "elsewhere" / "victim"
    target.parent.mkdir()
    lock = store.path.with_name(store.path.name + ".lock")
    lock.unlink()
    lock.symlink_to(target)
    with pytest.raises(StoreError, match="symbolic link"):
        store.add(2, "two")
    assert not target.exists() and [b.run_id for b in store.list()] == [1]


def test_a_symlink_lock_file_to_an_existing_file_is_refused_and_the_file_untouched(tmp_path):
    store = BookmarkStore("p")
    store.add(1, "keep")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    victim.chmod(0o644)
    lock = store.path.with_name(store.path.name + ".lock")
    lock.unlink()
    lock.symlink_to(victim)
    with pytest.raises(StoreError, match="symbolic link"):
        store.add(2, "two")
    assert victim.read_text() == "precious" and stat.S_IMODE(victim.stat().st_mode) == 0o644


def test_bookmarks_add_with_a_symlink_lock_is_exit_3_with_a_message(capsys, tmp_path):
    store = BookmarkStore("default")
    store.add(1)
    lock = store.path.with_name(store.path.name + ".lock")
    lock.unlink()
    lock.symlink_to(tmp_path / "nowhere")
    code, _, err = zwr(capsys, "bookmarks", "add", "2")
    assert code == 3 and "symbolic link" in err and not (tmp_path / "nowhere").exists()


def test_the_lock_excludes_threads_as_well_as_processes(tmp_path):
    path = tmp_path / "data" / "f.json"
    inside, overlap = [], []

    def hold():
        for _ in range(20):
            with file_lock(path):
                inside.append(1)
                if len(inside) > 1:
                    overlap.append(1)
                inside.pop()

    threads = [threading.Thread(target=hold) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert overlap == []


def test_the_lock_times_out_with_a_message(tmp_path):
    path = tmp_path / "data" / "f.json"
    with file_lock(path), pytest.raises(TimeoutError, match="another zwr process holds"), file_lock(path, timeout=0.2):
        pass


def test_a_folder_of_another_user_is_refused(monkeypatch, capsys, tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o700)
    if os.geteuid() == 0:
        os.chown(folder, 65534, 65534)  # nobody
    else:  # pragma: no cover - non-root developers: pretend to be someone else
        monkeypatch.setattr(paths, "_me", lambda: os.geteuid() + 1)
    monkeypatch.setenv("ZWR_DATA_DIR", str(folder))
    with pytest.raises(paths.UnsafeDirectory, match="belongs to another user"):
        paths.ensure_private_dir(folder)
    code, _, err = zwr(capsys, "bookmarks", "add", "19063")
    assert code == 3 and "belongs to another user" in err
    assert list(folder.iterdir()) == []  # nothing written there, not even a lock file


def test_a_folder_that_cannot_be_made_private_is_refused(monkeypatch, tmp_path):
    folder = tmp_path / "open"
    folder.mkdir()
    folder.chmod(0o755)

    def cannot(self, mode, **kwargs):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(type(folder), "chmod", cannot)
    with pytest.raises(paths.UnsafeDirectory, match="cannot make it private"):
        paths.ensure_private_dir(folder)


def test_an_open_folder_of_ours_is_made_private(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    folder.chmod(0o755)
    paths.ensure_private_dir(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_auth_login_refuses_an_unsafe_config_folder_before_asking(memory_keyring, capsys, monkeypatch):
    monkeypatch.setattr(paths, "_me", lambda: os.geteuid() + 1)
    monkeypatch.setattr(sys, "stdin", io.StringIO("the-secret-value\n"))
    code, _, err = zwr(
        capsys, "auth", "login", "--profile", "p", "--env", "us-test", "--client-id", "c",
        "--client-secret-stdin", "--no-verify",
    )  # fmt: skip
    assert code == 3 and "Nothing was asked or stored" in err
    assert memory_keyring.store == {}
