"""Public XMPP servers from the XMPP Providers project (bundled snapshot, CC0), refresh, filters.

The list comes from three places, best first: a fresh download (`refresh_providers`), the copy
the last successful download left in the cache folder, and the snapshot bundled with onboard.
Whatever fails, a list is always returned, with a plain `note` saying what happened.

Categories C and D are never offered: the list maintainers ask clients not to show them to
newcomers, so `apply_filter` drops them whatever the filter says.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from onboard.core.errors import onboard_error_in
from onboard.core.text import inert, one_line
from onboard.core.validation import domain_problem
from onboard.core.xmpp.forms import safe_web_url
from onboard.i18n import _, current_language

if TYPE_CHECKING:
    import random

    from onboard.core.network import Network

PROVIDERS_URL = "https://data.xmpp.net/providers/v2/providers-B.json"
MAX_LIST_BYTES = 5 * 1024 * 1024
CACHE_FILE = "providers-B.json"
CACHE_FORMAT = 1
OFFERED_CATEGORIES = frozenset({"A", "B"})
SORT_KEYS = ("domain", "category", "country", "since", "compliance")

Source = Literal["refreshed", "cache", "bundled"]

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_COUNTRY = re.compile(r"^[A-Za-z]{2}\Z")
_CATEGORIES = frozenset({"A", "B", "C", "D"})


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
    legal_notice: str = ""
    password_reset: str = ""
    professional_hosting: bool = False
    latest_change: str = ""


@dataclass(frozen=True)
class ProviderList:
    """A server list and where it came from, for the UI and the CLI to show."""

    providers: list[Provider]
    source: Source
    fetched_at: datetime | None = None
    note: str | None = None


# --- parsing -----------------------------------------------------------------------------------


def _languages(language: str | None) -> list[str]:
    first = language or current_language()
    return [first, "en"] if first != "en" else ["en"]


def _localized_url(value: Any, language: str | None = None) -> str:
    """A localized https link, in the same language order; other schemes are never kept."""
    if not isinstance(value, dict):
        return ""
    # Only links that are already inert: no control, format or bidi characters to hide in.
    urls = {k: safe_web_url(v) for k, v in value.items()
            if isinstance(v, str) and one_line(v, 2000) == v.strip()}
    safe = {k: v for k, v in urls.items() if v}
    for code in _languages(language):
        if code in safe:
            return safe[code]
    return next(iter(safe.values())) if safe else ""


def _domain(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    domain = one_line(value, 253).lower().rstrip(".")
    return domain if domain and domain_problem(domain) is None else None


def _date(value: Any) -> str:
    return value if isinstance(value, str) and _DATE.match(value) else ""


def _rating(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        return -1
    return value


def _parse_entry(entry: Any, language: str | None) -> Provider | None:
    if not isinstance(entry, dict):
        return None
    domain = _domain(entry.get("jid"))
    category = entry.get("category")
    if domain is None or not isinstance(category, str) or category.upper() not in _CATEGORIES:
        return None
    alternatives = entry.get("alternativeJids")
    locations = entry.get("serverLocations")
    onions = [_domain(j) for j in alternatives] if isinstance(alternatives, list) else []
    countries = [c.upper() for c in locations
                 if isinstance(c, str) and _COUNTRY.match(c)] if isinstance(locations, list) else []
    organization = entry.get("organization")
    return Provider(
        domain=domain,
        category=category.upper(),
        in_band_registration=entry.get("inBandRegistration") is True,
        captcha=entry.get("inBandRegistrationCaptchaRequired") is True,
        email_required=entry.get("inBandRegistrationEmailAddressRequired") is True,
        countries=tuple(dict.fromkeys(countries)),
        since=_date(entry.get("since")),
        organization=one_line(organization, 60) if isinstance(organization, str) else "",
        free_of_charge=entry.get("freeOfCharge") is True,
        compliance=_rating(entry.get("ratingXmppComplianceTester")),
        website=_localized_url(entry.get("website"), language),
        registration_web_page=_localized_url(entry.get("registrationWebPage"), language),
        onion=tuple(o for o in onions if o and o.endswith(".onion")),
        legal_notice=_localized_url(entry.get("legalNotice"), language),
        password_reset=_localized_url(entry.get("passwordReset"), language),
        professional_hosting=entry.get("professionalHosting") is True,
        latest_change=_date(entry.get("latestChange")),
    )


def parse_providers(raw: Any, language: str | None = None) -> list[Provider]:
    """Providers from API v2 JSON; entries that are not well formed are skipped.

    Raises ValueError (only) when `raw` is not a list. Localized fields take `language`
    (default: the user's), else English, else any language.
    """
    if not isinstance(raw, list):
        raise ValueError("a providers list must be a JSON array")
    providers: list[Provider] = []
    seen: set[str] = set()
    for entry in raw:
        provider = _parse_entry(entry, language)
        if provider is not None and provider.domain not in seen:
            seen.add(provider.domain)
            providers.append(provider)
    return providers


def _validated(raw: Any) -> list[Provider]:
    """A downloaded or cached list, or ValueError when it is not a usable providers list."""
    providers = parse_providers(raw)
    if not any(p.category in OFFERED_CATEGORIES for p in providers):
        raise ValueError("no well-formed category A or B entry")
    return providers


def _bundled_raw() -> Any:
    text = resources.files("onboard.data").joinpath("providers-B.json").read_text("utf-8")
    return json.loads(text)


def bundled() -> list[Provider]:
    return parse_providers(_bundled_raw())


def bundled_date(providers: Sequence[Provider] | None = None) -> str:
    """The snapshot's date: the newest change it records (YYYY-MM-DD)."""
    dates = [p.latest_change for p in (providers if providers is not None else bundled())]
    return max((d for d in dates if d), default="")


def quick_list(providers: list[Provider] | None = None) -> list[Provider]:
    """Category A servers that take in-app registration: safe defaults for a newcomer."""
    chosen = [p for p in (providers if providers is not None else bundled())
              if p.category == "A" and p.in_band_registration]
    return sorted(chosen, key=lambda p: (-p.compliance, p.domain))


# --- cache, bundled fallback ------------------------------------------------------------------


def cache_file() -> Path:
    from onboard.core.paths import cache_dir

    return cache_dir() / CACHE_FILE


def _write_cache(raw: Any, fetched_at: datetime, url: str) -> None:
    from onboard.core.storage import write_private

    data = {"format": CACHE_FORMAT, "fetched_at": fetched_at.isoformat(), "url": url,
            "providers": raw}
    write_private(cache_file(), json.dumps(data, ensure_ascii=False).encode("utf-8"))


def _read_cache() -> tuple[list[Provider], datetime] | None:
    """The cached list and its fetch date; None when there is none; ValueError when broken."""
    path = cache_file()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ValueError(f"unreadable: {exc}") from None
    try:
        stored = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(stored, dict) or stored.get("format") != CACHE_FORMAT:
        raise ValueError("unknown format")
    stamp = stored.get("fetched_at")
    try:
        fetched_at = datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
    except ValueError:
        fetched_at = None
    if fetched_at is None or fetched_at.tzinfo is None:
        raise ValueError("no valid fetch date")
    return _validated(stored.get("providers")), fetched_at


def _day(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d")


def _fallback(problem: str | None = None) -> ProviderList:
    """The cached list, else the bundled one, with a note when something went wrong."""
    notes = [problem] if problem else []
    try:
        cached = _read_cache()
    except ValueError:
        cached = None
        notes.append(_("The saved copy of the server list was damaged and was ignored."))
    if cached is not None:
        providers, fetched_at = cached
        if notes:
            notes.append(_("The list shown was downloaded on {date}.").format(
                date=_day(fetched_at)))
        return ProviderList(providers, "cache", fetched_at, " ".join(notes) or None)
    providers = bundled()
    if notes:
        notes.append(_("The list shown is the one that came with this program (from "
                       "{date}).").format(date=bundled_date(providers) or "?"))
    return ProviderList(providers, "bundled", None, " ".join(notes) or None)


def load_providers() -> ProviderList:
    """The last downloaded list if there is a valid one, else the bundled snapshot.

    Never raises for a broken cache: it is ignored, and the note says so.
    """
    return _fallback()


# --- refresh -----------------------------------------------------------------------------------


class _FetchError(Exception):
    """Why a download failed, as a translated phrase for the note."""


def _is_tls_failure(exc: BaseException) -> bool:
    import ssl

    seen: BaseException | None = exc
    for _depth in range(10):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _unreachable(network: Network) -> str:
    if network.name == "tor":
        # The connection was made through Tor and then lost: most often Tor itself stopped.
        return _("the connection to the list server through Tor ended (is Tor still "
                 "running?)")
    return _("the list server could not be reached")


async def _download(network: Network, url: str, timeout: float,
                    ca_file: Path | None) -> bytes:
    import asyncio
    import ssl

    import httpx  # imported late to keep start-up fast

    too_big = _("the list was larger than {size} MB, so it was not read").format(
        size=MAX_LIST_BYTES // (1024 * 1024))
    try:
        async with asyncio.timeout(timeout), network.http_client(timeout, ca_file) as client, \
                client.stream("GET", url, headers={"Accept": "application/json"}) as response:
            if response.status_code != 200:
                raise _FetchError(_("the list server answered with an error (HTTP {status})")
                                  .format(status=response.status_code))
            length = response.headers.get("content-length", "")
            if length.isdigit() and int(length) > MAX_LIST_BYTES:
                raise _FetchError(too_big)
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_LIST_BYTES:
                    raise _FetchError(too_big)
            return bytes(body)
    except (TimeoutError, httpx.TimeoutException):
        raise _FetchError(_("the list server did not answer in time ({seconds:.0f} s)").format(
            seconds=timeout)) from None
    except httpx.HTTPError as exc:
        cause = onboard_error_in(exc)
        if cause is not None:  # e.g. Tor could not reach the list server
            raise _FetchError(cause.message.rstrip(".")) from None
        if _is_tls_failure(exc):
            raise _FetchError(_("a secure connection to the list server could not be set up"
                                )) from None
        raise _FetchError(_unreachable(network)) from None
    except ssl.SSLError:
        raise _FetchError(_("a secure connection to the list server could not be set up")
                          ) from None
    except OSError:
        raise _FetchError(_unreachable(network)) from None
    except _FetchError:
        raise
    except Exception as exc:  # an optional download never takes the program down
        raise _FetchError(_("the download failed ({kind})").format(kind=type(exc).__name__)
                          ) from None


async def refresh_providers(network: Network, *, url: str = PROVIDERS_URL,
                            timeout: float = 20, ca_file: Path | None = None) -> ProviderList:
    """Download the list through `network` and keep a copy; on any failure fall back.

    https only, at most MAX_LIST_BYTES, `timeout` seconds in all, and the JSON must be a
    providers list. Never raises for network or data problems: the fallback list (cache, else
    bundled) comes back with a `note` saying what failed.
    """
    def failed(reason: str) -> ProviderList:
        return _fallback(_("The server list could not be refreshed: {reason}.").format(
            reason=reason))

    if safe_web_url(url) is None:
        return failed(_("only https addresses are used to download it"))
    try:
        body = await _download(network, url, timeout, ca_file)
    except _FetchError as error:
        return failed(str(error))
    try:
        raw = json.loads(body)
    except (ValueError, RecursionError):
        return failed(_("what arrived was not valid JSON"))
    try:
        providers = _validated(raw)
    except ValueError:
        return failed(_("what arrived was not a list of servers in the expected format"))
    fetched_at = datetime.now(UTC)
    note = None
    try:
        _write_cache(raw, fetched_at, url)
    except OSError as exc:
        note = _("The new server list is shown, but it could not be saved for next time: "
                 "{error}").format(error=exc.strerror or exc)
    return ProviderList(providers, "refreshed", fetched_at, note)


# --- choosing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderFilter:
    """What the user asked for. Categories other than A and B are never offered anyway.

    `avoid_countries` drops every server with a location in one of them, and servers whose
    location is unknown (they might be there). `prefer_countries` sorts servers located in
    them first; `prefer_onion` sorts servers with an onion address first (before that).
    """

    in_band_only: bool = False
    avoid_countries: AbstractSet[str] = frozenset()
    prefer_countries: AbstractSet[str] = frozenset()
    onion_only: bool = False
    categories: AbstractSet[str] = OFFERED_CATEGORIES
    prefer_onion: bool = False


# What the server step starts with: servers where the app can create the account.
NEWCOMER_FILTER = ProviderFilter(in_band_only=True)


def _upper(codes: Iterable[str]) -> set[str]:
    return {c.strip().upper() for c in codes}


def apply_filter(providers: Iterable[Provider],
                 f: ProviderFilter | None = None) -> list[Provider]:
    """The providers `f` allows, preferred countries first, otherwise in the given order."""
    f = f or ProviderFilter()
    categories = _upper(f.categories) & OFFERED_CATEGORIES
    avoid, prefer = _upper(f.avoid_countries), _upper(f.prefer_countries)
    kept = [
        p for p in providers
        if p.category in categories
        and (p.in_band_registration or not f.in_band_only)
        and (p.onion or not f.onion_only)
        and not (avoid and (not p.countries or avoid.intersection(p.countries)))
    ]
    if prefer:
        kept.sort(key=lambda p: not prefer.intersection(p.countries))
    if f.prefer_onion:
        kept.sort(key=lambda p: not p.onion)
    return kept


def sort_providers(providers: Iterable[Provider], key: str = "domain",
                   reverse: bool = False) -> list[Provider]:
    """Sorted by one of SORT_KEYS; ties by domain; unknown values (no date, -1) always last."""
    if key not in SORT_KEYS:
        raise ValueError(f"unknown sort key {key!r}; use one of {', '.join(SORT_KEYS)}")
    values: dict[str, Any] = {
        "domain": lambda p: p.domain,
        "category": lambda p: p.category,
        "country": lambda p: p.countries[0] if p.countries else None,
        "since": lambda p: p.since or None,
        "compliance": lambda p: p.compliance if p.compliance >= 0 else None,
    }
    value = values[key]
    by_domain = sorted(providers, key=lambda p: p.domain)
    known = [p for p in by_domain if value(p) is not None]
    unknown = [p for p in by_domain if value(p) is None]
    return sorted(known, key=value, reverse=reverse) + unknown


def pick_for_me(providers: Iterable[Provider], rng: random.Random | None = None) -> Provider:
    """A random category A server with in-app sign-up (ValueError when there is none).

    Uses the system's secure random source unless a `rng` is given (tests pass a seeded one).
    """
    candidates = sorted((p for p in providers if p.category == "A" and p.in_band_registration),
                        key=lambda p: p.domain)
    if not candidates:
        raise ValueError("no category A server with in-app sign-up to pick from")
    if rng is None:
        import random

        rng = random.SystemRandom()
    return rng.choice(candidates)


def _organization_words(value: str) -> tuple[str, str] | None:
    """(plain words, a word or two for a table cell) for a known `organization` value."""
    # Built on each call, so that the strings follow a language switch; each one is written
    # out in `_()` so that the gettext extraction finds it.
    words = {
        "private person": (_("run by a private person"), _("a person")),
        "commercial person": (_("run by a self-employed person"), _("self-employed")),
        "company": (_("run by a company"), _("company")),
        "non-governmental": (_("run by a non-profit organization"), _("non-profit")),
        "governmental": (_("run by a public authority"), _("authority")),
        "educational": (_("run by a school or university"), _("education")),
    }
    return words.get(value.strip().lower())


def organization_label(value: str) -> str:
    """Who runs the server, in plain words, for an XMPP Providers `organization` value.

    Unknown values come back unchanged (parsing has already made them one safe line).
    """
    if not value.strip():
        return _("organization unknown")
    words = _organization_words(value)
    return words[0] if words else value


def organization_short(value: str) -> str:
    """Who runs the server in a word or two, for a table cell ("?" when not known); an
    unknown value as it is, cut to 16 characters."""
    if not value.strip():
        return "?"
    words = _organization_words(value)
    return words[1] if words else inert(value, 16)


def pick_reason() -> str:
    """Why a random pick is a fine choice, for the UI and the CLI to show next to it."""
    return _("Every category A server is good for a first account. Any server can talk to any "
             "other, so you can still reach everyone, and spreading people over many servers "
             "keeps the network free.")
