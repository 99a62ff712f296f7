"""Tor's cost, on a private Tor network on loopback (the one the tests use).

1. Register a new account and log in once: direct, over Tor through the exit, and over Tor to
   the onion service; each Tor figure as a ratio to direct.
2. The app's own launched tor (`LaunchedTor`, stem, bootstrap events) reaching 100 % on that
   network, against a bare `tor` process with the same options reaching "Bootstrapped 100%".

Everything is started here: Prosody, the Tor network (about 30-45 s), the tors measured.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers.prosody import ProsodyServer  # noqa: E402
from tests.servers.tornet import PrivateTorNetwork  # noqa: E402

RUNS = 7
BOOTSTRAPS = 5
PASSWORD = "benchmark-password-1234"
_names = itertools.count()


async def register_once(address: Any, network: Any) -> None:
    from onboard.core.network import for_new_account
    from onboard.core.xmpp.registration import RegistrationSession, verify_login

    session = RegistrationSession(address, for_new_account(network))
    try:
        await session.open()
        account = await session.submit({"username": [f"tb{next(_names)}"],
                                        "password": [PASSWORD]})
    finally:
        await session.close()
    await verify_login(account.jid, PASSWORD, address, network)


async def measure(label: str, address: Any, network: Any) -> float:
    await register_once(address, network)  # warm up imports and the circuit
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        await register_once(address, network)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    print(f"{label:<36} median {median * 1000:7.1f} ms  (min {min(times) * 1000:.1f})")
    return median


def launched_bootstrap(options: dict[str, Any], workdir: Path) -> float:
    """The app's way, from a fresh data folder each time (as the bare tor below): nothing
    cached from an earlier run."""
    from onboard.core.tor.launch import LaunchedTor

    data = Path(tempfile.mkdtemp(dir=workdir))
    started = time.perf_counter()
    try:
        with LaunchedTor(extra_config=options, data_dir=data) as tor:
            tor.bootstrap(lambda status: None, cancel=threading.Event())
            return time.perf_counter() - started
    finally:
        shutil.rmtree(data, ignore_errors=True)


def bare_bootstrap(options: dict[str, Any], workdir: Path) -> float:
    """A plain `tor` with the same network options, timed until it logs 100 %."""
    data = Path(tempfile.mkdtemp(dir=workdir))
    args = ["tor", "--ignore-missing-torrc", "-f", str(data / "none"), "--defaults-torrc",
            os.devnull, "DataDirectory", str(data), "SocksPort", "auto", "Log", "notice stdout",
            "ClientOnly", "1", "AvoidDiskWrites", "1",  # as the app's
            "__OwningControllerProcess", str(os.getpid())]
    for key, value in options.items():
        for item in value if isinstance(value, list) else [value]:
            args += [key, str(item)]
    started = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "Bootstrapped 100%" in line:
                return time.perf_counter() - started
        raise RuntimeError("tor ended before it reached 100 %")
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(data, ignore_errors=True)


async def main() -> None:
    from onboard.core.logs import silence_libraries
    from onboard.core.network import DirectNetwork
    from onboard.core.tor.network import TorNetwork
    from onboard.core.xmpp.address import ServerAddress

    silence_libraries()
    with tempfile.TemporaryDirectory() as workdir_name, \
            ProsodyServer(Path(workdir_name) / "prosody") as server:
        workdir = Path(workdir_name)
        os.environ["XMPP_ONBOARD_HOME"] = str(workdir / "home")
        tor_network = PrivateTorNetwork(workdir / "tornet", server.starttls_port)
        started = time.perf_counter()
        tor_network.start()
        print(f"private Tor network ready in {time.perf_counter() - started:.1f} s")
        try:
            tor = TorNetwork(("127.0.0.1", tor_network.socks_port))
            direct_address = ServerAddress("open.test", server.host, server.starttls_port,
                                           False, server.ca_file)
            onion_address = ServerAddress("open.test", tor_network.onion_address, 5222, False,
                                          server.ca_file)
            print(f"{RUNS} registrations + logins each, same run")
            direct = await measure("direct", direct_address, DirectNetwork())
            exit_ = await measure("over Tor, through the exit", direct_address, tor)
            onion = await measure("over Tor, to the onion service", onion_address, tor)
            print(f"ratio exit / direct: {exit_ / direct:.1f}; onion / direct: "
                  f"{onion / direct:.1f}")

            options = tor_network.client_options()
            bare = [bare_bootstrap(options, workdir) for _ in range(BOOTSTRAPS)]
            ours = [launched_bootstrap(options, workdir) for _ in range(BOOTSTRAPS)]
            print(f"{BOOTSTRAPS} bootstraps each to 100 % from a fresh data folder: "
                  f"bare tor median {statistics.median(bare):.2f} s, the app's launched tor median "
                  f"{statistics.median(ours):.2f} s; ratio "
                  f"{statistics.median(ours) / statistics.median(bare):.2f}")
        finally:
            tor_network.stop()


if __name__ == "__main__":
    asyncio.run(main())
