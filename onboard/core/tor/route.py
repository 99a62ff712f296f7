"""Choosing the route: which Tor to use (or none), and getting a working `TorNetwork` from it.

The CLI's `--tor MODE` and the TUI's Tor step both end here. Once a Tor mode is chosen, every
failure is an error that ends the step: there is no path from here to a direct connection.
Imports of the Tor machinery are late, so parsing `--tor` costs nothing at start-up.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeVar

from onboard.core.errors import InvalidInputError, TorControlError, TorUnavailableError
from onboard.i18n import _

if TYPE_CHECKING:
    import threading

    from onboard.core.tor.control import ControlAddress, TorSource
    from onboard.core.tor.launch import BootstrapStatus, LaunchedTor
    from onboard.core.tor.network import TorNetwork

TorModeKind = Literal["off", "auto", "system", "browser", "launch", "socks"]
MODE_KINDS: tuple[TorModeKind, ...] = ("off", "auto", "system", "browser", "launch", "socks")
# How long a SOCKS greeting to a found or given Tor may take.
DETECT_TIMEOUT = 2.0
# How long the greeting of a health check may take (the tor is local: it answers in a few ms).
ALIVE_TIMEOUT = 2.0

# A found tor's control password, for a control port that asks for one (never on argv).
PASSWORD_ENV = "XMPP_ONBOARD_TOR_CONTROL_PASSWORD"

_T = TypeVar("_T")


@dataclass(frozen=True)
class TorMode:
    """What the user asked for. `socks` is set for kind "socks" (an address typed by hand)."""

    kind: TorModeKind = "off"
    socks: tuple[str, int] | None = None

    @property
    def on(self) -> bool:
        return self.kind != "off"

    def __str__(self) -> str:
        if self.kind == "socks" and self.socks is not None:
            return f"socks5://{self.socks[0]}:{self.socks[1]}"
        return self.kind


def parse_socks_address(text: str) -> tuple[str, int]:
    """`HOST:PORT` (or `socks5://HOST:PORT`) where HOST is an IP address or "localhost".

    A name would need a DNS lookup outside Tor, so names are refused.
    """
    value = text.strip()
    for prefix in ("socks5h://", "socks5://"):
        if value.lower().startswith(prefix):
            value = value[len(prefix):]
    value = value.rstrip("/")
    host, sep, port_text = value.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise InvalidInputError(_("A Tor SOCKS address looks like 127.0.0.1:9050, not "
                                  "“{text}”.").format(text=text))
    if host.lower() == "localhost":
        return "127.0.0.1", int(port_text)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise InvalidInputError(_("Give the Tor SOCKS address as an IP address such as "
                                  "127.0.0.1, not a name (looking a name up would happen "
                                  "outside Tor).")) from None
    return host, int(port_text)


def parse_tor_mode(text: str) -> TorMode:
    """`off`, `auto`, `system`, `browser`, `launch`, or `socks5://HOST:PORT`."""
    value = text.strip().lower()
    if value in ("off", "auto", "system", "browser", "launch"):
        return TorMode(value)  # type: ignore[arg-type]
    if value.startswith(("socks5://", "socks5h://")):
        return TorMode("socks", parse_socks_address(value))
    raise InvalidInputError(_("--tor takes off, auto, system, browser, launch or "
                              "socks5://HOST:PORT, not “{text}”.").format(text=text))


@dataclass
class TorRoute:
    """A working Tor: where it came from, and the network object that goes through it.

    Owns a tor the app launched: `close()` stops it (also when the program ends, tor exits
    on its own, as the app owns it).
    """

    source: TorSource
    network: TorNetwork
    launched: LaunchedTor | None = field(default=None, repr=False)
    # Tor's bootstrap percentage as its control port told it (100 once in use), or None when
    # it could not be read: no control port known, or `control_problem` says why.
    progress: int | None = None
    control_problem: TorControlError | None = field(default=None, repr=False)

    @property
    def notes(self) -> list[str]:
        """What the user should know about this route, in plain words."""
        if self.control_problem is None:
            return []
        return [_("Could not read Tor's progress ({reason}); using its SOCKS port.").format(
            reason=control_problem_text(self.control_problem))]

    def close(self) -> None:
        if self.launched is not None:
            self.launched.stop()
            self.launched = None

    async def alive(self, timeout: float = ALIVE_TIMEOUT) -> bool:
        """Whether this route still works, checked cheaply: a launched tor's process is still
        running, and the SOCKS port answers a SOCKS5 greeting (the same check that found it;
        no request is made through it). Never raises."""
        from onboard.core.tor.socks import is_socks5

        launched = self.launched
        if launched is not None and not launched.running:
            return False
        host, port = self.source.socks
        return await is_socks5(host, port, timeout)


def control_problem_text(problem: TorControlError) -> str:
    """Why a found tor's control port could not be used, in a few plain words."""
    texts = {
        "password-needed": _("it asks for a control password"),
        "password-wrong": _("it did not accept the control password"),
        "cookie-unreadable": _("this user may not read its cookie file"),
        "socket-forbidden": _("this user may not open its control socket"),
    }
    return texts.get(problem.reason, _("its control port {where} could not be "
                                       "used")).format(where=problem.where)


def control_password_from_env() -> str | None:
    """The control password in XMPP_ONBOARD_TOR_CONTROL_PASSWORD, if set and not empty."""
    import os

    from onboard.core.crash import remember_secret

    password = os.environ.get(PASSWORD_ENV) or None
    remember_secret(password)
    return password


def _candidates(kind: TorModeKind) -> list[TorSource]:
    from onboard.core.tor.control import DEFAULT_CANDIDATES

    if kind == "auto":
        return list(DEFAULT_CANDIDATES)
    return [c for c in DEFAULT_CANDIDATES if c.kind == kind]


async def find_tor(mode: TorMode, candidates: Sequence[TorSource] | None = None,
                   timeout: float = DETECT_TIMEOUT) -> TorSource:
    """The Tor that `mode` (auto, system, browser or socks) names, checked to answer SOCKS5."""
    from onboard.core.tor.control import TorSource, detect_tor

    if mode.kind == "socks":
        assert mode.socks is not None
        manual = TorSource(kind="manual", socks=mode.socks, control=None)
        found = await detect_tor([manual], timeout)
    else:
        found = await detect_tor(candidates if candidates is not None
                                 else _candidates(mode.kind), timeout)
    if found:
        return found[0]
    where = {
        "socks": str(mode),
        "system": "127.0.0.1:9050",
        "browser": "127.0.0.1:9150",
    }.get(mode.kind, "127.0.0.1:9050, 127.0.0.1:9150")
    raise TorUnavailableError(where)


async def open_route(
    mode: TorMode,
    *,
    on_status: Callable[[BootstrapStatus], None] | None = None,
    bridges: Sequence[str] = (),
    extra_config: Mapping[str, str | list[str]] | None = None,
    candidates: Sequence[TorSource] | None = None,
    stall_after: float | None = None,
    give_up_after: float | None = None,
    control_password: str | None = None,
) -> TorRoute:
    """A working route for `mode` (not "off"): found and checked, or launched and bootstrapped.

    A found tor (system, Tor Browser) must answer SOCKS5; when its control port can be used
    (no authentication, a readable cookie, or `control_password`, by default the one in
    XMPP_ONBOARD_TOR_CONTROL_PASSWORD), its bootstrap is read, and waited for when below
    100% (with the limits of a launched tor without bridges). When the control port
    cannot be used, the route goes on with SOCKS alone and `route.notes` says why; a given
    password that tor refuses is an error (TorControlError "password-wrong").

    `on_status` receives each bootstrap step while waiting (from a worker thread: hand it
    to your loop). Cancelling the awaiting task stops the wait (and a launching tor).
    Raises the Tor errors of onboard.core.errors; never falls back to anything else.
    """
    from onboard.core.tor.network import TorNetwork

    if mode.kind == "off":
        raise ValueError("open_route needs a Tor mode, not off")

    def report(status: BootstrapStatus) -> None:
        if on_status is not None:
            on_status(status)

    if mode.kind != "launch":
        source = await find_tor(mode, candidates)
        progress: int | None = None
        problem: TorControlError | None = None
        if source.control is not None:
            password = control_password if control_password is not None \
                else control_password_from_env()
            progress, problem = await _in_thread(
                _follow_bootstrap, source.control, password, report, stall_after,
                give_up_after)
        # A token of the app's own keeps its circuits apart from other programs on that tor.
        return TorRoute(source, TorNetwork(source.socks).isolated(), progress=progress,
                        control_problem=problem)

    from onboard.core.tor.launch import LaunchedTor

    launched = LaunchedTor(bridges=list(bridges), extra_config=dict(extra_config or {}))
    try:
        await _in_thread(lambda cancel: launched.bootstrap(
            report, cancel=cancel, stall_after=stall_after, give_up_after=give_up_after))
    except BaseException:
        # Stopping waits for tor to exit (up to seconds): not on the event loop, and not
        # cut short by a second cancellation.
        import asyncio

        await asyncio.shield(asyncio.to_thread(launched.stop))
        raise
    return TorRoute(launched.source(), TorNetwork(launched.socks).isolated(), launched,
                    progress=100)


async def _in_thread(work: Callable[..., _T], *args: object) -> _T:
    """`work(*args, cancel=...)` in a worker thread; cancelling the awaiting task sets the
    event `cancel` (the work then ends with CancelledByUserError, which nobody awaits)."""
    import asyncio
    import threading

    cancel = threading.Event()
    task = asyncio.ensure_future(asyncio.to_thread(work, *args, cancel))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        cancel.set()
        # Read the work's own ending, so asyncio does not report it as never retrieved.
        task.add_done_callback(lambda done: done.cancelled() or done.exception())
        raise


def _follow_bootstrap(control: ControlAddress, password: str | None,
                      report: Callable[[BootstrapStatus], None], stall_after: float | None,
                      give_up_after: float | None, cancel: threading.Event,
                      ) -> tuple[int | None, TorControlError | None]:
    """A found tor's bootstrap through its control port (synchronous): (100, None) once it is
    connected, waiting when it is not yet; (None, problem) when the control port cannot be
    used. Raises TorControlError "password-wrong" for a refused password, TorBootstrapError
    when tor stalls, gives up or goes away, CancelledByUserError once `cancel` is set. Never
    takes ownership of that tor: closing the connection leaves it running."""
    import time

    from onboard.core.tor.control import control_where, open_controller
    from onboard.core.tor.launch import BootstrapWatcher, bootstrap_limits

    try:
        controller = open_controller(control, password, take_ownership=False)
    except TorControlError as problem:
        if problem.reason == "password-wrong":
            raise
        return None, problem
    try:
        watcher = BootstrapWatcher(controller)
        try:
            first = watcher.phase()
        except Exception as exc:  # it answered authentication, then not this: no progress
            return None, TorControlError("unreachable", control_where(control), str(exc))
        if first.progress >= 100:
            return 100, None
        report(first)
        watcher.listen()
        default_stall, default_give_up = bootstrap_limits(with_bridges=False)
        deadline = time.monotonic() + (give_up_after if give_up_after is not None
                                       else default_give_up)
        watcher.watch(report, cancel=cancel, deadline=deadline,
                      stall_after=stall_after if stall_after is not None else default_stall,
                      ended=lambda: not controller.is_alive())
        return 100, None
    finally:
        controller.close()

