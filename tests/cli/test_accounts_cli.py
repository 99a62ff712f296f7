"""`xmpp-onboard accounts` as a script uses it: a real process, against the real Prosody."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from onboard.core import accounts
from onboard.core.accounts import SavedAccount
from tests.servers.prosody import ProsodyServer

COMMAND = str(Path(sys.executable).parent / "xmpp-onboard")
PASSWORD = "accounts-cli-password-long"
pytestmark = pytest.mark.prosody


def run(*args: str, home: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XMPP_ONBOARD_HOME": str(home), "LANG": "C.UTF-8"}
    env.pop("LANGUAGE", None)
    return subprocess.run([COMMAND, *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=60, start_new_session=True)


def fresh(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(4)}"


def register(prosody: ProsodyServer, home: Path, username: str) -> str:
    result = run("register", "open.test", "--host", prosody.host, "--port",
                 str(prosody.starttls_port), "--ca-file", str(prosody.ca_file), "--username",
                 username, "--password-stdin", "--json", stdin=PASSWORD + "\n", home=home)
    assert result.returncode == 0, result.stdout + result.stderr
    return str(json.loads(result.stdout)["jid"])


def pending(prosody: ProsodyServer, username: str, *, port: int | None = None) -> SavedAccount:
    """A pending file as a registration killed before its request leaves behind."""
    account = SavedAccount(jid=f"{username}@open.test", password=PASSWORD, domain="open.test",
                           host=prosody.host, port=port or prosody.starttls_port,
                           status="pending")
    accounts.save(account)
    return account


def test_an_empty_list(onboard_home: Path) -> None:
    plain = run("accounts", home=onboard_home)
    assert plain.returncode == 0 and "No accounts are saved" in plain.stdout
    as_json = run("accounts", "--json", home=onboard_home)
    assert json.loads(as_json.stdout) == {"accounts": []}
    nothing = run("accounts", "--check", "--json", home=onboard_home)
    assert nothing.returncode == 0 and json.loads(nothing.stdout) == {"checked": []}


def test_the_list_shows_status_and_never_a_password(prosody: ProsodyServer,
                                                    onboard_home: Path) -> None:
    jid = register(prosody, onboard_home, fresh("list"))
    waiting = pending(prosody, fresh("waiting-for-an-answer"))  # a longer address
    listed = run("accounts", "--json", home=onboard_home)
    assert listed.returncode == 0
    assert PASSWORD not in listed.stdout + listed.stderr
    rows = {row["jid"]: row for row in json.loads(listed.stdout)["accounts"]}
    assert set(rows) == {jid, waiting.jid}
    assert (rows[jid]["status"], rows[jid]["login_verified"]) == ("created", True)
    assert (rows[waiting.jid]["status"], rows[waiting.jid]["login_verified"]) == ("pending",
                                                                                  False)
    assert rows[waiting.jid]["credentials_file"].endswith(".pending.json")
    assert str(rows[jid]["created_at"]).endswith("Z")
    plain = run("accounts", home=onboard_home)
    assert PASSWORD not in plain.stdout
    words = {line.split()[0]: " ".join(line.split()[1:-1]) for line in plain.stdout.splitlines()
             if "@" in line}
    assert words == {jid: "created login verified",
                     waiting.jid: "pending login not verified"}
    assert "accounts --check" in plain.stdout
    lines = plain.stdout.splitlines()
    # The columns line up whatever the lengths of the addresses.
    assert [line.index("created") for line in lines if line.startswith(jid)] == [
        line.index("pending") for line in lines if line.startswith(waiting.jid)]


def test_check_settles_a_pending_file_the_server_never_acted_on(prosody: ProsodyServer,
                                                                onboard_home: Path) -> None:
    waiting = pending(prosody, fresh("never"))
    checked = run("accounts", "--check", "--json", "--ca-file", str(prosody.ca_file),
                  home=onboard_home)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    [result] = json.loads(checked.stdout)["checked"]
    assert (result["jid"], result["outcome"]) == (waiting.jid, "not-created")
    assert "never created" in result["message"]
    assert not accounts.account_file(waiting.jid, pending=True).exists()
    assert accounts.list_saved() == []


def test_check_with_no_answer_keeps_the_file_and_exits_7(prosody: ProsodyServer,
                                                         onboard_home: Path) -> None:
    waiting = pending(prosody, fresh("down"), port=1)  # nothing listens there
    checked = run("accounts", "--check", "--ca-file", str(prosody.ca_file), home=onboard_home)
    assert checked.returncode == 7, checked.stdout + checked.stderr
    assert "could not be checked" in checked.stdout and "check again later" in checked.stdout
    assert "Traceback" not in checked.stderr
    assert accounts.account_file(waiting.jid, pending=True).exists()
    # --host/--port override where the file says to connect: now it is settled.
    again = run("accounts", "--check", waiting.jid, "--json", "--host", prosody.host, "--port",
                str(prosody.starttls_port), "--ca-file", str(prosody.ca_file), home=onboard_home)
    assert again.returncode == 0, again.stdout + again.stderr
    assert [r["outcome"] for r in json.loads(again.stdout)["checked"]] == ["not-created"]


def test_check_one_jid_confirms_a_created_account(prosody: ProsodyServer,
                                                  onboard_home: Path) -> None:
    username = fresh("made")
    jid = register(prosody, onboard_home, username)
    # As if the login check had not happened: created, not verified.
    saved = accounts.load(accounts.account_file(jid))
    saved.login_verified = False
    accounts.save(saved)
    other = pending(prosody, fresh("other"))
    checked = run("accounts", "--check", jid, "--json", "--ca-file", str(prosody.ca_file),
                  home=onboard_home)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    [result] = json.loads(checked.stdout)["checked"]
    assert (result["jid"], result["outcome"]) == (jid, "created")
    assert PASSWORD not in checked.stdout
    assert accounts.load(accounts.account_file(jid)).login_verified is True
    assert accounts.account_file(other.jid, pending=True).exists()  # only JID was checked


def test_check_of_an_address_not_saved_here_exits_2(onboard_home: Path) -> None:
    checked = run("accounts", "--check", "nobody@example.org", "--json", home=onboard_home)
    assert checked.returncode == 2
    error = json.loads(checked.stdout)["error"]
    assert error["condition"] == "invalid-input" and "nobody@example.org" in error["message"]
    bad = run("accounts", "--check", "not an address", home=onboard_home)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_a_bad_timeout_is_refused(onboard_home: Path) -> None:
    refused = run("accounts", "--check", "--timeout", "0", home=onboard_home)
    assert refused.returncode == 2 and "--timeout" in refused.stderr
