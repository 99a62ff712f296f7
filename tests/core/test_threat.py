"""The threat-model step's core: the questions, what each answer changes, and a summary that
always lists the limits and never promises safety, for every combination of answers."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

import pytest

from onboard.core.errors import InvalidInputError
from onboard.core.guides import list_guides
from onboard.core.providers import NEWCOMER_FILTER, ProviderFilter
from onboard.core.threat import (
    CONCERNS,
    GUIDES,
    TOR_BLOCKED,
    Recommendation,
    StepDefaults,
    ThreatAnswers,
    parse_country,
    questions,
    recommend,
    step_defaults,
    summary,
)

NOTHING = ThreatAnswers()
# Wording that would promise more than any setup can give.
PROMISES = re.compile(
    r"\b(you are|you're)( now)? (safe|secure|protected|anonymous)\b"
    r"|\b(fully|completely|totally|perfectly|100 ?%) (safe|secure|protected|private|anonymous)"
    r"|\bguarantee|\bunbreakable|\bnothing can\b|\bno one can\b|\bnobody can\b",
    re.IGNORECASE)


def every_answer() -> Iterator[ThreatAnswers]:
    """All 192 combinations: any set of concerns, hiding XMPP or not, Tor blocked yes, no or
    unknown, with and without a country."""
    for size in range(len(CONCERNS) + 1):
        for concerns in itertools.combinations(CONCERNS, size):
            for hide, blocked, country in itertools.product(
                    (False, True), TOR_BLOCKED.values(), (None, "DE")):
                yield ThreatAnswers(frozenset(concerns), hide, blocked, country)


def short(answers: ThreatAnswers) -> str:
    concerns = "+".join(c for c in CONCERNS if c in answers.concerns) or "none"
    blocked = {True: "yes", False: "no", None: "unknown"}[answers.tor_blocked]
    return (f"{concerns}-hide={answers.hide_xmpp}-blocked={blocked}"
            f"-country={answers.country or ''}")


def all_texts(answers: ThreatAnswers) -> list[str]:
    found = summary(answers)
    return [*recommend(answers).reasons, *found.protects, *found.does_not_protect,
            *found.advice]


# --- the questions -----------------------------------------------------------------------------


def test_the_questions_cover_every_answer() -> None:
    asked = {q.id: q for q in questions()}
    assert list(asked) == ["concerns", "hide_xmpp", "tor_blocked", "country"]
    assert tuple(o.id for o in asked["concerns"].options) == CONCERNS
    assert asked["concerns"].kind == "many"
    assert {o.id for o in asked["tor_blocked"].options} == set(TOR_BLOCKED)
    assert asked["tor_blocked"].default == "unknown"
    assert asked["hide_xmpp"].default == "no"
    assert asked["country"].kind == "text"
    labels = " ".join(o.label for o in asked["concerns"].options)
    for words in ("provider", "school", "work", "Police or a state", "phone"):
        assert words in labels


def test_answers_reject_what_is_not_a_choice() -> None:
    with pytest.raises(ValueError):
        ThreatAnswers(concerns=frozenset({"aliens"}))
    with pytest.raises(ValueError):
        ThreatAnswers(country="de")  # codes are normalized by parse_country first
    with pytest.raises(ValueError):
        ThreatAnswers(country="QQ")


def test_a_country_is_a_code_or_a_name() -> None:
    assert parse_country(None) is None
    assert parse_country("  ") is None
    assert parse_country("de") == "DE"
    assert parse_country(" Germany ") == "DE"
    assert parse_country("deutschland") == "DE"
    assert parse_country("Schweiz") == "CH"
    for wrong in ("QQ", "Narnia", "D", "DEU"):
        with pytest.raises(InvalidInputError) as caught:
            parse_country(wrong)
        assert wrong in caught.value.message
        assert caught.value.exit_code == 2


# --- what each answer changes ------------------------------------------------------------------


def test_nothing_special_keeps_the_defaults() -> None:
    rec = recommend(NOTHING)
    assert (rec.tor_mode, rec.bridges, rec.prefer_onion, rec.avoid_countries) == (
        "off", False, False, frozenset())
    assert rec.reasons  # even "no Tor" is explained
    assert step_defaults(rec, StepDefaults()) == StepDefaults()


@pytest.mark.parametrize("concern", ["provider", "network", "state"])
def test_provider_network_and_state_turn_tor_on(concern: str) -> None:
    rec = recommend(ThreatAnswers(concerns=frozenset({concern})))
    assert rec.tor_mode == "launch" and rec.tor_on
    assert not rec.bridges  # Tor is not known to be blocked


def test_a_curious_provider_is_kept_from_where_you_are() -> None:
    rec = recommend(ThreatAnswers(concerns=frozenset({"provider"})))
    assert not rec.prefer_onion and not rec.avoid_countries
    assert any("internet address" in reason for reason in rec.reasons)


def test_the_network_sees_only_tor() -> None:
    rec = recommend(ThreatAnswers(concerns=frozenset({"network"})))
    assert any("not that you use XMPP" in reason for reason in rec.reasons)
    assert not rec.prefer_onion


def test_a_state_prefers_onions_and_avoids_its_own_country() -> None:
    without_country = recommend(ThreatAnswers(concerns=frozenset({"state"})))
    assert without_country.prefer_onion and without_country.avoid_countries == frozenset()
    assert any("country" in reason for reason in without_country.reasons)
    rec = recommend(ThreatAnswers(concerns=frozenset({"state"}), country="DE"))
    assert rec.tor_on and rec.prefer_onion
    assert rec.avoid_countries == frozenset({"DE"})
    assert any("Germany" in reason for reason in rec.reasons)


def test_a_country_alone_changes_nothing() -> None:
    """The country is used only to avoid servers there when a state is a concern."""
    for concerns in ({"provider"}, {"network"}, {"phone"}, set()):
        rec = recommend(ThreatAnswers(concerns=frozenset(concerns), country="DE"))
        assert rec.avoid_countries == frozenset()


def test_a_phone_in_other_hands_is_not_a_connection_problem() -> None:
    rec = recommend(ThreatAnswers(concerns=frozenset({"phone"})))
    assert rec.tor_mode == "off" and not rec.prefer_onion
    assert any("phone" in reason for reason in rec.reasons)
    advice = " ".join(summary(ThreatAnswers(concerns=frozenset({"phone"}))).advice)
    for words in ("PIN", "encrypted", "lock screen", "delete old messages", "safe-device"):
        assert words in advice


def test_hiding_xmpp_turns_tor_on() -> None:
    rec = recommend(ThreatAnswers(hide_xmpp=True))
    assert rec.tor_on and not rec.bridges
    found = summary(ThreatAnswers(hide_xmpp=True))
    assert any("That you use Tor" in line for line in found.does_not_protect)


def test_bridges_only_when_tor_is_wanted_and_blocked() -> None:
    blocked = ThreatAnswers(concerns=frozenset({"state"}), tor_blocked=True)
    assert recommend(blocked).bridges
    assert not recommend(ThreatAnswers(concerns=frozenset({"state"}), tor_blocked=False)).bridges
    unknown = ThreatAnswers(concerns=frozenset({"state"}))
    assert not recommend(unknown).bridges
    assert any("bridges" in line for line in summary(unknown).advice)
    # Blocked, but nothing calls for Tor: no Tor, so no bridges.
    assert recommend(ThreatAnswers(tor_blocked=True)) == recommend(NOTHING)


def test_the_defaults_for_the_later_steps() -> None:
    rec = recommend(ThreatAnswers(concerns=frozenset({"state"}), tor_blocked=True,
                                  country="DE"))
    defaults = step_defaults(rec, StepDefaults())
    assert defaults.tor_mode == "launch" and defaults.tor_bridges
    assert defaults.server_filter == ProviderFilter(in_band_only=True, prefer_onion=True,
                                                    avoid_countries=frozenset({"DE"}))


def test_a_tor_chosen_before_is_kept_unless_bridges_are_needed() -> None:
    """E.g. `xmpp-onboard --tor system`: the running Tor stays the choice."""
    before = StepDefaults(tor_mode="system", server_filter=NEWCOMER_FILTER)
    network = recommend(ThreatAnswers(concerns=frozenset({"network"})))
    assert step_defaults(network, before).tor_mode == "system"
    assert step_defaults(recommend(NOTHING), before).tor_mode == "system"
    blocked = recommend(ThreatAnswers(concerns=frozenset({"network"}), tor_blocked=True))
    assert (step_defaults(blocked, before).tor_mode,
            step_defaults(blocked, before).tor_bridges) == ("launch", True)


def test_filters_chosen_before_only_gain() -> None:
    before = StepDefaults(server_filter=ProviderFilter(avoid_countries=frozenset({"US"}),
                                                       onion_only=True))
    rec = recommend(ThreatAnswers(concerns=frozenset({"state"}), country="DE"))
    after = step_defaults(rec, before).server_filter
    assert after.avoid_countries == frozenset({"US", "DE"})
    assert after.onion_only and after.prefer_onion and not after.in_band_only


def test_json_shapes() -> None:
    rec = recommend(ThreatAnswers(concerns=frozenset({"state", "network"}), country="DE"))
    data = rec.to_json()
    assert set(data) == {"tor_mode", "bridges", "prefer_onion", "avoid_countries", "reasons"}
    assert data["avoid_countries"] == ["DE"] and isinstance(data["reasons"], list)
    answers = ThreatAnswers(concerns=frozenset({"state", "network"}), tor_blocked=None)
    assert answers.to_json() == {"concerns": ["network", "state"], "hide_xmpp": False,
                                 "tor_blocked": None, "country": None}
    assert Recommendation().to_json()["tor_mode"] == "off"


# --- the summary, for every combination --------------------------------------------------------


@pytest.mark.parametrize("answers", list(every_answer()), ids=short)
def test_every_summary_lists_the_limits_and_promises_nothing(answers: ThreatAnswers) -> None:
    found = summary(answers)
    rec = recommend(answers)
    limits = " ".join(found.does_not_protect)
    assert found.protects and found.advice
    # The same limits whatever the answers: metadata, the contact list, the device, the
    # other person.
    for words in ("Who you talk to", "contact list", "unlocked", "spyware",
                  "The people you write to"):
        assert words in limits, (words, answers)
    assert "fingerprints" in found.protects[0] and "OMEMO" in found.protects[0]
    if rec.tor_on:
        assert "Your chat app must use Tor too" in limits
    else:
        assert "Without Tor, your server sees your internet address" in limits
    for text in all_texts(answers):
        assert not PROMISES.search(text), text
        assert "safe" not in text.lower().replace("safe-device", ""), text


@pytest.mark.parametrize("answers", list(every_answer()), ids=short)
def test_every_advice_names_a_guide_that_exists(answers: ThreatAnswers) -> None:
    shipped = {guide.slug for guide in list_guides("en")}
    assert set(GUIDES) <= shipped
    named = set()
    for line in summary(answers).advice:
        named.update(re.findall(r"\(guide: ([a-z0-9-]+)\)", line))
    assert named and named <= shipped
    assert "verify" in named and "safe-device" in named


def test_the_promise_check_would_catch_a_promise() -> None:
    for text in ("You are now safe.", "Your chats are fully secure", "This guarantees it",
                 "you're protected"):
        assert PROMISES.search(text)
