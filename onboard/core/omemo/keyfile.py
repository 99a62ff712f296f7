"""The private keys of the assistant's own OMEMO device, in one JSON file per account.

slixmpp-omemo keeps everything (identity key, prekeys, sessions, device lists it has seen) in a
key-value `Storage`. This one keeps the values in memory and writes the whole file on every change:
`<data dir>/omemo-keys/<account>.json`, mode 0600 in a 0700 folder, written atomically, so a crash
never leaves half a file. A file left from an earlier run (the device was kept, or its removal
failed) is loaded again: the same device is used, and removed at the end unless kept.

Nothing read from or written to the file ever appears in a message or a log: errors name the
file and what the system said, never a value.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from omemo.storage import Just, Maybe, Nothing, Storage
from omemo.types import JSONType

from onboard.core import paths
from onboard.core.omemo.errors import OmemoKeysError
from onboard.core.omemo.jid import bare_jid
from onboard.core.storage import write_private

KEYS_DIR = "omemo-keys"
FORMAT_VERSION = 1
OWN_DEVICE_ID_KEY = "/own_device_id"  # where python-omemo keeps the device id


def keys_dir() -> Path:
    """The private folder of the key files (created 0700 when missing)."""
    try:
        directory = paths.data_dir() / KEYS_DIR
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(directory, 0o700)
    except OSError as error:
        where = error.filename or paths.data_dir_hint()
        raise OmemoKeysError(str(where), error.strerror or str(error)) from None
    return directory


def keys_file(account_jid: str) -> Path:
    """Where the keys of the assistant's device for `account_jid` are kept."""
    account = bare_jid(account_jid)
    safe = account.replace("/", "_").replace("\\", "_")
    return keys_dir() / f"{safe}.json"


class KeyFileStorage(Storage):
    """slixmpp-omemo's storage, backed by one private JSON file."""

    def __init__(self, path: Path, account_jid: str) -> None:
        super().__init__()
        self.path = path
        self.account = bare_jid(account_jid)
        self._data: dict[str, Any] = {}
        self.existed = False

    @classmethod
    def open(cls, account_jid: str) -> KeyFileStorage:
        """The storage of `account_jid`'s file, with what an earlier run left in it."""
        storage = cls(keys_file(account_jid), account_jid)
        storage._read()
        return storage

    @property
    def device_id(self) -> int | None:
        """The device id once the library has chosen one."""
        value = self._data.get(OWN_DEVICE_ID_KEY)
        return value if isinstance(value, int) else None

    def _read(self) -> None:
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError) as error:
            raise OmemoKeysError(str(self.path), getattr(error, "strerror", None)
                                 or type(error).__name__) from None
        try:
            payload = json.loads(text)
        except ValueError:
            raise OmemoKeysError(str(self.path), "not valid JSON", damaged=True) from None
        if (not isinstance(payload, dict) or payload.get("format") != FORMAT_VERSION
                or payload.get("account") != self.account
                or not isinstance(payload.get("data"), dict)):
            raise OmemoKeysError(str(self.path), "not a key file of this account", damaged=True)
        self._data = dict(payload["data"])
        self.existed = True

    def _write(self) -> None:
        payload = {"format": FORMAT_VERSION, "account": self.account, "data": self._data}
        try:
            write_private(self.path, json.dumps(payload, separators=(",", ":")).encode("utf-8"))
        except OSError as error:
            raise OmemoKeysError(str(error.filename or self.path),
                                 error.strerror or type(error).__name__) from None

    def remove(self) -> None:
        """Delete the file (the device is gone from the account; its keys are of no use)."""
        self._data = {}
        try:
            self.path.unlink(missing_ok=True)
        except OSError as error:
            raise OmemoKeysError(str(self.path), error.strerror or type(error).__name__) from None

    # --- omemo.storage.Storage -----------------------------------------------------------------

    async def _load(self, key: str) -> Maybe[JSONType]:
        if key in self._data:
            return Just(self._data[key])
        return Nothing()

    async def _store(self, key: str, value: JSONType) -> None:
        self._data[key] = value
        self._write()

    async def _delete(self, key: str) -> None:
        if key in self._data:
            del self._data[key]
            self._write()
