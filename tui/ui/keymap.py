"""The user's keymap: ``[keys]`` in config.toml rebinds actions by id (see ``tui.ui.keys``).

::

    [keys]
    unwatch = "x"            # one key
    tasks = ["t", "o"]       # or several (a comma-separated string works too)
    help = "f1"

``resolve`` turns that table into the keymap ``App.set_keymap`` takes (Textual rebinds the
bindings by id), and a message for every entry it could not use: an unknown id (with the
nearest real one), a key Textual has no name for, a key taken by another action of the same
screen or by a list's own cursor keys. Such an entry is left out, the action keeps its default
keys, and zwr starts anyway: a typo in a config file must never cost anyone the app.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tui.ui.keys import ACTIONS, BY_ID, RESERVED, SCREENS, Action, keys_of, on_screen, show_key

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})


def normalise_key(text: str) -> str | None:
    """A key as Textual names it ("?" -> "question_mark", "Ctrl+B" -> "ctrl+b"), or None if
    Textual would never send it (a typo such as "ctrl-x" or "f55")."""
    from textual.keys import REPLACED_KEYS, Keys, _character_to_key, key_to_character

    text = text.strip()
    if not text:
        return None
    *modifiers, base = text.split("+") if len(text) > 1 else [text]
    modifiers = [m.strip().lower() for m in modifiers]
    if any(m not in MODIFIERS for m in modifiers) or not base:
        return None
    if len(base) == 1:
        if not base.isprintable():
            return None
        base = _character_to_key(base.lower() if modifiers else base)  # terminals send ctrl+b, never ctrl+B
    else:
        base = base.lower()
        named = {k.value for k in Keys if "+" not in k.value and not k.value.startswith("<")}
        if base not in named and base not in REPLACED_KEYS and key_to_character(base) is None:
            return None
    return "+".join([*modifiers, base])


def _keys_given(value: object) -> list[str] | None:
    """The keys an entry names: a string ("x", "x,y") or a list of strings; None if neither."""
    if isinstance(value, str):
        return [k for k in value.split(",")] if value.strip() else []
    if isinstance(value, list) and all(isinstance(k, str) for k in value):
        return list(value)
    return None


WHERE = {
    "main": "on the watchlist screen",
    "tasks": "on the tasks screen",
    "task": "in task details",
    "json": "in the JSON view",
    "dialog": "in dialogs",
    "help": "in help",
}


def resolve(table: Mapping[str, object]) -> tuple[dict[str, str], list[str]]:
    """``[keys]`` as written -> (keymap for ``App.set_keymap``, one message per entry left out)."""
    problems: list[str] = []
    wanted: dict[str, list[str]] = {}
    for action_id, value in table.items():
        shown = f"[keys] {action_id}"
        action = BY_ID.get(action_id)
        if action is None:
            problems.append(f"{shown}: no action has this id{_nearest(action_id)}; ids are listed in README.")
            continue
        if not action.bound:
            problems.append(f"{shown}: this key belongs to the list itself and cannot be rebound.")
            continue
        keys = _keys_given(value)
        if not keys:
            problems.append(
                f'{shown}: give a key or a list of keys, e.g. {action_id} = "x" ({action_id} keeps {_default(action)}).'
            )
            continue
        normalised = [normalise_key(k) for k in keys]
        bad = [k for k, n in zip(keys, normalised) if n is None]
        if bad:
            names = ", ".join(repr(k) for k in bad)
            problems.append(
                f'{shown}: {names} is not a key name zwr knows (e.g. "x", "R", "f5", "ctrl+x", "?"); '
                f"{action_id} keeps {_default(action)}."
            )
            continue
        chosen = list(dict.fromkeys(n for n in normalised if n))
        if chosen != keys_of(action):  # the defaults again: nothing to rebind
            wanted[action_id] = chosen
    problems += _drop_clashes(wanted)
    return {action_id: ",".join(keys) for action_id, keys in wanted.items()}, problems


def _default(action: Action) -> str:
    return " ".join(show_key(k) for k in keys_of(action)) or "no key"


def _nearest(action_id: str) -> str:
    import difflib  # only when someone mistyped

    close = difflib.get_close_matches(action_id, [a.id for a in ACTIONS if a.bound], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _scopes() -> Iterable[str]:
    """Each set of actions that answer keys together: a full screen with the app-wide actions,
    or one modal screen."""
    return [s for s in SCREENS if s != "app"]


def _drop_clashes(wanted: dict[str, list[str]]) -> list[str]:
    """Leave out (from ``wanted``) every user entry that shares a key with another action of
    the same screen or with the screen's reserved keys; repeat, since an entry left out takes
    back its default keys, which a second entry may have claimed."""
    problems: list[str] = []
    for _ in range(len(ACTIONS) + 1):  # each round drops at least one entry, or stops
        dropped = False
        for scope in _scopes():
            owner: dict[str, Action] = {key: _RESERVED for key in RESERVED.get(scope, ())}
            for action in on_screen(scope):
                if not action.bound:
                    continue
                for key in wanted.get(action.id) or keys_of(action):
                    other = owner.setdefault(key, action)
                    if other is action:
                        continue
                    loser = action if action.id in wanted else other
                    if loser.id not in wanted:  # two defaults never clash (a test says so)
                        continue
                    winner = other if loser is action else action
                    taken = "a key the list keeps for itself" if winner is _RESERVED else f"{winner.id}'s key"
                    problems.append(
                        f'[keys] {loser.id} = "{show_key(key)}" is left out: {show_key(key)} is {taken} '
                        f"{WHERE[scope]} ({loser.id} keeps {_default(loser)})."
                    )
                    del wanted[loser.id]
                    dropped = True
                    break
                if dropped:
                    break
            if dropped:
                break
        if not dropped:
            return problems
    return problems


_RESERVED = Action("(reserved)", "", "", "app", "", "")
