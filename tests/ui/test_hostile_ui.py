"""The wizard pointed at a scripted hostile server (tests/servers/hostile.py): terminal tricks in
the server's form stay inert on screen, and broken or silent servers end in the error panel with
the app still usable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Button, OptionList

from onboard.core.flow import WizardState
from onboard.ui.screens.account import AccountScreen
from onboard.ui.screens.connecting import ConnectingScreen
from onboard.ui.screens.form import FormScreen
from tests.servers.hostile import CATALOGUE, DOMAIN, HostileServer, hostile_servers
from tests.ui.helpers import (
    PASSWORD,
    SIZE,
    error_shown,
    screen_text,
    test_app,
    wait_for_screen,
    wait_until,
)

pytestmark = pytest.mark.timeout(90)

# What the "escape-sequences" behaviour hides in its texts (TERMINAL_TRICKS, decoded).
TRICKS = ("\x1b", "\x07", "\x08", "\r", "\x85", "\x9b", "\x9c", "\x9d", "\u202c", "\u202e",
          "\u2066", "\u200b")


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[dict[str, HostileServer]]:
    """`hostile[name]` is a server playing that behaviour, started on first use."""
    with hostile_servers(tmp_path) as make:
        class Servers(dict[str, HostileServer]):
            def __missing__(self, name: str) -> HostileServer:
                self[name] = make(CATALOGUE[name])
                return self[name]
        yield Servers()


def state_for(server: HostileServer) -> WizardState:
    return WizardState(domain=DOMAIN, host=server.host, port=server.port,
                       ca_file=server.ca_file, username="mallory", password=PASSWORD,
                       password_generated=True)


async def test_terminal_tricks_in_the_form_are_shown_inert(
        hostile: dict[str, HostileServer]) -> None:
    app = test_app(state_for(hostile["escape-sequences"]), start="connect")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, FormScreen, 20)
        text = screen_text(app)
        assert "Welcome" in text and "to the server" in text  # the instructions are shown
        assert "Plan" in text
        screenshot = app.export_screenshot()
        for trick in TRICKS:
            assert trick not in text, repr(trick)
            assert trick not in screenshot, repr(trick)
        # The plan's one option, in the (closed) list's own options.
        options = [str(o.get_option_at_index(i).prompt)
                   for o in app.screen.query(OptionList) for i in range(o.option_count)]
        assert any(option.startswith("Free") for option in options)
        assert all(trick not in option for option in options for trick in TRICKS)


async def test_malformed_xml_shows_the_error_and_back_works(
        hostile: dict[str, HostileServer]) -> None:
    server = hostile["malformed-after-header"]
    app = test_app(state_for(server), start="connect")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ConnectingScreen)
        await error_shown(pilot, 20)
        text = screen_text(app)
        assert "The server sent an answer that could not be understood." in text
        assert "Try again later, or choose another server." in text
        labels = [str(b.label) for b in screen.query("#error Button").results(Button)]
        assert "Back" in labels
        await pilot.press("escape")
        await wait_for_screen(pilot, AccountScreen)
        await server.wait_closed(1)


async def test_a_silent_server_times_out_and_try_again_reconnects(
        hostile: dict[str, HostileServer], quick_timeout: float) -> None:
    server = hostile["silent-after-register-get"]
    app = test_app(state_for(server), start="connect")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ConnectingScreen)
        await error_shown(pilot, 20)
        assert f"did not answer in time ({quick_timeout:.0f} s)" in screen_text(app)
        await server.wait_closed(1)
        assert app.focused is not None and app.focused.id == "choice-retry"
        await pilot.press("enter")
        await wait_until(pilot, lambda: server.connections == 2, 20, "the second connection")
        await error_shown(pilot, 20)
        assert f"did not answer in time ({quick_timeout:.0f} s)" in screen_text(app)
        await pilot.press("escape")
        await wait_for_screen(pilot, AccountScreen)
        await server.wait_closed(2)
