"""`xmpp-onboard hello`: an end-to-end encrypted test message to a friend, from a device of the
assistant's own that is removed again afterwards."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from onboard.cli.io import (
    Terminal,
    ask_account_password,
    connection_state,
    emit_json,
    read_password,
    report_error,
    saved_account,
)
from onboard.cli.register import add_connection_options
from onboard.cli.tor import add_tor_options
from onboard.core.errors import InvalidInputError, OnboardError
from onboard.i18n import _

if TYPE_CHECKING:
    from onboard.core.omemo.hello import HelloResult
    from onboard.core.xmpp.address import ServerAddress

# The message was sent, but the assistant's device could not be taken off the account
# (DeviceLeftError's status, also when it is not raised).
EXIT_DEVICE_LEFT = 17
DEFAULT_TIMEOUT = 30.0
DEFAULT_WAIT = 20.0


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "hello",
        help=_("send a friend an end-to-end encrypted (OMEMO) test message"),
        description=_("Log in with --account, give the account an OMEMO device of this "
                      "assistant's own, and send JID a short test message encrypted for all of "
                      "JID's devices (and your own other devices), so both of you see that "
                      "encryption works. Their devices are trusted as they are, for this one "
                      "message; the report says which of them you have verified. Afterwards the "
                      "assistant's device is removed from your account and its keys are "
                      "deleted, unless --keep-device."),
        epilog=_("Exit status: 0 when the message was sent (and the assistant's device removed "
                 "again, or kept with --keep-device); 17 when the assistant's device could not "
                 "be removed from your account (the message says how to remove it yourself); "
                 "16 when JID has no OMEMO device this assistant can encrypt for (nothing was "
                 "published); 10 when logging in failed; 7 when the server could not be reached "
                 "or did not answer in time; 8 for a certificate problem; 9 when the server "
                 "offers no TLS; 11 when the device could not be published or the message not "
                 "encrypted, or the server's answers made no sense; 12 when the keys or the list "
                 "of verified fingerprints could not be read or written; 13 when Tor could not "
                 "be used and 14 when a launched tor did not finish connecting; 2 for invalid "
                 "options; 130 when cancelled."),
    )
    parser.add_argument("jid", metavar="JID",
                        help=_("who gets the test message, e.g. friend@example.org (your own "
                               "address sends it to your other devices)"))
    parser.add_argument("--account", required=True, metavar="ACCOUNT_JID",
                        help=_("send from this account, e.g. alice@example.org; its password "
                               "comes from the options below, else from the credentials saved "
                               "when it was created here, else it is asked on the terminal"))
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument("--password-stdin", action="store_true",
                        help=_("read the password from the first line of standard input"))
    secret.add_argument("--password-file", type=Path, metavar="FILE",
                        help=_("read the password from the first line of FILE"))
    parser.add_argument("--text", metavar="TEXT",
                        help=_("the message (default: a short hello that says it is a test "
                               "from xmpp-onboard)"))
    parser.add_argument("--keep-device", action="store_true",
                        help=_("leave the assistant's device on the account and keep its keys "
                               "(in a private file), instead of removing both"))
    add_connection_options(parser)
    add_tor_options(parser)
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=_("give up on each step after this many seconds (default 30)"))
    parser.add_argument("--wait", type=float, default=DEFAULT_WAIT, metavar="SECONDS",
                        help=_("wait this long at most for JID's app to confirm the message "
                               "before the device is removed (default 20; 0 does not wait)"))
    parser.add_argument("--json", action="store_true", help=_("print one JSON object"))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    terminal: Terminal | None = None
    try:
        if not 0 < args.timeout <= 600:
            raise InvalidInputError(_("--timeout must be more than 0 and at most 600 seconds."))
        if not 0 <= args.wait <= 600:
            raise InvalidInputError(_("--wait must be between 0 and 600 seconds."))
        from onboard.core.omemo.jid import bare_jid

        account = bare_jid(args.account)
        recipient = bare_jid(args.jid)
        password = read_password(args.password_stdin, args.password_file)
        saved = saved_account(account)
        if password is None and saved is not None:
            password = saved.password
        if password is None:
            terminal = Terminal()
            password = ask_account_password(terminal, account)
        server = connection_state(args, account, saved).server()
        result = asyncio.run(_hello(args, server, account, password, recipient))
    except OnboardError as error:
        return report_error(error, args.json)
    except KeyboardInterrupt:
        return 130
    finally:
        if terminal is not None:
            terminal.close()
    if args.json:
        emit_json(result.to_json())
    else:
        from onboard.core.omemo.hello import describe

        print("\n".join(describe(result)))
    return EXIT_DEVICE_LEFT if result.removal_error is not None else 0


async def _hello(args: argparse.Namespace, server: ServerAddress, account: str, password: str,
                 recipient: str) -> HelloResult:
    from onboard.cli.tor import network_for
    from onboard.core.network import DirectNetwork
    from onboard.core.omemo.hello import send_hello, step_text

    def tell(step: str) -> None:
        if not args.json:
            line = step_text(step, recipient, args.wait)
            if line:
                sys.stderr.write(line + "\n")
                sys.stderr.flush()

    async with network_for(args, DirectNetwork()) as network:
        return await send_hello(account, password, recipient, server, network, text=args.text,
                                keep_device=args.keep_device, timeout=args.timeout,
                                confirm_wait=args.wait, progress=tell)
