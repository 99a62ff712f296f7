"""A SOCKS5 client (RFC 1928, RFC 1929) for tor's SOCKS port, and a check that a port speaks it.

Names are always sent to the proxy as names (address type 0x03), so tor resolves them at the
exit or the onion service: this module never asks the local resolver anything. The proxy itself
must be given as an IP address (or "localhost", taken as 127.0.0.1 here, without a lookup).

User name and password (RFC 1929) are offered only when given. Tor accepts any and uses them to
keep streams with different credentials on different circuits (IsolateSOCKSAuth, on by
default); they are not a secret from tor, but they should stay out of logs all the same.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from onboard.core.errors import (
    NetworkTimeoutError,
    TorProxyError,
    TorUnavailableError,
    is_onion_target,
)

SOCKS_VERSION = 0x05
NO_AUTH = 0x00
USER_PASS = 0x02
NO_ACCEPTABLE_METHOD = 0xFF
USER_PASS_VERSION = 0x01
CMD_CONNECT = 0x01
ATYP_IPV4 = 0x01
ATYP_DOMAIN = 0x03
ATYP_IPV6 = 0x04
_ADDRESS_LENGTHS = {ATYP_IPV4: 4, ATYP_IPV6: 16}


class _NotSocks5(Exception):
    """The proxy answered, but not as a usable SOCKS5 proxy (or hung up half-way)."""


def proxy_address(proxy: tuple[str, int]) -> tuple[str, int]:
    """The proxy's IP address and port; "localhost" becomes 127.0.0.1.

    Raises ValueError for a name (looking it up would happen outside Tor) or a bad port.
    """
    host, port = proxy
    if host.lower() == "localhost":
        host = "127.0.0.1"
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        raise ValueError(f"the SOCKS proxy must be an IP address, not {host!r}") from None
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(f"the SOCKS proxy port must be 1–65535, not {port!r}")
    return str(ip), port


def _where(address: tuple[str, int]) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _address_field(host: str) -> bytes:
    """ATYP and DST.ADDR: IP literals as such, everything else as a name for the proxy."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return bytes([ATYP_IPV4 if ip.version == 4 else ATYP_IPV6]) + ip.packed
    try:
        name = host.encode("ascii") if host.isascii() else host.encode("idna")
    except UnicodeError:
        raise ValueError(f"{host!r} is not a host name") from None
    if not name or len(name) > 255 or b"\x00" in name:
        raise ValueError(f"{host!r} is not a host name")
    return bytes([ATYP_DOMAIN, len(name)]) + name


def connect_request(host: str, port: int) -> bytes:
    """The CONNECT request for host:port (exposed for the tests)."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(f"port must be 1–65535, not {port!r}")
    return (bytes([SOCKS_VERSION, CMD_CONNECT, 0x00]) + _address_field(host)
            + port.to_bytes(2, "big"))


def _credentials(username: str | None, password: str | None) -> bytes | None:
    """The RFC 1929 sub-negotiation, or None when no credentials are given."""
    if username is None and password is None:
        return None
    if username is None or password is None:
        raise ValueError("give both a SOCKS user name and a password, or neither")
    user, secret = username.encode(), password.encode()
    if not 0 < len(user) < 256 or not 0 < len(secret) < 256:
        raise ValueError("SOCKS user names and passwords are 1 to 255 bytes long")
    return bytes([USER_PASS_VERSION, len(user)]) + user + bytes([len(secret)]) + secret


async def _recv_exactly(loop: asyncio.AbstractEventLoop, sock: socket.socket, size: int) -> bytes:
    """Exactly `size` bytes (never more: what follows belongs to the caller's protocol)."""
    data = bytearray()
    while len(data) < size:
        chunk = await loop.sock_recv(sock, size - len(data))
        if not chunk:
            raise _NotSocks5("the proxy closed the connection in the middle of the SOCKS "
                             "exchange")
        data += chunk
    return bytes(data)


async def _handshake(loop: asyncio.AbstractEventLoop, sock: socket.socket, request: bytes,
                     credentials: bytes | None) -> int:
    """Greeting, optional authentication, CONNECT; the reply code (0 is success)."""
    methods = bytes([NO_AUTH, USER_PASS]) if credentials is not None else bytes([NO_AUTH])
    await loop.sock_sendall(sock, bytes([SOCKS_VERSION, len(methods)]) + methods)
    version, method = await _recv_exactly(loop, sock, 2)
    if version != SOCKS_VERSION:
        raise _NotSocks5(f"not a SOCKS5 answer (version byte 0x{version:02x})")
    if method == USER_PASS and credentials is not None:
        await loop.sock_sendall(sock, credentials)
        _auth_version, status = await _recv_exactly(loop, sock, 2)
        if status != 0x00:
            raise _NotSocks5("the proxy did not accept the SOCKS user name and password")
    elif method != NO_AUTH:
        raise _NotSocks5(f"the proxy wants an authentication this program does not offer "
                         f"(method 0x{method:02x})")
    await loop.sock_sendall(sock, request)
    version, reply, _reserved, address_type = await _recv_exactly(loop, sock, 4)
    if version != SOCKS_VERSION:
        raise _NotSocks5(f"not a SOCKS5 reply (version byte 0x{version:02x})")
    if reply != 0x00:
        return reply  # tor closes the connection after an error; the bound address is moot
    if address_type == ATYP_DOMAIN:
        (length,) = await _recv_exactly(loop, sock, 1)
    elif address_type in _ADDRESS_LENGTHS:
        length = _ADDRESS_LENGTHS[address_type]
    else:
        raise _NotSocks5(f"a SOCKS5 reply with an unknown address type 0x{address_type:02x}")
    await _recv_exactly(loop, sock, length + 2)  # BND.ADDR and BND.PORT: not needed
    return 0


async def socks5_connect(proxy: tuple[str, int], host: str, port: int, timeout: float, *,
                         username: str | None = None,
                         password: str | None = None) -> socket.socket:
    """A connected, non-blocking socket to host:port through the SOCKS5 proxy, ready for TLS.

    The whole exchange (TCP connect to the proxy included) takes at most `timeout` seconds.
    Raises TorUnavailableError (nothing listening, reset, hung up, not SOCKS5, credentials
    refused), TorProxyError (the proxy answered with an error code: `reply` has it; for an
    onion address, tor's plain "general failure" and "host unreachable" are worded as an
    onion service that could not be reached) or
    NetworkTimeoutError("connect", timeout); ValueError for a proxy given by name or a host
    or port that cannot be sent. The socket is closed on any failure and on cancellation.
    """
    address = proxy_address(proxy)
    request = connect_request(host, port)
    credentials = _credentials(username, password)
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        async with asyncio.timeout(timeout):
            await loop.sock_connect(sock, address)
            reply = await _handshake(loop, sock, request, credentials)
    except TimeoutError:  # before OSError: TimeoutError is one
        sock.close()
        raise NetworkTimeoutError("connect", timeout) from None
    except (OSError, _NotSocks5) as exc:
        sock.close()
        raise TorUnavailableError(_where(address), str(exc) or type(exc).__name__) from None
    except BaseException:
        sock.close()
        raise
    if reply != 0x00:
        sock.close()
        raise TorProxyError(f"{host}:{port}", reply, f"SOCKS5 reply 0x{reply:02x}",
                            onion=is_onion_target(host))
    return sock


async def is_socks5(host: str, port: int, timeout: float) -> bool:
    """Whether host:port answers the SOCKS5 greeting `05 01 00` with `05 00` (no auth).

    Finds a system tor (9050) or Tor Browser (9150). Never raises for network trouble, and a
    name instead of an IP address is simply False (it is not looked up).
    """
    try:
        address = proxy_address((host, port))
    except ValueError:
        return False
    loop = asyncio.get_running_loop()
    try:
        sock = socket.socket(socket.AF_INET6 if ":" in address[0] else socket.AF_INET,
                             socket.SOCK_STREAM)
    except OSError:
        return False
    try:
        sock.setblocking(False)
        async with asyncio.timeout(timeout):
            await loop.sock_connect(sock, address)
            await loop.sock_sendall(sock, bytes([SOCKS_VERSION, 1, NO_AUTH]))
            answer = await _recv_exactly(loop, sock, 2)
    except (OSError, _NotSocks5):  # TimeoutError is an OSError
        return False
    finally:
        sock.close()
    return answer == bytes([SOCKS_VERSION, NO_AUTH])
