"""`xmpp-onboard accounts`: the accounts saved on this computer, and settling unfinished ones."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING

from onboard.cli.io import connection_state, emit_json, report_error
from onboard.cli.register import add_connection_options
from onboard.cli.tor import add_tor_options
from onboard.core.errors import InvalidInputError, OnboardError, StorageError
from onboard.i18n import _

if TYPE_CHECKING:
    from onboard.core.accounts import SavedAccount
    from onboard.core.recovery import CheckResult

DEFAULT_TIMEOUT = 30.0


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "accounts",
        help=_("list the accounts saved here, or check unfinished ones"),
        description=_("List the accounts this assistant created on this computer: address, "
                      "status (pending: the request may not have reached the server; created: "
                      "the server confirmed it), whether logging in with it worked, and when "
                      "it was made. Passwords are never shown. With --check, log in once with "
                      "each unfinished account (or JID) to settle it: a confirmed account is "
                      "marked, one the server never created is removed from the list."),
        epilog=_("Exit status: 0 when the list was shown, or every account checked was "
                 "settled (created, or never created); 7 when the server could not be "
                 "reached or did not answer in time; 8 for a certificate problem; 9 when the "
                 "server offers no TLS; 10 when the server refused the login of an account it "
                 "had confirmed; 12 when the accounts folder could not be read or a file not "
                 "written; 13 when Tor could not be used and 14 when a launched tor did not "
                 "finish connecting; 2 for invalid options or a JID not saved here; 130 when "
                 "cancelled. An account that could not be checked stays saved."),
    )
    parser.add_argument("--check", nargs="?", const="", default=None, metavar="JID",
                        help=_("log in once with each unfinished account (or only JID) and "
                               "settle it"))
    add_connection_options(parser)
    add_tor_options(parser)
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=_("give up on each check after this many seconds (default 30)"))
    parser.add_argument("--json", action="store_true", help=_("print one JSON object"))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    try:
        if args.check is None:
            return _show_list(args.json)
        if not 0 < args.timeout <= 600:
            raise InvalidInputError(_("--timeout must be more than 0 and at most 600 seconds."))
        results = asyncio.run(_check(args))
    except OnboardError as error:
        return report_error(error, args.json)
    except KeyboardInterrupt:
        return 130
    return _show_results(results, args.json)


def _unreadable(exc: OSError) -> StorageError:
    from onboard.core import paths

    return StorageError(f"{exc.filename or paths.data_dir_hint()}: {exc.strerror or exc}")


def _saved() -> list[SavedAccount]:
    from onboard.core.accounts import list_saved

    try:
        return list_saved()
    except OSError as exc:
        raise _unreadable(exc) from None


def created_at(account: SavedAccount) -> str:
    """When the account's file was first written, ISO 8601 in UTC."""
    moment = dt.datetime.fromtimestamp(account.created_at, dt.UTC).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")


def account_json(account: SavedAccount) -> dict[str, object]:
    """One saved account for --json: never its password."""
    from onboard.core.accounts import account_file

    return {
        "jid": account.jid,
        "status": account.status,
        "login_verified": account.login_verified,
        "created_at": created_at(account),
        "credentials_file": str(account_file(account.jid, account.status == "pending")),
    }


def _show_list(as_json: bool) -> int:
    saved = _saved()
    if as_json:
        emit_json({"accounts": [account_json(account) for account in saved]})
        return 0
    if not saved:
        print(_("No accounts are saved on this computer."))
        return 0
    rows = [(account.jid,
             _("created") if account.status == "created" else _("pending"),
             _("login verified") if account.login_verified else _("login not verified"),
             created_at(account)) for account in saved]
    # Columns lined up, so that a pending one stands out when reading down.
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
              + "  " + row[3])
    if any(account.status == "pending" or not account.login_verified for account in saved):
        print(_("Settle the unfinished ones with: xmpp-onboard accounts --check"))
    return 0


async def _check(args: argparse.Namespace) -> list[CheckResult]:
    import contextlib

    from onboard.cli.tor import network_for
    from onboard.core.network import DirectNetwork
    from onboard.core.recovery import check_unfinished, remove_stale_temp_files

    todo = _to_check(args.check)
    with contextlib.suppress(OSError):  # a leftover temp file is never read as an account
        remove_stale_temp_files()
    if not todo:
        return []  # nothing goes on the network (and no Tor is started) for nothing
    results = []
    async with network_for(args, DirectNetwork()) as network:
        for account in todo:
            server = connection_state(args, account.jid, account).server()
            results.append(await check_unfinished(account, network, args.timeout,
                                                  server=server))
    return results


def _to_check(jid_text: str) -> list[SavedAccount]:
    """The unfinished accounts, or only JID's (which must be saved here)."""
    from onboard.core.recovery import find_unfinished

    try:
        unfinished = find_unfinished()
    except OSError as exc:
        raise _unreadable(exc) from None
    if not jid_text:
        return unfinished
    from onboard.core.omemo.jid import bare_jid

    jid = bare_jid(jid_text)
    if not any(account.jid == jid for account in _saved()):
        raise InvalidInputError(_("No account {jid} is saved on this computer.").format(jid=jid))
    return [account for account in unfinished if account.jid == jid]


def _show_results(results: list[CheckResult], as_json: bool) -> int:
    """Print what each check found; the exit status of the first that stayed unknown."""
    if as_json:
        emit_json({"checked": [result.to_json() for result in results]})
    elif not results:
        print(_("Nothing to check: every account saved here is confirmed and logging in with "
                "it worked."))
    else:
        for result in results:
            print(f"{result.message} {result.hint}")
    codes = [result.error.exit_code for result in results if result.error is not None]
    return codes[0] if codes else 0
