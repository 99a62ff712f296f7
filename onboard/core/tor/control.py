"""Finding a running tor (system tor, Tor Browser) and opening its control port with stem.

Finding only sends a SOCKS5 greeting to loopback ports: nothing leaves the computer. Opening a
control port never prompts (stem.connection.connect would call getpass): a missing or wrong
password is a `TorControlError` the caller turns into a question.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from onboard.core.errors import TorControlError
from onboard.core.tor.socks import is_socks5
from onboard.i18n import _

if TYPE_CHECKING:
    from stem.control import Controller

TorSourceKind = Literal["system", "browser", "launched", "manual"]
ControlAddress = tuple[str, int] | Path

# Where Debian's (and most distributions') system tor puts its control socket.
SYSTEM_CONTROL_SOCKETS = (Path("/run/tor/control"), Path("/var/run/tor/control"))


@dataclass(frozen=True)
class TorSource:
    """A tor to send traffic through: its SOCKS address and, when known, its control port
    (host and port) or control socket (a path)."""

    kind: TorSourceKind
    socks: tuple[str, int]
    control: ControlAddress | None = None

    def label(self) -> str:
        """Plain words for the user, e.g. "Tor Browser (127.0.0.1:9150)"."""
        where = f"{self.socks[0]}:{self.socks[1]}"
        texts = {
            "system": _("The tor running on this computer ({where})"),
            "browser": _("Tor Browser ({where})"),
            "launched": _("A tor started by this program ({where})"),
        }
        return texts.get(self.kind, _("The Tor at {where}")).format(where=where)


def control_where(control: ControlAddress) -> str:
    """A control address as the user would write it."""
    if isinstance(control, Path):
        return str(control)
    return f"{control[0]}:{control[1]}"


def _system_control() -> ControlAddress:
    for path in SYSTEM_CONTROL_SOCKETS:
        if path.exists():
            return path
    return ("127.0.0.1", 9051)


# System tor first, then Tor Browser (which only runs while its window is open).
DEFAULT_CANDIDATES: tuple[TorSource, ...] = (
    TorSource(kind="system", socks=("127.0.0.1", 9050), control=_system_control()),
    TorSource(kind="browser", socks=("127.0.0.1", 9150), control=("127.0.0.1", 9151)),
)


async def detect_tor(candidates: Sequence[TorSource] = DEFAULT_CANDIDATES,
                     timeout: float = 1.0) -> list[TorSource]:
    """The candidates whose SOCKS port answers a SOCKS5 greeting, in the given order.

    All are asked at once, so this takes at most `timeout` seconds.
    """
    answers = await asyncio.gather(
        *(is_socks5(source.socks[0], source.socks[1], timeout) for source in candidates))
    return [source for source, works in zip(candidates, answers, strict=True) if works]


def _probe(control: ControlAddress, where: str, timeout: float) -> None:
    """Ask for PROTOCOLINFO with a timeout: stem has none, and would wait forever on a
    listener that accepts and never answers."""
    family = socket.AF_UNIX if isinstance(control, Path) else socket.AF_INET
    answer = b""
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(control) if isinstance(control, Path) else control)
            sock.sendall(b"PROTOCOLINFO 1\r\n")
            while b"\r\n" not in answer and len(answer) < 4096:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
    except PermissionError as exc:  # Debian's /run/tor/control, for users outside debian-tor
        raise TorControlError("socket-forbidden", where, str(exc)) from None
    except OSError as exc:  # refused, no such socket, timed out
        raise TorControlError("unreachable", where, str(exc) or type(exc).__name__) from None
    if not answer.startswith(b"250"):
        raise TorControlError("unreachable", where, "not a tor control port")


def _guest_controller() -> type[Controller]:
    """A stem Controller that never takes ownership of the tor it talks to.

    stem sends TAKEOWNERSHIP after authenticating when tor's __OwningControllerProcess is this
    process: that tor then exits when the connection closes. Right for a tor this program
    launched, wrong for one it only found (the system's, Tor Browser's)."""
    from stem.control import BaseController, Controller

    class GuestController(Controller):  # type: ignore[misc]
        def _post_authentication(self) -> None:
            # Only BaseController's part: no listeners to re-attach on a new connection,
            # and no TAKEOWNERSHIP.
            BaseController._post_authentication(self)

    return GuestController


def open_controller(control: ControlAddress, password: str | None = None,
                    timeout: float = 5.0, *, take_ownership: bool = True) -> Controller:
    """An authenticated stem Controller for a tor's control port or socket (synchronous).

    Cookie authentication needs no password (stem reads the cookie file). Raises
    TorControlError with reason "password-needed", "password-wrong", "cookie-unreadable",
    "socket-forbidden" (a control socket this user may not open) or "unreachable" (nothing
    listening, not a tor, or no answer within `timeout` seconds). Never prompts. With
    `take_ownership` False, closing the controller never ends that tor (for a tor this
    program did not start).
    """
    import stem
    import stem.connection
    import stem.socket
    from stem.control import Controller

    where = control_where(control)
    _probe(control, where, timeout)
    # Controller.from_port and .from_socket_file always make a plain Controller.
    kind = Controller if take_ownership else _guest_controller()
    try:
        if isinstance(control, Path):
            controller = kind(stem.socket.ControlSocketFile(str(control)))
        else:
            controller = kind(stem.socket.ControlPort(control[0], control[1]))
    except stem.SocketError as exc:
        raise TorControlError("unreachable", where, str(exc)) from None
    try:
        controller.authenticate(password=password)
    except BaseException as exc:
        controller.close()
        raise _auth_error(exc, where) from None
    return controller


def _auth_error(exc: BaseException, where: str) -> BaseException:
    """The TorControlError for what stem raised while authenticating (others unchanged)."""
    import stem
    import stem.connection

    # MissingPassword is a PasswordAuthFailed: test it first.
    if isinstance(exc, stem.connection.MissingPassword):
        return TorControlError("password-needed", where, str(exc))
    if isinstance(exc, stem.connection.PasswordAuthFailed):
        return TorControlError("password-wrong", where, str(exc))
    if isinstance(exc, stem.connection.UnreadableCookieFile):
        return TorControlError("cookie-unreadable", where, str(exc))
    if isinstance(exc, stem.connection.AuthenticationFailure | stem.ControllerError):
        # Not a tor, a tor that went away, or an auth method stem does not know.
        return TorControlError("unreachable", where, str(exc))
    return exc
