"""Fixtures for the Textual layer's tests: a private data folder and English by default, and
the real network pieces the Pilot and snapshot tests use besides the shared Prosody."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from onboard.i18n import set_language
from tests.servers.prosody import ProsodyServer
from tests.ui.relay import Relay

# How long the app's sessions wait for an answer in the tests that let a server hang until
# the time-out; the core's own is 30 s.
QUICK_TIMEOUT = 1.0


@pytest.fixture(autouse=True)
def ui_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test writes its account files under its own tmp folder."""
    home = tmp_path / "onboard-home"
    monkeypatch.setenv("XMPP_ONBOARD_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's home folder, where the handout goes by default: a tmp folder."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


@pytest.fixture
def silent_server() -> Iterator[Relay]:
    """A real socket on 127.0.0.1 that accepts connections and never answers."""
    with Relay() as server:
        yield server


@pytest.fixture
def relay() -> Iterator[Callable[..., Relay]]:
    """Make relays to a server's port (see tests/ui/relay.py); all are closed after the test."""
    relays: list[Relay] = []

    def make(target_port: int, *, unanswered: int = 0) -> Relay:
        made = Relay(target_port, unanswered=unanswered)
        relays.append(made)
        return made

    yield make
    for made in relays:
        made.close()


@pytest.fixture
def quick_timeout(monkeypatch: pytest.MonkeyPatch) -> float:
    """The app's registration sessions give up after QUICK_TIMEOUT s instead of 30 s.

    The time-out itself is the core's own, against a real socket that stays silent; only its
    length changes: LiveRegistration looks the session class up in the core's module each time
    it connects, and finds this subclass there.
    """
    from onboard.core.network import Network
    from onboard.core.xmpp import registration
    from onboard.core.xmpp.address import ServerAddress

    class QuickSession(registration.RegistrationSession):
        def __init__(self, server: ServerAddress, network: Network,
                     timeout: float = QUICK_TIMEOUT) -> None:
            super().__init__(server, network, timeout)

    monkeypatch.setattr(registration, "RegistrationSession", QuickSession)
    return QUICK_TIMEOUT


@pytest.fixture
def own_prosody(prosody: ProsodyServer, tmp_path: Path) -> Iterator[ProsodyServer]:
    """A Prosody of this test's own (it starts in under a second), with the same hosts.

    For snapshots, whose fixed names must be free every time, and for a test that restarts the
    server. Asks for the shared `prosody` only to be skipped (or failed) the same way when
    prosody is not installed.
    """
    server = ProsodyServer(tmp_path / "own-prosody")
    server.start()
    try:
        yield server
    finally:
        server.stop()
