"""The encryption step, a friend's devices: by address or by fingerprint link, against the real
OMEMO devices slixmpp-omemo publishes on the test Prosody, keyboard only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

from onboard.core.flow import WizardState
from onboard.core.omemo import verified
from onboard.core.omemo.link import build_link
from onboard.ui.screens.devices import DevicesScreen
from onboard.ui.screens.friend import FriendScreen, read_friend
from onboard.ui.widgets.fingerprint import Fingerprint
from tests.servers.omemo_devices import MadeDevice, make_device
from tests.ui.helpers import (
    NETWORK_WAIT,
    SIZE,
    account_state,
    screen_text,
    test_app,
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


async def friend_screen(pilot: Pilot[Any]) -> FriendScreen:
    """From the own devices (whatever they are) to the friend screen with f."""
    screen = await wait_for_screen(pilot, DevicesScreen)
    await wait_until(pilot, lambda: not screen.busy, NETWORK_WAIT, "the own devices")
    await pilot.press("f")
    friend = await wait_for_screen(pilot, FriendScreen)
    assert pilot.app.focused is friend.query_one("#friend", Input)
    return friend


async def ask(pilot: Pilot[Any], screen: FriendScreen, text: str, *, paste: bool) -> None:
    """Type (or paste) into the friend field and press Enter; wait for the answer."""
    field = screen.query_one("#friend", Input)
    while field.value:
        await pilot.press("backspace")
    if paste:
        field.post_message(events.Paste(text))
        await pilot.pause()
        await wait_until(pilot, lambda: field.value == text, what="the pasted link")
    else:
        await type_text(pilot, text)
    await pilot.press("enter")
    await wait_until(pilot, lambda: not screen.busy and bool(
        screen.cards or screen.query("#advice") or screen.query("#error")),
        NETWORK_WAIT, "the friend's devices")


def reading(app: Any) -> list[Any]:
    """The friend screen's workers that read devices."""
    return [worker for worker in app.workers if worker.group == "friend-devices"]


def by_id(screen: FriendScreen) -> dict[int, Any]:
    return {card.device.device_id: card for card in screen.cards}


@pytest.fixture
async def alice(prosody: Any, make_account: MakeAccount) -> tuple[str, list[MadeDevice]]:
    """A friend with two real OMEMO devices."""
    jid, password = await make_account("alice")
    return jid, [await make_device(prosody, jid, password) for _ in range(2)]


@pytest.mark.prosody
async def test_by_address_compare_tick_and_confirm(
        prosody: Any, make_account: MakeAccount,
        alice: tuple[str, list[MadeDevice]]) -> None:
    alice_jid, made = alice
    bob, password = await make_account("bob")
    app = test_app(account_state(prosody, bob, password, mode="existing"), start="devices")
    async with app.run_test(size=SIZE) as pilot:
        screen = await friend_screen(pilot)
        await ask(pilot, screen, alice_jid, paste=False)
        cards = by_id(screen)
        assert {i: c.query_one(Fingerprint).fingerprint for i, c in cards.items()} == {
            d.device_id: d.fingerprint for d in made}
        assert all(card.comparison == "" and not card.ticked for card in cards.values())
        text = screen_text(app)
        assert f"{alice_jid} has 2 encryption keys." in text
        assert "Compare aloud" in text
        # The step has no number on the existing-account path.
        assert str(screen.query_one("#step").render()).startswith("Encryption")

        first = screen.cards[0]
        assert app.focused is first.checkbox
        await pilot.press("space", "c")
        records = verified.load(bob)
        assert [(r.jid, r.device_id, r.fingerprint) for r in records] == [
            (alice_jid, first.device.device_id, first.device.fingerprint)]
        assert "Saved: 1 device of" in screen_text(app)
        assert app.state.friend_text == alice_jid

        await pilot.press("escape")
        await wait_for_screen(pilot, DevicesScreen)
        # Coming back: the address is still there.
        await pilot.press("f")
        again = await wait_for_screen(pilot, FriendScreen)
        assert again.query_one("#friend", Input).value == alice_jid


@pytest.mark.prosody
async def test_a_link_that_matches_and_one_that_differs(
        prosody: Any, make_account: MakeAccount,
        alice: tuple[str, list[MadeDevice]]) -> None:
    alice_jid, made = alice
    bob, password = await make_account("bob")
    right, other = made
    app = test_app(account_state(prosody, bob, password), start="friend")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, FriendScreen)

        # Conversations' form, one key altered: DIFFERENT, loud, and it cannot be ticked.
        wrong = "00" * 32
        await ask(pilot, screen, build_link(alice_jid, {right.device_id: right.fingerprint,
                                                        other.device_id: wrong}), paste=True)
        cards = by_id(screen)
        assert cards[right.device_id].comparison == "same"
        assert cards[other.device_id].comparison == "different"
        assert cards[other.device_id].has_class("-different")
        assert cards[other.device_id].checkbox.disabled
        assert cards[other.device_id].query_one(".card-link-fingerprint",
                                                Fingerprint).fingerprint == wrong
        text = screen_text(app)
        assert "1 the same, 1 DIFFERENT" in text
        assert "DIFFERENT from the link: do not trust this device" in text
        assert "Same as in the link" in text
        assert "one sent in a chat proves nothing" in text

        # Gajim's form, upper-case, with the right keys: both the same.
        gajim = (f"xmpp:{alice_jid}?message;"
                 + ";".join(f"omemo-sid-{d.device_id}={d.fingerprint.upper()}" for d in made))
        await pilot.press("shift+tab")
        while not isinstance(app.focused, Input):
            await pilot.press("shift+tab")
        await ask(pilot, screen, gajim, paste=True)
        cards = by_id(screen)
        assert {i: c.comparison for i, c in cards.items()} == {
            d.device_id: "same" for d in made}
        assert not any(card.checkbox.disabled for card in cards.values())
        assert "DIFFERENT" not in screen_text(app)
        # Both compared: tick both, confirm.
        await pilot.press("space", "tab", "space", "c")
        assert {(r.jid, r.device_id, r.fingerprint) for r in verified.load(bob)} == {
            (alice_jid, d.device_id, d.fingerprint) for d in made}


@pytest.mark.prosody
async def test_a_link_naming_a_device_the_server_does_not_list(
        prosody: Any, make_account: MakeAccount,
        alice: tuple[str, list[MadeDevice]]) -> None:
    alice_jid, made = alice
    bob, password = await make_account("bob")
    link = build_link(alice_jid, {made[0].device_id: made[0].fingerprint, 4242: "12" * 32})
    app = test_app(account_state(prosody, bob, password), start="friend")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, FriendScreen)
        await ask(pilot, screen, link, paste=True)
        cards = by_id(screen)
        assert cards[made[0].device_id].comparison == "same"
        assert cards[made[1].device_id].comparison == "absent"
        assert "The link also names device 4242, which the server does not list" in \
            screen_text(app)


@pytest.mark.prosody
async def test_a_friend_without_omemo_gets_the_advice(
        prosody: Any, make_account: MakeAccount) -> None:
    carol, _carol_password = await make_account("carol")
    bob, password = await make_account("bob")
    app = test_app(account_state(prosody, bob, password), start="friend")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, FriendScreen)
        await ask(pilot, screen, carol, paste=False)
        assert not screen.cards
        text = screen_text(app)
        assert f"No OMEMO encryption keys of {carol} can be seen" in text
        assert "they have not set up OMEMO yet" in text


async def test_what_is_not_an_address_or_a_link_is_said_before_connecting() -> None:
    state = WizardState(domain="example.org", jid="alice@example.org", password="x" * 12,
                        host="127.0.0.1", port=9)
    app = test_app(state, start="friend")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, FriendScreen)
        await type_text(pilot, "bob")
        await pilot.press("enter")
        await pilot.pause()
        assert "is not a chat address" in screen_text(app)
        assert not screen.busy and not reading(app)
        await pilot.press("backspace", "backspace", "backspace")
        field = screen.query_one("#friend", Input)
        field.post_message(events.Paste("xmpp:bob@example.org?omemo-sid-12=abc"))
        await wait_until(pilot, lambda: field.value.endswith("abc"), what="the paste")
        await pilot.press("enter")
        await pilot.pause()
        assert ("Device 12 in the link: A fingerprint has 64 hexadecimal digits; this one "
                "has 3.") in screen_text(app).replace("\n", " ")
        assert not screen.busy and not reading(app)


def test_reading_what_the_user_gave() -> None:
    assert read_friend(" Bob@Example.org ") == ("bob@example.org", None)
    assert read_friend("xmpp:bob@example.org?message") == ("bob@example.org", None)
    jid, link = read_friend("https://conversations.im/i/bob@example.org?omemo-sid-7="
                            + "AB" * 32)
    assert (jid, link) == ("bob@example.org", {7: "ab" * 32})


async def test_escape_stops_reading_and_stays(silent_server: Relay) -> None:
    state = WizardState(domain="example.org", jid="alice@example.org", password="x" * 12,
                        host="127.0.0.1", port=silent_server.port)
    app = test_app(state, start="friend")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, FriendScreen)
        await type_text(pilot, "bob@example.org")
        await pilot.press("enter")
        await wait_until(pilot, lambda: silent_server.connections == 1, what="the connection")
        assert screen.busy and screen.query_one("#loading").display
        assert "reading the encryption keys of bob@example.org" in screen_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: silent_server.closed == 1,
                         what="the connection to be closed")
        assert app.screen is screen and not screen.busy
        assert "Stopped" in screen_text(app)
        assert screen.query_one("#friend", Input).value == "bob@example.org"
        await pilot.press("escape")
        await wait_for_screen(pilot, DevicesScreen)
