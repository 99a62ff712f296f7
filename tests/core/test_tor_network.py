"""TorNetwork: no DNS, every connection to the SOCKS proxy, one circuit identity per copy.

The SOCKS server is the scripted one (its own thread and loop); for HTTPS it relays to a real
HTTPS server on loopback whose certificate names "lists.example.test", a name that exists
nowhere, so the request only works if the name went to the proxy and nothing resolved it here.
A process-wide audit hook records every connect and name look-up, from any thread (a look-up
handed to an executor thread would count too); only the scripted server's own thread, the far
side of the proxy, is left out of the connects.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from onboard.core.errors import (
    NetworkTimeoutError,
    TorProxyError,
    TorUnavailableError,
    onboard_error_in,
)
from onboard.core.network import Endpoint, Network, for_new_account
from onboard.core.tor.network import TorNetwork
from tests.providers_server import ListServer, serve
from tests.servers.socks_script import ATYP_DOMAIN, ScriptedSocks

LIST_HOST = "lists.example.test"
ONION = "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuv.onion"


class Audit:
    """Every `socket.connect` and `socket.getaddrinfo` of this process, in any thread, while
    watching; `connects` leaves out those of the threads passed as `far_side` (a scripted
    SOCKS server relaying to a local server is the network beyond the proxy, not the code
    under test). `far_side_lookups` are the look-ups made there."""

    def __init__(self) -> None:
        self.recording = False
        self.far_side: frozenset[int] = frozenset()
        self.connects: list[Any] = []
        self.lookups: list[Any] = []
        self.far_side_lookups: list[Any] = []
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.recording or event not in ("socket.connect", "socket.getaddrinfo"):
            return
        far = threading.get_ident() in self.far_side
        if event == "socket.connect":
            if not far:
                self.connects.append(args[1])
        else:
            (self.far_side_lookups if far else self.lookups).append(args[:2])

    @contextlib.contextmanager
    def watch(self, *far_side: ScriptedSocks) -> Iterator[Audit]:
        self.connects.clear()
        self.lookups.clear()
        self.far_side_lookups.clear()
        # The scripted server runs its loop in a thread of its own (socks_script.py).
        self.far_side = frozenset(server._thread.ident or 0 for server in far_side)
        self.recording = True
        try:
            yield self
        finally:
            self.recording = False
            self.far_side = frozenset()


_AUDIT: list[Audit] = []


@pytest.fixture(scope="session")
def audit() -> Audit:
    if not _AUDIT:  # audit hooks cannot be removed: one for the whole run
        _AUDIT.append(Audit())
    return _AUDIT[0]


@pytest.fixture
def socks() -> Iterator[ScriptedSocks]:
    with ScriptedSocks() as server:
        yield server


@pytest.fixture
def lists(tmp_path: Path) -> Iterator[ListServer]:
    with serve(tmp_path, hostname=LIST_HOST) as server:
        yield server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# --- discovery -----------------------------------------------------------------------------------


async def test_discovery_puts_known_onions_first_and_looks_nothing_up(audit: Audit) -> None:
    network = TorNetwork(onions={"Example.org": [ONION, "second.onion", ONION]})
    with audit.watch():
        found = await network.discover_xmpp("example.org.", 5)
        other = await network.discover_xmpp("other.example", 5)
        itself = await network.discover_xmpp(ONION, 5)
    assert found == [Endpoint(ONION, 5222, False), Endpoint("second.onion", 5222, False),
                     Endpoint("example.org", 5222, False)]
    assert other == [Endpoint("other.example", 5222, False)]
    assert itself == [Endpoint(ONION, 5222, False)]
    assert audit.connects == [] and audit.lookups == []


async def test_copies_keep_the_proxy_and_the_onions() -> None:
    base = TorNetwork(("127.0.0.1", 9150))
    known = base.with_onions({"example.org": (ONION,)})
    assert base.onions == {} and known.onions == {"example.org": (ONION,)}
    fresh = known.isolated()
    assert (fresh.socks, fresh.onions, fresh.name) == (("127.0.0.1", 9150), known.onions, "tor")
    assert (await fresh.discover_xmpp("example.org", 5))[0].host == ONION
    assert not base.is_isolated and fresh.is_isolated
    assert for_new_account(base).is_isolated  # type: ignore[attr-defined]
    network: Network = fresh  # the protocol, as the rest of onboard sees it
    assert network.name == "tor"


def test_a_proxy_given_by_name_is_refused() -> None:
    with pytest.raises(ValueError):
        TorNetwork(("tor.example.org", 9050))
    assert TorNetwork(("localhost", 9050)).socks == ("localhost", 9050)


# --- open_socket ---------------------------------------------------------------------------------


async def test_open_socket_sends_the_name_to_the_proxy(socks: ScriptedSocks) -> None:
    sock = await TorNetwork(socks.address).open_socket("xmpp.example.org", 5222, 5)
    sock.close()
    (request,) = socks.requests
    assert (request.atyp, request.host, request.port) == (ATYP_DOMAIN, "xmpp.example.org", 5222)
    assert request.username is None and request.methods == b"\x00"


async def test_each_isolated_copy_has_credentials_of_its_own(socks: ScriptedSocks) -> None:
    base = TorNetwork(socks.address)
    first, second = base.isolated(), base.isolated()
    for network in (first, first, second, first.with_onions({"x.example": [ONION]})):
        (await network.open_socket("xmpp.example.org", 5222, 5)).close()
    one, again, two, with_onions = socks.requests
    assert one.methods == b"\x00\x02"
    assert one.username and one.username == one.password
    assert (again.username, with_onions.username) == (one.username, one.username)
    assert two.username and two.username != one.username
    for network, request in ((first, one), (second, two)):
        assert request.username is not None and request.username not in repr(network)
        assert "isolated=True" in repr(network)


async def test_proxy_errors_reach_the_caller(socks: ScriptedSocks) -> None:
    socks.reply = 0xF6
    with pytest.raises(TorProxyError) as caught:
        await TorNetwork(socks.address).open_socket(ONION, 5222, 5)
    assert caught.value.reason == "onion-bad-address"


async def test_no_tor_means_no_connection_at_all(audit: Audit) -> None:
    proxy = ("127.0.0.1", free_port())
    network = TorNetwork(proxy).isolated()
    with audit.watch():
        with pytest.raises(TorUnavailableError):
            await network.open_socket("xmpp.example.org", 5222, 5)
        with pytest.raises(TorUnavailableError):
            await network.open_socket("192.0.2.1", 5222, 5)
    assert audit.connects == [proxy, proxy]
    assert audit.lookups == []


# --- HTTP through the network --------------------------------------------------------------------


async def test_an_https_get_goes_through_the_proxy_by_name(socks: ScriptedSocks,
                                                           lists: ListServer) -> None:
    socks.script = "relay"
    socks.routes = {LIST_HOST: "127.0.0.1"}
    async with TorNetwork(socks.address).isolated().http_client(10, lists.ca_file) as client:
        first = await client.get(lists.url())
        second = await client.get(lists.url("/empty.json"))
        redirect = await client.get(lists.url("/redirect.json"))
    assert first.status_code == 200 and first.json()
    assert (second.status_code, second.json()) == (200, [])
    assert redirect.status_code == 302  # not followed
    assert socks.connections == 3  # the list server speaks HTTP/1.0: one connection each
    assert {(r.atyp, r.host) for r in socks.requests} == {(ATYP_DOMAIN, LIST_HOST)}
    assert len({r.username for r in socks.requests}) == 1  # one copy, one circuit
    assert socks.requests[0].username is not None


class KeepAliveServer:
    """HTTPS/1.1 on loopback for LIST_HOST that keeps connections open, or closes each one
    after its answer without saying so (`hang_up`), as servers do with idle connections."""

    def __init__(self, folder: Path) -> None:
        ca = trustme.CA()
        self.ca_file = folder / "keepalive-ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(LIST_HOST).configure_cert(self.context)
        self.hang_up = False
        self.port = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> KeepAliveServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0,
                                                  ssl=self.context)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    @property
    def url(self) -> str:
        return f"https://{LIST_HOST}:{self.port}/"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while await reader.readuntil(b"\r\n\r\n"):
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
                if self.hang_up:
                    break
        writer.close()


async def test_connections_are_kept_alive_and_dropped_when_the_server_hangs_up(
        socks: ScriptedSocks, tmp_path: Path) -> None:
    socks.script = "relay"
    socks.routes = {LIST_HOST: "127.0.0.1"}
    async with KeepAliveServer(tmp_path) as server, \
            TorNetwork(socks.address).http_client(10, server.ca_file) as client:
        for _ in range(3):
            assert (await client.get(server.url)).text == "ok"
        assert socks.connections == 1
        server.hang_up = True
        # The kept connection answers once more, then each request finds the last connection
        # closed (reusing it would end in "server disconnected") and opens a new one.
        for _ in range(3):
            assert (await client.get(server.url)).text == "ok"
            await asyncio.sleep(0.2)
        assert socks.connections == 3


async def test_environment_proxies_are_ignored(socks: ScriptedSocks, lists: ListServer,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:1")
    socks.script = "relay"
    socks.routes = {LIST_HOST: "127.0.0.1"}
    async with TorNetwork(socks.address).http_client(10, lists.ca_file) as client:
        assert (await client.get(lists.url("/empty.json"))).status_code == 200


async def test_the_certificate_is_checked(socks: ScriptedSocks, lists: ListServer,
                                          tmp_path: Path) -> None:
    socks.script = "relay"
    socks.routes = {LIST_HOST: "127.0.0.1"}
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    async with TorNetwork(socks.address).http_client(10, other_ca) as client:
        with pytest.raises(httpx.ConnectError) as caught:
            await client.get(lists.url())
    chain: list[BaseException] = []
    seen: BaseException | None = caught.value
    while seen is not None:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    assert any(isinstance(e, ssl.SSLCertVerificationError) for e in chain)


async def test_tor_errors_become_httpx_errors_with_the_cause(socks: ScriptedSocks) -> None:
    socks.script = "relay"  # no route for this name: 0x04, host unreachable
    async with TorNetwork(socks.address).http_client(10) as client:
        with pytest.raises(httpx.ConnectError) as caught:
            await client.get("https://nowhere.example.test/")
    error = onboard_error_in(caught.value)
    assert isinstance(error, TorProxyError) and error.reason == "host-unreachable"
    assert "nowhere.example.test:443" in str(caught.value)

    async with TorNetwork(("127.0.0.1", free_port())).http_client(10) as client:
        with pytest.raises(httpx.ConnectError) as down:
            await client.get("https://nowhere.example.test/")
    assert isinstance(onboard_error_in(down.value), TorUnavailableError)


async def test_a_silent_proxy_is_an_httpx_connect_timeout(socks: ScriptedSocks) -> None:
    socks.script = "silent"
    started = time.monotonic()
    async with TorNetwork(socks.address).http_client(0.5) as client:
        with pytest.raises(httpx.ConnectTimeout) as caught:
            await client.get("https://nowhere.example.test/")
    assert time.monotonic() - started < 2
    assert isinstance(onboard_error_in(caught.value), NetworkTimeoutError)


# --- the leak test -------------------------------------------------------------------------------


async def test_only_the_proxy_is_ever_connected_and_nothing_is_looked_up(
        audit: Audit, socks: ScriptedSocks, lists: ListServer) -> None:
    socks.script = "relay"
    socks.routes = {LIST_HOST: "127.0.0.1"}
    network = TorNetwork(socks.address, onions={"example.org": [ONION]}).isolated()
    with audit.watch(socks):
        endpoints = await network.discover_xmpp("example.org", 5)
        for endpoint in endpoints:  # the relay knows no XMPP server: 0x04 for each
            with pytest.raises(TorProxyError):
                await network.open_socket(endpoint.host, endpoint.port, 5)
        async with network.http_client(10, lists.ca_file) as client:
            response = await client.get(lists.url())
            with pytest.raises(httpx.ConnectError):  # a name the relay cannot reach
                await client.get("https://unknown.example.test/")
    assert response.status_code == 200
    assert audit.connects == [socks.address] * 4
    assert audit.lookups == []
    assert audit.far_side_lookups == []  # not even the relay needed one
    assert [r.host for r in socks.requests] == [ONION, "example.org", LIST_HOST,
                                                "unknown.example.test"]
