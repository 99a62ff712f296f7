"""Fingerprint links, the text inside OMEMO QR codes.

Written in Conversations' form, which Conversations, Gajim, Dino and Monal read:
`xmpp:<bare-jid>?omemo-sid-<device id>=<64 hex>[;omemo-sid-<id>=<hex>…]`.

Read also: Gajim's `xmpp:<jid>?message;omemo-sid-…`, Conversations' web form
`https://conversations.im/i/<jid>?omemo-sid-…&…`, any case, a percent-encoded address, and
parameters this program does not know (skipped).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, unquote

from onboard.core.errors import InvalidInputError
from onboard.core.omemo.fingerprint import Device, check_device_id, normalize_fingerprint
from onboard.core.omemo.jid import bare_jid
from onboard.i18n import _

SCHEME = "xmpp:"
WEB_PREFIX = "https://conversations.im/i/"
SID_PREFIX = "omemo-sid-"
MAX_LINK_LENGTH = 8192
_DIGITS = re.compile(r"[0-9]{1,10}")
# Characters left as they are in the address part; everything else is percent-encoded.
_JID_SAFE = "@!$()*+,:"


def build_link(jid: str, devices: Iterable[Device] | Mapping[int, str]) -> str:
    """The link for `jid`'s devices, in the order given (Conversations puts its own first)."""
    pairs = devices.items() if isinstance(devices, Mapping) else (
        (device.device_id, device.fingerprint) for device in devices)
    entries: dict[int, str] = {}
    for device_id, fingerprint in pairs:
        _add(entries, check_device_id(device_id), normalize_fingerprint(fingerprint))
    if not entries:
        raise InvalidInputError(_("There is no fingerprint to put in the link."))
    query = ";".join(f"{SID_PREFIX}{device_id}={fp}" for device_id, fp in entries.items())
    return f"{SCHEME}{quote(bare_jid(jid), safe=_JID_SAFE)}?{query}"


def parse_link(text: str) -> tuple[str, dict[int, str]]:
    """The bare address and {device id: fingerprint} of a fingerprint link.

    Raises InvalidInputError, saying what is wrong, for anything else.
    """
    link = text.strip()
    if len(link) > MAX_LINK_LENGTH:
        raise InvalidInputError(_("This text is too long to be a fingerprint link."))
    rest = _after_scheme(link)
    path, _question, query = rest.split("#", 1)[0].partition("?")
    jid = bare_jid(_unquote(path))
    entries: dict[int, str] = {}
    for parameter in re.split("[;&]", query):
        _read_parameter(entries, parameter)
    if not entries:
        raise InvalidInputError(
            _("This link has no OMEMO fingerprint in it (no “omemo-sid-” part)."))
    return jid, entries


def _after_scheme(link: str) -> str:
    lowered = link.lower()
    if lowered.startswith(WEB_PREFIX):
        return link[len(WEB_PREFIX):]
    if not lowered.startswith(SCHEME):
        raise InvalidInputError(
            _("This is not a fingerprint link: it should start with “xmpp:”."))
    rest = link[len(SCHEME):]
    if rest.startswith("//"):  # RFC 5122 "xmpp://account/target": keep the target
        _authority, slash, rest = rest[2:].partition("/")
        if not slash:
            raise InvalidInputError(_("This link names no address after “xmpp:”."))
    return rest


def _read_parameter(entries: dict[int, str], parameter: str) -> None:
    key, equals, value = parameter.partition("=")
    key = _unquote(key).strip().lower()
    if not key.startswith(SID_PREFIX):
        return  # the query type ("message") or a parameter for something else
    number = key[len(SID_PREFIX):]
    if not _DIGITS.fullmatch(number):
        raise InvalidInputError(
            _("“{part}” in the link is not a device number.").format(part=number[:20]))
    device_id = check_device_id(int(number))
    if not equals:
        raise InvalidInputError(
            _("Device {number} in the link has no fingerprint.").format(number=device_id))
    try:
        fingerprint = normalize_fingerprint(_unquote(value))
    except InvalidInputError as error:
        raise InvalidInputError(
            _("Device {number} in the link: {problem}").format(number=device_id,
                                                              problem=error.message)) from None
    _add(entries, device_id, fingerprint)


def _unquote(text: str) -> str:
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise InvalidInputError(
            _("The link contains a wrongly encoded character (a “%” sequence that is not "
              "UTF-8).")) from None


def _add(entries: dict[int, str], device_id: int, fingerprint: str) -> None:
    known = entries.get(device_id)
    if known is not None and known != fingerprint:
        raise InvalidInputError(
            _("Device {number} appears twice with different fingerprints.").format(
                number=device_id))
    entries[device_id] = fingerprint
