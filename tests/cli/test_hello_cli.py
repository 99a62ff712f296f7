"""`xmpp-onboard hello` as a real process against the real Prosody, with a real slixmpp-omemo
friend online in the test that decrypts what arrives."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from onboard.core.network import DirectNetwork
from onboard.core.omemo.hello import default_text
from onboard.core.xmpp.address import ServerAddress
from onboard.core.xmpp.registration import RegistrationSession
from tests.servers.omemo_devices import OmemoFriend, PepSession
from tests.servers.prosody import ProsodyServer

COMMAND = str(Path(sys.executable).parent / "xmpp-onboard")
pytestmark = [
    pytest.mark.prosody,
    pytest.mark.filterwarnings("ignore:Accessing plugins through the XMPP:DeprecationWarning"),
]

RESULT_KEYS = {"account", "to", "text", "device", "recipient_devices", "own_devices", "verified",
               "changed", "skipped", "delivered", "delivery_error", "device_removed",
               "keys_file", "removal_error", "seconds"}
DEVICE_KEYS = {"jid", "device_id", "fingerprint", "status", "own"}


async def new_account(prosody: ProsodyServer, prefix: str) -> tuple[str, str]:
    """A fresh account on open.test; its credentials are saved in the test's data folder."""
    name = f"{prefix}{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(12)
    address = ServerAddress("open.test", prosody.host, prosody.starttls_port, False,
                            prosody.ca_file)
    session = RegistrationSession(address, DirectNetwork(), timeout=10)
    try:
        await session.open()
        account = await session.submit({"username": [name], "password": [password]})
    finally:
        await session.close()
    return account.jid, password


def server_args(prosody: ProsodyServer) -> list[str]:
    return ["--host", prosody.host, "--port", str(prosody.starttls_port),
            "--ca-file", str(prosody.ca_file)]


async def hello(*args: str, home: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run the command without a controlling terminal, as a script or CI would, while the
    test's own clients keep running in this event loop."""
    argv = [COMMAND, "hello", *args]
    env = {**os.environ, "XMPP_ONBOARD_HOME": str(home), "LANG": "C.UTF-8"}
    env.pop("LANGUAGE", None)
    process = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=env, start_new_session=True)
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), 60)
    assert process.returncode is not None
    return subprocess.CompletedProcess(argv, process.returncode, out.decode(), err.decode())


async def test_json_output_and_the_friend_decrypts_it(prosody: ProsodyServer,
                                                      onboard_home: Path) -> None:
    alice, password = await new_account(prosody, "alice")
    bob, bob_password = await new_account(prosody, "bob")
    async with OmemoFriend(prosody, bob, bob_password) as friend:
        result = await hello(bob, "--account", alice, "--password-stdin", *server_args(prosody),
                             "--json", home=onboard_home, stdin=password + "\n")
        received = await friend.next_message()
    assert result.returncode == 0, result.stdout + result.stderr
    assert not any(password in arg for arg in result.args)  # never on the command line
    assert password not in result.stdout + result.stderr
    assert result.stderr == ""  # no progress lines with --json

    data = json.loads(result.stdout)
    assert set(data) == RESULT_KEYS
    assert data["account"] == alice and data["to"] == bob and data["text"] == default_text()
    assert set(data["device"]) == {"id", "fingerprint"} and len(data["device"]["fingerprint"]) == 64
    [device] = data["recipient_devices"]
    assert set(device) == DEVICE_KEYS
    assert device == {"jid": bob, "device_id": friend.device_id,
                      "fingerprint": friend.fingerprint, "status": "unverified", "own": False}
    assert data["own_devices"] == [] and data["skipped"] == []
    assert data["verified"] == 0 and data["changed"] == 0
    assert data["delivered"] is True and data["delivery_error"] is None
    assert data["device_removed"] is True and data["keys_file"] is None
    assert data["removal_error"] is None
    assert isinstance(data["seconds"], float)

    assert received.text == default_text()
    assert received.sender_device == data["device"]["id"]
    assert default_text() not in received.raw
    async with PepSession(prosody, alice, password) as pep:
        assert data["device"]["id"] not in await pep.old_device_ids(alice)
        assert data["device"]["id"] not in await pep.new_device_ids(alice)
    assert list((onboard_home / "data" / "omemo-keys").iterdir()) == []


async def test_saved_credentials_plain_report_and_a_kept_device(prosody: ProsodyServer,
                                                                onboard_home: Path) -> None:
    alice, password = await new_account(prosody, "alice")
    bob, bob_password = await new_account(prosody, "bob")
    async with OmemoFriend(prosody, bob, bob_password) as friend:
        result = await hello(bob, "--account", alice, *server_args(prosody), "--keep-device",
                             "--text", "hi from the command line", home=onboard_home)
        received = await friend.next_message()
    assert result.returncode == 0, result.stdout + result.stderr
    assert received.text == "hi from the command line"
    out = result.stdout
    assert out.startswith(f"Sent an end-to-end encrypted test message to {bob}.")
    assert f"encrypted for 1 device of {bob}; you have verified 0 of them" in out
    assert f"device {friend.device_id}: {friend.fingerprint[:8]} " in out
    assert "(not verified)" in out and "Their app confirmed" in out
    assert "stays on your account, as asked" in out
    assert "Waiting up to 20 s" in result.stderr  # progress goes to stderr
    [path] = (onboard_home / "data" / "omemo-keys").iterdir()
    assert str(path) in out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert password not in out + result.stderr + path.read_text()


async def test_recipient_without_omemo_exit_status_and_nothing_published(
        prosody: ProsodyServer, onboard_home: Path) -> None:
    alice, password = await new_account(prosody, "alice")
    carol, _carol_password = await new_account(prosody, "carol")
    result = await hello(carol, "--account", alice, "--password-stdin", *server_args(prosody),
                         "--json", home=onboard_home, stdin=password + "\n")
    assert result.returncode == 16, result.stdout + result.stderr
    error = json.loads(result.stdout)["error"]
    assert error["condition"] == "no-omemo" and error["reason"] == "none"
    assert error["jid"] == carol and "Nothing was published" in error["message"]
    assert error["hint"]
    async with PepSession(prosody, alice, password) as pep:
        assert await pep.old_device_ids(alice) == [] and await pep.new_device_ids(alice) == []
    plain = await hello(carol, "--account", alice, *server_args(prosody), home=onboard_home)
    assert plain.returncode == 16
    assert plain.stderr.splitlines()[-1].startswith("Error: ")
    assert "Traceback" not in plain.stderr


async def test_wrong_password_and_no_password(prosody: ProsodyServer,
                                              onboard_home: Path) -> None:
    alice, _password = await new_account(prosody, "alice")
    wrong = "wrong-horse-battery-staple"
    result = await hello("bob@open.test", "--account", alice, "--password-stdin",
                         *server_args(prosody), "--json", home=onboard_home,
                         stdin=wrong + "\n")
    assert result.returncode == 10, result.stdout + result.stderr
    error = json.loads(result.stdout)["error"]
    assert error["condition"] == "login-failed" and alice in error["message"]
    assert wrong not in result.stdout + result.stderr

    # Not saved here, no option, no terminal: a clear error, nothing asked.
    unknown = await hello("bob@open.test", "--account", "nobody@open.test",
                          *server_args(prosody), home=onboard_home)
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("Error: No password for nobody@open.test")
    assert "--password-stdin" in unknown.stderr


async def test_help_and_refused_options(onboard_home: Path) -> None:
    helped = await hello("--help", home=onboard_home)
    assert helped.returncode == 0
    assert "--password-stdin" in helped.stdout and "--keep-device" in helped.stdout
    assert "--password " not in helped.stdout  # never a password on the command line
    assert "Exit status" in helped.stdout and "17" in helped.stdout
    refused = await hello("bob@open.test", "--account", "a@open.test", "--password", "secret",
                          home=onboard_home)
    assert refused.returncode == 2
    bad = await hello("not an address", "--account", "a@open.test", "--password-stdin",
                      home=onboard_home, stdin="pw\n")
    assert bad.returncode == 2 and bad.stderr.startswith("Error: ")
    waits = await hello("bob@open.test", "--account", "a@open.test", "--wait", "-1",
                        "--password-stdin", home=onboard_home, stdin="pw\n")
    assert waits.returncode == 2 and "--wait" in waits.stderr
