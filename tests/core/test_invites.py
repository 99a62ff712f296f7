"""XEP-0401 invites against the real Prosody (tests/servers/prosody.py): invite.test lets its
users invite friends who sign up there, contactinvite.test only lets them invite contacts, and
open.test has no invites. Reading an invite URI and the server's answer is tested on its own
too, with the hostile answers a real server would not send."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable

import pytest

from onboard.core.errors import (
    InvalidInputError,
    InviteAnswerError,
    InviteRefusedError,
    InviteRequiredError,
    InvitesUnavailableError,
    LoginFailedError,
    NetworkTimeoutError,
    ServerRefusedError,
)
from onboard.core.network import DirectNetwork, Network
from onboard.core.omemo.errors import AccountLoginFailedError
from onboard.core.xmpp.address import ServerAddress
from onboard.core.xmpp.invites import (
    MAX_URI,
    REGISTER,
    ROSTER,
    InviteLink,
    create_invite,
    invite_from_answer,
    invite_instructions,
    invites_offered,
    parse_invite,
)
from onboard.core.xmpp.registration import RegistrationSession
from tests.core.test_probe import CountingNetwork
from tests.servers.omemo_devices import PepSession
from tests.servers.prosody import ProsodyServer

pytestmark = pytest.mark.prosody
TIMEOUT = 10.0
TOKEN = re.compile(r"[A-Za-z0-9_-]{8,64}")
NS_ROSTER = "jabber:iq:roster"

MakeAccount = Callable[..., Awaitable[tuple[str, str]]]
Server = Callable[..., ServerAddress]


def fresh(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(4)}"


async def sign_up(address: ServerAddress, token: str | None, prefix: str = "friend",
                  network: Network | None = None,
                  timeout: float = TIMEOUT) -> tuple[str, str]:
    """A new account on `address` with an invite's token (the way the assistant does it)."""
    name, password = fresh(prefix), secrets.token_urlsafe(12)
    session = RegistrationSession(address, network or DirectNetwork(), timeout=timeout,
                                  invite_token=token)
    try:
        await session.open()
        account = await session.submit({"username": [name], "password": [password]})
    finally:
        await session.close()
    return account.jid, password


async def invited_account(prosody: ProsodyServer, address: ServerAddress,
                          prefix: str = "inviter") -> tuple[str, str]:
    """An account on an invite-only host, from an admin's account invite (prosodyctl)."""
    return await sign_up(address, prosody.account_invite(address.domain), prefix)


async def roster_of(prosody: ProsodyServer, jid: str, password: str) -> dict[str, str]:
    """{contact: subscription} as the server keeps `jid`'s contact list."""
    async with PepSession(prosody, jid, password) as session:
        iq = session.client.Iq()
        iq["type"] = "get"
        ET.SubElement(iq.xml, f"{{{NS_ROSTER}}}query")
        reply = await iq.send(timeout=TIMEOUT)
    return {str(item.get("jid")): str(item.get("subscription"))
            for item in reply.xml.iter(f"{{{NS_ROSTER}}}item")}


# --- creating an invite ------------------------------------------------------------------------


async def test_an_invite_lets_a_friend_sign_up_and_makes_them_contacts(
        prosody: ProsodyServer, server: Server) -> None:
    address = server("invite.test")
    alice, password = await invited_account(prosody, address, "alice")
    started = dt.datetime.now(dt.UTC)
    invite = await create_invite(alice, password, address, DirectNetwork(), TIMEOUT)

    # What Prosody's mod_invites gives: a contact invite that also allows signing up.
    match = re.fullmatch(rf"xmpp:{re.escape(alice)}\?roster;preauth=([^;]+);ibr=y", invite.uri)
    assert match is not None, invite.uri
    assert invite.token == match.group(1) and TOKEN.fullmatch(invite.token)
    assert invite.link == InviteLink(alice, invite.token, ROSTER, ibr=True)
    assert invite.allows_signup and invite.link.inviter == alice
    if prosody.invites_page:  # mod_invites_page (Debian's prosody-modules)
        assert invite.landing_url == f"https://invite.test/invite?{invite.token}"
    else:
        assert invite.landing_url is None
    assert invite.expires is not None  # mod_invites' default: one week
    assert dt.timedelta(days=6, hours=23) < invite.expires - started < dt.timedelta(days=7,
                                                                                     hours=1)
    assert invite.to_json() == {"uri": invite.uri, "landing_url": invite.landing_url,
                                "expires": invite.expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                "signup": True}
    assert any("invite.test" in line for line in invite_instructions(invite))

    # The friend signs up with it (what Conversations does with the URI): the server makes the
    # two of them contacts, both ways.
    friend, friend_password = await sign_up(address, parse_invite(invite.uri).token)
    assert prosody.user_exists("invite.test", friend.partition("@")[0])
    assert (await roster_of(prosody, friend, friend_password)).get(alice) == "both"
    assert (await roster_of(prosody, alice, password)).get(friend) == "both"

    # An invite works once.
    with pytest.raises(InviteRefusedError) as caught:
        await sign_up(address, invite.token, "again")
    assert (caught.value.reason, caught.value.exit_code) == ("refused", 18)
    assert caught.value.condition == "invite-invalid"


async def test_an_admins_account_invite_signs_up_without_contacts(
        prosody: ProsodyServer, server: Server) -> None:
    address = server("invite.test")
    jid, password = await invited_account(prosody, address, "solo")
    assert prosody.user_exists("invite.test", jid.partition("@")[0])
    assert await roster_of(prosody, jid, password) == {}


async def test_invite_only_server_refuses_a_sign_up_without_an_invite(server: Server) -> None:
    with pytest.raises(InviteRequiredError) as caught:
        await sign_up(server("invite.test"), None, "uninvited")
    assert caught.value.exit_code == 5 and caught.value.condition == "invite-required"
    assert "invite" in caught.value.message


async def test_a_made_up_token_is_refused_before_anything_is_created(
        prosody: ProsodyServer, server: Server) -> None:
    with pytest.raises(InviteRefusedError) as caught:
        await sign_up(server("invite.test"), "notARealToken123", "fake")
    assert caught.value.reason == "refused" and caught.value.exit_code == 18


async def test_contact_invites_only(prosody: ProsodyServer, server: Server) -> None:
    """contactinvite.test (Prosody's default allow_user_invites = false): an invite to become
    contacts, not to sign up."""
    address = server("contactinvite.test")
    carol, password = await invited_account(prosody, address, "carol")
    invite = await create_invite(carol, password, address, DirectNetwork(), TIMEOUT)
    assert re.fullmatch(rf"xmpp:{re.escape(carol)}\?roster;preauth={invite.token}", invite.uri)
    assert not invite.allows_signup and invite.landing_url is None
    assert invite.to_json()["signup"] is False
    assert "not new accounts" in " ".join(invite_instructions(invite))
    with pytest.raises(InviteRefusedError):  # the server agrees: not for signing up
        await sign_up(address, invite.token, "notyet")


async def test_invites_offered(prosody: ProsodyServer, server: Server,
                               make_account: MakeAccount) -> None:
    address = server("invite.test")
    alice, password = await invited_account(prosody, address, "asker")
    assert await invites_offered(alice, password, address, DirectNetwork(), TIMEOUT)
    olga, olga_password = await make_account("olga")
    assert not await invites_offered(olga, olga_password, server("open.test"), DirectNetwork(),
                                     TIMEOUT)


async def test_a_server_without_invites_says_so(server: Server,
                                                make_account: MakeAccount) -> None:
    jid, password = await make_account("noinv")
    with pytest.raises(InvitesUnavailableError) as caught:
        await create_invite(jid, password, server("open.test"), DirectNetwork(), TIMEOUT)
    error = caught.value
    assert (error.reason, error.exit_code, error.condition) == ("missing", 18,
                                                                 "invites-unavailable")
    assert "open.test does not offer invites" in error.message and error.hint


async def test_signing_up_with_an_invite_where_invites_are_unknown(
        prosody: ProsodyServer, server: Server) -> None:
    """open.test has no mod_invites_register: it does not take the token, so nothing is sent
    after it."""
    token = prosody.account_invite("invite.test")
    with pytest.raises(InvitesUnavailableError) as caught:
        await sign_up(server("open.test"), token, "elsewhere")
    assert caught.value.reason == "signup"


async def test_wrong_password_is_a_login_error(prosody: ProsodyServer, server: Server) -> None:
    address = server("invite.test")
    alice, _password = await invited_account(prosody, address, "wrongpw")
    with pytest.raises(AccountLoginFailedError) as caught:
        await create_invite(alice, "not-the-password", address, DirectNetwork(), TIMEOUT)
    assert isinstance(caught.value, LoginFailedError) and caught.value.exit_code == 10
    with pytest.raises(AccountLoginFailedError):
        await invites_offered(alice, "not-the-password", address, DirectNetwork(), TIMEOUT)


async def test_the_account_must_be_on_the_server(server: Server) -> None:
    with pytest.raises(InvalidInputError):
        await create_invite("alice@open.test", "pw", server("invite.test"), DirectNetwork(),
                            TIMEOUT)


async def test_every_connection_goes_through_the_network_object(
        prosody: ProsodyServer, server: Server) -> None:
    address = server("invite.test")
    alice, password = await invited_account(prosody, address, "routed")
    network = CountingNetwork()
    await create_invite(alice, password, address, network, TIMEOUT)
    await invites_offered(alice, password, address, network, TIMEOUT)
    assert (network.attempts, network.opened) == (2, 2)


async def test_a_silent_server_times_out(silent_server) -> None:  # type: ignore[no-untyped-def]
    address = ServerAddress("invite.test", "127.0.0.1", silent_server.port)
    with pytest.raises(NetworkTimeoutError):
        await create_invite("alice@invite.test", "pw", address, DirectNetwork(), 0.5)


# --- reading invite URIs -----------------------------------------------------------------------


@pytest.mark.parametrize(("uri", "expected"), [
    ("xmpp:example.org?register;preauth=29Xbxr91",
     InviteLink("example.org", "29Xbxr91", REGISTER)),
    ("xmpp:alice@example.org?roster;preauth=TOKEN_1-x;ibr=y",
     InviteLink("alice@example.org", "TOKEN_1-x", ROSTER, ibr=True)),
    ("xmpp:alice@example.org?roster;preauth=TOKEN", InviteLink("alice@example.org", "TOKEN",
                                                               ROSTER)),
    ("  XMPP:Alice@Example.ORG?Roster;preauth=T0k;IBR=Y\n",
     InviteLink("alice@example.org", "T0k", ROSTER, ibr=True)),
    ("xmpp:bob@example.org?register;preauth=abc", InviteLink("bob@example.org", "abc",
                                                             REGISTER)),
    ("xmpp:alice%40example.org?roster;preauth=a%2Bb;ibr=n",
     InviteLink("alice@example.org", "a+b", ROSTER)),
    ("xmpp:example.org?register;preauth=abc#fragment", InviteLink("example.org", "abc",
                                                                  REGISTER)),
])
def test_parse_invite(uri: str, expected: InviteLink) -> None:
    assert parse_invite(uri) == expected


def test_what_an_invite_allows() -> None:
    account = parse_invite("xmpp:example.org?register;preauth=abc")
    assert account.allows_signup and account.domain == "example.org"
    assert account.inviter is None and account.username is None
    named = parse_invite("xmpp:bob@example.org?register;preauth=abc")
    assert named.username == "bob" and named.domain == "example.org" and named.inviter is None
    contact = parse_invite("xmpp:alice@example.org?roster;preauth=abc")
    assert not contact.allows_signup and contact.inviter == "alice@example.org"
    assert parse_invite("xmpp:alice@example.org?roster;preauth=abc;ibr=y").allows_signup


@pytest.mark.parametrize("uri", [
    "",
    "example.org",
    "https://invite.example.org/invite?abc",
    "xmpp://example.org?register;preauth=abc",
    "xmpp:example.org",
    "xmpp:example.org?register",
    "xmpp:example.org?register;preauth=",
    "xmpp:example.org?message;preauth=abc",
    "xmpp:alice@example.org?omemo-sid-123=" + "ab" * 32,
    "xmpp:example.org?roster;preauth=abc",
    "xmpp:exa mple.org?register;preauth=abc",
    "xmpp:example.org?register;preauth=a%20b",
    "xmpp:example.org?register;preauth=ab\x1b[31mc",
    "xmpp:localhost?register;preauth=abc",
    "xmpp:a@b@example.org?roster;preauth=abc",
    "xmpp:example.org?register;preauth=" + "a" * 300,
    "xmpp:example.org?register;preauth=abc;x=" + "y" * MAX_URI,
])
def test_parse_invite_refuses(uri: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_invite(uri)
    assert caught.value.message and caught.value.exit_code == 2


# --- what a (hostile) server may answer --------------------------------------------------------

ALICE = "alice@invite.test"
GOOD_URI = f"xmpp:{ALICE}?roster;preauth=tok123;ibr=y"


def answer(fields: dict[str, str | None], note: str | None = None,
           form: bool = True) -> ET.Element:
    """An `<iq/>` answering the invite command the way mod_invites_adhoc builds it."""
    iq = ET.Element("{jabber:client}iq", type="result")
    command = ET.SubElement(iq, "{http://jabber.org/protocol/commands}command",
                            node="urn:xmpp:invite#invite", status="completed")
    if note is not None:
        ET.SubElement(command, "{http://jabber.org/protocol/commands}note",
                      type="error").text = note
    if form:
        x = ET.SubElement(command, "{jabber:x:data}x", type="form")
        for var, value in fields.items():
            field = ET.SubElement(x, "{jabber:x:data}field", var=var, type="text-single")
            if value is not None:
                ET.SubElement(field, "{jabber:x:data}value").text = value
    return iq


def test_answer_as_prosody_sends_it() -> None:
    invite = invite_from_answer(answer({"landing-url": "https://invite.test/i/tok123",
                                        "uri": GOOD_URI, "expire": "2030-01-02T03:04:05Z"}),
                                "invite.test", ALICE)
    assert (invite.uri, invite.landing_url, invite.token) == (
        GOOD_URI, "https://invite.test/i/tok123", "tok123")
    assert invite.expires == dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    # No landing page (the field without a value), no expiry.
    bare = invite_from_answer(answer({"landing-url": None, "uri": GOOD_URI}), "invite.test",
                              ALICE)
    assert bare.landing_url is None and bare.expires is None


@pytest.mark.parametrize("landing", [
    "http://invite.test/i/tok123",
    "javascript:alert(1)",
    "xmpp:invite.test?register;preauth=tok123",
    "https://",
    "https://evil.example@invite.test/i/tok123",
    "https://invite.test/i/tok\x1b]8;;https://evil.example\x1b\\123",
    "https://invite.test/i/tok 123",
    "https://invite.test:port/i/tok123",
    "https://invite.test/" + "a" * MAX_URI,
])
def test_a_landing_page_that_is_not_plain_https_is_dropped(landing: str) -> None:
    invite = invite_from_answer(answer({"landing-url": landing, "uri": GOOD_URI}),
                                "invite.test", ALICE)
    assert invite.landing_url is None and invite.uri == GOOD_URI


@pytest.mark.parametrize(("fields", "reason"), [
    ({"landing-url": "https://invite.test/i/x"}, "no-invite"),
    ({"uri": ""}, "no-invite"),
    ({"uri": GOOD_URI + ";x=" + "y" * 100_000}, "bad-uri"),
    ({"uri": "https://invite.test/i/tok123"}, "bad-uri"),
    ({"uri": f"xmpp:{ALICE}?roster;preauth=tok\x07123"}, "bad-uri"),
    ({"uri": "xmpp:mallory@evil.example?roster;preauth=tok;ibr=y"}, "other-server"),
    ({"uri": "xmpp:evil.example?register;preauth=tok"}, "other-server"),
    ({"uri": "xmpp:mallory@invite.test?roster;preauth=tok;ibr=y"}, "other-account"),
])
def test_an_answer_that_must_not_be_passed_on(fields: dict[str, str | None],
                                              reason: str) -> None:
    with pytest.raises(InviteAnswerError) as caught:
        invite_from_answer(answer(fields), "invite.test", ALICE)
    assert caught.value.reason == reason and caught.value.exit_code == 11
    assert caught.value.message and caught.value.hint


def test_an_answer_without_a_form() -> None:
    with pytest.raises(InviteAnswerError):
        invite_from_answer(answer({}, form=False), "invite.test", ALICE)
    with pytest.raises(InviteAnswerError):
        invite_from_answer(ET.Element("{jabber:client}iq"), "invite.test", ALICE)
    with pytest.raises(ServerRefusedError) as caught:
        invite_from_answer(answer({}, note="This command is only available to users of "
                                  "invite.test", form=False), "invite.test", ALICE)
    assert "only available" in caught.value.message


@pytest.mark.parametrize("expire", ["soon", "2030-13-45T00:00:00Z", "x" * 10_000, ""])
def test_a_broken_expiry_is_left_out(expire: str) -> None:
    invite = invite_from_answer(answer({"uri": GOOD_URI, "expire": expire}), "invite.test",
                                ALICE)
    assert invite.expires is None


def test_an_answer_with_many_and_repeated_fields() -> None:
    fields: dict[str, str | None] = {f"junk{i}": "z" * 1000 for i in range(30)}
    iq = answer({**fields, "uri": GOOD_URI})
    x = iq.find(".//{jabber:x:data}x")
    assert x is not None
    extra = ET.SubElement(x, "{jabber:x:data}field", var="uri")  # a second uri: the first wins
    ET.SubElement(extra, "{jabber:x:data}value").text = "xmpp:evil.example?register;preauth=t"
    assert invite_from_answer(iq, "invite.test", ALICE).uri == GOOD_URI
