"""Every failure a user can meet, each with a plain message and a next step.

The TUI and the CLI show `message` and `hint`; `condition` is a stable id for scripts (`--json`)
and `exit_code` is the CLI's documented exit status.
"""

from __future__ import annotations

from collections.abc import Sequence

from onboard.core.text import one_line
from onboard.i18n import _


def with_server_text(message: str, server_text: str) -> str:
    """Add what the server said, unless it only repeats the message."""
    said = server_text.strip().rstrip(".").lower()
    if not said or said in message.lower():
        return message
    return message + " " + _("The server said: “{text}”").format(text=server_text)


def onboard_error_in(exc: BaseException) -> OnboardError | None:
    """The OnboardError behind a library's error (e.g. a TorProxyError raised by the network
    object under httpx), for a more precise message than the library's own."""
    seen: BaseException | None = exc
    for _depth in range(10):
        if seen is None:
            return None
        if isinstance(seen, OnboardError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


class OnboardError(Exception):
    """Base of all expected failures. Never carries a password."""

    condition = "error"
    exit_code = 1

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.condition)
        self.detail = one_line(detail, 500) if detail else ""

    @property
    def message(self) -> str:
        return _("Something went wrong.")

    @property
    def hint(self) -> str:
        return _("Try again, or choose another server.")

    @property
    def server_text(self) -> str:
        return self.detail

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "condition": self.condition,
            "message": self.message,
            "hint": self.hint,
        }
        if self.detail:
            data["server_text"] = self.detail
        return data


# --- local input -------------------------------------------------------------------------------


class InvalidInputError(OnboardError):
    condition = "invalid-input"
    exit_code = 2

    @property
    def message(self) -> str:
        return self.detail or _("That input is not valid.")

    @property
    def hint(self) -> str:
        return _("Correct it and try again.")


# --- network -----------------------------------------------------------------------------------


class DnsError(OnboardError):
    condition = "dns-failure"
    exit_code = 7

    def __init__(self, domain: str, detail: str | None = None) -> None:
        super().__init__(detail)
        self.domain = domain

    @property
    def message(self) -> str:
        return _("The server name {domain} could not be found.").format(domain=self.domain)

    @property
    def hint(self) -> str:
        return _("Check the spelling of the server name and your internet connection.")


class NoXmppServiceError(OnboardError):
    condition = "no-xmpp-service"
    exit_code = 7

    def __init__(self, domain: str) -> None:
        super().__init__()
        self.domain = domain

    @property
    def message(self) -> str:
        return _("{domain} does not offer chat accounts: its DNS says there is no XMPP "
                 "service.").format(domain=self.domain)

    @property
    def hint(self) -> str:
        return _("Check the spelling of the server name, or choose another server.")


class ConnectionRefusedError_(OnboardError):
    condition = "connection-refused"
    exit_code = 7

    def __init__(self, where: str, detail: str | None = None) -> None:
        super().__init__(detail)
        self.where = where

    @property
    def message(self) -> str:
        return _("The server at {where} refused the connection.").format(where=self.where)

    @property
    def hint(self) -> str:
        return _("The server may be down. Try again later, or choose another server.")


class NetworkError(OnboardError):
    condition = "network-error"
    exit_code = 7

    @property
    def message(self) -> str:
        return _("The connection to the server failed.")

    @property
    def hint(self) -> str:
        return _("Check your internet connection, then try again.")


class StreamClosedError(NetworkError):
    """The server ended the stream on purpose (an XMPP stream error): not the user's network.

    `stream_condition` is the condition the server named (already made inert), e.g.
    "system-shutdown" or "policy-violation".
    """

    condition = "stream-error"

    def __init__(self, stream_condition: str, text: str = "") -> None:
        super().__init__(f"stream error: {stream_condition} {text}".strip())
        self.stream_condition = stream_condition

    @property
    def message(self) -> str:
        return _("The server ended the connection ({condition}).").format(
            condition=self.stream_condition or _("no reason given"))

    @property
    def hint(self) -> str:
        if self.stream_condition in ("system-shutdown", "reset", "resource-constraint"):
            return _("The server is restarting or busy. Try again in a few minutes.")
        if self.stream_condition in ("policy-violation", "not-authorized"):
            return _("The server refused what was sent from here (perhaps too many attempts). "
                     "Wait a while and try again, or choose another server.")
        return _("Try again in a few minutes. If it keeps happening, choose another server.")


class NetworkTimeoutError(OnboardError):
    condition = "timeout"
    exit_code = 7

    def __init__(self, step: str, seconds: float) -> None:
        super().__init__(f"{step} after {seconds:.0f} s")
        self.step = step
        self.seconds = seconds

    @property
    def message(self) -> str:
        return _("The server did not answer in time ({seconds:.0f} s).").format(
            seconds=self.seconds
        )

    @property
    def hint(self) -> str:
        return _("The server or your connection may be slow or down. Try again, or choose "
                 "another server.")


class CancelledByUserError(OnboardError):
    condition = "cancelled"
    exit_code = 130

    @property
    def message(self) -> str:
        return _("Cancelled.")

    @property
    def hint(self) -> str:
        return _("Nothing was sent after you cancelled.")


# --- TLS ---------------------------------------------------------------------------------------


class TlsError(OnboardError):
    """The server's certificate could not be trusted. Never clicked through."""

    condition = "tls-failure"
    exit_code = 8

    def __init__(self, domain: str, reason: str, detail: str | None = None) -> None:
        super().__init__(detail)
        self.domain = domain
        self.reason = reason  # expired | wrong-host | untrusted | self-signed | handshake

    @property
    def message(self) -> str:
        texts = {
            "expired": _("The server's certificate for {domain} has expired."),
            "wrong-host": _("The server could not prove it is {domain}: its certificate is "
                            "for another name."),
            "self-signed": _("The server's certificate for {domain} is self-signed, so it "
                             "cannot be trusted."),
            "untrusted": _("The server's certificate for {domain} is not signed by an "
                           "authority this computer trusts."),
        }
        text = texts.get(self.reason, _("A secure connection to {domain} could not be set up."))
        return text.format(domain=self.domain)

    @property
    def hint(self) -> str:
        return _("Someone may be intercepting the connection, or the server is misconfigured. "
                 "Do not continue with this server; choose another one or tell its admins.")

    def to_json(self) -> dict[str, object]:
        data = super().to_json()
        data["reason"] = self.reason
        return data


class NoTlsError(OnboardError):
    condition = "no-tls"
    exit_code = 9

    def __init__(self, domain: str) -> None:
        super().__init__()
        self.domain = domain

    @property
    def message(self) -> str:
        return _("{domain} does not offer an encrypted connection. Nothing was sent.").format(
            domain=self.domain
        )

    @property
    def hint(self) -> str:
        return _("Your password would travel in the clear. Choose another server.")


# --- server answers ----------------------------------------------------------------------------


class ServerRefusedError(OnboardError):
    """A registration answer from the server, mapped from its XMPP error condition."""

    condition = "server-error"
    exit_code = 11

    def __init__(self, detail: str | None = None, error_type: str = "") -> None:
        super().__init__(detail)
        self.error_type = error_type

    @property
    def message(self) -> str:
        if self.detail:
            return _("The server refused: {text}").format(text=self.detail)
        return _("The server refused the request.")


class NameTakenError(ServerRefusedError):
    condition = "conflict"
    exit_code = 3

    def __init__(self, username: str, suggestions: Sequence[str] = (),
                 detail: str | None = None) -> None:
        super().__init__(detail, "cancel")
        self.username = username
        self.suggestions = list(suggestions)

    @property
    def message(self) -> str:
        return _("The name “{name}” is already taken on this server.").format(name=self.username)

    @property
    def hint(self) -> str:
        if not self.suggestions:
            return _("Choose another name.")
        return _("Choose another name, for example: {names}").format(
            names=", ".join(self.suggestions)
        )

    def to_json(self) -> dict[str, object]:
        data = super().to_json()
        data["suggestions"] = self.suggestions
        return data


class NotAcceptableError(ServerRefusedError):
    """The server did not accept what was sent: weak password, wrong CAPTCHA, missing field."""

    condition = "not-acceptable"
    exit_code = 4

    def __init__(self, detail: str | None = None, kind: str = "invalid") -> None:
        super().__init__(detail, "modify")
        self.kind = kind  # weak-password | captcha | username | invalid

    @property
    def message(self) -> str:
        base = {
            "weak-password": _("The server says the password is too weak."),
            "captcha": _("The server says the CAPTCHA answer was wrong."),
            "username": _("The server did not accept that name for your address."),
        }.get(self.kind, _("The server did not accept the information you entered."))
        return with_server_text(base, self.detail)

    @property
    def hint(self) -> str:
        return {
            "weak-password": _("Use a longer password: the generated one is a good choice."),
            "captcha": _("A new CAPTCHA has been fetched: try again."),
            "username": _("Choose another name: plain letters, digits, dots and dashes are "
                          "accepted everywhere."),
        }.get(self.kind, _("Check each field and try again."))

    def to_json(self) -> dict[str, object]:
        data = super().to_json()
        data["kind"] = self.kind
        return data


class RegistrationClosedError(ServerRefusedError):
    condition = "registration-closed"
    exit_code = 5

    def __init__(self, domain: str, web_url: str | None = None,
                 detail: str | None = None) -> None:
        super().__init__(detail, "cancel")
        self.domain = domain
        self.web_url = web_url

    @property
    def message(self) -> str:
        return _("{domain} does not allow creating accounts from an app.").format(
            domain=self.domain
        )

    @property
    def hint(self) -> str:
        if self.web_url:
            return _("You can sign up on the server's web page instead: {url}").format(
                url=self.web_url)
        return _("Choose another server.")

    def to_json(self) -> dict[str, object]:
        data = super().to_json()
        data["web_url"] = self.web_url
        return data


class RateLimitedError(ServerRefusedError):
    condition = "rate-limited"
    exit_code = 6

    @property
    def message(self) -> str:
        return _("The server allows only a few new accounts from one network within a short "
                 "time, and that limit has been reached.")

    @property
    def hint(self) -> str:
        return _("Wait a while (often 10 minutes to an hour) and try again, or choose another "
                 "server. At a help session many people share one network: spread out over "
                 "several servers.")


class BadRequestError(ServerRefusedError):
    condition = "bad-request"
    exit_code = 11

    @property
    def message(self) -> str:
        base = _("The server could not understand the registration request.")
        return with_server_text(base, self.detail)

    @property
    def hint(self) -> str:
        return _("Check each field and try again. If it keeps happening, choose another server.")


class ProtocolError(OnboardError):
    """The server sent something that makes no sense."""

    condition = "protocol-error"
    exit_code = 11

    @property
    def message(self) -> str:
        return _("The server sent an answer that could not be understood.")

    @property
    def hint(self) -> str:
        return _("Try again later, or choose another server.")


class LoginFailedError(OnboardError):
    """The server refused the login. `sasl_condition` is its SASL failure ("not-authorized":
    no account with this password; "" when unknown), for telling that apart from a disabled
    account or a temporary failure."""

    condition = "login-failed"
    exit_code = 10

    def __init__(self, detail: str | None = None, *, sasl_condition: str = "") -> None:
        super().__init__(detail)
        self.sasl_condition = sasl_condition

    @property
    def message(self) -> str:
        return _("Logging in with the new account did not work.")

    @property
    def hint(self) -> str:
        return _("Your credentials are saved. Wait a minute and try logging in with your app; "
                 "if it still fails, ask the server's admins.")


class StorageError(OnboardError):
    """The credentials file could not be written.

    `account_created` says whether the server had already created the account: before the
    request is sent nothing is lost yet; after it, the password must be written down at once.
    """

    condition = "storage-error"
    exit_code = 12

    def __init__(self, detail: str | None = None, *, account_created: bool = False) -> None:
        super().__init__(detail)
        self.account_created = account_created

    @property
    def message(self) -> str:
        if self.account_created:
            return _("Your account was created, but its details could not be saved: "
                     "{detail}").format(detail=self.detail)
        return _("The account details could not be saved: {detail}").format(detail=self.detail)

    @property
    def hint(self) -> str:
        if self.account_created:
            return _("Write the address and password down now so they are not lost. Then free "
                     "some disk space or check the folder's permissions.")
        return _("Nothing was sent to the server yet. Free some disk space or check the "
                 "folder's permissions, then try again.")

    def to_json(self) -> dict[str, object]:
        data = super().to_json()
        data["account_created"] = self.account_created
        return data


# --- Tor -----------------------------------------------------------------------------------------
# Exit status 13: Tor could not be used (not found, refused, a SOCKS error); 14: a tor the app
# started did not finish connecting. In Tor mode these end the step: nothing is retried directly.


class TorUnavailableError(OnboardError):
    """No tor at the address (nothing listening, or not a SOCKS5 proxy), or it went away."""

    condition = "tor-unavailable"
    exit_code = 13

    def __init__(self, where: str, detail: str | None = None) -> None:
        super().__init__(detail)
        self.where = where

    @property
    def message(self) -> str:
        return _("Tor is not reachable at {where}, so nothing was sent.").format(
            where=self.where)

    @property
    def hint(self) -> str:
        return _("Start Tor (or Tor Browser) and try again, or let this program start its own "
                 "tor. Nothing is ever sent without Tor once you chose it.")


# SOCKS5 reply codes (RFC 1928) and tor's extended ones (ExtendedErrors, from 0xF0).
SOCKS_REPLIES = {
    0x01: "general-failure",
    0x02: "not-allowed",
    0x03: "network-unreachable",
    0x04: "host-unreachable",
    0x05: "connection-refused",
    0x06: "ttl-expired",
    0x07: "command-not-supported",
    0x08: "address-type-not-supported",
    0xF0: "onion-descriptor-not-found",
    0xF1: "onion-descriptor-invalid",
    0xF2: "onion-intro-failed",
    0xF3: "onion-rendezvous-failed",
    0xF4: "onion-client-auth-missing",
    0xF5: "onion-client-auth-wrong",
    0xF6: "onion-bad-address",
    0xF7: "onion-intro-timed-out",
}
# Plain SOCKS5 replies that, for an onion address, mean the onion service could not be reached.
ONION_PLAIN_REPLIES = frozenset({0x01, 0x04})


def is_onion_target(target: str) -> bool:
    """Whether "host:port" (or a bare host) names an onion service."""
    host = target.rpartition(":")[0] if ":" in target else target
    return host.strip("[]").rstrip(".").lower().endswith(".onion")


class TorProxyError(OnboardError):
    """Tor was reached but could not open the connection; `reply` is the SOCKS reply code."""

    condition = "tor-proxy"
    exit_code = 13

    def __init__(self, target: str, reply: int, detail: str | None = None, *,
                 onion: bool | None = None) -> None:
        super().__init__(detail)
        self.target = target
        self.reply = reply
        if onion is None:
            onion = is_onion_target(target)
        self.onion = onion
        if onion and reply in ONION_PLAIN_REPLIES:
            # A tor without ExtendedErrors (a system tor's 9050) says "general failure" or
            # "host unreachable" for an onion service it could not reach.
            self.reason = "onion-unreachable"
        else:
            self.reason = SOCKS_REPLIES.get(reply, "unknown")

    @property
    def message(self) -> str:
        messages = {
            "general-failure": _("Tor could not reach {target}."),
            "not-allowed": _("Tor's rules do not allow a connection to {target}."),
            "network-unreachable": _("Tor could not find a way to {target}."),
            "host-unreachable": _("Tor could not reach {target}: the name was not found or "
                                  "the server is down."),
            "connection-refused": _("{target} refused the connection that came through Tor."),
            "ttl-expired": _("The connection to {target} through Tor took too long."),
            "onion-descriptor-not-found": _("The onion service {target} was not found: it is "
                                            "offline or the address is old."),
            "onion-descriptor-invalid": _("The onion service {target} published broken "
                                          "information."),
            "onion-intro-failed": _("The onion service {target} did not answer Tor's "
                                    "introduction."),
            "onion-rendezvous-failed": _("The connection to the onion service {target} could "
                                         "not be completed."),
            "onion-client-auth-missing": _("The onion service {target} needs a key that was "
                                           "not given."),
            "onion-client-auth-wrong": _("The onion service {target} did not accept the key."),
            "onion-bad-address": _("{target} is not a valid onion address."),
            "onion-intro-timed-out": _("The onion service {target} did not answer in time."),
            "onion-unreachable": _("The onion service {target} could not be reached: it is "
                                   "offline, or its address is wrong or out of date."),
        }
        template = messages.get(self.reason, _("Tor could not open a connection to {target} "
                                               "(SOCKS reply {code})."))
        return template.format(target=self.target, code=f"0x{self.reply:02x}")

    @property
    def hint(self) -> str:
        if self.reason == "onion-bad-address":
            return _("Check the onion address, or use the server's normal name.")
        if self.reason == "onion-unreachable":
            return _("Compare the onion address with the one the server's operators publish. "
                     "If it is right, the service may be down for now: try again later, or use "
                     "the server's normal name over Tor.")
        if self.reason.startswith("onion-"):
            return _("Try again in a minute, or use the server's normal name over Tor.")
        return _("Try again in a minute (Tor picks another path), or choose another server. "
                 "Nothing was sent without Tor.")


class TorConnectionLostError(NetworkError):
    """In Tor mode, an open connection ended without a word from the server: tor stopped, or
    its path to the server broke (or the server hung up). Nothing is retried without Tor."""

    @property
    def message(self) -> str:
        return _("The connection through Tor ended before the server answered: Tor may have "
                 "stopped, or lost its path to the server.")

    @property
    def hint(self) -> str:
        return _("Check that Tor is still running, then try again. Nothing was sent without "
                 "Tor.")


class TorControlError(OnboardError):
    """Tor's control port could not be used: `reason` is password-needed, password-wrong,
    cookie-unreadable, socket-forbidden or unreachable."""

    condition = "tor-control"
    exit_code = 13

    def __init__(self, reason: str, where: str, detail: str | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.where = where

    @property
    def message(self) -> str:
        messages = {
            "password-needed": _("Tor at {where} asks for its control password."),
            "password-wrong": _("Tor at {where} did not accept that control password."),
            "cookie-unreadable": _("Tor at {where} uses a cookie file this user may not "
                                   "read."),
            "socket-forbidden": _("Tor's control socket {where} may not be opened by this "
                                  "user."),
        }
        return messages.get(self.reason, _("Tor's control port at {where} could not be "
                                           "used.")).format(where=self.where)

    @property
    def hint(self) -> str:
        if self.reason in ("cookie-unreadable", "socket-forbidden"):
            return _("Add your user to the tor group (on Debian: sudo adduser $USER "
                     "debian-tor, then log in again), or let this program start its own tor.")
        if self.reason.startswith("password"):
            return _("Give the password set in tor's HashedControlPassword (in the "
                     "XMPP_ONBOARD_TOR_CONTROL_PASSWORD environment variable, or a file named "
                     "with --tor-control-password-file), or let this program start its own "
                     "tor.")
        return _("Let this program start its own tor instead.")

    def to_json(self) -> dict[str, object]:
        data = super().to_json()
        data["reason"] = self.reason
        return data


class TorBootstrapError(OnboardError):
    """A tor the app started did not connect to the Tor network in time.

    `reason`: stalled (no progress), timeout, exited (tor ended), or failed (it could not be
    started); `progress` the last percentage seen; `hints` what the likely causes suggest.
    """

    condition = "tor-bootstrap"
    exit_code = 14

    def __init__(self, reason: str, progress: int = 0, detail: str | None = None,
                 bridges: bool = False) -> None:
        super().__init__(detail)
        self.reason = reason
        self.progress = progress
        self.bridges = bridges

    @property
    def message(self) -> str:
        messages = {
            "stalled": _("Tor stopped making progress at {progress}%."),
            "timeout": _("Tor did not finish connecting in time (it got to {progress}%)."),
            "exited": _("Tor ended while connecting (at {progress}%)."),
            "failed": _("Tor could not be started."),
        }
        return messages.get(self.reason, messages["failed"]).format(progress=self.progress)

    @property
    def hint(self) -> str:
        if self.reason == "failed":
            return _("Check that tor is installed (on Debian or Ubuntu: sudo apt install tor).")
        if self.bridges:
            return _("Check your internet connection and the computer's clock. If these bridges "
                     "are blocked too, get new ones (https://bridges.torproject.org, or email "
                     "bridges@torproject.org), or ask a friend for other bridge lines.")
        return _("Check your internet connection and that the computer's clock and time zone "
                 "are right. If Tor is blocked where you are, use bridges.")


class BridgeLineError(InvalidInputError):
    """A pasted bridge line that cannot work; `line_number` counts from 1."""

    condition = "bad-bridge"

    def __init__(self, line_number: int, why: str) -> None:
        super().__init__(why)
        self.line_number = line_number
        self.why = why

    @property
    def message(self) -> str:
        return _("Bridge line {number}: {why}").format(number=self.line_number, why=self.why)

    @property
    def hint(self) -> str:
        return _("Copy the bridge lines again exactly as you got them, one per line.")


# --- invites (XEP-0401) --------------------------------------------------------------------------
# Exit status 18: the server offers no invites (to this account), or the invite could not be used
# to sign up.


class InvitesUnavailableError(OnboardError):
    """Invites cannot be used on `domain`.

    `reason`: missing (the server has no invite command), forbidden (it has one, but not for
    this account, e.g. only for its admins), or signup (it does not take an invite when an
    account is created).
    """

    condition = "invites-unavailable"
    exit_code = 18

    def __init__(self, domain: str, reason: str = "missing", detail: str | None = None) -> None:
        super().__init__(detail)
        self.domain = domain
        self.reason = reason

    @property
    def message(self) -> str:
        texts = {
            "forbidden": _("{domain} has invites, but does not let this account create them."),
            "signup": _("{domain} does not take invites when an account is created."),
        }
        return texts.get(self.reason, _("{domain} does not offer invites.")).format(
            domain=self.domain)

    @property
    def hint(self) -> str:
        if self.reason == "signup":
            return _("Create the account without the invite if the server allows that, or "
                     "choose another server; then add the person who invited you as a contact.")
        return _("Your friend can still create an account on any server that is open for "
                 "sign-up (this assistant helps with that) and then add your address as a "
                 "contact.")

    def to_json(self) -> dict[str, object]:
        data = super().to_json()
        data["reason"] = self.reason
        return data


class InviteRefusedError(OnboardError):
    """An invite that cannot be used to create an account on `domain`.

    `reason`: refused (the server says it is used up, expired or wrong) or contact-only (it only
    lets you add `inviter` as a contact; nothing was sent).
    """

    condition = "invite-invalid"
    exit_code = 18

    def __init__(self, domain: str, reason: str = "refused", inviter: str | None = None,
                 detail: str | None = None) -> None:
        super().__init__(detail)
        self.domain = domain
        self.reason = reason
        self.inviter = inviter

    @property
    def message(self) -> str:
        if self.reason == "contact-only":
            return _("This invite lets you add {inviter} as a contact, but not create an "
                     "account on {domain}.").format(inviter=self.inviter or self.domain,
                                                    domain=self.domain)
        return _("{domain} did not accept the invite: it was used already, it has expired, "
                 "or it was not copied completely.").format(domain=self.domain)

    @property
    def hint(self) -> str:
        if self.reason == "contact-only":
            return _("Create an account on any server that is open for sign-up, then open the "
                     "invite in your chat app, or add {inviter} as a contact.").format(
                         inviter=self.inviter or self.domain)
        return _("Ask for a new invite, and copy or scan all of it. Nothing was created.")

    def to_json(self) -> dict[str, object]:
        data = super().to_json()
        data["reason"] = self.reason
        return data


class InviteRequiredError(RegistrationClosedError):
    """The server creates accounts only with an invite (and none was given)."""

    condition = "invite-required"

    @property
    def message(self) -> str:
        return _("{domain} creates new accounts only with an invite.").format(domain=self.domain)

    @property
    def hint(self) -> str:
        return _("Ask someone who has an account there for an invite and sign up with it, or "
                 "choose another server.")


class InviteAnswerError(ProtocolError):
    """The server answered the request for an invite with something that must not be passed on.

    `reason`: no-invite (no invite URI in the answer), bad-uri (not an invite URI, or too long),
    other-server (an invite for another server), other-account (a contact invite for another
    address).
    """

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(detail)
        self.reason = reason

    @property
    def message(self) -> str:
        texts = {
            "no-invite": _("The server answered, but sent no invite."),
            "other-server": _("The server sent an invite for another server."),
            "other-account": _("The server sent an invite for another address than yours."),
        }
        return texts.get(self.reason, _("The server sent an invite that is not valid."))

    @property
    def hint(self) -> str:
        if self.reason in ("other-server", "other-account"):
            return _("Do not pass it on. Try again later, or tell the server's admins.")
        return _("Try again later, or tell the server's admins.")

    def to_json(self) -> dict[str, object]:
        data = super().to_json()
        data["reason"] = self.reason
        return data
