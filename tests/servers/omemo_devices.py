"""Real OMEMO devices on the test Prosody (slixmpp-omemo), and raw PEP items for odd cases.

`make_device(prosody, jid, password)` logs in with plain slixmpp (not onboard's client), loads a
slixmpp-omemo plugin with in-memory storage, waits until the library has generated its identity
and published its device list and bundle in both namespaces, and returns the device id and the
fingerprint the library itself computes (`SessionManager.format_identity_key`): the independent
side every fetch test compares against. Each call makes a new device; the account's device list
keeps the earlier ones.

`PepSession` publishes hand-made items (a device in one namespace only, a broken bundle, a listed
device with no bundle) and reads items back raw, for checks that do not trust onboard's parser.

`OmemoFriend` is a friend online with a real slixmpp-omemo device: it decrypts every encrypted
chat message it gets (`next_message`) and then sends the delivery receipt that was asked for.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import ssl
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import slixmpp
import xeddsa
from omemo.storage import Just, Maybe, Nothing, Storage
from omemo.types import DeviceInformation, JSONType
from slixmpp.exceptions import IqError
from slixmpp.plugins import register_plugin
from slixmpp.plugins.xep_0004 import Form
from slixmpp_omemo import XEP_0384

from tests.servers.prosody import ProsodyServer

NS_OLD = "eu.siacs.conversations.axolotl"
NS_NEW = "urn:xmpp:omemo:2"
OLD_DEVICES = f"{NS_OLD}.devicelist"
NEW_DEVICES = f"{NS_NEW}:devices"
NEW_BUNDLES = f"{NS_NEW}:bundles"
TIMEOUT = 15.0


def old_bundle_node(device_id: int) -> str:
    return f"{NS_OLD}.bundles:{device_id}"


# --- a real device -----------------------------------------------------------------------------


class MemoryStorage(Storage):
    """slixmpp-omemo's storage in a dict: the device lives as long as this object."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, JSONType] = {}

    async def _load(self, key: str) -> Maybe[JSONType]:
        if key in self.data:
            return Just(self.data[key])
        return Nothing()

    async def _store(self, key: str, value: JSONType) -> None:
        self.data[key] = value

    async def _delete(self, key: str) -> None:
        self.data.pop(key, None)


class TestOmemoPlugin(XEP_0384):
    """XEP-0384 for tests: in-memory storage, blind trust, nothing to prompt."""

    name = "xep_0384"
    __test__ = False  # not a pytest class

    def plugin_init(self) -> None:
        self._memory = MemoryStorage()
        super().plugin_init()

    @property
    def storage(self) -> Storage:
        return self._memory

    @property
    def _btbv_enabled(self) -> bool:
        return True

    async def _devices_blindly_trusted(self, blindly_trusted: frozenset[DeviceInformation],
                                       identifier: str | None) -> None:
        return None

    async def _prompt_manual_trust(self, manually_trusted: frozenset[DeviceInformation],
                                   identifier: str | None) -> None:
        session_manager = await self.get_session_manager()
        for device in manually_trusted:
            await session_manager.set_trust(device.bare_jid, device.identity_key, "trusted")


register_plugin(TestOmemoPlugin)


@dataclass(frozen=True)
class MadeDevice:
    jid: str
    device_id: int
    fingerprint: str  # 64 lowercase hex, from SessionManager.format_identity_key
    identity_key: bytes  # the library's Ed25519 form, as published under urn:xmpp:omemo:2


def _client(prosody: ProsodyServer, jid: str, password: str) -> slixmpp.ClientXMPP:
    context = ssl.create_default_context(cafile=str(prosody.ca_file))
    client = slixmpp.ClientXMPP(jid, password, ssl_context=context)
    client.enable_direct_tls = False
    client.enable_starttls = True
    client.enable_plaintext = False
    return client


@contextlib.asynccontextmanager
async def _logged_in(client: slixmpp.ClientXMPP, prosody: ProsodyServer,
                     ready_event: str = "session_start") -> AsyncIterator[slixmpp.ClientXMPP]:
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()
    failed: asyncio.Future[str] = loop.create_future()

    def on_ready(_event: Any) -> None:
        if not ready.done():
            ready.set_result(None)

    def on_failed(_event: Any) -> None:
        if not failed.done():
            failed.set_result("login failed")

    client.add_event_handler(ready_event, on_ready)
    client.add_event_handler("failed_all_auth", on_failed)
    client.connect(prosody.host, prosody.starttls_port)
    try:
        watched: set[asyncio.Future[Any]] = {ready, failed}
        done, _pending = await asyncio.wait(watched, timeout=TIMEOUT,
                                            return_when=asyncio.FIRST_COMPLETED)
        if failed in done:
            raise RuntimeError(f"{client.boundjid.bare}: {failed.result()}")
        if ready not in done:
            raise TimeoutError(f"{client.boundjid.bare}: no {ready_event} in {TIMEOUT} s")
        yield client
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.disconnect(wait=1.0), 3.0)


async def make_device(prosody: ProsodyServer, jid: str, password: str) -> MadeDevice:
    """A new real OMEMO device for `jid`, published in both namespaces by slixmpp-omemo."""
    client = _client(prosody, jid, password)
    for name in ("xep_0030", "xep_0060", "xep_0163", "xep_0280", "xep_0334"):
        client.register_plugin(name)
    client.register_plugin("xep_0384")
    async with _logged_in(client, prosody, ready_event="omemo_initialized"):
        plugin = client.plugin.get("xep_0384", None)
        assert isinstance(plugin, TestOmemoPlugin)
        session_manager = await plugin.get_session_manager()
        own, _others = await session_manager.get_own_device_information()
        groups = session_manager.format_identity_key(own.identity_key)
        return MadeDevice(jid, own.device_id, "".join(groups), bytes(own.identity_key))


# --- raw PEP -----------------------------------------------------------------------------------


def new_identity() -> tuple[bytes, bytes]:
    """A fresh identity key pair's public halves: (Ed25519, Curve25519), the same key."""
    private = xeddsa.seed_to_priv(os.urandom(32))
    return xeddsa.priv_to_ed25519_pub(private), xeddsa.priv_to_curve25519_pub(private)


def random_device_id() -> int:
    return int.from_bytes(os.urandom(4), "big") % (2**31 - 1) + 1


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def old_bundle(identity_key_text: str) -> ET.Element:
    """An axolotl bundle; `identity_key_text` is put in as given (so tests can break it)."""
    bundle = ET.Element(f"{{{NS_OLD}}}bundle")
    spk = ET.SubElement(bundle, f"{{{NS_OLD}}}signedPreKeyPublic", signedPreKeyId="1")
    spk.text = b64(b"\x05" + os.urandom(32))
    ET.SubElement(bundle, f"{{{NS_OLD}}}signedPreKeySignature").text = b64(os.urandom(64))
    ET.SubElement(bundle, f"{{{NS_OLD}}}identityKey").text = identity_key_text
    prekeys = ET.SubElement(bundle, f"{{{NS_OLD}}}prekeys")
    for number in range(1, 4):
        key = ET.SubElement(prekeys, f"{{{NS_OLD}}}preKeyPublic", preKeyId=str(number))
        key.text = b64(b"\x05" + os.urandom(32))
    return bundle


def new_bundle(ik_text: str) -> ET.Element:
    """An OMEMO 2 bundle; `ik_text` is put in as given."""
    bundle = ET.Element(f"{{{NS_NEW}}}bundle")
    ET.SubElement(bundle, f"{{{NS_NEW}}}spk", id="1").text = b64(os.urandom(32))
    ET.SubElement(bundle, f"{{{NS_NEW}}}spks").text = b64(os.urandom(64))
    ET.SubElement(bundle, f"{{{NS_NEW}}}ik").text = ik_text
    prekeys = ET.SubElement(bundle, f"{{{NS_NEW}}}prekeys")
    for number in range(1, 4):
        ET.SubElement(prekeys, f"{{{NS_NEW}}}pk", id=str(number)).text = b64(os.urandom(32))
    return bundle


def _open_options() -> Form:
    form = Form()  # type: ignore[no-untyped-call]
    form["type"] = "submit"
    form.add_field(var="FORM_TYPE", ftype="hidden",  # type: ignore[no-untyped-call]
                   value="http://jabber.org/protocol/pubsub#publish-options")
    form.add_field(var="pubsub#access_model", value="open")  # type: ignore[no-untyped-call]
    return form


class PepSession:
    """One logged-in plain slixmpp session for raw PEP reads and writes (`async with`)."""

    def __init__(self, prosody: ProsodyServer, jid: str, password: str) -> None:
        self.prosody = prosody
        self.jid = jid
        self.client = _client(prosody, jid, password)
        for plugin in ("xep_0030", "xep_0004", "xep_0060"):
            self.client.register_plugin(plugin)
        self._session: contextlib.AbstractAsyncContextManager[slixmpp.ClientXMPP] | None = None

    async def __aenter__(self) -> PepSession:
        self._session = _logged_in(self.client, self.prosody)
        await self._session.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        assert self._session is not None
        await self._session.__aexit__(*exc_info)

    async def publish(self, node: str, item_id: str, payload: ET.Element, *,
                      open_access: bool = True) -> None:
        """Publish one item to the own PEP service (access model open unless told otherwise)."""
        options = _open_options() if open_access else None
        await self.client.plugin["xep_0060"].publish(  # type: ignore[no-untyped-call]
            self.jid, node, item_id, payload, options, timeout=TIMEOUT)

    async def items(self, jid: str, node: str) -> list[ET.Element]:
        """The payloads of `jid`'s items on `node` ([] when the node does not exist)."""
        try:
            reply = await self.client.plugin["xep_0060"].get_items(  # type: ignore[no-untyped-call]
                jid, node, timeout=TIMEOUT)
        except IqError as error:
            if error.condition == "item-not-found":
                return []
            raise
        return [child for item in reply["pubsub"]["items"] for child in item.xml]

    async def item_ids(self, jid: str, node: str) -> list[str]:
        """The item ids on `jid`'s `node` ([] when the node does not exist)."""
        try:
            reply = await self.client.plugin["xep_0060"].get_items(  # type: ignore[no-untyped-call]
                jid, node, timeout=TIMEOUT)
        except IqError as error:
            if error.condition == "item-not-found":
                return []
            raise
        return [str(item["id"]) for item in reply["pubsub"]["items"]]

    async def old_device_ids(self, jid: str) -> list[int]:
        return [int(device.get("id", "0")) for payload in await self.items(jid, OLD_DEVICES)
                for device in payload.iter(f"{{{NS_OLD}}}device")]

    async def new_device_ids(self, jid: str) -> list[int]:
        return [int(device.get("id", "0")) for payload in await self.items(jid, NEW_DEVICES)
                for device in payload.iter(f"{{{NS_NEW}}}device")]

    async def add_old_device(self, device_id: int, identity_key_text: str | None) -> None:
        """List `device_id` in the axolotl device list; publish its bundle unless None."""
        ids = [*await self.old_device_ids(self.jid), device_id]
        devices = ET.Element(f"{{{NS_OLD}}}list")
        for known in dict.fromkeys(ids):
            ET.SubElement(devices, f"{{{NS_OLD}}}device", id=str(known))
        await self.publish(OLD_DEVICES, "current", devices)
        if identity_key_text is not None:
            await self.publish(old_bundle_node(device_id), "current",
                               old_bundle(identity_key_text))

    async def add_new_device(self, device_id: int, ik_text: str | None,
                             label: str | None = None) -> None:
        """List `device_id` in the OMEMO 2 device list; publish its bundle unless None."""
        payloads = await self.items(self.jid, NEW_DEVICES)
        devices = ET.Element(f"{{{NS_NEW}}}devices")
        for payload in payloads:
            for known in payload.iter(f"{{{NS_NEW}}}device"):
                devices.append(known)
        attributes = {"id": str(device_id)}
        if label is not None:
            attributes["label"] = label
        ET.SubElement(devices, f"{{{NS_NEW}}}device", attributes)
        await self.publish(NEW_DEVICES, "current", devices)
        if ik_text is not None:
            await self.publish(NEW_BUNDLES, str(device_id), new_bundle(ik_text))


# --- a friend who receives and decrypts --------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMessage:
    """One chat message as the friend's client got it, and what decrypting it gave."""

    sender: str  # full JID
    stanza_id: str
    raw: str  # the stanza as it arrived, serialized
    body: str | None  # the plain <body> (the fallback text of an encrypted message)
    encrypted: frozenset[str]  # the OMEMO namespaces it is encrypted with
    text: str | None  # the decrypted text (None when not encrypted or not decryptable)
    sender_device: int | None  # the device it came from, according to the library
    error: str | None = None  # why decrypting failed


class OmemoFriend:
    """A friend who is online with a real slixmpp-omemo device and reads what arrives.

    `async with OmemoFriend(prosody, jid, password) as friend:` logs in, waits until the device is
    published in both namespaces, sends presence (so messages to the bare address arrive), and
    decrypts every encrypted chat message into `friend.received` (wait with `next_message`).
    When a message asks for a delivery receipt, the receipt goes out after decrypting, as
    Gajim's order is. Set `send_receipts = False` to never send one.
    """

    def __init__(self, prosody: ProsodyServer, jid: str, password: str) -> None:
        self.prosody = prosody
        self.jid = jid
        self.send_receipts = True
        self.received: asyncio.Queue[ReceivedMessage] = asyncio.Queue()
        self.device_id = 0
        self.fingerprint = ""
        self.client = _client(prosody, jid, password)
        for name in ("xep_0030", "xep_0060", "xep_0163", "xep_0280", "xep_0334"):
            self.client.register_plugin(name)
        self.client.register_plugin("xep_0184", {"auto_ack": False})
        self.client.register_plugin("xep_0384")
        self.client.add_event_handler("message", self._on_message)
        self._session: contextlib.AbstractAsyncContextManager[slixmpp.ClientXMPP] | None = None

    async def __aenter__(self) -> OmemoFriend:
        self._session = _logged_in(self.client, self.prosody, ready_event="omemo_initialized")
        await self._session.__aenter__()
        session_manager = await self._plugin().get_session_manager()
        own, _others = await session_manager.get_own_device_information()
        self.device_id = own.device_id
        self.fingerprint = "".join(session_manager.format_identity_key(own.identity_key))
        self.client.send_presence()
        await self.client.get_roster(timeout=TIMEOUT)  # answered after the presence was handled
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        assert self._session is not None
        with contextlib.suppress(Exception):
            await (await self._plugin().get_session_manager()).shutdown()
        await self._session.__aexit__(*exc_info)

    def _plugin(self) -> TestOmemoPlugin:
        plugin = self.client.plugin.get("xep_0384", None)
        assert isinstance(plugin, TestOmemoPlugin)
        return plugin

    async def _on_message(self, msg: Any) -> None:
        if msg["type"] not in ("chat", "normal"):
            return
        plugin = self._plugin()
        encrypted = frozenset(plugin.is_encrypted(msg))
        text = error = None
        sender_device = None
        if encrypted:
            try:
                decrypted, device = await plugin.decrypt_message(msg)
                text = decrypted["body"] or None
                sender_device = device.device_id
            except Exception as problem:  # reported to the test, not raised
                error = f"{type(problem).__name__}: {problem}"
        await self.received.put(ReceivedMessage(
            str(msg["from"]), str(msg["id"]), ET.tostring(msg.xml, encoding="unicode"),
            msg["body"] or None, encrypted, text, sender_device, error))
        if self.send_receipts and msg["request_receipt"]:
            self.client.plugin["xep_0184"].ack(msg)

    async def next_message(self, timeout: float = TIMEOUT) -> ReceivedMessage:
        return await asyncio.wait_for(self.received.get(), timeout)

