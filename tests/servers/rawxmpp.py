"""A minimal raw XMPP client (asyncio + ssl + ElementTree) to look at what a server really sends.

Only what the fixture tests need: open a stream, STARTTLS or direct TLS, read the stream
features, send an iq and wait for its answer. No SASL, no resource binding.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import ssl
import typing
import xml.etree.ElementTree as ET
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

NS_CLIENT = "jabber:client"
NS_STREAMS = "http://etherx.jabber.org/streams"
NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls"
NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
NS_REGISTER = "jabber:iq:register"
NS_REGISTER_FEATURE = "http://jabber.org/features/iq-register"
NS_DATA = "jabber:x:data"
NS_MEDIA = "urn:xmpp:media-element"
NS_BOB = "urn:xmpp:bob"

_ids = itertools.count(1)


class XmppError(Exception):
    """An `<iq type='error'/>` answer: `type`, `condition` and `text` as the server sent them."""

    def __init__(self, stanza: ET.Element) -> None:
        error = stanza.find(f"{{{NS_CLIENT}}}error")
        self.stanza = stanza
        self.type = error.get("type", "") if error is not None else ""
        self.condition = ""
        self.text = ""
        if error is not None:
            for child in error:
                if child.tag == f"{{{NS_STANZAS}}}text":
                    self.text = child.text or ""
                elif child.tag.startswith(f"{{{NS_STANZAS}}}"):
                    self.condition = child.tag.split("}", 1)[1]
        super().__init__(f"{self.type}/{self.condition}: {self.text}")


def ssl_context(ca_file: Path | str | None) -> ssl.SSLContext:
    """Verify against `ca_file` (or the system CAs), hostname = the XMPP domain."""
    return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)


class RawXmpp:
    """One client-to-server stream. Use `await RawXmpp.connect(...)`, then `close()`."""

    def __init__(self, domain: str, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter, timeout: float) -> None:
        self.domain = domain
        self.reader = reader
        self.writer = writer
        self.timeout = timeout
        self.features = ET.Element(f"{{{NS_STREAMS}}}features")
        self.features_before_tls: ET.Element | None = None
        self.tls = False
        self._parser: ET.XMLPullParser[ET.Element] | None = None
        self._depth = 0
        self._ready: list[ET.Element] = []

    @classmethod
    async def connect(cls, host: str, port: int, domain: str, *,
                      ca_file: Path | str | None = None, direct_tls: bool = False,
                      starttls: bool = True, timeout: float = 5.0) -> RawXmpp:
        """Connect and read the stream features.

        With `direct_tls` the socket is TLS from the start (XEP-0368). Otherwise STARTTLS is
        negotiated when `starttls` is true (and fails if the server does not offer it); with
        `starttls=False` the stream stays in the clear and `features` are the plain ones.
        Certificate errors raise `ssl.SSLCertVerificationError`.
        """
        context = ssl_context(ca_file)
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=context if direct_tls else None,
                                    server_hostname=domain if direct_tls else None),
            timeout,
        )
        client = cls(domain, reader, writer, timeout)
        client.tls = direct_tls
        try:
            await client._open_stream()
            if not direct_tls and starttls:
                client.features_before_tls = client.features
                if client.feature(NS_TLS, "starttls") is None:
                    raise ConnectionError(f"{domain} does not offer STARTTLS")
                await client.send(f"<starttls xmlns='{NS_TLS}'/>")
                answer = await client.recv()
                if answer.tag != f"{{{NS_TLS}}}proceed":
                    raise ConnectionError(f"STARTTLS refused: {answer.tag}")
                await writer.start_tls(context, server_hostname=domain)
                client.tls = True
                await client._open_stream()
        except BaseException:
            await client.close()
            raise
        return client

    async def _open_stream(self) -> None:
        self._parser = ET.XMLPullParser(events=("start", "end"))
        self._depth = 0
        self._ready = []
        await self.send(
            "<?xml version='1.0'?>"
            f"<stream:stream xmlns='{NS_CLIENT}' xmlns:stream='{NS_STREAMS}' "
            f"to={quoteattr(self.domain)} version='1.0' xml:lang='en'>"
        )
        features = await self.recv()
        if features.tag != f"{{{NS_STREAMS}}}features":
            raise ConnectionError(f"expected stream features, got {ET.tostring(features)!r}")
        self.features = features

    def feature(self, namespace: str, name: str) -> ET.Element | None:
        return self.features.find(f"{{{namespace}}}{name}")

    @property
    def feature_names(self) -> set[str]:
        """`{namespace}name` of each stream feature, e.g. NS_REGISTER_FEATURE's `register`."""
        return {child.tag for child in self.features}

    async def send(self, xml: str) -> None:
        self.writer.write(xml.encode("utf-8"))
        await self.writer.drain()

    async def recv(self) -> ET.Element:
        """The next top-level element of the stream (a stanza or nonza)."""
        while not self._ready:
            data = await asyncio.wait_for(self.reader.read(65536), self.timeout)
            if not data:
                raise ConnectionError("the server closed the connection")
            assert self._parser is not None
            self._parser.feed(data)
            events = typing.cast(  # only start/end events were asked for: all elements
                "typing.Iterator[tuple[str, ET.Element]]", self._parser.read_events())
            for event, element in events:
                if event == "start":
                    self._depth += 1
                    if self._depth == 1 and element.tag != f"{{{NS_STREAMS}}}stream":
                        raise ConnectionError(f"not an XMPP stream: {element.tag}")
                else:
                    self._depth -= 1
                    if self._depth == 1:
                        self._ready.append(element)
                    elif self._depth == 0:
                        raise ConnectionError("the server closed the stream")
        return self._ready.pop(0)

    async def iq(self, kind: str, payload: str) -> ET.Element:
        """Send an iq and return the result; an error answer raises `XmppError`."""
        stanza_id = f"raw{next(_ids)}"
        await self.send(f"<iq type={quoteattr(kind)} id={quoteattr(stanza_id)}>{payload}</iq>")
        while True:
            answer = await self.recv()
            if answer.tag == f"{{{NS_CLIENT}}}iq" and answer.get("id") == stanza_id:
                if answer.get("type") == "error":
                    raise XmppError(answer)
                return answer

    async def close(self) -> None:
        with contextlib.suppress(OSError):  # includes TimeoutError and SSLError
            if not self.writer.is_closing():
                self.writer.write(b"</stream:stream>")
                await asyncio.wait_for(self.writer.drain(), 1)
        self.writer.close()
        with contextlib.suppress(OSError):  # includes TimeoutError and SSLError
            await asyncio.wait_for(self.writer.wait_closed(), 1)

    async def __aenter__(self) -> RawXmpp:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- XEP-0077 -----------------------------------------------------------------------------

    async def registration_form(self) -> ET.Element:
        """The whole `<iq type='result'/>` answering the jabber:iq:register get."""
        return await self.iq("get", f"<query xmlns='{NS_REGISTER}'/>")

    async def register(self, fields: dict[str, str], form_type: str | None = None) -> ET.Element:
        """Submit a XEP-0004 form (with FORM_TYPE) or, with `form_type=None`, legacy fields."""
        if form_type is None:
            body = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in fields.items())
        else:
            body = f"<x xmlns='{NS_DATA}' type='submit'>" + "".join(
                f"<field var={quoteattr(var)}><value>{escape(value)}</value></field>"
                for var, value in {"FORM_TYPE": form_type, **fields}.items()
            ) + "</x>"
        return await self.iq("set", f"<query xmlns='{NS_REGISTER}'>{body}</query>")


def form_fields(iq: ET.Element) -> dict[str, ET.Element]:
    """The data form fields of a registration answer, by `var`."""
    return {
        field.get("var", ""): field
        for field in iq.iter(f"{{{NS_DATA}}}field")
    }


def field_value(field: ET.Element) -> str:
    value = field.find(f"{{{NS_DATA}}}value")
    return (value.text or "") if value is not None else ""

