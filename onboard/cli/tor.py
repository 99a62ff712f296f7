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
from onboard.core.tor.route import PASSWORD_ENV, TorMode, parse_tor_mode
from onboard.i18n import _

if TYPE_CHECKING:
    from onboard.core.errors import TorControlError
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
    if isinstance(parser, argparse.ArgumentParser):
        # A command's option (the assistant takes the password from the environment only).
        parser.add_argument(
            "--tor-control-password-file", type=Path, metavar="FILE",
            help=_("the control password of a running tor (its HashedControlPassword), on "
                   "the first line of FILE; or set {env}. Without it, Tor's progress is read "
                   "when its control port needs no password").format(env=PASSWORD_ENV))


def read_control_password(path: Path | None) -> str | None:
    """The password in --tor-control-password-file (None without it: then open_route takes
    XMPP_ONBOARD_TOR_CONTROL_PASSWORD). Never from argv."""
    if path is None:
        return None
    from onboard.core.crash import remember_secret

    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(
            _("The Tor control password file {path} could not be read: {error}").format(
                path=path, error=getattr(exc, "strerror", None) or exc)) from None
    if not lines or not lines[0]:
        raise InvalidInputError(_("The Tor control password file {path} is empty.").format(
            path=path))
    remember_secret(lines[0])
    return lines[0]


def print_notes(route: TorRoute, quiet: bool) -> None:
    """What the user should know about the route (e.g. its progress could not be read), on
    stderr (not in --json mode)."""
    if quiet or route.control_problem is None:
        return
    for note in route.notes:
        sys.stderr.write(_("Tor: {note}").format(note=note) + "\n")
    sys.stderr.write(control_hint(route.control_problem) + "\n")
    sys.stderr.flush()


def control_hint(problem: TorControlError) -> str:
    """What to do about a control port that could not be used, for a command line."""
    if problem.reason.startswith("password"):
        return _("Give tor's control password with --tor-control-password-file FILE or in "
                 "{env}.").format(env=PASSWORD_ENV)
    return problem.hint


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
    quiet = getattr(args, "json", False)
    route = await open_route(
        mode, bridges=bridges, on_status=BootstrapStatusPrinter(quiet),
        control_password=read_control_password(
            getattr(args, "tor_control_password_file", None)))
    print_notes(route, quiet)
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
    route: TorRoute = await open_route(
        args.tor, bridges=read_bridges(args.bridges), on_status=BootstrapStatusPrinter(args.json),
        control_password=read_control_password(args.tor_control_password_file))
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
            "bootstrap": _bootstrap_json(route),
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


def _bootstrap_json(route: TorRoute) -> dict[str, object]:
    """Tor's bootstrap as its control port told it: `progress` (100 when read, since the route
    waits for it), or None with `error` saying why it could not be read (None as well when no
    control port is known, e.g. for a SOCKS address given by hand)."""
    problem = route.control_problem
    return {
        "progress": route.progress,
        "note": route.notes[0] if route.notes else None,
        "hint": None if problem is None else control_hint(problem),
        # password-needed, cookie-unreadable, socket-forbidden or unreachable
        "reason": None if problem is None else problem.reason,
        "error": None if problem is None else problem.to_json(),
    }


def _print_check(report: dict[str, object]) -> None:
    used = report["used"]
    circuit = report["circuit"]
    bootstrap = report["bootstrap"]
    assert isinstance(used, dict) and isinstance(circuit, dict) and isinstance(bootstrap, dict)
    print(_("Tor used: {source}").format(source=used["label"]))
    if bootstrap["progress"] is not None:
        print(_("Tor's progress, read from its control port: {percent}%").format(
            percent=bootstrap["progress"]))
    elif bootstrap["note"] is not None:
        print(bootstrap["note"])
        print(bootstrap["hint"])
    else:
        print(_("Tor's progress was not read: no control port is known for it."))
    error = circuit["error"]
    if isinstance(error, dict):
        print(_("A connection through Tor to {target} failed: {message}").format(
            target=circuit["target"], message=error["message"]))
        print(error["hint"])
        return
    print(_("A connection through Tor to {target} worked ({seconds} s).").format(
        target=circuit["target"], seconds=circuit["seconds"]))
