"""Where onboard keeps its files (platformdirs), created private (0700).

The single seam tests point elsewhere: set XMPP_ONBOARD_HOME to put everything under one folder.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import platformdirs

APP_NAME = "xmpp-onboard"


def _base(kind: str) -> Path:
    override = os.environ.get("XMPP_ONBOARD_HOME")
    if override:
        return Path(override) / kind
    if kind == "data":
        return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def make_private_dirs(folder: Path) -> None:
    """Create `folder` and whichever of its parents are missing, each 0700.

    `mkdir(parents=True)` would make the parents with the umask's mode (0777 under umask 0),
    and a parent another user can write to lets them swap the folder below it. The XDG base
    directory spec asks for 0700 too.
    """
    missing: list[Path] = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(path, 0o700)
            os.chmod(path, 0o700)  # the umask may have taken bits away; make sure of it


def _private_dir(path: Path) -> Path:
    make_private_dirs(path)
    os.chmod(path, 0o700)
    return path


def data_dir_hint() -> str:
    """Where the data folder is meant to be, without creating it (for messages)."""
    return str(_base("data"))


def data_dir() -> Path:
    return _private_dir(_base("data"))


def accounts_dir() -> Path:
    return _private_dir(data_dir() / "accounts")


def cache_dir() -> Path:
    return _private_dir(_base("cache"))
