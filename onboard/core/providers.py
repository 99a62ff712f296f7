"""Public XMPP servers from the XMPP Providers project (bundled snapshot, CC0)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from onboard.core.text import one_line


@dataclass(frozen=True)
class Provider:
    domain: str
    category: str
    in_band_registration: bool
    captcha: bool
    email_required: bool
    countries: tuple[str, ...] = ()
    since: str = ""
    organization: str = ""
    free_of_charge: bool = False
    compliance: int = -1
    website: str = ""
    registration_web_page: str = ""
    onion: tuple[str, ...] = field(default=())


def _localized(value: Any, language: str = "en") -> str:
    if not isinstance(value, dict) or not value:
        return ""
    chosen = value.get(language) or value.get("en") or next(iter(value.values()))
    return one_line(chosen if isinstance(chosen, str) else "", 500)


def parse_providers(raw: Any) -> list[Provider]:
    """Providers from API v2 JSON; entries that are not well formed are skipped."""
    if not isinstance(raw, list):
        raise ValueError("a providers list must be a JSON array")
    providers: list[Provider] = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("jid"), str):
            continue
        alternatives = entry.get("alternativeJids") or []
        locations = entry.get("serverLocations") or []
        compliance = entry.get("ratingXmppComplianceTester", -1)
        providers.append(Provider(
            domain=one_line(entry["jid"], 253).lower(),
            category=one_line(str(entry.get("category", "D")), 1).upper() or "D",
            in_band_registration=entry.get("inBandRegistration") is True,
            captcha=entry.get("inBandRegistrationCaptchaRequired") is True,
            email_required=entry.get("inBandRegistrationEmailAddressRequired") is True,
            countries=tuple(one_line(str(c), 8).upper() for c in locations
                            if isinstance(c, str)),
            since=one_line(str(entry.get("since", "")), 20),
            organization=one_line(str(entry.get("organization", "")), 60),
            free_of_charge=entry.get("freeOfCharge") is True,
            compliance=compliance if isinstance(compliance, int) else -1,
            website=_localized(entry.get("website")),
            registration_web_page=_localized(entry.get("registrationWebPage")),
            onion=tuple(one_line(j, 253) for j in alternatives
                        if isinstance(j, str) and j.endswith(".onion")),
        ))
    return providers


def bundled() -> list[Provider]:
    text = resources.files("onboard.data").joinpath("providers-B.json").read_text("utf-8")
    return parse_providers(json.loads(text))


def quick_list(providers: list[Provider] | None = None) -> list[Provider]:
    """Category A servers that take in-app registration: safe defaults for a newcomer."""
    chosen = [p for p in (providers if providers is not None else bundled())
              if p.category == "A" and p.in_band_registration]
    return sorted(chosen, key=lambda p: (-p.compliance, p.domain))
