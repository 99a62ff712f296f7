"""Read an account's OMEMO devices from PEP, in both namespaces, with one login.

The login goes through the network object like every other connection (so over Tor when Tor is
on). It reads, for the target address:

- `eu.siacs.conversations.axolotl.devicelist` (`<list><device id=…/></list>`) and each
  `eu.siacs.conversations.axolotl.bundles:<id>` (`<identityKey>`: base64 of 05 + Curve25519);
- `urn:xmpp:omemo:2:devices` (`<devices><device id=… label=…/></devices>`) and each device's item
  in `urn:xmpp:omemo:2:bundles` (`<ik>`: base64 of the Ed25519 key).

Nothing is published and no presence is sent: contacts do not see the account come online.
A device with a broken or missing bundle becomes a `DeviceProblem` next to the good devices.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

from slixmpp.exceptions import IqError, IqTimeout

from onboard.core.errors import InvalidInputError, LoginFailedError, NetworkTimeoutError
from onboard.core.network import Network
from onboard.core.omemo.errors import AccountLoginFailedError, DevicesUnavailableError
from onboard.core.omemo.fingerprint import (
    MAX_DEVICE_ID,
    NAMESPACES,
    NS_AXOLOTL,
    NS_OMEMO2,
    Device,
    fingerprint_from_axolotl,
    fingerprint_from_ed25519,
    namespace_name,
)
from onboard.core.omemo.jid import bare_jid
from onboard.core.text import one_line
from onboard.core.xmpp.address import ServerAddress
from onboard.core.xmpp.connection import OnboardClient
from onboard.core.xmpp.registration import _race, connect
from onboard.i18n import _

FETCH_TIMEOUT = 30.0
MAX_DEVICES = 100  # per namespace: a list longer than this is cut (and said so)
MAX_LABEL = 64
NS_PUBSUB = "http://jabber.org/protocol/pubsub"
DEVICE_LIST_NODES = {
    NS_AXOLOTL: "eu.siacs.conversations.axolotl.devicelist",
    NS_OMEMO2: "urn:xmpp:omemo:2:devices",
}
OMEMO2_BUNDLES_NODE = "urn:xmpp:omemo:2:bundles"
_LIST_ELEMENTS = {NS_AXOLOTL: f"{{{NS_AXOLOTL}}}list", NS_OMEMO2: f"{{{NS_OMEMO2}}}devices"}
_KEY_ELEMENTS = {NS_AXOLOTL: f"{{{NS_AXOLOTL}}}identityKey", NS_OMEMO2: f"{{{NS_OMEMO2}}}ik"}
_KEY_READERS: dict[str, Callable[[bytes], str]] = {
    NS_AXOLOTL: fingerprint_from_axolotl,
    NS_OMEMO2: fingerprint_from_ed25519,
}
_DIGITS = re.compile(r"[0-9]{1,10}")
_FORBIDDEN = {"forbidden", "not-authorized", "registration-required", "subscription-required",
              "presence-subscription-required"}
_UNREACHABLE = {"remote-server-not-found", "remote-server-timeout"}
_UNAVAILABLE = {"service-unavailable", "feature-not-implemented", "recipient-unavailable"}


def bundle_node(namespace: str, device_id: int) -> str:
    if namespace == NS_AXOLOTL:
        return f"{NS_AXOLOTL}.bundles:{device_id}"
    return OMEMO2_BUNDLES_NODE


@dataclass(frozen=True)
class DeviceProblem:
    """Something wrong with one device (or, without `device_id`, with a whole device list).

    `kind`: bundle-missing, bundle-malformed, bundle-unreadable, bad-device-id,
    device-list-malformed, device-list-unreadable, too-many-devices, key-mismatch.
    `namespace` is None when the problem spans both namespaces.
    """

    jid: str
    device_id: int | None
    namespace: str | None
    kind: str
    detail: str = ""

    @property
    def message(self) -> str:
        texts = {
            "bundle-missing": _("Device {id} is listed under {ns} but has no keys published "
                                "there: it was probably removed without being taken off the "
                                "list, or it never finished setting up."),
            "bundle-malformed": _("Device {id} published broken keys under {ns}. {detail}"),
            "bundle-unreadable": _("The keys of device {id} under {ns} could not be read (the "
                                   "server said: {detail})."),
            "bad-device-id": _("The device list under {ns} contains “{detail}”, which is not a "
                               "device number."),
            "device-list-malformed": _("The device list under {ns} could not be understood."),
            "device-list-unreadable": _("The device list under {ns} could not be read (the "
                                        "server said: {detail})."),
            "too-many-devices": _("The device list under {ns} has more than {detail} devices; "
                                  "only the first {detail} were read."),
            "key-mismatch": _("Device {id} shows different keys under OMEMO 0.3 and OMEMO 2. "
                              "Do not trust it before comparing both with its owner."),
        }
        text = texts.get(self.kind, _("Device {id}: {detail}"))
        return text.format(id=self.device_id, detail=self.detail,
                           ns=namespace_name(self.namespace or ""))


@dataclass(frozen=True)
class DeviceReport:
    """What `jid` has published, read while logged in as `account_jid`."""

    account_jid: str
    jid: str
    devices: tuple[Device, ...]
    problems: tuple[DeviceProblem, ...] = ()
    namespaces: tuple[str, ...] = ()  # where a device list exists (possibly empty)
    seconds: float = 0.0
    # The server refused to show either device list (Prosody answers "forbidden" both when
    # the lists do not exist and when they are for contacts only, and for unknown accounts).
    hidden: bool = False

    @property
    def own(self) -> bool:
        return self.account_jid == self.jid

    @property
    def no_omemo(self) -> bool:
        """No device listed in either namespace: OMEMO was never set up for this address."""
        return not self.devices and not any(p.device_id is not None for p in self.problems)

    @property
    def advice(self) -> str:
        """What to do when `no_omemo` (empty otherwise)."""
        if not self.no_omemo:
            return ""
        if self.hidden and not self.own:
            return _("No OMEMO encryption keys of {jid} can be seen from this account. Most "
                     "likely they have not set up OMEMO yet: they need to open Conversations, "
                     "Gajim, Dino or Monal once, logged in with that account. Otherwise check "
                     "the address: it may not exist, or its server shows the keys only to "
                     "contacts.").format(jid=self.jid)
        if self.own:
            return _("This account has no OMEMO encryption keys yet. Open Conversations, Gajim, "
                     "Dino or Monal once, logged in with this account: the app creates its keys "
                     "and publishes them. Then check again.")
        return _("{jid} has no OMEMO encryption keys yet. They need to open Conversations, "
                 "Gajim, Dino or Monal once, logged in with that account. Then check "
                 "again.").format(jid=self.jid)


@dataclass
class _Listing:
    """One namespace's device list: `found` when the node exists."""

    namespace: str
    found: bool = False
    devices: dict[int, str | None] = field(default_factory=dict)  # id → label
    problems: list[DeviceProblem] = field(default_factory=list)
    error: IqError | None = None


@dataclass(frozen=True)
class _Key:
    namespace: str
    device_id: int
    fingerprint: str | None
    problem: DeviceProblem | None = None


async def fetch_devices(account_jid: str, password: str, target_jid: str | None,
                        server: ServerAddress, network: Network,
                        timeout: float = FETCH_TIMEOUT) -> DeviceReport:
    """Log in as `account_jid` and read `target_jid`'s OMEMO devices (own when None).

    Raises AccountLoginFailedError (a LoginFailedError), DevicesUnavailableError when the
    contact's server cannot be reached or refuses outright, NetworkTimeoutError, or the
    connection's own OnboardErrors.
    """
    account = bare_jid(account_jid)
    target = bare_jid(target_jid) if target_jid else account
    started = time.monotonic()
    try:
        client = await connect(server, network, purpose="login", jid=account,
                               password=password, timeout=timeout)
    except LoginFailedError:
        raise AccountLoginFailedError(account) from None
    try:
        report = await read_devices(client, account, target, timeout)
    finally:
        await client.close()
    return dataclasses.replace(report, seconds=time.monotonic() - started)


async def read_devices(client: OnboardClient, account_jid: str, jid: str,
                       timeout: float = FETCH_TIMEOUT) -> DeviceReport:
    """`jid`'s devices over a client logged in as `account_jid`: two rounds of queries (both
    device lists, then every bundle at once)."""
    listings = await _race(client, asyncio.gather(
        *(_read_list(client, jid, namespace, timeout) for namespace in NAMESPACES)),
        timeout, "OMEMO device lists")
    if not any(listing.found for listing in listings):
        refused = [listing.error for listing in listings if listing.error is not None]
        hidden = [error for error in refused if error.condition in _FORBIDDEN]
        if refused and not hidden:
            raise _unavailable(jid, refused[0])
        return DeviceReport(account_jid, jid, (), hidden=bool(hidden))
    problems = _check_listings(jid, listings)
    keys = await _race(client, _read_keys(client, jid, listings, timeout), timeout,
                       "OMEMO keys")
    devices, key_problems = _merge(jid, listings, keys)
    problems += key_problems
    problems.sort(key=lambda p: (p.device_id or 0, p.namespace or "", p.kind))
    return DeviceReport(account_jid, jid, tuple(devices), tuple(problems),
                        tuple(listing.namespace for listing in listings if listing.found))


# --- queries -----------------------------------------------------------------------------------


async def _items(client: OnboardClient, jid: str, node: str, timeout: float, *,
                 item_id: str | None = None,
                 latest: bool = False) -> list[tuple[str, ET.Element | None]]:
    """(item id, payload) of `node` at `jid`: all items, the latest, or the one with `item_id`."""
    iq = client.Iq()
    iq["type"] = "get"
    iq["to"] = jid
    pubsub = ET.SubElement(iq.xml, f"{{{NS_PUBSUB}}}pubsub")
    items = ET.SubElement(pubsub, f"{{{NS_PUBSUB}}}items", node=node)
    if latest:
        items.set("max_items", "1")
    if item_id is not None:
        ET.SubElement(items, f"{{{NS_PUBSUB}}}item", id=item_id)
    try:
        reply = await iq.send(timeout=timeout)  # type: ignore[no-untyped-call]
    except IqTimeout:
        raise NetworkTimeoutError("OMEMO query", timeout) from None
    path = f"{{{NS_PUBSUB}}}pubsub/{{{NS_PUBSUB}}}items/{{{NS_PUBSUB}}}item"
    return [(item.get("id", ""), next(iter(item), None)) for item in reply.xml.findall(path)]


async def _read_list(client: OnboardClient, jid: str, namespace: str,
                     timeout: float) -> _Listing:
    try:
        items = await _items(client, jid, DEVICE_LIST_NODES[namespace], timeout, latest=True)
    except IqError as error:
        if error.condition == "item-not-found":
            return _Listing(namespace)
        return _Listing(namespace, error=error)
    listing = _Listing(namespace, found=True)
    if items:
        _parse_list(jid, listing, _pick(items, "current"))
    return listing


def _parse_list(jid: str, listing: _Listing, payload: ET.Element | None) -> None:
    namespace = listing.namespace
    if payload is None or payload.tag != _LIST_ELEMENTS[namespace]:
        listing.problems.append(DeviceProblem(jid, None, namespace, "device-list-malformed"))
        return
    for element in payload.findall(f"{{{namespace}}}device"):
        if len(listing.devices) == MAX_DEVICES:
            listing.problems.append(
                DeviceProblem(jid, None, namespace, "too-many-devices", str(MAX_DEVICES)))
            return
        text = (element.get("id") or "").strip()
        device_id = int(text) if _DIGITS.fullmatch(text) else 0
        if not 1 <= device_id <= MAX_DEVICE_ID:
            listing.problems.append(
                DeviceProblem(jid, None, namespace, "bad-device-id", one_line(text, 20)))
            continue
        label = element.get("label") if namespace == NS_OMEMO2 else None
        listing.devices[device_id] = one_line(label, MAX_LABEL) or None


def _check_listings(jid: str, listings: list[_Listing]) -> list[DeviceProblem]:
    """The lists' problems, and a problem for a list the server would not show."""
    problems = [problem for listing in listings for problem in listing.problems]
    for listing in listings:
        if listing.error is not None:
            problems.append(DeviceProblem(jid, None, listing.namespace, "device-list-unreadable",
                                          str(listing.error.condition or "")))
    return problems


def _unavailable(jid: str, error: IqError) -> DevicesUnavailableError:
    condition = str(error.condition or "")
    if condition in _UNREACHABLE:
        reason = "unreachable"
    elif condition in _UNAVAILABLE:
        reason = "unavailable"
    else:
        reason = "refused"
    return DevicesUnavailableError(jid, reason, str(error.text or "") or None)


async def _read_keys(client: OnboardClient, jid: str, listings: list[_Listing],
                     timeout: float) -> list[_Key]:
    """Every listed device's key, the queries of both namespaces at once."""
    listed = {listing.namespace: list(listing.devices) for listing in listings}
    old = asyncio.gather(*(_read_key(client, jid, NS_AXOLOTL, device_id, timeout)
                           for device_id in listed[NS_AXOLOTL]))
    new = _read_omemo2_keys(client, jid, listed[NS_OMEMO2], timeout)
    old_keys, new_keys = await asyncio.gather(old, new)
    return [*old_keys, *new_keys]


async def _read_omemo2_keys(client: OnboardClient, jid: str, device_ids: list[int],
                            timeout: float) -> list[_Key]:
    """The OMEMO 2 bundles: all items of the node in one query, then one query per device
    still missing (a server may page or cut a long answer).

    One query for all is much faster than one per device on Prosody, whose file storage
    reads the node's whole archive for each single item asked for.
    """
    if not device_ids:
        return []
    try:
        published = dict(await _items(client, jid, OMEMO2_BUNDLES_NODE, timeout))
    except IqError as error:
        if error.condition == "item-not-found":  # no bundle node at all
            return [_missing(jid, NS_OMEMO2, device_id) for device_id in device_ids]
        published = {}
    keys = [_key(jid, NS_OMEMO2, device_id, published[str(device_id)])
            for device_id in device_ids if str(device_id) in published]
    keys += await asyncio.gather(*(_read_key(client, jid, NS_OMEMO2, device_id, timeout)
                                   for device_id in device_ids
                                   if str(device_id) not in published))
    return keys


async def _read_key(client: OnboardClient, jid: str, namespace: str, device_id: int,
                    timeout: float) -> _Key:
    """One device's bundle, asked for alone."""
    node = bundle_node(namespace, device_id)
    wanted = str(device_id) if namespace == NS_OMEMO2 else None
    try:
        items = await _items(client, jid, node, timeout, item_id=wanted,
                             latest=wanted is None)
    except IqError as error:
        if error.condition == "item-not-found":
            return _missing(jid, namespace, device_id)
        return _Key(namespace, device_id, None, DeviceProblem(
            jid, device_id, namespace, "bundle-unreadable", str(error.condition or "")))
    if wanted is not None:
        items = [item for item in items if item[0] == wanted]
    if not items:
        return _missing(jid, namespace, device_id)
    return _key(jid, namespace, device_id, _pick(items, "current"))


def _missing(jid: str, namespace: str, device_id: int) -> _Key:
    return _Key(namespace, device_id, None,
                DeviceProblem(jid, device_id, namespace, "bundle-missing"))


def _key(jid: str, namespace: str, device_id: int, bundle: ET.Element | None) -> _Key:
    try:
        fingerprint = _fingerprint(namespace, bundle)
    except InvalidInputError as error:
        return _Key(namespace, device_id, None,
                    DeviceProblem(jid, device_id, namespace, "bundle-malformed", error.message))
    return _Key(namespace, device_id, fingerprint)


# --- parsing -----------------------------------------------------------------------------------


def _pick(items: list[tuple[str, ET.Element | None]], preferred: str) -> ET.Element | None:
    """The item called `preferred` when there is one (servers that ignore max_items), else the
    first."""
    return next((payload for item_id, payload in items if item_id == preferred), items[0][1])


def _fingerprint(namespace: str, bundle: ET.Element | None) -> str:
    if bundle is None or bundle.tag != f"{{{namespace}}}bundle":
        raise InvalidInputError(_("The published item is not an OMEMO bundle."))
    key = bundle.find(_KEY_ELEMENTS[namespace])
    if key is None:
        raise InvalidInputError(_("The bundle has no identity key."))
    return _KEY_READERS[namespace](_decode_base64(key.text))


def _decode_base64(text: str | None) -> bytes:
    compact = "".join((text or "").split())
    if not compact:
        raise InvalidInputError(_("The identity key is empty."))
    compact += "=" * (-len(compact) % 4)  # some clients leave the padding out
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInputError(_("The identity key is not valid base64 text.")) from None


def _merge(jid: str, listings: list[_Listing],
           keys: list[_Key]) -> tuple[list[Device], list[DeviceProblem]]:
    """One `Device` per device id and key, with every namespace that showed that key."""
    labels = {device_id: label for listing in listings
              for device_id, label in listing.devices.items() if label}
    found: dict[int, dict[str, list[str]]] = {}  # device id → fingerprint → namespaces
    problems = []
    for key in keys:
        if key.problem is not None:
            problems.append(key.problem)
        elif key.fingerprint is not None:
            found.setdefault(key.device_id, {}).setdefault(key.fingerprint, []).append(
                key.namespace)
    devices = []
    for device_id in sorted(found):
        for fingerprint, namespaces in found[device_id].items():
            ordered = tuple(ns for ns in NAMESPACES if ns in namespaces)
            devices.append(Device(jid, device_id, fingerprint, ordered, labels.get(device_id)))
        if len(found[device_id]) > 1:
            problems.append(DeviceProblem(jid, device_id, None, "key-mismatch"))
    return devices, problems
