"""Properties of the providers loader (onboard.core.providers): arbitrary JSON, mutated copies of
the bundled list, and arbitrary bytes in the cache file."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from onboard.core.providers import (
    CACHE_FORMAT,
    Provider,
    _bundled_raw,
    _validated,
    bundled,
    cache_file,
    load_providers,
    parse_providers,
)
from onboard.core.validation import domain_problem
from onboard.core.xmpp.forms import safe_web_url
from tests.fuzz.strategies import fuzz_settings, is_one_line, nasty_text

BUNDLED_RAW: list[Any] = _bundled_raw()
_KEYS = sorted({key for entry in BUNDLED_RAW for key in entry})

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                         nasty_text(30), st.sampled_from(["A", "b", "E", "de", "https://x.org",
                                                          "http://x.org", "2024-01-01"]))
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(_KEYS) | nasty_text(6), inner, max_size=4),
    max_leaves=12,
)


def _check_provider(provider: Provider) -> None:
    assert domain_problem(provider.domain) is None and is_one_line(provider.domain)
    assert provider.category in ("A", "B", "C", "D")
    assert all(len(c) == 2 and c.isascii() and c.isupper() for c in provider.countries)
    assert len(set(provider.countries)) == len(provider.countries)
    for url in (provider.website, provider.registration_web_page, provider.legal_notice,
                provider.password_reset):
        assert url == "" or (safe_web_url(url) == url and is_one_line(url))
    assert is_one_line(provider.organization) and len(provider.organization) <= 60
    for date in (provider.since, provider.latest_change):
        assert date == "" or (len(date) == 10 and date[4] == date[7] == "-")
    assert provider.compliance == -1 or 0 <= provider.compliance <= 100
    for onion in provider.onion:
        assert onion.endswith(".onion") and domain_problem(onion) is None


def _check_list(providers: list[Provider]) -> None:
    domains = [p.domain for p in providers]
    assert len(domains) == len(set(domains))
    for provider in providers:
        _check_provider(provider)


@fuzz_settings(100)
@given(json_values, st.sampled_from([None, "en", "de", "xx"]))
def test_any_json_gives_checked_providers_or_a_value_error(raw: Any, language: str | None) -> None:
    try:
        providers = parse_providers(raw, language)
    except ValueError:
        assert not isinstance(raw, list)
        return
    _check_list(providers)


@st.composite
def mutated_bundle(draw: st.DrawFn) -> tuple[list[Any], set[int]]:
    """A copy of the bundled list with a few entries changed; and which ones."""
    raw = copy.deepcopy(BUNDLED_RAW)
    touched: set[int] = set()
    for _step in range(draw(st.integers(1, 6))):
        index = draw(st.integers(0, len(raw) - 1))
        touched.add(index)
        entry = raw[index]
        action = draw(st.sampled_from(["set", "delete", "replace", "nest"]))
        if action == "replace" or not isinstance(entry, dict):
            raw[index] = draw(json_values)
            continue
        key = draw(st.sampled_from(_KEYS))
        if action == "delete":
            entry.pop(key, None)
        elif action == "nest" and isinstance(entry.get(key), dict) and entry[key]:
            entry[key][draw(st.sampled_from(sorted(entry[key])))] = draw(json_values)
        else:
            entry[key] = draw(json_values)
    return raw, touched


_BUNDLED_BY_DOMAIN = {p.domain: p for p in bundled()}


@fuzz_settings(30)
@given(mutated_bundle())
def test_a_damaged_bundle_keeps_every_entry_it_did_not_damage(
        mutated: tuple[list[Any], set[int]]) -> None:
    raw, touched = mutated
    providers = parse_providers(raw)
    _check_list(providers)
    found = {p.domain: p for p in providers}
    for index, entry in enumerate(BUNDLED_RAW):
        if index in touched:
            continue
        original = _BUNDLED_BY_DOMAIN.get(entry["jid"].lower())
        # A damaged entry may now claim an untouched entry's domain first; else it is unchanged.
        if original is not None and found.get(original.domain) != original:
            assert any(isinstance(raw[i], dict) and raw[i].get("jid") == entry["jid"]
                       for i in touched)


@fuzz_settings(50)
@given(json_values | mutated_bundle().map(lambda mutated: mutated[0]))
def test_the_validating_loader_keeps_only_lists_with_an_offered_server(raw: Any) -> None:
    try:
        providers = _validated(raw)
    except ValueError as error:
        assert str(error)
        return
    _check_list(providers)
    assert any(p.category in ("A", "B") for p in providers)


_stored = st.fixed_dictionaries(
    {"format": st.sampled_from([CACHE_FORMAT, 0, "1", None]),
     "fetched_at": st.sampled_from(["2025-01-02T03:04:05+00:00", "2025-01-02T03:04:05",
                                    "yesterday", None, 5]),
     "providers": json_values | mutated_bundle().map(lambda mutated: mutated[0])},
)


@fuzz_settings(40)
@given(st.one_of(
    _stored.map(lambda stored: json.dumps(stored).encode("utf-8")),
    st.binary(max_size=200),
    st.integers(1, 5000).map(lambda depth: b"[" * depth + b"]" * depth),
))
def test_any_cache_file_gives_a_list_and_never_an_error(content: bytes) -> None:
    path = cache_file()
    path.write_bytes(content)
    loaded = load_providers()
    assert loaded.source in ("cache", "bundled") and loaded.providers
    _check_list(loaded.providers)
    if loaded.source == "bundled":
        assert loaded.note  # a damaged copy is never ignored silently
        assert loaded.providers == bundled()
