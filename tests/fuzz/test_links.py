"""Properties of the `xmpp:` links: OMEMO fingerprint links (onboard.core.omemo.link) and
XEP-0401 invites (onboard.core.xmpp.invites: the URI parser and the server's answer)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from urllib.parse import quote

from hypothesis import example, given
from hypothesis import strategies as st

from onboard.core.errors import InvalidInputError, InviteAnswerError, ServerRefusedError
from onboard.core.omemo.fingerprint import MAX_DEVICE_ID
from onboard.core.omemo.jid import bare_jid
from onboard.core.omemo.link import build_link, parse_link
from onboard.core.validation import domain_problem, normalize_username
from onboard.core.xmpp.invites import (
    MAX_TOKEN,
    MAX_URI,
    NS_COMMANDS,
    NS_DATA,
    REGISTER,
    ROSTER,
    invite_from_answer,
    parse_invite,
)
from tests.fuzz.strategies import (
    fuzz_settings,
    is_one_line,
    nasty_text,
    spliced,
    valid_domain,
    valid_username,
)

_ASCII_NAME = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789._-+!$*?#;%=,()~"),
                      min_size=1, max_size=16)
jids = st.builds("{}@{}".format, valid_username | _ASCII_NAME, valid_domain)
device_ids = st.integers(1, MAX_DEVICE_ID)
fingerprints = st.text("0123456789abcdef", min_size=64, max_size=64)
devices = st.dictionaries(device_ids, fingerprints, min_size=1, max_size=4)

_LINK_TOKENS = ["xmpp:", "XMPP:", "https://conversations.im/i/", "//", "alice", "@", "example.org",
                "/", "?", "message", ";", "&", "omemo-sid-", "OMEMO-SID-", "123", "4294967296",
                "0", "=", "a" * 64, "0123 4567 89ab cdef ", ":", "%", "%40", "%C3%A9", "%ff",
                "#", " "]


def _check_parsed_link(jid: str, found: dict[int, str]) -> None:
    assert bare_jid(jid) == jid and is_one_line(jid)
    assert found
    for device_id, fingerprint in found.items():
        assert 1 <= device_id <= MAX_DEVICE_ID
        assert len(fingerprint) == 64 and set(fingerprint) <= set("0123456789abcdef")


@fuzz_settings(200)
@given(st.one_of(nasty_text(60), spliced(_LINK_TOKENS, 14)))
def test_parse_link_gives_checked_devices_or_an_invalid_input_error(text: str) -> None:
    try:
        jid, found = parse_link(text)
    except InvalidInputError as error:
        assert error.message.strip()
        return
    _check_parsed_link(jid, found)


@fuzz_settings(100)
@given(jids, devices)
def test_a_built_link_parses_back(jid: str, given_devices: dict[int, str]) -> None:
    link = build_link(jid, given_devices)
    assert is_one_line(link) and link.isascii()
    assert parse_link(link) == (bare_jid(jid), given_devices)


@fuzz_settings(75)
@given(st.builds("{}@{}".format, _ASCII_NAME, valid_domain), devices,
       st.sampled_from(["xmpp:", "https://conversations.im/i/"]), st.booleans(),
       st.sampled_from([";", "&"]))
def test_other_spellings_of_a_link_mean_the_same(jid: str, given_devices: dict[int, str],
                                                 prefix: str, message: bool,
                                                 separator: str) -> None:
    query = separator.join(f"omemo-sid-{number}={fp}" for number, fp in given_devices.items())
    link = f"{prefix}{quote(jid, safe='@')}?{'message;' if message else ''}{query}"
    expected = (bare_jid(jid), given_devices)
    assert parse_link(link) == expected
    assert parse_link(f"  {link.upper()}\n") == expected


# --- invite URIs -------------------------------------------------------------------------------

_TOKEN = st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                                 "-_.~="), min_size=1, max_size=MAX_TOKEN)
_INVITE_TOKENS = ["xmpp:", "XMPP:", "xmpp://", "alice@", "example.org", "?", "register",
                  "roster", "REGISTER", ";", "&", "preauth=", "PREAUTH=", "abc123", "ibr=y",
                  "ibr=", "%", "%40", "%00", "%20", "%e2%80%8b", "#", "=", "@", "/", ":"]


def _check_invite_link(uri: str) -> None:
    link = parse_invite(uri)
    assert link.kind in (REGISTER, ROSTER)
    assert 0 < len(link.token) <= MAX_TOKEN and all(33 <= ord(c) < 127 for c in link.token)
    assert domain_problem(link.domain) is None and is_one_line(link.address)
    if "@" in link.address:
        assert bare_jid(link.address) == link.address
    if link.kind == ROSTER:
        assert link.inviter == link.address and "@" in link.address
        assert link.username is None
    else:
        assert link.allows_signup


@fuzz_settings(200)
@given(st.one_of(nasty_text(60), spliced(_INVITE_TOKENS, 12)))
@example("xmpp:example.org%e2%80%8b?register;preauth=abc")  # a hidden zero-width space
def test_parse_invite_gives_a_checked_invite_or_an_invalid_input_error(uri: str) -> None:
    try:
        _check_invite_link(uri)
    except InvalidInputError as error:
        assert error.message.strip()


@fuzz_settings(100)
@given(st.one_of(valid_domain, jids), _TOKEN, st.sampled_from([REGISTER, ROSTER]),
       st.booleans())
def test_a_written_invite_reads_back(address: str, token: str, kind: str, ibr: bool) -> None:
    if kind == ROSTER and "@" not in address:
        return
    uri = f"xmpp:{quote(address, safe='@')}?{kind};preauth={quote(token, safe='=')}"
    link = parse_invite(uri + (";ibr=y" if ibr else ""))
    expected = bare_jid(address) if "@" in address else address
    assert (link.address, link.token, link.kind, link.ibr) == (expected, token, kind, ibr)
    assert link.allows_signup == (kind == REGISTER or ibr)
    if kind == REGISTER and "@" in address:
        assert link.username == normalize_username(address.partition("@")[0])


# --- the server's answer to the invite command -------------------------------------------------

ACCOUNT = "alice@example.org"
_offsets = st.timedeltas(min_value=-dt.timedelta(hours=23, minutes=59),
                         max_value=dt.timedelta(hours=23, minutes=59))
_moments = st.one_of(
    st.datetimes(timezones=st.builds(dt.timezone, _offsets) | st.none()).map(
        dt.datetime.isoformat),
    # Written out, since a generated aware datetime stays within what UTC can express.
    st.builds("{}T{}{}".format, st.dates() | st.sampled_from([dt.date.min, dt.date.max]),
              st.times(), st.sampled_from(
        ["", "Z", "+00:00", "+01:00", "-01:00", "+23:59", "-23:59", "+14:00"])),
)
_uris = st.sampled_from([
    "xmpp:alice@example.org?roster;preauth=abc;ibr=y", "xmpp:example.org?register;preauth=x1",
    "xmpp:bob@example.org?roster;preauth=abc", "xmpp:other.org?register;preauth=abc",
    "xmpp:alice@example.org?roster", "https://example.org/invite", "x" * (MAX_URI + 5),
]) | st.builds("xmpp:{}?{};preauth={}".format, st.just("example.org") | jids,
               st.sampled_from([REGISTER, ROSTER]), _TOKEN)
_landing = st.sampled_from(["https://example.org/i/abc", "http://example.org/i",
                            "https://user@example.org/", "https://[::1", "https://a:b/",
                            "javascript:alert(1)", "https://example.org/\u202e"])
_values = st.one_of(_uris, _moments, _landing, nasty_text(30))
_field = st.tuples(st.sampled_from(["uri", "landing-url", "url", "expire", "expires", "", "x"]),
                   st.lists(_values, max_size=2))


def _answer(fields: list[tuple[str, list[str]]], note: tuple[str, str] | None,
            with_form: bool) -> ET.Element:
    iq = ET.Element("{jabber:client}iq", {"type": "result"})
    command = ET.SubElement(iq, f"{{{NS_COMMANDS}}}command", {"status": "completed"})
    if note is not None:
        ET.SubElement(command, f"{{{NS_COMMANDS}}}note", {"type": note[0]}).text = note[1]
    if not with_form:
        return iq
    form = ET.SubElement(command, f"{{{NS_DATA}}}x", {"type": "result"})
    for var, values in fields:
        field = ET.SubElement(form, f"{{{NS_DATA}}}field", {"var": var} if var else {})
        for value in values:
            ET.SubElement(field, f"{{{NS_DATA}}}value").text = value
    return iq


@fuzz_settings(150)
@given(st.lists(_field, max_size=6),
       st.none() | st.tuples(st.sampled_from(["error", "info"]), nasty_text(20)),
       st.booleans())
@example([("uri", ["xmpp:example.org?register;preauth=x1"]),
          ("expire", ["0001-01-01T00:00:00+01:00"])], None, True)  # before year 1 in UTC
@example([("uri", ["xmpp:example.org?register;preauth=x1"]),
          ("expire", ["9999-12-31T23:59:59-01:00"])], None, True)  # after year 9999 in UTC
def test_an_answer_gives_a_checked_invite_or_a_documented_error(
        fields: list[tuple[str, list[str]]], note: tuple[str, str] | None,
        with_form: bool) -> None:
    try:
        invite = invite_from_answer(_answer(fields, note, with_form), "example.org", ACCOUNT)
    except (ServerRefusedError, InviteAnswerError) as error:
        assert error.message.strip() and is_one_line(error.detail)
        return
    assert invite.link.domain == "example.org"
    if invite.link.kind == ROSTER:
        assert invite.link.address == ACCOUNT
    assert is_one_line(invite.uri) and len(invite.uri) <= MAX_URI
    assert invite.landing_url is None or (invite.landing_url.startswith("https://")
                                          and is_one_line(invite.landing_url))
    assert invite.expires is None or invite.expires.utcoffset() == dt.timedelta(0)
    assert invite.to_json()["uri"] == invite.uri


@fuzz_settings(100)
@given(_moments | nasty_text(30))
@example("0001-01-01000+0001")  # found: a valid ISO date that is in year 0 in UTC
def test_any_expiry_date_reads_as_utc_or_as_unknown(expire: str) -> None:
    fields = [("uri", ["xmpp:example.org?register;preauth=x1"]), ("expire", [expire])]
    invite = invite_from_answer(_answer(fields, None, True), "example.org", ACCOUNT)
    assert invite.expires is None or invite.expires.utcoffset() == dt.timedelta(0)
