"""`xmpp-onboard guides`: the guides that come with the assistant, listed or read.

The same guides, in the same language rules, as F1 shows in the assistant: a guide that is not
translated is shown in English.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from typing import TYPE_CHECKING, Any

from onboard.cli.io import emit_json, report_error
from onboard.i18n import _

if TYPE_CHECKING:
    from onboard.core.guides import Guide, GuideError

LANGUAGES = ("en", "de")
WIDTH = 78


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "guides",
        help=_("list the guides, or show one"),
        description=_("Without SLUG, list the guides that come with the assistant (installing "
                      "a chat app, checking fingerprints, Tor, when a server goes away, running "
                      "a help session). With SLUG, print that guide as Markdown. A guide that "
                      "is not translated is shown in English."),
        epilog=_("Exit status: 0 when the list or the guide was shown; 2 for an unknown guide "
                 "or invalid options; 1 when the guides are missing from this installation."),
    )
    parser.add_argument("slug", nargs="?", metavar="SLUG",
                        help=_("the guide to show, e.g. verify (see the list)"))
    # Its own dest: the assistant's --lang (before the command) must not be reset by this one.
    parser.add_argument("--lang", dest="guides_lang", choices=LANGUAGES, metavar="{en,de}",
                        help=_("language of the guides (default: the assistant's language)"))
    parser.add_argument("--json", action="store_true", help=_("print JSON"))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from onboard.core.guides import GuideError, find_guide, links, list_guides, read_guide
    from onboard.i18n import current_language

    language = args.guides_lang or current_language()
    try:
        if args.slug is None:
            guides = list_guides(language)
            if args.json:
                _print_json([guide_json(guide) for guide in guides])
            else:
                print_list(guides, language)
            return 0
        try:
            guide = find_guide(args.slug, language)
            markdown = read_guide(args.slug, language)
        except GuideError as error:
            if error.reason != "missing" or not error.slug:
                raise
            return unknown_guide(error, [g.slug for g in list_guides(language)], args.json)
    except GuideError as error:
        return report_error(error, args.json)
    if args.json:
        emit_json({"slug": guide.slug, "language": guide.language, "title": guide.title,
                   "markdown": markdown, "links": links(markdown)})
    else:
        sys.stdout.write(markdown if markdown.endswith("\n") else markdown + "\n")
        sys.stdout.flush()
    return 0


def guide_json(guide: Guide) -> dict[str, Any]:
    return {"slug": guide.slug, "language": guide.language, "title": guide.title,
            "summary": guide.summary, "path": str(guide.path)}


def _print_json(data: list[dict[str, Any]]) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def print_list(guides: list[Guide], language: str) -> None:
    width = max((len(g.slug) for g in guides), default=0) + 2
    for guide in guides:
        title = guide.title
        if guide.language != language:
            title += " " + _("(in English)")
        sys.stdout.write(f"{guide.slug.ljust(width)}{title}\n")
        if guide.summary:
            sys.stdout.write(textwrap.fill(guide.summary, WIDTH, initial_indent=" " * width,
                                           subsequent_indent=" " * width) + "\n")
    sys.stdout.write("\n" + _("Read one with: xmpp-onboard guides SLUG") + "\n")
    sys.stdout.flush()


def unknown_guide(error: GuideError, known: list[str], as_json: bool) -> int:
    """No guide of that name: say so, with the names there are (exit status 2)."""
    if as_json:
        emit_json({"error": {**error.to_json(), "known": known}})
    else:
        sys.stderr.write(_("Error: {line}").format(line=error.message) + "\n")
        sys.stderr.write(_("The guides are: {names}").format(names=", ".join(known)) + "\n")
    return 2
