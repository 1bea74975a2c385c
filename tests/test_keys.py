"""The action table (tui/ui/keys.py) and the user's keymap (tui/ui/keymap.py), without an app."""

import io
import re

import pytest
from rich.console import Console

from tui.ui.keymap import normalise_key, resolve
from tui.ui.keys import ACTIONS, BY_ID, FULL_SCREENS, RESERVED, SCREENS, bindings, keys_of, on_screen


def screen_class(screen: str):
    from tui.ui.app import ZwrApp
    from tui.ui.screens.confirm import ConfirmWrite
    from tui.ui.screens.help import HelpScreen
    from tui.ui.screens.main import MainScreen
    from tui.ui.screens.modals import RawJson, RunIdEntry
    from tui.ui.screens.taskdetail import TaskDetailScreen
    from tui.ui.screens.tasks import TasksScreen

    classes = {
        "app": ZwrApp,
        "main": MainScreen,
        "tasks": TasksScreen,
        "task": TaskDetailScreen,
        "json": RawJson,
        "dialog": RunIdEntry,
        "confirm": ConfirmWrite,
        "help": HelpScreen,
    }
    return classes[screen]


def test_ids_are_unique_and_screens_known():
    assert len(BY_ID) == len(ACTIONS)
    for action in ACTIONS:
        assert action.screen in SCREENS, action
        assert action.id and action.id == action.id.lower() and " " not in action.id and "." not in action.id
        assert action.description and action.group
        assert action.bound or not action.palette or not action.action, action  # documented-only: no palette entry


@pytest.mark.parametrize("action", [a for a in ACTIONS if a.bound], ids=lambda a: a.id)
def test_every_bound_action_exists_where_it_is_declared(action):
    from tui.ui.app import ZwrApp

    target, _, name = action.action.rpartition(".")
    owner = ZwrApp if target == "app" else screen_class(action.screen)
    assert hasattr(owner, f"action_{name.split('(')[0]}"), action


@pytest.mark.parametrize("screen", [s for s in SCREENS if s != "app"])
def test_no_two_actions_of_a_screen_share_a_key(screen):
    """The defaults never clash (the keymap's conflict check relies on it), nor take a key the
    screen's widgets keep for themselves."""
    seen: dict[str, str] = {key: "reserved" for key in RESERVED[screen]}
    for action in on_screen(screen):
        if not action.bound:
            continue
        for key in keys_of(action):
            assert key not in seen, (key, action.id, seen.get(key))
            seen[key] = action.id


def test_full_screens_start_with_help_and_quit_in_the_footer():
    for screen in FULL_SCREENS:
        shown = [b.id for b in bindings(screen) if b.show]
        assert shown[:2] == ["help", "quit"], shown
        assert all(b.id for b in bindings(screen))


def test_keys_normalise_as_textual_names_them():
    assert normalise_key("?") == "question_mark"
    assert normalise_key("+") == "plus"
    assert normalise_key("Ctrl+B") == "ctrl+b"
    assert normalise_key("R") == "R"
    assert normalise_key("f5") == "f5" and normalise_key("escape") == "escape"
    for bad in ("ctrl-x", "f55", "hyperdrive+x", "", " ", "\x1b", "ctrl+"):
        assert normalise_key(bad) is None, bad


def test_keymap_rebinds_by_id():
    keymap, problems = resolve({"unwatch": "x", "tasks": ["t", "o"], "help": "f1", "tasks-reload": "?"})
    assert problems == []
    assert keymap == {"unwatch": "x", "tasks": "t,o", "help": "f1", "tasks-reload": "question_mark"}


def test_keymap_swapping_two_keys_is_no_conflict():
    keymap, problems = resolve({"sort": "d", "unwatch": "s"})
    assert problems == [] and keymap == {"sort": "d", "unwatch": "s"}


@pytest.mark.parametrize(
    ("table", "kept", "words"),
    [
        ({"unwach": "x"}, {}, ["unwach", "no action has this id", "did you mean 'unwatch'"]),
        ({"tasks": "ctrl-x"}, {}, ["'ctrl-x' is not a key name", "tasks keeps t"]),
        ({"tasks": 3}, {}, ["give a key or a list of keys"]),
        ({"tasks": ["t", 4]}, {}, ["give a key or a list of keys"]),
        ({"tasks": ""}, {}, ["give a key"]),
        ({"tasks": {"x": "y"}}, {}, ["give a key"]),
        ({"move": "k"}, {}, ["cannot be rebound"]),
        ({"sort": "d"}, {}, ['sort = "d" is left out', "unwatch's key on the watchlist screen", "sort keeps s"]),
        ({"help": "r"}, {}, ["refresh's key on the watchlist screen", "help keeps ?"]),
        ({"tasks": "enter"}, {}, ["a key the list keeps for itself"]),
        ({"tasks-reload": "ctrl+p"}, {}, ["palette's key on the tasks screen"]),
        ({"task-json": "c"}, {}, ["task-copy's key in task details"]),
        ({"sort": "x", "label": "x", "pause": "w"}, {"sort": "x", "pause": "w"}, ['label = "x" is left out']),
    ],
)
def test_keymap_problems_are_reported_and_the_rest_applies(table, kept, words):
    keymap, problems = resolve(table)
    assert keymap == kept
    assert len(problems) == 1, problems
    for word in words:
        assert word in problems[0], problems[0]


def test_keymap_chain_of_left_out_entries():
    """An entry left out takes its default keys back; another entry that claimed one of them is
    then left out too (and nothing ever clashes in what is applied)."""
    keymap, problems = resolve({"unwatch": "s", "copy-id": "d", "label": "x"})
    assert keymap == {"label": "x"}
    assert ["unwatch = " in problems[0], "copy-id = " in problems[1], len(problems)] == [True, True, 2]
    assert resolve({"sort": "s", "unwatch": "d,delete"}) == ({}, [])  # the defaults again: nothing to do


@pytest.mark.parametrize("value", [None, 1.5, True, [], [[]], "\x00", "a" * 10_000, ",,,", ["ctrl+"], {"a": 1}])
def test_hostile_values_never_raise(value):
    keymap, problems = resolve({"tasks": value, "\x1b[31m": value})
    assert "tasks" not in keymap and len(problems) == 2


def test_help_keeps_keys_beside_their_descriptions_at_every_width():
    """From 51 columns (help's text at 60) to 200: every description starts on its key's line,
    in one column; nothing is cut."""
    from tui.ui.screens.help import help_renderable, help_sections

    for width in (51, 60, 74, 99, 100, 104, 140, 200):
        console = Console(width=width, file=io.StringIO(), color_system=None, legacy_windows=False)
        console.print(help_renderable({"unwatch": "x"}, width))
        lines = console.file.getvalue().splitlines()
        assert max(len(line) for line in lines) <= width
        text = "\n".join(lines)
        for _, rows in help_sections({"unwatch": "x"}):
            for keys, description in rows:
                first_words = r"\s".join(map(re.escape, description.split()[:2]))
                pattern = re.compile(rf"(^|\s){re.escape(keys)}\s+{first_words}")
                assert any(pattern.search(line) for line in lines), (width, keys, description, text)
        assert "x" in text and "stop watching the selected run" in text
