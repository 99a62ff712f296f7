"""Accounts whose creation was not seen through, and one login to settle what became of them.

The credentials file is written (pending) before the registration request is sent, confirmed
when the server says yes, and marked once a login worked. A crash or a lost connection can stop
this anywhere; on the next start these files say which accounts may exist:

- a pending file: the request may or may not have reached the server;
- a confirmed file whose login was never verified.

`check_unfinished` logs in once with the saved password and settles it: CREATED (the login
works: the file is confirmed and marked), NOT_CREATED (the server says "not-authorized": there
is no such account with this password, so a pending file goes; a confirmed file is never
removed this way) or UNKNOWN (no answer, a time-out, a certificate problem: the file stays).
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from onboard.core import accounts, paths
from onboard.core.accounts import SavedAccount
from onboard.core.errors import LoginFailedError, OnboardError, StorageError
from onboard.core.xmpp.address import ServerAddress
from onboard.i18n import _

if TYPE_CHECKING:
    from onboard.core.network import Network

CHECK_TIMEOUT = 30.0
# A temp file of storage.write_private lives for milliseconds; one this old was left by a
# process that died between writing it and renaming it.
STALE_TEMP_AGE = 60.0


class Outcome(enum.Enum):
    CREATED = "created"
    NOT_CREATED = "not-created"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class CheckResult:
    """What one login said about an unfinished account. `error` is set for UNKNOWN."""

    jid: str
    outcome: Outcome
    credentials_file: Path | None = None
    error: OnboardError | None = None

    @property
    def message(self) -> str:
        if self.outcome is Outcome.CREATED:
            return _("{jid} exists and logging in with it works. Its address and password "
                     "are saved in {file}.").format(jid=self.jid, file=self.credentials_file)
        if self.outcome is Outcome.NOT_CREATED:
            return _("The server never created {jid}. Nothing was lost: that address and "
                     "password were never in use.").format(jid=self.jid)
        reason = self.error.message if self.error is not None else ""
        return _("{jid} could not be checked. {reason}").format(jid=self.jid,
                                                                reason=reason).strip()

    @property
    def hint(self) -> str:
        if self.outcome is Outcome.CREATED:
            return _("Log in with it in your chat app.")
        if self.outcome is Outcome.NOT_CREATED:
            return _("You can create an account again, with the same name or another one.")
        first = self.error.hint + " " if self.error is not None else ""
        return first + _("The address and password stay saved in {file}; check again "
                         "later.").format(file=self.credentials_file)

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "jid": self.jid,
            "outcome": self.outcome.value,
            "credentials_file": str(self.credentials_file) if self.credentials_file else None,
            "message": self.message,
            "hint": self.hint,
        }
        if self.error is not None:
            data["error"] = self.error.to_json()
        return data


def find_unfinished() -> list[SavedAccount]:
    """The accounts to settle, newest first: every pending file, and each confirmed account
    whose login was never verified and that has no pending file beside it (that one is
    settled first: its password is the newer one). Raises OSError when the folder cannot be
    read."""
    saved = accounts.list_saved()
    pending = {account.jid for account in saved if account.status == "pending"}
    return [account for account in saved
            if account.status == "pending"
            or (not account.login_verified and account.jid not in pending)]


def server_of(account: SavedAccount, ca_file: Path | None = None) -> ServerAddress:
    """Where the account was created, as its file says (a CA file is never saved in it)."""
    return ServerAddress(account.domain, account.host, account.port, account.direct_tls,
                         ca_file)


async def check_unfinished(account: SavedAccount, network: Network,
                           timeout: float = CHECK_TIMEOUT, *, ca_file: Path | None = None,
                           server: ServerAddress | None = None) -> CheckResult:
    """Log in once as `account` through `network` and settle its file (see the module).

    `server` replaces where the file says to connect. Raises StorageError only when the login
    worked but the file could not be confirmed (the pending file still holds the password).
    """
    from onboard.core.xmpp.registration import verify_login

    pending = account.status == "pending"
    path = accounts.account_file(account.jid, pending=pending)
    try:
        await verify_login(account.jid, account.password, server or server_of(account, ca_file),
                           network, timeout)
    except LoginFailedError as error:
        if pending and error.sasl_condition == "not-authorized":
            accounts.discard(account.jid)
            return CheckResult(account.jid, Outcome.NOT_CREATED)
        return CheckResult(account.jid, Outcome.UNKNOWN, path, error)
    except OnboardError as error:
        return CheckResult(account.jid, Outcome.UNKNOWN, path, error)
    return CheckResult(account.jid, Outcome.CREATED, _settle(account))


def _settle(account: SavedAccount) -> Path:
    """The login worked: the account's confirmed file, marked verified, in one write."""
    verified = dataclasses.replace(account, login_verified=True)
    try:
        return accounts.confirm(verified)
    except StorageError as error:
        raise StorageError(error.detail, account_created=True) from None


def remove_stale_temp_files(older_than: float = STALE_TEMP_AGE) -> int:
    """Remove temp files a killed process left in the accounts folder; returns how many.

    They are never read as accounts (only `*.json` is), but one may hold a password.
    """
    removed = 0
    cutoff = time.time() - older_than
    for leftover in paths.accounts_dir().glob(".*.tmp"):
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
                removed += 1
    return removed
