"""The real command in a real terminal (tmux, 80x24) registers an account, keyboard only."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

COMMAND = Path(sys.executable).parent / "xmpp-onboard"
pytestmark = [pytest.mark.prosody, pytest.mark.terminal]


class Tmux:
    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True,
                              timeout=10).stdout

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.name, *keys)

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", self.name, "-l", text)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.name)

    def wait_for(self, text: str, timeout: float = 20, *, gone: str | None = None) -> str:
        """The screen once it shows `text` (and no longer `gone`: a capture can catch the
        terminal half-way through drawing the next screen over the last one)."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen and (gone is None or gone not in screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} did not appear (or {gone!r} did not go); "
                                     f"the screen shows:\n{screen}")
            time.sleep(0.1)


@pytest.fixture
def tmux(prosody, onboard_home: Path,  # type: ignore[no-untyped-def]
         request: pytest.FixtureRequest) -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        reason = "tmux is not installed (apt-get install tmux)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    session = Tmux(f"onboard-{uuid.uuid4().hex[:8]}")
    width, height = getattr(request, "param", (80, 24))  # columns, lines
    command = " ".join(shlex.quote(part) for part in [
        "env", f"XMPP_ONBOARD_HOME={onboard_home}", "LANGUAGE=en", "TERM=xterm-256color",
        # As a shell that exports them leaves them: the size at the start, stale after a resize.
        f"COLUMNS={width}", f"LINES={height}",
        str(COMMAND), "--host", prosody.host, "--port", str(prosody.starttls_port),
        "--ca-file", str(prosody.ca_file),
    ])
    # The shell stays after the app exits, so its last screen can still be read.
    # The app starts only once the window's size is settled: a resize that arrives while
    # Python is still starting (before Textual listens for SIGWINCH) would be lost.
    ready = onboard_home / "tmux-window-ready"
    wait = f"until [ -e {shlex.quote(str(ready))} ]; do sleep 0.05; done"
    session.run("new-session", "-d", "-s", session.name, "-x", str(width), "-y", str(height),
                f"{wait}; {command}; echo EXIT=$?; sleep 30")
    # Keep that size: a window without a client otherwise follows the server's default size
    # (80x24) when other sessions come and go, and "manual" itself starts from that default.
    session.run("set-option", "-w", "-t", session.name, "window-size", "manual")
    session.run("resize-window", "-t", session.name, "-x", str(width), "-y", str(height))
    ready.touch()
    try:
        yield session
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session.name], capture_output=True,
                       timeout=10)


def test_register_an_account_in_a_real_terminal(tmux: Tmux, prosody,  # type: ignore[no-untyped-def]
                                                onboard_home: Path) -> None:
    name = f"tmux{uuid.uuid4().hex[:6]}"
    tmux.wait_for("Step 1 of 7")
    tmux.keys("Enter")  # Create a new account
    tmux.wait_for("Step 2 of 7")
    tmux.keys("BTab", "Enter")  # no special worries: from the first question to Continue
    tmux.wait_for("What it does not protect")
    tmux.keys("Enter")
    tmux.wait_for("Step 3 of 7")
    assert "Tor: off" in tmux.screen()  # the route is always on screen
    tmux.keys("Enter")  # Directly, without Tor (chosen already)
    tmux.wait_for("Step 4 of 7")
    tmux.type("open.test")
    tmux.keys("Enter")
    tmux.wait_for("Step 5 of 7")
    tmux.type(name)
    tmux.wait_for(f"Your address will be {name}@open.test")
    tmux.keys("C-g")  # generate a strong password
    tmux.wait_for("Your new password")
    tmux.keys("Enter")
    tmux.wait_for("It works.")
    tmux.keys("Enter")
    done = tmux.wait_for("Step 7 of 7")
    assert f"{name}@open.test" in done
    assert "Logging in with the new account worked" in done
    tmux.keys("q")
    tmux.wait_for("EXIT=0")

    credentials = onboard_home / "data" / "accounts" / f"{name}@open.test.json"
    saved = json.loads(credentials.read_text())
    assert saved["status"] == "created" and saved["login_verified"] is True
    assert prosody.user_exists("open.test", name)


@pytest.mark.parametrize("tmux", [(70, 20)], indirect=True)
def test_a_small_window_says_what_size_it_needs_in_a_real_terminal(tmux: Tmux) -> None:
    small = tmux.wait_for("This window is 70×20.", gone="Step 1 of 7")
    assert "at least 80×24" in small
    assert "Step 1 of 7" not in small
    tmux.run("resize-window", "-t", tmux.name, "-x", "80", "-y", "24")
    tmux.wait_for("Step 1 of 7", gone="This window is")
    tmux.keys("Enter")  # the wizard goes on where it was
    tmux.wait_for("Step 2 of 7")
    tmux.run("resize-window", "-t", tmux.name, "-x", "60", "-y", "20")
    tmux.wait_for("This window is 60×20.")
