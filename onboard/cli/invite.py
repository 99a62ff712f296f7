"""`xmpp-onboard invite`: have the account's server make an invite for a friend (XEP-0401)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from onboard.cli.io import Terminal, emit_json, read_password, report_error
from onboard.cli.register import add_connection_options
from onboard.cli.tor import add_tor_options
from onboard.core.errors import InvalidInputError, OnboardError
from onboard.i18n import _

if TYPE_CHECKING:
    from onboard.core.flow import WizardState
    from onboard.core.xmpp.invites import Invite

# The server offers no invites (to this account): InvitesUnavailableError's status.
EXIT_NO_INVITES = 18
DEFAULT_TIMEOUT = 30.0


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "invite",
        help=_("make an invite for a friend: they sign up on your server and you become "
               "contacts"),
        description=_("Log in with --account and have its server make an invite for a friend "
                      "(XEP-0401), when the server offers invites. The friend opens it on their "
                      "phone: the invite page (when the server has one) in any browser, or the "
                      "xmpp: link in Conversations. Their account is created on the same server "
                      "and the two of you become contacts. Nothing else is changed on your "
                      "account."),
        epilog=_("Exit status: 0 when the invite was made; 18 when the server offers no invites "
                 "(or none to this account); 10 when logging in failed; 7 when the server could "
                 "not be reached or did not answer in time; 8 for a certificate problem; 9 when "
                 "the server offers no TLS; 11 when the server's answer could not be used; 13 "
                 "when Tor could not be used and 14 when a launched tor did not finish "
                 "connecting; 2 for invalid options; 130 when cancelled."),
    )
    parser.add_argument("--account", required=True, metavar="ACCOUNT_JID",
                        help=_("make the invite with this account, e.g. alice@example.org; its "
                               "password comes from the options below, else from the "
                               "credentials saved when it was created here, else it is asked "
                               "on the terminal"))
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument("--password-stdin", action="store_true",
                        help=_("read the password from the first line of standard input"))
    secret.add_argument("--password-file", type=Path, metavar="FILE",
                        help=_("read the password from the first line of FILE"))
    add_connection_options(parser)
    add_tor_options(parser)
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=_("give up on each step after this many seconds (default 30)"))
    parser.add_argument("--qr", action="store_true",
                        help=_("draw QR codes of the invite page and the xmpp: link, for a "
                               "friend's phone to scan"))
    parser.add_argument("--json", action="store_true",
                        help=_("print one JSON object: uri, landing_url, expires, signup"))
    parser.set_defaults(handler=run, usage_error=parser.error)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from onboard.cli.io import ask_account_password, connection_state, saved_account

    if args.json and args.qr:
        args.usage_error(_("--qr draws codes, --json prints the invite for a script: use one or "
                           "the other."))
    terminal: Terminal | None = None
    try:
        if not 0 < args.timeout <= 600:
            raise InvalidInputError(_("--timeout must be more than 0 and at most 600 seconds."))
        from onboard.core.omemo.jid import bare_jid

        account = bare_jid(args.account)
        password = read_password(args.password_stdin, args.password_file)
        saved = saved_account(account)
        if password is None and saved is not None:
            password = saved.password
        if password is None:
            terminal = Terminal()
            password = ask_account_password(terminal, account)
        state = connection_state(args, account, saved)
        invite = asyncio.run(_create(args, state, account, password))
    except OnboardError as error:
        return report_error(error, args.json)
    except KeyboardInterrupt:
        return 130
    finally:
        if terminal is not None:
            terminal.close()
    if args.json:
        emit_json(invite.to_json())
    else:
        print(format_invite(invite, account, args.qr))
    return 0


async def _create(args: argparse.Namespace, state: WizardState, account: str,
                  password: str) -> Invite:
    from onboard.cli.tor import network_for
    from onboard.core.xmpp.invites import create_invite

    async with network_for(args, state.network) as network:
        return await create_invite(account, password, state.server(), network, args.timeout)


def format_invite(invite: Invite, account: str, qr: bool) -> str:
    """The invite page first (any camera opens it), then the xmpp: link, then what to do."""
    from onboard.core.xmpp.invites import invite_instructions

    lines = [_("Invite from {jid}:").format(jid=account)]
    if invite.landing_url:
        lines += ["", _("Invite page (any phone's camera or browser opens it):")]
        lines += _code(invite.landing_url, qr)
        lines += ["", _("For a phone that already has Conversations or another XMPP app:")]
    else:
        lines += ["", _("Invite link (for Conversations or another XMPP app):")]
    lines += _code(invite.uri, qr)
    lines.append("")
    lines += invite_instructions(invite)
    return "\n".join(lines)


def _code(text: str, qr: bool) -> list[str]:
    if not qr:
        return [text]
    from onboard.core.qr import qr_matrix, to_ansi

    return [to_ansi(qr_matrix(text)), text]
