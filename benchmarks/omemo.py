"""Read a friend's OMEMO devices: onboard's `fetch_devices` against a raw slixmpp-omemo client.

A Prosody is started here as in the tests. The friend gets three real devices made by
slixmpp-omemo (tests/servers/omemo_devices.py), each published in both namespaces; a second
account reads them. Each round logs in, reads both device lists and all six bundles, formats the
fingerprints, and logs out:

- onboard: `fetch_devices` (its own client, both lists at once, then every bundle at once; the
  OMEMO 2 bundles in one query), then `Device.display`;
- raw: plain slixmpp with its XEP-0060 plugin, reading the way slixmpp-omemo's session manager
  does (its `_download_device_list` query, its standalone `_download_bundle` per device and
  namespace, parsed by oldmemo/twomemo), both lists at once and then all bundles at once, then
  `SessionManager.format_identity_key`.

Both must show the same fingerprints; the script stops if they do not.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import ssl
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# This script's folder comes first on sys.path, where this file would hide the `omemo` package
# that slixmpp-omemo imports: leave it out.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

from tests.servers.prosody import ProsodyServer  # noqa: E402

RUNS = 20
DEVICES = 3
TIMEOUT = 30.0
NS_OLD = "eu.siacs.conversations.axolotl"
NS_NEW = "urn:xmpp:omemo:2"

Fingerprints = dict[tuple[str, int], str]  # (namespace, device id) → the groups as shown


def address(server: ProsodyServer):  # type: ignore[no-untyped-def]
    from onboard.core.xmpp.address import ServerAddress

    return ServerAddress("open.test", server.host, server.starttls_port, False, server.ca_file)


async def make_account(server: ProsodyServer, prefix: str) -> tuple[str, str]:
    from onboard.core.network import DirectNetwork
    from onboard.core.xmpp.registration import RegistrationSession

    password = secrets.token_urlsafe(12)
    session = RegistrationSession(address(server), DirectNetwork(), timeout=10)
    try:
        await session.open()
        account = await session.submit({"username": [f"{prefix}{secrets.token_hex(4)}"],
                                        "password": [password]})
    finally:
        await session.close()
    return account.jid, password


async def onboard_once(server: ProsodyServer, jid: str, password: str,
                       friend: str) -> Fingerprints:
    from onboard.core.network import DirectNetwork
    from onboard.core.omemo.pep import fetch_devices

    report = await fetch_devices(jid, password, friend, address(server), DirectNetwork(),
                                 TIMEOUT)
    return {(namespace, device.device_id): device.display
            for device in report.devices for namespace in device.namespaces}


async def raw_once(server: ProsodyServer, jid: str, password: str,
                   friend: str) -> Fingerprints:
    """Log in with plain slixmpp and read as slixmpp-omemo's session manager does."""
    import oldmemo.etree
    import slixmpp
    import twomemo.etree
    from omemo import SessionManager
    from slixmpp.exceptions import IqError
    from slixmpp_omemo.xep_0384 import _download_bundle

    # The context given to the constructor: otherwise slixmpp builds a default one first.
    context = ssl.create_default_context(cafile=str(server.ca_file))
    client = slixmpp.ClientXMPP(jid, password, ssl_context=context)
    client.enable_direct_tls = False
    client.register_plugin("xep_0060")
    xep_0060 = client.plugin["xep_0060"]
    ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_session(_event: object) -> None:
        if not ready.done():
            ready.set_result(None)

    async def device_list(namespace: str) -> tuple[str, list[int]]:
        # slixmpp-omemo's `_download_device_list`: the latest item of the list node.
        node = f"{NS_OLD}.devicelist" if namespace == NS_OLD else f"{NS_NEW}:devices"
        parse = oldmemo.etree.parse_device_list if namespace == NS_OLD \
            else twomemo.etree.parse_device_list
        try:
            reply = await xep_0060.get_items(slixmpp.JID(friend), node, max_items=1,
                                             timeout=TIMEOUT)
        except IqError as error:
            if error.condition == "item-not-found":
                return namespace, []
            raise
        return namespace, list(parse(next(iter(reply["pubsub"]["items"]["item"].xml))))

    async def fingerprint(namespace: str, device_id: int) -> tuple[tuple[str, int], str]:
        bundle = await _download_bundle(xep_0060, namespace, friend, device_id)
        return (namespace, device_id), " ".join(
            SessionManager.format_identity_key(bundle.identity_key))

    client.add_event_handler("session_start", on_session)
    client.connect(server.host, server.starttls_port)
    try:
        await asyncio.wait_for(ready, TIMEOUT)
        lists = await asyncio.gather(device_list(NS_OLD), device_list(NS_NEW))
        found = await asyncio.gather(*(fingerprint(namespace, device_id)
                                       for namespace, ids in lists for device_id in ids))
    finally:
        await client.disconnect()
    return dict(found)


async def measure(label: str, once: Callable[[], Awaitable[Fingerprints]],
                  expected: Fingerprints) -> list[float]:
    assert await once() == expected, f"{label}: other fingerprints"  # warm up, and check
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        shown = await once()
        times.append(time.perf_counter() - started)
        assert shown == expected
    return times


def p90(times: list[float]) -> float:
    return statistics.quantiles(times, n=10, method="inclusive")[8]


async def main() -> None:
    from onboard.core.logs import silence_libraries

    silence_libraries()
    logging.getLogger("omemo").setLevel(logging.CRITICAL)  # "own device id not yet listed"
    warnings.filterwarnings("ignore", category=DeprecationWarning)  # slixmpp-omemo's own
    with tempfile.TemporaryDirectory() as workdir, ProsodyServer(workdir) as server:
        import os

        from tests.servers.omemo_devices import make_device

        os.environ["XMPP_ONBOARD_HOME"] = str(Path(workdir) / "home")
        friend, friend_password = await make_account(server, "friend")
        reader, password = await make_account(server, "reader")
        made = [await make_device(server, friend, friend_password) for _ in range(DEVICES)]
        expected = {(namespace, device.device_id): " ".join(
            device.fingerprint[i:i + 8] for i in range(0, 64, 8))
            for device in made for namespace in (NS_OLD, NS_NEW)}

        raw = await measure("raw", lambda: raw_once(server, reader, password, friend),
                            expected)
        ours = await measure("onboard", lambda: onboard_once(server, reader, password, friend),
                             expected)
        print(f"log in, read and format {DEVICES} devices x 2 namespaces of a friend, "
              f"Prosody on {server.host}; {RUNS} runs each, same run")
        for label, times in (("raw slixmpp-omemo", raw), ("onboard fetch_devices", ours)):
            print(f"{label:<24} median {statistics.median(times) * 1000:7.1f} ms   "
                  f"p90 {p90(times) * 1000:7.1f} ms   (min {min(times) * 1000:.1f})")
        print(f"ratio onboard / raw: median {statistics.median(ours) / statistics.median(raw):.2f}"
              f", p90 {p90(ours) / p90(raw):.2f}")


if __name__ == "__main__":
    asyncio.run(main())
