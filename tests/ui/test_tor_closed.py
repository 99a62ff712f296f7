"""Tor asked for fails closed in the assistant, on every path.

- "I already have an account" skips the connection step: with --tor it opens the Tor route
  first, and when that Tor is not there the login fails with the Tor message and nothing goes
  out directly (a Python audit hook records every connect and name lookup; the target is the
  real Prosody, so a direct login would have worked). With the private Tor network's tor the
  same path logs in over Tor, at the onion address.
- Links (the CAPTCHA page, a sign-up page) are not handed to the system browser while Tor is
  on or asked for: a note gives the address for Tor Browser instead.
- `--tor auto` preselects a Tor on the connection step, never "Directly".
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App
from textual.widgets import Button, Input

from onboard.core.errors import RegistrationClosedError
from onboard.core.flow import WizardState
from onboard.core.tor.route import parse_tor_mode
from onboard.ui.app import TorOptions
from onboard.ui.screens.connecting import ConnectingScreen
from onboard.ui.screens.devices import DevicesScreen
from onboard.ui.screens.existing import ExistingAccountScreen
from onboard.ui.screens.form import FormScreen
from onboard.ui.screens.server import ServerScreen
from onboard.ui.screens.tor import TorScreen
from onboard.ui.screens.tor_connect import TorConnectScreen
from onboard.ui.screens.welcome import WelcomeScreen
from tests.servers.audit import SocketAudit, audit
from tests.servers.local import closed_port
from tests.ui.fakes import FakeRegistration, every_field_form
from tests.ui.helpers import (
    PASSWORD,
    SIZE,
    error_shown,
    screen_text,
    test_app,
    type_text,
    wait_for_screen,
    wait_until,
)

__all__ = ["audit"]  # a fixture, the one recorder of the run (tests/servers/audit.py)
pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.filterwarnings("ignore:Accessing plugins through the XMPP:DeprecationWarning"),
]
TOR_WAIT = 120.0


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The links that reach Textual's opener (the system browser), recorded instead."""
    opened: list[str] = []

    def record(self: App[Any], url: str, *, new_tab: bool = True) -> None:
        opened.append(url)

    monkeypatch.setattr(App, "open_url", record)
    return opened


def cli_state(tor: str, **kwargs: Any) -> WizardState:
    """The state as `xmpp-onboard --tor TOR` builds it (onboard/__main__.py)."""
    return WizardState(tor_mode=str(parse_tor_mode(tor)), **kwargs)


async def log_in(pilot: Any, jid: str, password: str) -> ExistingAccountScreen:
    await wait_for_screen(pilot, WelcomeScreen)
    await pilot.press("tab", "enter")  # "I already have an account"
    screen = await wait_for_screen(pilot, ExistingAccountScreen)
    address = screen.query_one("#address", Input)
    for _ in range(3):  # past the saved accounts, if any
        if pilot.app.focused is address:
            break
        await pilot.press("tab")
    await type_text(pilot, jid)
    await pilot.press("tab")
    await type_text(pilot, password)
    await pilot.press("enter")
    return screen


# --- "I already have an account" with --tor --------------------------------------------------


@pytest.mark.prosody
async def test_existing_account_with_tor_not_there_sends_nothing(
        prosody: Any, make_account: Any, audit: SocketAudit) -> None:
    jid, password = await make_account("closed")
    socks = ("127.0.0.1", closed_port())
    state = cli_state(f"socks5://{socks[0]}:{socks[1]}", host=prosody.host,
                      port=prosody.starttls_port, ca_file=prosody.ca_file)
    assert state.network.name == "closed" and not state.tor_on
    app = test_app(state)
    async with app.run_test(size=SIZE) as pilot:
        with audit.watch():
            screen = await log_in(pilot, jid, password)
            await error_shown(pilot)
        text = screen_text(app)
        assert (f"Tor is not reachable at socks5://{socks[0]}:{socks[1]}, so nothing was "
                "sent.") in text
        assert app.screen is screen and not screen.busy
        assert app.state.network.name == "closed" and app.tor_route is None
        assert not app.state.tor_on
    # Only the SOCKS port was tried (to find that Tor); Prosody's port never.
    audit.only_to(socks)


@pytest.mark.prosody
async def test_existing_account_with_tor_logs_in_over_tor(
        tor_network: Any, prosody: Any, make_account: Any, audit: SocketAudit) -> None:
    jid, password = await make_account("overtor")
    tor_network.wait_for_onion()
    socks = ("127.0.0.1", tor_network.socks_port)
    state = cli_state(f"socks5://{socks[0]}:{socks[1]}", host=tor_network.onion_address,
                      port=5222, ca_file=prosody.ca_file)
    app = test_app(state)
    async with app.run_test(size=SIZE) as pilot:
        with audit.watch():
            await log_in(pilot, jid, password)
            devices = await wait_for_screen(pilot, DevicesScreen, TOR_WAIT)
        assert app.state.tor_on and app.tor_route is not None
        assert app.state.own_devices is not None and app.state.jid == jid
        assert devices.is_current
    audit.only_to(socks)


# --- links: never to the system browser while Tor is on or asked for -------------------------


def form_state(**kwargs: Any) -> WizardState:
    return WizardState(domain="example.org", username="alice", password=PASSWORD,
                       password_generated=True, form=every_field_form(), **kwargs)


async def test_the_captcha_link_is_not_opened_with_tor(browser: list[str]) -> None:
    app = test_app(form_state(tor_mode="system"), start="form")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, FormScreen)
        text = screen_text(app)
        assert "see the CAPTCHA in Tor Browser" in text
        assert "https://example.org/captcha/1" in text
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert browser == []
        (note,) = list(app._notifications)
        assert "Open it in Tor Browser: https://example.org/captcha/1" in note.message
        assert "would connect without Tor" in note.message


async def test_the_captcha_link_opens_without_tor(browser: list[str]) -> None:
    app = test_app(form_state(), start="form")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, FormScreen)
        assert "in a web browser (Ctrl+O)" in screen_text(app)
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert browser == ["https://example.org/captcha/1"]
        assert not list(app._notifications)


async def test_a_sign_up_page_is_not_opened_with_tor(browser: list[str]) -> None:
    url = "https://example.org/register"
    fake = FakeRegistration(fetch_error=RegistrationClosedError("example.org", url))
    state = form_state(tor_mode="launch")
    app = test_app(state, service=fake, start="connect")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ConnectingScreen)
        await error_shown(pilot)
        await pilot.press("ctrl+o")
        await pilot.press("tab", "enter")  # the "Open the sign-up page" button
        await pilot.pause()
        assert browser == []
        notes = [n.message for n in app._notifications]
        assert len(notes) == 2 and all(f"Open it in Tor Browser: {url}" in n for n in notes)


# --- --tor auto on the connection step ------------------------------------------------------


async def test_tor_auto_preselects_a_tor_even_when_none_is_found() -> None:
    from onboard.core.tor.control import TorSource

    nowhere = [TorSource(kind="system", socks=("127.0.0.1", closed_port()), control=None),
               TorSource(kind="browser", socks=("127.0.0.1", closed_port()), control=None)]
    app = test_app(cli_state("auto"), start="tor", providers=[],
                   tor_options=TorOptions(candidates=nowhere))
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, TorScreen)
        assert screen.chosen() == "system"  # before the search ends
        await wait_until(pilot, lambda: bool(screen.found), 10, "the search for tor")
        assert screen.chosen() == "system"
        assert "(not found)" in screen_text(app)
        screen.query_one("#continue", Button).press()
        await wait_for_screen(pilot, TorConnectScreen)
        await wait_until(pilot, lambda: "not reachable" in screen_text(app), 10, "the error")
        assert app.state.tor_mode == "auto"
        assert app.state.network.name == "closed" and not app.state.tor_on


async def test_tor_auto_preselects_the_tor_browser_that_is_found(tor_network: Any) -> None:
    """Only "Tor Browser" answers (the private network's tor stands in for it): auto takes
    it, and Enter goes on over Tor."""
    from onboard.core.tor.control import TorSource

    candidates = [
        TorSource(kind="system", socks=("127.0.0.1", closed_port()), control=None),
        TorSource(kind="browser", socks=("127.0.0.1", tor_network.socks_port), control=None),
    ]
    app = test_app(cli_state("auto"), start="tor", providers=[],
                   tor_options=TorOptions(candidates=candidates))
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, TorScreen)
        await wait_until(pilot, lambda: screen.chosen() == "browser", 10, "the preselection")
        assert screen.found == {"system": False, "browser": True}
        await pilot.press("enter")  # Enter on the chosen option goes on
        await wait_for_screen(pilot, ServerScreen, TOR_WAIT)
        assert app.state.tor_on and app.state.tor_mode == "auto"
        assert app.tor_route is not None
        assert app.tor_route.network.socks == ("127.0.0.1", tor_network.socks_port)


async def test_a_choice_made_by_hand_replaces_auto() -> None:
    app = test_app(cli_state("auto"), start="tor", providers=[],
                   tor_options=TorOptions(candidates=[]))
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, TorScreen)
        await wait_until(pilot, lambda: bool(screen.found), 10, "the search for tor")
        await pilot.press("up", "space")  # "Directly", chosen by the user
        assert screen.chosen() == "off" and screen.auto_choice is None
        await pilot.press("enter")
        await wait_for_screen(pilot, ServerScreen)
        assert app.state.tor_mode == "off" and app.state.network.name == "direct"
        assert not app.state.tor_requested
