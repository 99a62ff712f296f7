"""With Tor on, nothing leaves the process except to tor's SOCKS port, and no name is looked up.

A Python audit hook records every `socket.connect` and `socket.getaddrinfo` in this process while
a registration (over the onion address and over the exit), a login, a probe and a providers
refresh run through a real tor on the private Tor network. c-ares (aiodns) does its lookups in
C, out of the audit hook's sight, so it is made to fail loudly instead. Then a tor is killed
in the middle of a registration: the step fails, and still nothing is sent elsewhere.
"""

from __future__ import annotations

import contextlib
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from onboard.core.errors import OnboardError, TorUnavailableError
from onboard.core.probe import probe
from onboard.core.providers import refresh_providers
from onboard.core.xmpp.address import ServerAddress
from onboard.core.xmpp.registration import RegistrationSession, verify_login

pytestmark = [pytest.mark.timeout(300)]


class SocketAudit:
    """Every connect and name lookup of this process while `recording` is on."""

    def __init__(self) -> None:
        self.recording = False
        self.connects: list[object] = []
        self.lookups: list[object] = []
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.recording:
            return
        if event == "socket.connect":
            self.connects.append(args[1])
        elif event == "socket.getaddrinfo":
            self.lookups.append(args[0])

    @contextlib.contextmanager
    def watch(self) -> Iterator[SocketAudit]:
        self.connects.clear()
        self.lookups.clear()
        self.recording = True
        try:
            yield self
        finally:
            self.recording = False


_AUDIT: SocketAudit | None = None


@pytest.fixture(scope="session")
def audit() -> SocketAudit:
    global _AUDIT  # audit hooks cannot be removed: one for the whole run
    if _AUDIT is None:
        _AUDIT = SocketAudit()
    return _AUDIT


@pytest.fixture
def no_c_ares(monkeypatch: pytest.MonkeyPatch) -> None:
    """aiodns resolves in C, unseen by the audit hook: any use of it fails the test."""
    import aiodns

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a DNS resolver was created in Tor mode")

    monkeypatch.setattr(aiodns, "DNSResolver", refuse)


def only_to(address: tuple[str, int], connects: list[object]) -> None:
    assert connects, "nothing was connected at all"
    others = [c for c in connects if not (isinstance(c, tuple) and tuple(c[:2]) == address)]
    assert others == []


def new_name() -> str:
    return "tor" + secrets.token_hex(4)


@pytest.mark.usefixtures("no_c_ares")
async def test_everything_goes_through_the_socks_port(tor_network: Any, prosody: Any,
                                                      audit: SocketAudit,
                                                      tmp_path: Path) -> None:
    from onboard.core.network import for_new_account
    from onboard.core.tor.network import TorNetwork
    from tests.providers_server import serve

    socks = ("127.0.0.1", tor_network.socks_port)
    network = TorNetwork(socks)
    tor_network.wait_for_onion()
    over_onion = ServerAddress("open.test", tor_network.onion_address, 5222,
                               ca_file=prosody.ca_file)
    over_exit = ServerAddress("open.test", "127.0.0.1", prosody.starttls_port,
                              ca_file=prosody.ca_file)
    with serve(tmp_path, hostname="127.0.0.1") as lists, audit.watch():
        for server in (over_onion, over_exit):
            name, password = new_name(), secrets.token_urlsafe(16)
            session = RegistrationSession(server, for_new_account(network))
            try:
                await session.open()
                account = await session.submit({"username": [name], "password": [password]})
            finally:
                await session.close()
            assert prosody.user_exists("open.test", name)
            await verify_login(account.jid, password, server, network)
        result = await probe(over_onion, network)
        listing = await refresh_providers(network, url=lists.url(), ca_file=lists.ca_file)
    assert result.ok and result.registration.advertised
    assert listing.source == "refreshed", listing.note
    only_to(socks, audit.connects)
    assert audit.lookups == []


@pytest.mark.usefixtures("no_c_ares")
async def test_a_tor_killed_mid_registration_fails_closed(tor_network: Any, prosody: Any,
                                                          audit: SocketAudit) -> None:
    import threading

    from onboard.core.tor.launch import LaunchedTor
    from onboard.core.tor.network import TorNetwork

    tor_network.wait_for_onion()
    launched = LaunchedTor(extra_config=tor_network.client_options())
    try:
        launched.bootstrap(lambda status: None, cancel=threading.Event())
        socks = launched.socks
        network = TorNetwork(socks)
        server = ServerAddress("open.test", tor_network.onion_address, 5222,
                               ca_file=prosody.ca_file)
        name = new_name()
        with audit.watch():
            session = RegistrationSession(server, network)
            try:
                await session.open()
                launched.stop()  # tor dies between the form and the answer
                with pytest.raises(OnboardError):
                    await session.submit({"username": [name],
                                          "password": [secrets.token_urlsafe(16)]})
            finally:
                await session.close()
            with pytest.raises(TorUnavailableError):
                await RegistrationSession(server, network).open()
    finally:
        launched.stop()
    assert not prosody.user_exists("open.test", name)
    only_to(socks, audit.connects)
    assert audit.lookups == []
