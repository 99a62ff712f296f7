"""The fingerprints the user confirmed, per account: a private JSON file in the data folder.

For each account (the address the user logged in with): which devices of which addresses, own
devices included, were confirmed with which fingerprint. A device whose key changed is not
verified any more ("changed"): the record names the fingerprint that was confirmed, not the
device.

The file (0600, written atomically) looks like:
    {"format": 1, "accounts": {"<account>": {"<jid>": {"<device id>":
        {"fingerprint": "<64 hex>", "verified_at": <unix time>}}}}}
A file that cannot be read is never overwritten: VerifiedStoreError instead.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from onboard.core import paths
from onboard.core.errors import InvalidInputError
from onboard.core.omemo.errors import VerifiedStoreError
from onboard.core.omemo.fingerprint import check_device_id, normalize_fingerprint
from onboard.core.omemo.jid import bare_jid
from onboard.core.storage import write_private

FORMAT_VERSION = 1
FILE_NAME = "omemo-verified.json"

VERIFIED = "verified"
CHANGED = "changed"  # this device was confirmed with another key: warn, do not trust
UNVERIFIED = "unverified"

_Accounts = dict[str, dict[str, dict[str, dict[str, Any]]]]


@dataclass(frozen=True)
class VerifiedDevice:
    jid: str
    device_id: int
    fingerprint: str
    verified_at: float


def verified_file() -> Path:
    """Where the record is (the data folder is created, private, when missing)."""
    try:
        return paths.data_dir() / FILE_NAME
    except OSError as error:
        where = error.filename or paths.data_dir_hint()
        raise VerifiedStoreError(f"{where}: {error.strerror or error}") from None


def load(account_jid: str) -> list[VerifiedDevice]:
    """The devices confirmed from `account_jid` (its own devices have jid == account)."""
    account = bare_jid(account_jid)
    found = []
    for jid, devices in _read().get(account, {}).items():
        for device_id, entry in devices.items():
            record = _record(jid, device_id, entry)
            if record is not None:
                found.append(record)
    return sorted(found, key=lambda r: (r.jid != account, r.jid, r.device_id))


def save(account_jid: str, devices: Iterable[VerifiedDevice]) -> Path:
    """Replace everything recorded for `account_jid` with `devices`."""
    account = bare_jid(account_jid)
    accounts = _read()
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for device in devices:
        table.setdefault(bare_jid(device.jid), {})[str(check_device_id(device.device_id))] = {
            "fingerprint": normalize_fingerprint(device.fingerprint),
            "verified_at": device.verified_at,
        }
    if table:
        accounts[account] = table
    else:
        accounts.pop(account, None)
    return _write(accounts)


def mark_verified(account_jid: str, jid: str, device_id: int,
                  fingerprint: str) -> VerifiedDevice:
    """Record that the user confirmed `jid`'s device `device_id` has this fingerprint."""
    return mark_many(account_jid, jid, {device_id: fingerprint})[0]


def mark_many(account_jid: str, jid: str,
              fingerprints: Mapping[int, str]) -> list[VerifiedDevice]:
    """Record several confirmed devices of `jid` at once (e.g. from a scanned link)."""
    contact = bare_jid(jid)
    now = time.time()
    marked = [VerifiedDevice(contact, check_device_id(device_id),
                             normalize_fingerprint(fingerprint), now)
              for device_id, fingerprint in fingerprints.items()]
    kept = [r for r in load(account_jid)
            if not (r.jid == contact and r.device_id in fingerprints)]
    save(account_jid, [*kept, *marked])
    return marked


def forget(account_jid: str, jid: str, device_id: int) -> bool:
    """Drop a confirmation; True when there was one."""
    contact = bare_jid(jid)
    records = load(account_jid)
    kept = [r for r in records if not (r.jid == contact and r.device_id == device_id)]
    if len(kept) == len(records):
        return False
    save(account_jid, kept)
    return True


def status(account_jid: str, jid: str, device_id: int, fingerprint: str) -> str:
    """VERIFIED, CHANGED (confirmed before, with another key) or UNVERIFIED."""
    contact = bare_jid(jid)
    wanted = normalize_fingerprint(fingerprint)
    for record in load(account_jid):
        if record.jid == contact and record.device_id == device_id:
            return VERIFIED if record.fingerprint == wanted else CHANGED
    return UNVERIFIED


def is_verified(account_jid: str, jid: str, device_id: int, fingerprint: str) -> bool:
    return status(account_jid, jid, device_id, fingerprint) == VERIFIED


# --- the file ----------------------------------------------------------------------------------


def _read() -> _Accounts:
    path = verified_file()
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise VerifiedStoreError(f"{path}: {getattr(error, 'strerror', None) or error}") from None
    try:
        data = json.loads(text)
    except ValueError:
        raise VerifiedStoreError(f"{path}: not valid JSON") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        raise VerifiedStoreError(f"{path}: not a file of verified fingerprints")
    accounts = data.get("accounts")
    if not isinstance(accounts, dict):
        raise VerifiedStoreError(f"{path}: no accounts in it")
    return {account: {jid: dict(devices) for jid, devices in table.items()
                      if isinstance(devices, dict)}
            for account, table in accounts.items() if isinstance(table, dict)}


def _write(accounts: _Accounts) -> Path:
    path = verified_file()
    payload = {"format": FORMAT_VERSION, "accounts": accounts}
    try:
        write_private(path, json.dumps(payload, indent=2, sort_keys=True).encode("utf-8"))
    except OSError as error:
        raise VerifiedStoreError(f"{error.filename or path}: {error.strerror or error}") from None
    return path


def _record(jid: str, device_id: str, entry: Any) -> VerifiedDevice | None:
    """One entry of the file, or None when it is damaged (it is then dropped on the next save)."""
    try:
        return VerifiedDevice(bare_jid(jid), check_device_id(int(device_id)),
                              normalize_fingerprint(str(entry["fingerprint"])),
                              float(entry.get("verified_at", 0.0)))
    except (InvalidInputError, KeyError, TypeError, ValueError, AttributeError):
        return None
