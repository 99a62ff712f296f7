"""The private Tor network fixture (tests/servers/tornet.py) does what the Tor tests rely on:
Prosody answers through the client's SOCKS port at the onion address and through the exit, the
client's control port takes its cookie, and a new tor joins with `client_options()`, through
the obfs4 bridge. Every tor here is real."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from python_socks.async_.asyncio import Proxy

pytestmark = [pytest.mark.timeout(300)]

STREAM_HEADER = (
    b"<?xml version='1.0'?><stream:stream to='open.test' xmlns='jabber:client' "
    b"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
)
IO_TIMEOUT = 30.0
BRIDGE_BOOTSTRAP_TIMEOUT = 90.0
ONION = re.compile(r"[a-z2-7]{56}\.onion")
BRIDGE_LINE = re.compile(
    r"obfs4 127\.0\.0\.1:(?P<port>\d{1,5}) (?P<fpr>[0-9A-F]{40}) "
    r"cert=(?P<cert>[A-Za-z0-9+/]{70}) iat-mode=0"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def stream_features(socks_port: int, host: str, port: int) -> bytes:
    """Open an XMPP stream to host:port through the SOCKS5 proxy (the name resolved by the
    proxy) and return what the server sent until its STARTTLS feature."""
    proxy = Proxy.from_url(f"socks5://127.0.0.1:{socks_port}", rdns=True)
    sock = await proxy.connect(dest_host=host, dest_port=port, timeout=IO_TIMEOUT)
    reader, writer = await asyncio.open_connection(sock=sock)
    try:
        writer.write(STREAM_HEADER)
        await writer.drain()
        received = b""
        async with asyncio.timeout(IO_TIMEOUT):
            while not (b"<stream:stream" in received and b"starttls" in received):
                chunk = await reader.read(4096)
                if not chunk:
                    break
                received += chunk
        return received
    finally:
        writer.close()
        await writer.wait_closed()


def control(port: int, cookie: bytes, *commands: str) -> list[str]:
    """Authenticate to a tor control port with its cookie, send `commands`, return each reply."""
    replies = []
    with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT) as sock:
        stream = sock.makefile("rwb")
        for command in (f"AUTHENTICATE {cookie.hex()}", *commands, "QUIT"):
            stream.write(command.encode() + b"\r\n")
            stream.flush()
            lines = []
            while True:
                line = stream.readline().decode().rstrip("\r\n")
                lines.append(line)
                if not line or line[3:4] == " ":
                    break
            replies.append("\n".join(lines))
    assert replies[0] == "250 OK", replies[0]
    return replies[1:-1]


async def test_prosody_answers_at_the_onion_address(tor_network: Any) -> None:
    assert ONION.fullmatch(tor_network.onion_address)
    received = await stream_features(tor_network.socks_port, tor_network.onion_address, 5222)
    assert b"<stream:stream" in received and b"from='open.test'" in received.replace(b'"', b"'")
    assert b"starttls" in received


async def test_prosody_answers_through_the_exit(tor_network: Any, prosody: Any) -> None:
    assert tor_network.prosody_port == prosody.starttls_port
    received = await stream_features(tor_network.socks_port, "127.0.0.1",
                                     tor_network.prosody_port)
    assert b"<stream:stream" in received and b"starttls" in received


def test_the_client_control_port_takes_its_cookie(tor_network: Any) -> None:
    cookie = Path(tor_network.cookie_file).read_bytes()
    assert len(cookie) == 32
    (phase,) = control(tor_network.control_port, cookie, "GETINFO status/bootstrap-phase")
    assert "PROGRESS=100" in phase and "TAG=done" in phase


def test_the_obfs4_bridge_line_has_the_expected_shape(tor_network: Any) -> None:
    line = tor_network.obfs4_bridge_line
    match = BRIDGE_LINE.fullmatch(line)
    assert match, line
    # obfs4proxy really listens there.
    with socket.create_connection(("127.0.0.1", int(match["port"])), timeout=5):
        pass
    options = tor_network.client_options()
    assert options["TestingTorNetwork"] == "1"
    assert len(options["DirAuthority"]) == 3
    assert all(isinstance(value, str | list) for value in options.values())


def test_a_new_tor_joins_through_the_obfs4_bridge(tor_network: Any, tmp_path: Path) -> None:
    """client_options() in stem's launch shape, plus the bridge: the new tor bootstraps through
    obfs4proxy, then reaches Prosody at the onion address."""
    import stem.process

    from tests.servers.tornet import obfs4proxy_binary

    socks_port, control_port = free_port(), free_port()
    data_dir = tmp_path / "tor"
    data_dir.mkdir(mode=0o700)
    config = {
        **tor_network.client_options(),
        "DataDirectory": str(data_dir),
        "SocksPort": f"127.0.0.1:{socks_port}",
        "ControlPort": f"127.0.0.1:{control_port}",
        "CookieAuthentication": "1",
        "UseBridges": "1",
        "ClientTransportPlugin": f"obfs4 exec {obfs4proxy_binary()}",
        "Bridge": [tor_network.obfs4_bridge_line],
        "Log": "NOTICE stdout",
    }
    began = time.monotonic()
    process = stem.process.launch_tor_with_config(config=config, completion_percent=0,
                                                  take_ownership=True, timeout=None)
    try:
        cookie = (data_dir / "control_auth_cookie").read_bytes()
        phase = ""
        while "PROGRESS=100" not in phase:
            assert time.monotonic() - began < BRIDGE_BOOTSTRAP_TIMEOUT, phase
            time.sleep(0.25)
            (phase,) = control(control_port, cookie, "GETINFO status/bootstrap-phase")
        (bridges,) = control(control_port, cookie, "GETCONF Bridge")
        assert tor_network.obfs4_bridge_line in bridges
        received = asyncio.run(stream_features(socks_port, tor_network.onion_address, 5222))
        assert b"<stream:stream" in received and b"starttls" in received
    finally:
        process.kill()
        process.wait(10)
