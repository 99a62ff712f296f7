"""Choosing the route: which Tor to use (or none), and getting a working `TorNetwork` from it.

The CLI's `--tor MODE` and the TUI's Tor step both end here. Once a Tor mode is chosen, every
failure is an error that ends the step: there is no path from here to a direct connection.
Imports of the Tor machinery are late, so parsing `--tor` costs nothing at start-up.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from onboard.core.errors import InvalidInputError, TorUnavailableError
from onboard.i18n import _

if TYPE_CHECKING:
    from onboard.core.tor.control import TorSource
    from onboard.core.tor.launch import BootstrapStatus, LaunchedTor
    from onboard.core.tor.network import TorNetwork

TorModeKind = Literal["off", "auto", "system", "browser", "launch", "socks"]
MODE_KINDS: tuple[TorModeKind, ...] = ("off", "auto", "system", "browser", "launch", "socks")
# How long a SOCKS greeting to a found or given Tor may take.
DETECT_TIMEOUT = 2.0


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

    def close(self) -> None:
        if self.launched is not None:
            self.launched.stop()
            self.launched = None


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
    stall_after: float = 30.0,
    give_up_after: float | None = None,
) -> TorRoute:
    """A working route for `mode` (not "off"): found and checked, or launched and bootstrapped.

    For "launch", `on_status` receives each bootstrap step (from a worker thread: hand it to
    your loop). Cancelling the awaiting task stops a launching tor. Raises the Tor errors of
    onboard.core.errors; never falls back to anything else.
    """
    from onboard.core.tor.network import TorNetwork

    if mode.kind == "off":
        raise ValueError("open_route needs a Tor mode, not off")
    if mode.kind != "launch":
        source = await find_tor(mode, candidates)
        # A token of the app's own keeps its circuits apart from other programs on that tor.
        return TorRoute(source, TorNetwork(source.socks).isolated())

    import asyncio
    import threading

    from onboard.core.tor.launch import LaunchedTor

    launched = LaunchedTor(bridges=list(bridges), extra_config=dict(extra_config or {}))
    cancel = threading.Event()

    def report(status: BootstrapStatus) -> None:
        if on_status is not None:
            on_status(status)

    try:
        await asyncio.shield(asyncio.to_thread(
            launched.bootstrap, report, cancel=cancel, stall_after=stall_after,
            give_up_after=give_up_after))
    except asyncio.CancelledError:
        cancel.set()
        launched.stop()
        raise
    except BaseException:
        launched.stop()
        raise
    return TorRoute(launched.source(), TorNetwork(launched.socks).isolated(), launched)
