"""Bridge lines pasted by the user: checked here in plain words, then by tor itself.

A bridge line is `[Bridge] [TRANSPORT] IP:PORT [FINGERPRINT] [KEY=VALUE ...]`, as handed out by
https://bridges.torproject.org. The checks here catch what tor lets through (a missing port,
an obfs4 line without its keys, a transport program that is not installed) and name the
problem; `verify_with_tor` then lets tor parse the lines (`tor --verify-config`) for the rest,
e.g. an address that is a name instead of an IP address.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from onboard.core.errors import BridgeLineError
from onboard.i18n import _

# The transports a pasted line may use, and the programs that provide them (first found wins).
TRANSPORT_PROGRAMS: dict[str, tuple[str, ...]] = {
    "obfs4": ("obfs4proxy", "lyrebird"),
    "snowflake": ("snowflake-client",),
    "webtunnel": ("lyrebird", "webtunnel-client"),
}
# The command that installs a missing transport program (Debian and Ubuntu).
INSTALL_HINTS = {
    "obfs4": "sudo apt install obfs4proxy",
    "snowflake": "sudo apt install snowflake-client",
}
# Keys a transport cannot work without.
REQUIRED_ARGS = {
    "obfs4": ("cert", "iat-mode"),
    "webtunnel": ("url",),
}
# Besides PATH: where distributions install transport programs (a desktop session's PATH
# may lack the sbin directories).
EXTRA_DIRS = ("/usr/bin", "/usr/local/bin", "/usr/sbin", "/usr/local/sbin")
# How long `tor --verify-config` may take (it needs about 0.02 s).
VERIFY_TIMEOUT = 10.0

_HEX40 = re.compile(r"[0-9A-Fa-f]{40}")
_TRANSPORT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class BridgeLine:
    """One bridge. `text` is the value of tor's `Bridge` option (without the word "Bridge");
    `line_number` where it was in the pasted text (counting from 1)."""

    transport: str  # "obfs4", "snowflake", "webtunnel", or "" for a plain (vanilla) bridge
    address: str  # "IP:PORT" as written
    fingerprint: str  # 40 hex digits, or "" when the line has none
    args: dict[str, str]
    text: str
    line_number: int = field(default=0, compare=False)


def _search_path(path: str | None) -> str:
    dirs = (path if path is not None else os.environ.get("PATH", "")).split(os.pathsep)
    if path is None:
        dirs += [d for d in EXTRA_DIRS if d not in dirs]
    return os.pathsep.join(d for d in dirs if d)


def find_transport_program(transport: str, path: str | None = None) -> str | None:
    """The full path of the program that provides `transport`, or None when none is installed.

    `path` replaces the search path (PATH plus the usual bin directories) for tests.
    """
    search = _search_path(path)
    for program in TRANSPORT_PROGRAMS.get(transport, ()):
        found = shutil.which(program, path=search)
        if found:
            return found
    return None


def usable_transports(path: str | None = None) -> list[str]:
    """The bridge types whose program is installed here, in TRANSPORT_PROGRAMS' order."""
    return [name for name in TRANSPORT_PROGRAMS if find_transport_program(name, path)]


def transports_note(path: str | None = None) -> str:
    """One line for the bridge choice: which bridge types work on this computer, and how to
    get the usual one when it does not."""
    usable = usable_transports(path)
    if not usable:
        return _("No bridge program is installed here; install one with: {command}").format(
            command=INSTALL_HINTS["obfs4"])
    note = _("This computer can use these bridge types: {types}.").format(
        types=", ".join(usable))
    if "obfs4" not in usable:
        note += " " + _("For obfs4: {command}").format(command=INSTALL_HINTS["obfs4"])
    return note


def _split_address(address: str) -> tuple[str, str | None]:
    """(host, port text or None) of "IP:PORT", "[IPv6]:PORT", "IP" or "[IPv6]"."""
    if address.startswith("["):
        host, bracket, rest = address.partition("]")
        if not bracket:
            return address, None
        if not rest:
            return host + "]", None
        if not rest.startswith(":"):
            return address, None
        return host + "]", rest[1:]
    if address.count(":") > 1:  # a bare IPv6 address: no port can be told apart
        return address, None
    host, colon, port = address.partition(":")
    return host, port if colon else None


def _check_port(address: str, number: int) -> None:
    port = _split_address(address)[1]
    if port is None or port == "":
        raise BridgeLineError(number, _("the address {address} has no port; it should look "
                                        "like 192.0.2.1:443.").format(address=address))
    # isdigit() alone also passes "²" (which int() refuses) and other scripts' digits (which
    # tor refuses): only ASCII digits make a port.
    if not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
        raise BridgeLineError(number, _("the port in {address} is not a number from 1 to "
                                        "65535.").format(address=address))


def _parse_line(raw: str, number: int, path: str | None) -> BridgeLine:
    items = raw.split()
    if items[0].lower() == "bridge":
        items = items[1:]
        if not items:
            raise BridgeLineError(number, _("the line has nothing after “Bridge”."))
    transport = ""
    first = items[0]
    if "://" in first:
        raise BridgeLineError(number, _("“{text}” is a web address, not a bridge line. Open it "
                                        "in a browser to get bridge lines, then paste "
                                        "those.").format(text=first))
    looks_like_address = first[0].isdigit() or first.startswith("[") or ":" in first
    if not looks_like_address:
        transport = first.lower()
        if transport not in TRANSPORT_PROGRAMS:
            if _TRANSPORT_NAME.fullmatch(first):
                why = _("“{name}” is not a bridge type this program knows (obfs4, snowflake "
                        "and webtunnel are).").format(name=first)
            else:
                why = _("it should start with a bridge type such as obfs4, or with an IP "
                        "address and port, not “{text}”.").format(text=first)
            raise BridgeLineError(number, why)
        items = items[1:]
        if not items:
            raise BridgeLineError(number, _("the {transport} line has no address; it should "
                                            "look like {transport} 192.0.2.1:443 …"
                                            ).format(transport=transport))
    address = items[0]
    _check_port(address, number)
    rest = items[1:]

    fingerprint = ""
    if rest and "=" not in rest[0]:
        # A plain bridge's fingerprint may be written in groups of four, as tor prints it.
        if not transport and all("=" not in item for item in rest):
            candidate = "".join(rest)
            rest = []
        else:
            candidate, rest = rest[0], rest[1:]
        if not _HEX40.fullmatch(candidate):
            raise BridgeLineError(number, _("the fingerprint “{text}” should be 40 hexadecimal "
                                            "digits (0–9 and A–F).").format(text=candidate))
        fingerprint = candidate.upper()

    args: dict[str, str] = {}
    for item in rest:
        key, equals, value = item.partition("=")
        if not equals or not key:
            if not transport:
                why = _("“{item}” does not belong in a plain bridge line. If the line came "
                        "with a type such as obfs4, copy that word too.").format(item=item)
            else:
                why = _("“{item}” should look like name=value (for example "
                        "iat-mode=0).").format(item=item)
            raise BridgeLineError(number, why)
        if not transport:
            raise BridgeLineError(number, _("“{item}” only belongs in a bridge line with a type "
                                            "such as obfs4: copy the whole line, with its "
                                            "first word.").format(item=item))
        args[key] = value

    missing = [key for key in REQUIRED_ARGS.get(transport, ()) if key not in args]
    if missing:
        raise BridgeLineError(number, _("{transport} bridges need {keys}; this line lacks "
                                        "{missing}. Copy the whole line again.").format(
            transport=transport,
            keys=" ".join(f"{key}=…" for key in REQUIRED_ARGS[transport]),
            missing=", ".join(f"{key}=" for key in missing)))

    if transport and find_transport_program(transport, path) is None:
        first, *others = TRANSPORT_PROGRAMS[transport]
        program = first if not others else _("{first} or {second}").format(
            first=first, second=others[0])
        if transport in INSTALL_HINTS:
            why = _("{transport} bridges need the program {program}, which is not installed. "
                    "Install it with: {command}").format(
                transport=transport, program=program, command=INSTALL_HINTS[transport])
        else:
            why = _("{transport} bridges need the program {program}, which is not installed "
                    "(Debian and Ubuntu do not offer it as a package). Ask for obfs4 bridges "
                    "instead, or use snowflake.").format(transport=transport, program=program)
        raise BridgeLineError(number, why)

    if transport == "snowflake" and "fronts" in args and "front" not in args:
        # Older snowflake-client (Debian's 2.5.1) only knows front=; newer ones prefer fronts=
        # and ignore front=. Adding it keeps the line working with both.
        first_front = args["fronts"].split(",")[0]
        if first_front:
            args["front"] = first_front
            items = [*items, f"front={first_front}"]

    text = " ".join(([transport] if transport else []) + items)
    return BridgeLine(transport, address, fingerprint, args, text, number)


def parse_bridges(text: str, *, path: str | None = None) -> list[BridgeLine]:
    """One BridgeLine per line that is not blank and not a # comment.

    Raises BridgeLineError(line number, why) for the first line that cannot work, and nothing
    else. `path` replaces the search path for transport programs (tests).
    """
    bridges: list[BridgeLine] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        bridges.append(_parse_line(line, number, path))
    return bridges


def transport_plugins(bridges: Sequence[BridgeLine], *, path: str | None = None) -> list[str]:
    """The `ClientTransportPlugin` values the bridges need, e.g. "obfs4 exec /usr/bin/obfs4proxy".

    Transports without an installed program are left out (parse_bridges reports them).
    """
    plugins: list[str] = []
    seen: set[str] = set()
    for bridge in bridges:
        if not bridge.transport or bridge.transport in seen:
            continue
        seen.add(bridge.transport)
        program = find_transport_program(bridge.transport, path)
        if program is not None:
            plugins.append(f"{bridge.transport} exec {program}")
    return plugins


def _torrc(bridges: Sequence[BridgeLine], data_dir: Path) -> str:
    lines = [f"DataDirectory {data_dir}", "UseBridges 1"]
    lines += [f"ClientTransportPlugin {plugin}" for plugin in transport_plugins(bridges)]
    lines += [f"Bridge {bridge.text}" for bridge in bridges]
    return "\n".join(lines) + "\n"


def _tor_problem(bridges: Sequence[BridgeLine], tor: str) -> str | None:
    """tor's complaint about these bridge lines (its first [warn]/[err] line), or None."""
    with tempfile.TemporaryDirectory(prefix="onboard-bridges-") as folder:
        torrc = Path(folder) / "torrc"
        torrc.write_text(_torrc(bridges, Path(folder) / "data"), "utf-8")
        try:
            result = subprocess.run(
                [tor, "--verify-config", "--defaults-torrc", os.devnull, "-f", str(torrc)],
                capture_output=True, text=True, timeout=VERIFY_TIMEOUT, check=False,
                stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired):
            return None  # tor cannot check: it will complain when it starts instead
    if result.returncode == 0:
        return None
    problems = []
    for line in (result.stdout + "\n" + result.stderr).splitlines():
        _head, marker, message = line.partition("] ")
        if marker and ("[warn" in line or "[err" in line):
            problems.append(message.strip())
    useful = [p for p in problems if "running Tor as root" not in p
              and not p.startswith(("Failed to parse/validate config", "Reading config failed"))
              and not p.endswith("is not a k=v value.")]
    about_bridges = [p for p in useful if "Bridge" in p or "k=v" in p or "ransport" in p]
    if about_bridges:
        return about_bridges[0]
    if useful:
        return useful[0]
    return problems[0] if problems else _("tor did not accept the bridge lines.")


def _plain_reason(problem: str, bridge: BridgeLine) -> str:
    """tor's message about a bridge line, in plain words."""
    if problem.startswith("Error parsing Bridge address"):
        return _("tor does not accept the address {address}: a bridge needs an IP address and "
                 "port such as 192.0.2.1:443 (not a name).").format(address=bridge.address)
    if problem.startswith(("Key digest for Bridge is wrong length",
                           "Unable to decode Bridge key digest")):
        return _("the fingerprint should be 40 hexadecimal digits (0–9 and A–F).")
    match = re.match(r"'(.*)' is not a k=v item", problem)
    if match:
        return _("“{item}” should look like name=value.").format(item=match.group(1))
    if problem.startswith("Too few items to Bridge line"):
        return _("the line is incomplete: it needs at least an address and port.")
    return _("tor did not accept it: {reason}").format(reason=problem)


def verify_with_tor(bridges: Sequence[BridgeLine], tor_cmd: str = "tor") -> None:
    """Let tor parse the bridge lines (`tor --verify-config`, about 0.02 s per run).

    Raises BridgeLineError with tor's reason in plain words, for the line it concerns (each
    line is checked on its own to find it). Does nothing when tor is not installed or does
    not answer: starting tor reports the problem then.
    """
    tor = shutil.which(tor_cmd, path=_search_path(None)) if os.sep not in tor_cmd else tor_cmd
    if not bridges or tor is None:
        return
    problem = _tor_problem(bridges, tor)
    if problem is None:
        return
    culprit = bridges[0]
    if len(bridges) > 1:
        for bridge in bridges:
            own = _tor_problem([bridge], tor)
            if own is not None:
                culprit, problem = bridge, own
                break
    index = bridges.index(culprit)
    raise BridgeLineError(culprit.line_number or index + 1, _plain_reason(problem, culprit))


def check_bridges(text: str, tor_cmd: str = "tor") -> list[BridgeLine]:
    """parse_bridges, then verify_with_tor: the lines a launched tor can use."""
    bridges = parse_bridges(text)
    verify_with_tor(bridges, tor_cmd)
    return bridges
