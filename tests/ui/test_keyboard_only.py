"""The whole wizard without a mouse: every screen from the welcome to Done and on to the
encryption keys (own devices, their QR code, a friend's), the guide, the checklist, the invite and
the handout, with key presses only. The registration goes to the real Prosody; devices and the
invite are the fixed ones of tests/ui/fakes.py.

On every screen each interactive widget shown must be reachable: in the focus chain, which Tab
walks through in full (checked by pressing Tab), or, for a button that cannot take the focus, a
key binding of its screen.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Input,
    OptionList,
    RadioSet,
    Select,
    SelectionList,
    TextArea,
)

from onboard.core.flow import WizardState
from onboard.ui.screens.account import AccountScreen
from onboard.ui.screens.checklist import ChecklistScreen
from onboard.ui.screens.creating import CreatingScreen
from onboard.ui.screens.devices import DevicesScreen
from onboard.ui.screens.done import DoneScreen
from onboard.ui.screens.filters import FiltersScreen
from onboard.ui.screens.friend import FriendScreen
from onboard.ui.screens.guide import GuideScreen
from onboard.ui.screens.handout import HandoutScreen
from onboard.ui.screens.hello import HelloScreen
from onboard.ui.screens.invite import InviteScreen
from onboard.ui.screens.qr_view import QRViewScreen
from onboard.ui.screens.server import ServerScreen
from onboard.ui.screens.threat import ThreatScreen
from onboard.ui.screens.threat_summary import ThreatSummaryScreen
from onboard.ui.screens.tor import TorScreen
from onboard.ui.screens.welcome import WelcomeScreen
from tests.ui.fakes import FRIEND_JID, OWN_DEVICES, FixedDevices, FixedHello, FixedInvite
from tests.ui.helpers import (
    NETWORK_WAIT,
    SIZE,
    fresh,
    screen_text,
    test_app,
    type_text,
    wait_for_screen,
    wait_until,
)

pytestmark = [pytest.mark.prosody, pytest.mark.timeout(300)]

INTERACTIVE = (Button, Checkbox, DataTable, Input, OptionList, RadioSet, Select, SelectionList,
               TextArea)


def shown(widget: Widget) -> bool:
    """Displayed, with every container above it displayed too."""
    node: Any = widget
    while isinstance(node, Widget):
        if not node.display or not node.visible:
            return False
        node = node.parent
    return True


def interactive_widgets(screen: Screen[Any]) -> list[Widget]:
    found = [w for w in screen.query("*") if isinstance(w, INTERACTIVE) and shown(w)
             and not w.disabled]
    # An OptionList inside a Select is the Select's own overlay, opened from the Select.
    return [w for w in found if not (isinstance(w, OptionList)
                                     and any(isinstance(a, Select) for a in w.ancestors))]


def bound_keys(screen: Screen[Any]) -> set[str]:
    """The ids of the bindings active on the screen."""
    return {binding.id for _key, (_node, binding, enabled, _tip)
            in screen.active_bindings.items() if enabled and binding.id}


async def assert_keyboard_reachable(pilot: Pilot[Any]) -> None:
    """Each interactive widget on the active screen is in its focus chain (or, for a button
    that cannot take the focus, has a binding), and Tab really visits every one of them."""
    screen = pilot.app.screen
    chain = screen.focus_chain
    for widget in interactive_widgets(screen):
        if widget.focusable:
            assert widget in chain, f"{widget!r} on {screen!r} is not reachable with Tab"
        else:
            assert isinstance(widget, Button) and widget.id in bound_keys(screen), \
                f"{widget!r} on {screen!r} needs the mouse"
    start = pilot.app.focused
    visited: list[Widget] = []
    for _step in range(len(chain)):
        await pilot.press("tab")
        if pilot.app.focused is not None:
            visited.append(pilot.app.focused)
    assert set(visited) == set(chain), f"Tab does not visit all of {screen!r}"
    # Back to where the focus was, with shift+Tab.
    for _step in range(len(chain)):
        if pilot.app.focused is start:
            break
        await pilot.press("shift+tab")
    assert pilot.app.focused is start or start is None


async def focus_on(pilot: Pilot[Any], wanted: Callable[[Widget], bool], what: str) -> None:
    """Tab until the focused widget is the one `wanted`."""
    for _step in range(len(pilot.app.screen.focus_chain) + 1):
        focused = pilot.app.focused
        if focused is not None and wanted(focused):
            return
        await pilot.press("tab")
    raise AssertionError(f"Tab never reached {what} on {pilot.app.screen!r}")


def has_id(widget_id: str) -> Callable[[Widget], bool]:
    return lambda widget: widget.id == widget_id


async def on_screen(pilot: Pilot[Any], kind: type[Any], timeout: float = 10.0) -> Any:
    screen = await wait_for_screen(pilot, kind, timeout)
    await assert_keyboard_reachable(pilot)
    return screen


async def guide_and_back(pilot: Pilot[Any], kind: type[Any]) -> None:
    await pilot.press("f1")
    await on_screen(pilot, GuideScreen)
    await pilot.press("escape")
    await wait_for_screen(pilot, kind)


async def test_every_screen_with_the_keyboard_only(prosody: Any) -> None:
    state = WizardState(host=prosody.host, port=prosody.starttls_port, ca_file=prosody.ca_file)
    username = fresh("keys")
    # The fixed devices, as the new account's own.
    own = tuple(dataclasses.replace(device, jid=f"{username}@open.test")
                for device in OWN_DEVICES)
    app = test_app(state, size=SIZE, devices=FixedDevices(own), hello=FixedHello(),
                   invite=FixedInvite())
    async with app.run_test(size=SIZE) as pilot:
        # Welcome, helper mode on (for the checklist), and the guide.
        await on_screen(pilot, WelcomeScreen)
        await guide_and_back(pilot, WelcomeScreen)
        await focus_on(pilot, has_id("helper-mode"), "the helper box")
        await pilot.press("space")
        await focus_on(pilot, has_id("create"), "Create")
        await on_screen(pilot, WelcomeScreen)  # the helper's field shown now
        await focus_on(pilot, has_id("create"), "Create")
        await pilot.press("enter")

        await on_screen(pilot, ThreatScreen)
        await pilot.press("shift+tab", "enter")
        await on_screen(pilot, ThreatSummaryScreen)
        await pilot.press("enter")
        await on_screen(pilot, TorScreen)
        await pilot.press("enter")

        # The server step, its filters dialog, then the typed domain.
        await on_screen(pilot, ServerScreen)
        await focus_on(pilot, lambda w: isinstance(w, DataTable), "the server list")
        await pilot.press("f")
        await on_screen(pilot, FiltersScreen)
        await pilot.press("escape")
        await wait_for_screen(pilot, ServerScreen)
        await focus_on(pilot, has_id("domain"), "the domain field")
        await type_text(pilot, "open.test")
        await pilot.press("enter")

        await on_screen(pilot, AccountScreen)
        await type_text(pilot, username)
        await pilot.press("enter", "ctrl+g")
        await on_screen(pilot, AccountScreen)  # the generated password's buttons shown
        await focus_on(pilot, has_id("continue"), "Continue")
        await pilot.press("enter")

        creating = await wait_for_screen(pilot, CreatingScreen, NETWORK_WAIT)
        await wait_until(pilot, lambda: bool(creating.query_one("#continue").display
                                             or creating.query("#error")),
                         NETWORK_WAIT, "the account")
        assert not creating.query("#error"), screen_text(pilot.app)
        await assert_keyboard_reachable(pilot)
        await focus_on(pilot, has_id("continue"), "Continue")
        await pilot.press("enter")

        await on_screen(pilot, DoneScreen)
        assert f"{username}@open.test" in screen_text(pilot.app)
        await pilot.press("h")
        await on_screen(pilot, ChecklistScreen)
        await pilot.press("escape")
        await wait_for_screen(pilot, DoneScreen)

        # Encryption: own devices, confirm one, its QR code, then a friend's devices.
        await pilot.press("k")
        devices = await wait_for_screen(pilot, DevicesScreen)
        await wait_until(pilot, lambda: bool(devices.query(".card-tick")), 10, "the devices")
        await assert_keyboard_reachable(pilot)
        await guide_and_back(pilot, DevicesScreen)
        await focus_on(pilot, lambda w: w.has_class("card-tick"), "a device's box")
        await pilot.press("space", "c")
        await wait_until(pilot, lambda: "-ok" in devices.query_one("#note").classes, 10,
                         "the confirmation")
        await pilot.press("q")
        await on_screen(pilot, QRViewScreen)
        await pilot.press("escape")
        devices = await wait_for_screen(pilot, DevicesScreen)
        await wait_until(pilot, lambda: bool(devices.query(".card-tick")), 10, "the devices")
        await pilot.press("f")
        friend = await on_screen(pilot, FriendScreen)
        await type_text(pilot, FRIEND_JID)
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(friend.query(".card-tick")), 10,
                         "the friend's devices")
        await assert_keyboard_reachable(pilot)
        await pilot.press("t")
        await on_screen(pilot, HelloScreen)
        await pilot.press("escape")
        await wait_for_screen(pilot, FriendScreen)
        await pilot.press("escape")
        await wait_for_screen(pilot, DevicesScreen)
        await pilot.press("escape")

        # After Done: the invite and the handout.
        await wait_for_screen(pilot, DoneScreen)
        await pilot.press("i")
        invite = await wait_for_screen(pilot, InviteScreen)
        await wait_until(pilot, lambda: "preauth" in screen_text(pilot.app), 10, "the invite")
        await assert_keyboard_reachable(pilot)
        assert invite.is_mounted
        await pilot.press("escape")
        await wait_for_screen(pilot, DoneScreen)
        await pilot.press("p")
        await on_screen(pilot, HandoutScreen)
        await pilot.press("escape")
        await wait_for_screen(pilot, DoneScreen)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_value is not None
    assert app.return_value.jid == f"{username}@open.test"
    assert prosody.user_exists("open.test", username)
