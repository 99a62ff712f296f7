"""The encrypted test message from the friend screen, against the real Prosody, with a real
slixmpp-omemo friend who decrypts it; keyboard only."""

from __future__ import annotations

import os
import signal
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from onboard.core.flow import WizardState
from onboard.core.omemo.hello import STEP_REMOVE, default_text
from onboard.core.omemo.keyfile import keys_file
from onboard.ui.screens.friend import FriendScreen
from onboard.ui.screens.hello import HelloScreen
from onboard.ui.service import send_hello
from tests.servers.omemo_devices import OmemoFriend, PepSession
from tests.ui.fakes import FixedDevices
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


async def open_hello(pilot: Any, friend: str) -> HelloScreen:
    """On the friend screen: type the address, read the devices, press t."""
    screen = await wait_for_screen(pilot, FriendScreen)
    await type_text(pilot, friend)
    await pilot.press("enter")
    await wait_until(pilot, lambda: not screen.busy and bool(screen.cards), NETWORK_WAIT,
                     "the friend's devices")
    await pilot.press("t")
    hello = await wait_for_screen(pilot, HelloScreen)
    assert hello.to_jid == friend
    assert pilot.app.focused is hello.query_one("#send")
    return hello


async def own_device_ids(prosody: Any, jid: str, password: str) -> list[int]:
    async with PepSession(prosody, jid, password) as pep:
        return await pep.old_device_ids(jid)


@pytest.mark.prosody
async def test_the_friend_decrypts_the_test_message_and_the_device_goes_again(
        prosody: Any, make_account: MakeAccount) -> None:
    alice, password = await make_account("alice")
    bob, bob_password = await make_account("bob")
    app = test_app(account_state(prosody, alice, password), start="friend")
    async with OmemoFriend(prosody, bob, bob_password) as friend, \
            app.run_test(size=SIZE) as pilot:
        hello = await open_hello(pilot, bob)
        assert "waits up to 20 seconds" in screen_text(app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: hello.result is not None, NETWORK_WAIT,
                         "the test message")
        received = await friend.next_message()
        text = screen_text(app)
        assert "✔ Sent, end-to-end encrypted." in text
        assert f"It was encrypted for 1 device of {bob}" in text
        assert "Their app confirmed that the message arrived." in text
        assert "was removed from your account again" in text
        # Back to the friend's devices, as they were.
        await pilot.press("escape")
        screen = await wait_for_screen(pilot, FriendScreen)
        assert [card.device.device_id for card in screen.cards] == [friend.device_id]
    assert received.error is None and received.text == default_text()
    result = hello.result
    assert result is not None and received.sender_device == result.device_id
    assert result.removed and not keys_file(alice).exists()
    assert await own_device_ids(prosody, alice, password) == []


@pytest.mark.prosody
async def test_escape_before_publishing_stops_at_once(silent_server: Relay) -> None:
    """The friend's devices come from a fixed report; the message itself goes to a real socket
    that never answers, so the login waits until Esc."""
    state = WizardState(mode="existing", domain="example.org", username="alice",
                        jid="alice@example.org", password="secret-secret",
                        host="127.0.0.1", port=silent_server.port)
    app = test_app(state, start="friend", devices=FixedDevices())
    async with app.run_test(size=SIZE) as pilot:
        hello = await open_hello(pilot, "bob@chat.example")
        await pilot.press("enter")
        await wait_until(pilot, lambda: silent_server.connections == 1, NETWORK_WAIT,
                         "the connection")
        assert hello.busy and "Logging in as alice@example.org" in screen_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: silent_server.closed == 1, what="the socket closed")
        assert app.screen is hello and not hello.busy
        assert "Stopped. Nothing was published or sent." in screen_text(app)
        await pilot.press("escape")
        await wait_for_screen(pilot, FriendScreen)


@pytest.mark.prosody
async def test_escape_twice_while_removing_says_the_device_may_stay_and_the_next_test_removes_it(
        prosody: Any, make_account: MakeAccount) -> None:
    """Prosody is frozen (SIGSTOP) as the device is being removed: the first Esc says the
    clean-up is under way, the second stops. The next test message removes the device."""
    alice, password = await make_account("alice")
    bob, bob_password = await make_account("bob")
    assert prosody.process is not None
    pid = prosody.process.pid
    frozen: list[bool] = []

    async def freezing(state: WizardState, to_jid: str, text: str, keep: bool,
                       progress: Callable[[str], None]) -> Any:
        def step(name: str) -> None:
            progress(name)
            if name == STEP_REMOVE and not frozen:
                frozen.append(True)
                os.kill(pid, signal.SIGSTOP)
        return await send_hello(state, to_jid, text, keep, step)

    app = test_app(account_state(prosody, alice, password), start="friend", hello=freezing)
    try:
        async with OmemoFriend(prosody, bob, bob_password) as friend, \
                app.run_test(size=SIZE) as pilot:
            hello = await open_hello(pilot, bob)
            await pilot.press("enter")
            await wait_until(pilot, lambda: bool(frozen), NETWORK_WAIT, "the removal")
            await pilot.press("escape")
            assert hello.busy and hello.stop_asked
            assert "Press Esc again to stop at once" in screen_text(app)
            await pilot.press("escape")
            assert not hello.busy
            assert "The assistant's device may still be on your account" in \
                screen_text(app)
            os.kill(pid, signal.SIGCONT)
            left = await own_device_ids(prosody, alice, password)
            assert len(left) == 1 and keys_file(alice).exists()
            await friend.next_message()

            # Sending again uses the same device and removes it.
            hello.query_one("#send").focus()
            await pilot.press("enter")
            await wait_until(pilot, lambda: hello.result is not None, NETWORK_WAIT,
                             "the second test message")
            assert (await friend.next_message()).sender_device == left[0]
    finally:
        os.kill(pid, signal.SIGCONT)
    assert hello.result is not None and hello.result.device_id == left[0]
    assert hello.result.removed and not keys_file(alice).exists()
    assert await own_device_ids(prosody, alice, password) == []
