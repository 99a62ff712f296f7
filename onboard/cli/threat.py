"""`xmpp-onboard threat`: the threat-model step's questions as options; prints what the answers
suggest for the other commands and what that setup protects and what it does not."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from onboard.cli.io import emit_json, report_error
from onboard.core.errors import InvalidInputError
from onboard.i18n import _

if TYPE_CHECKING:
    from onboard.core.threat import Recommendation, ThreatSummary

# The same ids as onboard.core.threat.CONCERNS and TOR_BLOCKED (not imported here, so that
# --help stays fast; a test checks they agree).
CONCERNS = ("provider", "network", "state", "phone")
TOR_BLOCKED = ("yes", "no", "unknown")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "threat",
        help=_("who might be watching: what to choose, and what that protects and what not"),
        description=_("Answer the assistant's questions about your situation with options. "
                      "Prints the choices they suggest for the other commands (Tor, bridges, "
                      "which servers), and a short, honest summary of what that setup "
                      "protects and what it does not. Nothing is sent or saved."),
        epilog=_("Exit status: 0 when the summary was printed; 2 for invalid options."),
    )
    parser.add_argument(
        "--concern", action="append", default=[], choices=CONCERNS, metavar="WHO",
        help=_("who might want to read your messages or see who you talk to: provider (the "
               "people who run your server), network (at school, work or home), state "
               "(police or a state), phone (a person who can get hold of your phone); "
               "repeatable"))
    parser.add_argument("--hide-xmpp", action="store_true",
                        help=_("you need to hide that you use XMPP at all"))
    parser.add_argument("--tor-blocked", choices=TOR_BLOCKED, default="unknown",
                        metavar="ANSWER",
                        help=_("whether Tor is blocked where you are: yes, no or unknown "
                               "(default)"))
    parser.add_argument("--country", metavar="CC",
                        help=_("the country you are in (two letters such as DE, or its name): "
                               "with --concern state, servers there are left out"))
    parser.add_argument("--json", action="store_true", help=_("print one JSON object"))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from onboard.core.threat import TOR_BLOCKED as BLOCKED
    from onboard.core.threat import ThreatAnswers, parse_country, recommend, summary

    try:
        answers = ThreatAnswers(concerns=frozenset(args.concern), hide_xmpp=args.hide_xmpp,
                                tor_blocked=BLOCKED[args.tor_blocked],
                                country=parse_country(args.country))
    except InvalidInputError as error:
        return report_error(error, args.json)
    rec = recommend(answers)
    found = summary(answers)
    if args.json:
        emit_json(to_json(rec, found))
    else:
        print_summary(rec, found)
    return 0


def to_json(rec: Recommendation, found: ThreatSummary) -> dict[str, Any]:
    return {
        "recommendation": rec.to_json(),
        "protects": list(found.protects),
        "does_not_protect": list(found.does_not_protect),
        "advice": list(found.advice),
    }


def suggested_options(rec: Recommendation) -> list[str]:
    """The recommendation as options of the other commands."""
    tor = "--tor launch" + (" --bridges FILE" if rec.bridges else "") if rec.tor_on else ""
    servers = ["xmpp-onboard servers --in-band"]
    if rec.prefer_onion:
        servers.append("--onion-first")
    servers.extend(f"--avoid-country {code}" for code in sorted(rec.avoid_countries))
    lines = [" ".join(servers)]
    if tor:
        lines.append(f"xmpp-onboard register DOMAIN {tor}")
    return lines


def print_summary(rec: Recommendation, found: ThreatSummary) -> None:
    import shutil
    import textwrap

    width = min(shutil.get_terminal_size((80, 24)).columns, 100)

    def section(title: str, lines: list[str]) -> None:
        print(title)
        for line in lines:
            print(textwrap.fill(line, width, initial_indent="  - ", subsequent_indent="    ",
                                break_long_words=False, break_on_hyphens=False))
        print()

    section(_("Suggested for the next steps (you can change each):"), list(rec.reasons))
    section(_("As commands:"), suggested_options(rec))
    section(_("What it protects:"), found.protects)
    section(_("What it does not protect:"), found.does_not_protect)
    section(_("What you can do:"), found.advice)
    print(textwrap.fill(_("The guides named here come with this program, in its guides "
                          "folder."), width))
