"""Fixtures of the core tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from onboard.core.xmpp.address import ServerAddress
from tests.servers.prosody import ProsodyServer


@pytest.fixture
def server(prosody: ProsodyServer) -> Callable[..., ServerAddress]:
    """Addresses of the test Prosody's hosts: STARTTLS or direct TLS, with or without its CA."""
    def make(domain: str, *, direct_tls: bool = False, ca: bool = True,
             port: int | None = None) -> ServerAddress:
        chosen = port or (prosody.direct_tls_port if direct_tls else prosody.starttls_port)
        return ServerAddress(domain, prosody.host, chosen, direct_tls,
                             prosody.ca_file if ca else None)
    return make
