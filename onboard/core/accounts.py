"""The credentials file of each account onboard created: written before anything else happens."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from onboard.core import paths
from onboard.core.errors import StorageError
from onboard.core.storage import write_private

FORMAT_VERSION = 1


@dataclass
class SavedAccount:
    jid: str
    password: str = field(repr=False)
    domain: str
    host: str | None = None
    port: int | None = None
    direct_tls: bool = False
    created_at: float = field(default_factory=time.time)
    # "pending": written just before the request was sent, so a crash cannot lose an account
    # the server may have created; "created": the server confirmed it.
    status: str = "created"
    login_verified: bool = False

    def __repr__(self) -> str:  # never show the password, even in a traceback
        return f"SavedAccount(jid={self.jid!r}, domain={self.domain!r})"


def account_file(jid: str, pending: bool = False) -> Path:
    safe = jid.replace("/", "_").replace("\\", "_")
    suffix = ".pending.json" if pending else ".json"
    return paths.accounts_dir() / f"{safe}{suffix}"


def save(account: SavedAccount) -> Path:
    """Write the account's file (0600 in a 0700 folder, atomically) and return its path.

    A pending account has a file of its own, so an attempt to register a name that turns out to
    be taken never touches the file of an account created earlier with that address.
    """
    payload = {"format": FORMAT_VERSION, **asdict(account)}
    try:
        path = account_file(account.jid, pending=account.status == "pending")
        write_private(path, json.dumps(payload, indent=2).encode("utf-8"))
    except OSError as exc:
        where = exc.filename or paths.data_dir_hint()
        raise StorageError(f"{where}: {exc.strerror or exc}") from None
    return path


def mark_login_verified(jid: str) -> Path:
    account = load(account_file(jid))
    account.login_verified = True
    return save(account)


def discard(jid: str) -> None:
    """Remove a pending account file once the server has definitely refused the account."""
    account_file(jid, pending=True).unlink(missing_ok=True)


def confirm(account: SavedAccount) -> Path:
    """The server created the account: write its final file, then drop the pending one."""
    account.status = "created"
    path = save(account)
    discard(account.jid)
    return path


def load(path: Path) -> SavedAccount:
    """Read one account file; raises ValueError for anything that is not a valid file."""
    data = json.loads(path.read_text("utf-8"))
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        raise ValueError(f"{path.name}: not an onboard account file")
    from onboard.core.crash import remember_secret

    remember_secret(str(data.get("password") or ""))
    try:
        return SavedAccount(
            jid=str(data["jid"]),
            password=str(data["password"]),
            domain=str(data["domain"]),
            host=data.get("host"),
            port=data.get("port"),
            direct_tls=bool(data.get("direct_tls", False)),
            created_at=float(data.get("created_at", 0.0)),
            status=str(data.get("status", "created")),
            login_verified=bool(data.get("login_verified", False)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path.name}: {exc}") from None


def list_saved() -> list[SavedAccount]:
    """Every readable account file, newest first; broken files are skipped."""
    found = []
    for path in paths.accounts_dir().glob("*.json"):
        try:
            found.append(load(path))
        except (OSError, ValueError):
            continue
    return sorted(found, key=lambda account: account.created_at, reverse=True)


def find_saved(account: str) -> SavedAccount | None:
    """The credentials saved for the bare address `account` when it was created here (a
    confirmed one before a pending one); None when there are none or the folder cannot be
    read."""
    from onboard.core.errors import InvalidInputError
    from onboard.core.omemo.jid import bare_jid

    try:
        everything = list_saved()
    except OSError:  # the data folder cannot be read: as if nothing were saved
        return None
    found = []
    for saved in everything:
        try:
            if bare_jid(saved.jid) == account:
                found.append(saved)
        except InvalidInputError:
            continue
    return next((s for s in found if s.status == "created"), found[0] if found else None)
