"""The coordinator's links to the core: the registration engine, the OMEMO device reader, the
encrypted test message and invites.

`LiveRegistration` owns at most one `RegistrationSession` (one connection, one form, one
single-use CAPTCHA) at a time. Screens never hold the session: they get bound methods of this
object and call them from their workers. Tests pass another object with the same methods.

slixmpp is imported only when the first connection is made, so the TUI starts fast.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

from onboard.core.errors import OnboardError, ProtocolError

if TYPE_CHECKING:
    from onboard.core.flow import WizardState
    from onboard.core.network import Network
    from onboard.core.omemo.hello import HelloResult
    from onboard.core.omemo.pep import DeviceReport
    from onboard.core.xmpp.forms import Answers, RegistrationForm
    from onboard.core.xmpp.invites import Invite
    from onboard.core.xmpp.registration import RegisteredAccount, RegistrationSession


class RegistrationService(Protocol):
    async def fetch_form(self, state: WizardState) -> RegistrationForm:
        """Close any previous session, connect afresh and return the server's form."""
        ...

    async def submit(self, answers: Answers) -> RegisteredAccount:
        """Send the answers with the current session; the credentials are saved on success."""
        ...

    async def verify_login(self, state: WizardState) -> None:
        """Log in once with the new account and record that it worked."""
        ...

    async def close(self) -> None:
        """Close the current session, if any. Safe to call at any time, more than once."""
        ...


class LiveRegistration:
    """Talks to real servers through the core's registration module."""

    def __init__(self) -> None:
        self._session: RegistrationSession | None = None
        # The route the last account was created on: its first login takes the same circuit,
        # so over Tor the new account is never seen on the circuit other steps share.
        self._created_on: tuple[str, Network] | None = None

    async def fetch_form(self, state: WizardState) -> RegistrationForm:
        from onboard.core.logs import silence_libraries
        from onboard.core.network import for_new_account
        from onboard.core.xmpp.registration import RegistrationSession

        silence_libraries()
        await self.close()
        state.route_note = ""
        # Over Tor, each attempt at a new account gets a circuit of its own.
        session = RegistrationSession(state.server(), for_new_account(state.network))
        self._session = session
        form = await session.open()
        if session.via is not None and session.via.tor:
            state.route_note = session.via.describe()
        return form

    async def submit(self, answers: Answers) -> RegisteredAccount:
        session = self._session
        if session is None:
            raise ProtocolError("no open registration session")
        account = await session.submit(answers)
        self._created_on = (account.jid, session.network)
        return account

    async def verify_login(self, state: WizardState) -> None:
        from onboard.core import accounts
        from onboard.core.xmpp.registration import verify_login

        await verify_login(state.jid, state.password, state.server(), self._route_for(state))
        # The login worked; failing to note it in the file changes nothing for the user.
        with contextlib.suppress(OSError, ValueError, OnboardError):
            accounts.mark_login_verified(state.jid)

    def _route_for(self, state: WizardState) -> Network:
        if self._created_on is not None and self._created_on[0] == state.jid:
            return self._created_on[1]
        return state.network

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()


class DevicesFetcher(Protocol):
    def __call__(self, state: WizardState, target: str | None) -> Awaitable[DeviceReport]:
        """Log in with the state's account and read `target`'s OMEMO devices (own: None)."""
        ...


async def fetch_devices(state: WizardState, target: str | None) -> DeviceReport:
    """The live `DevicesFetcher`: one login with `state.jid` and `state.password` through
    `state.network` (so over Tor when Tor is on), the core's time-out."""
    from onboard.core.logs import silence_libraries
    from onboard.core.omemo import pep

    silence_libraries()
    return await pep.fetch_devices(state.jid, state.password, target, state.server(),
                                   state.network, timeout=pep.FETCH_TIMEOUT)


class HelloSender(Protocol):
    def __call__(self, state: WizardState, to_jid: str, text: str, keep_device: bool,
                 progress: Callable[[str], None]) -> Awaitable[HelloResult]:
        """Log in with the state's account and send `to_jid` an encrypted test message."""
        ...


async def send_hello(state: WizardState, to_jid: str, text: str, keep_device: bool,
                     progress: Callable[[str], None]) -> HelloResult:
    """The live `HelloSender`: the core's test message, through `state.network`."""
    from onboard.core.logs import silence_libraries
    from onboard.core.omemo import hello

    silence_libraries()
    return await hello.send_hello(state.jid, state.password, to_jid, state.server(),
                                  state.network, text=text, keep_device=keep_device,
                                  progress=progress)


class InviteMaker(Protocol):
    def __call__(self, state: WizardState) -> Awaitable[Invite]:
        """Log in with the state's account and have its server make an invite (XEP-0401)."""
        ...


async def make_invite(state: WizardState) -> Invite:
    """The live `InviteMaker`: one login with `state.jid` and `state.password` through
    `state.network` (so over Tor when Tor is on), each step bounded by the core's time-out."""
    from onboard.core.logs import silence_libraries
    from onboard.core.xmpp import invites

    silence_libraries()
    return await invites.create_invite(state.jid, state.password, state.server(), state.network,
                                       timeout=invites.INVITE_TIMEOUT)
