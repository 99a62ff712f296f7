"""The Tor route's health check (`TorRoute.alive`), against real tor processes (no mocks).

A found tor: an offline tor of our own (its only directory authority is a closed loopback
port, so nothing leaves the machine) that listens on SOCKS, found through a `socks5://` mode.
A launched tor: the app's own, bootstrapped on the private Tor network.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from onboard.core.tor.control import TorSource
from onboard.core.tor.network import TorNetwork
from onboard.core.tor.route import TorMode, TorRoute, open_route
from tests.core.test_socks import LocalTor, free_port, start_tor

pytestmark = [pytest.mark.timeout(180)]


def offline_tor(data_dir: Path, port: int | str = "auto") -> LocalTor:
    """A tor that answers on SOCKS (127.0.0.1) but never reaches any network."""
    dead = free_port()
    tor = start_tor(data_dir, {
        "SocksPort": f"127.0.0.1:{port}",
        "DirAuthority": f"nowhere orport={dead} no-v2 v3ident={'B' * 40} 127.0.0.1:{dead} "
                        f"{'A' * 40}",
    })
    assert tor.socks_port is not None, "\n".join(tor.log)
    return tor


def kill(process: Any) -> None:
    """SIGKILL: tor gets no chance to close anything in an orderly way."""
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)


async def test_a_found_tor_is_alive_until_it_is_killed(tmp_path: Path) -> None:
    tor = offline_tor(tmp_path / "tor")
    assert tor.socks_port is not None
    try:
        route = await open_route(TorMode("socks", ("127.0.0.1", tor.socks_port)))
        assert route.launched is None
        assert await route.alive()
        assert await route.alive()  # a check leaves the tor as it was
        kill(tor.process)
        started = time.monotonic()
        assert not await route.alive()
        assert time.monotonic() - started < 1  # a refused port says so at once
    finally:
        tor.stop()


async def test_a_found_tor_that_comes_back_is_alive_again(tmp_path: Path) -> None:
    tor = offline_tor(tmp_path / "first")
    port = tor.socks_port
    assert port is not None
    try:
        route = await open_route(TorMode("socks", ("127.0.0.1", port)))
        tor.stop()
        assert not await route.alive()
        tor = offline_tor(tmp_path / "second", port)  # e.g. the system tor restarted
        assert await route.alive()
    finally:
        tor.stop()


async def test_a_port_that_does_not_speak_socks_is_not_alive() -> None:
    """Something else took the port: accepts, then answers nonsense."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        route = TorRoute(TorSource("manual", ("127.0.0.1", port)),
                         TorNetwork(("127.0.0.1", port)))

        async def answer() -> None:
            loop = asyncio.get_running_loop()
            listener.setblocking(False)
            conn, _ = await loop.sock_accept(listener)
            with conn:
                await loop.sock_recv(conn, 16)
                await loop.sock_sendall(conn, b"HTTP/1.0 400 Bad Request\r\n\r\n")

        server = asyncio.create_task(answer())
        assert not await route.alive(timeout=2)
        await server


async def test_a_launched_tor_is_alive_until_its_process_ends(tor_network: Any) -> None:
    route = await open_route(TorMode("launch"), extra_config=tor_network.client_options())
    try:
        launched = route.launched
        assert launched is not None and launched.process is not None
        assert await route.alive()
        kill(launched.process)
        assert not await route.alive()
    finally:
        route.close()
    assert not await route.alive()


async def test_a_closed_launched_route_is_not_alive(tor_network: Any) -> None:
    route = await open_route(TorMode("launch"), extra_config=tor_network.client_options())
    assert await route.alive()
    route.close()
    assert not await route.alive()
