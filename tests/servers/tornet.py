"""A private Tor network on 127.0.0.1, for tests that need real Tor (see /work/shared/notes/tor.md).

`PrivateTorNetwork(base_dir, prosody_port).start()` runs eight tor processes (and the bridge's
obfs4proxy), all on loopback with free ports, each with its own data directory, torrc and
`notice.log` under `base_dir/run1/`:

- `auth1`..`auth3`: directory authorities (keys from `tor-gencert`), also plain relays. They vote
  every 10 s (2 s vote and distribution delays), with every relay voted Guard, Exit, HSDir and
  Stable from the first consensus on.
- `relay`: a middle relay; `exit`: the exit relay, whose policy accepts 127.0.0.0/8 (ahead of
  tor's default policy: a policy that accepts only private addresses is summarised as "reject
  everything" in its microdescriptor, and clients then see no exit at all).
- `bridge`: an unpublished obfs4 bridge relay (obfs4proxy as its transport); its client line is
  `obfs4_bridge_line`.
- `hs`: a v3 onion service, `<onion_address>:5222` → `127.0.0.1:<prosody_port>`.
- `client`: the tor the tests use, `socks_port` (with ExtendedErrors, so onion failures come back
  as SOCKS 0xF0..0xF7) and `control_port` (cookie authentication, `cookie_file`).

The consensus carries `vanguards-lite-enabled=0`: with vanguards-lite each tor picks four
"layer 2" relays once, for days, for all its onion circuits; in a five-relay network, picked
while few descriptors are known, that set can make onion paths impossible for good ("Failed to
find node for hop #2"), and the onion service never published (about 1 start in 12).

Timings on a loaded 2-core machine: keys 3-10 s (RSA-3072 prime search in tor-gencert), the
first consensus 10-15 s later (the voting schedule is aligned to the clock), the client at 100 %
after 16-36 s, the onion service answering 0-19 s after that (SOCKS 0xF0 until its descriptor is
up; the first exit request may also get 0x01): start() retries both probes, and returns after
19-45 s in all (budget: 120 s). `timings` has the milestones of the last start. Run it once per
test session. A new tor joins in a couple of seconds with `client_options()`, through the bridge
in about 4 s (bootstrap and a first onion connection).

Every node has `__OwningControllerProcess <our pid>`: if the test process dies without `stop()`,
the nodes exit by themselves within about 15 s.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

TOR_CANDIDATES = ("/usr/sbin/tor", "/usr/bin/tor")
GENCERT_CANDIDATES = ("/usr/bin/tor-gencert", "/usr/sbin/tor-gencert")
OBFS4PROXY_CANDIDATES = ("/usr/bin/obfs4proxy", "/usr/local/bin/obfs4proxy")

ONION_PORT = 5222
LOOPBACK = "127.0.0.1"
START_ATTEMPTS = 2  # a second try with new ports when another process took one
STOP_TIMEOUT = 3.0  # tor exits in 0.2 s on SIGTERM, but now and then hangs in its cleanup
PROBE_TIMEOUT = 30.0
PORT_TAKEN = "Address already in use"

# Options every node of the network shares (the notes' "every node" list).
COMMON_OPTIONS: dict[str, str] = {
    "TestingTorNetwork": "1",
    "PathsNeededToBuildCircuits": "0.67",
    "TestingDirAuthVoteExit": "*",
    "TestingDirAuthVoteHSDir": "*",
    "TestingDirAuthVoteGuard": "*",
    "TestingMinExitFlagThreshold": "0",
    "V3AuthNIntervalsValid": "2",
    "RunAsDaemon": "0",
    "ShutdownWaitLength": "0",
    "SafeLogging": "0",
    "LogTimeGranularity": "1",
}

RELAY_OPTIONS: dict[str, str] = {
    "Address": LOOPBACK,
    "AssumeReachable": "1",
    "ServerDNSDetectHijacking": "0",
    "ServerDNSResolvConfFile": "/dev/null",
    "ContactInfo": "tornet@example.test",
}

AUTHORITY_OPTIONS: dict[str, str] = {
    "AuthoritativeDirectory": "1",
    "V3AuthoritativeDirectory": "1",
    "V3AuthVotingInterval": "10",
    "V3AuthVoteDelay": "2",
    "V3AuthDistDelay": "2",
    "TestingV3AuthInitialVotingInterval": "10",
    "TestingV3AuthInitialVoteDelay": "2",
    "TestingV3AuthInitialDistDelay": "2",
    # Relays are Stable (hence usable for onion circuits and LongLivedPorts such as 5222) from
    # the first consensus on, not after minutes of uptime.
    "AuthDirVoteStableGuaranteeMinUptime": "0",
    "AuthDirVoteStableGuaranteeMTBF": "0",
    "TestingMinFastFlagThreshold": "0",
    # Vanguards-lite keeps a set of four "layer 2" relays (picked once, kept for days) for every
    # onion circuit; with five relays, chosen while few descriptors are known, onion paths
    # often cannot be built at all ("Failed to find node for hop #2"), so the service never
    # publishes. The consensus switches it off for every node, and for any tor that joins.
    "ConsensusParams": "vanguards-lite-enabled=0",
    "ExitRelay": "0",
}

SOCKS_ERRORS = {
    0x01: "general failure", 0x02: "not allowed by ruleset", 0x03: "network unreachable",
    0x04: "host unreachable", 0x05: "connection refused", 0x06: "TTL expired",
    0x07: "command not supported", 0x08: "address type not supported",
    0xF0: "onion service descriptor not found", 0xF1: "onion service descriptor invalid",
    0xF2: "onion service introduction failed", 0xF3: "onion service rendezvous failed",
    0xF4: "onion service client authorization missing",
    0xF5: "onion service client authorization wrong", 0xF6: "onion address invalid",
    0xF7: "onion service introduction timed out",
}


def _find(name: str, candidates: Iterable[str]) -> str | None:
    return shutil.which(name) or next((p for p in candidates if os.access(p, os.X_OK)), None)


def tor_binary() -> str | None:
    return _find("tor", TOR_CANDIDATES)


def tor_gencert_binary() -> str | None:
    return _find("tor-gencert", GENCERT_CANDIDATES)


def obfs4proxy_binary() -> str | None:
    return _find("obfs4proxy", OBFS4PROXY_CANDIDATES)


def missing_programs() -> list[str]:
    """The programs the network needs that are not installed (empty when all are there)."""
    found = {"tor": tor_binary(), "tor-gencert": tor_gencert_binary(),
             "obfs4proxy": obfs4proxy_binary()}
    return [name for name, path in found.items() if path is None]


def free_ports(count: int) -> list[int]:
    """Ports the kernel hands out for 127.0.0.1:0 (all held open until all are known)."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((LOOPBACK, 0))
            sockets.append(sock)
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


class SocksError(OSError):
    """A SOCKS5 reply other than success; `code` is the reply byte."""

    def __init__(self, code: int) -> None:
        self.code = code
        super().__init__(f"SOCKS5 error 0x{code:02X}: {SOCKS_ERRORS.get(code, 'unknown')}")


def _recv_exactly(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError("the SOCKS proxy closed the connection")
        data += chunk
    return data


def socks5_connect(socks_port: int, host: str, port: int, *, timeout: float = PROBE_TIMEOUT,
                   isolation: str | None = None) -> socket.socket:
    """A socket connected to host:port through the SOCKS5 proxy on 127.0.0.1:socks_port.

    The host name goes to the proxy (no local DNS). With `isolation`, it is sent as the SOCKS
    user name and password, so tor (IsolateSOCKSAuth) uses circuits of its own for it.
    Raises SocksError with tor's reply code when the proxy refuses."""
    sock = socket.create_connection((LOOPBACK, socks_port), timeout=timeout)
    try:
        if isolation is None:
            sock.sendall(b"\x05\x01\x00")
            if _recv_exactly(sock, 2) != b"\x05\x00":
                raise ConnectionError("the SOCKS proxy refused 'no authentication'")
        else:
            sock.sendall(b"\x05\x01\x02")
            if _recv_exactly(sock, 2) != b"\x05\x02":
                raise ConnectionError("the SOCKS proxy refused username/password")
            cred = isolation.encode()[:255]
            sock.sendall(b"\x01" + bytes([len(cred)]) + cred + bytes([len(cred)]) + cred)
            if _recv_exactly(sock, 2)[1] != 0:
                raise ConnectionError("the SOCKS proxy rejected the username/password")
        name = host.encode("idna")
        sock.sendall(b"\x05\x01\x00\x03" + bytes([len(name)]) + name + struct.pack(">H", port))
        version, reply, _, atyp = _recv_exactly(sock, 4)
        if version != 5:
            raise ConnectionError(f"not a SOCKS5 reply (version {version})")
        # The bound address that follows: skip it.
        if atyp == 1:
            _recv_exactly(sock, 4 + 2)
        elif atyp == 4:
            _recv_exactly(sock, 16 + 2)
        elif atyp == 3:
            _recv_exactly(sock, _recv_exactly(sock, 1)[0] + 2)
        if reply != 0:
            raise SocksError(reply)
        return sock
    except BaseException:
        sock.close()
        raise


@dataclass
class _Node:
    name: str
    data_dir: Path
    options: dict[str, str | list[str]] = field(default_factory=dict)
    fingerprint: str = ""
    process: subprocess.Popen[bytes] | None = None

    @property
    def torrc(self) -> Path:
        return self.data_dir.parent / f"{self.name}.torrc"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "notice.log"

    @property
    def output_file(self) -> Path:
        return self.data_dir.parent / f"{self.name}.out"

    def log_text(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_file.read_text(errors="replace")
        return ""

    def log_tail(self, lines: int = 15) -> str:
        parts = []
        for path in (self.log_file, self.output_file):
            with contextlib.suppress(OSError):
                text = path.read_text(errors="replace").splitlines()[-lines:]
                if text:
                    parts.append("\n".join([f"--- {self.name}: {path.name} ---", *text]))
        return "\n".join(parts) or f"--- {self.name}: no log ---"


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)  # tor refuses a DataDirectory or HiddenServiceDir others can read
    return path


def _torrc_text(options: dict[str, str | list[str]]) -> str:
    lines = []
    for key, value in options.items():
        for item in [value] if isinstance(value, str) else value:
            lines.append(f"{key} {item}")
    return "\n".join(lines) + "\n"


class PrivateTorNetwork:
    """Three authorities, a relay, an exit, an obfs4 bridge, an onion service and a client, all
    on 127.0.0.1; see the module docstring.

    Attributes (valid after `start()`): `socks_port`, `control_port`, `cookie_file` (the
    client's control cookie), `onion_address` ("….onion", port 5222 is Prosody),
    `obfs4_bridge_line` ("obfs4 127.0.0.1:PORT FPR cert=… iat-mode=0", no "Bridge" in front),
    `prosody_port`, `base_dir`.
    Methods: `start(timeout)`, `stop()` (also a context manager), `client_options()`,
    `log_tail()`.
    """

    def __init__(self, base_dir: Path, prosody_port: int) -> None:
        self.base_dir = Path(base_dir)
        self.prosody_port = prosody_port
        self.socks_port = 0
        self.control_port = 0
        self.cookie_file = self.base_dir / "client" / "control_auth_cookie"
        self.onion_address = ""
        self.obfs4_bridge_line = ""
        self.startup_seconds = 0.0  # how long the last successful start() took
        # Seconds from start() to each milestone ("client at 100 %", ...), for reports.
        self.timings: dict[str, float] = {}
        self._began = 0.0
        self._nodes: list[_Node] = []
        self._dir_authorities: list[str] = []

    # -- public API -------------------------------------------------------------------------

    def start(self, timeout: float = 120.0) -> None:
        """Start every node; return once the client is at 100 % and both routes to Prosody
        (onion and exit) carry a SOCKS CONNECT. RuntimeError with the logs' tails otherwise."""
        missing = missing_programs()
        if missing:
            raise RuntimeError(f"not installed: {', '.join(missing)} "
                               "(apt-get install tor obfs4proxy)")
        began = self._began = time.monotonic()
        self.timings = {}
        deadline = began + timeout
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                self._start_once(self.base_dir / f"run{attempt}", deadline)
            except _PortTaken:
                self.stop()
                if attempt == START_ATTEMPTS:
                    raise RuntimeError("a port was taken by another process, twice\n"
                                       + self.log_tail()) from None
                continue
            except BaseException:
                self.stop()
                raise
            self.startup_seconds = time.monotonic() - began
            return

    def stop(self) -> None:
        """Stop every node (SIGTERM: tor exits at once, without the relay grace period) and
        wait for them; kill those that linger."""
        running = [n.process for n in self._nodes if n.process is not None]
        for process in running:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGTERM)
        end = time.monotonic() + STOP_TIMEOUT
        for process in running:
            try:
                process.wait(max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_TIMEOUT)
        for node in self._nodes:
            node.process = None

    def __enter__(self) -> PrivateTorNetwork:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def client_options(self) -> dict[str, str | list[str]]:
        """torrc options for a NEW client tor to join this network, in the shape of stem's
        `launch_tor_with_config(config=…)` (a list for an option given several times).
        Add `UseBridges 1`, `ClientTransportPlugin obfs4 exec …` and `Bridge <obfs4_bridge_line>`
        to go through the bridge."""
        if not self._dir_authorities:
            raise RuntimeError("the network has not been started")
        return {
            "TestingTorNetwork": "1",
            "DirAuthority": list(self._dir_authorities),
            "PathsNeededToBuildCircuits": "0.67",
        }

    def wait_for_onion(self, timeout: float = 90.0) -> None:
        """Return once a SOCKS CONNECT to the onion service works (on a circuit of its own).

        On a loaded machine a fresh onion circuit can fail for a while even after start()
        saw one work (a CI run once had a 60 s timeout a minute later): the service
        republishes its descriptor as the fast voting schedule moves on. Tests that go to the
        onion wait here first, so they test the program, not this network's warm-up."""
        self._wait_for(time.monotonic() + timeout, "a SOCKS CONNECT to the onion service",
                       lambda: self._probe(self.onion_address, ONION_PORT,
                                           time.monotonic() + PROBE_TIMEOUT))

    def log_tail(self, lines: int = 15) -> str:
        """The end of every node's notice log (for failure messages)."""
        return "\n".join(node.log_tail(lines) for node in self._nodes)

    @property
    def running(self) -> bool:
        return bool(self._nodes) and all(
            n.process is not None and n.process.poll() is None for n in self._nodes
        )

    # -- start-up ---------------------------------------------------------------------------

    def _start_once(self, run_dir: Path, deadline: float) -> None:
        tor = tor_binary()
        assert tor is not None
        _private_dir(run_dir)
        ports = free_ports(14)
        # (ORPort, DirPort) for each authority, the relay and the exit; (ORPort, obfs4) for the
        # bridge; (SocksPort, ControlPort) for the client.
        pairs = [(ports[i], ports[i + 1]) for i in range(0, len(ports), 2)]
        auth_or_dir = pairs[:3]
        relay_ports, exit_ports, bridge_ports, client_ports = pairs[3:]
        self._nodes = []
        pid = str(os.getpid())

        def node(name: str, options: dict[str, str | list[str]]) -> _Node:
            data_dir = _private_dir(run_dir / name)
            new = _Node(name, data_dir)
            new.options = {
                "Nickname": name,
                "DataDirectory": str(data_dir),
                "Log": f"notice file {new.log_file}",
                "__OwningControllerProcess": pid,
                "SocksPort": "0",
                **COMMON_OPTIONS,
                **options,
            }
            self._nodes.append(new)
            return new

        authorities = [
            node(f"auth{i}", {**RELAY_OPTIONS, **AUTHORITY_OPTIONS,
                              "ORPort": f"{LOOPBACK}:{or_port}",
                              "DirPort": f"{LOOPBACK}:{dir_port}"})
            for i, (or_port, dir_port) in enumerate(auth_or_dir, start=1)
        ]
        relay = node("relay", {**RELAY_OPTIONS, "ORPort": f"{LOOPBACK}:{relay_ports[0]}",
                               "DirPort": f"{LOOPBACK}:{relay_ports[1]}",
                               "ExitRelay": "0"})
        exit_node = node("exit", {**RELAY_OPTIONS, "ORPort": f"{LOOPBACK}:{exit_ports[0]}",
                                  "DirPort": f"{LOOPBACK}:{exit_ports[1]}",
                                  "ExitRelay": "1", "ExitPolicyRejectPrivate": "0",
                                  "ExitPolicy": "accept 127.0.0.0/8:*"})
        obfs4_port = bridge_ports[1]
        bridge = node("bridge", {**RELAY_OPTIONS, "ORPort": f"{LOOPBACK}:{bridge_ports[0]}",
                                 "BridgeRelay": "1", "PublishServerDescriptor": "0",
                                 "BridgeDistribution": "none",
                                 "ExitRelay": "0",
                                 "ServerTransportPlugin":
                                     f"obfs4 exec {obfs4proxy_binary()}",
                                 "ServerTransportListenAddr": f"obfs4 {LOOPBACK}:{obfs4_port}",
                                 "ExtORPort": "auto"})
        hs_dir = run_dir / "hs" / "onion"
        node("hs", {"HiddenServiceDir": str(hs_dir),
                    "HiddenServicePort": f"{ONION_PORT} {LOOPBACK}:{self.prosody_port}"})
        self.socks_port, self.control_port = client_ports
        self.cookie_file = run_dir / "client" / "control_auth_cookie"
        client = node("client", {"SocksPort": f"{LOOPBACK}:{self.socks_port} ExtendedErrors",
                                 "ControlPort": f"{LOOPBACK}:{self.control_port}",
                                 "CookieAuthentication": "1",
                                 "CookieAuthFile": str(self.cookie_file)})
        _private_dir(hs_dir)

        self._make_keys(tor, authorities, [*authorities, relay, exit_node, bridge])
        self.timings["keys made"] = round(time.monotonic() - self._began, 1)
        self._dir_authorities = [
            f"{a.name} orport={auth_or_dir[i][0]} no-v2 v3ident={self._v3ident(a)} "
            f"{LOOPBACK}:{auth_or_dir[i][1]} {a.fingerprint}"
            for i, a in enumerate(authorities)
        ]
        for each in self._nodes:
            each.options["DirAuthority"] = list(self._dir_authorities)
            each.torrc.write_text(_torrc_text(each.options))
            with each.output_file.open("wb") as output:
                each.process = subprocess.Popen(
                    [tor, "-f", str(each.torrc), "--defaults-torrc", "/dev/null"],
                    stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                    cwd=each.data_dir, start_new_session=True,
                )
        self.timings["all nodes launched"] = round(time.monotonic() - self._began, 1)

        self.onion_address = self._wait_for(
            deadline, "the onion service's hostname",
            lambda: _read_stripped(hs_dir / "hostname"),
        )
        self.obfs4_bridge_line = self._wait_for(
            deadline, "obfs4proxy's bridge line",
            lambda: _bridge_line(bridge, obfs4_port),
        )
        self._wait_for(deadline, "the client's bootstrap to 100 %",
                       lambda: "Bootstrapped 100%" in client.log_text())
        self._wait_for(deadline, "a SOCKS CONNECT to the onion service",
                       lambda: self._probe(self.onion_address, ONION_PORT, deadline))
        self._wait_for(deadline, "a SOCKS CONNECT to Prosody through the exit",
                       lambda: self._probe(LOOPBACK, self.prosody_port, deadline))

    def _make_keys(self, tor: str, authorities: list[_Node], relays: list[_Node]) -> None:
        """All keys at once: tor-gencert for each authority (an RSA-3072 identity, 0.7-5 s) and
        `tor --list-fingerprint` for every relay (authorities included) to learn its
        fingerprint; sets each relay's `fingerprint`."""
        gencert = tor_gencert_binary()
        assert gencert is not None
        jobs: list[tuple[str, subprocess.Popen[bytes], bytes]] = []
        for auth in authorities:
            keys = _private_dir(auth.data_dir / "keys")
            dir_port = str(auth.options["DirPort"]).rsplit(":", 1)[1]
            jobs.append((f"tor-gencert for {auth.name}", subprocess.Popen(
                [gencert, "--create-identity-key", "--passphrase-fd", "0",
                 "-i", str(keys / "authority_identity_key"),
                 "-s", str(keys / "authority_signing_key"),
                 "-c", str(keys / "authority_certificate"),
                 "-m", "12", "-a", f"{LOOPBACK}:{dir_port}"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                cwd=auth.data_dir,
            ), b"\n"))  # the empty passphrase
        for relay in relays:
            jobs.append((f"tor --list-fingerprint for {relay.name}", subprocess.Popen(
                [tor, "--list-fingerprint", "--orport", "1",
                 "--datadirectory", str(relay.data_dir), "--ignore-missing-torrc",
                 "-f", str(relay.data_dir / "none"), "--defaults-torrc", "/dev/null"],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                cwd=relay.data_dir,
            ), b""))
        failed = []
        for what, job, stdin in jobs:
            output, _ = job.communicate(stdin or None, timeout=60)
            if job.returncode != 0:
                failed.append(f"{what} failed:\n{output.decode(errors='replace')}")
        for relay in relays:
            # "<nickname> <40 hex digits>", written by --list-fingerprint
            relay.fingerprint = _read_stripped(relay.data_dir / "fingerprint").split(" ")[-1]
            if len(relay.fingerprint) != 40:
                failed.append(f"no fingerprint for {relay.name}")
        if failed:
            raise RuntimeError("\n".join(failed))

    @staticmethod
    def _v3ident(auth: _Node) -> str:
        cert = (auth.data_dir / "keys" / "authority_certificate").read_text()
        for line in cert.splitlines():
            if line.startswith("fingerprint "):
                return line.split()[1]
        raise RuntimeError(f"no fingerprint line in {auth.name}'s authority certificate")

    def _wait_for(self, deadline: float, what: str, ready: Callable[[], str | bool | None]) -> str:
        """Poll `ready` until it gives a true value; fail early when a node has died."""
        last_error = ""
        while True:
            for each in self._nodes:
                assert each.process is not None
                if each.process.poll() is not None:
                    message = (f"tor node {each.name} exited with status "
                               f"{each.process.returncode} while waiting for {what}")
                    if any(PORT_TAKEN in _read_stripped(path)
                           for path in (each.log_file, each.output_file)):
                        raise _PortTaken(message)
                    raise RuntimeError(message + "\n" + self.log_tail())
            try:
                value = ready()
            except OSError as error:
                value, last_error = None, str(error)
            if value:
                self.timings[what] = round(time.monotonic() - self._began, 1)
                return value if isinstance(value, str) else ""
            if time.monotonic() > deadline:
                detail = f" (last error: {last_error})" if last_error else ""
                raise RuntimeError(f"the private Tor network gave no {what} in time{detail}\n"
                                   + self.log_tail())
            time.sleep(0.2 if not last_error else 1.0)

    def _probe(self, host: str, port: int, deadline: float) -> bool:
        """One SOCKS CONNECT through the client, on a circuit of its own; raises on failure."""
        timeout = min(PROBE_TIMEOUT, max(1.0, deadline - time.monotonic()))
        with socks5_connect(self.socks_port, host, port, timeout=timeout,
                            isolation=secrets.token_hex(8)):
            return True


class _PortTaken(RuntimeError):
    pass


def _read_stripped(path: Path) -> str:
    with contextlib.suppress(OSError):
        return path.read_text().strip()
    return ""


def _bridge_line(bridge: _Node, obfs4_port: int) -> str:
    """obfs4proxy's line from pt_state/obfs4_bridgeline.txt, placeholders filled in."""
    text = _read_stripped(bridge.data_dir / "pt_state" / "obfs4_bridgeline.txt")
    for line in text.splitlines():
        if line.startswith("Bridge obfs4 "):
            cert = next((w for w in line.split() if w.startswith("cert=")), None)
            iat = next((w for w in line.split() if w.startswith("iat-mode=")), "iat-mode=0")
            if cert:
                return f"obfs4 {LOOPBACK}:{obfs4_port} {bridge.fingerprint} {cert} {iat}"
    return ""
