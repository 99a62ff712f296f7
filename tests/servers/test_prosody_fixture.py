"""The Prosody fixture really serves what the registration tests rely on (raw XMPP, no mocks)."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import secrets
import ssl
from pathlib import Path

import pytest

from .prosody import WEB_SIGNUP_URL, ProsodyServer, storage_name
from .rawxmpp import (
    NS_BOB,
    NS_DATA,
    NS_MEDIA,
    NS_REGISTER,
    NS_REGISTER_FEATURE,
    NS_SASL,
    NS_TLS,
    RawXmpp,
    XmppError,
    field_value,
    form_fields,
)

pytestmark = pytest.mark.prosody

REGISTER = f"{{{NS_REGISTER_FEATURE}}}register"
STARTTLS = f"{{{NS_TLS}}}starttls"
MECHANISMS = f"{{{NS_SASL}}}mechanisms"
PASSWORD = "fixture-password-123"


def fresh(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(3)}"


async def connect(prosody: ProsodyServer, domain: str, *, direct_tls: bool = False,
                  **options: object) -> RawXmpp:
    port = prosody.direct_tls_port if direct_tls else prosody.starttls_port
    options.setdefault("ca_file", prosody.ca_file)
    return await RawXmpp.connect(prosody.host, port, domain, direct_tls=direct_tls,
                                 **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("direct_tls", [False, True], ids=["starttls", "direct-tls"])
@pytest.mark.parametrize(("domain", "registration"), [
    ("open.test", True), ("fields.test", True), ("captcha.test", True),
    ("ratelimit.test", True), ("closed.test", False), ("web.test", True),
])
async def test_tls_hosts_advertise_registration_as_configured(
        prosody: ProsodyServer, domain: str, registration: bool, direct_tls: bool) -> None:
    async with await connect(prosody, domain, direct_tls=direct_tls) as client:
        assert client.tls
        if not direct_tls:  # encryption is required: nothing but STARTTLS before it
            assert client.features_before_tls is not None
            assert [f.tag for f in client.features_before_tls] == [STARTTLS]
        assert MECHANISMS in client.feature_names
        assert (REGISTER in client.feature_names) is registration


async def test_notls_host_offers_no_starttls(prosody: ProsodyServer) -> None:
    async with await RawXmpp.connect(prosody.host, prosody.notls_port, "notls.test",
                                     starttls=False) as client:
        assert not client.tls
        assert STARTTLS not in client.feature_names
        # A trap for a careless client: registration and PLAIN in the clear.
        assert REGISTER in client.feature_names
        mechanisms = client.feature(NS_SASL, "mechanisms")
        assert mechanisms is not None and "PLAIN" in {m.text for m in mechanisms}
    with pytest.raises(ConnectionError, match="does not offer STARTTLS"):
        await RawXmpp.connect(prosody.host, prosody.notls_port, "notls.test",
                              ca_file=prosody.ca_file)


@pytest.mark.parametrize("direct_tls", [False, True], ids=["starttls", "direct-tls"])
@pytest.mark.parametrize(("domain", "message"), [
    ("expired.test", "certificate has expired"),
    ("wronghost.test", "Hostname mismatch"),
    ("selfsigned.test", "self-signed certificate"),
    ("open.test", "unable to get local issuer certificate"),  # no test CA given
])
async def test_bad_certificates_fail_verification(prosody: ProsodyServer, domain: str,
                                                  message: str, direct_tls: bool) -> None:
    ca_file = None if domain == "open.test" else prosody.ca_file
    assert {"expired", "wronghost", "selfsigned"} <= set(prosody.tls_cases)
    with pytest.raises(ssl.SSLCertVerificationError) as caught:
        await connect(prosody, domain, direct_tls=direct_tls, ca_file=ca_file)
    assert message in str(caught.value)


async def test_open_registration_creates_the_account(prosody: ProsodyServer) -> None:
    name = fresh("Fix.ture-")  # upper case, dot and dash: checks user_exists' escaping
    async with await connect(prosody, "open.test") as client:
        form = await client.registration_form()
        fields = form_fields(form)
        assert field_value(fields["FORM_TYPE"]) == "jabber:iq:register"
        assert {"username", "password"} <= set(fields)
        assert not prosody.user_exists("open.test", name)
        await client.register({"username": name, "password": PASSWORD}, "jabber:iq:register")
        with pytest.raises(XmppError) as caught:
            await client.register({"username": name, "password": PASSWORD},
                                  "jabber:iq:register")
    assert (caught.value.type, caught.value.condition) == ("cancel", "conflict")
    assert prosody.user_exists("open.test", name)
    stored = prosody.data_dir / "open%2etest" / "accounts" / f"{storage_name(name.lower())}.dat"
    assert stored.is_file() and "%2e" in stored.name and "%2d" in stored.name
    assert not prosody.user_exists("closed.test", name)


async def test_fields_host_requires_its_extra_fields(prosody: ProsodyServer) -> None:
    name = fresh("fields")
    async with await connect(prosody, "fields.test") as client:
        fields = form_fields(await client.registration_form())
        required = {var for var, f in fields.items()
                    if f.find(f"{{{NS_DATA}}}required") is not None}
        assert {"username", "password", "email", "reason"} <= required
        assert fields["reason"].get("label")
        with pytest.raises(XmppError) as caught:
            await client.register({"username": name, "password": PASSWORD},
                                  "jabber:iq:register")
        assert (caught.value.type, caught.value.condition) == ("modify", "not-acceptable")
        assert "Email" in caught.value.text
        await client.register({"username": name, "password": PASSWORD,
                               "email": "someone@example.org", "reason": "tests"},
                              "jabber:iq:register")
    assert prosody.user_exists("fields.test", name)


async def test_second_registration_is_rate_limited(prosody: ProsodyServer) -> None:
    outcomes = []
    for _ in range(2):  # other tests may already have used 127.0.0.1's one registration
        async with await connect(prosody, "ratelimit.test") as client:
            try:
                await client.register({"username": fresh("rate"), "password": PASSWORD},
                                      "jabber:iq:register")
                outcomes.append("created")
            except XmppError as error:
                outcomes.append(f"{error.type}/{error.condition}")
    assert outcomes[-1] == "wait/policy-violation"


async def test_closed_host_refuses_registration(prosody: ProsodyServer) -> None:
    async with await connect(prosody, "closed.test") as client:
        with pytest.raises(XmppError) as form_refused:
            await client.registration_form()
        with pytest.raises(XmppError) as submit_refused:
            await client.register({"username": "ivan", "password": PASSWORD})
    for caught in (form_refused, submit_refused):
        assert (caught.value.type, caught.value.condition) == ("cancel", "service-unavailable")
    assert not prosody.user_exists("closed.test", "ivan")


@pytest.mark.parametrize("direct_tls", [False, True], ids=["starttls", "direct-tls"])
async def test_web_host_sends_people_to_its_sign_up_page(prosody: ProsodyServer,
                                                         direct_tls: bool) -> None:
    """XEP-0077 §5 redirection: instructions and a jabber:x:oob URL, no fields; a submit
    anyway is refused and creates nothing."""
    name = fresh("web")
    assert prosody.web_signup_url == WEB_SIGNUP_URL == "https://web.test/signup"
    async with await connect(prosody, "web.test", direct_tls=direct_tls) as client:
        assert REGISTER in client.feature_names
        answer = await client.registration_form()
        query = answer.find(f"{{{NS_REGISTER}}}query")
        assert query is not None
        assert [child.tag for child in query] == [f"{{{NS_REGISTER}}}instructions",
                                                  "{jabber:x:oob}x"]
        url = query.find("{jabber:x:oob}x/{jabber:x:oob}url")
        assert url is not None and url.text == WEB_SIGNUP_URL
        instructions = query.findtext(f"{{{NS_REGISTER}}}instructions") or ""
        assert "web.test" in instructions and WEB_SIGNUP_URL in instructions
        assert query.find(f"{{{NS_DATA}}}x") is None and form_fields(answer) == {}
        with pytest.raises(XmppError) as caught:
            await client.register({"username": name, "password": PASSWORD},
                                  "jabber:iq:register")
    assert (caught.value.type, caught.value.condition) == ("cancel", "not-allowed")
    assert WEB_SIGNUP_URL in caught.value.text
    assert not prosody.user_exists("web.test", name)


async def test_captcha_form_carries_the_image(prosody: ProsodyServer) -> None:
    from PIL import Image

    async with await connect(prosody, "captcha.test") as client:
        answer = await client.registration_form()
    fields = form_fields(answer)
    assert field_value(fields["FORM_TYPE"]) == "urn:xmpp:captcha"
    assert fields["challenge"].get("type") == "hidden" and field_value(fields["challenge"])
    assert {"username", "password", "ocr"} <= set(fields)
    uri = fields["ocr"].find(f"{{{NS_MEDIA}}}media/{{{NS_MEDIA}}}uri")
    assert uri is not None and uri.get("type") == "image/png"
    assert uri.text is not None and uri.text.startswith("cid:sha1+")
    cid = uri.text[4:]
    data = answer.find(f"{{{NS_BOB}}}data")  # XEP-0231: a child of the iq, next to <query/>
    assert data is not None and data.get("cid") == cid and data.get("type") == "image/png"
    png = base64.b64decode(data.text or "", validate=True)
    assert png == prosody.captcha_png
    assert cid == f"sha1+{hashlib.sha1(png).hexdigest()}@bob.xmpp.org"
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.width > 50 and image.height > 20
    assert len(prosody.captcha_answer) == 5


async def test_captcha_rejects_a_wrong_answer_and_accepts_the_right_one(
        prosody: ProsodyServer) -> None:
    name = fresh("captcha")
    async with await connect(prosody, "captcha.test") as client:
        challenge = field_value(form_fields(await client.registration_form())["challenge"])
        answers = {"username": name, "password": PASSWORD, "challenge": challenge}
        with pytest.raises(XmppError) as caught:
            await client.register({**answers, "ocr": "WRONG"}, "urn:xmpp:captcha")
        assert (caught.value.type, caught.value.condition) == ("modify", "not-acceptable")
        assert caught.value.text == "CAPTCHA answer was wrong"
        assert not prosody.user_exists("captcha.test", name)
        # A challenge is single use: the right answer to a used one is refused too.
        with pytest.raises(XmppError) as caught:
            await client.register({**answers, "ocr": prosody.captcha_answer}, "urn:xmpp:captcha")
        assert caught.value.condition == "not-acceptable" and "CAPTCHA" in caught.value.text
        # Without any challenge (legacy fields) it is refused as well.
        with pytest.raises(XmppError) as caught:
            await client.register({"username": name, "password": PASSWORD})
        assert caught.value.condition == "not-acceptable" and "CAPTCHA" in caught.value.text
        assert not prosody.user_exists("captcha.test", name)

        challenge = field_value(form_fields(await client.registration_form())["challenge"])
        await client.register({**answers, "challenge": challenge,
                               "ocr": f" {prosody.captcha_answer.lower()} "},
                              "urn:xmpp:captcha")
    assert prosody.user_exists("captcha.test", name)


def test_only_the_two_client_ports_are_open(prosody: ProsodyServer) -> None:
    if not Path("/proc/net/tcp").exists():
        pytest.skip("needs Linux /proc")
    assert prosody.process is not None
    fd_dir = Path(f"/proc/{prosody.process.pid}/fd")
    inodes = set()
    for fd in fd_dir.iterdir():
        target = os.readlink(fd)
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp", "/proc/net/udp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            columns = line.split()
            local, state, inode = columns[1], columns[3], columns[9]
            if inode in inodes and (state == "0A" or "udp" in table):  # 0A = LISTEN
                listening.add((table.rsplit("/", 1)[1], int(local.rsplit(":", 1)[1], 16)))
    assert listening == {("tcp", prosody.starttls_port), ("tcp", prosody.direct_tls_port)}


def test_user_exists_does_not_match_other_hosts_or_names(prosody: ProsodyServer) -> None:
    assert not prosody.user_exists("open.test", "nobody-" + secrets.token_hex(4))
    assert not prosody.user_exists("no-such-host.test", "anyone")
    assert prosody.host == "127.0.0.1"
    assert prosody.ca_file.is_file() and prosody.log_file.is_file()
