from __future__ import annotations

import pytest

from onboard.core.validation import (
    domain_problem,
    generate_password,
    normalize_domain,
    normalize_username,
    password_strength,
    suggest_usernames,
    username_problem,
)


@pytest.mark.parametrize("name", ["alice", "Alice", "bob.smith", "jürgen", "ümit_2", "a-b+c"])
def test_valid_usernames(name: str) -> None:
    assert username_problem(name) is None


@pytest.mark.parametrize("name", ["", "   ", "al ice", "a@b", "a/b", "a:b", "a<b", "a'b", 'a"b',
                                  "a&b", "a\x00b", "x" * 1100, "smile😀"])
def test_invalid_usernames_get_a_message(name: str) -> None:
    problem = username_problem(name)
    assert problem and isinstance(problem, str)


def test_usernames_are_case_mapped() -> None:
    assert normalize_username(" Alice ") == "alice"


@pytest.mark.parametrize("domain", ["example.org", "jabber.fr", "xmpp.example.co.uk", "bücher.de"])
def test_valid_domains(domain: str) -> None:
    assert domain_problem(domain) is None


@pytest.mark.parametrize("domain", ["", "localhost", "alice@example.org", "example.org:5222",
                                    "-bad.org", "a..b", "exa mple.org", "x" * 300 + ".org"])
def test_invalid_domains(domain: str) -> None:
    assert domain_problem(domain)


def test_generated_passwords_are_strong_and_differ() -> None:
    first, second = generate_password(), generate_password()
    assert first != second
    assert len(first) == 24
    assert password_strength(first).score >= 3


@pytest.mark.parametrize(("password", "most"), [("", 0), ("password", 0), ("abc", 1),
                                                 ("aaaaaaaaaaaaaaaa", 1)])
def test_weak_passwords_score_low(password: str, most: int) -> None:
    assert password_strength(password).score <= most


def test_suggestions_differ_from_the_taken_name() -> None:
    suggestions = suggest_usernames("Alice")
    assert len(suggestions) == 3 and len(set(suggestions)) == 3
    assert all(s.startswith("alice") and s != "alice" for s in suggestions)


def test_a_full_width_server_name_is_the_same_server() -> None:
    assert normalize_domain("ｅｘａｍｐｌｅ．ＯＲＧ") == "example.org"
    assert domain_problem("ｅｘａｍｐｌｅ．ｏｒｇ") is None
