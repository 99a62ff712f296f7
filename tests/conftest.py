"""Fixtures shared by the whole suite. The Prosody server itself is in tests/servers/prosody.py."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

try:  # tests/ is a package: pytest puts the project root on sys.path
    from tests.servers.prosody import ProsodyServer, prosody_binary
except ModuleNotFoundError:  # tests/ without __init__.py: pytest puts tests/ on sys.path
    from servers.prosody import ProsodyServer, prosody_binary  # type: ignore[no-redef]


@pytest.fixture(scope="session")
def prosody(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProsodyServer]:
    """One real Prosody on 127.0.0.1 for the whole session (hosts: see ProsodyServer)."""
    if prosody_binary() is None:
        reason = "prosody is not installed (apt-get install prosody): the real-server tests need it"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    server = ProsodyServer(tmp_path_factory.mktemp("prosody"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def onboard_home(tmp_path_factory: pytest.TempPathFactory,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Every test gets its own data and cache folders: nothing touches the real home."""
    home = tmp_path_factory.mktemp("onboard-home")
    monkeypatch.setenv("XMPP_ONBOARD_HOME", str(home))
    yield home
