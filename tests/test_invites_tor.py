"""Invites with Tor on: making one and signing up with it go through tor's SOCKS port only, over
the test Prosody's onion address, and no name is looked up (see test_tor_leaks.py)."""

from __future__ import annotations

from typing import Any

import pytest

from onboard.core.network import for_new_account
from onboard.core.tor.network import TorNetwork
from onboard.core.xmpp.address import ServerAddress
from onboard.core.xmpp.invites import create_invite
from tests.core.test_invites import sign_up
from tests.servers.audit import SocketAudit, audit
from tests.test_tor_leaks import no_c_ares

__all__ = ["audit", "no_c_ares"]  # fixtures, shared with test_tor_leaks.py
pytestmark = [pytest.mark.timeout(300), pytest.mark.prosody]
TIMEOUT = 60.0


@pytest.mark.usefixtures("no_c_ares")
async def test_an_invite_over_tor(tor_network: Any, prosody: Any, audit: SocketAudit) -> None:
    socks = ("127.0.0.1", tor_network.socks_port)
    network = TorNetwork(socks)
    tor_network.wait_for_onion()
    over_onion = ServerAddress("invite.test", tor_network.onion_address, 5222,
                               ca_file=prosody.ca_file)
    token = prosody.account_invite("invite.test")  # the admin's side, outside the watch
    with audit.watch():
        alice, password = await sign_up(over_onion, token, "toralice", for_new_account(network),
                                        TIMEOUT)
        invite = await create_invite(alice, password, over_onion, network, TIMEOUT)
        friend, _password = await sign_up(over_onion, invite.token, "torfriend",
                                          for_new_account(network), TIMEOUT)
    assert invite.uri.startswith(f"xmpp:{alice}?roster;preauth=")
    assert prosody.user_exists("invite.test", friend.partition("@")[0])
    audit.only_to(socks)
