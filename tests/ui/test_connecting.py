"""Connecting: the form is fetched in a worker; Esc cancels; errors offer the next step.

Against the real Prosody (tests/servers/prosody.py), a real silent socket for a server that
hangs, and the real resolver for a name that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import Button

from onboard.core.flow import WizardState
from onboard.ui.screens.account import AccountScreen
from onboard.ui.screens.connecting import ConnectingScreen
from onboard.ui.screens.creating import CreatingScreen
from onboard.ui.screens.form import FormScreen
from onboard.ui.screens.server import ServerScreen
from onboard.ui.service import LiveRegistration
from onboard.ui.widgets.qr import QRCode
from tests.servers.prosody import WEB_SIGNUP_URL
from tests.ui.fakes import FakeRegistration
from tests.ui.helpers import (
    NETWORK_WAIT,
    PASSWORD,
    SIZE,
    error_shown,
    fresh,
    live_state,
    screen_text,
    test_app,
    wait_for_screen,
    wait_until,
)
from tests.ui.relay import Relay


def ready_state() -> WizardState:
    return WizardState(domain="example.org", username="alice", password=PASSWORD,
                       password_generated=True)


async def test_shows_progress_and_escape_cancels_and_closes(silent_server: Relay) -> None:
    """A server that accepts the connection and then says nothing: Esc must end it at once."""
    state = ready_state()
    state.host, state.port = "127.0.0.1", silent_server.port
    app = test_app(state, start="connect")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ConnectingScreen)
        await wait_until(pilot, lambda: silent_server.connections == 1, what="the connection")
        assert "Connecting to example.org" in screen_text(app)
        assert app.screen.query_one("#loading").display
        await pilot.press("escape")
        await wait_for_screen(pilot, AccountScreen)
        # The fetch was cancelled: the socket is closed long before the core's 30 s time-out.
        await wait_until(pilot, lambda: silent_server.closed == 1,
                         what="the connection to be closed")
        assert isinstance(app.service, LiveRegistration) and app.service._session is None
        assert silent_server.connections == 1


@pytest.mark.prosody
async def test_simple_form_goes_straight_to_creating(prosody: Any) -> None:
    app = test_app(live_state(prosody, "open.test", fresh("simple")), start="connect")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, CreatingScreen, NETWORK_WAIT)
        assert app.state.form is not None
        assert not app.state.form.extra_fields() and app.state.form.captcha_field is None


@pytest.mark.prosody
async def test_captcha_form_goes_to_the_form_screen(prosody: Any) -> None:
    app = test_app(live_state(prosody, "captcha.test", fresh("captcha")), start="connect")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, FormScreen, NETWORK_WAIT)
        assert app.state.form is not None and app.state.form.captcha_image() is not None


@pytest.mark.prosody
async def test_timeout_offers_try_again_which_reconnects(
        prosody: Any, relay: Callable[..., Relay], quick_timeout: float) -> None:
    """The first connection is never answered; the second reaches the real server."""
    flaky = relay(prosody.starttls_port, unanswered=1)
    app = test_app(live_state(prosody, "open.test", fresh("timeout"), port=flaky.port),
                   start="connect")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ConnectingScreen)
        await error_shown(pilot)
        text = screen_text(app)
        assert f"did not answer in time ({quick_timeout:.0f} s)" in text
        assert "Try again, or choose another server" in text
        assert not screen.query_one("#loading").display
        labels = [str(b.label) for b in screen.query("#error Button").results(Button)]
        assert labels == ["Try again", "Choose another server", "Back"]
        assert app.focused is not None and app.focused.id == "choice-retry"
        await pilot.press("enter")
        creating = await wait_for_screen(pilot, CreatingScreen, NETWORK_WAIT)
        await wait_until(pilot, lambda: creating.query_one("#continue").display, NETWORK_WAIT,
                         "the account and the login check")
        # Two fetches (the second one answered), then the login check.
        assert flaky.connections == 3


async def test_dns_error_suggests_another_server_first() -> None:
    """A name that cannot exist (RFC 6761 .invalid), looked up for real."""
    state = ready_state()
    state.domain = "exmaple.invalid"
    app = test_app(state, start="connect")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ConnectingScreen)
        await error_shown(pilot)
        assert "exmaple.invalid could not be found" in screen_text(app)
        assert app.focused is not None and app.focused.id == "choice-server"
        await pilot.press("enter")
        await wait_for_screen(pilot, ServerScreen)
        assert isinstance(app.service, LiveRegistration) and app.service._session is None


@pytest.mark.prosody
async def test_tls_error_message_and_back_to_account(prosody: Any) -> None:
    app = test_app(live_state(prosody, "expired.test", fresh("tls")), start="connect")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ConnectingScreen)
        await error_shown(pilot)
        assert "certificate for expired.test has expired" in screen_text(app)
        await pilot.press("escape")
        await wait_for_screen(pilot, AccountScreen)


@pytest.mark.prosody
async def test_closed_registration_with_web_page_shows_link_and_qr(prosody: Any) -> None:
    """web.test answers the form request with XEP-0077's redirection to its sign-up page."""
    url = WEB_SIGNUP_URL
    app = test_app(live_state(prosody, "web.test", fresh("web")), start="connect")
    opened: list[str] = []
    app.open_url = lambda link, new_tab=True: opened.append(link)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ConnectingScreen)
        await error_shown(pilot)
        text = screen_text(app)
        assert "web.test does not allow creating accounts from an app" in text
        assert url in text
        qr = screen.query_one(QRCode)
        assert qr.data == url
        assert qr.region.right <= SIZE[0] and qr.region.bottom <= SIZE[1] - 1  # fits
        await pilot.press("ctrl+o")
        assert opened == [url]
        await pilot.press("tab", "enter")  # the "Open the sign-up page" button
        assert opened == [url, url]
        await pilot.press("shift+tab", "enter")  # "Choose another server"
        await wait_for_screen(pilot, ServerScreen)


@pytest.mark.prosody
async def test_closed_registration_without_web_page(prosody: Any) -> None:
    app = test_app(live_state(prosody, "closed.test", fresh("closed")), start="connect")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ConnectingScreen)
        await error_shown(pilot)
        text = screen_text(app)
        assert "closed.test does not allow creating accounts from an app" in text
        assert "Choose another server." in text
        assert not screen.query(QRCode)
        assert screen.check_action("open_web", ()) is False


async def test_unexpected_exception_is_shown_not_raised() -> None:
    """A bug, which no server can cause: a canned service raises it."""
    fake = FakeRegistration(fetch_error=RuntimeError("boom"))
    app = test_app(ready_state(), service=fake, start="connect")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ConnectingScreen)
        await error_shown(pilot)
        assert "Something went wrong." in screen_text(app)
        assert "boom" in screen_text(app)
