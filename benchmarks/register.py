"""Register a new account and log in once: onboard's core against a raw slixmpp client.

Both run against the same local Prosody (started here as in the tests), the same number of
times, STARTTLS on loopback.
"""

from __future__ import annotations

import asyncio
import itertools
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers.prosody import ProsodyServer  # noqa: E402

RUNS = 15
PASSWORD = "benchmark-password-1234"
_names = itertools.count()


async def onboard_once(server: ProsodyServer) -> None:
    from onboard.core.network import DirectNetwork
    from onboard.core.xmpp.address import ServerAddress
    from onboard.core.xmpp.registration import RegistrationSession, verify_login

    address = ServerAddress("open.test", server.host, server.starttls_port, False,
                            server.ca_file)
    session = RegistrationSession(address, DirectNetwork())
    await session.open()
    account = await session.submit({"username": [f"ob{next(_names)}"], "password": [PASSWORD]})
    await verify_login(account.jid, PASSWORD, address, DirectNetwork())


async def raw_once(server: ProsodyServer) -> None:
    """The least a slixmpp program does: register in the stream, then log in on a new one."""
    import slixmpp

    name = f"raw{next(_names)}"
    context = ssl.create_default_context(cafile=str(server.ca_file))

    client = slixmpp.ClientXMPP(f"{name}@open.test", PASSWORD)
    client.ssl_context = context
    client.enable_direct_tls = False
    client.register_plugin("xep_0077")
    client.plugin["xep_0077"].force_registration = True
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def on_register(_form: object) -> None:
        iq = client.Iq()
        iq["type"] = "set"
        iq["register"]["username"] = name
        iq["register"]["password"] = PASSWORD
        await iq.send()

    def on_session(_event: object) -> None:
        if not done.done():
            done.set_result(None)

    client.add_event_handler("register", on_register)
    client.add_event_handler("session_start", on_session)
    client.connect(server.host, server.starttls_port)
    await asyncio.wait_for(done, 30)
    await client.disconnect()


async def measure(label: str, once, server: ProsodyServer) -> float:  # type: ignore[no-untyped-def]
    await once(server)  # warm up imports and the server
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        await once(server)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    print(f"{label:<34} median {median * 1000:7.1f} ms  (min {min(times) * 1000:.1f})")
    return median


async def main() -> None:
    from onboard.core.logs import silence_libraries

    silence_libraries()
    with tempfile.TemporaryDirectory() as workdir, ProsodyServer(workdir) as server:
        import os

        os.environ["XMPP_ONBOARD_HOME"] = str(Path(workdir) / "home")
        print(f"{RUNS} runs each against Prosody on {server.host}, same run")
        raw = await measure("raw slixmpp register + login", raw_once, server)
        ours = await measure("onboard register + login", onboard_once, server)
        print(f"ratio onboard / raw: {ours / raw:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
