"""The route while Tor is asked for but not connected yet: nothing leaves, by construction.

A wizard state whose Tor mode is on never holds a direct network: it holds a `ClosedNetwork`,
whose every way out fails with a plain "Tor is not connected yet". The targets below are real
(the test Prosody, a real https list server), so a connection that got out would succeed; a
Python audit hook records every `socket.connect` and `socket.getaddrinfo` of this process to
show that none was even tried.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from onboard.core.errors import TorUnavailableError, onboard_error_in
from onboard.core.flow import WizardState
from onboard.core.network import ClosedNetwork, DirectNetwork, TorNotConnectedError
from onboard.core.omemo.pep import fetch_devices
from onboard.core.providers import refresh_providers
from onboard.core.tor.network import TorNetwork
from onboard.core.xmpp.address import ServerAddress
from onboard.core.xmpp.registration import RegistrationSession, verify_login
from tests.servers.audit import SocketAudit, audit

__all__ = ["audit"]  # a fixture, the one recorder of the run (tests/servers/audit.py)


# --- the state: closed while Tor is asked for -------------------------------------------------


@pytest.mark.parametrize("mode", ["auto", "system", "browser", "launch",
                                  "socks5://127.0.0.1:9050", "something unknown"])
def test_a_state_with_tor_asked_for_starts_closed(mode: str) -> None:
    state = WizardState(tor_mode=mode)
    assert isinstance(state.network, ClosedNetwork)
    assert state.tor_requested and not state.tor_on


def test_a_state_without_tor_is_direct() -> None:
    state = WizardState()
    assert isinstance(state.network, DirectNetwork)
    assert not state.tor_requested and not state.tor_on


def test_the_network_follows_the_tor_mode_until_a_tor_route_is_set() -> None:
    state = WizardState()
    state.tor_mode = "launch"  # e.g. the threat step's answers
    assert isinstance(state.network, ClosedNetwork)
    state.network = DirectNetwork()  # a direct network is not taken while Tor is asked for
    assert isinstance(state.network, ClosedNetwork)
    tor = TorNetwork(("127.0.0.1", 9050))
    state.network = tor  # the connection step opened the route
    assert state.network is tor and state.tor_on and state.tor_requested
    state.tor_mode = "off"  # "Directly" chosen: the route goes when the coordinator says so
    assert state.network is tor
    state.network = DirectNetwork()
    assert isinstance(state.network, DirectNetwork) and not state.tor_requested
    state.tor_mode = "system"
    assert isinstance(state.network, ClosedNetwork)
    state.tor_mode = "off"  # only "off" means direct: closed becomes direct again
    assert isinstance(state.network, DirectNetwork)


def test_a_direct_network_given_with_tor_asked_for_is_closed() -> None:
    state = WizardState(network=DirectNetwork(nameservers=["127.0.0.1"]), tor_mode="auto")
    assert isinstance(state.network, ClosedNetwork)


# --- the closed network: every way out fails, nothing is tried ------------------------------


def test_the_error_says_tor_is_not_connected() -> None:
    error = TorNotConnectedError()
    assert isinstance(error, TorUnavailableError)  # handled wherever a gone tor is
    assert error.message == "Tor is not connected yet, so nothing was sent."
    assert "Nothing is ever sent without Tor" in error.hint
    assert error.exit_code == 13


async def test_every_way_out_fails_and_nothing_connects(audit: SocketAudit, tmp_path: Path) -> None:
    from tests.providers_server import serve

    network = ClosedNetwork()
    with serve(tmp_path, hostname="127.0.0.1") as lists:
        with audit.watch():
            with pytest.raises(TorNotConnectedError):
                await network.discover_xmpp("example.org", 5)
            with pytest.raises(TorNotConnectedError):
                await network.open_socket("127.0.0.1", int(lists.base.rsplit(":", 1)[1]), 5)
            async with network.http_client(5, lists.ca_file) as client:
                with pytest.raises(httpx.ConnectError) as caught:
                    await client.get(lists.url())
            assert isinstance(onboard_error_in(caught.value), TorNotConnectedError)
            listing = await refresh_providers(network, url=lists.url(), ca_file=lists.ca_file)
        assert audit.events == []
        # The same list server answers the direct route: the closed one really held back.
        direct = await refresh_providers(DirectNetwork(), url=lists.url(),
                                         ca_file=lists.ca_file)
    assert listing.source != "refreshed"
    assert listing.note is not None and "Tor is not connected yet" in listing.note
    assert direct.source == "refreshed", direct.note


@pytest.mark.prosody
async def test_xmpp_through_the_closed_network_never_reaches_the_server(
        prosody: Any, audit: SocketAudit) -> None:
    """Registration, a login and reading devices, pointed at the real Prosody by address (no
    discovery needed): each fails with the Tor error and the server sees nothing."""
    network = ClosedNetwork()
    by_address = ServerAddress("open.test", prosody.host, prosody.starttls_port,
                               ca_file=prosody.ca_file)
    by_name = ServerAddress("open.test")  # would need discovery (DNS) first
    with audit.watch():
        for server in (by_address, by_name):
            session = RegistrationSession(server, network, timeout=5)
            try:
                with pytest.raises(TorNotConnectedError):
                    await session.open()
            finally:
                await session.close()
            with pytest.raises(TorNotConnectedError):
                await verify_login("alice@open.test", "not sent", server, network, timeout=5)
            with pytest.raises(TorNotConnectedError):
                await fetch_devices("alice@open.test", "not sent", None, server, network,
                                    timeout=5)
    assert audit.events == []
