"""An end-to-end encrypted test message ("hello") from an OMEMO device of the assistant's own.

`send_hello` logs in with the user's account through onboard's own `connect` (so through the
network object: over Tor when Tor is on; no other socket is opened), then:

1. reads the recipient's OMEMO devices (`pep.read_devices`) and the user's verified
   fingerprints. A recipient without usable devices is an error before anything is published.
2. creates an OMEMO device for the account with slixmpp-omemo, its keys in a private file
   (`keyfile`), and publishes it: device list and bundle in both namespaces.
3. encrypts the text for every device of the recipient and the account's own other devices,
   as clients do, trusting them blindly for this one message (the trust is not kept), and sends
   it as a chat message that asks for a delivery receipt (XEP-0184).
4. waits up to `confirm_wait` seconds for that receipt: apps built on python-omemo (Gajim) look
   the sending device up before they decrypt, so it must still be listed while they do.
5. unless `keep_device`: takes the device off the account's device lists in both namespaces,
   deletes its bundles and then its key file. A failure here is reported in the result
   (`removal_error`, with what to do), never raised: the message was sent.

A device that is offline now gets the message later and may then show it as one it cannot
decrypt, because the sending device is gone by then: that is expected for a test.

slixmpp-omemo 2.2 encrypts with OMEMO 0.3 (eu.siacs.conversations.axolotl), which Conversations,
Gajim, Dino and Monal read; it does not implement OMEMO 2's stanza content encryption yet, so
devices that only speak OMEMO 2 are listed in `skipped`.

A run that was interrupted leaves its key file behind; the next run for the same account loads
it, uses the same device and removes it at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar, cast

import oldmemo.etree
from omemo.message import Message as OmemoMessage
from omemo.session_manager import (
    DeviceListDownloadFailed,
    NoEligibleDevices,
    SessionManager,
)
from omemo.storage import Storage
from omemo.types import DeviceInformation
from slixmpp.exceptions import IqError
from slixmpp.plugins.base import register_plugin
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath
from slixmpp_omemo import XEP_0384
from slixmpp_omemo.base_session_manager import TrustLevel

from onboard.core.errors import (
    InvalidInputError,
    LoginFailedError,
    OnboardError,
    onboard_error_in,
)
from onboard.core.network import Network
from onboard.core.omemo import verified
from onboard.core.omemo.errors import (
    AccountLoginFailedError,
    DeviceLeftError,
    OmemoHelloError,
    RecipientNoOmemoError,
)
from onboard.core.omemo.fingerprint import NS_AXOLOTL, NS_OMEMO2, format_fingerprint
from onboard.core.omemo.jid import bare_jid
from onboard.core.omemo.keyfile import KeyFileStorage
from onboard.core.omemo.pep import DEVICE_LIST_NODES, DeviceReport, _items, read_devices
from onboard.core.text import one_line
from onboard.core.xmpp.address import ServerAddress
from onboard.core.xmpp.connection import OnboardClient
from onboard.core.xmpp.registration import _race, connect
from onboard.i18n import _, ngettext

HELLO_TIMEOUT = 30.0  # for each network step
CONFIRM_WAIT = 20.0  # the longest wait for the recipient's delivery receipt
RECEIPT_GRACE = 0.5  # after a receipt, before the device goes: the app may still be decrypting
MAX_TEXT = 2000
PLUGIN_NAME = "onboard_hello_omemo"

NS_RECEIPTS = "urn:xmpp:receipts"
NS_MARKERS = "urn:xmpp:chat-markers:0"
NS_EME = "urn:xmpp:eme:0"
NS_HINTS = "urn:xmpp:hints"

# The steps `progress` is told about, in this order (CONFIRM only when there is a wait).
STEP_LOGIN = "login"
STEP_RECIPIENT = "recipient"  # reading the recipient's devices
STEP_PUBLISH = "publish"  # creating and publishing the assistant's device
STEP_SEND = "send"  # encrypting and sending
STEP_CONFIRM = "confirm"  # waiting for the recipient's app to confirm
STEP_REMOVE = "remove"  # taking the device off the account (not with keep_device)

# Why the message was not encrypted for a device (SkippedDevice.reason).
OMEMO2_ONLY = "omemo2-only"
KEYS_UNAVAILABLE = "keys-unavailable"

# The OMEMO libraries log key material and plaintext at DEBUG level.
_CRYPTO_LOGGERS = ("omemo", "oldmemo", "twomemo", "x3dh", "doubleratchet", "xeddsa",
                   "slixmpp_omemo")

T = TypeVar("T")


def default_text() -> str:
    return _("Hello! This is a test message from xmpp-onboard, sent end-to-end encrypted with "
             "OMEMO. If you can read it, encryption works.")


def fallback_text() -> str:
    """The plain body an app shows when it cannot decrypt (never the message itself)."""
    return _("[This message is end-to-end encrypted with OMEMO, and this app cannot decrypt "
             "it.]")


# --- the result --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HelloDevice:
    """A device the message was encrypted for."""

    jid: str
    device_id: int
    fingerprint: str  # 64 lowercase hex, as clients show it
    status: str  # verified.VERIFIED, CHANGED (confirmed with another key) or UNVERIFIED
    own: bool = False  # one of the account's own other devices

    @property
    def display(self) -> str:
        return " ".join(format_fingerprint(self.fingerprint))

    @property
    def verified(self) -> bool:
        return self.status == verified.VERIFIED

    def to_json(self) -> dict[str, object]:
        return {"jid": self.jid, "device_id": self.device_id, "fingerprint": self.fingerprint,
                "status": self.status, "own": self.own}


@dataclass(frozen=True)
class SkippedDevice:
    """A listed device of the recipient the message was not encrypted for, and why."""

    jid: str
    device_id: int
    reason: str  # OMEMO2_ONLY or KEYS_UNAVAILABLE

    @property
    def explanation(self) -> str:
        if self.reason == OMEMO2_ONLY:
            return _("it uses only OMEMO 2, which this assistant cannot encrypt for yet")
        return _("its published keys could not be used")

    def to_json(self) -> dict[str, object]:
        return {"jid": self.jid, "device_id": self.device_id, "reason": self.reason}


@dataclass(frozen=True)
class HelloResult:
    """What happened: the message was sent (otherwise send_hello raised)."""

    account_jid: str
    to_jid: str
    text: str
    device_id: int  # the assistant's own device on the account
    fingerprint: str  # its fingerprint, 64 lowercase hex
    encrypted_for: tuple[HelloDevice, ...]  # the recipient's devices first, then own ones
    skipped: tuple[SkippedDevice, ...] = ()
    delivered: bool = False  # the recipient's app confirmed it (a receipt or a chat marker)
    delivery_error: str | None = None  # the recipient's server sent the message back
    removed: bool = False  # the device is off the account again and its keys are deleted
    keys_file: Path | None = None  # where its keys are, when they were kept
    removal_error: DeviceLeftError | None = None  # the clean-up failed: what to do
    seconds: float = 0.0

    @property
    def display_fingerprint(self) -> str:
        return " ".join(format_fingerprint(self.fingerprint))

    @property
    def recipient_devices(self) -> tuple[HelloDevice, ...]:
        """The devices of `to_jid` it was encrypted for (all of them when sent to oneself)."""
        own_test = self.to_jid == self.account_jid
        return tuple(d for d in self.encrypted_for if own_test or not d.own)

    @property
    def own_devices(self) -> tuple[HelloDevice, ...]:
        """The account's own other devices it was encrypted for, so they show it too."""
        if self.to_jid == self.account_jid:
            return ()
        return tuple(d for d in self.encrypted_for if d.own)

    @property
    def verified_count(self) -> int:
        """How many of the recipient's devices it went to are verified."""
        return sum(1 for d in self.recipient_devices if d.verified)

    @property
    def changed_count(self) -> int:
        """How many of them were verified with another key: worth a warning."""
        return sum(1 for d in self.recipient_devices if d.status == verified.CHANGED)

    @property
    def kept(self) -> bool:
        return self.keys_file is not None

    def to_json(self) -> dict[str, object]:
        return {
            "account": self.account_jid,
            "to": self.to_jid,
            "text": self.text,
            "device": {"id": self.device_id, "fingerprint": self.fingerprint},
            "recipient_devices": [d.to_json() for d in self.recipient_devices],
            "own_devices": [d.to_json() for d in self.own_devices],
            "verified": self.verified_count,
            "changed": self.changed_count,
            "skipped": [d.to_json() for d in self.skipped],
            "delivered": self.delivered,
            "delivery_error": self.delivery_error,
            "device_removed": self.removed,
            "keys_file": None if self.keys_file is None else str(self.keys_file),
            "removal_error": None if self.removal_error is None else self.removal_error.to_json(),
            "seconds": round(self.seconds, 3),
        }


# --- slixmpp-omemo -----------------------------------------------------------------------------


class _AssistantOmemo(XEP_0384):
    """XEP-0384 for one test message.

    The session manager is created when asked for (not at session start), so nothing is published
    before the recipient was checked. Devices are trusted blindly and noted, so the trust can be
    taken back when the keys are kept. It never subscribes to the recipient's device lists (that
    would leave a subscription on their account), and ignores device list updates while its own
    device is being removed (the library would put it back).
    """

    name = PLUGIN_NAME
    description = "OMEMO for xmpp-onboard's test message"

    def plugin_init(self) -> None:
        self.leaving = False
        self.trusted_now: set[tuple[str, bytes]] = set()
        super().plugin_init()

    def session_bind(self, jid: Any) -> None:
        return None

    @property
    def storage(self) -> Storage:
        return cast(Storage, self.config["key_storage"])

    @property
    def _btbv_enabled(self) -> bool:
        return True

    async def _devices_blindly_trusted(self, blindly_trusted: frozenset[DeviceInformation],
                                       identifier: str | None) -> None:
        self.trusted_now.update((d.bare_jid, d.identity_key) for d in blindly_trusted)

    async def _prompt_manual_trust(self, manually_trusted: frozenset[DeviceInformation],
                                   identifier: str | None) -> None:
        session_manager = await self.get_session_manager()
        for device in manually_trusted:
            await session_manager.set_trust(device.bare_jid, device.identity_key,
                                            TrustLevel.BLINDLY_TRUSTED.value)
            self.trusted_now.add((device.bare_jid, device.identity_key))

    async def _subscribe(self, namespace: str, jid: Any) -> None:
        return None

    async def _on_device_list_update(self, msg: Any) -> None:
        if not self.leaving:
            await super()._on_device_list_update(msg)


def _load_plugin(client: OnboardClient, storage: KeyFileStorage) -> _AssistantOmemo:
    register_plugin(_AssistantOmemo)
    client.register_plugin(PLUGIN_NAME, {"key_storage": storage})
    plugin = client.plugin.get(PLUGIN_NAME, None)
    assert isinstance(plugin, _AssistantOmemo)
    return plugin


# --- the steps ---------------------------------------------------------------------------------


async def send_hello(account_jid: str, password: str, to_jid: str, server: ServerAddress,
                     network: Network, *, text: str | None = None, keep_device: bool = False,
                     timeout: float = HELLO_TIMEOUT, confirm_wait: float = CONFIRM_WAIT,
                     progress: Callable[[str], None] | None = None) -> HelloResult:
    """Send `to_jid` an OMEMO-encrypted test message from a new device of `account_jid`.

    `timeout` bounds each network step; `confirm_wait` is the longest wait for the recipient's
    receipt before the device is removed (0: do not wait); `progress` is called with each STEP_*
    as it begins.

    Raises AccountLoginFailedError, RecipientNoOmemoError (nothing was published),
    OmemoHelloError (nothing was sent, the device was removed again), OmemoKeysError,
    VerifiedStoreError, DeviceLeftError (nothing was sent, and the clean-up failed too),
    InvalidInputError, or the connection's own OnboardErrors. Once the message is sent nothing
    is raised: a failed clean-up is `HelloResult.removal_error`.
    """
    account = bare_jid(account_jid)
    recipient = bare_jid(to_jid)
    message_text = _check_text(text)
    if not 0 <= confirm_wait <= 600:
        raise InvalidInputError(_("The wait for a confirmation must be between 0 and 600 "
                                  "seconds."))
    _quiet_crypto_logs()
    tell = progress or _silent
    started = time.monotonic()
    tell(STEP_LOGIN)
    try:
        client = await connect(server, network, purpose="login", jid=account,
                               password=password, timeout=timeout)
    except LoginFailedError:
        raise AccountLoginFailedError(account) from None
    try:
        hello = _Hello(client, account, recipient, message_text, keep_device, timeout, tell)
        result = await hello.run(confirm_wait)
    except OnboardError:
        raise
    except Exception as error:  # a library's own text may contain key material: never shown
        raise _onboard_error(error, OmemoHelloError("encrypt", recipient)) from None
    finally:
        await client.close()
    return replace(result, seconds=time.monotonic() - started)


def _silent(_step: str) -> None:
    return None


def _check_text(text: str | None) -> str:
    value = default_text() if text is None else text.strip()
    if not value:
        raise InvalidInputError(_("The test message is empty."))
    if len(value) > MAX_TEXT:
        raise InvalidInputError(_("The test message is too long: at most {count} "
                                  "characters.").format(count=MAX_TEXT))
    return value


def _quiet_crypto_logs() -> None:
    """Never let the OMEMO libraries' DEBUG lines (keys, plaintext) reach any log."""
    for name in _CRYPTO_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)


class _Hello:
    """One run of send_hello on a logged-in client."""

    def __init__(self, client: OnboardClient, account: str, recipient: str, text: str,
                 keep_device: bool, timeout: float, tell: Callable[[str], None]) -> None:
        self.client = client
        self.tell = tell
        self.account = account
        self.recipient = recipient
        self.text = text
        self.keep_device = keep_device
        self.timeout = timeout
        self.storage: KeyFileStorage | None = None
        self.plugin: _AssistantOmemo | None = None

    async def _step(self, work: Awaitable[T], step: str) -> T:
        return await _race(self.client, work, self.timeout, step)

    async def run(self, confirm_wait: float) -> HelloResult:
        self.tell(STEP_RECIPIENT)
        report = await read_devices(self.client, self.account, self.recipient, self.timeout)
        _check_recipient(report)
        confirmed = verified.load(self.account)  # a broken record stops here, not later
        self.storage = KeyFileStorage.open(self.account)
        self.plugin = _load_plugin(self.client, self.storage)
        self.tell(STEP_PUBLISH)
        manager = await self._set_up()
        try:
            return await self._send_and_clean_up(manager, report, confirmed, confirm_wait)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(manager.shutdown(), 2.0)

    async def _set_up(self) -> SessionManager:
        """The device: created (or loaded from an earlier run's file) and published."""
        assert self.plugin is not None and self.storage is not None
        try:
            return await self._step(self.plugin.get_session_manager(), "OMEMO set-up")
        except Exception as error:
            problem = _onboard_error(error, OmemoHelloError("setup", self.account,
                                                            _server_text(error)))
            device_id = self.storage.device_id
            if self.keep_device:
                raise problem from None
            # Without a device id nothing was published yet. A device that is not listed may
            # have left a bundle behind, but no app uses the bundle of an unlisted device.
            if device_id is None or await self._still_listed(device_id) is False:
                self._forget_keys()
                raise problem from None
            raise DeviceLeftError(self.account, device_id, sent=False,
                                  keys_file=str(self.storage.path),
                                  cause=problem.message) from None

    async def _send_and_clean_up(self, manager: SessionManager, report: DeviceReport,
                                 confirmed: list[verified.VerifiedDevice],
                                 confirm_wait: float) -> HelloResult:
        assert self.storage is not None
        device_id = self.storage.device_id or 0
        fingerprint: str | None = None
        try:
            own, _others = await manager.get_own_device_information()
            device_id, fingerprint = own.device_id, _fingerprint(own.identity_key)
            self.tell(STEP_SEND)
            encrypted_for, message_id = await self._encrypt_and_send(manager, confirmed)
        except Exception as error:  # nothing was sent: take the device off the account again
            problem = _onboard_error(error, OmemoHelloError("encrypt", self.recipient))
            if self.keep_device:
                raise problem from None
            self.tell(STEP_REMOVE)
            try:
                await self._remove(manager, device_id)
            except Exception:
                raise DeviceLeftError(self.account, device_id, sent=False,
                                      fingerprint=fingerprint,
                                      keys_file=str(self.storage.path),
                                      cause=problem.message) from None
            raise problem from None
        delivered, bounce = await self._wait_for_delivery(message_id, confirm_wait)
        result = HelloResult(
            self.account, self.recipient, self.text, device_id, fingerprint,
            encrypted_for, _skipped(report, encrypted_for), delivered, bounce)
        if self.keep_device:
            with contextlib.suppress(Exception):  # sent: nothing may be raised from here on
                await self._forget_trust(manager)
            return replace(result, keys_file=self.storage.path)
        self.tell(STEP_REMOVE)
        try:
            await self._remove(manager, device_id)
        except Exception as error:
            return replace(result, keys_file=self.storage.path, removal_error=DeviceLeftError(
                self.account, device_id, sent=True, fingerprint=fingerprint,
                keys_file=str(self.storage.path), cause=_removal_text(error)))
        return replace(result, removed=True)

    # --- encrypting and sending ------------------------------------------------------------------

    async def _encrypt_and_send(self, manager: SessionManager,
                                confirmed: list[verified.VerifiedDevice],
                                ) -> tuple[tuple[HelloDevice, ...], str]:
        for namespace in (NS_AXOLOTL, NS_OMEMO2):
            with contextlib.suppress(DeviceListDownloadFailed):
                await self._step(manager.refresh_device_list(namespace, self.recipient),
                                 "OMEMO device lists")
        try:
            messages, _errors = await self._step(manager.encrypt(
                frozenset({self.recipient}), {NS_AXOLOTL: self.text.encode("utf-8")},
                backend_priority_order=[NS_AXOLOTL]), "OMEMO encryption")
        except NoEligibleDevices:
            raise OmemoHelloError("no-devices", self.recipient) from None
        keys = {(key.bare_jid, key.device_id) for message in messages
                for key, _exchange in message.keys}
        if not any(jid == self.recipient for jid, _device in keys):
            raise OmemoHelloError("no-devices", self.recipient)
        devices = await self._describe(manager, keys, confirmed)
        message_id = self._send(messages)
        return devices, message_id

    async def _describe(self, manager: SessionManager, keys: set[tuple[str, int]],
                        confirmed: list[verified.VerifiedDevice]) -> tuple[HelloDevice, ...]:
        known: dict[tuple[str, int], bytes] = {}
        for jid in {jid for jid, _device in keys}:
            infos = await self._step(manager.get_device_information(jid), "OMEMO devices")
            for info in infos:
                known[(info.bare_jid, info.device_id)] = info.identity_key
        devices = []
        for jid, device_id in keys:
            identity_key = known.get((jid, device_id))
            if identity_key is None:
                continue
            fingerprint = _fingerprint(identity_key)
            devices.append(HelloDevice(jid, device_id, fingerprint,
                                       _status(confirmed, jid, device_id, fingerprint),
                                       own=jid == self.account))
        devices.sort(key=lambda d: (d.jid != self.recipient, d.jid, d.device_id))
        return tuple(devices)

    def _send(self, messages: Iterable[OmemoMessage]) -> str:
        stanza = self.client.make_message(mto=self.recipient, mtype="chat")
        message_id = uuid.uuid4().hex
        stanza["id"] = message_id
        stanza["body"] = fallback_text()
        for message in messages:
            stanza.xml.append(oldmemo.etree.serialize_message(message))
        ET.SubElement(stanza.xml, f"{{{NS_EME}}}encryption",
                      {"namespace": NS_AXOLOTL, "name": "OMEMO"})
        ET.SubElement(stanza.xml, f"{{{NS_RECEIPTS}}}request")
        ET.SubElement(stanza.xml, f"{{{NS_MARKERS}}}markable")
        ET.SubElement(stanza.xml, f"{{{NS_HINTS}}}store")
        stanza.send()
        return message_id

    async def _wait_for_delivery(self, message_id: str,
                                 wait: float) -> tuple[bool, str | None]:
        """(confirmed by the recipient's app, what the server said when it sent it back)."""
        if wait <= 0:
            return False, None
        self.tell(STEP_CONFIRM)
        loop = asyncio.get_running_loop()
        outcome: asyncio.Future[str | None] = loop.create_future()
        handler = f"onboard hello {message_id}"

        def on_message(stanza: Any) -> None:
            xml = stanza.xml
            if outcome.done() or stanza["from"].bare != self.recipient:
                return
            if xml.get("type") == "error" and xml.get("id") == message_id:
                error = stanza["error"]
                said = one_line(str(error["text"] or ""), 200)
                outcome.set_result(str(error["condition"] or "error") + (
                    f": {said}" if said else ""))
                return
            for tag in (f"{{{NS_RECEIPTS}}}received", f"{{{NS_MARKERS}}}received",
                        f"{{{NS_MARKERS}}}displayed"):
                found = xml.find(tag)
                if found is not None and found.get("id") == message_id:
                    outcome.set_result(None)
                    return

        self.client.register_handler(Callback(
            handler, MatchXPath(f"{{{self.client.default_ns}}}message"), on_message))
        try:
            watched: set[asyncio.Future[Any]] = {outcome, self.client.failure}
            await asyncio.wait(watched, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.client.remove_handler(handler)
        if not outcome.done():
            return False, None
        bounce = outcome.result()
        if bounce is None:
            await asyncio.sleep(RECEIPT_GRACE)
            return True, None
        return False, bounce

    # --- cleaning up ---------------------------------------------------------------------------

    async def _remove(self, manager: SessionManager, device_id: int) -> None:
        """Off both device lists, bundles deleted, then the key file; raises when it failed."""
        assert self.plugin is not None
        self.plugin.leaving = True

        async def purge() -> None:
            for namespace in (NS_OMEMO2, NS_AXOLOTL):
                await manager.purge_backend(namespace)

        await self._step(purge(), "OMEMO device removal")
        if await self._still_listed(device_id) is not False:
            raise _StillListed
        self._forget_keys()

    async def _still_listed(self, device_id: int) -> bool | None:
        """Whether the account's device lists name `device_id`; None when they cannot be read."""
        try:
            ids = await self._step(_listed_ids(self.client, self.account, self.timeout),
                                   "OMEMO device lists")
        except Exception:
            return None
        return device_id in ids

    def _forget_keys(self) -> None:
        if self.storage is not None:
            self.storage.remove()

    async def _forget_trust(self, manager: SessionManager) -> None:
        """Kept keys keep no trust decision: the blind trust was for this message only."""
        assert self.plugin is not None
        for jid, identity_key in sorted(self.plugin.trusted_now):
            await manager.set_trust(jid, identity_key, TrustLevel.UNDECIDED.value)


# --- helpers -----------------------------------------------------------------------------------


def _check_recipient(report: DeviceReport) -> None:
    """Raise RecipientNoOmemoError unless a device of `report.jid` can be encrypted for."""
    if any(NS_AXOLOTL in device.namespaces for device in report.devices):
        return
    if report.devices:
        raise RecipientNoOmemoError(report.jid, "omemo2-only")
    if any(problem.device_id is not None for problem in report.problems):
        raise RecipientNoOmemoError(report.jid, "broken")
    raise RecipientNoOmemoError(report.jid, "own" if report.own else "none")


def _skipped(report: DeviceReport,
             encrypted_for: tuple[HelloDevice, ...]) -> tuple[SkippedDevice, ...]:
    done = {(d.jid, d.device_id) for d in encrypted_for}
    skipped: dict[int, SkippedDevice] = {}
    for device in report.devices:
        if (device.jid, device.device_id) not in done:
            reason = KEYS_UNAVAILABLE if NS_AXOLOTL in device.namespaces else OMEMO2_ONLY
            skipped.setdefault(device.device_id, SkippedDevice(device.jid, device.device_id,
                                                               reason))
    for problem in report.problems:
        if problem.device_id is not None and (report.jid, problem.device_id) not in done:
            skipped.setdefault(problem.device_id, SkippedDevice(report.jid, problem.device_id,
                                                                KEYS_UNAVAILABLE))
    return tuple(skipped[device_id] for device_id in sorted(skipped))


def _status(confirmed: list[verified.VerifiedDevice], jid: str, device_id: int,
            fingerprint: str) -> str:
    for record in confirmed:
        if record.jid == jid and record.device_id == device_id:
            return verified.VERIFIED if record.fingerprint == fingerprint else verified.CHANGED
    return verified.UNVERIFIED


def _fingerprint(identity_key: bytes) -> str:
    """The Curve25519 form every client shows (the library's key is the Ed25519 form)."""
    return "".join(SessionManager.format_identity_key(identity_key))


async def _listed_ids(client: OnboardClient, account: str, timeout: float) -> set[int]:
    """Every device id in the account's device lists, both namespaces."""
    ids: set[int] = set()
    for namespace in (NS_AXOLOTL, NS_OMEMO2):
        try:
            items = await _items(client, account, DEVICE_LIST_NODES[namespace], timeout,
                                 latest=True)
        except IqError as error:
            if error.condition == "item-not-found":
                continue
            raise
        for _item_id, payload in items:
            if payload is None:
                continue
            for element in payload.iter(f"{{{namespace}}}device"):
                text = element.get("id", "")
                if text.isdigit():
                    ids.add(int(text))
    return ids


class _StillListed(Exception):
    """The device lists still name the device after it was taken off them."""


def _onboard_error(error: BaseException, default: OnboardError) -> OnboardError:
    """The OnboardError behind `error`, else `default`; never a library's own text, which may
    contain key material."""
    return onboard_error_in(error) or default


def _server_text(error: BaseException) -> str | None:
    """What the server said, when an XMPP error is behind `error`."""
    seen: BaseException | None = error
    for _depth in range(10):
        if seen is None:
            return None
        if isinstance(seen, IqError):
            return one_line(str(seen.text or seen.condition or ""), 200) or None
        seen = seen.__cause__ or seen.__context__
    return None


def _removal_text(error: BaseException) -> str:
    """Why the device could not be taken off the account, for DeviceLeftError."""
    found = onboard_error_in(error)
    if found is not None:
        return found.message
    if isinstance(error, _StillListed):
        return _("the account's device lists still name it.")
    said = _server_text(error)
    if said:
        return _("the server did not accept the change ({text}).").format(text=said)
    return _("the change could not be published.")


# --- for people: progress and outcome -------------------------------------------------------


def step_text(step: str, recipient: str, wait: float) -> str:
    """What `send_hello` is doing at `step`, for a person (empty for the login, which the
    caller words itself)."""
    return {
        STEP_RECIPIENT: _("Looking up the encryption keys of {jid}…"),
        STEP_PUBLISH: _("Giving your account an encryption device for the test…"),
        STEP_SEND: _("Encrypting and sending the test message…"),
        STEP_CONFIRM: _("Waiting up to {seconds:.0f} s for {jid}'s app to confirm it…"),
        STEP_REMOVE: _("Removing the test device from your account again…"),
    }.get(step, "").format(jid=recipient, seconds=wait)


def _device_line(device: HelloDevice) -> str:
    status = {
        verified.VERIFIED: _("verified"),
        verified.CHANGED: _("CHANGED: you verified another key for this device; compare the "
                            "fingerprints again"),
    }.get(device.status, _("not verified"))
    return _("  device {id}: {fingerprint} ({status})").format(
        id=device.device_id, fingerprint=device.display, status=status)


def describe(result: HelloResult) -> list[str]:
    """The outcome as plain lines for a person (the CLI prints them, the assistant shows
    them)."""
    recipients = result.recipient_devices
    lines = [_("Sent an end-to-end encrypted test message to {jid}.").format(jid=result.to_jid)]
    lines.append(ngettext(
        "It was encrypted for {count} device of {jid}; you have verified {verified} of them:",
        "It was encrypted for {count} devices of {jid}; you have verified {verified} of them:",
        len(recipients)).format(count=len(recipients), jid=result.to_jid,
                                verified=result.verified_count))
    lines += [_device_line(device) for device in recipients]
    if result.own_devices:
        lines.append(ngettext(
            "Also for {count} other device of yours, so it shows there too:",
            "Also for {count} other devices of yours, so it shows there too:",
            len(result.own_devices)).format(count=len(result.own_devices)))
        lines += [_device_line(device) for device in result.own_devices]
    for skipped in result.skipped:
        lines.append(_("Not encrypted for device {id} of {jid}: {why}.").format(
            id=skipped.device_id, jid=skipped.jid, why=skipped.explanation))
    if result.delivered:
        lines.append(_("Their app confirmed that the message arrived."))
    elif result.delivery_error:
        lines.append(_("The server sent the message back ({reason}): {jid} may be offline, "
                       "and their server keeps no messages for later.").format(
                           reason=result.delivery_error, jid=result.to_jid))
    else:
        lines.append(_("No confirmation came from their app (not every app sends one). Ask "
                       "them whether the message arrived and can be read."))
    device = _("number {id}, fingerprint {fingerprint}").format(
        id=result.device_id, fingerprint=result.display_fingerprint)
    if result.removal_error is not None:
        lines.append(result.removal_error.message)
        lines.append(result.removal_error.hint)
    elif result.removed:
        lines.append(_("The assistant's own encryption device ({device}) was removed from your "
                       "account again, and its keys were deleted.").format(device=device))
        lines.append(_("An app that was offline may later show the message as one it cannot "
                       "decrypt: that is expected for this test."))
    elif result.keys_file is not None:
        lines.append(_("The assistant's own encryption device ({device}) stays on your account, "
                       "as asked. Its keys are in {path}. Remove it in your app's OMEMO "
                       "settings when you no longer need it, or send another test message "
                       "without keeping the device: that removes it.").format(
                           device=device, path=result.keys_file))
    return lines
