"""`xmpp-onboard handout`: write the printable page a helper gives the friend at the end."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from onboard.cli.io import emit_json, report_error
from onboard.core.errors import OnboardError
from onboard.i18n import SUPPORTED, _, current_language, ngettext

if TYPE_CHECKING:
    from onboard.core.handout import HandoutData


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "handout",
        help=_("write a printable page for the person whose account it is"),
        description=_("Write a standalone HTML page to print and give to the person whose "
                      "account it is, in their language: the address, the server and its "
                      "facts, QR codes of the fingerprints verified from this account, the "
                      "contacts they verified, the helper's address and the guides. Only files "
                      "on this computer are read; nothing is sent. The password is left off "
                      "unless --include-password is given. The file is readable only by you "
                      "(mode 0600)."),
        epilog=_("Exit status: 0 when the page was written; 2 for invalid options, a file that "
                 "already exists (without --overwrite) or --include-password for an account "
                 "whose password is not saved here; 12 when the file could not be written or "
                 "the list of verified fingerprints could not be read."),
    )
    parser.add_argument("--account", required=True, metavar="JID",
                        help=_("the account the page is for, e.g. alice@example.org (it does "
                               "not need to have been created here)"))
    parser.add_argument("--helper", metavar="JID",
                        help=_("your own address, shown with a QR code that adds you as a "
                               "contact"))
    # Its own dest: a subcommand's default would otherwise replace the main --lang.
    parser.add_argument("--lang", dest="handout_language", choices=SUPPORTED,
                        help=_("the language of the page (default: the assistant's)"))
    parser.add_argument("--include-password", action="store_true",
                        help=_("put the password on the page (only for an account whose "
                               "credentials are saved here)"))
    parser.add_argument("-o", "--output", metavar="FILE",
                        help=_("where to write the page (default: xmpp-onboard-NAME.html in "
                               "the current folder; a folder: that file in it)"))
    parser.add_argument("--overwrite", action="store_true",
                        help=_("replace FILE when it already exists"))
    parser.add_argument("--json", action="store_true",
                        help=_("print a JSON object with where the page was written"))
    parser.set_defaults(handler=run, usage_error=parser.error)


def run(args: argparse.Namespace) -> int:
    from onboard.core.handout import (
        HandoutExistsError,
        collect,
        default_file_name,
        page_language,
        write_handout,
    )

    language = page_language(args.handout_language or current_language())
    try:
        data = collect(args.account, helper_jid=args.helper,
                       include_password=args.include_password, language=language)
        target = _target(args.output, default_file_name(data.account_jid))
        try:
            written = write_handout(data, target, language, overwrite=args.overwrite)
        except HandoutExistsError as error:
            raise HandoutExistsError(error.path, _(
                "Choose another file with -o FILE, or replace it with --overwrite.")) from None
    except OnboardError as error:
        return report_error(error, args.json)
    except KeyboardInterrupt:
        return 130
    if args.json:
        emit_json({"path": str(written), "language": language,
                   "includes_password": data.includes_password,
                   "verified_devices": len(data.own_devices), "helper": data.helper_jid})
    else:
        print(_summary(data, written))
    return 0


def _target(output: str | None, default_name: str) -> Path:
    """FILE; the default name in the current folder, or in FILE when it is a folder (one that
    exists, or a name ending in “/”, made when missing)."""
    if output is None:
        return Path.cwd() / default_name
    path = Path(output).expanduser()
    if output.endswith(("/", os.sep)) or path.is_dir():
        return path / default_name
    return path


def _summary(data: HandoutData, written: Path) -> str:
    lines = [_("The handout for {jid} was written to {path}").format(jid=data.account_jid,
                                                                     path=written)]
    count = len(data.own_devices)
    if count:
        lines.append(ngettext(
            "It has the QR code of {count} verified device of the account, for friends to "
            "scan.",
            "It has the QR code of {count} verified devices of the account, for friends to "
            "scan.", count).format(count=count))
    else:
        lines.append(_("None of the account's own devices is verified yet, so the page has no "
                       "fingerprint QR code. Compare them with “xmpp-onboard fingerprints "
                       "--account {jid}”, record them with --verify, then make the handout "
                       "again.").format(jid=data.account_jid))
    if data.includes_password:
        lines.append(_("It shows the password: keep the printout locked away, or destroy it "
                       "once the app remembers the password. Delete the file after "
                       "printing."))
    else:
        lines.append(_("The password is not on it."))
    lines.append(_("Open it in a web browser to print it."))
    return "\n".join(lines)
