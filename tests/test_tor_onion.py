"""Onion addresses on the private Tor network (tests/servers/tornet.py), all with real tor.

- A server's known onion address is used when no host is given, and the app says so (core and
  `xmpp-onboard register`); tor's own stream events show the connection went to the onion and
  the domain was never asked for.
- An onion address that does not answer is remembered with its error when the next address is
  used, still through Tor.
- A tor whose SOCKS port lacks ExtendedErrors (as a system tor's 9050) answers an unknown onion
  with a plain SOCKS reply: it is still worded as an onion service problem.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from onboard.core.errors import OnboardError, TorProxyError
from onboard.core.network import Endpoint, for_new_account
from onboard.core.xmpp.address import ServerAddress

pytestmark = [pytest.mark.prosody, pytest.mark.timeout(300)]

COMMAND = str(Path(sys.executable).parent / "xmpp-onboard")
PASSWORD = "a-long-enough-secret-phrase"


def unknown_onion() -> str:
    """A well-formed v3 onion address (a real ed25519 key, right checksum) that no service
    has ever published."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    version = b"\x03"
    checksum = hashlib.sha3_256(b".onion checksum" + key + version).digest()[:2]
    return base64.b32encode(key + checksum + version).decode().lower() + ".onion"


def new_name() -> str:
    return "onion" + secrets.token_hex(4)


async def first_success(attempt: Any, within: float = 60.0) -> Any:
    """`await attempt()` until it works: a new circuit's first onion request may fail while
    the descriptor is fetched (the network's warm-up, not the program)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        try:
            return await attempt()
        except OnboardError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(1)


# --- the onion known for a domain -------------------------------------------------------------


class StreamWatch:
    """tor's STREAM events on the private network's client (its control port, cookie): the
    target of every stream tor opened for a SOCKS request while watching.

    The control protocol is spoken by hand: stem would take ownership of this tor (it names
    the test process as its owner) and end it on closing."""

    def __init__(self, tor_network: Any) -> None:
        self.events: list[tuple[str, str]] = []  # (status, "host:port")
        self.lock = threading.Lock()
        cookie = Path(tor_network.cookie_file).read_bytes()
        self.sock = socket.create_connection(("127.0.0.1", tor_network.control_port), 30)
        self.stream = self.sock.makefile("rwb")
        for command in (f"AUTHENTICATE {cookie.hex()}", "SETEVENTS STREAM"):
            self.stream.write(command.encode() + b"\r\n")
            self.stream.flush()
            answer = self.stream.readline()
            assert answer.startswith(b"250 "), answer
        self.reader = threading.Thread(target=self._read, daemon=True)

    def _read(self) -> None:
        for raw in self.stream:
            words = raw.decode(errors="replace").split()
            if words[:2] == ["650", "STREAM"] and len(words) >= 6:
                with self.lock:
                    self.events.append((words[3], words[5]))

    def __enter__(self) -> StreamWatch:
        self.reader.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.reader.join(5)
        self.stream.close()
        self.sock.close()

    def targets(self, status: str | None = None) -> set[str]:
        with self.lock:
            return {target for got, target in self.events if status in (None, got)}


async def test_a_known_onion_is_used_when_no_host_is_given(tor_network: Any,
                                                           prosody: Any) -> None:
    from onboard.core.tor.network import TorNetwork
    from onboard.core.xmpp.registration import RegistrationSession

    tor_network.wait_for_onion()
    onion = tor_network.onion_address
    base = TorNetwork(("127.0.0.1", tor_network.socks_port))
    network = for_new_account(base.with_onions({"open.test": [onion]}))
    server = ServerAddress("open.test", ca_file=prosody.ca_file)  # no host, no port
    name = new_name()

    async def sign_up() -> Any:
        session = RegistrationSession(server, network)
        try:
            await session.open()
            await session.submit({"username": [name], "password": [PASSWORD]})
        finally:
            await session.close()
        return session.via

    with StreamWatch(tor_network) as streams:
        via = await first_success(sign_up)
        await asyncio.sleep(1)  # stem hands events over from its own thread
    assert prosody.user_exists("open.test", name)
    # What tor did: a stream to the onion service succeeded; the name was never asked for.
    assert f"{onion}:5222" in streams.targets("SUCCEEDED"), streams.events
    assert not any(t.startswith("open.test:") for t in streams.targets()), streams.events
    assert via is not None and via.endpoint == Endpoint(onion, 5222)
    assert (via.route, via.onion, via.tor, via.onion_failed) == ("tor-onion", onion, True, None)
    assert via.to_json() == {"route": "tor-onion", "host": onion, "port": 5222, "onion": onion}
    assert onion in via.describe() and "Tor" in via.describe()


async def test_an_onion_that_does_not_answer_is_reported_and_tor_still_used(
        tor_network: Any, prosody: Any) -> None:
    """The unknown onion first (tor: descriptor not found), then Prosody through the exit."""
    from onboard.core.tor.network import TorNetwork
    from onboard.core.xmpp.registration import connect

    dead = unknown_onion()
    exit_endpoint = Endpoint("127.0.0.1", prosody.starttls_port)
    network = TorNetwork(("127.0.0.1", tor_network.socks_port)).isolated()
    server = ServerAddress("open.test", ca_file=prosody.ca_file)

    async def reach() -> Any:
        client = await connect(server, network, purpose="register",
                               endpoints=[Endpoint(dead, 5222), exit_endpoint])
        await client.close()
        return client.via()

    via = await first_success(reach)
    assert via is not None and via.endpoint == exit_endpoint
    assert (via.route, via.onion, via.tor) == ("tor", None, True)
    assert via.onion_failed is not None
    tried, error = via.onion_failed
    assert tried == Endpoint(dead, 5222)
    assert isinstance(error, TorProxyError) and error.reason == "onion-descriptor-not-found"
    text = via.describe()
    assert f"The onion address {dead} did not answer" in text
    assert "still through Tor" in text and "127.0.0.1" in text
    data = via.to_json()
    assert data["route"] == "tor" and data["onion"] is None
    assert data["onion_failed"] == {"onion": dead, "port": 5222, "error": error.to_json()}
    assert data["onion_failed"]["error"]["condition"] == "tor-proxy"  # type: ignore[index]


# --- the command line -----------------------------------------------------------------------


def seed_provider_list(onion: str) -> None:
    """A downloaded server list (in this test's XMPP_ONBOARD_HOME) that gives open.test this
    onion address, as the XMPP Providers data does with `alternativeJids`."""
    from onboard.core.providers import CACHE_FORMAT, cache_file

    entry = {"jid": "open.test", "category": "A", "inBandRegistration": True,
             "alternativeJids": [onion], "serverLocations": ["DE"]}
    stored = {"format": CACHE_FORMAT, "fetched_at": datetime.now(UTC).isoformat(),
              "url": "https://providers.example.test/providers-B.json", "providers": [entry]}
    path = cache_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stored), "utf-8")


def run(*args: str, home: Path, stdin: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XMPP_ONBOARD_HOME": str(home), "LANG": "C.UTF-8"}
    env.pop("LANGUAGE", None)
    return subprocess.run([COMMAND, *args], capture_output=True, text=True, env=env,
                          timeout=120, start_new_session=True, input=stdin)


def register(tor_network: Any, prosody: Any, home: Path, *extra: str
             ) -> tuple[str, subprocess.CompletedProcess[str]]:
    """`register open.test` over the private network's tor, without --host: retried while
    the onion circuit warms up (a Tor error, exit status 13)."""
    for _attempt in range(4):
        name = new_name()
        result = run("register", "open.test", "--ca-file", str(prosody.ca_file),
                     "--tor", f"socks5://127.0.0.1:{tor_network.socks_port}",
                     "--username", name, "--password-stdin", *extra,
                     home=home, stdin=PASSWORD + "\n")
        if result.returncode != 13:
            break
    return name, result


def test_register_says_it_used_the_onion(tor_network: Any, prosody: Any,
                                         onboard_home: Path) -> None:
    tor_network.wait_for_onion()
    onion = tor_network.onion_address
    seed_provider_list(onion)
    name, result = register(tor_network, prosody, onboard_home, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["jid"] == f"{name}@open.test" and data["login_verified"] is True
    assert data["via"] == {"route": "tor-onion", "host": onion, "port": 5222, "onion": onion}
    assert prosody.user_exists("open.test", name)

    name, text = register(tor_network, prosody, onboard_home)
    assert text.returncode == 0, text.stdout + text.stderr
    assert f"Connected over Tor to the onion address {onion}:5222." in text.stdout
    assert prosody.user_exists("open.test", name)


# --- a tor without ExtendedErrors -------------------------------------------------------------


@pytest.fixture
def plain_socks_tor(tor_network: Any) -> Iterator[tuple[str, int]]:
    """A tor of the app's own on the private network whose SOCKS port lacks ExtendedErrors,
    as a system tor's 9050."""
    from onboard.core.tor.launch import LaunchedTor

    launched = LaunchedTor(extra_config={**tor_network.client_options(),
                                         "SocksPort": "127.0.0.1:auto"})
    try:
        launched.bootstrap(lambda status: None, cancel=threading.Event())
        yield launched.socks
    finally:
        launched.stop()


async def test_an_unknown_onion_without_extended_errors_is_an_onion_problem(
        tor_network: Any, plain_socks_tor: tuple[str, int]) -> None:
    from onboard.core.tor.socks import socks5_connect

    tor_network.wait_for_onion()
    # The same tor reaches the real onion service: it works, it only speaks plain SOCKS.
    sock = await first_success(lambda: socks5_connect(plain_socks_tor,
                                                       tor_network.onion_address, 5222, 30))
    sock.close()
    dead = unknown_onion()
    with pytest.raises(TorProxyError) as caught:
        await socks5_connect(plain_socks_tor, dead, 5222, 60)
    error = caught.value
    assert error.reply in (0x01, 0x04), hex(error.reply)  # no 0xF0..0xF7 from this port
    assert (error.reason, error.onion, error.condition) == ("onion-unreachable", True,
                                                            "tor-proxy")
    assert f"The onion service {dead}:5222 could not be reached" in error.message
    assert "offline" in error.message and "address" in error.message
    assert "onion address" in error.hint and "normal name" in error.hint
    assert "Tor could not reach" not in error.message
