"""Fingerprint links: Conversations' and Gajim's forms, errors, fuzzing, and real QR decoding."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onboard.core.errors import InvalidInputError
from onboard.core.omemo.fingerprint import NS_AXOLOTL, NS_OMEMO2, Device
from onboard.core.omemo.link import build_link, parse_link
from onboard.core.qr import qr_matrix
from tests.core.test_qr import save, zbarimg

JID = "alice@example.org"
FP1 = "0123456789abcdef" * 4
FP2 = "fedcba9876543210" * 4
FP3 = "00112233445566778899aabbccddeeff" * 2


def test_conversations_form() -> None:
    link = build_link(JID, {123: FP1})
    assert link == f"xmpp:alice@example.org?omemo-sid-123={FP1}"


def test_several_devices_keep_their_order() -> None:
    devices = [Device(JID, 7, FP2, (NS_OMEMO2,)), Device(JID, 3, FP1, (NS_AXOLOTL, NS_OMEMO2))]
    link = build_link(JID, devices)
    assert link == f"xmpp:alice@example.org?omemo-sid-7={FP2};omemo-sid-3={FP1}"
    jid, parsed = parse_link(link)
    assert jid == JID and list(parsed.items()) == [(7, FP2), (3, FP1)]


def test_round_trip_with_unusual_address() -> None:
    jid = "j.doe+chat@example.org"
    link = build_link(jid, {1: FP1, 2147483647: FP2})
    assert parse_link(link) == (jid, {1: FP1, 2147483647: FP2})


def test_address_is_compared_in_lower_case() -> None:
    assert build_link("Alice@Example.ORG", {1: FP1}) == build_link(JID, {1: FP1})


def test_address_with_characters_that_need_encoding_round_trips() -> None:
    jid = "zoë~x@bücher.example"
    link = build_link(jid, {5: FP1})
    assert link.startswith("xmpp:zo%C3%AB~x@b%C3%BCcher.example?")
    assert parse_link(link) == (jid, {5: FP1})


def test_gajim_form() -> None:
    text = f"xmpp:alice@example.org?message;omemo-sid-10={FP1.upper()};omemo-sid-11={FP2}"
    assert parse_link(text) == (JID, {10: FP1, 11: FP2})


@pytest.mark.parametrize("text", [
    f"XMPP:Alice@Example.ORG?OMEMO-SID-9={FP1.upper()}",
    f"xmpp:alice%40example.org?omemo-sid-9={FP1}",
    f"xmpp:%61lice@example.org?omemo-sid-9={FP1}",
    f"xmpp:alice@example.org/phone?omemo-sid-9={FP1}",
    f"  xmpp:alice@example.org?omemo-sid-9={FP1}\n",
    f"xmpp:alice@example.org?omemo-sid-9={FP1};unknown=1;omemo=abc;x",
    f"xmpp:alice@example.org?roster;name=Alice;omemo-sid-9={FP1}#fragment",
    f"xmpp:alice@example.org?omemo-sid-9={FP1};;",
    f"xmpp:alice@example.org?omemo-sid-9={FP1};omemo-sid-9={FP1}",
    f"xmpp:alice@example.org?omemo-sid-0009={FP1}",
    f"xmpp://bob@example.org/alice@example.org?omemo-sid-9={FP1}",
    f"https://conversations.im/i/alice@example.org?omemo-sid-9={FP1}&x=y",
])
def test_tolerated_variants(text: str) -> None:
    assert parse_link(text) == (JID, {9: FP1})


@pytest.mark.parametrize("text, problem", [
    ("", "should start with “xmpp:”"),
    (FP1, "should start with “xmpp:”"),
    (f"mailto:alice@example.org?omemo-sid-1={FP1}", "should start with “xmpp:”"),
    ("xmpp:alice@example.org", "no OMEMO fingerprint"),
    ("xmpp:alice@example.org?message;omemo=abc", "no OMEMO fingerprint"),
    (f"xmpp:example.org?omemo-sid-1={FP1}", "needs a name"),
    (f"xmpp:?omemo-sid-1={FP1}", "needs a name"),
    (f"xmpp:al ice@example.org?omemo-sid-1={FP1}", "not a valid address"),
    (f"xmpp:alice@localhost?omemo-sid-1={FP1}", "not a valid address"),
    (f"xmpp:%ff@example.org?omemo-sid-1={FP1}", "wrongly encoded"),
    (f"xmpp:alice@example.org?omemo-sid-0={FP1}", "between 1 and 2147483647; 0 is not"),
    (f"xmpp:alice@example.org?omemo-sid-2147483648={FP1}", "2147483648 is not"),
    (f"xmpp:alice@example.org?omemo-sid-99999999999={FP1}", "not a device number"),
    (f"xmpp:alice@example.org?omemo-sid--5={FP1}", "not a device number"),
    (f"xmpp:alice@example.org?omemo-sid-={FP1}", "not a device number"),
    (f"xmpp:alice@example.org?omemo-sid-²={FP1}", "not a device number"),
    ("xmpp:alice@example.org?omemo-sid-1", "Device 1 in the link has no fingerprint"),
    ("xmpp:alice@example.org?omemo-sid-1=", "Device 1 in the link: .*only the digits"),
    (f"xmpp:alice@example.org?omemo-sid-1={FP1[:-1]}", "this one has 63"),
    (f"xmpp:alice@example.org?omemo-sid-1=05{FP1}", "this one has 66"),
    (f"xmpp:alice@example.org?omemo-sid-1={FP1[:-1]}g", "only the digits"),
    (f"xmpp:alice@example.org?omemo-sid-1={FP1};omemo-sid-1={FP2}", "twice with different"),
    ("xmpp:" + "a" * 9000, "too long"),
])
def test_errors_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(InvalidInputError, match=problem):
        parse_link(text)


@pytest.mark.parametrize("devices, problem", [
    ({}, "no fingerprint"),
    ({0: FP1}, "0 is not"),
    ({1: "abc"}, "this one has 3"),
])
def test_build_errors(devices: dict[int, str], problem: str) -> None:
    with pytest.raises(InvalidInputError, match=problem):
        build_link(JID, devices)


def test_build_refuses_a_bad_address() -> None:
    with pytest.raises(InvalidInputError):
        build_link("not an address", {1: FP1})


# --- fuzzing ------------------------------------------------------------------------------------

_VALID = [f"xmpp:{JID}?omemo-sid-1={FP1};omemo-sid-2={FP2}",
          f"xmpp:alice%40example.org?message;omemo-sid-123={FP3.upper()}"]
_EDIT_CHARS = st.sampled_from([*";&=?%@/#:-x0fF ²é\x00", "%40", "%ff", "omemo-sid-"])


def _mutate(link: str, edits: list[tuple[int, int, str]]) -> str:
    """Replace, delete (empty text) or insert around chosen positions of a valid link."""
    for position, length, text in edits:
        start = position % (len(link) + 1)
        link = link[:start] + text + link[start + length:]
    return link


_MUTATED = st.builds(_mutate, st.sampled_from(_VALID), st.lists(st.tuples(
    st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=3),
    st.one_of(st.just(""), _EDIT_CHARS)), max_size=4))

_LINKISH = st.one_of(
    _MUTATED,
    st.text(max_size=300),
    st.builds(lambda a, b: f"xmpp:{a}?{b}", st.text(max_size=60), st.text(max_size=200)),
    st.lists(st.one_of(
        st.sampled_from(["xmpp:", "XMPP:", "@", "?", ";", "&", "=", "%", "%4", "%40", "%ff",
                         "omemo-sid-", "OMEMO-SID-", "message", "/", "//", "#", "05",
                         FP1, FP1[:10], "１", "²", "\x00", "\u202e", "é"]),
        st.text(alphabet="abc.012-", max_size=8),
        st.integers(min_value=-5, max_value=2**40).map(str),
    ), max_size=25).map("".join),
)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_LINKISH)
def test_fuzz_only_invalid_input_errors_escape(text: str) -> None:
    try:
        jid, devices = parse_link(text)
    except InvalidInputError as error:
        assert error.message
        return
    assert "@" in jid and devices
    assert all(1 <= device_id < 2**31 and len(fp) == 64 for device_id, fp in devices.items())


_LOCALPART = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-+!$~*()é", min_size=1,
                     max_size=20)
_DEVICES = st.dictionaries(st.integers(min_value=1, max_value=2**31 - 1),
                           st.binary(min_size=32, max_size=32).map(bytes.hex),
                           min_size=1, max_size=5)


@settings(max_examples=200, deadline=None)
@given(_LOCALPART, _DEVICES)
def test_fuzz_round_trip(localpart: str, devices: dict[int, str]) -> None:
    jid = f"{localpart}@example.org"
    assert parse_link(build_link(jid, devices)) == (jid, devices)


# --- QR codes, read by a real decoder ------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 3])
def test_qr_code_decodes_to_the_same_link(tmp_path: Path, count: int) -> None:
    devices = dict(list({1234567890: FP1, 42: FP2, 2147483647: FP3}.items())[:count])
    link = build_link(JID, devices)
    decoded = zbarimg(save(qr_matrix(link), tmp_path / "fingerprints.png"))
    assert decoded == link
    assert parse_link(decoded) == (JID, devices)
