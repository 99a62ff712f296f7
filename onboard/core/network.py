"""The one object that decides how bytes leave the machine.

Every connection, XMPP and HTTP alike, asks a `Network` for its socket or HTTP client; nothing
else in onboard opens a socket. `DirectNetwork` connects from this machine; `TorNetwork`
(onboard.core.tor.network) goes through tor's SOCKS port; `ClosedNetwork` stands in while Tor is
asked for but not connected yet, and sends nothing. Callers never choose the route themselves.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from onboard.core.errors import (
    ConnectionRefusedError_,
    DnsError,
    NetworkError,
    NetworkTimeoutError,
    TorUnavailableError,
)
from onboard.i18n import _

if TYPE_CHECKING:
    import httpx

XMPP_CLIENT_PORT = 5222


@dataclass(frozen=True)
class Endpoint:
    """One way to reach an XMPP server: a host, a port, and whether TLS starts at once."""

    host: str
    port: int
    direct_tls: bool = False

    def __str__(self) -> str:
        return f"{self.host}:{self.port}" + (" (direct TLS)" if self.direct_tls else "")


class Network(Protocol):
    name: str

    async def discover_xmpp(self, domain: str, timeout: float) -> list[Endpoint]:
        """Where to connect for `domain`, best first (XEP-0368 SRV where the route allows it)."""
        ...

    async def open_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        """A connected, non-blocking TCP socket to host:port."""
        ...

    def http_client(self, timeout: float, ca_file: Path | None = None) -> httpx.AsyncClient:
        """An HTTP client whose connections take this route (system CAs, or `ca_file`)."""
        ...


@dataclass(frozen=True)
class SrvRecord:
    priority: int
    weight: int
    host: str
    port: int
    direct_tls: bool


def order_srv(records: list[SrvRecord]) -> list[Endpoint]:
    """RFC 2782 order (priority, then higher weight first); direct TLS wins a tie (XEP-0368)."""
    ranked = sorted(records, key=lambda r: (r.priority, -r.weight, not r.direct_tls))
    endpoints: list[Endpoint] = []
    for record in ranked:
        endpoint = Endpoint(record.host.rstrip("."), record.port, record.direct_tls)
        if endpoint not in endpoints:
            endpoints.append(endpoint)
    return endpoints


class DirectNetwork:
    """Plain connections from this machine, with DNS SRV discovery.

    `nameservers` ("ip" or "ip:port") replaces the system's resolvers for SRV look-ups; the
    tests use it to point discovery at a local DNS server.
    """

    name = "direct"

    def __init__(self, nameservers: list[str] | None = None) -> None:
        self.nameservers = nameservers

    async def discover_xmpp(self, domain: str, timeout: float) -> list[Endpoint]:
        records: list[SrvRecord] = []
        for service, direct_tls in (("_xmpps-client", True), ("_xmpp-client", False)):
            records.extend(await self._srv(f"{service}._tcp.{domain}", direct_tls, timeout))
        # A target of "." means the service is decidedly not available (RFC 2782).
        usable = [r for r in records if r.host not in ("", ".")]
        if usable:
            return order_srv(usable)
        if records:
            return []
        return [Endpoint(domain, XMPP_CLIENT_PORT, False)]

    async def _srv(self, name: str, direct_tls: bool, timeout: float) -> list[SrvRecord]:
        import aiodns  # slixmpp's own resolver library; imported late to keep start-up fast

        resolver = aiodns.DNSResolver(nameservers=self.nameservers, timeout=timeout, tries=1)
        try:
            with warnings.catch_warnings():
                # query() gives the plain SRV fields; its pycares-5 successor does not.
                warnings.simplefilter("ignore", DeprecationWarning)
                pending = resolver.query(name, "SRV")
            answers = await asyncio.wait_for(pending, timeout)
        except (aiodns.error.DNSError, TimeoutError):
            return []
        finally:
            resolver.cancel()
        return [
            SrvRecord(a.priority, a.weight, str(a.host), int(a.port), direct_tls)
            for a in answers
        ]

    async def open_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout
            )
        except TimeoutError:
            raise NetworkTimeoutError("dns", timeout) from None
        except socket.gaierror as exc:
            raise DnsError(host, str(exc)) from None
        last: OSError | None = None
        for family, kind, proto, _canon, address in infos:
            sock = socket.socket(family, kind, proto)
            sock.setblocking(False)
            try:
                await asyncio.wait_for(loop.sock_connect(sock, address), timeout)
                return sock
            except TimeoutError:
                sock.close()
                raise NetworkTimeoutError("connect", timeout) from None
            except OSError as exc:
                sock.close()
                last = exc
            except BaseException:
                sock.close()
                raise
        if last is not None and last.errno == errno.ECONNREFUSED:
            raise ConnectionRefusedError_(f"{host}:{port}", str(last))
        raise NetworkError(str(last) if last else f"{host}:{port}")

    def http_client(self, timeout: float, ca_file: Path | None = None) -> httpx.AsyncClient:
        import httpx  # imported late to keep start-up fast

        verify = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        return httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False,
                                 verify=verify)


class TorNotConnectedError(TorUnavailableError):
    """Tor was asked for, but no Tor route is open yet: nothing was sent."""

    condition = "tor-not-connected"

    def __init__(self) -> None:
        super().__init__("")

    @property
    def message(self) -> str:
        return _("Tor is not connected yet, so nothing was sent.")

    @property
    def hint(self) -> str:
        return _("Connect to Tor first, then try again. Nothing is ever sent without Tor once "
                 "you chose it.")


class ClosedNetwork:
    """The route while Tor is asked for but not connected yet: every way out fails.

    A wizard state whose Tor mode is on starts with this one (see `WizardState`), so anything
    that runs before the Tor route is open fails with `TorNotConnectedError` instead of going
    out directly. Discovery and sockets raise it at once; the HTTP client is an ordinary one
    whose every connection asks `open_socket`, so requests fail with it as their cause (as with
    a tor that went away; `onboard_error_in` finds it).
    """

    name = "closed"

    def __repr__(self) -> str:
        return "ClosedNetwork()"

    async def discover_xmpp(self, domain: str, timeout: float) -> list[Endpoint]:
        raise TorNotConnectedError()

    async def open_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        raise TorNotConnectedError()

    def http_client(self, timeout: float, ca_file: Path | None = None) -> httpx.AsyncClient:
        from onboard.core.tor.network import routed_http_client  # imports httpcore: late

        return routed_http_client(self, timeout, ca_file)


def for_new_account(network: Network) -> Network:
    """The route for one new account: over Tor a fresh circuit (its own SOCKS credentials), so
    accounts made one after another are not linked by their path, and per-IP sign-up limits
    see different exits; the direct route as it is."""
    isolated = getattr(network, "isolated", None)
    return isolated() if callable(isolated) else network


if TYPE_CHECKING:
    def _is_a_network(network: ClosedNetwork) -> Network:  # mypy checks the protocol here
        return network
