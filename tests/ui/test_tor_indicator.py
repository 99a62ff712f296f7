"""The route on every screen: "Tor: off", "Tor: not connected", "Tor: on", and "Tor: lost" once
the Tor in use stops answering, found by the app's own check on a timer. The tors here are real:
an offline tor of our own (it answers on SOCKS and never reaches any network), found as the
"system" tor and then killed."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
from textual.color import Color
from textual.pilot import Pilot
from textual.widgets import Button

from onboard.core.flow import WizardState
from onboard.core.tor.control import TorSource
from onboard.core.tor.network import TorNetwork
from onboard.ui.app import TorOptions
from onboard.ui.screens.guide import GuideScreen
from onboard.ui.screens.server import ServerScreen
from onboard.ui.screens.too_small import TooSmallScreen
from onboard.ui.screens.tor import TorScreen
from onboard.ui.screens.tor_connect import TorConnectScreen
from onboard.ui.screens.welcome import WelcomeScreen
from onboard.ui.widgets.step_indicator import (
    ROUTE_STATUSES,
    RouteIndicator,
    StepIndicator,
    lost_text,
    route_label,
    route_status,
)
from tests.core.test_tor_health import offline_tor
from tests.ui.helpers import SIZE, screen_text, test_app, wait_for_screen, wait_until
from tests.ui.test_tor import choose, closed_port

pytestmark = [pytest.mark.timeout(120)]

CHECK_EVERY = 0.3  # the app's check period here (5 s in real use)


def step_text(pilot: Pilot[Any]) -> str:
    return str(pilot.app.screen.query_one("#step", StepIndicator).render())


def route_text(pilot: Pilot[Any]) -> str:
    """The route as the active screen shows it, whichever indicator it has."""
    screen = pilot.app.screen
    indicator = screen.query_one("#step, #route")
    assert isinstance(indicator, StepIndicator | RouteIndicator)
    assert indicator.display and indicator.region.width > 0  # on screen, not just there
    return indicator.route_text


# --- which status, in which words --------------------------------------------------------


def test_the_status_follows_the_state() -> None:
    assert route_status(WizardState()) == "off"
    assert route_status(WizardState(tor_mode="launch")) == "not_connected"
    assert route_status(WizardState(tor_mode="socks5://127.0.0.1:9050")) == "not_connected"
    on = WizardState(tor_mode="system", network=TorNetwork(("127.0.0.1", 9050)))
    assert route_status(on) == "on"
    assert route_status(on, lost=True) == "lost"
    # Nothing to lose without a Tor route: lost only ever qualifies "on".
    assert route_status(WizardState(), lost=True) == "off"


def test_each_status_has_its_own_words() -> None:
    """NO_COLOR, a screen reader, a photo of the screen: the words alone tell them apart."""
    labels = [route_label(status) for status in ROUTE_STATUSES]
    assert labels == ["Tor: off", "Tor: not connected", "Tor: on", "Tor: lost"]
    assert len(set(labels)) == len(labels)


async def test_off_and_not_connected_on_the_step() -> None:
    app = test_app(start="welcome", providers=[])
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, WelcomeScreen)
        assert route_text(pilot) == "Tor: off"
        assert step_text(pilot).endswith("Tor: off")
    app = test_app(WizardState(tor_mode="launch"), start="server", providers=[])
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ServerScreen)
        assert step_text(pilot).endswith("Tor: not connected")
        assert app.tor_status == "not_connected"


async def test_a_tor_asked_for_that_is_not_there_says_not_connected() -> None:
    state = WizardState(tor_mode=f"socks5://127.0.0.1:{closed_port()}")
    app = test_app(state, start="tor", providers=[])
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, TorScreen)
        screen.query_one("#continue", Button).press()
        await wait_for_screen(pilot, TorConnectScreen)
        await wait_until(pilot, lambda: "not reachable" in screen_text(pilot.app), 10,
                         "the error")
        assert step_text(pilot).endswith("Tor: not connected")


async def test_the_guide_and_the_size_message_show_the_route() -> None:
    app = test_app(start="welcome", providers=[])
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, WelcomeScreen)
        await pilot.press("f1")
        guide = await wait_for_screen(pilot, GuideScreen)
        assert route_text(pilot) == "Tor: off"
        # At the right end of the guide's title line.
        indicator = guide.query_one("#route", RouteIndicator)
        assert indicator.region.y == 0 and indicator.region.right == SIZE[0]
        await pilot.resize_terminal(60, 20)
        await wait_for_screen(pilot, TooSmallScreen)
        assert route_text(pilot) == "Tor: off"
        await pilot.resize_terminal(*SIZE)
        await wait_for_screen(pilot, GuideScreen)


# --- a real Tor route that dies --------------------------------------------------------------


async def test_the_route_is_lost_when_tor_dies_and_back_when_it_returns(tmp_path: Path) -> None:
    tor = offline_tor(tmp_path / "tor")
    port = tor.socks_port
    assert port is not None
    system = TorSource(kind="system", socks=("127.0.0.1", port), control=None)
    app = test_app(start="tor", providers=[],
                   tor_options=TorOptions(candidates=[system], check_every=CHECK_EVERY))
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await wait_for_screen(pilot, TorScreen)
            await wait_until(pilot, lambda: bool(screen.found), 10, "the search for tor")
            await choose(pilot, "system")
            await pilot.press("enter")
            server = await wait_for_screen(pilot, ServerScreen, 20)
            assert step_text(pilot).endswith(" Tor: on ")
            # Checked on the timer, and found working: still on.
            await pilot.pause(CHECK_EVERY * 3)
            assert route_text(pilot) == "Tor: on"
            step = server.query_one("#step", StepIndicator)
            assert step.size.height == 1

            # The guide over the step follows the same route.
            await pilot.press("f1")
            await wait_for_screen(pilot, GuideScreen)
            assert route_text(pilot) == "Tor: on"

            os.kill(tor.process.pid, signal.SIGKILL)
            tor.process.wait(10)
            await wait_until(pilot, lambda: route_text(pilot) == "Tor: lost",
                             CHECK_EVERY * 4, "the guide to say lost")
            guide_route = pilot.app.screen.query_one("#route", RouteIndicator)
            assert guide_route.has_class("-lost")
            await pilot.press("escape")
            await wait_for_screen(pilot, ServerScreen)
            # The step under it was told too: lost, in the warning colour, and why.
            assert pilot.app.screen is server
            text = step_text(pilot)
            first, _, second = text.partition("\n")
            assert first.endswith(" Tor: lost ")
            assert second == lost_text()
            assert "nothing can be sent until it is back" in second
            assert step.has_class("-lost") and step.size.height == 2
            warning = Color.parse(pilot.app.get_css_variables()["warning"])
            assert step.styles.background == warning
            assert app.state.tor_on  # still the Tor route: nothing goes out directly

            # The same tor again (e.g. the system tor restarted): on again.
            tor = offline_tor(tmp_path / "again", port)
            await wait_until(pilot, lambda: route_text(pilot) == "Tor: on",
                             CHECK_EVERY * 4 + 2, "the route to be back")
            assert not step.has_class("-lost")
            await pilot.pause()
            assert step.size.height == 1
    finally:
        tor.stop()


@pytest.mark.parametrize(("width", "language", "expected_left"), [
    (80, "en", "●●●○○○○  Step 3 of 7: Connecting to Tor"),
    (60, "en", "Step 3 of 7: Connecting to Tor"),  # no room for the dots
    (60, "de", "Schritt 3 von 7: Verbindung zu Tor…"),  # nor for the whole title
])
async def test_the_header_keeps_the_route_apart_from_the_title(width: int, language: str,
                                                               expected_left: str) -> None:
    from textual.app import App, ComposeResult

    from onboard.i18n import set_language

    set_language(language)

    class HeaderOnly(App[None]):
        def compose(self) -> ComposeResult:
            yield StepIndicator(3, "Connecting to Tor", status="not_connected", id="header")

    app = HeaderOnly()
    async with app.run_test(size=(width, 5)) as pilot:
        await pilot.pause()
        header = app.query_one("#header", StepIndicator)
        line = header.render().plain
        route = route_label("not_connected")
        assert len(line) == header.content_size.width
        assert line.startswith(expected_left) and line.endswith(route)
        assert line[len(expected_left):-len(route)].strip() == ""
        assert len(line) - len(expected_left) - len(route) >= 3
