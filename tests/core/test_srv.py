"""Connection discovery with real DNS SRV records (XEP-0368) served by dnsmasq on loopback."""

from __future__ import annotations

import pytest

from onboard.core.errors import NoXmppServiceError
from onboard.core.network import DirectNetwork, Endpoint
from onboard.core.xmpp.address import ServerAddress
from onboard.core.xmpp.registration import RegistrationSession, verify_login

pytestmark = pytest.mark.prosody


async def test_srv_records_are_found_in_order(dns, prosody) -> None:  # type: ignore[no-untyped-def]
    network = DirectNetwork([dns.nameserver])
    assert await network.discover_xmpp("open.test", 5) == [
        Endpoint("localhost", prosody.direct_tls_port, True),
        Endpoint("localhost", prosody.starttls_port, False),
    ]
    assert await network.discover_xmpp("gone.test", 5) == []


async def test_no_records_fall_back_to_the_domain_on_5222(dns) -> None:  # type: ignore[no-untyped-def]
    network = DirectNetwork([dns.nameserver])
    assert await network.discover_xmpp("plain.test", 5) == [Endpoint("plain.test", 5222)]


@pytest.mark.parametrize("domain", ["open.test", "fields.test"])
async def test_register_where_srv_points(dns, prosody, domain: str) -> None:  # type: ignore[no-untyped-def]
    """No host or port given: discovery alone leads to the server, skipping a dead endpoint."""
    network = DirectNetwork([dns.nameserver])
    address = ServerAddress(domain, ca_file=prosody.ca_file)
    session = RegistrationSession(address, network, timeout=10)
    try:
        form = await session.open()
        assert session.client is not None
        used = session.client.connected_endpoint
        expected_tls = domain == "open.test"
        assert used is not None and used.direct_tls is expected_tls
        answers = {"username": [f"srv{domain[:4]}"], "password": ["srv-password-1234"]}
        for field in form.extra_fields():
            answers.setdefault(field.var, ["srv@example.org"])
        account = await session.submit(answers)
    finally:
        await session.close()
    await verify_login(account.jid, "srv-password-1234", address, network, timeout=10)
    assert prosody.user_exists(domain, f"srv{domain[:4]}")


async def test_a_domain_without_xmpp_service_is_explained(dns) -> None:  # type: ignore[no-untyped-def]
    session = RegistrationSession(ServerAddress("gone.test"), DirectNetwork([dns.nameserver]),
                                  timeout=5)
    with pytest.raises(NoXmppServiceError) as caught:
        await session.open()
    assert "gone.test" in caught.value.message and caught.value.exit_code == 7
