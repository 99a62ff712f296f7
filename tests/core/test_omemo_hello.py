"""The encrypted test message, against a real Prosody, with a real slixmpp-omemo friend.

The friend's own library decrypts the message; the account's device lists, bundles and the key
file are read back raw afterwards.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import time
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from onboard.core.errors import InvalidInputError, LoginFailedError, NetworkTimeoutError
from onboard.core.network import DirectNetwork
from onboard.core.omemo import verified
from onboard.core.omemo.errors import DeviceLeftError, OmemoHelloError, RecipientNoOmemoError
from onboard.core.omemo.fingerprint import NS_AXOLOTL
from onboard.core.omemo.hello import (
    STEP_LOGIN,
    STEP_PUBLISH,
    STEP_RECIPIENT,
    STEP_REMOVE,
    STEP_SEND,
    HelloDevice,
    HelloResult,
    default_text,
    fallback_text,
    send_hello,
)
from onboard.core.omemo.keyfile import keys_file
from onboard.core.xmpp.address import ServerAddress
from tests.core.conftest import SilentServer
from tests.servers.audit import socket_audit
from tests.servers.omemo_devices import (
    NEW_BUNDLES,
    OmemoFriend,
    PepSession,
    b64,
    make_device,
    new_identity,
    old_bundle_node,
    random_device_id,
)
from tests.servers.prosody import ProsodyServer

pytestmark = [
    pytest.mark.prosody,
    # slixmpp-omemo 2.2 itself uses slixmpp's deprecated plugin access.
    pytest.mark.filterwarnings("ignore:Accessing plugins through the XMPP:DeprecationWarning"),
]

MakeAccount = Callable[..., Awaitable[tuple[str, str]]]
Server = Callable[..., ServerAddress]


class CountingNetwork(DirectNetwork):
    """The real direct network, noting each socket it opens."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[tuple[str, int]] = []

    async def open_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        self.opened.append((host, port))
        return await super().open_socket(host, port, timeout)


async def hello(server: Server, account: str, password: str, to: str, **options: object,
                ) -> HelloResult:
    network = options.pop("network", None) or DirectNetwork()
    return await send_hello(account, password, to, server("open.test"), network,  # type: ignore[arg-type]
                            timeout=10, confirm_wait=10, **options)  # type: ignore[arg-type]


async def listed(prosody: ProsodyServer, jid: str, password: str) -> tuple[list[int], list[int]]:
    """`jid`'s device ids in the OMEMO 0.3 and the OMEMO 2 list, read raw."""
    async with PepSession(prosody, jid, password) as pep:
        return await pep.old_device_ids(jid), await pep.new_device_ids(jid)


async def bundles(prosody: ProsodyServer, jid: str, password: str,
                  device_id: int) -> tuple[list[str], list[str]]:
    """The items of `device_id`'s OMEMO 0.3 bundle node, and the OMEMO 2 bundle items."""
    async with PepSession(prosody, jid, password) as pep:
        old = await pep.item_ids(jid, old_bundle_node(device_id))
        new = await pep.item_ids(jid, NEW_BUNDLES)
    return old, [item for item in new if item == str(device_id)]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_friend_decrypts_it_and_the_device_is_gone_afterwards(
        prosody: ProsodyServer, server: Server, make_account: MakeAccount) -> None:
    alice, password = await make_account("alice")
    bob, bob_password = await make_account("bob")
    alices_phone = await make_device(prosody, alice, password)
    bobs_laptop = await make_device(prosody, bob, bob_password)  # offline: still encrypted for
    network = CountingNetwork()
    async with OmemoFriend(prosody, bob, bob_password) as friend:
        verified.mark_verified(alice, bob, friend.device_id, friend.fingerprint)
        result = await hello(server, alice, password, bob, network=network)
        received = await friend.next_message()

    # What bob's own library made of it.
    assert received.error is None
    assert received.text == default_text()
    assert received.sender_device == result.device_id
    assert received.sender.startswith(alice + "/")
    # On the wire: OMEMO 0.3 only, the text nowhere in clear, a plain body that says so.
    assert received.encrypted == frozenset({NS_AXOLOTL})
    assert received.body == fallback_text() != default_text()
    assert default_text() not in received.raw
    assert "Hello" not in received.raw
    wire = ET.fromstring(received.raw)
    assert wire.find(f"{{{NS_AXOLOTL}}}encrypted/{{{NS_AXOLOTL}}}payload") is not None
    assert [body.text for body in wire.iter("{jabber:client}body")] == [fallback_text()]
    # Everything went over the network object, in one connection.
    assert network.opened == [(prosody.host, prosody.starttls_port)]

    assert result.account_jid == alice and result.to_jid == bob
    assert result.delivered and result.delivery_error is None
    recipients = {d.device_id: d for d in result.recipient_devices}
    assert set(recipients) == {friend.device_id, bobs_laptop.device_id}
    assert recipients[friend.device_id].fingerprint == friend.fingerprint
    assert recipients[friend.device_id].status == verified.VERIFIED
    assert recipients[bobs_laptop.device_id].fingerprint == bobs_laptop.fingerprint
    assert recipients[bobs_laptop.device_id].status == verified.UNVERIFIED
    assert result.verified_count == 1 and result.changed_count == 0
    assert [(d.jid, d.device_id, d.fingerprint) for d in result.own_devices] == [
        (alice, alices_phone.device_id, alices_phone.fingerprint)]
    assert result.skipped == ()
    assert len(result.fingerprint) == 64 and len(result.display_fingerprint.split()) == 8

    # Cleaned up: off both lists, bundles deleted, key file deleted; alice's phone untouched.
    assert result.removed and result.removal_error is None and result.keys_file is None
    old, new = await listed(prosody, alice, password)
    assert result.device_id not in old and result.device_id not in new
    assert alices_phone.device_id in old and alices_phone.device_id in new
    assert await bundles(prosody, alice, password, result.device_id) == ([], [])
    assert not keys_file(alice).exists()
    assert list(keys_file(alice).parent.iterdir()) == []


async def test_kept_device_stays_listed_with_private_keys_until_the_next_test(
        prosody: ProsodyServer, server: Server, make_account: MakeAccount) -> None:
    alice, password = await make_account("alice")
    bob, bob_password = await make_account("bob")
    async with OmemoFriend(prosody, bob, bob_password) as friend:
        kept = await hello(server, alice, password, bob, keep_device=True,
                           text="  Grüße – a custom hello ✓ \n")
        first = await friend.next_message()
    assert first.text == "Grüße – a custom hello ✓"
    assert not kept.removed and kept.removal_error is None
    path = kept.keys_file
    assert path is not None and path == keys_file(alice) and path.is_file()
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    assert path.is_relative_to(os.environ["XMPP_ONBOARD_HOME"])
    content = path.read_text("utf-8")
    assert json.loads(content)["account"] == alice
    assert "BLINDLY_TRUSTED" not in content  # the blind trust was for that message only
    assert password not in content
    old, new = await listed(prosody, alice, password)
    assert kept.device_id in old and kept.device_id in new
    assert await bundles(prosody, alice, password, kept.device_id) == (
        ["current"], [str(kept.device_id)])

    # The next test uses the same device (the kept keys), and removes it.
    async with OmemoFriend(prosody, bob, bob_password) as friend:
        again = await hello(server, alice, password, bob)
        second = await friend.next_message()
    assert second.text == default_text() and second.sender_device == kept.device_id
    assert again.device_id == kept.device_id and again.fingerprint == kept.fingerprint
    assert again.removed and again.keys_file is None and not path.exists()
    old, new = await listed(prosody, alice, password)
    assert kept.device_id not in old and kept.device_id not in new


async def test_recipient_without_omemo_is_refused_before_anything_is_published(
        prosody: ProsodyServer, server: Server, make_account: MakeAccount) -> None:
    alice, password = await make_account("alice")
    carol, _carol_password = await make_account("carol")
    with pytest.raises(RecipientNoOmemoError) as caught:
        await hello(server, alice, password, carol)
    error = caught.value
    assert error.reason == "none" and error.exit_code == 16 and error.condition == "no-omemo"
    assert carol in error.message and "Nothing was published" in error.message
    assert "Conversations, Gajim, Dino or Monal" in error.hint
    assert await listed(prosody, alice, password) == ([], [])
    async with PepSession(prosody, alice, password) as pep:
        assert await pep.item_ids(alice, NEW_BUNDLES) == []
    assert not keys_file(alice).exists()


async def test_recipient_with_only_omemo2_devices_is_refused(
        prosody: ProsodyServer, server: Server, make_account: MakeAccount) -> None:
    alice, password = await make_account("alice")
    kaidan, kaidan_password = await make_account("kaidan")
    ed25519, _curve = new_identity()
    async with PepSession(prosody, kaidan, kaidan_password) as pep:
        await pep.add_new_device(random_device_id(), b64(ed25519))
    with pytest.raises(RecipientNoOmemoError) as caught:
        await hello(server, alice, password, kaidan)
    assert caught.value.reason == "omemo2-only"
    assert "OMEMO 2" in caught.value.message
    assert await listed(prosody, alice, password) == ([], [])


async def test_keys_that_fail_verification_send_nothing_and_the_device_goes_again(
        prosody: ProsodyServer, server: Server, make_account: MakeAccount) -> None:
    """The listed key looks right, but the bundle's signature is not valid: the library
    refuses to build a session, after the device was published."""
    alice, password = await make_account("alice")
    mallory, mallory_password = await make_account("mallory")
    _ed25519, curve = new_identity()
    async with PepSession(prosody, mallory, mallory_password) as pep:
        await pep.add_old_device(random_device_id(), b64(b"\x05" + curve))
    steps: list[str] = []
    with pytest.raises(OmemoHelloError) as caught:
        await send_hello(alice, password, mallory, server("open.test"), DirectNetwork(),
                         timeout=10, progress=steps.append)
    assert caught.value.reason == "no-devices" and "Nothing was sent" in caught.value.message
    assert steps == [STEP_LOGIN, STEP_RECIPIENT, STEP_PUBLISH, STEP_SEND, STEP_REMOVE]
    assert await listed(prosody, alice, password) == ([], [])
    assert not keys_file(alice).exists()


async def test_a_failed_removal_is_reported_and_the_next_run_removes_the_device(
        prosody: ProsodyServer, server: Server, make_account: MakeAccount) -> None:
    """Prosody is frozen (SIGSTOP) just as the device is being removed."""
    alice, password = await make_account("alice")
    bob, bob_password = await make_account("bob")
    assert prosody.process is not None
    pid = prosody.process.pid

    def freeze(step: str) -> None:
        if step == STEP_REMOVE:
            os.kill(pid, signal.SIGSTOP)

    async with OmemoFriend(prosody, bob, bob_password) as friend:
        try:
            result = await send_hello(alice, password, bob, server("open.test"),
                                      DirectNetwork(), timeout=3, confirm_wait=10,
                                      progress=freeze)
        finally:
            os.kill(pid, signal.SIGCONT)
        received = await friend.next_message()
    assert received.text == default_text()  # the message itself went out
    assert result.delivered and not result.removed
    error = result.removal_error
    assert isinstance(error, DeviceLeftError) and error.sent and error.exit_code == 17
    assert error.device_id == result.device_id and error.fingerprint == result.fingerprint
    assert "did not answer in time" in error.message
    assert str(result.device_id) in error.hint and result.display_fingerprint in error.hint
    path = result.keys_file
    assert path is not None and path.is_file() and mode(path) == 0o600
    assert error.keys_file == str(path)

    async with OmemoFriend(prosody, bob, bob_password) as friend:
        again = await hello(server, alice, password, bob)
        assert (await friend.next_message()).text == default_text()
    assert again.device_id == result.device_id and again.removed and not path.exists()
    old, new = await listed(prosody, alice, password)
    assert result.device_id not in old and result.device_id not in new


async def test_a_test_to_oneself_reaches_the_own_other_device(
        prosody: ProsodyServer, server: Server, make_account: MakeAccount) -> None:
    alice, password = await make_account("alice")
    with pytest.raises(RecipientNoOmemoError) as caught:
        await hello(server, alice, password, alice)
    assert caught.value.reason == "own"
    async with OmemoFriend(prosody, alice, password) as phone:
        result = await hello(server, alice, password, alice)
        received = await phone.next_message()
    assert received.text == default_text()
    assert [d.device_id for d in result.recipient_devices] == [phone.device_id]
    assert result.own_devices == () and result.removed


async def test_an_offline_friend_gets_a_bounce_and_the_device_still_goes(
        prosody: ProsodyServer, server: Server, make_account: MakeAccount) -> None:
    """This Prosody keeps no offline messages: the server sends the message back."""
    alice, password = await make_account("alice")
    bob, bob_password = await make_account("bob")
    laptop = await make_device(prosody, bob, bob_password)
    started = time.monotonic()
    result = await hello(server, alice, password, bob)
    assert time.monotonic() - started < 8  # the bounce ends the wait
    assert not result.delivered and result.delivery_error is not None
    assert result.delivery_error.startswith("service-unavailable")
    assert [d.device_id for d in result.recipient_devices] == [laptop.device_id]
    assert result.removed
    old, new = await listed(prosody, alice, password)
    assert result.device_id not in old and result.device_id not in new


@pytest.mark.timeout(300)
async def test_over_tor_nothing_but_the_socks_port_is_used(
        prosody: ProsodyServer, tor_network: Any, make_account: MakeAccount,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import aiodns

    from onboard.core.tor.network import TorNetwork

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a DNS resolver was created in Tor mode")

    monkeypatch.setattr(aiodns, "DNSResolver", refuse)  # c-ares is out of the hook's sight
    alice, password = await make_account("alice")
    bob, bob_password = await make_account("bob")
    tor_network.wait_for_onion()
    socks = ("127.0.0.1", tor_network.socks_port)
    over_onion = ServerAddress("open.test", tor_network.onion_address, 5222,
                               ca_file=prosody.ca_file)
    audit = socket_audit()
    async with OmemoFriend(prosody, bob, bob_password) as friend:
        with audit.watch():
            result = await send_hello(alice, password, bob, over_onion, TorNetwork(socks),
                                      timeout=60, confirm_wait=30)
        received = await friend.next_message()
    assert received.text == default_text() and received.sender_device == result.device_id
    assert result.delivered and result.removed
    audit.only_to(socks)


async def test_wrong_password_is_the_login_error_and_never_shown(
        server: Server, make_account: MakeAccount) -> None:
    alice, _password = await make_account("alice")
    bob, _bob_password = await make_account("bob")
    wrong = "wrong-horse-battery-staple"
    with pytest.raises(LoginFailedError) as caught:
        await hello(server, alice, wrong, bob)
    error = caught.value
    assert alice in error.message and "password is wrong" in error.message
    for text in (str(error), repr(error), error.message, error.hint, str(error.to_json())):
        assert wrong not in text
    assert not keys_file(alice).exists()


async def test_silent_server_times_out(silent_server: SilentServer) -> None:
    address = ServerAddress("open.test", "127.0.0.1", silent_server.port)
    started = time.monotonic()
    with pytest.raises(NetworkTimeoutError):
        await send_hello("alice@open.test", "secret-password", "bob@open.test", address,
                         DirectNetwork(), timeout=1)
    assert time.monotonic() - started < 5


async def test_bad_input_is_refused_before_connecting() -> None:
    nowhere = ServerAddress("open.test", "127.0.0.1", 9)  # nothing is ever opened
    for text, words in (("   ", "empty"), ("x" * 2001, "too long")):
        with pytest.raises(InvalidInputError) as caught:
            await send_hello("alice@open.test", "pw", "bob@open.test", nowhere,
                             DirectNetwork(), text=text)
        assert words in caught.value.message
    with pytest.raises(InvalidInputError):
        await send_hello("alice@open.test", "pw", "not an address", nowhere, DirectNetwork())


def test_a_leftover_device_is_explained_with_what_to_do() -> None:
    fingerprint = "0123456789abcdef" * 4
    error = DeviceLeftError("alice@example.org", 12345, sent=True, fingerprint=fingerprint,
                            keys_file="/home/a/keys.json", cause="The server did not answer.")
    assert "was sent" in error.message and "12345" in error.message
    assert "alice@example.org" in error.message and "did not answer" in error.message
    assert "01234567 89abcdef" in error.hint and "OMEMO settings" in error.hint
    assert "again" in error.hint
    assert error.exit_code == 17 and error.to_json()["device_id"] == 12345
    result = HelloResult(
        "alice@example.org", "bob@example.org", "hi", 12345, fingerprint,
        (HelloDevice("bob@example.org", 7, fingerprint, verified.VERIFIED),
         HelloDevice("alice@example.org", 8, fingerprint, verified.UNVERIFIED, own=True)),
        keys_file=Path("/home/a/keys.json"), removal_error=error)
    data = result.to_json()
    assert data["device"] == {"id": 12345, "fingerprint": fingerprint}
    assert data["verified"] == 1 and data["device_removed"] is False
    assert [d["device_id"] for d in data["recipient_devices"]] == [7]  # type: ignore[index]
    assert [d["device_id"] for d in data["own_devices"]] == [8]  # type: ignore[index]
    assert data["removal_error"]["condition"] == "omemo-device-left"  # type: ignore[index]
    assert data["keys_file"] == "/home/a/keys.json"
