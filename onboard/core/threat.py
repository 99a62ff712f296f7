"""The threat-model step: a few plain questions, what the answers suggest for the later steps,
and an honest summary of what the setup protects and what it does not.

The answers only choose defaults (Tor, bridges, which servers to show first or leave out); the
user can change each of them on its own step. Nothing here promises safety: every summary lists
what stays visible or open to attack, whatever the answers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from onboard.core.countries import country_code, country_name
from onboard.core.errors import InvalidInputError
from onboard.core.providers import NEWCOMER_FILTER, ProviderFilter
from onboard.i18n import _

# Who might want to read the messages or map who the user talks to, in the order asked.
CONCERNS: tuple[str, ...] = ("provider", "network", "state", "phone")
# The answers to "is Tor blocked where you are?" as the CLI spells them.
TOR_BLOCKED: dict[str, bool | None] = {"yes": True, "no": False, "unknown": None}
# The concerns that Tor helps against: it hides the internet address from the server, and the
# server (and that it is XMPP) from the local network.
TOR_HELPS = frozenset({"provider", "network", "state"})
# The guides the advice points to (guides/<language>/<slug>.md).
GUIDES: tuple[str, ...] = ("verify", "tor", "safe-device")

QuestionKind = Literal["many", "one", "text"]


@dataclass(frozen=True)
class Option:
    id: str
    label: str


@dataclass(frozen=True)
class Question:
    """One question: `many` takes any number of its options, `one` exactly one (the first
    is the default unless `default` says otherwise), `text` a line of text (may be empty)."""

    id: str
    text: str
    kind: QuestionKind
    options: tuple[Option, ...] = ()
    default: str = ""
    hint: str = ""


def questions() -> tuple[Question, ...]:
    """The questions in the order asked, in the current language (built on each call, so
    that they follow a language switch)."""
    return (
        Question("concerns", _("Who might want to read your messages, or see who you talk "
                               "to? Tick any."), "many", (
            Option("provider", _("A curious provider: the people who run your chat server")),
            Option("network", _("The network at school, at work or at home (wifi, internet "
                                 "provider)")),
            Option("state", _("Police or a state")),
            Option("phone", _("A person who can get hold of your phone")),
        )),
        Question("hide_xmpp", _("Do you need to hide that you use this kind of chat at all?"),
                 "one", (Option("no", _("No")), Option("yes", _("Yes"))), default="no"),
        Question("tor_blocked", _("Is Tor blocked where you are?"), "one", (
            Option("no", _("No")), Option("yes", _("Yes")),
            Option("unknown", _("I don't know")),
        ), default="unknown"),
        Question("country", _("The country you are in (optional):"), "text",
                 hint=_("Only used to suggest servers elsewhere; not saved or sent anywhere.")),
    )


def concern_label(concern: str) -> str:
    """The words the question uses for `concern`."""
    options = {option.id: option.label for option in questions()[0].options}
    return options[concern]


def parse_country(text: str | None) -> str | None:
    """The country code for what the user typed (a code or a name); None when left empty.

    Raises InvalidInputError for anything else.
    """
    if text is None or not text.strip():
        return None
    code = country_code(text)
    if code is None:
        raise InvalidInputError(
            _("“{text}” is not a country this program knows: type two letters such as DE, "
              "or the country's name, or leave it empty.").format(text=text.strip()))
    return code


@dataclass(frozen=True)
class ThreatAnswers:
    """What the user answered. `tor_blocked` None: "I don't know". `country`: a two-letter
    code (see `parse_country`), used only to leave out servers there when "state" is a
    concern."""

    concerns: frozenset[str] = frozenset()
    hide_xmpp: bool = False
    tor_blocked: bool | None = None
    country: str | None = None

    def __post_init__(self) -> None:
        unknown = set(self.concerns).difference(CONCERNS)
        if unknown:
            raise ValueError(f"unknown concerns: {sorted(unknown)}")
        if self.country is not None and country_code(self.country) != self.country:
            raise ValueError(f"not a two-letter country code: {self.country!r}")

    def to_json(self) -> dict[str, Any]:
        return {
            "concerns": [c for c in CONCERNS if c in self.concerns],
            "hide_xmpp": self.hide_xmpp,
            "tor_blocked": self.tor_blocked,
            "country": self.country,
        }


@dataclass(frozen=True)
class Recommendation:
    """The defaults the answers suggest. `tor_mode` is a `WizardState.tor_mode` text ("off",
    or "launch": this program starts its own Tor, so nothing else has to be running)."""

    tor_mode: str = "off"
    bridges: bool = False
    prefer_onion: bool = False
    avoid_countries: frozenset[str] = frozenset()
    reasons: tuple[str, ...] = field(default=())

    @property
    def tor_on(self) -> bool:
        return self.tor_mode != "off"

    def to_json(self) -> dict[str, Any]:
        return {
            "tor_mode": self.tor_mode,
            "bridges": self.bridges,
            "prefer_onion": self.prefer_onion,
            "avoid_countries": sorted(self.avoid_countries),
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class ThreatSummary:
    """What the setup protects, what it does not (never empty), and what to do about it (each
    piece of advice names its guide)."""

    protects: list[str]
    does_not_protect: list[str]
    advice: list[str]


def _countries(codes: frozenset[str]) -> str:
    return ", ".join(country_name(code) for code in sorted(codes))


def recommend(answers: ThreatAnswers) -> Recommendation:
    """The defaults for the later steps, with the reason for each in plain words."""
    concerns = answers.concerns
    tor = bool(concerns & TOR_HELPS) or answers.hide_xmpp
    reasons: list[str] = []
    if tor:
        why: list[str] = []
        if "network" in concerns or answers.hide_xmpp:
            why.append(_("your network sees only that you use Tor, not that you use XMPP or "
                         "which server"))
        if concerns & {"provider", "state"}:
            why.append(_("your server does not see your internet address, and with it "
                         "roughly where you are"))
        reasons.append(_("Tor for everything: {why}.").format(why="; ".join(why)))
    else:
        reasons.append(_("Directly, without Tor: none of your answers needs it. You can still "
                         "choose Tor on the connection step."))
    bridges = tor and answers.tor_blocked is True
    if bridges:
        reasons.append(_("Bridges, because Tor is blocked where you are: they are hidden "
                         "ways into Tor. Get bridge lines from https://bridges.torproject.org "
                         "or from a friend."))
    prefer_onion = "state" in concerns
    if prefer_onion:
        reasons.append(_("Servers with an onion address first: over Tor, the connection to "
                         "them never leaves Tor. Few servers have one."))
    avoid = frozenset({answers.country}) if prefer_onion and answers.country else frozenset()
    if avoid:
        reasons.append(_("No servers in {countries} (nor servers whose location is unknown): "
                         "the state there cannot simply order their operators to hand over "
                         "data.").format(countries=_countries(avoid)))
    elif prefer_onion:
        reasons.append(_("Give the country you are in to leave out servers there."))
    if "phone" in concerns:
        reasons.append(_("Against someone who holds your phone, no connection setting helps: "
                         "the phone itself needs protecting (see the advice)."))
    return Recommendation(tor_mode="launch" if tor else "off", bridges=bridges,
                          prefer_onion=prefer_onion, avoid_countries=avoid,
                          reasons=tuple(reasons))


def summary(answers: ThreatAnswers) -> ThreatSummary:
    """What this setup protects and what it does not, for these answers. The limits are
    always there: no answer makes them go away."""
    rec = recommend(answers)
    concerns = answers.concerns
    protects = [
        _("What you write: with OMEMO on and fingerprints compared, neither the servers nor "
          "the networks in between can read your messages and files."),
        _("The connection to your server is encrypted, its certificate checked."),
    ]
    if rec.tor_on:
        protects.append(_("Where you are: Tor hides your internet address from the servers, "
                          "if your chat app uses Tor too."))
        if rec.bridges:
            protects.append(_("That you use XMPP: your network sees only Tor, and with "
                              "bridges even Tor is harder to spot and block."))
        else:
            protects.append(_("That you use XMPP: your network sees only Tor, not which "
                              "server."))
    if rec.prefer_onion:
        protects.append(_("An onion address keeps the connection inside Tor all the way."))
    if rec.avoid_countries:
        protects.append(_("The servers suggested are outside {countries}.").format(
            countries=_countries(rec.avoid_countries)))

    does_not = [
        _("Who you talk to, when and how often: the servers see it, with or without Tor. "
          "OMEMO hides only what you write."),
        _("Your contact list: it is stored on your server, and whoever runs the server can "
          "read it."),
        _("A phone or computer that is unlocked, taken from you, or has spyware on it: "
          "whoever controls it can read your chats there."),
        _("The people you write to: they can show, forward or screenshot your messages."),
        _("Public group chats, and anyone whose app does not use OMEMO: those messages are "
          "not end-to-end encrypted."),
    ]
    if rec.tor_on:
        does_not.append(_("Tor in this program covers only setting up the account. Your chat "
                          "app must use Tor too, every time: one login without it shows your "
                          "internet address to the server."))
        if answers.hide_xmpp and not rec.bridges:
            does_not.append(_("That you use Tor: your network can see it, unless you use "
                              "bridges."))
    else:
        does_not.append(_("Without Tor, your server sees your internet address, and your "
                          "network sees that you use XMPP and which server."))
    if "state" in concerns:
        does_not.append(_("A state can order a server's operator to hand over what the server "
                          "stores, take your phone, or put spyware on it. This setup makes "
                          "some of that harder; it cannot prevent it."))

    advice = [
        _("Compare fingerprints with each person you write to, face to face or on a call "
          "(guide: verify)."),
    ]
    if rec.tor_on:
        advice.append(_("Set up Tor in your chat app before its first login: Orbot with "
                        "Conversations, Tor with Gajim (guide: tor)."))
        if answers.tor_blocked is None:
            advice.append(_("If Tor does not connect, go back to the connection step and "
                            "choose bridges (guide: tor)."))
    if "phone" in concerns:
        advice.append(_("Lock your phone with a PIN of 6 digits or more, or a password (not "
                        "a pattern); keep it encrypted and updated; hide message previews on "
                        "the lock screen; let Conversations delete old messages, which it "
                        "does on your phone only (guide: safe-device)."))
    else:
        advice.append(_("Keep your phone and computer locked, encrypted and up to date "
                        "(guide: safe-device)."))
    if "state" in concerns:
        advice.append(_("Keep little on your phone, and switch it off before a demonstration "
                        "or a border (guide: safe-device)."))
    if "provider" in concerns:
        advice.append(_("Choose a server run by people you trust: any server can talk to any "
                        "other, so you can still reach everyone."))
    return ThreatSummary(protects=protects, does_not_protect=does_not, advice=advice)


@dataclass(frozen=True)
class StepDefaults:
    """What the later steps start with: the connection step's choice (`tor_mode` as in
    `WizardState.tor_mode`, and whether "start Tor with bridges" is preselected) and the
    server step's filters."""

    tor_mode: str = "off"
    tor_bridges: bool = False
    server_filter: ProviderFilter = NEWCOMER_FILTER


def step_defaults(rec: Recommendation, before: StepDefaults) -> StepDefaults:
    """The defaults `rec` suggests, on top of those `before` the answers (the start values,
    or what was chosen on the command line): a Tor chosen there is kept unless bridges are
    needed, and the server filters only gain the recommended preferences."""
    tor_mode, tor_bridges = before.tor_mode, before.tor_bridges
    if rec.bridges:
        tor_mode, tor_bridges = "launch", True
    elif rec.tor_on and tor_mode == "off":
        tor_mode = rec.tor_mode
    server_filter = dataclasses.replace(
        before.server_filter,
        prefer_onion=before.server_filter.prefer_onion or rec.prefer_onion,
        avoid_countries=frozenset(before.server_filter.avoid_countries) | rec.avoid_countries,
    )
    return StepDefaults(tor_mode, tor_bridges, server_filter)
