"""A scripted hostile XMPP server on 127.0.0.1, for what a real server will not do.

`HostileServer(behaviour, tls_files)` listens on a free port (STARTTLS, or direct TLS with
`direct_tls=True`) and plays `behaviour` once per connection: a coroutine function that gets a
`Conversation` and scripts it with `open_stream`, `starttls`, `recv`, `reply`, `send`,
`send_slowly` and `hang`. The helpers `to_register_get`, `serve_form` and `to_auth` speak just
enough XMPP (stream header, features, STARTTLS, jabber:iq:register, SASL PLAIN, bind) to get a
client to the point where the bad behaviour matters; `catalogue()` names the usual behaviours.

Everything the client sent is recorded (`received`: each top-level element, whether it came
over TLS; `plain_bytes`: every byte before TLS), and `closed` counts connections the client
ended, so tests can assert both "no <auth> was ever sent" and "the client hung up afterwards".
After its script the server never closes first: it keeps reading until the client hangs up.

It runs in a thread with an event loop of its own, so it serves core tests and Textual Pilot
tests alike and keeps its pace (one byte a second, or silence) whatever the client's loop does.
Use `hostile_servers(folder)` for a factory that closes every server it made.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import ssl
import threading
import time
import typing
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

DOMAIN = "hostile.test"
NS_CLIENT = "jabber:client"
NS_STREAMS = "http://etherx.jabber.org/streams"
NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls"
NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
NS_STREAM_ERRORS = "urn:ietf:params:xml:ns:xmpp-streams"
NS_REGISTER = "jabber:iq:register"
NS_REGISTER_FEATURE = "http://jabber.org/features/iq-register"
NS_DATA = "jabber:x:data"
NS_MEDIA = "urn:xmpp:media-element"
NS_BOB = "urn:xmpp:bob"
NS_OOB = "jabber:x:oob"

STARTTLS_FEATURE = f"<starttls xmlns='{NS_TLS}'><required/></starttls>"
REGISTER_FEATURE = f"<register xmlns='{NS_REGISTER_FEATURE}'/>"
DRAIN_LIMIT = 60.0  # after its script, how long a connection waits for the client to hang up
CHUNK = 65536

Behaviour = Callable[["Conversation"], Awaitable[None]]


class ClientGone(Exception):
    """The client closed the connection (or it broke) while the script waited for it."""


@dataclass(frozen=True)
class TlsFiles:
    """A throwaway CA and a certificate for DOMAIN it issued (made with trustme)."""

    ca_file: Path
    cert_file: Path
    key_file: Path


def make_tls_files(folder: Path, domain: str = DOMAIN) -> TlsFiles:
    """Write ca.pem, DOMAIN.crt and DOMAIN.key into `folder`, as tests/servers/prosody.py does."""
    import trustme

    folder.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(key_type=trustme.KeyType.RSA, organization_name="onboard hostile test CA")
    files = TlsFiles(folder / "ca.pem", folder / f"{domain}.crt", folder / f"{domain}.key")
    ca.cert_pem.write_to_path(str(files.ca_file))
    leaf = ca.issue_cert(domain, key_type=trustme.KeyType.RSA)
    files.cert_file.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    leaf.private_key_pem.write_to_path(str(files.key_file))
    return files


@dataclass(frozen=True)
class Received:
    """One top-level element the client sent (or its stream header)."""

    connection: int
    tag: str  # "{namespace}name"
    xml: str
    tls: bool

    @property
    def name(self) -> str:
        return self.tag.rsplit("}", 1)[-1]


class Conversation:
    """One client connection, as the behaviour script sees it."""

    def __init__(self, server: HostileServer, number: int, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter, tls: bool) -> None:
        self.server = server
        self.number = number
        self.reader = reader
        self.writer = writer
        self.tls = tls
        self._parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(("start", "end"))
        self._depth = 0
        self._ready: list[ET.Element] = []
        self._header: ET.Element | None = None
        self._malformed = False

    # --- reading -------------------------------------------------------------------------------

    async def _read_some(self) -> None:
        try:
            data = await self.reader.read(CHUNK)
        except (OSError, ssl.SSLError) as error:
            raise ClientGone(str(error)) from None
        if not data:
            raise ClientGone("end of file")
        if not self.tls:
            self.server.plain_bytes += data
        if self._malformed:
            return
        self._parser.feed(data)
        try:
            self._take_events()
        except ET.ParseError as error:  # recorded; the rest of the connection is only drained
            self._malformed = True
            self.server.received.append(Received(self.number, "not-well-formed", str(error),
                                                 self.tls))

    def _take_events(self) -> None:
        events = typing.cast("Iterator[tuple[str, ET.Element]]", self._parser.read_events())
        for event, element in events:
            if event == "start":
                self._depth += 1
                if self._depth == 1:
                    self._header = element
                    self._record(element, "<stream:stream>")
            else:
                self._depth -= 1
                if self._depth == 1:
                    self._record(element, ET.tostring(element, encoding="unicode"))
                    self._ready.append(element)
                elif self._depth == 0:
                    self._record(element, "</stream:stream>")

    def _record(self, element: ET.Element, xml: str) -> None:
        self.server.received.append(Received(self.number, element.tag, xml, self.tls))

    async def recv(self) -> ET.Element:
        """The client's next top-level element (a stanza or nonza)."""
        while not self._ready:
            await self._read_some()
        return self._ready.pop(0)

    async def recv_iq(self) -> ET.Element:
        """The client's next <iq/>, skipping anything else."""
        while True:
            element = await self.recv()
            if element.tag == f"{{{NS_CLIENT}}}iq":
                return element

    async def expect_header(self) -> ET.Element:
        """Wait for the client to open a (new) stream."""
        self._parser = ET.XMLPullParser(("start", "end"))
        self._depth, self._ready, self._header = 0, [], None
        while self._header is None:
            await self._read_some()
        return self._header

    # --- writing -------------------------------------------------------------------------------

    async def send(self, data: str | bytes) -> None:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        try:
            self.writer.write(raw)
            await self.writer.drain()
        except (OSError, ssl.SSLError) as error:
            raise ClientGone(str(error)) from None

    async def send_slowly(self, data: str | bytes, per_second: float = 1.0) -> None:
        """A slow-loris answer: one byte at a time."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        for index in range(len(raw)):
            await self.send(raw[index:index + 1])
            await asyncio.sleep(1 / per_second)

    @staticmethod
    def stream_header(sender: str = DOMAIN) -> str:
        return ("<?xml version='1.0'?>"
                f"<stream:stream xmlns='{NS_CLIENT}' xmlns:stream='{NS_STREAMS}' "
                f"from={quoteattr(sender)} id='hostile{next(_ids)}' version='1.0' "
                "xml:lang='en'>")

    async def open_stream(self, features: str) -> None:
        """Wait for the client's stream header, answer with ours and `features`."""
        await self.expect_header()
        await self.send(self.stream_header() + f"<stream:features>{features}</stream:features>")

    async def starttls(self) -> None:
        """Expect <starttls/>, say proceed, and upgrade the connection."""
        request = await self.recv()
        if request.tag != f"{{{NS_TLS}}}starttls":
            raise AssertionError(f"expected <starttls/>, got {request.tag}")
        await self.send(f"<proceed xmlns='{NS_TLS}'/>")
        await self.writer.start_tls(self.server.server_context())
        self.tls = True

    async def reply(self, request: ET.Element, payload: str = "", *, kind: str = "result",
                    sender: str | None = DOMAIN, stanza_id: str | None = None) -> None:
        """Answer an <iq/>; `sender` and `stanza_id` can be made wrong on purpose."""
        attributes = f"type={quoteattr(kind)} id={quoteattr(stanza_id or request.get('id') or '')}"
        if sender is not None:
            attributes += f" from={quoteattr(sender)}"
        await self.send(f"<iq {attributes}>{payload}</iq>")

    async def hang(self) -> None:
        """Never answer again: read (and record) until the client goes away."""
        while True:
            await self._read_some()


_ids = itertools.count(1)


# --- the usual steps -------------------------------------------------------------------------


def mechanisms(*names: str) -> str:
    inner = "".join(f"<mechanism>{name}</mechanism>" for name in names)
    return f"<mechanisms xmlns='{NS_SASL}'>{inner}</mechanisms>"


async def to_tls(conv: Conversation, plain_features: str = STARTTLS_FEATURE) -> None:
    """Stream header and STARTTLS (nothing to do on a direct TLS connection)."""
    if conv.tls:
        return
    await conv.open_stream(plain_features)
    await conv.starttls()


async def to_register_get(conv: Conversation) -> ET.Element:
    """Up to the client's jabber:iq:register get; returns that iq."""
    await to_tls(conv)
    await conv.open_stream(mechanisms("PLAIN") + REGISTER_FEATURE)
    return await conv.recv_iq()


def form_query(fields: str, instructions: str = "", extra: str = "") -> str:
    """A jabber:iq:register answer holding a XEP-0004 form."""
    instructions_xml = f"<instructions>{instructions}</instructions>" if instructions else ""
    return (f"<query xmlns='{NS_REGISTER}'><x xmlns='{NS_DATA}' type='form'>"
            f"{instructions_xml}{fields}</x>{extra}</query>")


USERNAME_PASSWORD = ("<field var='username' type='text-single' label='User'><required/></field>"
                     "<field var='password' type='text-private' label='Password'><required/>"
                     "</field>")
SIMPLE_FORM = form_query(
    f"<field var='FORM_TYPE' type='hidden'><value>{NS_REGISTER}</value></field>"
    + USERNAME_PASSWORD)


async def serve_form(conv: Conversation, query: str) -> ET.Element:
    """Answer the register get with `query`; return the client's next iq (its submission)."""
    request = await to_register_get(conv)
    await conv.reply(request, query)
    return await conv.recv_iq()


def stanza_error(condition: str, text: str, kind: str = "modify") -> str:
    return (f"<error type={quoteattr(kind)}><{condition} xmlns='{NS_STANZAS}'/>"
            f"<text xmlns='{NS_STANZAS}'>{text}</text></error>")


def stream_error(condition: str, text: str = "") -> str:
    text_xml = f"<text xmlns='{NS_STREAM_ERRORS}'>{text}</text>" if text else ""
    return (f"<stream:error><{condition} xmlns='{NS_STREAM_ERRORS}'/>{text_xml}"
            "</stream:error></stream:stream>")


async def to_auth(conv: Conversation, plain_features: str = STARTTLS_FEATURE,
                  tls_features: str = mechanisms("PLAIN")) -> ET.Element:
    """Up to the client's SASL <auth/>; returns it."""
    await to_tls(conv, plain_features)
    await conv.open_stream(tls_features)
    return await conv.recv()


async def accept_login(conv: Conversation) -> None:
    """After <auth/>: SASL success, the restarted stream and resource binding."""
    await conv.send(f"<success xmlns='{NS_SASL}'/>")
    await conv.open_stream(f"<bind xmlns='{NS_BIND}'/>")
    bind = await conv.recv_iq()
    await conv.reply(bind, f"<bind xmlns='{NS_BIND}'><jid>user@{DOMAIN}/hostile</jid></bind>")


def plain_credentials(auth: ET.Element) -> tuple[str, str]:
    """(username, password) of a SASL PLAIN <auth/>."""
    _authzid, user, password = base64.b64decode(auth.text or "").decode().split("\0")
    return user, password


# --- the server --------------------------------------------------------------------------------


@dataclass
class HostileServer:
    """See the module docstring."""

    behaviour: Behaviour
    tls_files: TlsFiles
    direct_tls: bool = False
    host: str = "127.0.0.1"
    domain: str = DOMAIN
    port: int = 0
    connections: int = 0
    closed: int = 0
    received: list[Received] = field(default_factory=list)
    plain_bytes: bytearray = field(default_factory=bytearray)
    script_errors: list[str] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _listener: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def ca_file(self) -> Path:
        return self.tls_files.ca_file

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.tls_files.cert_file, self.tls_files.key_file)
        return context

    def start(self) -> HostileServer:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="hostile-xmpp",
                                        daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)
        return self

    async def _listen(self) -> None:
        context = self.server_context() if self.direct_tls else None
        self._listener = await asyncio.start_server(self._serve, self.host, 0, ssl=context)
        self.port = self._listener.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(typing.cast("asyncio.Task[None]", task))
        self.connections += 1
        conv = Conversation(self, self.connections, reader, writer, self.direct_tls)
        try:
            await self.behaviour(conv)
            async with asyncio.timeout(DRAIN_LIMIT):
                await conv.hang()
        except ClientGone:
            self.closed += 1
        except TimeoutError:
            self.script_errors.append("the client did not hang up")
        except Exception as error:  # a script that broke: the test should see it
            self.script_errors.append(f"{type(error).__name__}: {error}")
            with contextlib.suppress(ClientGone, TimeoutError):
                async with asyncio.timeout(DRAIN_LIMIT):
                    await conv.hang()
            self.closed += 1
        finally:
            writer.transport.abort()
            self._tasks.discard(typing.cast("asyncio.Task[None]", task))

    def close(self) -> None:
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._loop = None

    async def _shutdown(self) -> None:
        if self._listener is not None:
            self._listener.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- for tests ---------------------------------------------------------------------------

    def names(self, *, tls: bool | None = None) -> list[str]:
        """Local names of what the client sent (e.g. "auth", "iq"), optionally only those
        sent in the clear (`tls=False`) or over TLS."""
        return [r.name for r in self.received if tls is None or r.tls is tls]

    async def wait_closed(self, count: int = 1, timeout: float = 10.0) -> None:
        """Until the client has hung up `count` connections (polled: the server has its own
        event loop)."""
        deadline = time.monotonic() + timeout
        while self.closed < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"the client hung up {self.closed} of {count} "
                                     f"connections within {timeout} s")
            await asyncio.sleep(0.02)


@contextlib.contextmanager
def hostile_servers(folder: Path) -> Iterator[Callable[..., HostileServer]]:
    """`make(behaviour, direct_tls=False)` starts a HostileServer; all are closed at the end."""
    tls_files = make_tls_files(folder / "hostile-tls")
    made: list[HostileServer] = []

    def make(behaviour: Behaviour, *, direct_tls: bool = False) -> HostileServer:
        server = HostileServer(behaviour, tls_files, direct_tls=direct_tls).start()
        made.append(server)
        return server

    try:
        yield make
    finally:
        for server in made:
            server.close()


# --- the catalogue -------------------------------------------------------------------------------

CATALOGUE: dict[str, Behaviour] = {}

# Characters a terminal may act on that XML 1.0 still allows: C1 controls (CSI U+009B, OSC
# U+009D, ST U+009C, NEL U+0085), carriage return, bidi overrides and isolates, zero-width.
# C0 escapes (ESC, BEL, BS) cannot be sent in XML at all: see "escape-raw".
TERMINAL_TRICKS = ("\u009b2J\u009b31m&#13;\u009d52;c;ZXZpbA==\u009c\u0085"
                   "\u202egnp.exe\u202c\u2066\u200b")


def behaviour(name: str) -> Callable[[Behaviour], Behaviour]:
    def register(function: Behaviour) -> Behaviour:
        CATALOGUE[name] = function
        return function
    return register


def answer_form(query: str) -> Behaviour:
    """Serve `query` as the form and accept the submission."""
    async def play(conv: Conversation) -> None:
        submission = await serve_form(conv, query)
        await conv.reply(submission)
    return play


@behaviour("malformed-after-header")
async def malformed_after_header(conv: Conversation) -> None:
    await conv.expect_header()
    await conv.send(conv.stream_header() + "<stream:features><<starttls/></stream:features>")


@behaviour("malformed-first-bytes")
async def malformed_first_bytes(conv: Conversation) -> None:
    """Not XMPP at all: a web server on the XMPP port."""
    await conv.expect_header()
    await conv.send(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")


@behaviour("stream-error-on-submit")
async def stream_error_on_submit(conv: Conversation) -> None:
    await serve_form(conv, SIMPLE_FORM)
    await conv.send(stream_error("system-shutdown", "Going down for maintenance"))


FIELD_COUNT = 5000
CATALOGUE["form-thousands-of-fields"] = answer_form(form_query(USERNAME_PASSWORD + "".join(
    f"<field var='extra{n}' type='text-single' label='Extra {n}'/>" for n in range(FIELD_COUNT))))

HUGE = "A" * (1024 * 1024)
CATALOGUE["form-huge-labels"] = answer_form(form_query(
    USERNAME_PASSWORD + f"<field var='motto' type='text-single' label='{HUGE}'>"
    f"<desc>{HUGE}</desc></field>", instructions=HUGE))

CATALOGUE["form-odd-fields"] = answer_form(form_query(
    USERNAME_PASSWORD
    + "<field var='colour' type='x-colour-picker' label='Colour'/>"  # unknown type
    + "<field var='password' type='text-single' label='Second password field'/>"  # duplicate
    + "<field var='username' type='hidden'><value>admin</value></field>"  # duplicate
    + "<field var='plan' type='list-single' label='Plan'/>"))  # a list without options

CATALOGUE["form-without-credentials"] = answer_form(form_query(
    "<field var='email' type='text-single' label='Email'><required/></field>"))


def captcha_form(media: str, bob: str = "", fallback: str = "") -> str:
    return form_query(
        USERNAME_PASSWORD
        + "<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:captcha</value></field>"
        + fallback
        + f"<field var='ocr' label='Enter the text'><media xmlns='{NS_MEDIA}'>{media}</media>"
        "<required/></field>",
        extra=bob)


def bob_data(cid: str, payload: bytes | str, mime: str = "image/png") -> str:
    encoded = payload if isinstance(payload, str) else base64.b64encode(payload).decode()
    return f"<data xmlns='{NS_BOB}' cid={quoteattr(cid)} type={quoteattr(mime)}>{encoded}</data>"


BIG_IMAGE_BYTES = 20 * 1024 * 1024
CATALOGUE["captcha-huge-image"] = answer_form(captcha_form(
    "<uri type='image/png'>cid:big@bob.xmpp.org</uri>",
    bob_data("big@bob.xmpp.org", "iVBORw0KGgo" + "A" * (BIG_IMAGE_BYTES * 4 // 3))))
CATALOGUE["captcha-not-an-image"] = answer_form(captcha_form(
    "<uri type='image/png'>cid:text@bob.xmpp.org</uri>",
    bob_data("text@bob.xmpp.org", b"#!/bin/sh\necho this is not a picture\n")))
CATALOGUE["captcha-cid-nowhere"] = answer_form(captcha_form(
    "<uri type='image/png'>cid:missing@bob.xmpp.org</uri>",
    bob_data("other@bob.xmpp.org", b"\x89PNG\r\n\x1a\n")))
UNSAFE_URLS = ("http://hostile.test/captcha.png", "javascript:alert(1)",
               "file:///etc/passwd")
CATALOGUE["captcha-unsafe-urls"] = answer_form(captcha_form(
    "".join(f"<uri type='image/png'>{url}</uri>" for url in UNSAFE_URLS),
    f"<x xmlns='{NS_OOB}'><url>{UNSAFE_URLS[1]}</url></x>",
    fallback="<field var='captcha-fallback-url' type='hidden'>"
             f"<value>{UNSAFE_URLS[0]}</value></field>"
             f"<field var='url' type='text-single'><value>{UNSAFE_URLS[2]}</value></field>"))


@behaviour("reply-from-wrong-sender")
async def reply_from_wrong_sender(conv: Conversation) -> None:
    request = await to_register_get(conv)
    await conv.reply(request, SIMPLE_FORM, sender="evil.example")
    await conv.reply(request, SIMPLE_FORM, sender=f"{DOMAIN}.evil.example")


@behaviour("reply-with-wrong-id")
async def reply_with_wrong_id(conv: Conversation) -> None:
    request = await to_register_get(conv)
    await conv.reply(request, SIMPLE_FORM, stanza_id=request.get("id", "") + "-not")


@behaviour("silent-after-connect")
async def silent_after_connect(conv: Conversation) -> None:
    await conv.expect_header()


@behaviour("silent-after-starttls")
async def silent_after_starttls(conv: Conversation) -> None:
    await to_tls(conv)
    await conv.expect_header()


@behaviour("silent-after-register-get")
async def silent_after_register_get(conv: Conversation) -> None:
    await to_register_get(conv)


@behaviour("slow-loris-form")
async def slow_loris_form(conv: Conversation) -> None:
    """The form, one byte a second (about 20 minutes in all)."""
    request = await to_register_get(conv)
    await conv.send_slowly(f"<iq type='result' id={quoteattr(request.get('id', ''))} "
                           f"from='{DOMAIN}'>{SIMPLE_FORM}</iq>")


@behaviour("slow-loris-header")
async def slow_loris_header(conv: Conversation) -> None:
    await conv.expect_header()
    await conv.send_slowly(conv.stream_header()
                           + f"<stream:features>{STARTTLS_FEATURE}</stream:features>")


CATALOGUE["escape-sequences"] = answer_form(form_query(
    f"<title>Sign up{TERMINAL_TRICKS}</title>"
    + f"<field var='username' type='text-single' label='User{TERMINAL_TRICKS}'><required/>"
    + f"<desc>Your name{TERMINAL_TRICKS}</desc></field>"
    + f"<field var='password' type='text-private' label='Password{TERMINAL_TRICKS}'>"
    "<required/></field>"
    + f"<field var='plan' type='list-single' label='Plan{TERMINAL_TRICKS}'>"
    f"<option label='Free{TERMINAL_TRICKS}'><value>free{TERMINAL_TRICKS}</value></option>"
    "</field>",
    instructions=f"Welcome{TERMINAL_TRICKS} to the server"))

CATALOGUE["escape-raw"] = answer_form(form_query(
    USERNAME_PASSWORD, instructions="Hello \x1b[2J\x1b]52;c;ZXZpbA==\x07\x1b[31m\x08"))

@behaviour("escape-in-error")
async def escape_in_error(conv: Conversation) -> None:
    submission = await serve_form(conv, SIMPLE_FORM)
    await conv.reply(submission, stanza_error("not-acceptable", f"No{TERMINAL_TRICKS} way"),
                     kind="error")


@behaviour("escape-in-stream-error")
async def escape_in_stream_error(conv: Conversation) -> None:
    await serve_form(conv, SIMPLE_FORM)
    await conv.send(stream_error("policy-violation", f"Bye{TERMINAL_TRICKS} now"))


@behaviour("no-starttls-plain-offered")
async def no_starttls_plain_offered(conv: Conversation) -> None:
    """The downgrade: STARTTLS stripped, PLAIN offered in the clear."""
    await conv.open_stream(mechanisms("PLAIN") + REGISTER_FEATURE)


@behaviour("plain-offered-before-tls")
async def plain_offered_before_tls(conv: Conversation) -> None:
    """STARTTLS optional and PLAIN offered in the clear; PLAIN (and registration) over TLS."""
    await to_tls(conv, f"<starttls xmlns='{NS_TLS}'/>" + mechanisms("PLAIN") + REGISTER_FEATURE)
    await conv.open_stream(mechanisms("PLAIN") + REGISTER_FEATURE)
    first = await conv.recv()
    if first.tag == f"{{{NS_SASL}}}auth":
        await accept_login(conv)
        return
    await conv.reply(first, SIMPLE_FORM)


@behaviour("starttls-refused")
async def starttls_refused(conv: Conversation) -> None:
    await conv.open_stream(STARTTLS_FEATURE + mechanisms("PLAIN"))
    await conv.recv()
    await conv.send(f"<failure xmlns='{NS_TLS}'/>")


@behaviour("starttls-stream-end")
async def starttls_stream_end(conv: Conversation) -> None:
    await conv.open_stream(STARTTLS_FEATURE + mechanisms("PLAIN"))
    await conv.recv()
    await conv.send("</stream:stream>")
