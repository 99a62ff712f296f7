"""Probe 30 servers at once against probing the slowest of them alone.

All 30 endpoints are local: a Prosody started here as in the tests (every virtual host, on the
STARTTLS and the direct-TLS port) and a few "far away" servers, relays in front of the same
Prosody that hold back every chunk the server sends by a fixed delay, like a long round trip.
`probe_many` runs all 30 at once; the ideal is that this takes no longer than the slowest probe
alone (ratio 1.0). Sequential probing is shown for comparison.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers.prosody import ProsodyServer  # noqa: E402

RUNS = 5
TOTAL = 30
FAR_AWAY = 4  # relays among the 30
DELAY = 0.1  # seconds added to every chunk the far-away server sends


async def start_relay(server: ProsodyServer, delay: float) -> asyncio.Server:
    """A listener that forwards to Prosody's STARTTLS port, delaying the server's chunks."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                   wait: float) -> None:
        try:
            while data := await reader.read(1 << 16):
                if wait:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def handle(client_reader: asyncio.StreamReader,
                     client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection(server.host,
                                                                     server.starttls_port)
        await asyncio.gather(pipe(client_reader, server_writer, 0.0),
                             pipe(server_reader, client_writer, delay))

    return await asyncio.start_server(handle, "127.0.0.1", 0)


def targets(server: ProsodyServer, relay_ports: list[int]):  # type: ignore[no-untyped-def]
    from onboard.core.xmpp.address import ServerAddress

    local = [
        ServerAddress(domain, server.host,
                      server.direct_tls_port if direct else server.starttls_port, direct,
                      server.ca_file)
        for domain in server.domains for direct in (False, True)
    ]
    far = [ServerAddress("open.test", "127.0.0.1", port, False, server.ca_file)
           for port in relay_ports]
    chosen = far + local
    while len(chosen) < TOTAL:
        chosen.append(local[len(chosen) % len(local)])
    return chosen[:TOTAL]


async def timed(work) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    await work
    return time.perf_counter() - started


async def main() -> None:
    from onboard.core.logs import silence_libraries
    from onboard.core.network import DirectNetwork
    from onboard.core.probe import probe, probe_many

    silence_libraries()
    with tempfile.TemporaryDirectory() as workdir, ProsodyServer(workdir) as server:
        relays = [await start_relay(server, DELAY) for _ in range(FAR_AWAY)]
        ports = [relay.sockets[0].getsockname()[1] for relay in relays]
        addresses = targets(server, ports)
        network = DirectNetwork()
        # Warm up imports and the server; find the slowest endpoint.
        singles = [await timed(probe(a, network)) for a in addresses]
        slowest = addresses[max(range(len(addresses)), key=singles.__getitem__)]
        results = await probe_many(addresses, network, concurrency=TOTAL)
        assert len(results) == TOTAL

        alone, together, sequential = [], [], []
        for _ in range(RUNS):
            alone.append(await timed(probe(slowest, network)))
            together.append(await timed(probe_many(addresses, network, concurrency=TOTAL)))
            started = time.perf_counter()
            for address in addresses:
                await probe(address, network)
            sequential.append(time.perf_counter() - started)
        for relay in relays:
            relay.close()

        a, t, s = (statistics.median(x) * 1000 for x in (alone, together, sequential))
        print(f"{TOTAL} endpoints ({FAR_AWAY} behind a relay adding {DELAY * 1000:.0f} ms per "
              f"server chunk), Prosody on {server.host}; median of {RUNS} runs")
        print(f"slowest endpoint alone   {a:8.1f} ms  ({slowest.host}:{slowest.port})")
        print(f"all {TOTAL} at once         {t:8.1f} ms")
        print(f"all {TOTAL} one by one      {s:8.1f} ms")
        print(f"ratio at once / slowest alone: {t / a:.2f}  (one by one / at once: {s / t:.1f})")


if __name__ == "__main__":
    asyncio.run(main())
