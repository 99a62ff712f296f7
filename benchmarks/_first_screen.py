"""Start an app headless and exit as soon as its first screen is up (used by startup.py)."""

from __future__ import annotations

import sys


def bare() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Header, Static

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            yield Static("Hello")
            yield Footer()

        def on_mount(self) -> None:
            self.call_after_refresh(self.exit)

    Bare().run(headless=True, size=(80, 24))


def onboard() -> None:
    from textual.pilot import Pilot

    from onboard.ui.app import make_app

    app = make_app()

    async def first_screen(pilot: Pilot[object]) -> None:
        # The coordinator pushes the welcome screen from a worker: wait until it is on top.
        for _ in range(2000):
            if len(pilot.app.screen_stack) > 1:
                break
            await pilot.pause(0.005)
        await pilot.pause()
        pilot.app.exit()

    app.run(headless=True, size=(80, 24), auto_pilot=first_screen)


if __name__ == "__main__":
    {"bare": bare, "onboard": onboard}[sys.argv[1]]()
