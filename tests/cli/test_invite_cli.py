"""`xmpp-onboard invite` and `register --invite` as real processes against the real Prosody:
invite.test (invites that let a friend sign up), contactinvite.test (contact invites only) and
open.test (no invites). The password always comes on standard input or from saved credentials."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from onboard.core.xmpp.address import ServerAddress
from tests.cli.test_fingerprints_cli import ansi_pixels
from tests.core.test_invites import invited_account, roster_of
from tests.core.test_qr import save, zbarimg
from tests.servers.prosody import ProsodyServer

COMMAND = str(Path(sys.executable).parent / "xmpp-onboard")
EXIT_NO_INVITES = 18
pytestmark = [pytest.mark.prosody, pytest.mark.timeout(300)]

MakeAccount = Callable[..., Awaitable[tuple[str, str]]]


def run(*args: str, home: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The installed command, without a controlling terminal, as a script or CI runs it."""
    env = {**os.environ, "XMPP_ONBOARD_HOME": str(home), "LANG": "C.UTF-8"}
    env.pop("LANGUAGE", None)
    return subprocess.run([COMMAND, *args], capture_output=True, text=True, env=env,
                          timeout=120, start_new_session=True, input=stdin,
                          stdin=None if stdin is not None else subprocess.DEVNULL)


def address(prosody: ProsodyServer, domain: str) -> ServerAddress:
    return ServerAddress(domain, prosody.host, prosody.starttls_port, False, prosody.ca_file)


def connection(prosody: ProsodyServer) -> list[str]:
    return ["--host", prosody.host, "--port", str(prosody.starttls_port),
            "--ca-file", str(prosody.ca_file)]


def invite(prosody: ProsodyServer, account: str, password: str, *args: str,
           home: Path) -> subprocess.CompletedProcess[str]:
    return run("invite", "--account", account, *connection(prosody), "--password-stdin", *args,
               home=home, stdin=password + "\n")


def register(prosody: ProsodyServer, domain: str, *args: str, password: str,
             home: Path) -> subprocess.CompletedProcess[str]:
    return run("register", domain, *connection(prosody), "--password-stdin", "--json", *args,
               home=home, stdin=password + "\n")


def drawings(text: str) -> list[str]:
    """Each QR code drawn in `text` (runs of half-block lines)."""
    blocks: list[list[str]] = []
    previous = False
    for line in text.splitlines():
        drawn = "▀" in line
        if drawn and not previous:
            blocks.append([])
        if drawn:
            blocks[-1].append(line)
        previous = drawn
    return ["\n".join(block) for block in blocks]


async def test_json_invite_and_a_friend_signs_up_with_it(
        prosody: ProsodyServer, onboard_home: Path) -> None:
    alice, password = await invited_account(prosody, address(prosody, "invite.test"), "alice")
    result = invite(prosody, alice, password, "--json", home=onboard_home)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"uri", "landing_url", "expires", "signup"}
    match = re.fullmatch(rf"xmpp:{re.escape(alice)}\?roster;preauth=([A-Za-z0-9_-]+);ibr=y",
                         data["uri"])
    assert match is not None, data["uri"]
    token = match.group(1)
    expected_page = f"https://invite.test/invite?{token}" if prosody.invites_page else None
    assert data["landing_url"] == expected_page
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["expires"])
    assert data["signup"] is True
    assert password not in result.stdout + result.stderr

    # The friend's side: `register --invite` with the URI; the two become contacts.
    name, friend_password = f"friend{secrets.token_hex(3)}", secrets.token_urlsafe(12)
    signed_up = register(prosody, "invite.test", "--username", name, "--invite", data["uri"],
                         password=friend_password, home=onboard_home)
    assert signed_up.returncode == 0, signed_up.stderr
    created = json.loads(signed_up.stdout)
    assert created["jid"] == f"{name}@invite.test" and created["login_verified"] is True
    assert created["invited_by"] == alice
    assert (await roster_of(prosody, created["jid"], friend_password)).get(alice) == "both"

    # Used once: a second sign-up with it is refused, with the invites' exit status.
    again = register(prosody, "invite.test", "--username", name + "x", "--invite", data["uri"],
                     password=friend_password, home=onboard_home)
    assert again.returncode == EXIT_NO_INVITES
    error = json.loads(again.stdout)["error"]
    assert (error["condition"], error["reason"]) == ("invite-invalid", "refused")
    assert not prosody.user_exists("invite.test", name + "x")


async def test_text_and_qr_codes_decode(prosody: ProsodyServer,
                                        onboard_home: Path, tmp_path: Path) -> None:
    alice, password = await invited_account(prosody, address(prosody, "invite.test"), "qr")
    text = invite(prosody, alice, password, home=onboard_home)
    assert text.returncode == 0, text.stderr
    uri = next(line for line in text.stdout.splitlines() if line.startswith("xmpp:"))
    assert uri.startswith(f"xmpp:{alice}?roster;preauth=")
    assert "you two become contacts" in text.stdout and "invite.test" in text.stdout
    assert "\x1b" not in text.stdout  # no codes without --qr

    drawn = invite(prosody, alice, password, "--qr", home=onboard_home)
    assert drawn.returncode == 0, drawn.stderr
    lines = drawn.stdout.splitlines()
    links = [line for line in lines if line.startswith(("https:", "xmpp:"))]
    codes = drawings(drawn.stdout)
    # The invite page first (any camera opens it), then the xmpp: link; each under its code.
    assert len(codes) == len(links) == (2 if prosody.invites_page else 1)
    assert links[-1].startswith(f"xmpp:{alice}?roster;preauth=") and links[-1] != uri
    for index, (code, link) in enumerate(zip(codes, links, strict=True)):
        assert zbarimg(save(ansi_pixels(code), tmp_path / f"code{index}.png")) == link
    if prosody.invites_page:
        assert links[0].startswith("https://invite.test/invite?")


async def test_a_server_without_invites(prosody: ProsodyServer, make_account: MakeAccount,
                                        onboard_home: Path) -> None:
    jid, password = await make_account("noinv")
    as_json = invite(prosody, jid, password, "--json", home=onboard_home)
    assert as_json.returncode == EXIT_NO_INVITES
    error = json.loads(as_json.stdout)["error"]
    assert (error["condition"], error["reason"]) == ("invites-unavailable", "missing")
    text = invite(prosody, jid, password, home=onboard_home)
    assert text.returncode == EXIT_NO_INVITES and text.stdout == ""
    assert text.stderr.startswith("Error: open.test does not offer invites.")
    assert "Traceback" not in text.stderr


async def test_wrong_password(prosody: ProsodyServer,
                              onboard_home: Path) -> None:
    alice, _password = await invited_account(prosody, address(prosody, "invite.test"), "wrong")
    result = invite(prosody, alice, "not-the-password", "--json", home=onboard_home)
    assert result.returncode == 10
    assert json.loads(result.stdout)["error"]["condition"] == "login-failed"


async def test_saved_credentials_are_used(prosody: ProsodyServer,
                                          onboard_home: Path) -> None:
    """invited_account saved the credentials in onboard_home, with where it was created."""
    alice, _password = await invited_account(prosody, address(prosody, "invite.test"), "saved")
    result = run("invite", "--account", alice, "--ca-file", str(prosody.ca_file), "--json",
                 home=onboard_home)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["uri"].startswith(f"xmpp:{alice}?roster;preauth=")


async def test_a_contact_invite_is_not_for_signing_up(prosody: ProsodyServer,
                                                      onboard_home: Path) -> None:
    carol, password = await invited_account(prosody, address(prosody, "contactinvite.test"),
                                            "carol")
    result = invite(prosody, carol, password, "--json", home=onboard_home)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["signup"] is False and data["landing_url"] is None
    assert ";ibr=y" not in data["uri"]
    text = invite(prosody, carol, password, home=onboard_home)
    assert "not new accounts" in text.stdout

    # Refused before anything is sent: the invite says it is not for signing up.
    refused = register(prosody, "contactinvite.test", "--username", "dan", "--invite",
                       data["uri"], password="a-long-password-1", home=onboard_home)
    assert refused.returncode == EXIT_NO_INVITES
    error = json.loads(refused.stdout)["error"]
    assert (error["condition"], error["reason"]) == ("invite-invalid", "contact-only")
    assert carol in error["message"]


async def test_register_with_an_admins_invite_and_without_one(prosody: ProsodyServer,
                                                              onboard_home: Path) -> None:
    token = prosody.account_invite("invite.test")
    name = f"solo{secrets.token_hex(3)}"
    created = register(prosody, "invite.test", "--username", name, "--invite",
                       f"xmpp:invite.test?register;preauth={token}",
                       password="a-long-password-1", home=onboard_home)
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["invited_by"] is None
    assert prosody.user_exists("invite.test", name)

    uninvited = register(prosody, "invite.test", "--username", name + "x",
                         password="a-long-password-1", home=onboard_home)
    assert uninvited.returncode == 5
    assert json.loads(uninvited.stdout)["error"]["condition"] == "invite-required"


def test_options_are_checked_before_anything_is_sent(onboard_home: Path) -> None:
    both = run("invite", "--account", "alice@invite.test", "--json", "--qr", home=onboard_home)
    assert both.returncode == 2 and both.stdout == ""
    assert both.stderr.startswith("usage:") and "--qr" in both.stderr
    no_account = run("invite", home=onboard_home)
    assert no_account.returncode == 2 and "--account" in no_account.stderr
    bad_jid = run("invite", "--account", "not-an-address", "--password-stdin", "--json",
                  home=onboard_home, stdin="pw\n")
    assert bad_jid.returncode == 2
    assert json.loads(bad_jid.stdout)["error"]["condition"] == "invalid-input"
    # An invite that is not one, or for another server than DOMAIN: nothing is sent.
    for uri in ("https://example.org/invite?abc", "xmpp:other.test?register;preauth=abc"):
        wrong = run("register", "invite.test", "--invite", uri, "--password-stdin", "--json",
                    "--host", "127.0.0.1", "--port", "1", home=onboard_home, stdin="pw-long-1\n")
        assert wrong.returncode == 2, wrong.stdout + wrong.stderr
        assert json.loads(wrong.stdout)["error"]["condition"] == "invalid-input"
    assert "invite" in run("--help", home=onboard_home).stdout
