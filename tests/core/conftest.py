"""Fixtures of the core tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

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


class SilentServer:
    """A real TCP listener on loopback that accepts, reads, and never answers."""

    def __init__(self) -> None:
        self.port = 0
        self.accepted = 0
        self.closed = 0
        self._changed = asyncio.Event()
        self._listener: asyncio.Server | None = None

    async def start(self) -> SilentServer:
        self._listener = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._listener.sockets[0].getsockname()[1]
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._count("accepted")
        with contextlib.suppress(ConnectionError):
            while await reader.read(1 << 16):
                pass
        self._count("closed")
        writer.close()

    def _count(self, which: str) -> None:
        setattr(self, which, getattr(self, which) + 1)
        self._changed.set()

    async def wait_for(self, which: str, count: int, timeout: float = 10) -> None:
        """Until `accepted` or `closed` reaches `count` (clients closed their sockets)."""
        async with asyncio.timeout(timeout):
            while getattr(self, which) < count:
                self._changed.clear()
                await self._changed.wait()

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()


@pytest.fixture
async def silent_server() -> AsyncIterator[SilentServer]:
    server = await SilentServer().start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def tls_1_2_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client offers TLS 1.2 at most: Prosody then adds SCRAM-SHA-1-PLUS (tls-unique)."""
    import ssl

    from onboard.core.xmpp import connection

    original = connection.ssl_context_for

    def tls12(address: ServerAddress) -> ssl.SSLContext:
        context = original(address)
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        return context

    monkeypatch.setattr(connection, "ssl_context_for", tls12)
