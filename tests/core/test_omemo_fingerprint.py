"""Fingerprints from both namespaces' keys, checked against independent computations.

The independent sides: xeddsa's own key pairs (a private key gives both public forms), the OMEMO
library's `SessionManager.format_identity_key`, and the birational map written out below in
plain Python from RFC 7748.
"""

from __future__ import annotations

import os

import pytest
import xeddsa
from hypothesis import given, settings
from hypothesis import strategies as st
from omemo.session_manager import SessionManager

from onboard.core.errors import InvalidInputError
from onboard.core.omemo.fingerprint import (
    NS_AXOLOTL,
    NS_OMEMO2,
    Device,
    ed25519_to_curve25519,
    fingerprint_from_axolotl,
    fingerprint_from_ed25519,
    format_fingerprint,
    normalize_fingerprint,
)

P = 2**255 - 19
# RFC 8032 §7.1, TEST 1: an Ed25519 public key everyone can look up.
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")


def montgomery_u(ed25519_public: bytes) -> bytes:
    """RFC 7748 §4.1: u = (1 + y) / (1 - y), y from the little-endian key without its sign bit."""
    y = int.from_bytes(ed25519_public, "little") & ((1 << 255) - 1)
    u = (1 + y) * pow(1 - y, P - 2, P) % P
    return u.to_bytes(32, "little")


def key_pair() -> tuple[bytes, bytes]:
    private = xeddsa.seed_to_priv(os.urandom(32))
    return xeddsa.priv_to_ed25519_pub(private), xeddsa.priv_to_curve25519_pub(private)


def test_rfc8032_key_gives_the_montgomery_form() -> None:
    expected = montgomery_u(RFC8032_PUBLIC).hex()
    assert fingerprint_from_ed25519(RFC8032_PUBLIC) == expected
    assert "".join(SessionManager.format_identity_key(RFC8032_PUBLIC)) == expected


@pytest.mark.parametrize("run", range(20))
def test_both_namespaces_give_the_same_fingerprint_for_one_key(run: int) -> None:
    ed_public, curve_public = key_pair()
    from_new = fingerprint_from_ed25519(ed_public)
    assert from_new == curve_public.hex() == montgomery_u(ed_public).hex()
    assert from_new == "".join(SessionManager.format_identity_key(ed_public))
    assert fingerprint_from_axolotl(b"\x05" + curve_public) == from_new
    assert from_new != ed_public.hex()  # the Ed25519 hex is never what is shown


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=32, max_size=32))
def test_any_32_bytes_are_converted_like_xeddsa_or_refused(key: bytes) -> None:
    try:
        expected = xeddsa.ed25519_pub_to_curve25519_pub(key)
    except xeddsa.XEdDSAException:
        with pytest.raises(InvalidInputError, match="not a valid Ed25519"):
            fingerprint_from_ed25519(key)
        return
    assert ed25519_to_curve25519(key) == expected == montgomery_u(key)


@pytest.mark.parametrize("size", [0, 31, 33, 64])
def test_ed25519_key_of_wrong_length(size: int) -> None:
    with pytest.raises(InvalidInputError, match=f"has {size} bytes instead of 32"):
        fingerprint_from_ed25519(bytes(size))


def test_low_order_ed25519_key_is_refused() -> None:
    identity_point = (1).to_bytes(32, "little")  # y = 1: the neutral element
    with pytest.raises(InvalidInputError):
        fingerprint_from_ed25519(identity_point)


def test_axolotl_key_is_the_published_key_without_its_type_byte() -> None:
    key = bytes(range(32))
    assert fingerprint_from_axolotl(b"\x05" + key) == key.hex()


@pytest.mark.parametrize("key, problem", [
    (b"\x05" + bytes(31), "has 32 bytes instead of 33"),
    (bytes(32), "has 32 bytes instead of 33"),
    (b"\x05" + bytes(33), "has 34 bytes instead of 33"),
    (b"", "has 0 bytes"),
    (b"\x04" + bytes(32), "starts with 04 instead of 05"),
])
def test_axolotl_key_errors(key: bytes, problem: str) -> None:
    with pytest.raises(InvalidInputError, match=problem):
        fingerprint_from_axolotl(key)


def test_eight_groups_of_eight_lowercase() -> None:
    hex_text = "0123456789ABCDEF" * 4
    groups = format_fingerprint(hex_text)
    assert groups == ["01234567", "89abcdef"] * 4
    assert all(len(group) == 8 and group == group.lower() for group in groups)


def test_typed_or_copied_forms_are_normalized() -> None:
    compact = "ab" * 32
    gajim_style = " ".join(compact.upper()[i:i + 8] for i in range(0, 64, 8))
    assert normalize_fingerprint(gajim_style) == compact
    assert normalize_fingerprint(":".join(compact[i:i + 2] for i in range(0, 64, 2))) == compact
    assert normalize_fingerprint(f"\n {compact}\t") == compact


@pytest.mark.parametrize("text, problem", [
    ("ab" * 31, "64 hexadecimal digits; this one has 62"),
    ("ab" * 33, "this one has 66"),
    ("", "only the digits 0-9"),
    ("g" * 64, "only the digits 0-9"),
    ("０" * 64, "only the digits 0-9"),  # full-width digits are not hex
])
def test_bad_fingerprints(text: str, problem: str) -> None:
    with pytest.raises(InvalidInputError, match=problem):
        format_fingerprint(text)


def test_device_shows_groups() -> None:
    device = Device("alice@example.org", 42, "0123abcd" * 8, (NS_AXOLOTL, NS_OMEMO2))
    assert device.display == " ".join(["0123abcd"] * 8)
    assert device.groups == ["0123abcd"] * 8
    assert not device.legacy_only
    assert Device("a@b.org", 1, "00" * 32, (NS_AXOLOTL,)).legacy_only
