"""`xmpp-onboard register`: create an account from the terminal."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from onboard.cli.io import Terminal, emit_json, read_password, report_error
from onboard.cli.tor import add_tor_options
from onboard.core.errors import InvalidInputError, OnboardError
from onboard.core.flow import WizardState
from onboard.core.validation import (
    domain_problem,
    generate_password,
    normalize_domain,
    password_strength,
    username_problem,
)
from onboard.i18n import _

if TYPE_CHECKING:
    from onboard.core.xmpp.invites import InviteLink


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "register",
        help=_("create a new account on a server"),
        description=_("Create a new XMPP account on DOMAIN. Fields the options do not fill "
                      "are asked on the terminal, the CAPTCHA included."),
    )
    parser.add_argument("domain", metavar="DOMAIN", help=_("the server, e.g. example.org"))
    parser.add_argument("--username", metavar="NAME", help=_("the name part of the address"))
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument("--password-stdin", action="store_true",
                        help=_("read the password from the first line of standard input"))
    secret.add_argument("--password-file", type=Path, metavar="FILE",
                        help=_("read the password from the first line of FILE"))
    secret.add_argument("--generate-password", action="store_true",
                        help=_("make a strong password; it is only saved in the credentials "
                               "file"))
    parser.add_argument("--field", action="append", default=[], metavar="NAME=VALUE",
                        help=_("answer a field of the server's form (repeatable)"))
    parser.add_argument("--invite", metavar="URI",
                        help=_("sign up with an invite (xmpp:DOMAIN?register;preauth=… or "
                               "xmpp:friend@DOMAIN?roster;preauth=…;ibr=y; quote it for the "
                               "shell); with a friend's invite you two become contacts"))
    add_connection_options(parser)
    add_tor_options(parser)
    parser.add_argument("--json", action="store_true", help=_("print one JSON object"))
    parser.set_defaults(handler=run)


def add_connection_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument("--host", help=_("connect to HOST instead of looking up DNS SRV"))
    parser.add_argument("--port", type=int, help=_("connect to PORT (default 5222, or 5223 "
                                                    "with --direct-tls)"))
    parser.add_argument("--direct-tls", action="store_true",
                        help=_("TLS from the first byte (XEP-0368) instead of STARTTLS"))
    parser.add_argument("--ca-file", type=Path, metavar="PEM",
                        help=_("trust this CA certificate (for private servers and tests)"))


def _parse_fields(pairs: list[str]) -> dict[str, list[str]]:
    answers: dict[str, list[str]] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise InvalidInputError(_("--field takes NAME=VALUE, not “{pair}”.").format(pair=pair))
        answers.setdefault(name, []).append(value)
    return answers


def state_from_args(args: argparse.Namespace) -> WizardState:
    domain = normalize_domain(args.domain)
    problem = domain_problem(domain)
    if problem:
        raise InvalidInputError(problem)
    if args.port is not None and not 0 < args.port < 65536:
        raise InvalidInputError(_("The port must be between 1 and 65535."))
    if args.ca_file is not None and not args.ca_file.is_file():
        raise InvalidInputError(_("The CA file {path} does not exist.").format(path=args.ca_file))
    return WizardState(domain=domain, host=args.host, port=args.port,
                       direct_tls=args.direct_tls, ca_file=args.ca_file)


def run(args: argparse.Namespace) -> int:
    import asyncio

    terminal = Terminal()
    try:
        return asyncio.run(_register(args, terminal))
    except OnboardError as error:
        return report_error(error, args.json)
    except KeyboardInterrupt:
        terminal.say()
        return 130
    finally:
        terminal.close()


def _ask_username(terminal: Terminal, state: WizardState) -> str:
    hint = _("Give the name with --username.")
    while True:
        name = terminal.ask(_("Name for your address (NAME@{domain}): ").format(
            domain=state.domain), hint).strip()
        problem = username_problem(name)
        if not problem:
            return name
        terminal.say(problem)


def _ask_password(terminal: Terminal) -> tuple[str, bool]:
    hint = _("Give the password with --password-stdin, --password-file or "
             "--generate-password.")
    while True:
        typed = terminal.ask_secret(
            _("Password (press Enter to generate a strong one): "), hint)
        if not typed:
            return generate_password(), True
        strength = password_strength(typed)
        if strength.score < 2:
            terminal.say(_("That password is {label}. Use a longer one, or press Enter to "
                           "generate one.").format(label=strength.label))
            continue
        if terminal.ask_secret(_("Repeat the password: "), hint) == typed:
            return typed, False
        terminal.say(_("The two passwords are not the same."))


def _invite_from_args(args: argparse.Namespace, state: WizardState) -> InviteLink | None:
    """--invite, checked: for DOMAIN, and one that allows signing up. Nothing is sent yet."""
    if args.invite is None:
        return None
    from onboard.core.errors import InviteRefusedError
    from onboard.core.xmpp.invites import parse_invite

    link = parse_invite(args.invite)
    if link.domain != state.domain:
        raise InvalidInputError(_("The invite is for {invited}, not for {domain}: give "
                                  "{invited} as DOMAIN.").format(invited=link.domain,
                                                                 domain=state.domain))
    if not link.allows_signup:
        raise InviteRefusedError(link.domain, "contact-only", link.inviter)
    return link


async def _register(args: argparse.Namespace, terminal: Terminal) -> int:
    from onboard.cli.tor import network_for
    from onboard.core.network import for_new_account

    state = state_from_args(args)
    invite = _invite_from_args(args, state)
    if invite is not None and invite.username and args.username is None:
        args.username = invite.username  # an invite for one name
    answers = _parse_fields(args.field)
    if args.username is not None:
        problem = username_problem(args.username)
        if problem:
            raise InvalidInputError(problem)
        state.username = args.username
    password = read_password(args.password_stdin, args.password_file)
    generated = False
    if password is None and args.generate_password:
        password, generated = generate_password(), True

    async with network_for(args, state.network) as network:
        # Over Tor each registration gets a circuit of its own.
        state.network = for_new_account(network)
        return await _register_over(args, terminal, state, answers, password, generated,
                                    invite)


async def _register_over(args: argparse.Namespace, terminal: Terminal, state: WizardState,
                         answers: dict[str, list[str]], password: str | None,
                         generated: bool, invite: InviteLink | None = None) -> int:
    from onboard.cli.forms import ask_form
    from onboard.core.xmpp.registration import RegistrationSession, verify_login

    session = RegistrationSession(state.server(), state.network,
                                  invite_token=invite.token if invite is not None else None)
    try:
        form = await session.open()
        if form.has_username and not state.username:
            state.username = _ask_username(terminal, state)
        if password is None:
            password, generated = _ask_password(terminal)
        answers["username"] = [state.username]
        answers["password"] = [password]
        ask_form(terminal, form, answers)
        account = await session.submit(answers)
    finally:
        await session.close()
    via = session.via  # where the sign-up went: an onion address, through Tor, or direct

    login_ok = True
    login_error: OnboardError | None = None
    try:
        await verify_login(account.jid, password, state.server(), state.network)
        from onboard.core import accounts

        accounts.mark_login_verified(account.jid)
    except OnboardError as error:
        login_ok, login_error = False, error

    if args.json:
        result: dict[str, object] = {
            "jid": account.jid,
            "credentials_file": str(account.credentials_file),
            "login_verified": login_ok,
            "password_generated": generated,
        }
        if login_error is not None:
            result["login_error"] = login_error.to_json()
        if invite is not None:
            result["invited_by"] = invite.inviter
        if via is not None:
            result["via"] = via.to_json()
        emit_json(result)
        return 0
    print(_("Account created: {jid}").format(jid=account.jid))
    print(_("Credentials saved to {path}").format(path=account.credentials_file))
    if via is not None and via.tor:
        print(via.describe())
    if invite is not None and invite.inviter:
        print(_("Invited by {jid}: the server makes you two contacts.").format(
            jid=invite.inviter))
    if generated:
        print(_("The generated password is in that file; keep a copy somewhere safe."))
    if login_error is not None:
        print(login_error.message + " " + login_error.hint)
    else:
        print(_("Logging in with the new account worked."))
    return 0
