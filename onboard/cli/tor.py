"""`--tor MODE` for every command that goes on the network, and `xmpp-onboard tor-check`."""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from onboard.cli.io import emit_json, report_error
from onboard.core.errors import InvalidInputError, OnboardError
from onboard.core.tor.route import TorMode, parse_tor_mode
from onboard.i18n import _

if TYPE_CHECKING:
    from onboard.core.network import Network
    from onboard.core.tor.launch import BootstrapStatus
    from onboard.core.tor.route import TorRoute

# Where tor-check opens a test connection when no --target is given: the providers list's host.
DEFAULT_TARGET = "data.xmpp.net:443"


def _mode(text: str) -> TorMode:
    try:
        return parse_tor_mode(text)
    except InvalidInputError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def add_tor_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument(
        "--tor", type=_mode, default=TorMode(), metavar="MODE",
        help=_("send everything through Tor: off (default), auto (a running tor or Tor "
               "Browser), system, browser, launch (start a private Tor), or "
               "socks5://HOST:PORT. Once on, nothing is ever sent without Tor."))
    parser.add_argument(
        "--bridges", type=Path, metavar="FILE",
        help=_("with --tor launch: connect through the bridges in FILE (one bridge line per "
               "line, from https://bridges.torproject.org), where Tor is blocked"))


def read_bridges(path: Path | None) -> list[str]:
    if path is None:
        return []
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(_("The bridges file {path} could not be read: {error}").format(
            path=path, error=getattr(exc, "strerror", None) or exc)) from None
    from onboard.core.tor.bridges import check_bridges

    return [bridge.text for bridge in check_bridges(text)]


class BootstrapStatusPrinter:
    """Prints each new bootstrap percentage on stderr (not in --json mode)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.last = -1

    def __call__(self, status: BootstrapStatus) -> None:
        if self.quiet or status.progress == self.last:
            return
        self.last = status.progress
        sys.stderr.write(_("Tor: {percent}% {phase}").format(percent=status.progress,
                                                             phase=status.text) + "\n")
        sys.stderr.flush()


@contextlib.asynccontextmanager
async def network_for(args: argparse.Namespace, direct: Network) -> AsyncIterator[Network]:
    """The network the command must use: `direct`, or Tor as `--tor` says (stopped after)."""
    mode: TorMode = args.tor
    if args.bridges is not None and mode.kind != "launch":
        raise InvalidInputError(_("--bridges needs --tor launch."))
    if not mode.on:
        yield direct
        return
    from onboard.core.tor.route import open_route

    bridges = read_bridges(args.bridges)
    route = await open_route(mode, bridges=bridges,
                             on_status=BootstrapStatusPrinter(getattr(args, "json", False)))
    try:
        yield route.network.with_onions(known_onions())
    finally:
        route.close()


def known_onions() -> dict[str, list[str]]:
    """Onion addresses of the listed servers: over Tor, a server's onion is tried first."""
    from onboard.core.providers import load_providers

    return {p.domain: list(p.onion) for p in load_providers().providers if p.onion}


# --- tor-check ---------------------------------------------------------------------------------


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "tor-check",
        help=_("find Tor and check that a connection through it works"),
        description=_("Look for a running tor (system tor on 9050, Tor Browser on 9150), or "
                      "use the one --tor names, and open one connection through it to "
                      "--target to show that a circuit works. Nothing is sent without Tor."),
        epilog=_("Exit status: 0 when a connection through Tor worked; 13 when no Tor was "
                 "found or the connection through it failed; 14 when a launched tor did not "
                 "finish connecting; 2 for invalid options; 130 when cancelled."),
    )
    add_tor_options(parser)
    parser.set_defaults(tor=TorMode("auto"))
    parser.add_argument("--target", default=DEFAULT_TARGET, metavar="HOST:PORT",
                        help=_("where to open the test connection (default {target})").format(
                            target=DEFAULT_TARGET))
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help=_("give up on the test connection after SECONDS (default 60)"))
    parser.add_argument("--json", action="store_true", help=_("print one JSON object"))
    parser.set_defaults(handler=run_check)


def _target(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidInputError(_("--target takes HOST:PORT, not “{text}”.").format(text=text))
    return host.strip("[]"), int(port)


def run_check(args: argparse.Namespace) -> int:
    import asyncio

    try:
        if not args.tor.on:
            raise InvalidInputError(_("tor-check needs a Tor mode other than off."))
        if not 0 < args.timeout <= 600:
            raise InvalidInputError(_("--timeout must be more than 0 and at most 600 seconds."))
        target = _target(args.target)
        report = asyncio.run(_check(args, target))
    except OnboardError as error:
        return report_error(error, args.json)
    except KeyboardInterrupt:
        return 130
    failed = report["circuit"]["error"] is not None  # type: ignore[index]
    if args.json:
        emit_json(report)
    else:
        _print_check(report)
    return 13 if failed else 0


async def _check(args: argparse.Namespace, target: tuple[str, int]) -> dict[str, object]:
    from onboard.core.tor.control import detect_tor
    from onboard.core.tor.route import open_route

    found = await detect_tor() if args.tor.kind == "auto" else []
    route: TorRoute = await open_route(args.tor, bridges=read_bridges(args.bridges),
                                       on_status=BootstrapStatusPrinter(args.json))
    try:
        circuit: dict[str, object] = {"target": f"{target[0]}:{target[1]}", "works": False,
                                      "seconds": None, "error": None}
        started = time.perf_counter()
        try:
            sock = await route.network.open_socket(target[0], target[1], args.timeout)
            sock.close()
            circuit["works"] = True
            circuit["seconds"] = round(time.perf_counter() - started, 3)
        except OnboardError as error:
            circuit["error"] = error.to_json()
        return {
            "mode": str(args.tor),
            "found": [_source_json(s) for s in found],
            "used": _source_json(route.source),
            "circuit": circuit,
        }
    finally:
        route.close()


def _source_json(source: object) -> dict[str, object]:
    from onboard.core.tor.control import TorSource

    assert isinstance(source, TorSource)
    control = source.control
    return {
        "kind": source.kind,
        "label": source.label(),
        "socks": f"{source.socks[0]}:{source.socks[1]}",
        "control": None if control is None else (
            str(control) if isinstance(control, Path) else f"{control[0]}:{control[1]}"),
    }


def _print_check(report: dict[str, object]) -> None:
    used = report["used"]
    circuit = report["circuit"]
    assert isinstance(used, dict) and isinstance(circuit, dict)
    print(_("Tor used: {source}").format(source=used["label"]))
    error = circuit["error"]
    if isinstance(error, dict):
        print(_("A connection through Tor to {target} failed: {message}").format(
            target=circuit["target"], message=error["message"]))
        print(error["hint"])
        return
    print(_("A connection through Tor to {target} worked ({seconds} s).").format(
        target=circuit["target"], seconds=circuit["seconds"]))
