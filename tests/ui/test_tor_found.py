"""The connection step with a running tor found on this computer (not one the app starts): while
it is still connecting its progress is shown and waited for; when its control port cannot be
read, the screen says so before going on with its SOCKS port. Real tors: offline ones of our
own (their directory authorities are closed loopback ports, so nothing leaves the machine)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.widgets import Button, ProgressBar

from onboard.core.flow import WizardState
from onboard.core.tor.control import TorSource
from onboard.ui.app import TorOptions
from onboard.ui.screens.server import ServerScreen
from onboard.ui.screens.tor import TorScreen
from onboard.ui.screens.tor_connect import TorConnectScreen
from tests.core.test_tor_control import RunningTor, hashed_password
from tests.servers.offline_tor import no_password_in_env, offline_tor
from tests.ui.helpers import SIZE, screen_text, test_app, wait_for_screen, wait_until

__all__ = ["no_password_in_env", "offline_tor"]  # fixtures (tests/servers/offline_tor.py)
pytestmark = [pytest.mark.timeout(120)]


def as_system(tor: RunningTor) -> TorSource:
    assert tor.socks_port is not None
    return TorSource(kind="system", socks=("127.0.0.1", tor.socks_port), control=tor.control)


async def test_a_tor_still_connecting_shows_its_progress_and_is_not_used(
        offline_tor: Callable[..., RunningTor]) -> None:
    tor = offline_tor(CookieAuthentication="1")
    app = test_app(WizardState(tor_mode="system"), start="tor_connect", providers=[],
                   tor_options=TorOptions(candidates=[as_system(tor)], stall_after=4))
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, TorConnectScreen)
        await wait_until(pilot, lambda: screen.last_status is not None, 20, "a status")
        assert screen.query_one("#tor-bar", ProgressBar).display
        assert "still connecting" in screen_text(app)
        assert screen.last_status is not None and screen.last_status.progress < 100
        await wait_until(pilot, lambda: screen.query("#error"), 30, "the stall")
        assert "stopped making progress" in screen_text(app)
        assert "Nothing was sent without it" in screen_text(app)
        assert app.tor_route is None and not app.state.tor_on
        await pilot.press("escape")
        await wait_for_screen(pilot, TorScreen)
    assert tor.process.poll() is None  # not ours: left running


async def test_escape_stops_waiting_for_a_tor(offline_tor: Callable[..., RunningTor]) -> None:
    tor = offline_tor(CookieAuthentication="1")
    app = test_app(WizardState(tor_mode="system"), start="tor_connect", providers=[],
                   tor_options=TorOptions(candidates=[as_system(tor)], stall_after=60))
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, TorConnectScreen)
        await wait_until(pilot, lambda: screen.last_status is not None, 20, "a status")
        await pilot.press("escape")
        await wait_for_screen(pilot, TorScreen)
        assert app.tor_route is None and not app.state.tor_on
    assert tor.process.poll() is None


async def test_an_unreadable_progress_is_said_before_going_on(
        offline_tor: Callable[..., RunningTor]) -> None:
    tor = offline_tor(HashedControlPassword=hashed_password("correct horse"))
    app = test_app(WizardState(tor_mode="system"), start="tor_connect", providers=[],
                   tor_options=TorOptions(candidates=[as_system(tor)]))
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, TorConnectScreen)
        await wait_until(pilot, lambda: screen.query("#tor-continue"), 20, "the note")
        text = screen_text(app)
        assert "Could not read Tor's progress (it asks for a control password); using its " \
               "SOCKS port." in text
        assert "The tor running on this computer" in text
        assert not screen.query_one("#tor-bar").display
        assert isinstance(app.focused, Button) and app.focused.id == "tor-continue"
        await pilot.press("enter")
        await wait_for_screen(pilot, ServerScreen)
        assert app.state.tor_on and app.tor_route is not None
        assert app.tor_route.source.socks == ("127.0.0.1", tor.socks_port)
