"""Properties of the address checks: onboard.core.validation, omemo.jid and xmpp.address."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from onboard.core.errors import InvalidInputError
from onboard.core.omemo.jid import MAX_JID_LENGTH, bare_jid
from onboard.core.validation import (
    PasswordStrength,
    domain_problem,
    normalize_domain,
    normalize_username,
    password_strength,
    suggest_usernames,
    username_problem,
)
from onboard.core.xmpp.address import ServerAddress
from tests.fuzz.strategies import (
    fuzz_settings,
    is_one_line,
    nasty_text,
    spliced,
    valid_domain,
    valid_username,
)

_ADDRESS_TOKENS = ["alice", "Bob", "@", "/", ".", "example", "org", "-", " ", "xn--", "\u00e9",
                   "\u0130", "\u212a", "\u3002", "\u200b", "res"]
addressish = st.one_of(nasty_text(30), spliced(_ADDRESS_TOKENS))


def _is_problem(value: str | None) -> bool:
    return value is None or (isinstance(value, str) and bool(value.strip()))


# --- names -------------------------------------------------------------------------------------


@fuzz_settings(150)
@given(addressish)
@example("J\u030c")  # lowered after NFC, this was j + caron; normalized again, ǰ
def test_normalize_username_is_idempotent(raw: str) -> None:
    once = normalize_username(raw)
    assert normalize_username(once) == once


@fuzz_settings(150)
@given(addressish)
@example("\ud800")  # found: the length check failed to encode a lone surrogate
def test_username_problem_is_a_sentence_or_none(raw: str) -> None:
    assert _is_problem(username_problem(raw))


@fuzz_settings(150)
@given(addressish)
def test_an_accepted_name_stays_accepted_and_visible_once_normalized(raw: str) -> None:
    if username_problem(raw) is not None:
        return
    name = normalize_username(raw)
    assert username_problem(name) is None
    assert is_one_line(name) and "@" not in name and "/" not in name


@fuzz_settings(100)
@given(st.one_of(valid_username, valid_username.map(str.upper)))
def test_constructed_names_are_accepted(name: str) -> None:
    assert username_problem(name) is None, name


@fuzz_settings(50)
@given(st.one_of(valid_username, st.text("ab", min_size=1015, max_size=1023)))
@example("a" * 1023)  # a name of the longest size: its suggestions must not be longer
def test_suggestions_for_a_taken_name_are_valid_distinct_names(taken: str) -> None:
    suggestions = suggest_usernames(taken)
    assert len(suggestions) == len(set(suggestions)) == 3
    for suggestion in suggestions:
        assert username_problem(suggestion) is None, suggestion
        assert suggestion != normalize_username(taken)


# --- domains -----------------------------------------------------------------------------------


@fuzz_settings(150)
@given(addressish)
@example("example.org. .")  # the dots and the space in between were stripped one at a time
def test_normalize_domain_is_idempotent(raw: str) -> None:
    once = normalize_domain(raw)
    assert normalize_domain(once) == once


@fuzz_settings(150)
@given(addressish)
def test_domain_problem_is_a_sentence_or_none(raw: str) -> None:
    assert _is_problem(domain_problem(raw))


@fuzz_settings(150)
@given(addressish)
@example("0.0\u200b")  # found: IDNA maps the zero-width space to nothing
@example("exa\u200bmple.org")
@example("\u00adexample.org")  # and the soft hyphen
@example("0\u30020")  # found (thorough): IDNA reads the ideographic full stop as a dot
def test_an_accepted_domain_is_visible_and_stays_accepted(raw: str) -> None:
    if domain_problem(raw) is not None:
        return
    domain = normalize_domain(raw)
    assert domain_problem(domain) is None
    assert is_one_line(domain) and "." in domain


@fuzz_settings(100)
@given(valid_domain)
def test_constructed_domains_are_accepted(domain: str) -> None:
    assert domain_problem(domain) is None
    assert normalize_domain(domain.upper() + ".") == domain


# --- passwords ---------------------------------------------------------------------------------


@fuzz_settings(150)
@given(st.one_of(nasty_text(80), st.text(max_size=300)))
def test_password_strength_is_always_a_score_with_a_label(password: str) -> None:
    strength = password_strength(password)
    assert isinstance(strength, PasswordStrength)
    assert 0 <= strength.score <= 4 and strength.bits >= 0
    assert strength.label
    if len(password) < 8:
        assert strength.score <= 1


@fuzz_settings(100)
@given(st.text(min_size=1, max_size=40))
def test_repeating_one_character_never_makes_a_password_strong(char: str) -> None:
    assert password_strength(char[0] * 64).score <= 1


# --- bare addresses ----------------------------------------------------------------------------


@fuzz_settings(200)
@given(st.one_of(addressish, st.text(max_size=MAX_JID_LENGTH + 10)))
def test_bare_jid_returns_a_checked_address_or_raises_invalid_input(text: str) -> None:
    try:
        jid = bare_jid(text)
    except InvalidInputError as error:
        assert error.message.strip()
        return
    local, _at, domain = jid.partition("@")
    assert username_problem(local) is None and domain_problem(domain) is None
    assert "/" not in jid and is_one_line(jid)
    assert bare_jid(jid) == jid


@fuzz_settings(100)
@given(valid_username, valid_domain, st.text(max_size=10), st.booleans())
@example("\u01f0", "example.org", "", True)  # "ǰ".upper() is J + caron: ǰ again, composed
def test_bare_jid_drops_the_resource_and_the_case(name: str, domain: str, resource: str,
                                                  upper: bool) -> None:
    if upper:  # not always a round trip: "µ".upper().lower() is a Greek mu
        name, domain = name.upper(), domain.upper()
    jid = bare_jid(f" {name}@{domain}/{resource} ")
    assert jid == f"{normalize_username(name)}@{domain.lower()}"
    assert jid == normalize_username(name) + "@" + normalize_domain(domain)


# --- server addresses --------------------------------------------------------------------------


@fuzz_settings(50)
@given(valid_domain, st.none() | valid_domain, st.none() | st.integers(1, 65535), st.booleans())
def test_an_endpoint_exists_only_when_host_or_port_is_given(domain: str, host: str | None,
                                                           port: int | None,
                                                           direct_tls: bool) -> None:
    endpoint = ServerAddress(domain, host, port, direct_tls).explicit_endpoint()
    if host is None and port is None:
        assert endpoint is None
        return
    assert endpoint is not None
    assert endpoint.host == (host or domain)
    assert endpoint.port == (port or (5223 if direct_tls else 5222))
    assert endpoint.direct_tls == direct_tls


@pytest.mark.parametrize("raw", ["", " ", "@", "a@", "@b.org", "a@b", "a b@c.org"])
def test_plain_bad_addresses_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInputError):
        bare_jid(raw)
