"""XEP-0401 invites: create one with a logged-in account, and read one a friend passed on.

A server with invites (Prosody's mod_invites, mod_invites_adhoc and mod_invites_register) offers
its users the ad-hoc command `urn:xmpp:invite#invite`. Executed, it answers at once with a form;
Prosody's fields are:

- `uri`: `xmpp:alice@example.org?roster;preauth=TOKEN;ibr=y`, a contact invite that also lets
  the friend create an account on the same server (`ibr=y`). Prosody leaves `ibr=y` out when it
  does not let its users invite new accounts (`allow_user_invites = false`, its default): then
  the friend needs an account somewhere first, and the invite only makes the two contacts;
- `landing-url`: an https page that any phone camera or browser opens and that says which app
  to install (mod_invites_page, in Debian's prosody-modules), or no value;
- `expire`: when the invite stops working (XEP-0082, e.g. `2025-06-01T12:00:00Z`).

An admin's account invite looks like `xmpp:example.org?register;preauth=TOKEN` (with `name@`
before the server when it is for one name). Signing up with an invite is
`RegistrationSession(..., invite_token=...)`.

Everything the server sends is checked before it is shown or drawn as a QR code: the URI must
be an invite for this server (and, for a contact invite, for this account), a landing page must
be https, lengths are capped. The login goes through the network object like every other
connection, so over Tor when Tor is on; nothing is published and no presence is sent.
"""

from __future__ import annotations

import datetime as dt
import itertools
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from slixmpp.exceptions import IqError, IqTimeout

from onboard.core.errors import (
    InvalidInputError,
    InviteAnswerError,
    InvitesUnavailableError,
    LoginFailedError,
    NetworkTimeoutError,
    OnboardError,
    ServerRefusedError,
)
from onboard.core.network import Network
from onboard.core.omemo.errors import AccountLoginFailedError
from onboard.core.omemo.jid import bare_jid
from onboard.core.text import one_line
from onboard.core.validation import domain_problem, normalize_domain
from onboard.core.xmpp.address import ServerAddress
from onboard.core.xmpp.connection import OnboardClient
from onboard.core.xmpp.registration import _race, connect
from onboard.i18n import _

INVITE_TIMEOUT = 30.0
INVITE_NODE = "urn:xmpp:invite#invite"
NS_COMMANDS = "http://jabber.org/protocol/commands"
NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
NS_DATA = "jabber:x:data"
REGISTER = "register"  # an account invite: sign up on the server
ROSTER = "roster"  # a contact invite: become contacts (and, with ibr=y, sign up first)
# Longest invite URI or landing page taken from a server or a user: real ones are well under
# 200 characters, and a QR code of 1,000 still scans from a screen.
MAX_URI = 1000
MAX_TOKEN = 200
MAX_FIELDS = 50  # fields of the server's answer that are looked at
MAX_ITEMS = 500  # commands listed by the server that are looked at
_NOT_OFFERED = {"service-unavailable", "feature-not-implemented", "item-not-found"}
_NOT_ALLOWED = {"forbidden", "not-allowed", "not-authorized", "registration-required"}


@dataclass(frozen=True)
class InviteLink:
    """What an `xmpp:` invite URI says."""

    address: str  # the server (`example.org`), or an address (`alice@example.org`)
    token: str
    kind: str  # REGISTER or ROSTER
    ibr: bool = False  # a contact invite that also lets the friend sign up on the server

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]

    @property
    def username(self) -> str | None:
        """The name an account invite is for (`xmpp:name@server?register;…`), else None."""
        if self.kind == REGISTER and "@" in self.address:
            return self.address.partition("@")[0]
        return None

    @property
    def inviter(self) -> str | None:
        """Whose contact this invite makes you (a contact invite's address)."""
        return self.address if self.kind == ROSTER else None

    @property
    def allows_signup(self) -> bool:
        """Whether a new account can be created on `domain` with it."""
        return self.kind == REGISTER or self.ibr


@dataclass(frozen=True)
class Invite:
    """An invite the server made for the logged-in account."""

    uri: str  # the xmpp: URI exactly as the server gave it
    landing_url: str | None  # an https page for any camera or browser; None when not given
    expires: dt.datetime | None  # in UTC; None when the server did not say (or said nonsense)
    token: str
    link: InviteLink

    @property
    def allows_signup(self) -> bool:
        """False for a contact-only invite: the friend needs an account somewhere first."""
        return self.link.allows_signup

    def to_json(self) -> dict[str, object]:
        return {
            "uri": self.uri,
            "landing_url": self.landing_url,
            "expires": (self.expires.strftime("%Y-%m-%dT%H:%M:%SZ")
                        if self.expires is not None else None),
            "signup": self.allows_signup,
        }


# --- reading an invite URI ---------------------------------------------------------------------


def parse_invite(uri: str) -> InviteLink:
    """The server or inviter, token and kind of an `xmpp:` invite URI (XEP-0401):
    `xmpp:example.org?register;preauth=TOKEN` or `xmpp:alice@example.org?roster;preauth=TOKEN`
    (`;ibr=y`: the friend may sign up on example.org with it). Raises InvalidInputError."""
    text = uri.strip()
    if len(text) > MAX_URI:
        raise InvalidInputError(_("That is too long for an invite: an invite link has well "
                                  "under 200 characters."))
    if any(char.isspace() or not char.isprintable() for char in text):
        raise InvalidInputError(_("The invite contains spaces or invisible characters: copy it "
                                  "again, exactly as it is."))
    scheme, colon, rest = text.partition(":")
    if not colon or scheme.lower() != "xmpp" or rest.startswith("//"):
        raise InvalidInputError(
            _("“{text}” is not an invite: an invite starts with “xmpp:”, for example "
              "xmpp:example.org?register;preauth=…").format(text=one_line(text, 60)))
    path, _question, query = rest.partition("?")
    query = query.partition("#")[0]
    parts = query.replace("&", ";").split(";")
    action = parts[0].lower()
    params: dict[str, str] = {}
    for part in parts[1:]:
        key, _equals, value = part.partition("=")
        params.setdefault(urllib.parse.unquote(key).lower(), urllib.parse.unquote(value))
    if action not in (REGISTER, ROSTER) or "preauth" not in params:
        raise InvalidInputError(
            _("This xmpp: link is not an invite (it has no “preauth” token). Invites look like "
              "xmpp:example.org?register;preauth=… or xmpp:alice@example.org?roster;"
              "preauth=…"))
    token = params["preauth"]
    if not 0 < len(token) <= MAX_TOKEN or not all(33 <= ord(char) < 127 for char in token):
        raise InvalidInputError(_("The invite's token is damaged: copy the invite again, "
                                  "exactly as it is."))
    return InviteLink(_invite_address(urllib.parse.unquote(path), action), token, action,
                      params.get("ibr", "").lower() in ("y", "yes", "1", "true"))


def _invite_address(raw: str, action: str) -> str:
    if "@" in raw:
        return bare_jid(raw)
    if action == ROSTER:
        raise InvalidInputError(_("This contact invite names no address: copy the invite again, "
                                  "exactly as it is."))
    problem = domain_problem(raw)
    if problem:
        raise InvalidInputError(problem)
    return normalize_domain(raw)


# --- what the server answers -------------------------------------------------------------------


def invite_from_answer(reply: ET.Element, domain: str, account_jid: str) -> Invite:
    """The Invite in the server's answer to the invite command (the whole `<iq/>`), checked
    for `account_jid` on `domain`. Raises ServerRefusedError (the command said why not) or
    InviteAnswerError."""
    command = reply.find(f"{{{NS_COMMANDS}}}command")
    form = command.find(f"{{{NS_DATA}}}x") if command is not None else None
    if command is None or form is None:
        note = command.find(f"{{{NS_COMMANDS}}}note") if command is not None else None
        if note is not None and note.get("type") == "error" and one_line(note.text):
            raise ServerRefusedError(one_line(note.text, 300), "cancel")
        raise InviteAnswerError("no-invite")
    values = _form_values(form)
    uri = values.get("uri", "")
    if not uri:
        raise InviteAnswerError("no-invite")
    if len(uri) > MAX_URI:
        raise InviteAnswerError("bad-uri", f"{len(uri)} characters")
    try:
        link = parse_invite(uri)
    except InvalidInputError as error:
        raise InviteAnswerError("bad-uri", error.message) from None
    if link.domain != normalize_domain(domain):
        raise InviteAnswerError("other-server", link.domain)
    if link.kind == ROSTER and link.address != bare_jid(account_jid):
        raise InviteAnswerError("other-account", link.address)
    landing = _https_url(values.get("landing-url") or values.get("url") or "")
    expires = _datetime(values.get("expire") or values.get("expires") or "")
    return Invite(uri.strip(), landing, expires, link.token, link)


def _form_values(form: ET.Element) -> dict[str, str]:
    """The first value of each of the form's first fields (by `var`)."""
    values: dict[str, str] = {}
    for field in itertools.islice(form.iter(f"{{{NS_DATA}}}field"), MAX_FIELDS):
        var = field.get("var") or ""
        if not var or var in values or len(var) > 64:
            continue
        value = field.find(f"{{{NS_DATA}}}value")
        text = (value.text or "") if value is not None else ""
        # Longer than any real invite: kept only so that the check can say so.
        values[var] = text.strip()[:MAX_URI + 1]
    return values


def _https_url(text: str) -> str | None:
    """`text` when it is a plain https link (no user name in it), else None."""
    if not text or len(text) > MAX_URI:
        return None
    if any(char.isspace() or not char.isprintable() for char in text):
        return None
    try:
        parts = urllib.parse.urlsplit(text)
        host = parts.hostname
        _port = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        return None
    if parts.scheme.lower() != "https" or not host or "@" in parts.netloc:
        return None
    return text


def _datetime(text: str) -> dt.datetime | None:
    """The moment `text` names, in UTC; None for anything else, including a moment that UTC
    cannot express (`0001-01-01T00:00:00+01:00` is in year 0 there)."""
    if not text or len(text) > 40:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return None


# --- talking to the server ---------------------------------------------------------------------


async def invites_offered(account_jid: str, password: str, server: ServerAddress,
                          network: Network, timeout: float = INVITE_TIMEOUT) -> bool:
    """Log in and ask the server whether it offers this account the invite command (the
    commands it lists, XEP-0050). Raises AccountLoginFailedError, NetworkTimeoutError or the
    connection's own OnboardErrors."""
    account = _account_on(account_jid, server)
    client = await _login(account, password, server, network, timeout)
    try:
        return await _race(client, _lists_invite_command(client, server.domain, timeout),
                           timeout, "invite check")
    finally:
        await client.close()


async def create_invite(account_jid: str, password: str, server: ServerAddress,
                        network: Network, timeout: float = INVITE_TIMEOUT) -> Invite:
    """Log in as `account_jid` and have the server make an invite for a friend: one awaitable,
    each step bounded by `timeout`.

    Raises InvitesUnavailableError (exit 18) when the server offers no invites to this
    account, AccountLoginFailedError, NetworkTimeoutError, InviteAnswerError or
    ServerRefusedError for an answer that cannot be used, or the connection's OnboardErrors.
    """
    account = _account_on(account_jid, server)
    client = await _login(account, password, server, network, timeout)
    try:
        reply = await _race(client, _execute_invite_command(client, server.domain, timeout),
                            timeout, "invite")
    finally:
        await client.close()
    return invite_from_answer(reply, server.domain, account)


def _account_on(account_jid: str, server: ServerAddress) -> str:
    account = bare_jid(account_jid)
    if account.rpartition("@")[2] != normalize_domain(server.domain):
        raise InvalidInputError(_("{jid} is not an account on {domain}.").format(
            jid=account, domain=server.domain))
    return account


async def _login(account: str, password: str, server: ServerAddress, network: Network,
                 timeout: float) -> OnboardClient:
    try:
        return await connect(server, network, purpose="login", jid=account, password=password,
                             timeout=timeout)
    except LoginFailedError:
        raise AccountLoginFailedError(account) from None


async def _lists_invite_command(client: OnboardClient, domain: str, timeout: float) -> bool:
    iq = client.Iq()
    iq["type"] = "get"
    iq["to"] = domain
    ET.SubElement(iq.xml, f"{{{NS_DISCO_ITEMS}}}query", node=NS_COMMANDS)
    try:
        reply = await iq.send(timeout=timeout)  # type: ignore[no-untyped-call]
    except IqError as error:
        if str(error.condition or "") in _NOT_OFFERED | _NOT_ALLOWED:
            return False  # Prosody without mod_adhoc: item-not-found
        raise _refused(error) from None
    except IqTimeout:
        raise NetworkTimeoutError("invite check", timeout) from None
    items = reply.xml.iter(f"{{{NS_DISCO_ITEMS}}}item")
    return any(item.get("node") == INVITE_NODE for item in itertools.islice(items, MAX_ITEMS))


async def _execute_invite_command(client: OnboardClient, domain: str,
                                  timeout: float) -> ET.Element:
    iq = client.Iq()
    iq["type"] = "set"
    iq["to"] = domain
    ET.SubElement(iq.xml, f"{{{NS_COMMANDS}}}command", node=INVITE_NODE, action="execute")
    try:
        reply = await iq.send(timeout=timeout)  # type: ignore[no-untyped-call]
    except IqError as error:
        condition = str(error.condition or "")
        text = one_line(str(error.text or ""), 300)
        if condition in _NOT_ALLOWED:
            raise InvitesUnavailableError(domain, "forbidden", text) from None
        if condition in _NOT_OFFERED:  # Prosody without the command: service-unavailable
            raise InvitesUnavailableError(domain, "missing", text) from None
        raise _refused(error) from None
    except IqTimeout:
        raise NetworkTimeoutError("invite", timeout) from None
    xml: ET.Element = reply.xml
    return xml


def _refused(error: IqError) -> OnboardError:
    text = one_line(str(error.text or ""), 300)
    return ServerRefusedError(text or str(error.condition or ""), str(error.etype or ""))


# --- what to tell the user ---------------------------------------------------------------------


def invite_instructions(invite: Invite) -> list[str]:
    """What the inviter tells the friend, one paragraph per line (the CLI and the assistant)."""
    link = invite.link
    lines = []
    if invite.allows_signup:
        if invite.landing_url:
            lines.append(_("Your friend opens the invite page on their phone (pointing the "
                           "camera at its code is enough): it says which app to install. With "
                           "Conversations or another XMPP app already installed, they can open "
                           "the xmpp: link (or scan its code) in the app instead."))
        else:
            lines.append(_("Your friend installs Conversations (Android) or another XMPP app "
                           "that takes invites first, then opens the xmpp: link on the phone "
                           "or scans its code in the app."))
        lines.append(_("The app creates their account on {domain}, and you two become "
                       "contacts.").format(domain=link.domain))
    else:
        lines.append(_("{domain} lets you invite contacts, but not new accounts: your friend "
                       "needs an account first (on any server). Then they open the xmpp: link "
                       "(or scan its code) in their chat app, and you two become "
                       "contacts.").format(domain=link.domain))
    if invite.expires is not None:
        lines.append(_("The invite works until {when} (UTC). Make a new one for each "
                       "friend.").format(when=invite.expires.strftime("%Y-%m-%d %H:%M")))
    else:
        lines.append(_("Make a new invite for each friend."))
    return lines
