"""`xmpp-onboard servers`: the public servers a newcomer can choose from, with their facts."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from onboard.cli.io import emit_json, report_error
from onboard.cli.tor import add_tor_options
from onboard.core.errors import InvalidInputError, OnboardError
from onboard.i18n import _, ngettext

if TYPE_CHECKING:
    from onboard.core.providers import Provider, ProviderList

# The same keys as onboard.core.providers.SORT_KEYS (not imported here: --help stays fast).
SORT_KEYS = ("domain", "category", "country", "since", "compliance")
DEFAULT_URL = "https://data.xmpp.net/providers/v2/providers-B.json"
_COUNTRY = re.compile(r"^[A-Za-z]{2}\Z")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "servers",
        help=_("list public servers to choose from, with their facts"),
        description=_("List the public servers of the XMPP Providers project that can be "
                      "recommended to newcomers (categories A and B only). Without --refresh "
                      "the last downloaded list is shown, or the one that came with this "
                      "program."),
        epilog=_("Exit status: 0 when the list was shown (also when a refresh failed: a note "
                 "says so and the saved or bundled list is shown); 2 for invalid options; "
                 "130 when cancelled."),
    )
    parser.add_argument("--json", action="store_true", help=_("print one JSON object"))
    parser.add_argument("--refresh", action="store_true",
                        help=_("download the current list first (from data.xmpp.net)"))
    parser.add_argument("--in-band", action="store_true",
                        help=_("only servers where an app can create the account"))
    parser.add_argument("--onion", action="store_true",
                        help=_("only servers that also have an onion address (Tor)"))
    parser.add_argument("--onion-first", action="store_true",
                        help=_("show servers that also have an onion address first"))
    parser.add_argument("--country", action="append", default=[], metavar="CC",
                        help=_("show servers located in this country first, e.g. DE "
                               "(repeatable)"))
    parser.add_argument("--avoid-country", action="append", default=[], metavar="CC",
                        help=_("leave out servers located in this country, and servers whose "
                               "location is unknown (repeatable)"))
    parser.add_argument("--sort", choices=SORT_KEYS, default="domain", metavar="KEY",
                        help=_("sort by KEY: {keys} (default: domain)").format(
                            keys=", ".join(SORT_KEYS)))
    parser.add_argument("--reverse", action="store_true", help=_("reverse the sort order"))
    parser.add_argument("--providers-url", default=DEFAULT_URL, metavar="URL",
                        help=_("with --refresh: download the list from this https URL instead "
                               "(a private mirror, or tests)"))
    parser.add_argument("--ca-file", type=Path, metavar="PEM",
                        help=_("with --refresh: trust this CA certificate (for a private "
                               "mirror and tests)"))
    parser.add_argument("--timeout", type=float, default=20.0, metavar="SECONDS",
                        help=_("with --refresh: give up after SECONDS (default 20)"))
    add_tor_options(parser)
    parser.set_defaults(handler=run)


def _countries(codes: list[str], option: str) -> frozenset[str]:
    for code in codes:
        if not _COUNTRY.match(code.strip()):
            raise InvalidInputError(
                _("{option} takes a two-letter country code such as DE, not “{code}”.").format(
                    option=option, code=code))
    return frozenset(code.strip().upper() for code in codes)


def _check(args: argparse.Namespace) -> None:
    if not args.providers_url.lower().startswith("https://"):
        raise InvalidInputError(_("--providers-url must be an https:// address."))
    if args.ca_file is not None and not args.ca_file.is_file():
        raise InvalidInputError(_("The CA file {path} does not exist.").format(path=args.ca_file))
    if not 0 < args.timeout <= 600:
        raise InvalidInputError(_("--timeout must be more than 0 and at most 600 seconds."))


def run(args: argparse.Namespace) -> int:
    from onboard.core.providers import (
        ProviderFilter,
        apply_filter,
        load_providers,
        sort_providers,
    )

    try:
        _check(args)
        chosen = ProviderFilter(
            in_band_only=args.in_band, onion_only=args.onion, prefer_onion=args.onion_first,
            prefer_countries=_countries(args.country, "--country"),
            avoid_countries=_countries(args.avoid_country, "--avoid-country"),
        )
    except InvalidInputError as error:
        return report_error(error, args.json)

    if args.refresh:
        import asyncio

        from onboard.core.network import DirectNetwork
        from onboard.core.providers import refresh_providers

        async def refresh() -> ProviderList:
            from onboard.cli.tor import network_for

            async with network_for(args, DirectNetwork()) as network:
                return await refresh_providers(network, url=args.providers_url,
                                               timeout=args.timeout, ca_file=args.ca_file)

        try:
            listing = asyncio.run(refresh())
        except OnboardError as error:  # Tor was asked for and could not be used
            return report_error(error, args.json)
        except KeyboardInterrupt:
            return 130
    else:
        listing = load_providers()
    shown = apply_filter(sort_providers(listing.providers, args.sort, args.reverse), chosen)
    if args.json:
        emit_json(to_json(listing, shown))
    else:
        print_table(listing, shown)
    return 0


def _or_none(text: str) -> str | None:
    return text or None


def provider_json(p: Provider) -> dict[str, Any]:
    return {
        "domain": p.domain,
        "category": p.category,
        "in_band_registration": p.in_band_registration,
        "captcha": p.captcha,
        "email_required": p.email_required,
        "countries": list(p.countries),
        "since": _or_none(p.since),
        "organization": _or_none(p.organization),
        "free_of_charge": p.free_of_charge,
        "professional_hosting": p.professional_hosting,
        "compliance": p.compliance if p.compliance >= 0 else None,
        "website": _or_none(p.website),
        "registration_web_page": _or_none(p.registration_web_page),
        "legal_notice": _or_none(p.legal_notice),
        "password_reset": _or_none(p.password_reset),
        "latest_change": _or_none(p.latest_change),
        "onion": list(p.onion),
    }


def to_json(listing: ProviderList, shown: list[Provider]) -> dict[str, Any]:
    return {
        "source": listing.source,
        "fetched_at": listing.fetched_at.isoformat() if listing.fetched_at else None,
        "note": listing.note,
        "providers": [provider_json(p) for p in shown],
    }


def _organization_cell(value: str) -> str:
    from onboard.core.providers import organization_label
    from onboard.core.text import inert

    label = organization_label(value)
    # Our own descriptions are short; only a value passed through from the list can be long.
    return label if label != value else inert(label, 24)


def _row(p: Provider) -> list[str]:
    yes, no, none = _("yes"), _("no"), "-"
    in_app = p.in_band_registration
    return [
        p.domain,
        p.category,
        _("in app") if in_app else _("web only"),
        (yes if p.captcha else no) if in_app else none,
        (yes if p.email_required else no) if in_app else none,
        " ".join(p.countries) or "?",
        p.since or "?",
        _organization_cell(p.organization),
        yes if p.free_of_charge else no,
        f"{p.compliance} %" if p.compliance >= 0 else "?",
        yes if p.onion else no,
    ]


def print_table(listing: ProviderList, shown: list[Provider]) -> None:
    import sys

    from onboard.core.providers import bundled_date

    if listing.note:
        sys.stderr.write(listing.note + "\n")
    if listing.source == "bundled":
        origin = _("the list that came with this program, from {date}").format(
            date=bundled_date(listing.providers) or "?")
    elif listing.fetched_at is not None:
        origin = _("downloaded on {date}").format(
            date=listing.fetched_at.astimezone().strftime("%Y-%m-%d %H:%M"))
    else:
        origin = _("downloaded earlier")
    if not shown:
        print(_("No server matches these choices ({origin}).").format(origin=origin))
        return
    print(ngettext("{count} server ({origin}):", "{count} servers ({origin}):", len(shown))
          .format(count=len(shown), origin=origin))
    print()
    headers = [_("Server"), _("Cat."), _("Sign-up"), _("CAPTCHA"), _("Email"), _("Countries"),
               _("Since"), _("Organization"), _("Free"), _("Compliance"), _("Onion")]
    rows = [_row(p) for p in shown]
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
              .rstrip())
    print()
    print(_("Category A: an app can create the account, free of charge. Category B: very good "
            "servers, but sign-up may be on a web page or cost money. Any server can talk to any "
            "other, so the choice does not limit whom you can reach."))
