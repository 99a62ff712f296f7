"""Below 80x24 every screen gives way to a message saying the size needed; the wizard goes on
where it was once the window is big enough again."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from onboard.core.flow import WizardState
from onboard.core.omemo import verified
from onboard.core.omemo.pep import DeviceReport
from onboard.ui.app import OnboardApp
from onboard.ui.screens.account import AccountScreen
from onboard.ui.screens.creating import CreatingScreen
from onboard.ui.screens.guide import GuideScreen
from onboard.ui.screens.qr_view import QRViewScreen, choose_layout
from onboard.ui.screens.too_small import TooSmallScreen
from onboard.ui.screens.welcome import WelcomeScreen
from tests.servers.prosody import ProsodyServer
from tests.ui.fakes import OWN_DEVICES, OWN_JID, FixedDevices
from tests.ui.helpers import (
    NETWORK_WAIT,
    PASSWORD,
    SIZE,
    fresh,
    live_state,
    test_app,
    type_text,
    wait_for_screen,
    wait_until,
)

SnapCompare = Any


def message_of(pilot: Pilot[Any]) -> str:
    screen = pilot.app.screen
    assert isinstance(screen, TooSmallScreen)
    return str(screen.query_one("#too-small", Static).render())


def account_app(size: tuple[int, int] = SIZE) -> OnboardApp:
    state = WizardState(domain="example.org", password=PASSWORD, password_generated=True)
    return test_app(state, start="account", size=size)


async def test_the_message_says_the_real_and_the_needed_size_and_typing_survives() -> None:
    app = account_app()
    async with app.run_test(size=SIZE) as pilot:
        account = await wait_for_screen(pilot, AccountScreen)
        await type_text(pilot, "bob")
        username = account.query_one("#username", Input)
        assert pilot.app.focused is username

        await pilot.resize_terminal(60, 20)
        await wait_for_screen(pilot, TooSmallScreen)
        text = message_of(pilot)
        assert "This window is 60×20" in text
        assert "at least 80×24" in text
        assert "bigger or the font smaller" in text
        # Keys pressed while the message shows reach no field.
        await type_text(pilot, "xyz")
        # A different small size: the message follows it.
        await pilot.resize_terminal(79, 30)
        await wait_until(pilot, lambda: "79×30" in message_of(pilot), 5, "the new size")

        await pilot.resize_terminal(80, 24)
        back = await wait_for_screen(pilot, AccountScreen)
        assert back is account
        assert username.value == "bob"
        assert pilot.app.focused is username
        assert "bob@example.org" in str(account.query_one("#username-status", Static).render())
        await type_text(pilot, "by")  # the wizard goes on where it was
        assert username.value == "bobby"
        assert not any(isinstance(s, TooSmallScreen) for s in pilot.app.screen_stack)


async def test_one_line_too_few_is_too_small() -> None:
    async with account_app().run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, AccountScreen)
        await pilot.resize_terminal(80, 23)
        await wait_for_screen(pilot, TooSmallScreen)
        assert "80×23" in message_of(pilot)
        await pilot.resize_terminal(120, 40)  # bigger than needed is fine
        await wait_for_screen(pilot, AccountScreen)


async def test_a_window_small_from_the_start_shows_the_message_over_the_first_step() -> None:
    app = test_app(WizardState(), size=(60, 20))
    async with app.run_test(size=(60, 20)) as pilot:
        await wait_for_screen(pilot, TooSmallScreen)
        assert "60×20" in message_of(pilot)
        assert isinstance(pilot.app.screen_stack[-2], WelcomeScreen)
        await pilot.resize_terminal(80, 24)
        await wait_for_screen(pilot, WelcomeScreen)
        # Only the one message was ever pushed: none is left under the step.
        assert not any(isinstance(s, TooSmallScreen) for s in pilot.app.screen_stack)
        await pilot.press("enter")  # and the wizard works on
        await wait_until(pilot, lambda: not isinstance(pilot.app.screen, WelcomeScreen), 5,
                         "the next step")


async def test_the_guide_over_a_step_is_covered_and_comes_back() -> None:
    async with account_app().run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, AccountScreen)
        await pilot.press("f1")
        guide = await wait_for_screen(pilot, GuideScreen)
        await pilot.resize_terminal(70, 20)
        await wait_for_screen(pilot, TooSmallScreen)
        assert "70×20" in message_of(pilot)
        await pilot.press("escape")  # does not close the guide under the message
        await pilot.resize_terminal(80, 24)
        assert await wait_for_screen(pilot, GuideScreen) is guide
        await pilot.press("escape")
        await wait_for_screen(pilot, AccountScreen)


async def test_the_qr_view_is_covered_and_lays_its_code_out_for_the_new_size() -> None:
    """The QR view's own message (the code needs more room) stays; below 80x24 the general
    one covers it, and when the window grows the code is laid out for the new size."""
    state = WizardState(domain="example.org", username="alice", password=PASSWORD,
                        password_generated=True, jid=OWN_JID, login_verified=True)
    state.own_devices = DeviceReport(OWN_JID, OWN_JID, OWN_DEVICES)
    for device in OWN_DEVICES:
        verified.mark_verified(OWN_JID, OWN_JID, device.device_id, device.fingerprint)
    app = test_app(state, start="qr", size=SIZE, devices=FixedDevices())
    async with app.run_test(size=SIZE) as pilot:
        qr = await wait_for_screen(pilot, QRViewScreen)
        assert qr.fit is not None and qr.fit.arrangement == "too-small"  # two devices: big
        assert qr.query("#qr-too-small")
        await pilot.resize_terminal(79, 24)
        await wait_for_screen(pilot, TooSmallScreen)
        await pilot.resize_terminal(100, 30)
        assert await wait_for_screen(pilot, QRViewScreen) is qr
        await wait_until(pilot, lambda: bool(qr.query("#qr")), 5, "the code laid out again")
        assert qr.fit == choose_layout(qr.link, 100, 30)
        assert qr.fit.arrangement != "too-small"


@pytest.mark.prosody
@pytest.mark.timeout(120)
async def test_a_step_that_ends_by_itself_under_the_message_leaves_the_next_one_covered(
        prosody: ProsodyServer) -> None:
    """Connecting and creating go on by themselves (a real Prosody): each step that follows
    is covered too, until the window is big enough."""
    state = live_state(prosody, "open.test", fresh("small"))
    app = test_app(state, start="connect", size=SIZE)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.resize_terminal(60, 20)
        await wait_for_screen(pilot, TooSmallScreen)

        def created_under_the_message() -> bool:
            stack = pilot.app.screen_stack
            return (len(stack) > 2 and isinstance(stack[-2], CreatingScreen)
                    and stack[-2].query_one("#continue").display)

        await wait_until(pilot, created_under_the_message, NETWORK_WAIT, "the account")
        assert isinstance(pilot.app.screen, TooSmallScreen)
        await pilot.resize_terminal(80, 24)
        creating = await wait_for_screen(pilot, CreatingScreen)
        assert not creating.query("#error")
    assert prosody.user_exists("open.test", state.username)


async def _message_shown(pilot: Pilot[Any]) -> None:
    await wait_for_screen(pilot, TooSmallScreen)
    assert isinstance(pilot.app.screen_stack[-2], AccountScreen)


def test_snapshot_one_column_too_few(snap_compare: SnapCompare) -> None:
    size = (79, 24)
    assert snap_compare(account_app(size), terminal_size=size, run_before=_message_shown)


def test_snapshot_one_line_too_few(snap_compare: SnapCompare) -> None:
    size = (80, 23)
    assert snap_compare(account_app(size), terminal_size=size, run_before=_message_shown)
