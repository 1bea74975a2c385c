"""A real terminal for end-to-end tests: the installed ``zwr`` in a tmux session of its own.

One tmux server per test (its own ``-L`` socket), so a test never talks to a server another
test is still shutting down; ``wait_for`` polls the screen until the text is there, bounded in
time, never a fixed sleep.
"""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest


class Tmux:
    def __init__(self, socket: str, session: str) -> None:
        if shutil.which("tmux") is None:
            pytest.fail("tmux is not installed: the README test command installs it (apt-get install tmux)")
        self.socket = socket
        self.session = session

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20).stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.session)

    def wait_for(self, *needles: str, timeout: float = 40.0) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if all(n in text for n in needles):
                return text
            time.sleep(0.3)
        raise AssertionError(f"{needles} not on screen after {timeout}s:\n{text}")
