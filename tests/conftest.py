"""Fixtures shared by the whole suite. The Prosody server itself is in tests/servers/prosody.py."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterator

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


@pytest.fixture(scope="session")
def dns(prosody: ProsodyServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A real DNS server with XMPP SRV records for the Prosody hosts (see test_srv.py)."""
    import shutil

    from tests.servers.dns import DnsServer

    if shutil.which("dnsmasq") is None and not os.path.exists("/usr/sbin/dnsmasq"):
        reason = "dnsmasq is not installed (apt-get install dnsmasq-base)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    records = [
        # open.test: direct TLS preferred (priority 0), STARTTLS as the fallback.
        f"_xmpps-client._tcp.open.test,localhost,{prosody.direct_tls_port},0,10",
        f"_xmpp-client._tcp.open.test,localhost,{prosody.starttls_port},5,10",
        # fields.test: only STARTTLS; a dead direct-TLS port comes first and must be skipped.
        "_xmpps-client._tcp.fields.test,localhost,1,0,10",
        f"_xmpp-client._tcp.fields.test,localhost,{prosody.starttls_port},5,10",
        # gone.test: "." as the target: the service is decidedly not available.
        "_xmpps-client._tcp.gone.test",
        "_xmpp-client._tcp.gone.test",
    ]
    server = DnsServer(tmp_path_factory.mktemp("dns"), records).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def tor_network(prosody: ProsodyServer,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A private Tor network on 127.0.0.1 for the whole session: three authorities, a relay, an
    exit, an obfs4 bridge, an onion service for Prosody's STARTTLS port and a client (see
    tests/servers/tornet.py). Starting it takes 15-40 s, once."""
    from tests.servers.tornet import PrivateTorNetwork, missing_programs

    missing = missing_programs()
    if missing:
        reason = (f"{', '.join(missing)} not installed (apt-get install tor obfs4proxy): "
                  "the private Tor network tests need them")
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    network = PrivateTorNetwork(tmp_path_factory.mktemp("tornet"), prosody.starttls_port)
    try:
        network.start()
        yield network
    finally:
        network.stop()


@pytest.fixture
def make_account(prosody: ProsodyServer) -> Callable[..., Awaitable[tuple[str, str]]]:
    """Register a fresh account on the test Prosody's open.test: `await make_account("alice")`
    returns (jid, password). Its credentials are saved in the test's XMPP_ONBOARD_HOME, and
    its login is checked and recorded, as the wizard does (so it is not an unfinished one)."""
    import secrets

    from onboard.core import accounts
    from onboard.core.network import DirectNetwork
    from onboard.core.xmpp.address import ServerAddress
    from onboard.core.xmpp.registration import RegistrationSession, verify_login

    address = ServerAddress("open.test", prosody.host, prosody.starttls_port, False,
                            prosody.ca_file)

    async def make(prefix: str = "user") -> tuple[str, str]:
        name = f"{prefix}{secrets.token_hex(4)}"
        password = secrets.token_urlsafe(12)
        session = RegistrationSession(address, DirectNetwork(), timeout=10)
        try:
            await session.open()
            account = await session.submit({"username": [name], "password": [password]})
        finally:
            await session.close()
        await verify_login(account.jid, password, address, DirectNetwork(), timeout=10)
        accounts.mark_login_verified(account.jid)
        return account.jid, password
    return make
