"""Small things the Tor tests share: the tor program (or a clear skip, a failure under CI),
and a loopback port nothing listens on."""

from __future__ import annotations

import os
import shutil
import socket

import pytest


def tor_binary() -> str:
    found = shutil.which("tor") or shutil.which("tor", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        reason = "tor is not installed (apt-get install tor): the Tor tests need it"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return found


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
