"""In-band registration (XEP-0077): fetch the server's form, submit it, log in once.

Used by both the TUI and the CLI. One `RegistrationSession` is one connection: the form it
fetched (and its CAPTCHA, which is single use) belongs to it. After any failed submit the
session is closed; fetch a fresh one for the retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import xml.etree.ElementTree as ET
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from slixmpp.exceptions import IqError, IqTimeout

from onboard.core import accounts
from onboard.core.errors import (
    BadRequestError,
    InvalidInputError,
    InviteRefusedError,
    InviteRequiredError,
    InvitesUnavailableError,
    NameTakenError,
    NetworkTimeoutError,
    NotAcceptableError,
    NoXmppServiceError,
    OnboardError,
    ProtocolError,
    RateLimitedError,
    RegistrationClosedError,
    ServerRefusedError,
    StorageError,
)
from onboard.core.network import Endpoint, Network
from onboard.core.text import one_line
from onboard.core.validation import normalize_username, suggest_usernames, username_problem
from onboard.core.xmpp.address import ServerAddress
from onboard.core.xmpp.connection import OnboardClient, Via, endpoints_for
from onboard.core.xmpp.forms import (
    NS_REGISTER,
    Answers,
    BobData,
    RegistrationForm,
    build_submission,
    missing_required,
    parse_registration,
)
from onboard.i18n import _

CONNECT_TIMEOUT = 30.0
REPLY_TIMEOUT = 30.0
LOGIN_TIMEOUT = 30.0

T = TypeVar("T")


@dataclass(frozen=True)
class RegisteredAccount:
    jid: str
    domain: str
    credentials_file: Path


def error_from_iq(error: IqError, *, domain: str, username: str,
                  form: RegistrationForm | None) -> OnboardError:
    """Map a server's registration error to what the user should know and do."""
    condition = str(error.condition or "")
    etype = str(error.etype or "")
    text = one_line(str(error.text or ""), 300)
    lowered = text.lower()
    web_url = form.web_url if form else None
    if condition == "conflict":
        return NameTakenError(username, suggest_usernames(username), text)
    if etype == "wait" and condition in ("resource-constraint", "policy-violation"):
        return RateLimitedError(text, etype)
    if condition in ("not-acceptable", "not-allowed", "bad-request") and "captcha" in lowered:
        return NotAcceptableError(text, "captcha")
    if condition in ("not-acceptable", "not-allowed", "forbidden") and "invit" in lowered:
        # Prosody's mod_invites_register: "Registration on this server is through invitation
        # only" (modify/not-acceptable).
        return InviteRequiredError(domain, web_url, text)
    if condition == "not-acceptable":
        if "password" in lowered and any(w in lowered for w in ("weak", "short", "strong")):
            return NotAcceptableError(text, "weak-password")
        if any(w in lowered for w in ("too quick", "too fast", " ip ", "ip address")):
            return RateLimitedError(text, etype)
        if any(w in lowered for w in ("username", "user name", "nodeprep", "jid")):
            return NotAcceptableError(text, "username")
        return NotAcceptableError(text, "invalid")
    if condition in ("service-unavailable", "not-allowed", "forbidden",
                     "feature-not-implemented", "registration-required"):
        return RegistrationClosedError(domain, web_url, text)
    if condition == "bad-request":
        return BadRequestError(text, etype)
    if condition == "policy-violation":
        return RateLimitedError(text, etype)
    return ServerRefusedError(text or condition, etype)


async def _race(client: OnboardClient, work: Awaitable[T], timeout: float, step: str) -> T:
    """Await `work`, but stop at once if the connection fails, and after `timeout` seconds."""
    task = asyncio.ensure_future(work)
    try:
        watched: set[asyncio.Future[object]] = {task, client.failure}  # type: ignore[arg-type]
        done, _pending = await asyncio.wait(
            watched, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
    except asyncio.CancelledError:
        task.cancel()
        raise
    if task in done:
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
    if client.failure.done():
        raise client.failure.result()
    raise NetworkTimeoutError(step, timeout)


async def connect(server: ServerAddress, network: Network, *, purpose: str,
                  jid: str | None = None, password: str = "",
                  timeout: float = CONNECT_TIMEOUT,
                  endpoints: list[Endpoint] | None = None) -> OnboardClient:
    """An encrypted stream to the server, ready for registration or logged in.

    `endpoints` skips discovery when the caller already has them.
    """
    if endpoints is None:
        endpoints = await endpoints_for(server, network, timeout)
    if not endpoints:
        raise NoXmppServiceError(server.domain)
    client = OnboardClient(jid or server.domain, password, server=server, network=network,
                           endpoints=endpoints, purpose=purpose)
    try:
        client.connect()
        await _race(client, client.ready, timeout, "connect")
    except BaseException:
        await client.close()
        raise
    return client


async def request_form(client: OnboardClient, domain: str, timeout: float) -> RegistrationForm:
    """Ask for the registration form: an IQ get, which creates nothing. Leaves `client` open.

    Raises the mapped `OnboardError` when the server refuses or does not answer in time.
    """
    query = ET.Element(f"{{{NS_REGISTER}}}query")
    try:
        reply = await _race(client, client.send_register_iq("get", query, timeout), timeout,
                            "registration form")
    except IqError as error:
        raise error_from_iq(error, domain=domain, username="", form=None) from None
    except IqTimeout:
        raise NetworkTimeoutError("registration form", timeout) from None
    return parse_registration(domain, reply)


class RegistrationSession:
    """One connection to a server, held while the user fills in its registration form.

    With `invite_token` (from an invite, see onboard.core.xmpp.invites) the token is handed to
    the server first (XEP-0401): on an invite-only server that is what allows the sign-up, and
    with a contact invite the server makes the new account and the inviter contacts.
    `via` says where the connection went once `open()` has connected (an onion address, the
    server's normal address through Tor, or directly), also after the session is closed.
    """

    def __init__(self, server: ServerAddress, network: Network,
                 timeout: float = REPLY_TIMEOUT, *, invite_token: str | None = None) -> None:
        self.server = server
        self.network = network
        self.timeout = timeout
        self.invite_token = invite_token
        self.client: OnboardClient | None = None
        self.form: RegistrationForm | None = None
        self.via: Via | None = None

    async def open(self) -> RegistrationForm:
        """Connect and ask for the form. Raises when the server does not take registrations,
        or does not take the invite."""
        self.client = await connect(self.server, self.network, purpose="register",
                                    timeout=self.timeout)
        self.via = self.client.via()
        try:
            if self.invite_token is not None:
                await self._hand_in_invite(self.client, self.invite_token)
            form = await request_form(self.client, self.server.domain, self.timeout)
        except BaseException:
            await self.close()
            raise
        if form.kind in ("web", "none"):
            await self.close()
            raise RegistrationClosedError(self.server.domain, form.web_url, form.instructions)
        if not (form.has_username and form.has_password):
            # What would be sent back could not create the account that gets saved.
            await self.close()
            raise ProtocolError("the registration form asks for no username or password")
        await self._fetch_linked_captcha(form)
        self.form = form
        return form

    async def _hand_in_invite(self, client: OnboardClient, token: str) -> None:
        """The invite's token, before the form: the server remembers it for this stream."""
        domain = self.server.domain
        try:
            await _race(client, client.send_preauth_iq(token, self.timeout), self.timeout,
                        "invite")
        except IqError as error:
            condition = str(error.condition or "")
            text = one_line(str(error.text or ""), 300)
            if condition in ("forbidden", "not-allowed", "not-authorized", "not-acceptable",
                             "item-not-found"):  # Prosody: cancel/forbidden
                raise InviteRefusedError(domain, "refused", detail=text) from None
            if condition in ("service-unavailable", "feature-not-implemented"):
                raise InvitesUnavailableError(domain, "signup", text) from None
            raise ServerRefusedError(text or condition, str(error.etype or "")) from None
        except IqTimeout:
            raise NetworkTimeoutError("invite", self.timeout) from None

    async def _fetch_linked_captcha(self, form: RegistrationForm) -> None:
        """A CAPTCHA shown only by link: fetch the picture through the same route.

        Not fatal when it fails: the link is still offered to open in a browser.
        """
        if form.captcha_field is None or form.captcha_image() is not None:
            return
        from onboard.core.captcha import fetch_image

        for url in form.captcha_urls():
            try:
                data = await fetch_image(url, self.network, self.timeout, self.server.ca_file)
            except OnboardError:
                continue
            form.linked_image = BobData(url, "image", data)
            return

    async def submit(self, answers: Answers) -> RegisteredAccount:
        """Send the filled-in form. On success the credentials are on disk before this returns.

        Any failure closes the session: the form and its CAPTCHA cannot be used again.
        """
        if self.client is None or self.form is None:
            raise ProtocolError("the registration form was not fetched")
        form, client = self.form, self.client
        username = normalize_username((answers.get("username") or [""])[0])
        password = (answers.get("password") or [""])[0]
        problem = username_problem(username)
        if problem:
            raise InvalidInputError(problem)
        if not password:
            raise InvalidInputError(_("Enter a password."))
        missing = missing_required(form, answers)
        if missing:
            raise InvalidInputError(_("Please fill in: {fields}").format(
                fields=", ".join(f.display_label for f in missing)))
        answers = {**answers, "username": [username]}
        jid = f"{username}@{self.server.domain}"
        pending = accounts.SavedAccount(
            jid=jid, password=password, domain=self.server.domain, host=self.server.host,
            port=self.server.port, direct_tls=self.server.direct_tls, status="pending",
        )
        accounts.save(pending)  # before sending: a crash can never lose a created account
        try:
            await _race(client, client.send_register_iq("set", build_submission(form, answers),
                                               self.timeout), self.timeout, "registration")
        except IqError as error:
            accounts.discard(jid)
            await self.close()
            raise error_from_iq(error, domain=self.server.domain, username=username,
                                form=form) from None
        except IqTimeout:
            await self.close()
            raise NetworkTimeoutError("registration", self.timeout) from None
        except BaseException:
            await self.close()
            raise
        try:
            path = accounts.confirm(pending)
        except StorageError as error:
            await self.close()
            raise StorageError(error.detail, account_created=True) from None
        await self.close()
        return RegisteredAccount(jid, self.server.domain, path)

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            await client.close()


async def verify_login(jid: str, password: str, server: ServerAddress, network: Network,
                       timeout: float = LOGIN_TIMEOUT) -> float:
    """Log in once and out again; returns the seconds it took. Raises LoginFailedError."""
    started = time.monotonic()
    client = await connect(server, network, purpose="login", jid=jid, password=password,
                           timeout=timeout)
    await client.close()
    return time.monotonic() - started
