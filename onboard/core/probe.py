"""Live facts about an XMPP server, gathered without creating anything on it.

`probe()` connects the way registration does (through the network object, the certificate
verified against the XMPP domain, purpose "register": it stops at the stream features, before
any SASL), asks for the registration form with an IQ get and never submits it, then closes.
When the certificate fails verification the result says which failure it is (expired, wrong
host, self-signed, untrusted); nothing XMPP is sent over an unverified connection. Only for a
direct-TLS endpoint is a second TLS handshake made without verification, to read the failing
certificate's expiry: it sends nothing but the handshake and is closed at once.

`probe_many()` runs many probes at once and reports each as it finishes; `ProbeCache` keeps
results for a few minutes. Imports stay light: slixmpp is loaded only when a probe runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from xml.sax.saxutils import quoteattr

from onboard.core.errors import NoXmppServiceError, OnboardError, ProtocolError, TlsError
from onboard.core.network import Endpoint, Network
from onboard.core.xmpp.address import ServerAddress

if TYPE_CHECKING:
    from pathlib import Path

    import httpx

PROBE_TIMEOUT = 15.0
# The handshake that only reads a failing certificate's dates gets at most this long.
CERT_PEEK_TIMEOUT = 5.0
# The registration form gets at least this long, even when connecting used up the budget.
MIN_STEP_TIMEOUT = 0.5


@dataclass
class TlsFacts:
    """What the TLS layer showed. `valid`: the certificate verified for the XMPP domain.

    `version` and `expires` (the leaf certificate's notAfter, UTC) come from the verified
    connection; for a failing certificate on a direct-TLS endpoint they come from a separate,
    unverified handshake that sends nothing else, and stay None otherwise.
    `reason` is the `TlsError` reason (expired | wrong-host | self-signed | untrusted |
    handshake) or "no-tls"; `error` the plain, translated message for it.
    """

    valid: bool = False
    version: str | None = None
    expires: dt.datetime | None = None
    error: str | None = None
    reason: str | None = None


@dataclass
class RegistrationFacts:
    """In-band registration (XEP-0077) as the server presents it, without registering.

    `advertised`: the `register` stream feature was offered. `fields`: the `var`s of the form's
    visible fields. `error`: why no form was given (registration closed, timeout ...).
    """

    advertised: bool = False
    fields: list[str] = field(default_factory=list)
    captcha: bool = False
    web_url: str | None = None
    error: str | None = None


@dataclass
class ProbeResult:
    """Everything one probe learned. `to_json()` is the stable shape for scripts.

    `reachable`: a TCP connection to one of the endpoints was opened (also when TLS then
    failed). `endpoint`: the endpoint that connection went to; `endpoints`: every endpoint
    known (from DNS SRV, XEP-0368 included, or the explicit host and port).
    `rtt_ms`: the TCP connect time to `endpoint`, in milliseconds: how long the network
    object's `open_socket` took (on the direct route one TCP handshake, i.e. one network round
    trip, plus resolving the host name when it is not an address; through a proxy, opening the
    proxied stream). Also measured when TLS then fails; None when no connection was opened.
    (Not the stream-features round trip: after a TLS 1.3 handshake Prosody's features arrive
    about 40 ms late even on loopback, a TCP delayed-ACK effect that says nothing about the
    distance to the server.)
    `error`/`condition`: the first problem met (plain message with a next step, and the
    `OnboardError` condition id): a connection or TLS problem, or else a registration problem.
    `exit_code`: 0 when the server was reached over verified TLS (whatever its registration
    says), otherwise the problem's exit code.
    """

    domain: str
    server: ServerAddress | None = None
    reachable: bool = False
    endpoint: Endpoint | None = None
    endpoints: list[Endpoint] = field(default_factory=list)
    tls: TlsFacts = field(default_factory=TlsFacts)
    registration: RegistrationFacts = field(default_factory=RegistrationFacts)
    sasl_mechanisms: list[str] = field(default_factory=list)
    channel_binding: bool = False
    rtt_ms: float | None = None
    error: str | None = None
    condition: str | None = None
    exit_code: int = 0
    checked_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def ok(self) -> bool:
        """Reached over verified TLS (registration may still be closed)."""
        return self.exit_code == 0

    def to_json(self) -> dict[str, object]:
        endpoint = None if self.endpoint is None else {
            "host": self.endpoint.host,
            "port": self.endpoint.port,
            "direct_tls": self.endpoint.direct_tls,
        }
        return {
            "domain": self.domain,
            "reachable": self.reachable,
            "endpoint": endpoint,
            "tls": {
                "valid": self.tls.valid,
                "version": self.tls.version,
                "expires": self.tls.expires.isoformat() if self.tls.expires else None,
                "error": self.tls.error,
                # Stable across languages, unlike `error`: scripts tell the cases apart by it.
                "reason": self.tls.reason,
            },
            "registration": {
                "advertised": self.registration.advertised,
                "fields": list(self.registration.fields),
                "captcha": self.registration.captcha,
                "web_url": self.registration.web_url,
            },
            "sasl_mechanisms": list(self.sasl_mechanisms),
            "channel_binding": self.channel_binding,
            "rtt_ms": None if self.rtt_ms is None else round(self.rtt_ms, 2),
            "error": self.error,
            "condition": self.condition,
        }


def has_channel_binding(mechanisms: Iterable[str]) -> bool:
    """A SASL mechanism with channel binding (SCRAM-*-PLUS) is offered."""
    return any(m.strip().upper().endswith("-PLUS") for m in mechanisms)


def _full_message(error: OnboardError) -> str:
    return f"{error.message} {error.hint}".strip()


class _Watched:
    """The caller's network, unchanged, noting which host:port got a TCP connection and how
    long opening it took."""

    def __init__(self, inner: Network) -> None:
        self.inner = inner
        self.name = inner.name
        self.opened: list[tuple[str, int, float]] = []

    async def discover_xmpp(self, domain: str, timeout: float) -> list[Endpoint]:
        return await self.inner.discover_xmpp(domain, timeout)

    async def open_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        started = time.perf_counter()
        sock = await self.inner.open_socket(host, port, timeout)
        self.opened.append((host, port, time.perf_counter() - started))
        return sock

    def http_client(self, timeout: float, ca_file: Path | None = None) -> httpx.AsyncClient:
        return self.inner.http_client(timeout, ca_file)

    def last_opened(self, endpoints: list[Endpoint]) -> tuple[Endpoint | None, float | None]:
        """The endpoint of the last connection opened, and its connect time in seconds."""
        if not self.opened:
            return None, None
        host, port, seconds = self.opened[-1]
        endpoint = next((e for e in endpoints if (e.host, e.port) == (host, port)),
                        Endpoint(host, port))
        return endpoint, seconds


async def probe(server: ServerAddress, network: Network,
                timeout: float = PROBE_TIMEOUT) -> ProbeResult:
    """Probe one server. Never raises for a server problem: it ends up in the result.

    Nothing is created: the registration form is fetched but never submitted. Cancelling
    closes the connection. `timeout` bounds discovery, connecting and the form request
    together (closing may add a second or two).
    """
    result = ProbeResult(domain=server.domain, server=server)
    try:
        await _probe(server, network, timeout, result)
    except OnboardError as error:
        _record_failure(result, error)
    except Exception as error:  # a server that trips up a library must not end a batch
        _record_failure(result, ProtocolError(f"{type(error).__name__}: {error}"))
    return result


def _record_failure(result: ProbeResult, error: OnboardError) -> None:
    result.error = _full_message(error)
    result.condition = error.condition
    result.exit_code = error.exit_code or 1


async def _probe(server: ServerAddress, network: Network, timeout: float,
                 result: ProbeResult) -> None:
    from onboard.core.xmpp.connection import endpoints_for
    from onboard.core.xmpp.registration import connect, request_form

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout

    def left() -> float:
        return max(deadline - loop.time(), MIN_STEP_TIMEOUT)

    watched = _Watched(network)
    try:
        result.endpoints = await endpoints_for(server, network, left())
        if not result.endpoints:
            raise NoXmppServiceError(server.domain)
        client = await connect(server, watched, purpose="register", timeout=left(),
                               endpoints=result.endpoints)
    except OnboardError as error:
        result.endpoint, seconds = watched.last_opened(result.endpoints)
        result.reachable = result.endpoint is not None
        result.rtt_ms = None if seconds is None else seconds * 1000
        if isinstance(error, TlsError):
            result.tls = TlsFacts(valid=False, error=error.message, reason=error.reason)
            if result.endpoint is not None:
                await _peek_certificate(server.domain, result.endpoint, network,
                                        min(left(), CERT_PEEK_TIMEOUT), result.tls)
        elif error.condition == "no-tls":
            result.tls = TlsFacts(valid=False, error=error.message, reason="no-tls")
        raise

    try:
        result.reachable = True
        opened, seconds = watched.last_opened(result.endpoints)
        result.endpoint = client.connected_endpoint or opened
        result.rtt_ms = None if seconds is None else seconds * 1000
        version, expires = client.tls_facts()
        result.tls = TlsFacts(valid=True, version=version, expires=expires)
        result.sasl_mechanisms = list(client.sasl_mechanisms)
        result.channel_binding = has_channel_binding(result.sasl_mechanisms)
        facts = result.registration
        facts.advertised = "register" in client.stream_features
        try:
            form = await request_form(client, server.domain, left())
        except OnboardError as error:
            facts.error = error.message
            facts.web_url = getattr(error, "web_url", None)
            result.error, result.condition = _full_message(error), error.condition
            return
        facts.fields = [f.var for f in form.fields if f.visible and f.var]
        facts.captcha = form.captcha_field is not None
        facts.web_url = form.web_url
        if form.kind in ("web", "none"):
            from onboard.core.errors import RegistrationClosedError

            closed = RegistrationClosedError(server.domain, form.web_url, form.instructions)
            facts.error = closed.message
            result.error, result.condition = _full_message(closed), closed.condition
    finally:
        await client.close()


async def _peek_certificate(domain: str, endpoint: Endpoint, network: Network,
                            timeout: float, facts: TlsFacts) -> None:
    """Read a failing certificate's expiry and the TLS version from a bare TLS handshake (on
    a STARTTLS port after the stream header and <starttls/>, as the real client sent them).

    Verification is off for this one connection only; nothing is sent after the handshake
    and the connection is aborted right after, so nothing can reach an unverified server.
    Failures here leave the facts as they were.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # no CA store to load: nothing is checked
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        sock = await network.open_socket(endpoint.host, endpoint.port, timeout)
    except OnboardError:
        return
    writer: asyncio.StreamWriter | None = None

    async def handshake() -> None:
        nonlocal writer
        reader, writer = await asyncio.open_connection(sock=sock, limit=PEEK_LIMIT)
        if not endpoint.direct_tls and not await _ask_for_starttls(reader, writer, domain):
            return
        await writer.start_tls(context, server_hostname=domain, ssl_handshake_timeout=timeout)
        ssl_object = writer.get_extra_info("ssl_object")
        if ssl_object is None:
            return
        facts.version = ssl_object.version()
        der = ssl_object.getpeercert(binary_form=True)
        facts.expires = certificate_not_after(der) if der else None

    try:
        await asyncio.wait_for(handshake(), timeout)
    except (OSError, ssl.SSLError, TimeoutError, ValueError):
        return
    finally:
        if writer is not None:
            writer.transport.abort()
        else:
            sock.close()


# The most a server may send before <proceed/> when the certificate is peeked at.
PEEK_LIMIT = 64 * 1024
_FEATURES_END = re.compile(rb"</(?:[A-Za-z0-9_.-]+:)?features\s*>")
_STARTTLS_ANSWER = re.compile(rb"<(proceed|failure)\b")


async def _ask_for_starttls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                            domain: str) -> bool:
    """Open a stream and ask for TLS: True once the server says <proceed/>."""
    writer.write(("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                  "xmlns:stream='http://etherx.jabber.org/streams' "
                  f"to={quoteattr(domain)} version='1.0'>").encode())
    await writer.drain()
    received = b""
    while not _FEATURES_END.search(received):
        received += await _read_some(reader, len(received))
    writer.write(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    await writer.drain()
    received = b""
    while (answer := _STARTTLS_ANSWER.search(received)) is None:
        received += await _read_some(reader, len(received))
    return answer.group(1) == b"proceed"


async def _read_some(reader: asyncio.StreamReader, so_far: int) -> bytes:
    chunk = await reader.read(4096)
    if not chunk:
        raise ConnectionResetError("the server closed the connection")
    if so_far + len(chunk) > PEEK_LIMIT:
        raise ValueError("too much before the TLS handshake")
    return chunk


def _der_item(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of content, end of content) of the DER item at `pos`."""
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if not 0 < count <= 4:
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise ValueError("truncated DER")
    return tag, pos, pos + length


def certificate_not_after(der: bytes) -> dt.datetime | None:
    """The notAfter of a DER X.509 certificate (UTC), or None if it cannot be read.

    Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber,
    signature, issuer, validity SEQUENCE { notBefore, notAfter }, ... }, ... }
    """
    try:
        tag, start, _end = _der_item(der, 0)
        if tag != 0x30:
            return None
        tag, pos, _end = _der_item(der, start)  # tbsCertificate
        if tag != 0x30:
            return None
        if der[pos] == 0xA0:  # explicit version
            pos = _der_item(der, pos)[2]
        for _skipped in ("serialNumber", "signature", "issuer"):
            pos = _der_item(der, pos)[2]
        tag, pos, _end = _der_item(der, pos)  # validity
        if tag != 0x30:
            return None
        pos = _der_item(der, pos)[2]  # notBefore
        tag, start, end = _der_item(der, pos)
        text = der[start:end].decode("ascii")
        if tag == 0x17:  # UTCTime YYMMDDHHMMSSZ
            parsed = dt.datetime.strptime(text, "%y%m%d%H%M%SZ")
        elif tag == 0x18:  # GeneralizedTime YYYYMMDDHHMMSSZ
            parsed = dt.datetime.strptime(text, "%Y%m%d%H%M%SZ")
        else:
            return None
        return parsed.replace(tzinfo=dt.UTC)
    except (IndexError, ValueError, UnicodeDecodeError):
        return None


async def probe_many(
    servers: Iterable[ServerAddress],
    network: Network,
    *,
    concurrency: int = 10,
    timeout: float = PROBE_TIMEOUT,
    on_result: Callable[[ProbeResult], None] | None = None,
    cache: ProbeCache | None = None,
) -> list[ProbeResult]:
    """Probe many servers, at most `concurrency` at once; results in the order given.

    `on_result` is called with each result as it finishes (a UI can show it at once); results
    found in `cache` count as finished at once, and fresh ones are put into it. Cancelling the
    task that awaits this cancels every probe and closes every connection before it returns.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    targets = list(servers)
    results: list[ProbeResult | None] = [None] * len(targets)
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int, server: ServerAddress) -> None:
        result = cache.get(server) if cache is not None else None
        if result is None:
            async with gate:
                result = await probe(server, network, timeout)
            if cache is not None:
                cache.put(result)
        results[index] = result
        if on_result is not None:
            on_result(result)

    tasks = [asyncio.ensure_future(one(i, s)) for i, s in enumerate(targets)]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        # Wait for every probe to close its connection, also when this task was cancelled.
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
    return [r for r in results if r is not None]


class ProbeCache:
    """Recent probe results in memory, keyed by `ServerAddress`.

    A result is kept `ttl` seconds, or `error_ttl` when the server could not be reached over
    verified TLS (so a fixed network problem shows soon). `clock` (seconds, monotonic) is
    injectable for tests. Results depend on the route: clear the cache when it changes.
    """

    def __init__(self, ttl: float = 300.0, error_ttl: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.error_ttl = error_ttl
        self.clock = clock
        self._entries: dict[ServerAddress, tuple[float, ProbeResult]] = {}

    def get(self, server: ServerAddress) -> ProbeResult | None:
        entry = self._entries.get(server)
        if entry is None:
            return None
        expires_at, result = entry
        if self.clock() >= expires_at:
            del self._entries[server]
            return None
        return result

    def put(self, result: ProbeResult, server: ServerAddress | None = None) -> None:
        """Keep `result` under `server` (default: the address it was probed with)."""
        key = server or result.server or ServerAddress(result.domain)
        lifetime = self.ttl if result.ok else self.error_ttl
        self._entries[key] = (self.clock() + lifetime, result)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
