"""A scripted SOCKS5 server on loopback, for what a real tor will not do on demand.

It runs its own asyncio loop in a thread of its own, so a test's audit hook can tell the
client's connects (the test's thread) from the server's (relaying to a local server).
`script` decides each answer:

- "reply": a normal exchange ending in reply code `reply` (0 is success; then the bound
  address has type `bound_atyp`, `after_reply` follows at once and the rest is echoed back);
- "relay": success, then the bytes are relayed to `routes[host]` on the requested port (an
  unknown host gets 0x04, host unreachable);
- "garbage": answers the greeting like an HTTP server would;
- "short-greeting", "short-reply": hang up half-way through the greeting or the reply;
- "bad-version": a SOCKS4-style reply to the CONNECT; "bad-atyp": an unknown address type;
- "no-method": refuses every offered method (0xFF); "auth-refused": refuses the credentials;
- "silent": reads everything and never answers; "silent-after-request": answers the greeting,
  reads the CONNECT and then says nothing.

Every CONNECT request is recorded in `requests` (raw bytes, address type, host, port, and the
credentials if any were sent).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

ATYP_IPV4, ATYP_DOMAIN, ATYP_IPV6 = 0x01, 0x03, 0x04
BOUND = {
    ATYP_IPV4: bytes([ATYP_IPV4]) + bytes([10, 1, 2, 3]),
    ATYP_DOMAIN: bytes([ATYP_DOMAIN, 15]) + b"bound.example.t",
    ATYP_IPV6: bytes([ATYP_IPV6]) + ipaddress.IPv6Address("2001:db8::1").packed,
}


@dataclass(frozen=True)
class SocksRequest:
    methods: bytes
    username: str | None
    password: str | None
    raw: bytes  # the whole CONNECT request
    atyp: int
    host: str
    port: int


class ScriptedSocks:
    def __init__(self) -> None:
        self.script = "reply"
        self.reply = 0x00
        self.bound_atyp = ATYP_IPV4
        self.after_reply = b""
        self.routes: dict[str, str] = {}
        self.requests: list[SocksRequest] = []
        self.connections = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    def start(self) -> ScriptedSocks:
        self._thread.start()

        async def listen() -> asyncio.Server:
            return await asyncio.start_server(self._accept, "127.0.0.1", 0)

        self._server = self._run(listen())
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        self._run(close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> ScriptedSocks:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                await self._serve(reader, writer)
        finally:
            writer.close()
            self._tasks.discard(task)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        script = self.script
        if script == "silent":
            while await reader.read(1024):
                pass
            return
        if script == "garbage":
            await reader.read(1024)
            writer.write(b"HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            return
        _version, count = await reader.readexactly(2)
        methods = await reader.readexactly(count)
        if script == "short-greeting":
            writer.write(b"\x05")
            await writer.drain()
            return
        if script == "no-method":
            writer.write(b"\x05\xff")
            await writer.drain()
            return
        username = password = None
        if 0x02 in methods:  # like tor: credentials win when offered
            writer.write(b"\x05\x02")
            _auth_version, length = await reader.readexactly(2)
            username = (await reader.readexactly(length)).decode()
            (length,) = await reader.readexactly(1)
            password = (await reader.readexactly(length)).decode()
            writer.write(b"\x01\x01" if script == "auth-refused" else b"\x01\x00")
            if script == "auth-refused":
                await writer.drain()
                return
        else:
            writer.write(b"\x05\x00")
        head = await reader.readexactly(4)
        atyp = head[3]
        if atyp == ATYP_DOMAIN:
            (length,) = await reader.readexactly(1)
            raw_address = bytes([length]) + await reader.readexactly(length)
            host = raw_address[1:].decode()
        else:
            raw_address = await reader.readexactly(4 if atyp == ATYP_IPV4 else 16)
            host = str(ipaddress.ip_address(raw_address))
        raw_port = await reader.readexactly(2)
        port = int.from_bytes(raw_port, "big")
        self.requests.append(SocksRequest(methods, username, password,
                                          head + raw_address + raw_port, atyp, host, port))
        await self._answer(script, host, port, reader, writer)

    async def _answer(self, script: str, host: str, port: int, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> None:
        if script == "silent-after-request":
            while await reader.read(1024):
                pass
            return
        if script == "short-reply":
            writer.write(b"\x05\x00\x00\x01\x7f")
        elif script == "bad-version":
            writer.write(b"\x00\x5a\x00\x00\x00\x00\x00\x00")
        elif script == "bad-atyp":
            writer.write(b"\x05\x00\x00\x09\x00\x00\x00\x00\x00\x00")
        elif script == "relay":
            await self._relay(host, port, reader, writer)
            return
        elif self.reply != 0:
            writer.write(bytes([0x05, self.reply, 0x00]) + BOUND[ATYP_IPV4] + b"\x00\x00")
        else:
            writer.write(bytes([0x05, 0x00, 0x00]) + BOUND[self.bound_atyp] + b"\x1f\x90"
                         + self.after_reply)
            await writer.drain()
            while data := await reader.read(1 << 16):
                writer.write(data)
                await writer.drain()
            return
        await writer.drain()

    async def _relay(self, host: str, port: int, reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
        target = self.routes.get(host)
        if target is None:
            writer.write(b"\x05\x04\x00" + BOUND[ATYP_IPV4] + b"\x00\x00")
            await writer.drain()
            return
        up_reader, up_writer = await asyncio.open_connection(target, port)
        writer.write(b"\x05\x00\x00" + BOUND[ATYP_IPV4] + b"\x00\x00")
        await writer.drain()

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await source.read(1 << 16):
                    sink.write(data)
                    await sink.drain()
                if sink.can_write_eof():
                    sink.write_eof()

        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        finally:
            up_writer.close()
