"""With Tor on, nothing leaves the process except to tor's SOCKS port, and no name is looked up.

A Python audit hook records every `socket.connect` and `socket.getaddrinfo` in this process while
a registration (over the onion address and over the exit), a login, a probe and a providers
refresh run through a real tor on the private Tor network. c-ares (aiodns) does its lookups in
C, out of the audit hook's sight, so it is made to fail loudly instead. Then a tor of the app's
own is stopped in the middle of a registration, a probe and a providers refresh: each step fails
with a Tor error that says so, the next attempt finds no Tor, and still nothing is sent
elsewhere.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from onboard.core.errors import TorConnectionLostError, TorUnavailableError
from onboard.core.network import Endpoint
from onboard.core.probe import probe
from onboard.core.providers import refresh_providers
from onboard.core.xmpp.address import ServerAddress
from onboard.core.xmpp.registration import RegistrationSession, verify_login
from tests.servers.audit import SocketAudit, audit

if TYPE_CHECKING:
    import httpx

    from onboard.core.tor.launch import LaunchedTor
    from onboard.core.tor.network import TorNetwork

__all__ = ["audit"]  # a fixture, the one recorder of the run (tests/servers/audit.py)
pytestmark = [pytest.mark.timeout(300)]


@pytest.fixture
def no_c_ares(monkeypatch: pytest.MonkeyPatch) -> None:
    """aiodns resolves in C, unseen by the audit hook: any use of it fails the test."""
    import aiodns

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a DNS resolver was created in Tor mode")

    monkeypatch.setattr(aiodns, "DNSResolver", refuse)


def new_name() -> str:
    return "tor" + secrets.token_hex(4)


@pytest.fixture
def own_tor(tor_network: Any) -> Iterator[LaunchedTor]:
    """A tor of the app's own (LaunchedTor), joined to the private network, at 100 %."""
    from onboard.core.tor.launch import LaunchedTor

    tor_network.wait_for_onion()
    launched = LaunchedTor(extra_config=tor_network.client_options())
    try:
        launched.bootstrap(lambda status: None, cancel=threading.Event())
        asyncio.run(reachable_through(launched.socks, tor_network.onion_address, 5222))
        yield launched
    finally:
        launched.stop()


async def reachable_through(socks: tuple[str, int], host: str, port: int,
                            within: float = 60.0) -> None:
    """Wait until a new tor opens a connection to host:port (its first onion or exit
    request may fail while it fetches what it needs), so a test tests the program."""
    from onboard.core.errors import OnboardError
    from onboard.core.tor.socks import socks5_connect

    deadline = asyncio.get_running_loop().time() + within
    while True:
        try:
            (await socks5_connect(socks, host, port, 20)).close()
            return
        except OnboardError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(1)


class StopsTor:
    """A real TorNetwork that stops the tor behind it at one moment of a step: just before
    its first connection ("before") or just after tor opened it ("after")."""

    name = "tor"

    def __init__(self, network: TorNetwork, launched: LaunchedTor, when: str) -> None:
        self.network = network
        self.launched = launched
        self.when = when
        self.stopped = False

    async def _stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            await asyncio.to_thread(self.launched.stop)
            assert not self.launched.running

    async def discover_xmpp(self, domain: str, timeout: float) -> list[Endpoint]:
        return await self.network.discover_xmpp(domain, timeout)

    async def open_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        if self.when == "before":
            await self._stop()
        sock = await self.network.open_socket(host, port, timeout)
        if self.when == "after":
            await self._stop()
        return sock

    def http_client(self, timeout: float, ca_file: Path | None = None) -> httpx.AsyncClient:
        from onboard.core.tor.network import routed_http_client

        return routed_http_client(self, timeout, ca_file)


def says_tor(text: str | None) -> None:
    assert text is not None and "Tor" in text, text


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
    audit.only_to(socks)


@pytest.mark.usefixtures("no_c_ares")
async def test_a_tor_killed_mid_registration_fails_closed(own_tor: LaunchedTor, tor_network: Any,
                                                          prosody: Any,
                                                          audit: SocketAudit) -> None:
    from onboard.core.tor.network import TorNetwork

    socks = own_tor.socks
    network = TorNetwork(socks)
    server = ServerAddress("open.test", tor_network.onion_address, 5222, ca_file=prosody.ca_file)
    name = new_name()
    with audit.watch():
        session = RegistrationSession(server, network)
        try:
            await session.open()
            own_tor.stop()  # tor dies between the form and the answer
            with pytest.raises(TorConnectionLostError) as lost:
                await session.submit({"username": [name],
                                      "password": [secrets.token_urlsafe(16)]})
        finally:
            await session.close()
        with pytest.raises(TorUnavailableError) as gone:
            await RegistrationSession(server, network).open()
    assert not prosody.user_exists("open.test", name)
    says_tor(lost.value.message)
    says_tor(gone.value.message)
    assert gone.value.where == f"{socks[0]}:{socks[1]}"
    audit.only_to(socks)


@pytest.mark.usefixtures("no_c_ares")
async def test_a_tor_killed_mid_probe_fails_closed(own_tor: LaunchedTor, tor_network: Any,
                                                   prosody: Any, audit: SocketAudit) -> None:
    """tor stops right after it opened the connection to the onion address, before the
    XMPP stream: the probe reports the lost Tor connection, and the next one finds no Tor."""
    from onboard.core.tor.network import TorNetwork

    socks = own_tor.socks
    server = ServerAddress("open.test", tor_network.onion_address, 5222, ca_file=prosody.ca_file)
    network = StopsTor(TorNetwork(socks), own_tor, "after")
    with audit.watch():
        cut = await probe(server, network)
        again = await probe(server, TorNetwork(socks))
    assert network.stopped
    assert cut.reachable and not cut.ok and not cut.tls.valid
    assert cut.endpoint == Endpoint(tor_network.onion_address, 5222)
    assert cut.condition == TorConnectionLostError.condition
    says_tor(cut.error)
    assert not again.reachable and not again.ok
    assert (again.condition, again.exit_code) == ("tor-unavailable", 13)
    says_tor(again.error)
    audit.only_to(socks)


@pytest.mark.usefixtures("no_c_ares")
async def test_a_tor_killed_mid_refresh_fails_closed(own_tor: LaunchedTor, tmp_path: Path,
                                                     audit: SocketAudit) -> None:
    """tor stops as the refresh opens its connection: the old list stays, its note names
    Tor, and nothing went anywhere but to tor."""
    from onboard.core.tor.network import TorNetwork
    from tests.providers_server import serve

    socks = own_tor.socks
    network = StopsTor(TorNetwork(socks), own_tor, "before")
    with serve(tmp_path, hostname="127.0.0.1") as lists, audit.watch():
        listing = await refresh_providers(network, url=lists.url(), ca_file=lists.ca_file)
    assert network.stopped
    assert listing.source != "refreshed" and listing.providers
    says_tor(listing.note)
    assert f"{socks[0]}:{socks[1]}" in (listing.note or "")
    audit.only_to(socks)


@pytest.mark.usefixtures("no_c_ares")
async def test_a_tor_killed_while_the_list_server_answers_fails_closed(
        own_tor: LaunchedTor, tmp_path: Path, audit: SocketAudit) -> None:
    """tor stops once it has opened the connection to the list server, which answers only
    after 3 s: the download fails, the old list stays, and no byte went around Tor."""
    from onboard.core.tor.network import TorNetwork
    from tests.providers_server import serve

    socks = own_tor.socks
    network = StopsTor(TorNetwork(socks), own_tor, "after")
    with serve(tmp_path, hostname="127.0.0.1") as lists:
        port = int(lists.base.rpartition(":")[2])
        await reachable_through(socks, "127.0.0.1", port)  # the exit works
        with audit.watch():
            listing = await refresh_providers(network, url=lists.url("/slow.json"),
                                              ca_file=lists.ca_file, timeout=30)
    assert network.stopped
    assert listing.source != "refreshed" and listing.providers
    assert listing.note and "could not be refreshed" in listing.note
    says_tor(listing.note)  # the connection through Tor ended: the note says so
    audit.only_to(socks)
