"""The Tor route: every connection is a SOCKS5 CONNECT to tor, and no name is looked up here.

`TorNetwork` implements `onboard.core.network.Network`. It fails closed by construction: the
only socket it ever connects goes to the SOCKS proxy (an IP address), XMPP discovery does no
DNS at all, and its HTTP client gets each connection from `open_socket` too. A tor that is gone
or refuses is an error, never a reason to connect some other way.

Importing this module imports httpcore (about 0.1 s): import it once Tor mode is chosen.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import ssl
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpcore

from onboard.core.errors import NetworkTimeoutError, OnboardError
from onboard.core.network import XMPP_CLIENT_PORT, Endpoint, Network
from onboard.core.tor.socks import proxy_address, socks5_connect

if TYPE_CHECKING:
    import httpx

DEFAULT_SOCKS = ("127.0.0.1", 9050)
# Keep-alive and pool sizes as httpx's own defaults.
_MAX_CONNECTIONS = 100
_MAX_KEEPALIVE = 20
_KEEPALIVE_EXPIRY = 5.0
# How long closing a TLS stream may wait for the peer's close_notify.
_CLOSE_TIMEOUT = 2.0


def _normalized(domain: str) -> str:
    return domain.strip().rstrip(".").lower()


class TorNetwork:
    """Connections through tor's SOCKS5 port.

    `socks` is the proxy (an IP address, or "localhost"; ValueError otherwise). `isolation`,
    when set, is sent as SOCKS user name and password: tor puts streams with other credentials
    on other circuits, so each copy from `isolated()` gets paths of its own. `onions` maps an
    XMPP domain to its onion hosts, tried before the domain itself.
    """

    name = "tor"

    def __init__(self, socks: tuple[str, int] = DEFAULT_SOCKS, *,
                 isolation: str | None = None,
                 onions: Mapping[str, Sequence[str]] | None = None) -> None:
        proxy_address(socks)  # a name would need a lookup outside Tor: refuse it now
        if isolation is not None and not 0 < len(isolation.encode()) < 256:
            raise ValueError("an isolation token is 1 to 255 bytes long")
        self._socks = socks
        self._isolation = isolation
        self._onions: dict[str, tuple[str, ...]] = {}
        for domain, hosts in (onions or {}).items():
            if isinstance(hosts, str):  # a lone string would be split into letters
                hosts = (hosts,)
            cleaned = tuple(dict.fromkeys(_normalized(h) for h in hosts if h.strip()))
            if cleaned:
                self._onions[_normalized(domain)] = cleaned

    @property
    def socks(self) -> tuple[str, int]:
        """The SOCKS proxy as given."""
        return self._socks

    @property
    def onions(self) -> dict[str, tuple[str, ...]]:
        """The known onion hosts, by XMPP domain (a copy)."""
        return dict(self._onions)

    @property
    def is_isolated(self) -> bool:
        """Whether this network sends its own SOCKS credentials (see `isolated`)."""
        return self._isolation is not None

    def __repr__(self) -> str:
        # The isolation token links this network's circuits: never shown.
        host, port = self._socks
        return (f"TorNetwork(socks={host}:{port}, isolated={self.is_isolated}, "
                f"onions={len(self._onions)})")

    def isolated(self) -> TorNetwork:
        """A copy with a fresh random isolation token (its own circuits): one per account."""
        return TorNetwork(self._socks, isolation=secrets.token_hex(16), onions=self._onions)

    def with_onions(self, onions: Mapping[str, Sequence[str]]) -> TorNetwork:
        """A copy (same proxy, same isolation) that knows these onion hosts."""
        return TorNetwork(self._socks, isolation=self._isolation, onions=onions)

    async def discover_xmpp(self, domain: str, timeout: float) -> list[Endpoint]:
        """The domain's onion hosts first, then the domain itself, all STARTTLS on 5222.

        No DNS at all: an SRV look-up would go to the local resolver and tell it (and whoever
        watches it) which server is being contacted, the very thing Tor mode hides. Tor has
        no SRV look-up of its own, so XEP-0368 direct TLS and SRV-only hosts are not found;
        servers reachable at their domain on 5222 work, which covers the usual case.
        """
        name = _normalized(domain)
        endpoints = [Endpoint(onion, XMPP_CLIENT_PORT, False)
                     for onion in self._onions.get(name, ()) if onion != name]
        endpoints.append(Endpoint(name, XMPP_CLIENT_PORT, False))
        return endpoints

    async def open_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        """A socket to host:port through tor: the name goes to tor, and tor connects.

        Raises TorUnavailableError, TorProxyError or NetworkTimeoutError; there is no other
        way out.
        """
        return await socks5_connect(self._socks, host, port, timeout,
                                    username=self._isolation, password=self._isolation)

    def http_client(self, timeout: float, ca_file: Path | None = None) -> httpx.AsyncClient:
        """An HTTP client whose every connection comes from `open_socket` (so through tor)."""
        return routed_http_client(self, timeout, ca_file)


# --- HTTP over any Network ------------------------------------------------------------------
# httpx opens its connections through an httpcore "network backend". The one below asks a
# `Network` for each socket instead of resolving and connecting itself, so an httpx client
# built on it takes exactly the route of that network (DirectNetwork could use it as well).


class SocketStream(httpcore.AsyncNetworkStream):
    """An asyncio stream pair (plain or TLS) as httpcore wants it, with httpcore's errors."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError as exc:  # before OSError: TimeoutError is one
            raise httpcore.ReadTimeout("reading took too long") from exc
        except OSError as exc:
            raise httpcore.ReadError(str(exc) or type(exc).__name__) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            async with asyncio.timeout(timeout):
                self._writer.write(buffer)
                await self._writer.drain()
        except TimeoutError as exc:
            raise httpcore.WriteTimeout("writing took too long") from exc
        except OSError as exc:
            raise httpcore.WriteError(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        self._writer.close()
        try:
            async with asyncio.timeout(_CLOSE_TIMEOUT):
                await self._writer.wait_closed()
        except (OSError, TimeoutError):
            self._writer.transport.abort()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError as exc:
            self._writer.transport.abort()
            raise httpcore.ConnectTimeout("the TLS handshake took too long") from exc
        except OSError as exc:  # ssl.SSLError (a bad certificate too) is an OSError
            self._writer.transport.abort()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "ssl_object":
            return self._writer.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._writer.get_extra_info("sockname")
        if info == "server_addr":  # the proxy's address for a TorNetwork
            return self._writer.get_extra_info("peername")
        if info == "socket":
            return self._writer.get_extra_info("socket")
        if info == "is_readable":  # asked of idle connections: did the server hang up?
            return (self._reader.at_eof() or self._reader.exception() is not None
                    or self._writer.transport.is_closing())
        return None


class NetworkBackendFor(httpcore.AsyncNetworkBackend):
    """httpcore's way to the network, replaced by `network.open_socket`.

    Errors of the network become httpcore errors (so httpx callers see httpx.ConnectError or
    httpx.ConnectTimeout) with the OnboardError as their cause: see `onboard_error_in`.
    `local_address` cannot apply to a connection that someone else opens and is ignored;
    unix sockets are refused.
    """

    def __init__(self, network: Network, timeout: float) -> None:
        self._network = network
        self._timeout = timeout  # for a connect that httpx gives no timeout

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
                          ) -> httpcore.AsyncNetworkStream:
        seconds = self._timeout if timeout is None else timeout
        try:
            sock = await self._network.open_socket(host, port, seconds)
        except NetworkTimeoutError as exc:
            raise httpcore.ConnectTimeout(exc.message) from exc
        except OnboardError as exc:
            raise httpcore.ConnectError(exc.message) from exc
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
            reader, writer = await asyncio.open_connection(sock=sock)
        except BaseException:
            sock.close()
            raise
        return SocketStream(reader, writer)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
                                  ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not part of this network")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def routed_http_client(network: Network, timeout: float,
                       ca_file: Path | None = None) -> httpx.AsyncClient:
    """An httpx client whose connections all come from `network.open_socket`.

    Certificates are checked against the system CAs, or `ca_file`, as DirectNetwork does; no
    proxy settings from the environment, no redirects followed.
    """
    import httpx  # imported late, as everywhere

    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    transport = httpx.AsyncHTTPTransport(verify=context, trust_env=False)
    # httpx builds its pool with httpcore's own backend (which resolves and connects by
    # itself); the same pool with ours instead. httpx only ever uses `_pool` to send.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=context,
        max_connections=_MAX_CONNECTIONS,
        max_keepalive_connections=_MAX_KEEPALIVE,
        keepalive_expiry=_KEEPALIVE_EXPIRY,
        http1=True,
        http2=False,
        network_backend=NetworkBackendFor(network, timeout),
    )
    return httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False,
                             trust_env=False)


if TYPE_CHECKING:
    def _is_a_network(network: TorNetwork) -> Network:  # mypy checks the protocol here
        return network
