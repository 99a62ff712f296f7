"""The real client against a scripted hostile server (tests/servers/hostile.py), over the wire.

Every case goes through the code path the app uses (RegistrationSession, verify_login,
connect) and must end within its time-out with a clear OnboardError, nothing else escaping, and
the client hanging up afterwards. At the end: channel binding with the real Prosody.
"""

from __future__ import annotations

import base64
import time
import unicodedata
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from onboard.core import accounts, captcha
from onboard.core.errors import (
    NetworkTimeoutError,
    NotAcceptableError,
    NoTlsError,
    OnboardError,
    ProtocolError,
    StreamClosedError,
    TlsError,
)
from onboard.core.network import DirectNetwork
from onboard.core.xmpp.address import ServerAddress
from onboard.core.xmpp.forms import NS_DATA, RegistrationForm
from onboard.core.xmpp.registration import (
    RegisteredAccount,
    RegistrationSession,
    connect,
    verify_login,
)
from tests.servers.hostile import (
    CATALOGUE,
    DOMAIN,
    FIELD_COUNT,
    UNSAFE_URLS,
    HostileServer,
    hostile_servers,
)

pytestmark = pytest.mark.timeout(60)

TIMEOUT = 2.0
# The wait itself, plus closing the connection (slixmpp waits up to 1 s for the server).
LIMIT = TIMEOUT + 2.5
PASSWORD = "correct-horse-battery-staple"
ANSWERS = {"username": ["mallory"], "password": [PASSWORD]}

Make = Callable[..., HostileServer]


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[Make]:
    """`hostile("behaviour-name", direct_tls=False)` starts a server playing that behaviour."""
    with hostile_servers(tmp_path) as make:
        yield lambda name, direct_tls=False: make(CATALOGUE[name], direct_tls=direct_tls)


def address_of(server: HostileServer) -> ServerAddress:
    return ServerAddress(server.domain, server.host, server.port, server.direct_tls,
                         server.ca_file)


def assert_inert(text: str) -> None:
    """Nothing a terminal would act on: no control or format characters but newline and tab."""
    bad = [f"U+{ord(c):04X}" for c in text
           if c not in "\n\t" and unicodedata.category(c) in ("Cc", "Cf")]
    assert not bad, f"{bad} in {text[:200]!r}"


async def fails_with(kind: type[OnboardError], work: Awaitable[Any],
                     limit: float = LIMIT) -> OnboardError:
    """`work` raises `kind` (any other exception fails the test) within `limit` seconds, with a
    message and a hint a person can read."""
    started = time.monotonic()
    with pytest.raises(kind) as caught:
        await work
    assert time.monotonic() - started < limit
    error = caught.value
    assert error.message and error.hint
    for text in (error.message, error.hint, error.detail):
        assert_inert(text)
    return error


async def open_form(server: HostileServer, timeout: float = TIMEOUT,
                    network: DirectNetwork | None = None) -> RegistrationSession:
    session = RegistrationSession(address_of(server), network or DirectNetwork(),
                                  timeout=timeout)
    await session.open()
    return session


async def fetch_form(server: HostileServer, timeout: float = TIMEOUT) -> RegistrationForm:
    session = await open_form(server, timeout)
    await session.close()
    assert session.form is not None
    return session.form


async def register(server: HostileServer, answers: dict[str, list[str]] = ANSWERS,
                   timeout: float = TIMEOUT) -> RegisteredAccount:
    session = RegistrationSession(address_of(server), DirectNetwork(), timeout=timeout)
    try:
        await session.open()
        return await session.submit(answers)
    finally:
        await session.close()


async def hung_up(server: HostileServer, connections: int = 1) -> None:
    """The client closed its connection(s), and the script itself ran as written."""
    await server.wait_closed(connections)
    assert server.script_errors == []


def submission_fields(server: HostileServer) -> list[str]:
    """The `var`s of the data form the client submitted."""
    import xml.etree.ElementTree as ET

    sets = [r for r in server.received if r.name == "iq" and "type=\"set\"" in r.xml]
    assert len(sets) == 1
    element = ET.fromstring(sets[0].xml)
    return [f.get("var", "") for f in element.iter(f"{{{NS_DATA}}}field")]


# --- 1. malformed XML --------------------------------------------------------------------------


@pytest.mark.parametrize("direct_tls", [False, True], ids=["starttls", "direct-tls"])
@pytest.mark.parametrize("behaviour", ["malformed-after-header", "malformed-first-bytes"])
async def test_malformed_xml_is_a_protocol_error(hostile: Make, behaviour: str,
                                                 direct_tls: bool) -> None:
    server = hostile(behaviour, direct_tls=direct_tls)
    error = await fails_with(ProtocolError, register(server))
    assert error.message == "The server sent an answer that could not be understood."
    assert "malformed XML" in error.detail
    assert server.names() == ["stream"]  # nothing but the stream header was sent
    await hung_up(server)


# --- 2. a stream error on submit ---------------------------------------------------------------


async def test_stream_error_on_submit_ends_the_session(hostile: Make) -> None:
    server = hostile("stream-error-on-submit")
    session = await open_form(server)
    error = await fails_with(StreamClosedError, session.submit(ANSWERS))
    assert "system-shutdown" in error.detail and "maintenance" in error.detail
    # The server hung up on purpose: not the user's internet connection.
    assert error.message == "The server ended the connection (system-shutdown)."
    assert "internet" not in error.hint and "few minutes" in error.hint
    assert session.client is None  # closed: the form cannot be sent twice
    # Whether the server created the account is unknown: the password stays saved.
    pending = [a for a in accounts.list_saved() if a.status == "pending"]
    assert [a.jid for a in pending] == [f"mallory@{DOMAIN}"]
    await hung_up(server)


# --- 3. strange forms --------------------------------------------------------------------------


async def test_thousands_of_fields_are_refused(hostile: Make) -> None:
    server = hostile("form-thousands-of-fields")
    error = await fails_with(ProtocolError, register(server), limit=10)
    assert f"{FIELD_COUNT + 2} fields" in error.detail
    assert submission_fields_sent(server) == 0
    await hung_up(server)


def submission_fields_sent(server: HostileServer) -> int:
    return sum(1 for r in server.received if r.name == "iq" and "type=\"set\"" in r.xml)


async def test_megabyte_labels_are_capped_and_the_form_works(hostile: Make) -> None:
    server = hostile("form-huge-labels")
    session = await open_form(server, timeout=10)
    form = session.form
    assert form is not None
    motto = next(f for f in form.fields if f.var == "motto")
    assert len(motto.label) <= 300 and len(motto.desc) <= 1000
    assert len(form.instructions) <= 2000
    account = await session.submit({**ANSWERS, "motto": ["hi"]})
    assert account.jid == f"mallory@{DOMAIN}"
    assert "motto" in submission_fields(server)
    await hung_up(server)


async def test_odd_fields_are_tamed(hostile: Make) -> None:
    """Unknown types become text, duplicate vars keep the first, a list without options is
    still a field that can be answered."""
    server = hostile("form-odd-fields")
    session = await open_form(server)
    form = session.form
    assert form is not None
    by_var = {f.var: f for f in form.fields}
    assert [f.var for f in form.fields] == ["username", "password", "colour", "plan"]
    assert by_var["colour"].type == "text-single"
    assert by_var["password"].type == "text-private"  # not the later text-single twin
    assert by_var["username"].visible and by_var["username"].values == []  # not "admin"
    assert by_var["plan"].type == "list-single" and by_var["plan"].options == []
    await session.submit({**ANSWERS, "colour": ["red"], "plan": ["free"]})
    assert submission_fields(server) == ["username", "password", "colour", "plan"]
    await hung_up(server)


async def test_a_form_without_username_and_password_is_refused(hostile: Make) -> None:
    """Submitting it would not create the account that gets saved."""
    server = hostile("form-without-credentials")
    error = await fails_with(ProtocolError, register(server))
    assert "username" in error.detail
    assert submission_fields_sent(server) == 0
    assert accounts.list_saved() == []
    await hung_up(server)


# --- 4. CAPTCHA ----------------------------------------------------------------------------------


async def test_a_20_mb_captcha_image_is_dropped_and_the_form_still_works(hostile: Make) -> None:
    server = hostile("captcha-huge-image")
    session = await open_form(server, timeout=20)
    form = session.form
    assert form is not None and form.captcha_field is not None
    assert form.bob == {}  # never decoded, nothing kept
    assert form.captcha_image() is None
    await session.submit({**ANSWERS, "ocr": ["abcde"]})
    assert "ocr" in submission_fields(server)
    await hung_up(server)


async def test_captcha_data_that_is_not_an_image(hostile: Make) -> None:
    form = await fetch_form(hostile("captcha-not-an-image"))
    image = form.captcha_image()
    assert image is not None and image.data.startswith(b"#!/bin/sh")
    error = await fails_with(ProtocolError, _decode(image.data))
    assert "not a readable image" in error.detail


async def _decode(data: bytes) -> captcha.HalfBlockImage:
    return captcha.decode(data)


async def test_captcha_cid_pointing_nowhere(hostile: Make) -> None:
    server = hostile("captcha-cid-nowhere")
    form = await fetch_form(server)
    assert form.captcha_field is not None
    assert form.captcha_image() is None and form.captcha_urls() == []
    assert list(form.bob) == ["other@bob.xmpp.org"]
    await hung_up(server)


class CountingNetwork(DirectNetwork):
    """The direct route, counting every HTTP client it hands out (a CAPTCHA fetch)."""

    def __init__(self) -> None:
        super().__init__()
        self.http_clients = 0

    def http_client(self, *args: Any, **kwargs: Any) -> Any:
        self.http_clients += 1
        return super().http_client(*args, **kwargs)


async def test_unsafe_captcha_links_are_never_offered_or_fetched(hostile: Make) -> None:
    server = hostile("captcha-unsafe-urls")
    network = CountingNetwork()
    session = await open_form(server, network=network)
    await session.close()
    form = session.form
    assert form is not None and form.captcha_field is not None
    assert form.captcha_urls() == []
    assert form.web_url is None  # the javascript: sign-up link
    assert form.captcha_image() is None
    assert network.http_clients == 0
    assert len(UNSAFE_URLS) == 3
    await hung_up(server)


# --- 5. answers from the wrong sender or with the wrong id -----------------------------------


@pytest.mark.parametrize("behaviour", ["reply-from-wrong-sender", "reply-with-wrong-id"])
async def test_a_foreign_answer_is_ignored(hostile: Make, behaviour: str) -> None:
    server = hostile(behaviour)
    error = await fails_with(NetworkTimeoutError, register(server))
    assert isinstance(error, NetworkTimeoutError) and error.step == "registration form"
    assert submission_fields_sent(server) == 0  # the foreign form was never filled in
    await hung_up(server)


# --- 6. and 7. silence and a slow-loris ---------------------------------------------------------


@pytest.mark.parametrize(("behaviour", "step"), [
    ("silent-after-connect", "connect"),
    ("silent-after-starttls", "connect"),
    ("silent-after-register-get", "registration form"),
    ("slow-loris-header", "connect"),
    ("slow-loris-form", "registration form"),
])
@pytest.mark.parametrize("direct_tls", [False, True], ids=["starttls", "direct-tls"])
async def test_a_server_that_does_not_answer_in_time(hostile: Make, behaviour: str, step: str,
                                                     direct_tls: bool) -> None:
    server = hostile(behaviour, direct_tls=direct_tls)
    error = await fails_with(NetworkTimeoutError, register(server))
    assert isinstance(error, NetworkTimeoutError) and error.step == step
    assert error.message == f"The server did not answer in time ({TIMEOUT:.0f} s)."
    await hung_up(server)


# --- 8. terminal escape sequences ------------------------------------------------------------


async def test_terminal_tricks_in_the_form_are_made_inert(hostile: Make) -> None:
    server = hostile("escape-sequences")
    form = await fetch_form(server)
    texts = [form.title, form.instructions]
    for f in form.fields:
        texts += [f.label, f.desc, f.display_label, *f.values]
        texts += [text for o in f.options for text in (o.label, o.value)]
    for text in texts:
        assert_inert(text)
    assert form.instructions.startswith("Welcome") and "to the server" in form.instructions
    assert next(f for f in form.fields if f.var == "username").label.startswith("User")
    await hung_up(server)


async def test_escape_bytes_are_not_even_xml(hostile: Make) -> None:
    """ESC, BEL and BS are not allowed in XML 1.0: such a form is refused as a whole."""
    server = hostile("escape-raw")
    error = await fails_with(ProtocolError, register(server))
    assert "malformed XML" in error.detail
    await hung_up(server)


async def test_terminal_tricks_in_an_error_answer_are_made_inert(hostile: Make) -> None:
    server = hostile("escape-in-error")
    error = await fails_with(NotAcceptableError, register(server))
    assert "No" in error.message and "way" in error.message
    await hung_up(server)


async def test_terminal_tricks_in_a_stream_error_are_made_inert(hostile: Make) -> None:
    server = hostile("escape-in-stream-error")
    error = await fails_with(StreamClosedError, register(server))
    assert "policy-violation" in error.detail
    assert "(policy-violation)" in error.message
    await hung_up(server)


# --- 9. TLS and authentication downgrades --------------------------------------------------------


def login(server: HostileServer, timeout: float = TIMEOUT) -> Awaitable[float]:
    return verify_login(f"mallory@{DOMAIN}", PASSWORD, address_of(server), DirectNetwork(),
                        timeout=timeout)


def password_in(data: bytes) -> bool:
    plain = f"\0mallory\0{PASSWORD}".encode()
    return PASSWORD.encode() in data or base64.b64encode(plain) in data


@pytest.mark.parametrize("purpose", ["register", "login"])
async def test_stripped_starttls_is_refused_before_anything_is_sent(hostile: Make,
                                                                    purpose: str) -> None:
    server = hostile("no-starttls-plain-offered")
    work = register(server) if purpose == "register" else login(server)
    error = await fails_with(NoTlsError, work)
    assert "does not offer an encrypted connection" in error.message
    assert "in the clear" in error.hint
    assert server.names() == ["stream"]  # no <auth/>, no <iq/>
    assert not password_in(bytes(server.plain_bytes))
    await hung_up(server)


async def test_plain_offered_in_the_clear_is_only_used_after_tls(hostile: Make) -> None:
    server = hostile("plain-offered-before-tls")
    await login(server)
    auths = [r for r in server.received if r.name == "auth"]
    assert len(auths) == 1 and auths[0].tls
    assert server.names(tls=False) == ["stream", "starttls"]
    assert not password_in(bytes(server.plain_bytes))
    await hung_up(server)


async def test_registration_with_plain_offered_in_the_clear_goes_over_tls(hostile: Make) -> None:
    server = hostile("plain-offered-before-tls")
    form = await fetch_form(server)
    assert form.has_username and form.has_password
    assert server.names(tls=False) == ["stream", "starttls"]
    assert [r.tls for r in server.received if r.name == "iq"] == [True]
    await hung_up(server)


@pytest.mark.parametrize("behaviour", ["starttls-refused", "starttls-stream-end"])
@pytest.mark.parametrize("purpose", ["register", "login"])
async def test_a_failed_starttls_never_falls_back_to_the_clear(hostile: Make, behaviour: str,
                                                               purpose: str) -> None:
    server = hostile(behaviour)
    work = register(server) if purpose == "register" else login(server)
    error = await fails_with(TlsError, work)
    assert isinstance(error, TlsError) and error.reason == "handshake"
    assert error.message == f"A secure connection to {DOMAIN} could not be set up."
    assert server.names() == ["stream", "starttls"]
    assert not password_in(bytes(server.plain_bytes))
    await hung_up(server)


# --- channel binding with the real Prosody ----------------------------------------------------


async def logged_in_mechanism(prosody: Any, jid: str, password: str) -> tuple[str, str | None]:
    """(the SASL mechanism the login succeeded with, the TLS version) on open.test."""
    address = ServerAddress("open.test", prosody.host, prosody.starttls_port, False,
                            prosody.ca_file)
    client = await connect(address, DirectNetwork(), purpose="login", jid=jid,
                           password=password, timeout=10)
    try:
        version, _expires = client.tls_facts()
        mechanism = client.sasl_mechanism_used
    finally:
        await client.close()
    return mechanism, version


@pytest.mark.prosody
async def test_login_uses_channel_binding_when_tls_1_2_offers_it(
        prosody: Any, make_account: Callable[..., Awaitable[tuple[str, str]]],
        tls_1_2_only: None) -> None:
    jid, password = await make_account("cb")
    mechanism, version = await logged_in_mechanism(prosody, jid, password)
    assert version == "TLSv1.2"
    assert mechanism == "SCRAM-SHA-1-PLUS"
    address = ServerAddress("open.test", prosody.host, prosody.starttls_port, False,
                            prosody.ca_file)
    assert await verify_login(jid, password, address, DirectNetwork(), timeout=10) < 10


@pytest.mark.prosody
async def test_login_without_plus_on_tls_1_3(
        prosody: Any, make_account: Callable[..., Awaitable[tuple[str, str]]]) -> None:
    jid, password = await make_account("nocb")
    mechanism, version = await logged_in_mechanism(prosody, jid, password)
    assert version == "TLSv1.3"
    assert mechanism == "SCRAM-SHA-1"
