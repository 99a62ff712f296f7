"""Small helpers for Pilot tests: wait for a screen with a bounded loop, read texts."""

from __future__ import annotations

import time
from typing import Any, TypeVar

from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static

from onboard.core.flow import WizardState
from onboard.ui.app import OnboardApp, make_app

S = TypeVar("S", bound=Screen[Any])

SIZE = (80, 24)


def test_app(state: WizardState | None = None, **kwargs: Any) -> OnboardApp:
    kwargs.setdefault("cursor_blink", False)
    kwargs.setdefault("animations", False)
    return make_app(state, **kwargs)


test_app.__test__ = False  # type: ignore[attr-defined]


async def wait_for_screen(pilot: Pilot[Any], kind: type[S], timeout: float = 10.0) -> S:
    """Pause until the active screen is a `kind` (and mounted), at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = pilot.app.screen
        if isinstance(screen, kind) and screen.is_mounted:
            await pilot.pause()
            return screen
        await pilot.pause(0.02)
    raise AssertionError(f"expected {kind.__name__}, still on {type(pilot.app.screen).__name__}")


async def wait_until(pilot: Pilot[Any], condition: Any, timeout: float = 10.0,
                     what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            await pilot.pause()
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def text_of(app: App[Any], selector: str) -> str:
    widget = app.screen.query_one(selector, Static)
    return str(widget.render())


def screen_text(app: App[Any]) -> str:
    """Every Static's text on the active screen, joined: enough to look for a message."""
    return "\n".join(str(w.render()) for w in app.screen.query(Static) if w.display)


async def type_text(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*["space" if ch == " " else ch for ch in text])
