"""The existing-account path: welcome → log in (a saved account or typed) → the account's own
devices, against the real Prosody and real slixmpp-omemo devices, keyboard only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, OptionList

from onboard.core.flow import WizardState
from onboard.ui.app import OnboardApp
from onboard.ui.screens.devices import DevicesScreen
from onboard.ui.screens.existing import ExistingAccountScreen
from onboard.ui.screens.welcome import WelcomeScreen
from onboard.ui.widgets.fingerprint import Fingerprint
from tests.servers.omemo_devices import make_device
from tests.ui.helpers import (
    NETWORK_WAIT,
    SIZE,
    screen_text,
    test_app,
    text_of,
    type_text,
    wait_for_screen,
    wait_until,
)
from tests.ui.relay import Relay

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.filterwarnings("ignore:Accessing plugins through the XMPP:DeprecationWarning"),
]

MakeAccount = Callable[..., Awaitable[tuple[str, str]]]


def prosody_app(prosody: Any) -> OnboardApp:
    """Pointed at the local server through the state, as the CLI's --host would."""
    return test_app(WizardState(host=prosody.host, port=prosody.starttls_port,
                                ca_file=prosody.ca_file))


async def to_login(pilot: Pilot[Any]) -> ExistingAccountScreen:
    await wait_for_screen(pilot, WelcomeScreen)
    await pilot.press("tab", "enter")  # "I already have an account"
    return await wait_for_screen(pilot, ExistingAccountScreen)


async def to_address(pilot: Pilot[Any], screen: ExistingAccountScreen) -> None:
    """Into the address field with Tab (past the saved accounts, if any)."""
    for _ in range(3):
        if pilot.app.focused is screen.query_one("#address", Input):
            return
        await pilot.press("tab")
    raise AssertionError("the address field never got the focus")


def answered(screen: ExistingAccountScreen) -> Callable[[], bool]:
    return lambda: not screen.busy or not screen.is_current


@pytest.mark.prosody
async def test_wrong_password_is_said_there_and_nothing_is_lost(
        prosody: Any, make_account: MakeAccount, ui_home: Path) -> None:
    jid, password = await make_account("existing")
    device = await make_device(prosody, jid, password)
    app = prosody_app(prosody)
    async with app.run_test(size=SIZE) as pilot:
        screen = await to_login(pilot)
        await to_address(pilot, screen)
        await type_text(pilot, jid)
        await pilot.press("tab")
        await type_text(pilot, "not-the-password")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "wrong" in text_of(app, "#password-problem"),
                         NETWORK_WAIT, "the refusal")
        assert app.screen is screen
        assert f"Logging in as {jid} did not work: the address or the password is wrong" in \
            text_of(app, "#password-problem")
        assert screen.query_one("#address", Input).value == jid
        password_field = screen.query_one("#password", Input)
        assert password_field.value == "not-the-password" and password_field.password
        assert app.focused is password_field
        assert "not-the-password" not in screen_text(app)

        # Put the right one in: to the end, delete everything left of the cursor, type.
        await pilot.press("end", "ctrl+u")
        assert password_field.value == ""
        await type_text(pilot, password)
        await pilot.press("enter")
        devices = await wait_for_screen(pilot, DevicesScreen, NETWORK_WAIT)
        await wait_until(pilot, lambda: bool(devices.cards), what="the devices")
        (card,) = devices.cards
        assert card.device.device_id == device.device_id
        assert card.query_one(Fingerprint).fingerprint == device.fingerprint
        # One login for both the check and the list: the report came from the login screen.
        assert str(devices.query_one("#step").render()).startswith("Encryption")
        assert app.state.mode == "existing" and app.state.jid == jid

        # Esc goes back to the login, with what was typed.
        await pilot.press("escape")
        again = await wait_for_screen(pilot, ExistingAccountScreen)
        assert again.query_one("#address", Input).value == jid


@pytest.mark.prosody
async def test_a_saved_account_is_picked_from_the_list(
        prosody: Any, make_account: MakeAccount) -> None:
    """make_account saves the credentials as the wizard does when it creates an account."""
    jid, _password = await make_account("saved")
    app = prosody_app(prosody)
    async with app.run_test(size=SIZE) as pilot:
        screen = await to_login(pilot)
        saved = screen.query_one("#saved", OptionList)
        assert app.focused is saved
        assert [str(option.prompt) for option in saved.options] == [jid]
        await pilot.press("enter")
        assert screen.query_one("#address", Input).value == jid
        assert app.focused is screen.query_one("#login", Button)
        await pilot.press("enter")
        devices = await wait_for_screen(pilot, DevicesScreen, NETWORK_WAIT)
        await wait_until(pilot, lambda: not devices.busy, NETWORK_WAIT, "the devices")
        assert "This account has no OMEMO encryption keys yet" in screen_text(app)


async def test_an_address_that_is_not_one_is_said_at_once() -> None:
    app = test_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await to_login(pilot)
        await type_text(pilot, "alice")
        await pilot.press("enter")  # on to the password
        assert app.focused is screen.query_one("#password", Input)
        await type_text(pilot, "some password")
        await pilot.press("enter")
        await pilot.pause()
        assert "is not a chat address" in text_of(app, "#address-problem")
        assert app.focused is screen.query_one("#address", Input)
        assert not screen.busy


async def test_escape_stops_logging_in_and_stays(silent_server: Relay) -> None:
    app = test_app(WizardState(host="127.0.0.1", port=silent_server.port))
    async with app.run_test(size=SIZE) as pilot:
        screen = await to_login(pilot)
        await type_text(pilot, "alice@example.org")
        await pilot.press("tab")
        await type_text(pilot, "some password")
        await pilot.press("enter")
        await wait_until(pilot, lambda: silent_server.connections == 1, what="the connection")
        assert screen.busy and "Logging in as alice@example.org" in screen_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: silent_server.closed == 1,
                         what="the connection to be closed")
        assert app.screen is screen and not screen.busy
        assert "Stopped" in text_of(app, "#password-problem")
        assert screen.query_one("#password", Input).value == "some password"
        await pilot.press("escape")
        await wait_for_screen(pilot, WelcomeScreen)
