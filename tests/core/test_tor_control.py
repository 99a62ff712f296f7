"""Finding a tor and opening its control port, against real tor processes (no mocks).

Each test starts its own tor with `DisableNetwork 1` (about 0.3 s; nothing leaves the machine):
stem takes ownership when it authenticates, so closing the controller ends that tor.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from onboard.core.errors import TorControlError
from onboard.core.tor.control import TorSource, detect_tor, open_controller
from tests.servers.local import closed_port, tor_binary

PROJECT_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 20.0




@dataclass
class RunningTor:
    process: subprocess.Popen[bytes]
    data_dir: Path
    control_port: int
    socks_port: int | None

    @property
    def control(self) -> tuple[str, int]:
        return ("127.0.0.1", self.control_port)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _listener_port(log: str, kind: str) -> int | None:
    marker = f"Opened {kind} listener connection (ready) on 127.0.0.1:"
    for line in log.splitlines():
        if marker in line:
            return int(line.rpartition(":")[2])
    return None


def start_tor(folder: Path, options: dict[str, str | list[str]]) -> RunningTor:
    """A tor with a control port on a free loopback port plus `options`; waits until the
    listeners are open (their ports are read from tor's log)."""
    tor = tor_binary()
    data_dir = folder / "data"
    data_dir.mkdir(mode=0o700)
    log_file = folder / "tor.log"
    config: dict[str, str | list[str]] = {
        "DataDirectory": str(data_dir),
        "ControlPort": "127.0.0.1:auto",
        "SocksPort": "0",
        "Log": f"notice file {log_file}",
        "__OwningControllerProcess": str(os.getpid()),
    }
    config.update(options)
    lines = []
    for key, value in config.items():
        lines += [f"{key} {item}" for item in ([value] if isinstance(value, str) else value)]
    torrc = folder / "torrc"
    torrc.write_text("\n".join(lines) + "\n")
    process = subprocess.Popen([tor, "--defaults-torrc", os.devnull, "-f", str(torrc)],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    wants_socks = config["SocksPort"] != "0"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        log = log_file.read_text() if log_file.exists() else ""
        control = _listener_port(log, "Control")
        socks = _listener_port(log, "Socks")
        if control is not None and (socks is not None or not wants_socks):
            return RunningTor(process, data_dir, control, socks)
        if process.poll() is not None:
            pytest.fail(f"tor exited at start:\n{log}")
        time.sleep(0.05)
    process.kill()
    pytest.fail("tor did not open its listeners in time")


@pytest.fixture
def tor_factory(tmp_path: Path) -> Iterator[Callable[..., RunningTor]]:
    started: list[RunningTor] = []

    def make(**options: str | list[str]) -> RunningTor:
        folder = tmp_path / f"tor{len(started)}"
        folder.mkdir()
        os.chmod(folder, 0o700)
        tor = start_tor(folder, {"DisableNetwork": "1", **options})
        started.append(tor)
        return tor

    yield make
    for tor in started:
        tor.stop()


def hashed_password(password: str) -> str:
    result = subprocess.run([tor_binary(), "--hash-password", password, "--quiet"],
                            capture_output=True, text=True, check=True, timeout=20)
    return result.stdout.strip().splitlines()[-1]


# --- open_controller ------------------------------------------------------------------------


def test_cookie_authentication_works(tor_factory: Callable[..., RunningTor]) -> None:
    tor = tor_factory(CookieAuthentication="1")
    controller = open_controller(tor.control)
    try:
        assert controller.is_authenticated()
        assert controller.get_info("version").startswith("0.")
    finally:
        controller.close()


def test_a_guest_controller_leaves_the_tor_running(tor_factory: Callable[..., RunningTor]
                                                   ) -> None:
    """These test tors name this process as their owner, so a plain controller takes
    ownership (closing it ends tor); one opened with take_ownership=False, as for a tor this
    program only found, does not."""
    tor = tor_factory(CookieAuthentication="1")
    controller = open_controller(tor.control, take_ownership=False)
    assert controller.get_info("status/bootstrap-phase").startswith("NOTICE BOOTSTRAP")
    controller.close()
    time.sleep(1)
    assert tor.process.poll() is None
    owner = open_controller(tor.control)
    owner.close()
    tor.process.wait(10)  # taken over, then let go: tor ends


def test_a_control_socket_path_works(tor_factory: Callable[..., RunningTor],
                                     tmp_path: Path) -> None:
    path = tmp_path / "control.sock"
    tor = tor_factory(CookieAuthentication="1", ControlSocket=str(path))
    assert tor.process.poll() is None
    controller = open_controller(path)
    try:
        assert controller.get_info("status/bootstrap-phase").startswith("NOTICE BOOTSTRAP")
    finally:
        controller.close()


def test_the_right_password_works(tor_factory: Callable[..., RunningTor]) -> None:
    tor = tor_factory(HashedControlPassword=hashed_password("correct horse"))
    controller = open_controller(tor.control, "correct horse")
    try:
        assert controller.is_authenticated()
    finally:
        controller.close()


def test_a_wrong_password_is_password_wrong(tor_factory: Callable[..., RunningTor]) -> None:
    tor = tor_factory(HashedControlPassword=hashed_password("correct horse"))
    with pytest.raises(TorControlError) as caught:
        open_controller(tor.control, "battery staple")
    assert caught.value.reason == "password-wrong"
    assert caught.value.where == f"127.0.0.1:{tor.control_port}"
    assert "did not accept" in caught.value.message


def test_no_password_for_a_password_tor_is_password_needed(
        tor_factory: Callable[..., RunningTor]) -> None:
    tor = tor_factory(HashedControlPassword=hashed_password("correct horse"))
    with pytest.raises(TorControlError) as caught:
        open_controller(tor.control)
    assert caught.value.reason == "password-needed"
    assert "control password" in caught.value.message


def test_a_tor_without_authentication_works(tor_factory: Callable[..., RunningTor]) -> None:
    tor = tor_factory()
    controller = open_controller(tor.control)
    try:
        from stem.connection import AuthMethod

        assert controller.get_protocolinfo().auth_methods == (AuthMethod.NONE,)
    finally:
        controller.close()


def test_nothing_listening_is_unreachable(tmp_path: Path) -> None:
    port = closed_port()
    with pytest.raises(TorControlError) as caught:
        open_controller(("127.0.0.1", port))
    assert caught.value.reason == "unreachable"
    assert caught.value.where == f"127.0.0.1:{port}"
    with pytest.raises(TorControlError) as caught:
        open_controller(tmp_path / "no-such-socket")
    assert caught.value.reason == "unreachable"


def test_a_port_that_is_not_tor_is_unreachable() -> None:
    """A web server, and a listener that never answers: no hang, no prompt."""
    import threading

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]

        def serve() -> None:
            conn, _addr = server.accept()
            conn.recv(100)
            conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
            conn.close()

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        with pytest.raises(TorControlError) as caught:
            open_controller(("127.0.0.1", port))
        thread.join(5)
        assert caught.value.reason == "unreachable"
        # Nobody accepts any more: the connection waits in the backlog, unanswered.
        started = time.monotonic()
        with pytest.raises(TorControlError) as caught:
            open_controller(("127.0.0.1", port), timeout=1.0)
        assert caught.value.reason == "unreachable"
        assert time.monotonic() - started < 3


# The check in a child process that prints the reason (or "ok"): argument a control port
# on loopback or a control socket's path.
_CHECK = """
import sys
from onboard.core.errors import TorControlError
from onboard.core.tor.control import open_controller
from pathlib import Path
where = sys.argv[1]
try:
    open_controller(("127.0.0.1", int(where)) if where.isdigit() else Path(where)).close()
except TorControlError as error:
    print(error.reason)
else:
    print("ok")
"""


def test_an_unreadable_cookie_is_cookie_unreadable(tor_factory: Callable[..., RunningTor]
                                                   ) -> None:
    """Like Debian's system tor for a user outside the debian-tor group: the cookie file
    cannot be read.

    root reads any file whatever its mode (the capabilities CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH), so chmod 000 alone proves nothing as root: then the check runs in
    a child process without those two capabilities (setpriv), where a mode of 000 holds for
    root too. As a normal user, chmod 000 is enough and the check runs in this process.
    """
    tor = tor_factory(CookieAuthentication="1")
    cookie = tor.data_dir / "control_auth_cookie"
    assert cookie.exists()
    cookie.chmod(0)
    if os.geteuid() != 0:
        with pytest.raises(TorControlError) as caught:
            open_controller(tor.control)
        assert caught.value.reason == "cookie-unreadable"
        assert "cookie" in caught.value.message and "debian-tor" in caught.value.hint
        return
    assert check_without_file_access(str(tor.control_port)) == "cookie-unreadable"
    # Control: with its file access (and the cookie readable again) the same check works.
    cookie.chmod(0o600)
    assert check_in_child(str(tor.control_port)) == "ok"


def test_a_control_socket_this_user_may_not_open(tor_factory: Callable[..., RunningTor],
                                                  tmp_path: Path) -> None:
    """Like Debian's /run/tor/control for a user outside the debian-tor group: the socket
    itself may not be opened. That is told apart from a tor that is not there, with the
    group as the way out (root: in a child without file-access capabilities, as above)."""
    socket_path = tmp_path / "control.sock"
    tor_factory(CookieAuthentication="1", ControlSocket=str(socket_path))
    assert socket_path.exists()
    assert check_in_child(str(socket_path)) == "ok"
    socket_path.chmod(0)
    if os.geteuid() != 0:
        with pytest.raises(TorControlError) as caught:
            open_controller(socket_path)
        reason = caught.value.reason
        assert "debian-tor" in caught.value.hint
        assert str(socket_path) in caught.value.message
    else:
        reason = check_without_file_access(str(socket_path))
    assert reason == "socket-forbidden"
    problem = TorControlError("socket-forbidden", str(socket_path))
    assert "debian-tor" in problem.hint


def _child_env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(PROJECT_ROOT),
            "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8"}


def check_in_child(where: str, *wrapper: str) -> str:
    """_CHECK's answer for `where`, run in a new process (behind `wrapper`, if given)."""
    result = subprocess.run([*wrapper, sys.executable, "-c", _CHECK, where],
                            capture_output=True, text=True, env=_child_env(),
                            cwd=PROJECT_ROOT, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def check_without_file_access(where: str) -> str:
    """_CHECK as root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (so file modes hold)."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        reason = "running as root without setpriv (util-linux) to drop root's file access"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    drop = "-dac_override,-dac_read_search"
    return check_in_child(where, setpriv, f"--bounding-set={drop}", f"--inh-caps={drop}")


# --- detect_tor -----------------------------------------------------------------------------


OFFLINE = {
    # A tor that answers SOCKS but cannot reach anything: authorities on closed ports.
    "TestingTorNetwork": "1",
    "SocksPort": "127.0.0.1:auto",
}


def _offline_options() -> dict[str, str | list[str]]:
    authorities = [f"dead{n} orport={closed_port()} no-v2 v3ident={'A' * 40} "
                   f"127.0.0.1:{closed_port()} {'B' * 40}" for n in range(3)]
    return {**OFFLINE, "DisableNetwork": "0", "DirAuthority": authorities}


async def test_detect_tor_finds_a_socks_port_and_skips_others(
        tor_factory: Callable[..., RunningTor]) -> None:
    tor = tor_factory(**_offline_options())
    assert tor.socks_port is not None
    closed = TorSource(kind="system", socks=("127.0.0.1", closed_port()),
                       control=("127.0.0.1", closed_port()))
    # tor's control port accepts connections but does not speak SOCKS5.
    not_socks = TorSource(kind="manual", socks=("127.0.0.1", tor.control_port), control=None)
    working = TorSource(kind="browser", socks=("127.0.0.1", tor.socks_port),
                        control=tor.control)
    started = time.monotonic()
    # 3 s each: a busy machine can take over a second to answer; one after the other would
    # take up to 9 s.
    found = await detect_tor([closed, not_socks, working], timeout=3.0)
    assert found == [working]
    assert time.monotonic() - started < 6  # asked at once, not one after the other
    assert await detect_tor([closed], timeout=1.0) == []
    assert await detect_tor([], timeout=1.0) == []


async def test_detect_tor_keeps_the_order_of_the_candidates(
        tor_factory: Callable[..., RunningTor]) -> None:
    tor = tor_factory(**_offline_options())
    assert tor.socks_port is not None
    a = TorSource(kind="system", socks=("127.0.0.1", tor.socks_port), control=None)
    b = TorSource(kind="manual", socks=("127.0.0.1", tor.socks_port), control=None)
    assert await detect_tor([b, a]) == [b, a]


def test_sources_have_plain_labels() -> None:
    from onboard.core.tor.control import DEFAULT_CANDIDATES

    assert [source.kind for source in DEFAULT_CANDIDATES] == ["system", "browser"]
    assert DEFAULT_CANDIDATES[0].socks == ("127.0.0.1", 9050)
    assert DEFAULT_CANDIDATES[1].socks == ("127.0.0.1", 9150)
    assert DEFAULT_CANDIDATES[1].label() == "Tor Browser (127.0.0.1:9150)"
    assert "this computer" in DEFAULT_CANDIDATES[0].label()
    launched = TorSource(kind="launched", socks=("127.0.0.1", 4000), control=None)
    assert "started by this program" in launched.label()
    manual = TorSource(kind="manual", socks=("10.0.0.2", 9050), control=None)
    assert manual.label() == "The Tor at 10.0.0.2:9050"
