"""OMEMO fingerprints as every client shows them.

A fingerprint is the device's 32-byte Curve25519 identity key as 64 lowercase hex digits, shown
in 8 groups of 8. The two namespaces publish that key differently:

- `eu.siacs.conversations.axolotl` (OMEMO 0.3, what Conversations reads): 0x05 + the
  Curve25519 key; the fingerprint is the key without its first byte.
- `urn:xmpp:omemo:2`: the Ed25519 form of the same key; the fingerprint is its Curve25519 form,
  u = (1 + y) / (1 - y) mod 2^255 - 19 (RFC 7748's birational map), computed by libsodium's
  code as every client does. The Ed25519 hex itself is never shown: no client displays it, so
  it could never be compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from onboard.core.errors import InvalidInputError
from onboard.i18n import _

NS_AXOLOTL = "eu.siacs.conversations.axolotl"
NS_OMEMO2 = "urn:xmpp:omemo:2"
NAMESPACES = (NS_AXOLOTL, NS_OMEMO2)

CURVE25519_TYPE = 0x05
KEY_LENGTH = 32
FINGERPRINT_LENGTH = 64
GROUP_SIZE = 8
MAX_DEVICE_ID = 2**31 - 1  # OMEMO: "a randomly generated integer between 1 and 2^31 - 1"
_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Device:
    """One OMEMO device of `jid`; `namespaces` says where it was found with this key."""

    jid: str
    device_id: int
    fingerprint: str  # 64 lowercase hex, no spaces
    namespaces: tuple[str, ...]
    label: str | None = None

    @property
    def groups(self) -> list[str]:
        return format_fingerprint(self.fingerprint)

    @property
    def display(self) -> str:
        """The fingerprint as shown: 8 groups of 8, separated by spaces."""
        return " ".join(self.groups)

    @property
    def legacy_only(self) -> bool:
        return self.namespaces == (NS_AXOLOTL,)


def namespace_name(namespace: str) -> str:
    """A short name for a namespace, as clients' settings call it."""
    return {NS_AXOLOTL: "OMEMO 0.3", NS_OMEMO2: "OMEMO 2"}.get(namespace, namespace)


def normalize_fingerprint(text: str) -> str:
    """64 lowercase hex digits from what a person or a link gave (any case, spaces or colons
    between groups). Raises InvalidInputError."""
    compact = "".join(text.split()).replace(":", "").lower()
    if _HEX.fullmatch(compact):
        return compact
    if compact and all(c in "0123456789abcdef" for c in compact):
        raise InvalidInputError(
            _("A fingerprint has 64 hexadecimal digits; this one has {count}.").format(
                count=len(compact)))
    raise InvalidInputError(
        _("A fingerprint has only the digits 0-9 and the letters a-f."))


def format_fingerprint(fingerprint: str) -> list[str]:
    """The 8 groups of 8 lowercase hex digits every client shows."""
    compact = normalize_fingerprint(fingerprint)
    return [compact[i:i + GROUP_SIZE] for i in range(0, FINGERPRINT_LENGTH, GROUP_SIZE)]


def check_device_id(device_id: int) -> int:
    if not 1 <= device_id <= MAX_DEVICE_ID:
        raise InvalidInputError(
            _("A device number is between 1 and {highest}; {number} is not.").format(
                highest=MAX_DEVICE_ID, number=device_id))
    return device_id


def fingerprint_from_axolotl(key: bytes) -> str:
    """The fingerprint of a key published under eu.siacs.conversations.axolotl (0x05 + 32 bytes)."""
    if len(key) != KEY_LENGTH + 1:
        raise InvalidInputError(
            _("The identity key has {count} bytes instead of 33 (05 and 32 bytes).").format(
                count=len(key)))
    if key[0] != CURVE25519_TYPE:
        raise InvalidInputError(
            _("The identity key starts with {byte:02x} instead of 05, the mark of a Curve25519 "
              "key.").format(byte=key[0]))
    return key[1:].hex()


def ed25519_to_curve25519(key: bytes) -> bytes:
    """The Curve25519 form of an Ed25519 public key: libsodium's conversion (through xeddsa,
    which slixmpp-omemo uses), which also rejects what is not a sound public key."""
    if len(key) != KEY_LENGTH:
        raise InvalidInputError(
            _("The identity key has {count} bytes instead of 32.").format(count=len(key)))
    import xeddsa  # imported when needed: its C library takes a while to load

    try:
        return xeddsa.ed25519_pub_to_curve25519_pub(key)
    except xeddsa.XEdDSAException:
        raise InvalidInputError(
            _("The identity key is not a valid Ed25519 public key.")) from None


def fingerprint_from_ed25519(key: bytes) -> str:
    """The fingerprint of a key published under urn:xmpp:omemo:2 (32-byte Ed25519)."""
    return ed25519_to_curve25519(key).hex()
