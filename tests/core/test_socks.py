"""The SOCKS5 client against a real tor (started here, offline) and a scripted SOCKS server.

Two real tors, neither of which ever connects beyond 127.0.0.1:
- one with `DisableNetwork 1`: tor then opens no SOCKS listener at all (only its control port),
  so a CONNECT is refused: TorUnavailableError, and `is_socks5` says False;
- one "offline": its only directory authority is a closed port on 127.0.0.1, so it listens on
  SOCKS but has no circuits. It answers 0x01 for private addresses, 0xF6 for a malformed onion
  address at once, and 0x06 (TTL expired) for names once its `SocksTimeout` has passed.
The scripted server covers what tor will not do on demand: every reply code, broken replies,
silence, and a look at the exact bytes of the request.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from onboard.core.errors import (
    SOCKS_REPLIES,
    NetworkTimeoutError,
    TorProxyError,
    TorUnavailableError,
)
from onboard.core.tor.socks import connect_request, is_socks5, proxy_address, socks5_connect
from tests.core.conftest import SilentServer
from tests.servers.socks_script import ATYP_DOMAIN, ATYP_IPV4, ATYP_IPV6, ScriptedSocks

TOR_CANDIDATES = ("/usr/sbin/tor", "/usr/bin/tor")
SOCKS_TIMEOUT = 2  # the offline tor's SocksTimeout: how long it holds a request it cannot serve
START_TIMEOUT = 30.0


# --- real tor ----------------------------------------------------------------------------------


def tor_binary() -> str:
    found = shutil.which("tor") or next((c for c in TOR_CANDIDATES if os.path.exists(c)), None)
    if found is None:
        reason = "tor is not installed (apt-get install tor): the real-tor tests need it"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class LocalTor:
    """A tor process and what its log said: its SOCKS port (if any) and control port."""

    process: subprocess.Popen[str]
    log: list[str]
    socks_port: int | None
    control_port: int | None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_tor(data_dir: Path, options: dict[str, str]) -> LocalTor:
    """Start tor with only `options` (no torrc) and wait until it has opened its listeners."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    args = [tor_binary(), "--ignore-missing-torrc", "-f", str(data_dir / "none"),
            "--defaults-torrc", "/dev/null", "DataDirectory", str(data_dir),
            "Log", "notice stdout", "__OwningControllerProcess", str(os.getpid())]
    for key, value in options.items():
        args += [key, value]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    log: list[str] = []
    started = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            log.append(line.rstrip())
            # Listeners are opened before bootstrapping starts.
            if "Bootstrapped 0%" in line:
                started.set()
        started.set()

    threading.Thread(target=read, daemon=True).start()
    if not started.wait(START_TIMEOUT) or process.poll() is not None:
        process.kill()
        pytest.fail("tor did not start:\n" + "\n".join(log[-20:]), pytrace=False)

    def opened(kind: str) -> int | None:
        pattern = re.compile(rf"Opened {kind} listener connection \(ready\) on 127\.0\.0\.1:(\d+)")
        ports = [int(m.group(1)) for line in log if (m := pattern.search(line))]
        return ports[0] if ports else None

    return LocalTor(process, log, opened("Socks"), opened("Control"))


@pytest.fixture(scope="module")
def disabled_tor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalTor, int]]:
    """A tor with DisableNetwork 1 and a SocksPort configured (the port it was given)."""
    port = free_port()
    tor = start_tor(tmp_path_factory.mktemp("tor-disabled"), {
        "DisableNetwork": "1",
        "SocksPort": f"127.0.0.1:{port} ExtendedErrors",
        "ControlPort": "127.0.0.1:auto",
    })
    try:
        yield tor, port
    finally:
        tor.stop()


@pytest.fixture(scope="module")
def offline_tor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A tor listening on SOCKS whose only directory authority is a closed loopback port."""
    dead = free_port()
    tor = start_tor(tmp_path_factory.mktemp("tor-offline"), {
        "SocksPort": "127.0.0.1:auto ExtendedErrors",
        "DirAuthority": f"nowhere orport={dead} no-v2 v3ident={'B' * 40} 127.0.0.1:{dead} "
                        f"{'A' * 40}",
        "SocksTimeout": str(SOCKS_TIMEOUT),
    })
    try:
        assert tor.socks_port is not None, "\n".join(tor.log)
        yield ("127.0.0.1", tor.socks_port)
    finally:
        tor.stop()


async def test_a_tor_with_disable_network_opens_no_socks_port(
        disabled_tor: tuple[LocalTor, int]) -> None:
    tor, port = disabled_tor
    # tor is up (its control port answers) but, as its manual says, DisableNetwork means no
    # listeners besides the control port: SOCKS is refused, and the refusal is immediate.
    assert tor.control_port is not None
    with socket.create_connection(("127.0.0.1", tor.control_port), timeout=5):
        pass
    assert tor.socks_port is None
    assert not await is_socks5("127.0.0.1", port, 2)
    started = time.monotonic()
    with pytest.raises(TorUnavailableError) as caught:
        await socks5_connect(("127.0.0.1", port), "xmpp.example.org", 5222, 10)
    assert time.monotonic() - started < 1
    assert caught.value.where == f"127.0.0.1:{port}"
    assert f"127.0.0.1:{port}" in caught.value.message


async def test_a_running_tor_answers_the_socks5_greeting(offline_tor: tuple[str, int]) -> None:
    assert await is_socks5(*offline_tor, 2)
    assert await is_socks5("localhost", offline_tor[1], 2)


@pytest.mark.parametrize("isolation", [None, "a-circuit-of-its-own"])
async def test_tor_refuses_a_malformed_onion_address_at_once(offline_tor: tuple[str, int],
                                                             isolation: str | None) -> None:
    started = time.monotonic()
    with pytest.raises(TorProxyError) as caught:
        await socks5_connect(offline_tor, "notanonionaddress.onion", 5222, 10,
                             username=isolation, password=isolation)
    assert time.monotonic() - started < 2
    assert caught.value.reply == 0xF6
    assert caught.value.reason == "onion-bad-address"
    assert caught.value.target == "notanonionaddress.onion:5222"


async def test_tor_refuses_private_addresses(offline_tor: tuple[str, int]) -> None:
    started = time.monotonic()
    with pytest.raises(TorProxyError) as caught:
        await socks5_connect(offline_tor, "127.0.0.1", 5222, 10)
    assert time.monotonic() - started < 2
    assert caught.value.reason == "general-failure"


async def test_an_offline_tor_gives_up_on_a_name_with_ttl_expired(
        offline_tor: tuple[str, int]) -> None:
    started = time.monotonic()
    with pytest.raises(TorProxyError) as caught:
        await socks5_connect(offline_tor, "xmpp.example.org", 5222, 15)
    assert time.monotonic() - started < SOCKS_TIMEOUT + 2.5
    assert caught.value.reply == 0x06
    assert caught.value.reason == "ttl-expired"
    assert "xmpp.example.org:5222" in caught.value.message


async def test_our_timeout_ends_a_request_tor_holds(offline_tor: tuple[str, int]) -> None:
    started = time.monotonic()
    with pytest.raises(NetworkTimeoutError) as caught:
        await socks5_connect(offline_tor, "xmpp.example.org", 5222, 0.5)
    assert time.monotonic() - started < 1.5
    assert (caught.value.step, caught.value.seconds) == ("connect", 0.5)


# --- is_socks5 against things that are not SOCKS5 ------------------------------------------------


async def test_a_server_that_talks_first_is_not_socks5() -> None:
    async def banner(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"SSH-2.0-OpenSSH_9.2\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(banner, "127.0.0.1", 0)
    try:
        assert not await is_socks5("127.0.0.1", server.sockets[0].getsockname()[1], 2)
    finally:
        server.close()


async def test_a_server_that_answers_garbage_is_not_socks5(socks: ScriptedSocks) -> None:
    socks.script = "garbage"
    assert not await is_socks5(*socks.address, 2)


async def test_a_closed_port_is_not_socks5() -> None:
    assert not await is_socks5("127.0.0.1", free_port(), 2)


async def test_a_silent_server_is_not_socks5_after_the_timeout(silent_server: SilentServer
                                                               ) -> None:
    started = time.monotonic()
    assert not await is_socks5("127.0.0.1", silent_server.port, 0.3)
    assert time.monotonic() - started < 1
    await silent_server.wait_for("closed", 1)


async def test_names_are_never_looked_up_for_the_check() -> None:
    assert not await is_socks5("tor.example.org", 9050, 1)


# --- the scripted server -------------------------------------------------------------------------


@pytest.fixture
def socks() -> Iterator[ScriptedSocks]:
    with ScriptedSocks() as server:
        yield server


TOR_CODES = [*range(0x01, 0x09), *range(0xF0, 0xF8)]


@pytest.mark.parametrize("code", TOR_CODES, ids=[f"0x{c:02x}" for c in TOR_CODES])
async def test_each_reply_code_is_a_tor_proxy_error(socks: ScriptedSocks, code: int) -> None:
    socks.reply = code
    with pytest.raises(TorProxyError) as caught:
        await socks5_connect(socks.address, "xmpp.example.org", 5222, 5)
    error = caught.value
    assert (error.reply, error.reason) == (code, SOCKS_REPLIES[code])
    assert error.target == "xmpp.example.org:5222"
    assert "xmpp.example.org" in error.message
    assert "{" not in error.message
    if code in (0x07, 0x08):  # what a client got wrong: errors.py words it with the code
        assert f"0x{code:02x}" in error.message
    else:  # plain words
        assert "SOCKS" not in error.message and "0x" not in error.message
    assert error.hint
    assert error.exit_code == 13


ONION = "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuv.onion"


@pytest.mark.parametrize("code", [0x01, 0x04], ids=["0x01", "0x04"])
async def test_plain_failures_for_an_onion_are_an_onion_service_problem(
        socks: ScriptedSocks, code: int) -> None:
    """A tor without ExtendedErrors (a system tor's 9050) answers an onion service it cannot
    reach with "general failure" or "host unreachable": said as an onion problem."""
    socks.reply = code
    with pytest.raises(TorProxyError) as caught:
        await socks5_connect(socks.address, ONION.upper() + ".", 5222, 5)
    error = caught.value
    assert (error.reply, error.reason, error.onion) == (code, "onion-unreachable", True)
    assert error.message == (f"The onion service {ONION.upper()}.:5222 could not be reached: "
                             "it is offline, or its address is wrong or out of date.")
    assert "onion address" in error.hint and "normal name over Tor" in error.hint
    assert "Tor could not reach" not in error.message
    assert (error.condition, error.exit_code) == ("tor-proxy", 13)


@pytest.mark.parametrize("code", [0x05, 0x06, 0xF0, 0xF6])
async def test_other_replies_for_an_onion_keep_their_meaning(socks: ScriptedSocks,
                                                             code: int) -> None:
    socks.reply = code
    with pytest.raises(TorProxyError) as caught:
        await socks5_connect(socks.address, ONION, 5222, 5)
    assert caught.value.onion and caught.value.reason == SOCKS_REPLIES[code]


@pytest.mark.parametrize("host", ["xmpp.example.org", "onion.example.org", "192.0.2.7"])
async def test_plain_failures_for_other_hosts_stay_plain(socks: ScriptedSocks,
                                                        host: str) -> None:
    socks.reply = 0x01
    with pytest.raises(TorProxyError) as caught:
        await socks5_connect(socks.address, host, 5222, 5)
    assert not caught.value.onion and caught.value.reason == "general-failure"
    assert caught.value.message == f"Tor could not reach {host}:5222."


async def test_an_unknown_reply_code_still_says_which(socks: ScriptedSocks) -> None:
    socks.reply = 0x42
    with pytest.raises(TorProxyError) as caught:
        await socks5_connect(socks.address, "xmpp.example.org", 5222, 5)
    assert caught.value.reason == "unknown"
    assert "0x42" in caught.value.message


@pytest.mark.parametrize("script", ["garbage", "short-greeting", "short-reply", "bad-version",
                                    "bad-atyp", "no-method", "auth-refused"])
async def test_a_broken_proxy_is_tor_unavailable(socks: ScriptedSocks, script: str) -> None:
    socks.script = script
    with pytest.raises(TorUnavailableError) as caught:
        await socks5_connect(socks.address, "xmpp.example.org", 5222, 5,
                             username="u", password="p")
    assert caught.value.where == f"127.0.0.1:{socks.port}"
    assert caught.value.detail


async def test_a_closed_proxy_port_is_tor_unavailable() -> None:
    port = free_port()
    with pytest.raises(TorUnavailableError) as caught:
        await socks5_connect(("127.0.0.1", port), "xmpp.example.org", 5222, 5)
    assert caught.value.where == f"127.0.0.1:{port}"


@pytest.mark.parametrize("script", ["silent", "silent-after-request"])
async def test_a_proxy_that_never_answers_times_out(socks: ScriptedSocks, script: str) -> None:
    socks.script = script
    started = time.monotonic()
    with pytest.raises(NetworkTimeoutError) as caught:
        await socks5_connect(socks.address, "xmpp.example.org", 5222, 0.4)
    assert time.monotonic() - started < 1.2
    assert (caught.value.step, caught.value.seconds) == ("connect", 0.4)


async def test_the_socket_is_closed_on_timeout_and_on_cancel(silent_server: SilentServer
                                                             ) -> None:
    proxy = ("127.0.0.1", silent_server.port)
    with pytest.raises(NetworkTimeoutError):
        await socks5_connect(proxy, "xmpp.example.org", 5222, 0.2)
    await silent_server.wait_for("closed", 1)
    task = asyncio.create_task(socks5_connect(proxy, "xmpp.example.org", 5222, 30))
    await silent_server.wait_for("accepted", 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await silent_server.wait_for("closed", 2)


async def test_names_go_to_the_proxy_as_names(socks: ScriptedSocks) -> None:
    socks.reply = 0x04
    onion = "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuv.onion"
    for host in ("XMPP.Example.org", onion):
        with pytest.raises(TorProxyError):
            await socks5_connect(socks.address, host, 5222, 5)
    first, second = socks.requests
    name = b"XMPP.Example.org"
    assert first.raw == b"\x05\x01\x00\x03" + bytes([len(name)]) + name + b"\x14\x66"
    assert (first.atyp, first.host, first.port) == (ATYP_DOMAIN, "XMPP.Example.org", 5222)
    assert (second.atyp, second.host) == (ATYP_DOMAIN, onion)
    assert first.methods == b"\x00" and first.username is None


async def test_ip_literals_go_as_addresses(socks: ScriptedSocks) -> None:
    socks.reply = 0x05
    for host in ("192.0.2.7", "2001:db8::7"):
        with pytest.raises(TorProxyError):
            await socks5_connect(socks.address, host, 443, 5)
    ipv4, ipv6 = socks.requests
    assert ipv4.raw == b"\x05\x01\x00\x01\xc0\x00\x02\x07\x01\xbb"
    assert (ipv4.atyp, ipv6.atyp, ipv6.host) == (ATYP_IPV4, ATYP_IPV6, "2001:db8::7")


async def test_credentials_are_offered_and_sent(socks: ScriptedSocks) -> None:
    socks.reply = 0x01
    with pytest.raises(TorProxyError):
        await socks5_connect(socks.address, "xmpp.example.org", 5222, 5,
                             username="circuit-7", password="secret-7")
    (request,) = socks.requests
    assert request.methods == b"\x00\x02"
    assert (request.username, request.password) == ("circuit-7", "secret-7")


@pytest.mark.parametrize("bound", [ATYP_IPV4, ATYP_DOMAIN, ATYP_IPV6])
async def test_the_whole_reply_is_read_and_nothing_more(socks: ScriptedSocks, bound: int) -> None:
    socks.bound_atyp = bound
    socks.after_reply = b"<stream>"
    sock = await socks5_connect(socks.address, "xmpp.example.org", 5222, 5)
    loop = asyncio.get_running_loop()
    try:
        assert sock.getblocking() is False
        assert await asyncio.wait_for(loop.sock_recv(sock, 100), 5) == b"<stream>"
        await loop.sock_sendall(sock, b"ping")
        assert await asyncio.wait_for(loop.sock_recv(sock, 100), 5) == b"ping"
    finally:
        sock.close()


async def test_localhost_is_the_only_name_a_proxy_may_have(socks: ScriptedSocks) -> None:
    sock = await socks5_connect(("localhost", socks.port), "xmpp.example.org", 5222, 5)
    sock.close()
    assert proxy_address(("localhost", 9050)) == ("127.0.0.1", 9050)
    assert proxy_address(("::1", 9050)) == ("::1", 9050)
    with pytest.raises(ValueError):
        await socks5_connect(("tor.example.org", 9050), "xmpp.example.org", 5222, 5)
    with pytest.raises(ValueError):
        proxy_address(("127.0.0.1", 0))


def test_requests_that_cannot_be_sent_are_value_errors() -> None:
    with pytest.raises(ValueError):
        connect_request("a" * 256, 5222)
    with pytest.raises(ValueError):
        connect_request("", 5222)
    with pytest.raises(ValueError):
        connect_request("xmpp.example.org", 70000)
    assert connect_request("bücher.example", 5222)[4:] == b"\x15xn--bcher-kva.example\x14\x66"


async def test_half_given_credentials_are_a_value_error(socks: ScriptedSocks) -> None:
    with pytest.raises(ValueError):
        await socks5_connect(socks.address, "xmpp.example.org", 5222, 5, username="only")
    assert socks.connections == 0

