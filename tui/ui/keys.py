"""Every key of the TUI, declared once.

The screens' bindings (and so the footer), the help screen, the command palette, the user's
keymap (``[keys]`` in config.toml, by ``id``) and README's keys table are all generated from
``ACTIONS``, so they cannot drift apart. Adding an action is one entry here plus its
``action_...`` method on the screen named by ``screen``; tests check that every entry's action
exists, that no two actions of one screen share a key, and that README lists them all.

Pure data on purpose: imported at start-up, it costs no more than its tuples. Textual is
imported only when bindings or key names are asked for (by then it is loaded anyway).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from textual.binding import BindingType


class Action(NamedTuple):
    id: str  # the binding id: what `[keys]` in config.toml rebinds ("unwatch = 'x'")
    keys: str  # default key(s) in Textual's names, comma-separated ("d,delete"); "" = palette only
    description: str  # one line for help, the palette and README ("stop watching the selected run")
    screen: str  # where it works: a key of SCREENS ("app": on the main and tasks screens)
    group: str  # related actions sit together in help; the palette shows it
    action: str  # the Textual action it runs ("unwatch", "app.toggle_pause", "dismiss(None)")
    footer: str = ""  # its footer label; "" keeps it out of the footer
    bound: bool = True  # False: documented only, a widget handles the key itself (↑ ↓ enter)
    palette: bool = True  # offered by the command palette (on its screen)
    priority: bool = False  # works even while a text box has focus


SCREENS = {  # table screen -> its heading in help and README, in help's order
    "app": "Everywhere (watchlist and tasks screens)",
    "main": "Watchlist and run detail",
    "tasks": "Tasks screen",
    "task": "Task details",
    "json": "JSON view",
    "dialog": "Dialogs (run IDs, label, object ID)",
    "confirm": "Before a write to Zuora",
    "help": "This help",
}
FULL_SCREENS = ("main", "tasks")  # screens that also carry the "app" actions (the rest are modal)

# Keys the widgets of a screen keep for themselves (the lists' cursor, focus moves, Textual's
# own quit): an action rebound onto one of them would never run.
RESERVED = {
    "main": ("up", "down", "pageup", "pagedown", "home", "end", "enter", "tab", "shift+tab", "ctrl+c", "ctrl+q"),
    "tasks": ("up", "down", "pageup", "pagedown", "home", "end", "enter", "tab", "shift+tab", "ctrl+c", "ctrl+q"),
    "task": ("up", "down", "pageup", "pagedown", "home", "end", "tab", "shift+tab"),
    "json": ("up", "down", "pageup", "pagedown", "home", "end", "tab", "shift+tab"),
    "dialog": ("enter", "tab", "shift+tab", "left", "right", "home", "end", "backspace", "delete"),
    "confirm": ("enter", "tab", "shift+tab", "left", "right", "home", "end", "backspace", "delete"),
    "help": ("up", "down", "pageup", "pagedown", "home", "end", "tab", "shift+tab"),
}

A = Action
# one action per line: the table reads as a table
# fmt: off
ACTIONS: tuple[Action, ...] = (
    # ------------------------------------------------------------------ everywhere
    A("help", "question_mark", "show every key of every screen (this help)", "app", "zwr", "app.help", "Help"),
    A("quit", "q", "quit zwr", "app", "zwr", "app.quit", "Quit"),
    A("palette", "ctrl+p", "command palette: this screen's actions by name", "app", "zwr", "app.command_palette", "palette", palette=False, priority=True),
    # ------------------------------------------------------------------ watchlist and run detail
    A("move", "up,down", "select a run (the highlighted row is the selected run)", "main", "move", "", bound=False),
    A("page", "pageup,pagedown", "a page of runs up / down", "main", "move", "", bound=False),
    A("ends", "home,end", "the first / last run", "main", "move", "", bound=False),
    A("open", "enter", "tasks of the selected run", "main", "move", "", bound=False),
    A("focus", "tab", "move between the sidebar, the watchlist and the detail", "main", "move", "", bound=False),
    A("add-runs", "a", "add run IDs to the watchlist (type or paste, several at once)", "main", "runs", "add_runs", "Add"),
    A("tasks", "t", "tasks of the selected run", "main", "runs", "tasks", "Tasks"),
    A("json", "j", "raw JSON of the selected run, highlighted", "main", "runs", "raw"),
    A("unwatch", "d,delete", "stop watching the selected run (u brings it back)", "main", "runs", "unwatch"),
    A("undo", "u", "watch the run d just removed again (for 10 seconds)", "main", "runs", "undo"),
    A("refresh", "r", "refresh the selected run now (retries after an error)", "main", "runs", "refresh_selected", "Refresh"),
    A("refresh-all", "R", "refresh all runs now", "main", "runs", "app.refresh_all"),
    A("filter", "slash", "filter the watchlist: ID, name, status, label, 'errors'", "main", "find", "filter", "Filter"),
    A("clear-filter", "escape", "clear the watchlist filter", "main", "find", "clear_filter"),
    A("sort", "s", "cycle the sort: added, status, errors, elapsed, id", "main", "find", "sort"),
    A("find-object", "f", "find runs by object ID: watch the runs whose tasks touched the record", "main", "find", "find"),
    A("bookmark", "b", "bookmark or unbookmark the selected run", "main", "bookmarks", "toggle_bookmark"),
    A("label", "l", "label the selected run's bookmark (bookmarks it)", "main", "bookmarks", "label"),
    A("sidebar", "ctrl+b", "show or hide the bookmarks sidebar", "main", "bookmarks", "toggle_sidebar"),
    A("pause", "p", "pause or resume polling", "main", "polling", "app.toggle_pause", "Pause"),
    A("slower", "plus", "poll slower: a longer interval (up to 120 s)", "main", "polling", "app.slower"),
    A("faster", "minus", "poll faster: a shorter interval (down to 1 s)", "main", "polling", "app.faster"),
    A("bell", "", "turn the terminal bell on state changes on or off", "main", "polling", "app.toggle_bell"),
    A("copy-id", "c", "copy the selected run's ID (OSC 52: works over SSH)", "main", "copy", "copy_id"),
    A("copy-json", "C", "copy the selected run's JSON", "main", "copy", "copy_json"),
    A("copy-request-id", "i", "copy the last Zuora-Request-Id (for Zuora support)", "main", "copy", "copy_request_id"),
    A("first-error", "e", "the first error in full: the first task of the run's biggest error group", "main", "why", "first_error"),
    A("copy-report", "y", "copy the selected run's incident report (markdown, as zwr report)", "main", "why", "copy_report"),
    A("stop-run", "X", "stop the selected run (a write to Zuora: off unless allowed, confirmed)", "main", "writes", "stop_run"),
    A("rerun-failed", "F", "rerun the selected run's failed tasks (a write, confirmed)", "main", "writes", "rerun_failed"),
    # ------------------------------------------------------------------ tasks screen
    A("tasks-move", "up,down", "move through the tasks", "tasks", "move", "", bound=False),
    A("tasks-page", "pageup,pagedown", "a page of tasks up / down", "tasks", "move", "", bound=False),
    A("tasks-ends", "home,end", "the first / last task", "tasks", "move", "", bound=False),
    A("tasks-open", "enter", "full details of the highlighted task (in the groups: that group's tasks)", "tasks", "move", "", bound=False),
    A("tasks-back", "escape", "back a level: clears a filter, leaves a group or the groups, else back to the watchlist", "tasks", "tasks", "back", "Back"),
    A("tasks-errors", "e", "only tasks in Error (again: all tasks)", "tasks", "tasks", "toggle_errors", "Errors"),
    A("tasks-filter", "slash", "filter the tasks by text", "tasks", "tasks", "filter", "Filter"),
    A("tasks-json", "j", "raw JSON of the highlighted task", "tasks", "tasks", "raw", "JSON"),
    A("tasks-reload", "r", "reload the task list now", "tasks", "tasks", "reload", "Reload"),
    A("tasks-sort", "s", "sort by the next column: status, duration, name, ID, action, object, error", "tasks", "order", "sort"),
    A("tasks-reverse", "S", "reverse the sort (missing values stay last)", "tasks", "order", "reverse"),
    A("tasks-groups", "g", "the run's error groups instead of its tasks (again: the tasks)", "tasks", "order", "toggle_groups"),
    A("tasks-rerun", "R", "rerun the highlighted task (a write to Zuora, confirmed)", "tasks", "writes", "rerun_task"),
    A("tasks-rerun-failed", "F", "rerun the run's failed tasks (a write, confirmed)", "tasks", "writes", "rerun_failed"),
    A("tasks-stop-run", "X", "stop the run (a write, confirmed)", "tasks", "writes", "stop_run"),
    # ------------------------------------------------------------------ modal screens
    A("task-move", "up,down", "move between fields (a field taller than the screen is scrolled first)", "task", "task", "", bound=False),
    A("task-copy", "c", "copy the focused field, whole (OSC 52)", "task", "task", "copy", "Copy field"),
    A("task-copy-all", "C", "copy every field of the task", "task", "task", "copy_all", "Copy all"),
    A("task-json", "j", "raw JSON of the task", "task", "task", "raw", "JSON"),
    A("task-close", "escape,q", "back to where it was opened from", "task", "task", "app.pop_screen", "Back"),
    A("json-copy", "c", "copy the JSON", "json", "json", "copy", "Copy JSON"),
    A("json-close", "escape,q", "close", "json", "json", "dismiss(None)", "Close"),
    A("dialog-ok", "enter", "watch / save what you typed", "dialog", "dialog", "", bound=False),
    A("dialog-cancel", "escape", "cancel", "dialog", "dialog", "dismiss(None)", "Cancel"),
    A("confirm-cancel", "escape", "cancel: nothing is sent (Cancel has the focus)", "confirm", "confirm", "cancel", "Cancel"),
    A("help-close", "escape,q,question_mark", "close this help", "help", "help", "dismiss(None)", "Close"),
)
# fmt: on
del A

BY_ID: dict[str, Action] = {a.id: a for a in ACTIONS}


def on_screen(screen: str) -> Iterator[Action]:
    """The actions that work on ``screen``: the app-wide ones first on full screens (so the
    footer always starts with help and quit), then the screen's own."""
    if screen in FULL_SCREENS:
        yield from (a for a in ACTIONS if a.screen == "app")
    yield from (a for a in ACTIONS if a.screen == screen)


def bindings(screen: str) -> list[BindingType]:
    """The Textual bindings of ``screen`` (its ``BINDINGS``, typed as Textual types it), each a
    ``Binding`` with the action's id, so ``App.set_keymap`` can rebind it."""
    from textual.binding import Binding

    return [
        Binding(
            a.keys,
            a.action,
            a.footer or a.description,
            show=bool(a.footer) and a.id != "palette",  # the footer shows the palette's key on its own
            priority=a.priority,
            id=a.id,
            tooltip=a.description,
        )
        for a in on_screen(screen)
        if a.bound and a.keys
    ]


def keys_of(action: Action, keymap: Mapping[str, str] | None = None) -> list[str]:
    """The keys ``action`` answers to: the user's (``keymap``, by id) or its defaults."""
    keys = (keymap or {}).get(action.id) or action.keys
    return [k.strip() for k in keys.split(",") if k.strip()]


KEY_WORDS = {
    "enter": "enter",
    "escape": "esc",
    "delete": "del",
    "pageup": "pgup",
    "pagedown": "pgdn",
    "up": "↑",
    "down": "↓",
}


def show_key(key: str) -> str:
    """A key as people write it: "?", "/", "+", "esc", "ctrl+b", "R"."""
    from textual.keys import format_key

    *modifiers, base = key.split("+")
    return "+".join([*modifiers, KEY_WORDS.get(base) or format_key(base)])


def show_keys(action: Action, keymap: Mapping[str, str] | None = None) -> str:
    return " ".join(show_key(k) for k in keys_of(action, keymap))


def hint(active: Mapping[str, Any]) -> str:
    """ "c copy the JSON · esc q close": a modal's keys, from its ``active_bindings`` (so with
    the user's keymap applied), in the table's order."""
    keys: dict[str, list[str]] = {}
    for key, active_binding in active.items():
        binding_id = active_binding.binding.id
        if binding_id in BY_ID:
            keys.setdefault(binding_id, []).append(show_key(key))
    order = [a.id for a in ACTIONS if a.id in keys]
    return " · ".join(f"{' '.join(keys[i])} {BY_ID[i].description}" for i in order)


def readme_table() -> str:
    """README's keys table, generated (tests/test_readme.py checks README holds exactly this;
    print it with ``python -m tui.ui.keys``)."""
    lines = ["| where | key | id (for `[keys]`) | what it does |", "|---|---|---|---|"]
    for screen, heading in SCREENS.items():
        for n, a in enumerate(a for a in ACTIONS if a.screen == screen):
            keys = " ".join(f"`{show_key(k)}`" for k in keys_of(a)) or "(palette)"
            rebind = f"`{a.id}`" if a.bound else "—"
            lines.append(f"| {heading if n == 0 else ''} | {keys} | {rebind} | {a.description} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(readme_table())
