"""Secret hygiene, end to end: where the password goes (only into its credentials file), what
the logs, the process list and crash reports show, and the modes of every file written.

All against the real Prosody and a real tor; the password always reaches the command on
standard input, as documented.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from onboard.core import accounts
from onboard.core.crash import HIDDEN, hide_secrets, save_crash_report
from onboard.core.logs import QUIET_LOGGERS, silence_libraries
from onboard.core.network import DirectNetwork
from onboard.core.xmpp.address import ServerAddress
from onboard.core.xmpp.registration import RegistrationSession, verify_login
from tests.secrets_scan import PASSWORD, files_under, found_in, scan_files, secret_forms
from tests.servers.local import closed_port, tor_binary
from tests.servers.prosody import ProsodyServer

COMMAND = str(Path(sys.executable).parent / "xmpp-onboard")
pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.filterwarnings("ignore:Accessing plugins through the XMPP:DeprecationWarning"),
]


def connection(prosody: ProsodyServer) -> list[str]:
    return ["--host", prosody.host, "--port", str(prosody.starttls_port),
            "--ca-file", str(prosody.ca_file)]


def command_env(home: Path) -> dict[str, str]:
    """The environment of a run; Python's own debugging switched on, as a curious user might."""
    env = {**os.environ, "XMPP_ONBOARD_HOME": str(home), "LANG": "C.UTF-8",
           "PYTHONDEVMODE": "1", "PYTHONASYNCIODEBUG": "1"}
    env.pop("LANGUAGE", None)
    return env


def read_proc(pid: int, name: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/{name}").read_bytes()
    except OSError:
        return b""  # the process has ended in between


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it, from /proc/<pid>/task/*/children."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(child) for child in children.read_text().split()]
            except OSError:
                continue
    return found


# --- a whole registration from the command line ----------------------------------------------


def test_cli_registration_leaves_the_password_only_in_its_credentials_file(
        prosody: ProsodyServer, onboard_home: Path) -> None:
    username = f"secret{secrets.token_hex(4)}"
    jid = f"{username}@open.test"
    forms = secret_forms(PASSWORD, username, jid)
    started = time.time() - 1
    argv = [COMMAND, "register", "open.test", "--username", username, "--password-stdin",
            "--json", *connection(prosody)]
    process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=command_env(onboard_home),
                               start_new_session=True)
    assert process.stdin is not None
    process.stdin.write((PASSWORD + "\n").encode())
    process.stdin.close()
    process.stdin = None  # sent and closed: communicate() has nothing more to send
    # What other users of the computer can see of it (ps, /proc) while it runs.
    cmdlines: list[bytes] = []
    environs: list[bytes] = []
    while process.poll() is None:
        cmdlines.append(read_proc(process.pid, "cmdline"))
        environs.append(read_proc(process.pid, "environ"))
        time.sleep(0.005)
    out, err = process.communicate(timeout=60)

    assert process.returncode == 0, out.decode() + err.decode()
    result = json.loads(out)
    assert result["jid"] == jid and result["login_verified"] is True
    assert result["password_generated"] is False
    credentials = Path(result["credentials_file"])
    assert accounts.load(credentials).password == PASSWORD  # the password that was sent

    sampled = [sample for sample in cmdlines if sample]
    assert sampled and all(username.encode() in sample for sample in sampled)
    assert len([sample for sample in environs if sample]) >= 1
    for sample in cmdlines + environs:
        assert found_in(sample, forms) == []
    assert found_in(out, forms) == []
    assert found_in(err, forms) == []

    home_hits = scan_files(files_under(onboard_home), forms)
    assert list(home_hits) == [credentials], home_hits
    assert not list((onboard_home / "cache").glob("crash-*"))  # nothing went wrong
    temp_hits = scan_files(files_under(Path(tempfile.gettempdir()), since=started,
                                       skip=[onboard_home, prosody.workdir]), forms)
    assert temp_hits == {}


# --- library logs --------------------------------------------------------------------------


@pytest.fixture
def every_logger_at_debug(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every logger at DEBUG, the root one (where caplog listens) included; how the libraries'
    loggers were set up before is put back afterwards."""
    names = [*QUIET_LOGGERS, *logging.root.manager.loggerDict]
    saved = {name: (logger.level, logger.propagate, logger.handlers[:])
             for name in names for logger in [logging.getLogger(name)]}
    caplog.set_level(logging.DEBUG)
    try:
        yield caplog
    finally:
        for name, (level, propagate, handlers) in saved.items():
            logger = logging.getLogger(name)
            logger.setLevel(level)
            logger.propagate = propagate
            logger.handlers[:] = handlers


def all_debug() -> None:
    """What a user who wants to see everything does: every logger to DEBUG."""
    for name in [*QUIET_LOGGERS, *logging.root.manager.loggerDict]:
        logging.getLogger(name).setLevel(logging.DEBUG)


async def register_and_log_in(prosody: ProsodyServer, username: str) -> str:
    address = ServerAddress("open.test", prosody.host, prosody.starttls_port, False,
                            prosody.ca_file)
    session = RegistrationSession(address, DirectNetwork(), timeout=10)
    try:
        await session.open()
        account = await session.submit({"username": [username], "password": [PASSWORD]})
    finally:
        await session.close()
    await verify_login(account.jid, PASSWORD, address, DirectNetwork(), timeout=10)
    return account.jid


async def test_library_debug_logs_would_carry_the_password(
        prosody: ProsodyServer, every_logger_at_debug: pytest.LogCaptureFixture) -> None:
    """Why the libraries are silenced: unsilenced, slixmpp's DEBUG log has the stanzas."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).propagate = True
        logging.getLogger(name).handlers.clear()
    all_debug()
    username = f"loud{secrets.token_hex(4)}"
    jid = await register_and_log_in(prosody, username)
    logged = every_logger_at_debug.text.encode()
    assert "<query xmlns=\"jabber:iq:register\">" in every_logger_at_debug.text
    assert found_in(logged, secret_forms(PASSWORD, username, jid))


async def test_silenced_libraries_log_no_password_even_at_debug(
        prosody: ProsodyServer, every_logger_at_debug: pytest.LogCaptureFixture) -> None:
    silence_libraries()
    all_debug()  # after silencing, too: a user turning DEBUG on later changes nothing
    username = f"quiet{secrets.token_hex(4)}"
    jid = await register_and_log_in(prosody, username)
    for record in every_logger_at_debug.records:
        assert not record.name.startswith(QUIET_LOGGERS), record.name
    assert found_in(every_logger_at_debug.text.encode(), secret_forms(PASSWORD, username, jid)) \
        == []


# --- permissions ---------------------------------------------------------------------------


async def run_command(*args: str, home: Path, umask: int,
                      stdin: str = "") -> subprocess.CompletedProcess[str]:
    """The installed command under `umask`, while the test's own clients keep running."""
    process = await asyncio.create_subprocess_exec(
        COMMAND, *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=command_env(home), start_new_session=True,
        umask=umask)
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), 90)
    assert process.returncode is not None
    return subprocess.CompletedProcess(args, process.returncode, out.decode(), err.decode())


@pytest.mark.parametrize("umask", [0o022, 0o000], ids=["umask-022", "umask-000"])
async def test_every_file_written_is_private_whatever_the_umask(
        prosody: ProsodyServer, make_account: object, onboard_home: Path, umask: int) -> None:
    from tests.servers.omemo_devices import OmemoFriend

    home = onboard_home / "run"  # the data and cache folders do not exist yet
    username = f"perm{secrets.token_hex(4)}"
    alice = f"{username}@open.test"
    created = await run_command("register", "open.test", "--username", username,
                                "--password-stdin", "--json", *connection(prosody),
                                home=home, umask=umask, stdin=PASSWORD + "\n")
    assert created.returncode == 0, created.stdout + created.stderr
    bob, bob_password = await make_account("bob")  # type: ignore[operator]
    async with OmemoFriend(prosody, bob, bob_password) as friend:
        # OMEMO keys, kept
        sent = await run_command("hello", bob, "--account", alice, "--keep-device",
                                 "--wait", "0", *connection(prosody), home=home, umask=umask)
        assert sent.returncode == 0, sent.stdout + sent.stderr
        await friend.next_message()
        # the record of verified fingerprints
        verified = await run_command("fingerprints", bob, "--account", alice, "--verify",
                                     "all", *connection(prosody), home=home, umask=umask)
        assert verified.returncode == 0, verified.stdout + verified.stderr
    # the handout, into folders that do not exist yet
    page = home / "data" / "handouts" / "print" / "page.html"
    handout = await run_command("handout", "--account", alice, "--include-password", "-o",
                                str(page), home=home, umask=umask)
    assert handout.returncode == 0, handout.stdout + handout.stderr

    data, cache = home / "data", home / "cache"
    files = {path.relative_to(home).as_posix() for path in files_under(home)}
    assert {f"data/accounts/{alice}.json", f"data/omemo-keys/{alice}.json",
            "data/omemo-verified.json", "data/handouts/print/page.html"} <= files, files
    for folder in (data, cache):
        for path in [folder, *folder.rglob("*")]:
            mode = stat.S_IMODE(path.lstat().st_mode)
            expected = 0o700 if path.is_dir() else 0o600
            assert mode == expected, f"{path}: {oct(mode)}"


# --- the process list: tor ------------------------------------------------------------------

BRIDGE_FINGERPRINT = "4352E58420E68F5E40BF7C74FADDCCD9D1349413"
BRIDGE_CERT = "ssH+9rP8dG2NLDN2XuFw63hIO/9MNNinLmxQDpVa+7kTOa9/m+tGWT1SmSYpQ9uTBGa6Hw"


def bridge_line() -> str:
    """An obfs4 bridge nobody answers at: tor starts, its transport too, and waits."""
    return f"obfs4 127.0.0.1:{closed_port()} {BRIDGE_FINGERPRINT} cert={BRIDGE_CERT} iat-mode=0"


def test_a_launched_tor_has_no_secret_on_its_command_line(tmp_path: Path) -> None:
    """The control cookie, the bridge lines and the whole configuration reach tor on standard
    input and in private files, never in an argument list anyone can read with ps."""
    from onboard.core.errors import CancelledByUserError
    from onboard.core.tor.launch import LaunchedTor

    tor_binary()
    data_dir = tmp_path / "tor"
    launched = LaunchedTor(bridges=[bridge_line()], data_dir=data_dir)
    cancel = threading.Event()
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            launched.bootstrap(lambda _status: None, cancel=cancel, stall_after=60)
        except BaseException as exc:  # reported by the assertion below
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        cookie_file = data_dir / "control_auth_cookie"
        deadline = time.monotonic() + 30
        while not (launched.running and cookie_file.exists()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert launched.process is not None and cookie_file.exists(), outcome
        # tor starts its obfs4 transport, a child process, once it tries the bridge.
        cmdlines: list[bytes] = []
        while time.monotonic() < deadline + 15:
            processes = descendants(launched.process.pid)
            cmdlines = [read_proc(pid, "cmdline") for pid in processes]
            if any(b"obfs4proxy" in cmdline for cmdline in cmdlines):
                break
            time.sleep(0.1)
        environs = [read_proc(pid, "environ") for pid in processes]
        cookie = cookie_file.read_bytes()
        cookie_mode = stat.S_IMODE(cookie_file.stat().st_mode)
    finally:
        cancel.set()
        thread.join(15)
        launched.stop()
    assert len(cookie) == 32
    assert any(b"obfs4proxy" in cmdline for cmdline in cmdlines), cmdlines
    secrets_of_tor = [cookie, cookie.hex().encode(), cookie.hex().upper().encode(),
                      BRIDGE_CERT.encode(), BRIDGE_FINGERPRINT.encode(),
                      b"HashedControlPassword", b"ControlPassword"]
    for cmdline in cmdlines:
        assert cmdline.split(b"\0")[0].endswith(b"tor") or b"obfs4proxy" in cmdline
        assert [found for found in secrets_of_tor if found in cmdline] == [], cmdline
    for environ in environs:
        assert [found for found in secrets_of_tor[:5] if found in environ] == []
    assert cookie_mode == 0o600
    assert len(outcome) == 1 and isinstance(outcome[0], CancelledByUserError), outcome


def test_the_bridge_check_passes_the_bridges_in_a_private_file(tmp_path: Path) -> None:
    """`tor --verify-config` gets the path of a torrc, not the bridge lines themselves."""
    from onboard.core.tor.bridges import parse_bridges, verify_with_tor

    tor = tor_binary()
    seen = tmp_path / "seen"
    wrapper = tmp_path / "tor"
    # Records what tor is started with and what the torrc's folder allows, then runs tor.
    wrapper.write_text(
        "#!/bin/sh\n"
        f"printf '%s\\n' \"$@\" >> {seen}\n"
        "for arg in \"$@\"; do case \"$arg\" in */torrc) "
        f"stat -c '%a %n' \"$(dirname \"$arg\")\" >> {seen};; esac; done\n"
        f"exec {tor} \"$@\"\n")
    wrapper.chmod(0o700)
    line = bridge_line()
    verify_with_tor(parse_bridges(line), tor_cmd=str(wrapper))
    recorded = seen.read_text()
    assert "--verify-config" in recorded
    assert BRIDGE_CERT not in recorded and BRIDGE_FINGERPRINT not in recorded
    folder_modes = [row.split()[0] for row in recorded.splitlines() if row[:1].isdigit()
                    and " /" in row]
    assert folder_modes == ["700"], recorded


# --- crash reports ---------------------------------------------------------------------------


def test_a_crash_report_hides_a_password_quoted_in_a_message(onboard_home: Path) -> None:
    table: dict[str, str] = {}
    try:
        table[PASSWORD]  # a library's KeyError repeats the key it was given
    except KeyError as error:
        report = save_crash_report(error, [PASSWORD])
    text = report.read_text()
    assert text.startswith("Traceback (most recent call last):")
    assert f"KeyError: '{HIDDEN}'" in text
    assert found_in(text.encode(), secret_forms(PASSWORD)) == []
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert stat.S_IMODE(report.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize("quoted", [PASSWORD, repr(PASSWORD), json.dumps(PASSWORD),
                                    json.dumps(PASSWORD, ensure_ascii=False)])
def test_hide_secrets_covers_how_messages_quote(quoted: str) -> None:
    hidden = hide_secrets(f"could not use {quoted} here", [PASSWORD, ""])
    assert hidden.startswith("could not use ") and HIDDEN in hidden
    assert PASSWORD not in hidden and "Ümber" not in hidden and "\\u00dcmber" not in hidden


@pytest.mark.parametrize("source", ["stdin", "generated"])
def test_a_command_line_crash_report_hides_the_password_it_read_or_made(
        source: str, onboard_home: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The command line's last line of defence has no password at hand: every password the
    process read or generated is blanked out of its crash report all the same."""
    import io

    from onboard.__main__ import main
    from onboard.cli import register

    seen: list[str] = []

    async def crash_with_the_password(*args: object) -> int:
        password = str(args[4])
        seen.append(password)
        raise RuntimeError(f"a library repeats what it was given: {password}")

    monkeypatch.setattr(register, "_register_over", crash_with_the_password)
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    how = ["--password-stdin"] if source == "stdin" else ["--generate-password"]
    code = main(["--lang", "en", "register", "open.test", "--username", "crash",
                 "--host", "127.0.0.1", "--port", str(closed_port()), *how])
    assert code == 1 and len(seen) == 1
    password = seen[0]
    assert (password == PASSWORD) is (source == "stdin")
    printed = capsys.readouterr()
    assert "Unexpected problem (RuntimeError)" in printed.err
    assert password not in printed.out + printed.err
    [report] = list(onboard_home.rglob("crash-*.txt"))
    text = report.read_text()
    assert f"RuntimeError: a library repeats what it was given: {HIDDEN}" in text
    assert found_in(text.encode(), secret_forms(password)) == []
