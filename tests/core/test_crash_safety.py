"""A registration killed with SIGKILL at each step, then a restart that settles what is left.

The real command (`python -m onboard register …`) runs in a subprocess through
tests/servers/kill_at.py, which kills it at one step boundary. Then the real Prosody says whether
the account exists, and a restart (the recovery core in this process, and `xmpp-onboard
accounts --check --json` in a new one) must see exactly one of: no account and nothing left to
offer (or a pending offer that resolves to not-created, and its file goes), or an account whose
credentials are on disk, offered and resolved to created, whose password logs in.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import secrets
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from onboard.core import accounts, recovery
from onboard.core.accounts import SavedAccount
from onboard.core.errors import ConnectionRefusedError_, LoginFailedError, TlsError
from onboard.core.network import DirectNetwork
from onboard.core.recovery import Outcome
from onboard.core.xmpp.address import ServerAddress
from onboard.core.xmpp.registration import verify_login
from tests.servers.prosody import ProsodyServer

pytestmark = [pytest.mark.prosody, pytest.mark.timeout(180)]

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "tests" / "servers" / "kill_at.py"
PASSWORD = "crash-safe-password-42"
DOMAIN = "open.test"
MakeAccount = Callable[[str], Awaitable[tuple[str, str]]]


@dataclasses.dataclass(frozen=True)
class Expected:
    created: bool  # on the server
    offered: str | None  # what the restart offers: the file's status, or nothing
    leftover_temp: bool = False  # a temp file of an interrupted atomic write


EXPECTED = {
    "before-pending": Expected(created=False, offered=None),
    "before-request": Expected(created=False, offered="pending"),
    "after-answer": Expected(created=True, offered="pending"),
    "mid-pending-write": Expected(created=False, offered=None, leftover_temp=True),
    "mid-confirm-write": Expected(created=True, offered="pending", leftover_temp=True),
    "after-confirm": Expected(created=True, offered="created"),
    "after-all": Expected(created=True, offered=None),
}


def environment(home: Path) -> dict[str, str]:
    env = {**os.environ, "XMPP_ONBOARD_HOME": str(home), "LANG": "C.UTF-8"}
    env.pop("LANGUAGE", None)
    return env


def register_killed(point: str, prosody: ProsodyServer, home: Path,
                    username: str) -> subprocess.CompletedProcess[str]:
    args = ["register", DOMAIN, "--host", prosody.host, "--port", str(prosody.starttls_port),
            "--ca-file", str(prosody.ca_file), "--username", username, "--password-stdin",
            "--json"]
    return subprocess.run([sys.executable, str(HARNESS), point, "--", *args],
                          input=PASSWORD + "\n", capture_output=True, text=True, cwd=ROOT,
                          env=environment(home), timeout=90, start_new_session=True)


def onboard_command(prosody: ProsodyServer, home: Path,
                    *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "onboard", *args, "--ca-file",
                           str(prosody.ca_file)], capture_output=True, text=True, cwd=ROOT,
                          env=environment(home), timeout=90, start_new_session=True)


def accounts_folder(home: Path) -> Path:
    return home / "data" / "accounts"


def temp_files(home: Path) -> list[Path]:
    folder = accounts_folder(home)
    return sorted(folder.glob(".*.tmp")) if folder.is_dir() else []


def assert_no_half_written_file_is_read(home: Path, jid: str) -> None:
    """Every `*.json` there is a whole, valid account file; the only other files are temp
    files, which are never listed."""
    folder = accounts_folder(home)
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.name.endswith(".tmp"):
            assert path.name.startswith("."), path
            continue
        loaded = accounts.load(path)
        assert (loaded.jid, loaded.password) == (jid, PASSWORD)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert all(account.jid == jid for account in accounts.list_saved())


async def resolve_with_core(prosody: ProsodyServer) -> list[dict[str, object]]:
    results = []
    for account in recovery.find_unfinished():
        result = await recovery.check_unfinished(account, DirectNetwork(), timeout=10,
                                                 ca_file=prosody.ca_file)
        results.append(result.to_json())
    return results


def resolve_with_cli(prosody: ProsodyServer, home: Path) -> list[dict[str, object]]:
    checked = onboard_command(prosody, home, "accounts", "--check", "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert PASSWORD not in checked.stdout + checked.stderr
    results: list[dict[str, object]] = json.loads(checked.stdout)["checked"]
    return results


@pytest.mark.parametrize("resolver", ["cli", "core"])
@pytest.mark.parametrize("point", list(EXPECTED))
async def test_killed_registration_is_settled_on_restart(prosody: ProsodyServer,
                                                        onboard_home: Path, point: str,
                                                        resolver: str) -> None:
    expected = EXPECTED[point]
    username = f"kill{secrets.token_hex(4)}"
    jid = f"{username}@{DOMAIN}"

    killed = await asyncio.to_thread(register_killed, point, prosody, onboard_home, username)

    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert f"killed at {point}" in killed.stderr
    assert prosody.user_exists(DOMAIN, username) is expected.created
    assert_no_half_written_file_is_read(onboard_home, jid)
    assert bool(temp_files(onboard_home)) is expected.leftover_temp

    # The restart: what the recovery core offers, then one login settles it.
    offered = recovery.find_unfinished()
    assert [(a.jid, a.status) for a in offered] == (
        [(jid, expected.offered)] if expected.offered else [])
    if resolver == "cli":
        results = await asyncio.to_thread(resolve_with_cli, prosody, onboard_home)
    else:
        results = await resolve_with_core(prosody)
    if expected.offered is None:
        assert results == []
    else:
        outcome = "created" if expected.created else "not-created"
        assert [(r["jid"], r["outcome"]) for r in results] == [(jid, outcome)]
    assert recovery.find_unfinished() == []

    saved = accounts.list_saved()
    if not expected.created:
        assert saved == []  # nothing offered any more, nothing that could be mistaken
        return
    assert [(a.jid, a.status, a.login_verified) for a in saved] == [(jid, "created", True)]
    assert saved[0].password == PASSWORD
    assert not accounts.account_file(jid, pending=True).exists()
    address = ServerAddress(DOMAIN, prosody.host, prosody.starttls_port, False,
                            prosody.ca_file)
    await verify_login(jid, saved[0].password, address, DirectNetwork(), timeout=10)


@pytest.mark.parametrize("point", ["mid-pending-write", "mid-confirm-write"])
def test_a_leftover_temp_file_is_harmless_and_cleaned_up(prosody: ProsodyServer,
                                                         onboard_home: Path,
                                                         point: str) -> None:
    username = f"tmp{secrets.token_hex(4)}"
    killed = register_killed(point, prosody, onboard_home, username)
    assert killed.returncode == -signal.SIGKILL
    [leftover] = temp_files(onboard_home)
    # A complete copy of the file it was to become (the password included), never listed.
    assert json.loads(leftover.read_text())["password"] == PASSWORD
    listed = onboard_command(prosody, onboard_home, "accounts", "--json")
    assert all(not a["credentials_file"].endswith(".tmp")
               for a in json.loads(listed.stdout)["accounts"])

    # Fresh, it may still be another process's write under way: it stays.
    onboard_command(prosody, onboard_home, "accounts", "--check", "--json")
    assert leftover.exists()
    old = time.time() - 2 * recovery.STALE_TEMP_AGE
    os.utime(leftover, (old, old))
    checked = onboard_command(prosody, onboard_home, "accounts", "--check", "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert temp_files(onboard_home) == []


# --- what a check must never do ------------------------------------------------------------------


@pytest.fixture
def open_test(prosody: ProsodyServer) -> ServerAddress:
    return ServerAddress(DOMAIN, prosody.host, prosody.starttls_port, False, prosody.ca_file)


def saved_for(address: ServerAddress, jid: str, password: str, status: str) -> SavedAccount:
    account = SavedAccount(jid=jid, password=password, domain=address.domain, host=address.host,
                           port=address.port, status=status)
    accounts.save(account)
    return account


async def test_a_confirmed_file_is_never_removed_when_the_login_is_refused(
        make_account: MakeAccount, open_test: ServerAddress) -> None:
    jid, _password = await make_account("kept")
    confirmed = saved_for(open_test, jid, "not-the-password-at-all", "created")
    result = await recovery.check_unfinished(confirmed, DirectNetwork(), timeout=10,
                                             ca_file=open_test.ca_file)
    assert result.outcome is Outcome.UNKNOWN
    assert isinstance(result.error, LoginFailedError)
    assert result.error.sasl_condition == "not-authorized"
    assert accounts.load(accounts.account_file(jid)).password == "not-the-password-at-all"


async def test_a_stale_pending_file_goes_but_the_confirmed_one_beside_it_stays(
        make_account: MakeAccount, open_test: ServerAddress) -> None:
    """A second attempt at a taken name, killed before its answer was handled."""
    jid, password = await make_account("twice")
    pending = saved_for(open_test, jid, "a-later-attempts-password", "pending")
    assert [a.status for a in recovery.find_unfinished()] == ["pending"]
    result = await recovery.check_unfinished(pending, DirectNetwork(), timeout=10,
                                             ca_file=open_test.ca_file)
    assert result.outcome is Outcome.NOT_CREATED
    assert not accounts.account_file(jid, pending=True).exists()
    assert accounts.load(accounts.account_file(jid)).password == password


async def test_no_answer_keeps_the_file_and_says_what_to_try(
        open_test: ServerAddress) -> None:
    closed_port = ServerAddress(DOMAIN, "127.0.0.1", 1, False, open_test.ca_file)
    pending = saved_for(closed_port, f"nobody{secrets.token_hex(3)}@{DOMAIN}", PASSWORD,
                        "pending")
    result = await recovery.check_unfinished(pending, DirectNetwork(), timeout=5,
                                             ca_file=open_test.ca_file)
    assert result.outcome is Outcome.UNKNOWN
    assert isinstance(result.error, ConnectionRefusedError_)
    assert result.error.exit_code == 7
    assert accounts.account_file(pending.jid, pending=True).exists()
    assert "check again later" in result.hint and str(result.credentials_file) in result.hint


async def test_an_untrusted_certificate_keeps_the_file(open_test: ServerAddress) -> None:
    pending = saved_for(open_test, f"nobody{secrets.token_hex(3)}@{DOMAIN}", PASSWORD,
                        "pending")
    result = await recovery.check_unfinished(pending, DirectNetwork(), timeout=10,
                                             ca_file=None)  # the test CA is not trusted
    assert result.outcome is Outcome.UNKNOWN
    assert isinstance(result.error, TlsError)
    assert accounts.account_file(pending.jid, pending=True).exists()
