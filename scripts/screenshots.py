"""Make the SVG screenshots in screenshots/ from the real app, walking the real flow.

A throwaway Prosody (as in the tests) plays the server, so every screen shows what a user sees:
`.venv/bin/python scripts/screenshots.py` (needs prosody, like the tests).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "screenshots"
SIZE = (80, 24)
# A fixed folder, so the credentials path on the Done screen reads like a real one.
HOME = Path(tempfile.gettempdir()) / "xmpp-onboard-screenshots"


async def wait(pilot: Any, condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 15
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await pilot.pause(0.05)
    await pilot.pause(0.2)


def on(pilot: Any, name: str) -> Callable[[], bool]:
    return lambda: type(pilot.app.screen).__name__ == name and pilot.app.screen.is_mounted


def save(pilot: Any, name: str) -> None:
    svg = pilot.app.export_screenshot(title="xmpp-onboard")
    (OUT / f"{name}.svg").write_text(svg.replace("\r\n", "\n"), encoding="utf-8")
    print(f"screenshots/{name}.svg")


async def walk(server: Any) -> None:
    from onboard.core.flow import WizardState
    from onboard.ui.app import make_app

    state = WizardState(host=server.host, port=server.starttls_port, ca_file=server.ca_file)
    app = make_app(state, cursor_blink=False, animations=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait(pilot, on(pilot, "WelcomeScreen"), "the welcome screen")
        save(pilot, "welcome")
        await pilot.press("enter")
        await wait(pilot, on(pilot, "ThreatScreen"), "the threat screen")
        save(pilot, "threat")
        await pilot.press("shift+tab", "enter")  # nothing ticked: from the first question
        await wait(pilot, on(pilot, "ThreatSummaryScreen"), "the summary")
        save(pilot, "threat-summary")
        await pilot.press("enter")
        await wait(pilot, on(pilot, "TorScreen"), "the connection screen")
        save(pilot, "connection")
        await pilot.press("enter")  # directly: the screenshots need no Tor
        await wait(pilot, on(pilot, "ServerScreen"), "the server screen")
        save(pilot, "server")
        await pilot.press(*"captcha.test", "enter")
        await wait(pilot, on(pilot, "AccountScreen"), "the account screen")
        # A typed password stays masked on screen: screenshots never show a secret.
        password = "correct-horse-battery-staple"
        await pilot.press(*"alice", "enter", *password, "enter", *password)
        await pilot.pause(0.2)
        save(pilot, "account")
        await pilot.press("enter")
        await wait(pilot, on(pilot, "FormScreen"), "the server's form")
        save(pilot, "form-captcha")
        await pilot.press(*server.captcha_answer.lower(), "enter")
        await wait(pilot, lambda: app.state.login_verified, "the login check")
        save(pilot, "creating")
        await pilot.press("enter")
        await wait(pilot, on(pilot, "DoneScreen"), "the done screen")
        save(pilot, "done")


def main() -> None:
    import shutil

    from tests.servers.prosody import ProsodyServer

    shutil.rmtree(HOME, ignore_errors=True)
    os.environ["XMPP_ONBOARD_HOME"] = str(HOME)
    os.environ.setdefault("LANGUAGE", "en")
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir, ProsodyServer(workdir,
                                                                 captcha_answer="K7XM3") as srv:
        asyncio.run(walk(srv))


if __name__ == "__main__":
    main()
