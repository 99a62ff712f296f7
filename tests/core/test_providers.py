"""The server list: bundled data, refresh over real HTTPS on loopback, the cache, filters, picks."""

from __future__ import annotations

import json
import os
import random
import socket
import stat
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onboard.core.network import DirectNetwork
from onboard.core.paths import cache_dir
from onboard.core.providers import (
    NEWCOMER_FILTER,
    PROVIDERS_URL,
    SORT_KEYS,
    Provider,
    ProviderFilter,
    ProviderList,
    apply_filter,
    bundled,
    bundled_date,
    cache_file,
    load_providers,
    organization_label,
    parse_providers,
    pick_for_me,
    pick_reason,
    quick_list,
    refresh_providers,
    sort_providers,
)
from tests.providers_server import CHANGED_ORGANIZATION, ListServer, refreshed_list, serve


@pytest.fixture(scope="module")
def lists(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ListServer]:
    with serve(tmp_path_factory.mktemp("list-ca")) as server:
        yield server


async def refresh(server: ListServer, path: str = "/providers-B.json",
                  timeout: float = 5) -> ProviderList:
    return await refresh_providers(DirectNetwork(), url=server.url(path), timeout=timeout,
                                   ca_file=server.ca_file)


def by_domain(providers: list[Provider]) -> dict[str, Provider]:
    return {p.domain: p for p in providers}


# --- bundled data and parsing ------------------------------------------------------------------


def test_the_bundled_list_is_read_with_every_fact() -> None:
    providers = bundled()
    assert len(providers) == 29
    assert {p.category for p in providers} == {"A", "B"}
    openim = by_domain(providers)["openim.nl"]
    assert openim.onion == ("q7d5cnhotu5wgynyn3dtd342t3gvsvsuch72ikkek4a5m33lcj7r3ryd.onion",)
    assert openim.password_reset == "https://openim.nl/register/reset"
    assert openim.legal_notice.startswith("https://")
    assert openim.professional_hosting is True
    assert openim.latest_change == "2026-05-19"
    assert bundled_date(providers) == "2026-07-10"
    assert all(p.website.startswith("https://") for p in providers if p.website)
    assert [p.domain for p in quick_list()][:1] and all(
        p.category == "A" and p.in_band_registration for p in quick_list())


def test_load_without_a_cache_is_the_bundled_list_without_a_note() -> None:
    listing = load_providers()
    assert listing.source == "bundled"
    assert listing.fetched_at is None and listing.note is None
    assert listing.providers == bundled()


def entry(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"jid": "chat.example", "category": "A", "inBandRegistration": True}
    base.update(changes)
    return base


def test_localized_links_take_the_users_language_then_english_then_any() -> None:
    links = {"de": "https://example.de/", "en": "https://example.com/"}
    raw = [entry(legalNotice=links, passwordReset={"fr": "https://example.fr/"},
                 website={"en": "https://example.com/", "es": "https://example.es/"})]
    german = parse_providers(raw, "de")[0]
    assert german.legal_notice == "https://example.de/"
    assert german.website == "https://example.com/"
    assert german.password_reset == "https://example.fr/"
    assert parse_providers(raw, "en")[0].legal_notice == "https://example.com/"


@pytest.mark.parametrize("url", [
    "http://example.org/", "javascript:alert(1)", "file:///etc/passwd",
    "https://example.org/\u202egnp.exe", "https://exa mple.org/", "https://example.org/\x1b[31m",
])
def test_only_clean_https_links_are_kept(url: str) -> None:
    provider = parse_providers([entry(legalNotice={"en": url}, passwordReset={"en": url},
                                      website={"en": url})])[0]
    assert provider.legal_notice == provider.password_reset == provider.website == ""


def test_a_safe_link_in_another_language_beats_an_unsafe_one() -> None:
    provider = parse_providers([entry(legalNotice={"en": "http://example.org/",
                                                   "de": "https://example.de/"})], "en")[0]
    assert provider.legal_notice == "https://example.de/"


@pytest.mark.parametrize("bad", [
    {"category": "A"}, {"jid": 5, "category": "A"}, {"jid": "chat.example"},
    {"jid": "chat.example", "category": 1}, {"jid": "chat.example", "category": "AB"},
    {"jid": "chat.example", "category": "E"}, {"jid": "user@chat.example", "category": "A"},
    {"jid": "no-dot", "category": "A"}, {"jid": "bad\x1b[2J.example", "category": "A"},
    "chat.example", None, 3, [],
])
def test_entries_that_are_not_well_formed_are_skipped(bad: Any) -> None:
    assert parse_providers([bad, entry()]) == parse_providers([entry()])


def test_odd_values_become_unknowns() -> None:
    provider = parse_providers([entry(
        ratingXmppComplianceTester=True, serverLocations=["de", "DE", "Deutschland", 7, "ß"],
        since="yesterday", latestChange=20260101, organization=["x"], inBandRegistration="yes",
        alternativeJids=["fine.example", "x.onion", 3, "two words.onion"],
    )])[0]
    assert provider.compliance == -1
    assert provider.countries == ("DE",)
    assert provider.since == provider.latest_change == provider.organization == ""
    assert provider.in_band_registration is False
    assert provider.onion == ("x.onion",)


def test_a_providers_list_must_be_an_array() -> None:
    for raw in ({"jid": "x"}, "[]", None, 1):
        with pytest.raises(ValueError):
            parse_providers(raw)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30,
)
KEYS = ["jid", "category", "inBandRegistration", "inBandRegistrationCaptchaRequired",
        "inBandRegistrationEmailAddressRequired", "registrationWebPage", "serverLocations",
        "alternativeJids", "since", "organization", "freeOfCharge", "professionalHosting",
        "ratingXmppComplianceTester", "legalNotice", "passwordReset", "website", "latestChange"]
ENTRY = st.dictionaries(st.sampled_from(KEYS), JSON | st.text(max_size=30), max_size=len(KEYS))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON)
def test_parse_providers_on_arbitrary_json_raises_only_value_error(raw: Any) -> None:
    try:
        result = parse_providers(raw)
    except ValueError:
        assert not isinstance(raw, list)
    else:
        assert all(isinstance(p, Provider) for p in result)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ENTRY | JSON, max_size=8), st.sampled_from(["en", "de", "fr"]))
def test_parse_providers_on_provider_shaped_json_never_raises(raw: list[Any],
                                                              language: str) -> None:
    for provider in parse_providers(raw, language):
        assert provider.category in "ABCD" and provider.domain
        for url in (provider.website, provider.legal_notice, provider.password_reset,
                    provider.registration_web_page):
            assert url == "" or url.startswith("https://")


# --- refresh over real HTTPS -------------------------------------------------------------------


async def test_a_refresh_shows_the_new_list_and_keeps_a_private_copy(lists: ListServer) -> None:
    before = datetime.now(UTC)
    listing = await refresh(lists)
    assert listing.source == "refreshed" and listing.note is None
    assert listing.fetched_at is not None and listing.fetched_at >= before - timedelta(seconds=1)
    assert by_domain(listing.providers)["yax.im"].organization == CHANGED_ORGANIZATION

    path = cache_file()
    assert path.parent == cache_dir()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp files left behind

    again = load_providers()
    assert again.source == "cache" and again.note is None
    assert again.fetched_at == listing.fetched_at
    assert again.providers == listing.providers


FAILURES = [
    ("/malformed.json", "not valid JSON"),
    ("/not-utf8.json", "not valid JSON"),
    ("/deep.json", "not valid JSON"),
    ("/dict.json", "expected format"),
    ("/strings.json", "expected format"),
    ("/empty.json", "expected format"),
    ("/only-c.json", "expected format"),
    ("/huge.json", "larger than 5 MB"),
    ("/huge-unannounced.json", "larger than 5 MB"),
    ("/huge-gzip.json", "larger than 5 MB"),
    ("/slow.json", "did not answer in time (1 s)"),
    ("/trickle.json", "did not answer in time (1 s)"),
    ("/missing.json", "HTTP 404"),
    ("/redirect.json", "HTTP 302"),
]


@pytest.mark.parametrize(("path", "reason"), FAILURES)
async def test_a_failed_refresh_without_a_cache_shows_the_bundled_list(
        lists: ListServer, path: str, reason: str) -> None:
    listing = await refresh(lists, path, timeout=1)
    assert listing.source == "bundled"
    assert listing.fetched_at is None
    assert listing.providers == bundled()
    assert listing.note is not None
    assert listing.note.startswith("The server list could not be refreshed:")
    assert reason in listing.note
    assert "came with this program (from 2026-07-10)" in listing.note
    assert not cache_file().exists()


@pytest.mark.parametrize(("path", "reason"), FAILURES)
async def test_a_failed_refresh_after_a_good_one_shows_the_saved_list(
        lists: ListServer, path: str, reason: str) -> None:
    good = await refresh(lists)
    saved = cache_file().read_bytes()
    listing = await refresh(lists, path, timeout=1)
    assert listing.source == "cache"
    assert listing.fetched_at == good.fetched_at
    assert listing.providers == good.providers
    assert listing.note is not None and reason in listing.note
    assert good.fetched_at is not None
    assert good.fetched_at.astimezone().strftime("%Y-%m-%d") in listing.note
    assert cache_file().read_bytes() == saved  # a failure never touches the saved copy


async def test_an_untrusted_certificate_is_a_failed_refresh(lists: ListServer) -> None:
    listing = await refresh_providers(DirectNetwork(), url=lists.url(), timeout=5)
    assert listing.source == "bundled"
    assert listing.note is not None and "secure connection" in listing.note


async def test_an_unreachable_server_is_a_failed_refresh() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    listing = await refresh_providers(DirectNetwork(), url=f"https://127.0.0.1:{port}/x.json",
                                      timeout=5)
    assert listing.source == "bundled"
    assert listing.note is not None and "could not be reached" in listing.note


@pytest.mark.parametrize("url", ["http://localhost/providers-B.json", "ftp://x/y", ""])
async def test_only_https_is_used_for_the_list(url: str) -> None:
    listing = await refresh_providers(DirectNetwork(), url=url, timeout=1)
    assert listing.source == "bundled"
    assert listing.note is not None and "only https" in listing.note


async def test_a_list_that_cannot_be_saved_is_still_shown(lists: ListServer) -> None:
    cache_file().mkdir()  # a folder where the file should go: the write fails
    listing = await refresh(lists)
    assert listing.source == "refreshed"
    assert by_domain(listing.providers)["yax.im"].organization == CHANGED_ORGANIZATION
    assert listing.note is not None and "could not be saved for next time" in listing.note
    assert [p.name for p in cache_dir().iterdir()] == [cache_file().name]  # no temp files


def test_the_default_address_is_the_xmpp_providers_api() -> None:
    assert PROVIDERS_URL == "https://data.xmpp.net/providers/v2/providers-B.json"


# --- a broken cache ----------------------------------------------------------------------------


async def test_a_half_written_cache_is_ignored_with_a_note(lists: ListServer) -> None:
    await refresh(lists)
    data = cache_file().read_bytes()
    cache_file().write_bytes(data[: len(data) // 2])
    listing = load_providers()
    assert listing.source == "bundled" and listing.providers == bundled()
    assert listing.note is not None
    assert "saved copy of the server list was damaged" in listing.note
    assert "came with this program" in listing.note

    failed = await refresh(lists, "/missing.json")
    assert failed.source == "bundled" and failed.note is not None
    assert "HTTP 404" in failed.note and "damaged" in failed.note

    repaired = await refresh(lists)
    assert repaired.source == "refreshed" and load_providers().source == "cache"


@pytest.mark.parametrize("stored", [
    {"format": 1, "fetched_at": "2026-07-01T00:00:00+00:00", "providers": {"jid": "x"}},
    {"format": 1, "fetched_at": "2026-07-01T00:00:00+00:00", "providers": ["yax.im"]},
    {"format": 1, "fetched_at": "2026-07-01T00:00:00", "providers": refreshed_list()},
    {"format": 1, "fetched_at": "last week", "providers": refreshed_list()},
    {"format": 2, "fetched_at": "2026-07-01T00:00:00+00:00", "providers": refreshed_list()},
    refreshed_list(),
])
def test_a_cache_in_the_wrong_shape_is_ignored(stored: Any) -> None:
    cache_file().write_text(json.dumps(stored))
    listing = load_providers()
    assert listing.source == "bundled"
    assert listing.note is not None and "damaged" in listing.note


def test_an_unreadable_cache_is_ignored(tmp_path: Path) -> None:
    cache_file().mkdir()  # a folder where the file should be: reading it fails
    listing = load_providers()
    assert listing.source == "bundled" and listing.note is not None


def test_a_good_cache_written_earlier_is_used() -> None:
    stored = {"format": 1, "fetched_at": "2026-07-01T08:00:00+00:00",
              "url": PROVIDERS_URL, "providers": refreshed_list()}
    cache_file().write_text(json.dumps(stored))
    os.chmod(cache_file(), 0o600)
    listing = load_providers()
    assert listing.source == "cache" and listing.note is None
    assert listing.fetched_at == datetime(2026, 7, 1, 8, tzinfo=UTC)


# --- filters, sorting, picking -----------------------------------------------------------------


def with_c_and_d() -> list[Provider]:
    return parse_providers(refreshed_list())


def test_categories_c_and_d_are_never_offered() -> None:
    providers = with_c_and_d()
    assert {"average.example", "autocomplete.example"} <= set(by_domain(providers))
    everything = ProviderFilter(categories={"A", "B", "C", "D"})
    for f in (ProviderFilter(), everything, ProviderFilter(in_band_only=True)):
        assert {p.category for p in apply_filter(providers, f)} <= {"A", "B"}
    assert apply_filter(providers, ProviderFilter(categories={"C", "D"})) == []
    assert len(apply_filter(providers)) == 29


def test_category_in_band_and_onion_filters() -> None:
    providers = bundled()
    only_a = apply_filter(providers, ProviderFilter(categories={"a"}))
    assert len(only_a) == 13 and {p.category for p in only_a} == {"A"}
    in_band = apply_filter(providers, ProviderFilter(in_band_only=True))
    assert in_band and all(p.in_band_registration for p in in_band)
    assert len(in_band) == len([p for p in providers if p.in_band_registration])
    onion = apply_filter(providers, ProviderFilter(onion_only=True))
    assert [p.domain for p in onion] == ["openim.nl"]


def test_avoided_countries_are_dropped_even_for_one_of_several_locations() -> None:
    providers = [*bundled(), Provider("nowhere.example", "A", True, False, False)]
    kept = apply_filter(providers, ProviderFilter(avoid_countries={"de", "US"}))
    assert kept
    assert not any({"DE", "US"} & set(p.countries) for p in kept)
    assert "movim.eu" not in by_domain(kept)  # DE and FR
    assert "nowhere.example" not in by_domain(kept)  # location unknown: might be there
    assert "nowhere.example" in by_domain(apply_filter(providers))


def test_preferred_countries_come_first_in_the_given_order() -> None:
    providers = sort_providers(bundled(), "domain")
    ordered = apply_filter(providers, ProviderFilter(prefer_countries={"fr"}))
    french = [p for p in ordered if "FR" in p.countries]
    assert ordered[: len(french)] == french
    assert [p.domain for p in french] == ["chalec.org", "jabber.fr", "movim.eu"]
    rest = ordered[len(french):]
    assert [p.domain for p in rest] == sorted(p.domain for p in rest)
    assert len(ordered) == len(providers)


def test_onion_addresses_first_keeps_every_server() -> None:
    providers = sort_providers(bundled(), "domain")
    ordered = apply_filter(providers, ProviderFilter(prefer_onion=True,
                                                     prefer_countries={"fr"}))
    assert len(ordered) == len(providers)
    assert ordered[0].domain == "openim.nl"  # the one with an onion address, before France
    assert [p.domain for p in ordered[1:4]] == ["chalec.org", "jabber.fr", "movim.eu"]
    assert apply_filter(providers, NEWCOMER_FILTER) == apply_filter(
        providers, ProviderFilter(in_band_only=True))


@pytest.mark.parametrize("key", SORT_KEYS)
@pytest.mark.parametrize("reverse", [False, True])
def test_sorting_by_each_key(key: str, reverse: bool) -> None:
    providers = [*bundled(), Provider("unknown.example", "B", False, False, False)]
    result = sort_providers(providers, key, reverse)
    assert sorted(p.domain for p in result) == sorted(p.domain for p in providers)
    values: Callable[[Provider], Any] = {
        "domain": lambda p: p.domain, "category": lambda p: p.category,
        "country": lambda p: p.countries[0] if p.countries else None,
        "since": lambda p: p.since or None,
        "compliance": lambda p: p.compliance if p.compliance >= 0 else None,
    }[key]
    known = [values(p) for p in result if values(p) is not None]
    assert known == sorted(known, reverse=reverse)
    if key not in ("domain", "category"):
        assert result[-1].domain == "unknown.example"  # unknowns last, either way


def test_sorting_ties_go_by_domain_and_bad_keys_are_refused() -> None:
    result = sort_providers(bundled(), "category")
    a_servers = [p.domain for p in result if p.category == "A"]
    assert a_servers == sorted(a_servers) and result[0].category == "A"
    assert sort_providers(bundled(), "since")[0].domain == "jabber.fr"  # since 2004
    with pytest.raises(ValueError):
        sort_providers(bundled(), "password")


def test_pick_for_me_is_random_among_a_servers_with_in_app_sign_up() -> None:
    providers = with_c_and_d()
    allowed = {p.domain for p in providers if p.category == "A" and p.in_band_registration}
    assert "average.example" not in allowed  # category C, though with in-app sign-up
    picks = {pick_for_me(providers, random.Random(seed)).domain for seed in range(300)}
    assert picks <= allowed
    assert len(picks) > 5
    assert pick_for_me(providers).domain in allowed  # the secure default source


def test_pick_for_me_is_deterministic_with_a_seeded_rng_whatever_the_input_order() -> None:
    providers = bundled()
    first = pick_for_me(providers, random.Random(42))
    assert pick_for_me(list(reversed(providers)), random.Random(42)) == first
    assert [pick_for_me(providers, random.Random(7)).domain for _ in range(3)] == \
        [pick_for_me(providers, random.Random(7)).domain] * 3


def test_pick_for_me_needs_a_candidate() -> None:
    only_b = [p for p in bundled() if p.category == "B"]
    with pytest.raises(ValueError):
        pick_for_me(only_b)
    with pytest.raises(ValueError):
        pick_for_me([])


def test_the_pick_reason_explains_in_plain_words() -> None:
    reason = pick_reason()
    assert "category A" in reason and "any other" in reason and "free" in reason


# --- organization ------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "label"), [
    ("private person", "run by a private person"),
    ("commercial person", "run by a self-employed person"),
    ("company", "run by a company"),
    ("non-governmental", "run by a non-profit organization"),
    ("governmental", "run by a public authority"),
    ("educational", "run by a school or university"),
    ("Company", "run by a company"),
    (" private person ", "run by a private person"),
])
def test_organization_types_are_described_in_plain_words(value: str, label: str) -> None:
    assert organization_label(value) == label


def test_an_unknown_organization_type_is_shown_as_it_is() -> None:
    assert organization_label("cooperative") == "cooperative"
    assert organization_label("Verein e.V.") == "Verein e.V."


def test_a_missing_organization_type_says_so() -> None:
    assert organization_label("") == "organization unknown"
    assert organization_label("   ") == "organization unknown"


def test_every_bundled_organization_type_has_a_description() -> None:
    values = {p.organization for p in bundled() if p.organization}
    assert values, "the bundled list should name organization types"
    for value in values:
        assert organization_label(value).startswith("run by "), value
