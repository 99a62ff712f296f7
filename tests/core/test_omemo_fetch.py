"""Reading OMEMO devices from a real Prosody, published by the real slixmpp-omemo library.

Every fingerprint is compared with what the library itself computes for its own device
(`SessionManager.format_identity_key`), and with the published bundle bytes read raw.
"""

from __future__ import annotations

import base64
import socket
import time
from collections.abc import Awaitable, Callable

import pytest

from onboard.core.errors import LoginFailedError, NetworkTimeoutError
from onboard.core.network import DirectNetwork
from onboard.core.omemo.errors import DevicesUnavailableError
from onboard.core.omemo.fingerprint import NS_AXOLOTL, NS_OMEMO2, Device
from onboard.core.omemo.pep import DeviceReport, fetch_devices
from onboard.core.xmpp.address import ServerAddress
from tests.core.conftest import SilentServer
from tests.servers.omemo_devices import (
    NEW_BUNDLES,
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


async def fetch(server: Server, jid: str, password: str, target: str | None = None,
                network: DirectNetwork | None = None) -> DeviceReport:
    return await fetch_devices(jid, password, target, server("open.test"),
                               network or DirectNetwork(), timeout=10)


def by_id(report: DeviceReport) -> dict[int, Device]:
    ids = [device.device_id for device in report.devices]
    assert len(ids) == len(set(ids)), "a device id is shown twice"
    return {device.device_id: device for device in report.devices}


async def test_own_and_friends_devices_match_the_library(
        prosody: ProsodyServer, server: Server, make_account: MakeAccount) -> None:
    alice, alice_password = await make_account("alice")
    bob, bob_password = await make_account("bob")
    made = [await make_device(prosody, alice, alice_password) for _ in range(2)]

    network = CountingNetwork()
    own = await fetch(server, alice, alice_password, network=network)
    assert network.opened == [(prosody.host, prosody.starttls_port)]
    friends = await fetch(server, bob, bob_password, alice)

    for report in (own, friends):
        assert report.jid == alice and not report.problems and not report.no_omemo
        assert report.advice == ""
        assert report.namespaces == (NS_AXOLOTL, NS_OMEMO2)
        devices = by_id(report)
        assert set(devices) == {device.device_id for device in made}
        for device in made:
            shown = devices[device.device_id]
            assert shown.fingerprint == device.fingerprint
            assert shown.namespaces == (NS_AXOLOTL, NS_OMEMO2)
            assert shown.jid == alice and shown.label is None
            assert shown.fingerprint != device.identity_key.hex()
    assert own.own and own.account_jid == alice
    assert not friends.own and friends.account_jid == bob
    assert own.seconds < 5 and friends.seconds < 5


async def test_fingerprints_equal_the_raw_published_keys(
        prosody: ProsodyServer, server: Server, make_account: MakeAccount) -> None:
    alice, password = await make_account("alice")
    device = await make_device(prosody, alice, password)
    async with PepSession(prosody, alice, password) as pep:
        old_bundle = (await pep.items(alice, old_bundle_node(device.device_id)))[0]
        new_bundles = await pep.items(alice, NEW_BUNDLES)
    old_key = base64.b64decode(old_bundle.findtext(f"{{{NS_AXOLOTL}}}identityKey") or "")
    new_key = base64.b64decode(new_bundles[0].findtext(f"{{{NS_OMEMO2}}}ik") or "")
    assert old_key[0] == 5 and len(old_key) == 33
    assert new_key == device.identity_key
    shown = by_id(await fetch(server, alice, password))[device.device_id]
    assert shown.fingerprint == old_key[1:].hex() == device.fingerprint


async def test_devices_in_one_namespace_only(
        prosody: ProsodyServer, server: Server, make_account: MakeAccount) -> None:
    """An OMEMO 0.3-only client (Conversations today) and an OMEMO 2-only one (Kaidan)."""
    alice, password = await make_account("alice")
    bob, bob_password = await make_account("bob")
    real = await make_device(prosody, alice, password)
    old_only, new_only = random_device_id(), random_device_id()
    old_ed, old_curve = new_identity()
    new_ed, new_curve = new_identity()
    async with PepSession(prosody, alice, password) as pep:
        await pep.add_old_device(old_only, b64(b"\x05" + old_curve))
        await pep.add_new_device(new_only, b64(new_ed), label="Kaidan\u202e on " + "x" * 80)
    devices = by_id(await fetch(server, bob, bob_password, alice))
    assert devices[old_only].namespaces == (NS_AXOLOTL,)
    assert devices[old_only].fingerprint == old_curve.hex()
    assert devices[new_only].namespaces == (NS_OMEMO2,)
    assert devices[new_only].fingerprint == new_curve.hex()
    label = devices[new_only].label or ""  # server text: no bidi controls, kept short
    assert label.startswith("Kaidan on xxx") and len(label) == 64
    assert devices[real.device_id].namespaces == (NS_AXOLOTL, NS_OMEMO2)
    assert old_ed != new_ed


async def test_account_without_omemo_gets_a_plain_answer(
        server: Server, make_account: MakeAccount) -> None:
    carol, password = await make_account("carol")
    bob, bob_password = await make_account("bob")
    own = await fetch(server, carol, password)
    assert own.no_omemo and own.devices == () and own.problems == () and own.namespaces == ()
    assert "This account has no OMEMO encryption keys yet" in own.advice
    assert "Conversations, Gajim, Dino or Monal" in own.advice
    assert not own.hidden  # the owner is told the nodes do not exist (item-not-found)
    # Prosody tells others "forbidden" for nodes that do not exist: the answer says so gently.
    seen_by_friend = await fetch(server, bob, bob_password, carol)
    assert seen_by_friend.no_omemo and seen_by_friend.hidden
    assert seen_by_friend.advice.startswith(f"No OMEMO encryption keys of {carol} can be seen")
    assert "they have not set up OMEMO yet" in seen_by_friend.advice


async def test_broken_and_missing_bundles_are_named_without_hiding_good_devices(
        prosody: ProsodyServer, server: Server, make_account: MakeAccount) -> None:
    alice, password = await make_account("alice")
    good = await make_device(prosody, alice, password)
    ids = {name: random_device_id() for name in (
        "old-garbage", "old-short", "old-no-05", "old-missing",
        "new-garbage", "new-long", "new-not-a-point", "new-missing")}
    _ed, curve = new_identity()
    async with PepSession(prosody, alice, password) as pep:
        await pep.add_old_device(ids["old-garbage"], "!!not base64!!")
        await pep.add_old_device(ids["old-short"], b64(b"\x05" + bytes(16)))
        await pep.add_old_device(ids["old-no-05"], b64(b"\x04" + curve))
        await pep.add_old_device(ids["old-missing"], None)
        await pep.add_new_device(ids["new-garbage"], "@@@@")
        await pep.add_new_device(ids["new-long"], b64(bytes(33)))
        await pep.add_new_device(ids["new-not-a-point"], b64(bytes([2]) + bytes(31)))
        await pep.add_new_device(ids["new-missing"], None)
    report = await fetch(server, alice, password)

    assert list(by_id(report)) == [good.device_id]
    assert by_id(report)[good.device_id].fingerprint == good.fingerprint
    assert not report.no_omemo
    problems = {(p.device_id, p.namespace): p for p in report.problems}
    expected = {
        "old-garbage": (NS_AXOLOTL, "bundle-malformed", "not valid base64"),
        "old-short": (NS_AXOLOTL, "bundle-malformed", "17 bytes instead of 33"),
        "old-no-05": (NS_AXOLOTL, "bundle-malformed", "starts with 04 instead of 05"),
        "old-missing": (NS_AXOLOTL, "bundle-missing", "has no keys published"),
        "new-garbage": (NS_OMEMO2, "bundle-malformed", "not valid base64"),
        "new-long": (NS_OMEMO2, "bundle-malformed", "33 bytes instead of 32"),
        "new-not-a-point": (NS_OMEMO2, "bundle-malformed", "not a valid Ed25519"),
        "new-missing": (NS_OMEMO2, "bundle-missing", "has no keys published"),
    }
    assert len(report.problems) == len(expected)
    for name, (namespace, kind, words) in expected.items():
        problem = problems[(ids[name], namespace)]
        assert problem.kind == kind
        assert words in problem.message
        assert str(ids[name]) in problem.message


async def test_device_lists_without_any_bundle_node(
        prosody: ProsodyServer, server: Server, make_account: MakeAccount) -> None:
    """Half-finished set-up: the lists name a device, no bundle node exists in either namespace."""
    dave, password = await make_account("dave")
    device_id = random_device_id()
    async with PepSession(prosody, dave, password) as pep:
        await pep.add_old_device(device_id, None)
        await pep.add_new_device(device_id, None)
    report = await fetch(server, dave, password)
    assert report.devices == () and not report.no_omemo and report.advice == ""
    assert [(p.device_id, p.namespace, p.kind) for p in report.problems] == [
        (device_id, NS_AXOLOTL, "bundle-missing"), (device_id, NS_OMEMO2, "bundle-missing")]


async def test_one_device_id_with_two_different_keys_is_flagged(
        prosody: ProsodyServer, server: Server, make_account: MakeAccount) -> None:
    alice, password = await make_account("alice")
    device_id = random_device_id()
    _ed1, curve1 = new_identity()
    ed2, curve2 = new_identity()
    async with PepSession(prosody, alice, password) as pep:
        await pep.add_old_device(device_id, b64(b"\x05" + curve1))
        await pep.add_new_device(device_id, b64(ed2))
    report = await fetch(server, alice, password)
    assert {(d.device_id, d.fingerprint, d.namespaces) for d in report.devices} == {
        (device_id, curve1.hex(), (NS_AXOLOTL,)), (device_id, curve2.hex(), (NS_OMEMO2,))}
    [problem] = report.problems
    assert (problem.kind, problem.device_id) == ("key-mismatch", device_id)
    assert "different keys" in problem.message


async def test_wrong_password_is_a_login_failure_without_the_password(
        server: Server, make_account: MakeAccount) -> None:
    alice, _password = await make_account("alice")
    wrong = "wrong-horse-battery-staple"
    with pytest.raises(LoginFailedError) as caught:
        await fetch(server, alice, wrong)
    error = caught.value
    assert alice in error.message and "password is wrong" in error.message
    for text in (str(error), repr(error), error.message, error.hint, str(error.to_json())):
        assert wrong not in text


async def test_addresses_whose_keys_cannot_be_seen(
        server: Server, make_account: MakeAccount) -> None:
    bob, password = await make_account("bob")
    unknown = await fetch(server, bob, password, "nobody-here@open.test")
    assert unknown.no_omemo and unknown.hidden and "check the address" in unknown.advice
    with pytest.raises(DevicesUnavailableError) as caught:
        await fetch(server, bob, password, "someone@elsewhere.test")
    assert caught.value.reason == "refused"  # this Prosody has no server-to-server links
    assert "remote domains" in caught.value.message


async def test_silent_server_times_out(silent_server: SilentServer) -> None:
    address = ServerAddress("open.test", "127.0.0.1", silent_server.port)
    started = time.monotonic()
    with pytest.raises(NetworkTimeoutError):
        await fetch_devices("alice@open.test", "secret-password", None, address,
                            DirectNetwork(), timeout=1)
    assert time.monotonic() - started < 5
