"""Properties of the bridge-line checks (onboard.core.tor.bridges.parse_bridges; tor is not run).

Transport programs are looked up in a folder of empty executables: which program is installed
is what parse_bridges asks, not what the program does.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from onboard.core.errors import BridgeLineError
from onboard.core.tor.bridges import REQUIRED_ARGS, TRANSPORT_PROGRAMS, BridgeLine, parse_bridges
from tests.fuzz.strategies import fuzz_settings, nasty_text, spliced

FINGERPRINT = "0123456789ABCDEF0123456789ABCDEF01234567"


@pytest.fixture(scope="module")
def programs(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A search path where every transport program is installed."""
    folder = tmp_path_factory.mktemp("transport-programs")
    for names in TRANSPORT_PROGRAMS.values():
        for name in names:
            program = folder / name
            program.write_text("#!/bin/sh\n", "utf-8")
            program.chmod(0o755)
    return str(folder)


def _lines_in(text: str) -> int:
    return len(text.splitlines())


def _same(bridge: BridgeLine) -> tuple[str, str, str, dict[str, str]]:
    return bridge.transport, bridge.address, bridge.fingerprint, bridge.args


def _port_of(address: str) -> str:
    return address.rpartition(":")[2]


def _check(bridges: list[BridgeLine], text: str, programs: str) -> None:
    numbers = [bridge.line_number for bridge in bridges]
    assert numbers == sorted(set(numbers)) and all(1 <= n <= _lines_in(text) for n in numbers)
    for bridge in bridges:
        assert bridge.transport == "" or bridge.transport in TRANSPORT_PROGRAMS
        port = _port_of(bridge.address)
        assert port.isascii() and port.isdigit() and 0 < int(port) < 65536, bridge.address
        assert bridge.fingerprint == "" or (len(bridge.fingerprint) == 40
                                            and bridge.fingerprint == bridge.fingerprint.upper())
        assert all(key in bridge.args for key in REQUIRED_ARGS.get(bridge.transport, ()))
        assert not bridge.args or bridge.transport
        # What goes into tor's configuration says the same when it is read again.
        (again,) = parse_bridges(bridge.text, path=programs)
        assert _same(again) == _same(bridge)
        (prefixed,) = parse_bridges("Bridge " + bridge.text, path=programs)
        assert _same(prefixed) == _same(bridge)
        assert "\n" not in bridge.text and "\r" not in bridge.text


_TOKENS = ["Bridge ", "bridge ", "obfs4 ", "snowflake ", "webtunnel ", "meek_lite ", " ", "\n",
           "\r\n", "\u2028", "# ", "192.0.2.1", "[2001:db8::1]", "2001:db8::1", ":", "443",
           "0", "65536", "\u00b2", "\u0661\u0664", "\uff14", FINGERPRINT, "0123 4567 ",
           " cert=abc", " iat-mode=0", " url=https://example.org/x", " fronts=a.example,b",
           " front=", "=", "https://", "[", "]"]


@fuzz_settings(200)
@given(st.one_of(nasty_text(60), spliced(_TOKENS, 16)))
def test_parse_bridges_gives_checked_lines_or_a_bridge_line_error(programs: str,
                                                                 text: str) -> None:
    try:
        bridges = parse_bridges(text, path=programs)
    except BridgeLineError as error:
        assert 1 <= error.line_number <= _lines_in(text)
        assert error.why.strip() and error.message.strip()
        return
    _check(bridges, text, programs)


_digits = st.characters(categories=["Nd", "Nl", "No"])


@fuzz_settings(100)
@given(st.sampled_from(["192.0.2.1", "[2001:db8::1]", "obfs4 192.0.2.1"]),
       st.text(_digits, max_size=6) | nasty_text(8))
@example(host="192.0.2.1", port="\u00b2")  # found: a digit to str.isdigit, a ValueError to int()
@example(host="192.0.2.1", port="\u0661")  # found: an Arabic-Indic 1 was taken as port 1
def test_any_port_is_accepted_as_a_number_or_named_in_a_bridge_line_error(
        programs: str, host: str, port: str) -> None:
    line = f"{host}:{port} cert=a iat-mode=0" if "obfs4" in host else f"{host}:{port}"
    try:
        (bridge,) = parse_bridges(line, path=programs)
    except BridgeLineError as error:
        assert error.line_number == 1 and error.why.strip()
        return
    assert bridge.address.endswith(port) and 0 < int(port) < 65536 and port.isascii()


_ipv4 = st.ip_addresses(v=4).map(str)
_ipv6 = st.ip_addresses(v=6).map(lambda address: f"[{address}]")
_addresses = st.builds("{}:{}".format, _ipv4 | _ipv6, st.integers(1, 65535))
_values = st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="="),
                  min_size=1, max_size=12)


@st.composite
def bridge_lines(draw: st.DrawFn) -> tuple[str, str, str, str, dict[str, str]]:
    """A line tor would take: (line, transport, address, fingerprint, args)."""
    transport = draw(st.sampled_from(["", *TRANSPORT_PROGRAMS]))
    address = draw(_addresses)
    fingerprint = draw(st.sampled_from(["", FINGERPRINT, FINGERPRINT.lower()]))
    args: dict[str, str] = {}
    if transport:
        keys = [*REQUIRED_ARGS.get(transport, ()), *draw(st.lists(
            st.sampled_from(["cert", "iat-mode", "url", "ver", "ice", "utls-imitate"]),
            max_size=3))]
        args = {key: draw(_values) for key in keys}
    parts = [transport, address, fingerprint, *(f"{k}={v}" for k, v in args.items())]
    line = " ".join(part for part in parts if part)
    if draw(st.booleans()):
        line = "Bridge " + line
    return line, transport, address, fingerprint.upper(), args


@fuzz_settings(100)
@given(st.lists(bridge_lines(), min_size=1, max_size=4), st.sampled_from(["\n", "\r\n"]),
       st.booleans())
def test_well_formed_lines_are_read_as_written(
        programs: str, lines: list[tuple[str, str, str, str, dict[str, str]]], newline: str,
        comments: bool) -> None:
    pasted = newline.join(f"# bridge {i}{newline}  {line[0]}  " if comments else line[0]
                          for i, line in enumerate(lines))
    bridges = parse_bridges(pasted, path=programs)
    assert [(b.transport, b.address, b.fingerprint, {k: v for k, v in b.args.items()
                                                     if k != "front"}) for b in bridges] == [
        line[1:] for line in lines]
    for bridge in bridges:
        ipaddress.ip_address(bridge.address.rpartition(":")[0].strip("[]"))
    _check(bridges, pasted, programs)


@fuzz_settings(50)
@given(bridge_lines())
def test_a_line_with_a_transport_fails_when_its_program_is_missing(
        line: tuple[str, str, str, str, dict[str, str]]) -> None:
    text, transport = line[0], line[1]
    if not transport:
        assert parse_bridges(text, path="")[0].transport == ""
        return
    with pytest.raises(BridgeLineError) as raised:
        parse_bridges(text, path="")
    assert raised.value.line_number == 1 and transport in raised.value.why


def test_the_program_folder_is_found(programs: str) -> None:
    assert Path(programs, "obfs4proxy").exists()
    line = f"obfs4 192.0.2.1:443 {FINGERPRINT} cert=abc iat-mode=0"
    assert parse_bridges(line, path=programs)[0].transport == "obfs4"
