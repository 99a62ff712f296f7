"""Connection discovery order (XEP-0368) and the direct route's failures."""

from __future__ import annotations

import pytest

from onboard.core.errors import ConnectionRefusedError_, DnsError
from onboard.core.network import DirectNetwork, Endpoint, SrvRecord, order_srv


def test_srv_records_are_ordered_by_priority_then_weight_and_direct_tls_wins_ties() -> None:
    records = [
        SrvRecord(10, 0, "xmpp.example.org.", 5222, False),
        SrvRecord(5, 0, "backup.example.org.", 5222, False),
        SrvRecord(10, 0, "xmpp.example.org.", 5223, True),
        SrvRecord(5, 10, "heavy.example.org.", 5222, False),
        SrvRecord(5, 10, "heavy.example.org.", 5222, False),
    ]
    assert order_srv(records) == [
        Endpoint("heavy.example.org", 5222, False),
        Endpoint("backup.example.org", 5222, False),
        Endpoint("xmpp.example.org", 5223, True),
        Endpoint("xmpp.example.org", 5222, False),
    ]


async def test_unknown_names_fail_as_dns_errors() -> None:
    with pytest.raises(DnsError):
        await DirectNetwork().open_socket("does-not-exist.invalid", 5222, 5)


async def test_a_closed_port_is_refused() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConnectionRefusedError_) as caught:
        await DirectNetwork().open_socket("127.0.0.1", port, 5)
    assert str(port) in caught.value.message


async def test_an_open_port_gives_a_non_blocking_socket() -> None:
    import asyncio

    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        sock = await DirectNetwork().open_socket("127.0.0.1", port, 5)
        assert sock.getblocking() is False
        assert sock.getpeername()[1] == port
        sock.close()
    finally:
        server.close()
