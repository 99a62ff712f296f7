"""A slixmpp client whose connection step goes through the network object.

slixmpp would otherwise resolve names and open sockets itself (and send a password in the clear
to a server that offers no TLS). This subclass:
- takes its endpoints from `Network.discover_xmpp` or an explicit host and port, and its sockets
  from `Network.open_socket`; it never retries on its own;
- verifies the certificate against the XMPP domain, always;
- refuses to go on before anything is sent when the stream is not encrypted and the server
  offers no STARTTLS;
- reports the first failure as an `OnboardError` through `failure`, so callers can await it;
- remembers the endpoints that failed before the one used (`via()`), so callers can say that an
  onion address did not answer and the server's normal address was used, still through Tor.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ssl
import typing
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.features.feature_starttls.stanza import Failure as StartTlsFailure
from slixmpp.jid import JID
from slixmpp.plugins.xep_0077.stanza import Register
from slixmpp.stanza import Error as StanzaError
from slixmpp.stanza import Iq
from slixmpp.stanza.stream_features import StreamFeatures
from slixmpp.xmlstream import StanzaBase, register_stanza_plugin
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath
from slixmpp.xmlstream.matcher.idsender import MatchIDSender

from onboard.core.errors import (
    LoginFailedError,
    NetworkError,
    NoTlsError,
    OnboardError,
    ProtocolError,
    StreamClosedError,
    TlsError,
    TorConnectionLostError,
    is_onion_target,
)
from onboard.core.network import Endpoint, Network
from onboard.core.text import one_line
from onboard.core.xmpp.address import ServerAddress
from onboard.i18n import _

# slixmpp 1.17 does not know this condition and would turn Prosody's rate-limit answer into a
# 15 s timeout.
StanzaError.conditions.add("policy-violation")

CONNECT_TIMEOUT = 20.0
NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
NS_PARS = "urn:xmpp:pars:0"


def ssl_context_for(server: ServerAddress) -> ssl.SSLContext:
    """System CAs (or the given CA file), hostname checked against the XMPP domain."""
    if server.ca_file is not None:
        context = ssl.create_default_context(cafile=str(server.ca_file))
    else:
        context = ssl.create_default_context()
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def tls_error_from(domain: str, error: BaseException) -> TlsError:
    """Say which of the usual certificate problems this is."""
    code = getattr(error, "verify_code", None)
    message = getattr(error, "verify_message", None) or str(error)
    reason = {
        10: "expired",
        62: "wrong-host",
        18: "self-signed",
        19: "self-signed",
        20: "untrusted",
        21: "untrusted",
    }.get(code or -1, "handshake")
    if reason == "handshake" and "hostname mismatch" in message.lower():
        reason = "wrong-host"
    return TlsError(domain, reason, message)


@dataclass(frozen=True)
class Via:
    """Where a connection went: `endpoint`, through Tor or not, and the onion address tried
    first that did not answer (`onion_failed`, with its error) when the server's normal
    address was used instead (still through Tor)."""

    endpoint: Endpoint
    tor: bool
    onion_failed: tuple[Endpoint, OnboardError] | None = None

    @property
    def onion(self) -> str | None:
        """The onion address used, if the connection went to one."""
        host = self.endpoint.host
        return host if is_onion_target(host) else None

    @property
    def route(self) -> str:
        """"tor-onion", "tor" (through a Tor exit) or "direct"."""
        if not self.tor:
            return "direct"
        return "tor-onion" if self.onion else "tor"

    def describe(self) -> str:
        """One or two plain sentences for the user."""
        where = f"{self.endpoint.host}:{self.endpoint.port}"
        if self.onion:
            text = _("Connected over Tor to the onion address {onion}.").format(onion=where)
        elif self.tor:
            text = _("Connected over Tor, through a Tor exit, to {address}.").format(
                address=where)
        else:
            text = _("Connected directly (without Tor) to {address}.").format(address=where)
        if self.onion_failed is not None:
            tried, error = self.onion_failed
            text = _("The onion address {onion} did not answer ({reason}); the server's normal "
                     "address was used, still through Tor.").format(
                onion=tried.host, reason=error.message.rstrip(".")) + " " + text
        return text

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "route": self.route,
            "host": self.endpoint.host,
            "port": self.endpoint.port,
            "onion": self.onion,
        }
        if self.onion_failed is not None:
            tried, error = self.onion_failed
            data["onion_failed"] = {"onion": tried.host, "port": tried.port,
                                    "error": error.to_json()}
        return data


async def endpoints_for(server: ServerAddress, network: Network, timeout: float) -> list[Endpoint]:
    explicit = server.explicit_endpoint()
    if explicit is not None:
        return [explicit]
    return await network.discover_xmpp(server.domain, timeout)


class OnboardClient(slixmpp.ClientXMPP):
    """One XMPP stream for one purpose: "register" (stop before SASL) or "login"."""

    def __init__(
        self,
        jid: str,
        password: str,
        *,
        server: ServerAddress,
        network: Network,
        endpoints: list[Endpoint],
        purpose: str,
    ) -> None:
        # Handing slixmpp our context spares it building (and discarding) a default one: each
        # loads the system CA store, tens of milliseconds of CPU per client.
        super().__init__(jid, password, ssl_context=ssl_context_for(server))
        self.target = server
        self.route = network
        self.endpoints = endpoints
        self.purpose = purpose
        self.enable_plaintext = False
        self.connected_endpoint: Endpoint | None = None
        # The endpoints that could not be reached before the one used, with why.
        self.skipped: list[tuple[Endpoint, OnboardError]] = []
        self._upgrading_to_tls = False
        self._starttls_asked = False
        self._tls_started = False  # STARTTLS done: a later hang-up is no refusal of TLS
        self.stream_features: set[str] = set()
        self.sasl_mechanisms: list[str] = []
        # The SASL mechanism a login succeeded with, e.g. SCRAM-SHA-1-PLUS (channel binding).
        self.sasl_mechanism_used = ""
        # The server's SASL failure: the first one that is not "not-authorized" wins.
        self.sasl_failure = ""
        self.failure: asyncio.Future[OnboardError] = asyncio.get_running_loop().create_future()
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        register_stanza_plugin(StreamFeatures, _RegisterFeature)
        register_stanza_plugin(Iq, Register)
        self.add_event_handler("ssl_invalid_chain", self._on_invalid_chain)
        self.add_event_handler("disconnected", self._on_disconnected)
        self.add_event_handler("stream_error", self._on_stream_error)
        self.add_event_handler("failed_auth", self._on_auth_refused)
        self.add_event_handler("failed_all_auth", self._on_failed_auth)
        self.add_event_handler("session_start", self._on_session_start)
        self.add_event_handler("auth_success", self._on_auth_success)
        self.register_handler(Callback("STARTTLS refused", MatchXPath(StartTlsFailure.tag_name()),
                                       self._on_starttls_refused))

    # --- outcome -------------------------------------------------------------------------------

    def fail(self, error: OnboardError) -> None:
        if not self.failure.done():
            self.failure.set_result(error)
        self.abort()

    def _on_invalid_chain(self, error: BaseException) -> None:
        self.fail(tls_error_from(self.target.domain, error))

    def _on_disconnected(self, reason: Any) -> None:
        if self._upgrading_to_tls:
            return  # start_tls() reports what went wrong, more precisely
        # (slixmpp drops the transport before this event: is_encrypted() is False by now.)
        if self._starttls_asked and not self._tls_started:
            # Hanging up on <starttls/> leaves only the clear: never fall back to it.
            self.fail(TlsError(self.target.domain, "handshake",
                               "the server closed the connection instead of starting TLS"))
            return
        detail = str(reason) if reason else "the server closed the connection"
        if self.route.name == "tor":  # tor may have stopped: say so, and never go around it
            self.fail(TorConnectionLostError(detail))
            return
        self.fail(NetworkError(detail))

    def _on_auth_success(self, _success: Any) -> None:
        mechanism = getattr(self.plugin["feature_mechanisms"], "mech", None)
        self.sasl_mechanism_used = str(getattr(mechanism, "name", "") or "")

    def _on_starttls_refused(self, _failure: Any) -> None:
        self.fail(TlsError(self.target.domain, "handshake", "the server refused STARTTLS"))

    def init_parser(self) -> None:
        super().init_parser()
        self.parser = _ReportingParser(self._on_malformed_xml)

    def _on_malformed_xml(self, error: ET.ParseError) -> None:
        # slixmpp would answer with a stream error and wait up to 2 s for the server to close,
        # then report a mere disconnect.
        self.fail(ProtocolError(f"the server sent malformed XML: {error}"))

    def data_received(self, data: bytes | str) -> None:
        if self.failure.done():
            return  # nothing the server sends after a failure is read
        super().data_received(data)

    async def start_tls(self) -> bool:
        """STARTTLS, reporting a certificate problem as such (slixmpp's own version lets the
        resulting disconnect win and loses the reason)."""
        if self.transport is None:
            return False
        self._upgrading_to_tls = True
        try:
            # slixmpp's connection_made() treats a missing attempt as "aborted".
            self._current_connection_attempt = asyncio.ensure_future(self.loop.start_tls(
                self.transport, self, self.get_ssl_context(),
                server_hostname=self.target.domain, ssl_handshake_timeout=CONNECT_TIMEOUT,
            ))
            transport = await self._current_connection_attempt
        except ssl.SSLCertVerificationError as error:
            self.fail(tls_error_from(self.target.domain, error))
            return False
        except (ssl.SSLError, OSError, TimeoutError) as error:
            self.fail(TlsError(self.target.domain, "handshake", str(error)))
            return False
        finally:
            self._upgrading_to_tls = False
        if transport is None:
            self.fail(TlsError(self.target.domain, "handshake"))
            return False
        self._tls_started = True
        self.connection_made(transport, send_event=False)
        return True

    def _on_stream_error(self, error: Any) -> None:
        self.fail(StreamClosedError(one_line(str(error["condition"] or ""), 60),
                                    one_line(str(error["text"] or ""))))

    def _on_auth_refused(self, failure: Any) -> None:
        if self.sasl_failure in ("", "not-authorized"):
            self.sasl_failure = str(failure["condition"] or "")

    def _on_failed_auth(self, _event: Any) -> None:
        self.fail(LoginFailedError(sasl_condition=self.sasl_failure))

    def _on_session_start(self, _event: Any) -> None:
        if self.purpose == "login" and not self.ready.done():
            self.ready.set_result(None)

    # --- connecting through the network object -------------------------------------------------

    async def _connect_loop(self) -> None:
        last_error: OnboardError = NetworkError("no address to connect to")
        self.skipped = []
        for endpoint in self.endpoints:
            try:
                sock = await self.route.open_socket(endpoint.host, endpoint.port,
                                                      CONNECT_TIMEOUT)
            except OnboardError as error:
                last_error = error
                self.skipped.append((endpoint, error))
                continue
            try:
                await self.loop.create_connection(
                    lambda: self,
                    sock=sock,
                    ssl=self.get_ssl_context() if endpoint.direct_tls else None,
                    server_hostname=self.target.domain if endpoint.direct_tls else None,
                    ssl_handshake_timeout=CONNECT_TIMEOUT if endpoint.direct_tls else None,
                )
            except ssl.SSLCertVerificationError as error:
                sock.close()
                self.fail(tls_error_from(self.target.domain, error))
                return
            except (ssl.SSLError, OSError, TimeoutError) as error:
                sock.close()
                last_error = NetworkError(str(error))
                self.skipped.append((endpoint, last_error))
                continue
            self.connected_endpoint = endpoint
            return
        self.fail(last_error)

    def via(self) -> Via | None:
        """Where this client's connection went (None before it is connected), with the onion
        address tried first when it did not answer and another address was used."""
        endpoint = self.connected_endpoint
        if endpoint is None:
            return None
        onion_failed = None
        if not is_onion_target(endpoint.host):
            onion_failed = next(((tried, error) for tried, error in self.skipped
                                 if is_onion_target(tried.host)), None)
        return Via(endpoint, self.route.name == "tor", onion_failed)

    def tls_facts(self) -> tuple[str | None, dt.datetime | None]:
        """Read-only: the negotiated TLS version and the leaf certificate's notAfter (UTC)."""
        ssl_object = None if self.transport is None else self.transport.get_extra_info(
            "ssl_object")
        if ssl_object is None:
            return None, None
        expires = None
        not_after = (ssl_object.getpeercert() or {}).get("notAfter")
        if isinstance(not_after, str):
            with contextlib.suppress(ValueError):
                expires = dt.datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), dt.UTC)
        version = ssl_object.version()
        return (str(version) if version else None), expires

    def is_encrypted(self) -> bool:
        return self.transport is not None and (
            self.transport.get_extra_info("ssl_object") is not None
        )

    async def _handle_stream_features(self, features: StreamFeatures) -> bool | None:
        try:
            return await self._negotiate(features)
        except Exception as error:  # a handler that raises would leave slixmpp hanging
            self.fail(ProtocolError(f"stream features: {error}"))
            return True

    async def _negotiate(self, features: StreamFeatures) -> bool | None:
        names = {child.tag.split("}")[-1] for child in features.xml}
        if not self.is_encrypted():
            if "starttls" not in names:
                self.fail(NoTlsError(self.target.domain))
                return True
            self._starttls_asked = True
            return await super()._handle_stream_features(features)
        self.stream_features = names
        self.sasl_mechanisms = [
            (m.text or "").strip()
            for m in features.xml.iter(f"{{{NS_SASL}}}mechanism")
        ]
        if self.purpose == "register":
            if not self.ready.done():
                self.ready.set_result(None)
            return True  # stop here: registration happens before any SASL
        return await super()._handle_stream_features(features)

    # --- raw IQ for registration ---------------------------------------------------------------

    async def send_register_iq(self, iq_type: str, query: ET.Element,
                               timeout: float) -> ET.Element:
        """Send a jabber:iq:register IQ with `query`'s content; return the reply or raise IqError.

        It must go out as slixmpp's `register` stanza: before a session, slixmpp holds back
        every other IQ.
        """
        iq = self.Iq()
        iq["type"] = iq_type
        iq["to"] = self.target.domain
        register = iq["register"]
        for child in list(query):
            register.xml.append(child)
        reply = await self._ask_server(iq, timeout)
        xml: ET.Element = reply.xml
        return xml

    async def send_preauth_iq(self, token: str, timeout: float) -> None:
        """Hand the server an invite's token before registering (XEP-0401, XEP-0379's
        `<preauth xmlns='urn:xmpp:pars:0'/>`). Raises IqError or IqTimeout."""
        iq = self.Iq()
        iq["type"] = "set"
        iq["to"] = self.target.domain
        ET.SubElement(iq.xml, f"{{{NS_PARS}}}preauth", token=token)
        await self._ask_server(iq, timeout, let_out=True)

    async def _ask_server(self, iq: Iq, timeout: float, *, let_out: bool = False) -> Iq:
        """Send `iq` and return the server's answer; an error answer raises IqError, none
        within `timeout` IqTimeout.

        Before a session slixmpp's own `iq.send()` takes any stanza with the right id as the
        answer, whoever it claims to come from; here only the server's domain (or no `from`,
        which means the server) answers. `let_out` sends an IQ that slixmpp would hold back
        until a session exists.
        """
        domain = JID(self.target.domain)
        matcher = MatchIDSender({"id": iq["id"], "self": domain, "peer": domain})
        answer: asyncio.Future[StanzaBase] = self.loop.create_future()

        def on_answer(stanza: StanzaBase) -> None:
            if stanza["type"] in ("result", "error") and not answer.done():
                answer.set_result(stanza)

        handler = f"onboard-answer-{iq['id']}"
        self.register_handler(Callback(handler, matcher, on_answer))
        self._always_send_everything = let_out
        try:
            self.send(iq)
            self._always_send_everything = False
            reply = await asyncio.wait_for(answer, timeout)
        except TimeoutError:
            raise IqTimeout(iq) from None  # type: ignore[no-untyped-call]
        finally:
            self._always_send_everything = False
            self.remove_handler(handler)
        if reply["type"] == "error":
            raise IqError(reply)  # type: ignore[no-untyped-call]
        return typing.cast(Iq, reply)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            self.del_event_handler("disconnected", self._on_disconnected)
        if self.transport is None:
            self.cancel_connection_attempt()
        else:
            try:
                await asyncio.wait_for(self.disconnect(wait=1.0), 2.0)
            except (Exception, asyncio.CancelledError):
                self.abort()
        # slixmpp leaves its outgoing-filter task running after a disconnect.
        filters = getattr(self, "_run_out_filters", None)
        if filters is not None and not filters.done():
            filters.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await filters


class _RegisterFeature(slixmpp.xmlstream.ElementBase):
    """`<register xmlns='http://jabber.org/features/iq-register'/>` in the stream features."""

    name = "register"
    namespace = "http://jabber.org/features/iq-register"
    plugin_attrib = "register"
    interfaces: ClassVar[set[str]] = set()


class _ReportingParser(ET.XMLPullParser):  # type: ignore[type-arg]
    """slixmpp's stream parser, telling the client when the server's XML is malformed."""

    def __init__(self, on_error: Callable[[ET.ParseError], None]) -> None:
        super().__init__(("start", "end"))
        self._on_error = on_error

    def read_events(self) -> Iterator[Any]:
        try:
            yield from super().read_events()
        except ET.ParseError as error:
            self._on_error(error)
            raise
