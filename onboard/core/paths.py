"""Where onboard keeps its files (platformdirs), created private (0700).

The single seam tests point elsewhere: set XMPP_ONBOARD_HOME to put everything under one folder.
"""

from __future__ import annotations

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


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
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
