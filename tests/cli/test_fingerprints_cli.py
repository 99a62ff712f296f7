"""`xmpp-onboard fingerprints` as a real process against the real Prosody, with real OMEMO
devices made by slixmpp-omemo (tests/servers/omemo_devices.py).

Every fingerprint shown is compared with the one the library computes for its own device and
with the one computed here from the raw published bundles. The password always comes on standard
input (or from the saved credentials), never from the command line.
"""

from __future__ import annotations

import base64
import json
import os
import pty
import re
import select
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import xeddsa

from tests.core.test_qr import save, zbarimg
from tests.servers.local import closed_port
from tests.servers.omemo_devices import (
    NEW_BUNDLES,
    NS_NEW,
    NS_OLD,
    MadeDevice,
    PepSession,
    b64,
    make_device,
    new_bundle,
    new_identity,
    old_bundle_node,
    random_device_id,
)
from tests.servers.prosody import ProsodyServer

COMMAND = str(Path(sys.executable).parent / "xmpp-onboard")
EXIT_DIFFERENT = 15
pytestmark = [
    pytest.mark.prosody,
    pytest.mark.timeout(300),
    # slixmpp-omemo 2.2 itself uses slixmpp's deprecated plugin access.
    pytest.mark.filterwarnings("ignore:Accessing plugins through the XMPP:DeprecationWarning"),
]

MakeAccount = Callable[..., Awaitable[tuple[str, str]]]


def run(*args: str, home: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The installed command, without a controlling terminal, as a script or CI runs it."""
    env = {**os.environ, "XMPP_ONBOARD_HOME": str(home), "LANG": "C.UTF-8"}
    env.pop("LANGUAGE", None)
    return subprocess.run([COMMAND, *args], capture_output=True, text=True, env=env,
                          timeout=120, start_new_session=True, input=stdin,
                          stdin=None if stdin is not None else subprocess.DEVNULL)


def connection(prosody: ProsodyServer) -> list[str]:
    return ["--host", prosody.host, "--port", str(prosody.starttls_port),
            "--ca-file", str(prosody.ca_file)]


def fingerprints(prosody: ProsodyServer, account: str, password: str, *args: str,
                 home: Path) -> subprocess.CompletedProcess[str]:
    return run("fingerprints", *args, "--account", account, *connection(prosody),
               "--password-stdin", home=home, stdin=password + "\n")


def groups(fingerprint: str) -> str:
    return " ".join(fingerprint[i:i + 8] for i in range(0, 64, 8))


async def published_fingerprints(prosody: ProsodyServer,
                                 jid: str, password: str) -> tuple[set[str], set[str]]:
    """`jid`'s fingerprints computed here from the raw published keys, without onboard: (from
    each OMEMO 0.3 bundle, from each OMEMO 2 bundle)."""
    async with PepSession(prosody, jid, password) as pep:
        old_keys = [base64.b64decode((await pep.items(jid, old_bundle_node(device_id)))[0]
                                     .findtext(f"{{{NS_OLD}}}identityKey") or "")
                    for device_id in await pep.old_device_ids(jid)]
        new_keys = [base64.b64decode(item.findtext(f"{{{NS_NEW}}}ik") or "")
                    for item in await pep.items(jid, NEW_BUNDLES)]
    assert all(key[0] == 5 and len(key) == 33 for key in old_keys)
    return ({key[1:].hex() for key in old_keys},
            {xeddsa.ed25519_pub_to_curve25519_pub(key).hex() for key in new_keys})


def by_id(row: dict[str, object]) -> int:
    return int(str(row["device_id"]))


def rows(devices: list[MadeDevice], status: str = "unverified") -> list[dict[str, object]]:
    """The --json list for real slixmpp-omemo devices: each in both namespaces."""
    return [{"namespace": namespace, "device_id": device.device_id,
             "fingerprint": device.fingerprint, "label": None, "status": status}
            for device in sorted(devices, key=lambda d: d.device_id)
            for namespace in (NS_OLD, NS_NEW)]


def conversations_link(jid: str, devices: dict[int, str]) -> str:
    return f"xmpp:{jid}?" + ";".join(f"omemo-sid-{i}={fp}" for i, fp in devices.items())


def gajim_link(jid: str, devices: dict[int, str]) -> str:
    return f"xmpp:{jid}?message;" + ";".join(f"omemo-sid-{i}={fp}" for i, fp in devices.items())


def verified_file(home: Path) -> Path:
    return home / "data" / "omemo-verified.json"


# --- reading devices ---------------------------------------------------------------------------


async def test_own_devices_in_both_namespaces(prosody: ProsodyServer, make_account: MakeAccount,
                                              onboard_home: Path) -> None:
    alice, password = await make_account("alice")
    made = [await make_device(prosody, alice, password) for _ in range(2)]
    old, new = await published_fingerprints(prosody, alice, password)
    assert old == new == {device.fingerprint for device in made}

    as_json = fingerprints(prosody, alice, password, "--json", home=onboard_home)
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == rows(made)
    assert as_json.stderr == ""

    text = fingerprints(prosody, alice, password, home=onboard_home)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith(f"Your own OMEMO devices ({alice}):")
    for device in made:
        block = (f"Device {device.device_id} (OMEMO 0.3 and OMEMO 2)\n"
                 f"  {groups(device.fingerprint)}\n  not verified\n")
        assert block in text.stdout
    assert password not in text.stdout + text.stderr + as_json.stdout + as_json.stderr


async def test_a_friends_devices_with_a_label(prosody: ProsodyServer, make_account: MakeAccount,
                                              onboard_home: Path) -> None:
    alice, alice_password = await make_account("alice")
    bob, bob_password = await make_account("bob")
    made = await make_device(prosody, alice, alice_password)
    kaidan = random_device_id()
    ed25519, curve25519 = new_identity()
    async with PepSession(prosody, alice, alice_password) as pep:
        await pep.add_new_device(kaidan, b64(ed25519), label="Kaidan on the phone")

    result = fingerprints(prosody, bob, bob_password, alice, "--json", home=onboard_home)
    assert result.returncode == 0, result.stderr
    expected = [*rows([made]), {"namespace": NS_NEW, "device_id": kaidan,
                                "fingerprint": curve25519.hex(), "label": "Kaidan on the phone",
                                "status": "unverified"}]
    assert json.loads(result.stdout) == sorted(expected, key=by_id)

    text = fingerprints(prosody, bob, bob_password, alice, home=onboard_home)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith(f"OMEMO devices of {alice}, seen from {bob}:")
    assert (f"Device {kaidan} (OMEMO 2) “Kaidan on the phone”\n  {groups(curve25519.hex())}\n"
            "  not verified") in text.stdout
    assert f"Device {made.device_id} (OMEMO 0.3 and OMEMO 2)\n" in text.stdout


async def test_saved_credentials_are_used_without_a_password_option(
        prosody: ProsodyServer, make_account: MakeAccount, onboard_home: Path,
        tmp_path: Path) -> None:
    alice, password = await make_account("alice")  # saves its credentials in onboard_home
    made = await make_device(prosody, alice, password)
    # No --host or --port either: the saved account says where it was created.
    result = run("fingerprints", "--account", alice, "--ca-file", str(prosody.ca_file),
                 "--json", home=onboard_home)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == rows([made])

    # Without saved credentials and without a terminal: a clear error, no prompt, no traceback.
    empty = tmp_path / "empty-home"
    missing = run("fingerprints", "--account", alice, *connection(prosody), "--json",
                  home=empty)
    assert missing.returncode == 2
    error = json.loads(missing.stdout)["error"]
    assert error["condition"] == "invalid-input"
    assert "--password-stdin" in error["message"] and alice in error["message"]
    assert "Traceback" not in missing.stderr


async def test_on_a_terminal_the_password_is_asked(prosody: ProsodyServer,
                                                   make_account: MakeAccount,
                                                   tmp_path: Path) -> None:
    """No password option and nothing saved: on a real terminal (a pty) it is asked, hidden."""
    alice, password = await make_account("alice")
    env = {**os.environ, "XMPP_ONBOARD_HOME": str(tmp_path / "nothing-saved"), "LANG": "C.UTF-8"}
    env.pop("LANGUAGE", None)
    pid, fd = pty.fork()
    if pid == 0:  # the child: its controlling terminal is the pty
        os.execve(COMMAND, [COMMAND, "fingerprints", "--account", alice, *connection(prosody)],
                  env)
    screen = b""

    def expect(text: bytes, timeout: float = 20) -> None:
        nonlocal screen
        deadline = time.monotonic() + timeout
        while text not in screen:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"waited for {text!r}; screen: {screen[-800:]!r}"
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                try:
                    screen += os.read(fd, 65536)
                except OSError:
                    break

    try:
        expect(f"Password of {alice}: ".encode())
        os.write(fd, password.encode() + b"\r")
        expect(b"This account has no OMEMO encryption keys yet")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
    assert password.encode() not in screen  # not echoed


async def test_wrong_password_is_a_login_error(prosody: ProsodyServer, make_account: MakeAccount,
                                               onboard_home: Path) -> None:
    alice, _password = await make_account("alice")
    wrong = "not-the-password-at-all"
    as_json = fingerprints(prosody, alice, wrong, "--json", home=onboard_home)
    assert as_json.returncode == 10, as_json.stdout + as_json.stderr
    error = json.loads(as_json.stdout)["error"]
    assert error["condition"] == "login-failed"
    assert error["message"].startswith(f"Logging in as {alice} did not work")
    assert error["hint"]
    text = fingerprints(prosody, alice, wrong, home=onboard_home)
    assert text.returncode == 10
    assert text.stdout == "" and text.stderr.count("\n") == 1
    assert text.stderr.startswith("Error: Logging in as")
    assert wrong not in as_json.stdout + as_json.stderr + text.stderr


async def test_no_omemo_gives_advice(prosody: ProsodyServer, make_account: MakeAccount,
                                     onboard_home: Path) -> None:
    carol, password = await make_account("carol")
    bob, bob_password = await make_account("bob")
    own = fingerprints(prosody, carol, password, home=onboard_home)
    assert own.returncode == 0, own.stderr
    assert "This account has no OMEMO encryption keys yet" in own.stdout
    as_json = fingerprints(prosody, carol, password, "--json", home=onboard_home)
    assert as_json.returncode == 0
    assert json.loads(as_json.stdout) == []
    assert as_json.stderr.startswith("This account has no OMEMO encryption keys yet")
    assert as_json.stderr.count("\n") == 1
    friend = fingerprints(prosody, bob, bob_password, carol, home=onboard_home)
    assert friend.returncode == 0
    assert f"No OMEMO encryption keys of {carol} can be seen" in friend.stdout


def test_network_failures_say_what_to_do(onboard_home: Path) -> None:
    base = ["fingerprints", "--account", "alice@open.test", "--password-stdin", "--json"]
    refused = run(*base, "--host", "127.0.0.1", "--port", str(closed_port()),
                  home=onboard_home, stdin="whatever-password\n")
    assert refused.returncode == 7
    error = json.loads(refused.stdout)["error"]
    assert error["condition"] == "connection-refused" and error["hint"]
    no_tor = run(*base, "--tor", f"socks5://127.0.0.1:{closed_port()}", home=onboard_home,
                 stdin="whatever-password\n")
    assert no_tor.returncode == 13
    assert json.loads(no_tor.stdout)["error"]["condition"] == "tor-unavailable"
    with socket.socket() as silent:  # accepts connections (the kernel does) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        started = time.monotonic()
        slow = run(*base[:-1], "--host", "127.0.0.1", "--port", str(silent.getsockname()[1]),
                   "--timeout", "1", home=onboard_home, stdin="whatever-password\n")
        assert time.monotonic() - started < 15
    assert slow.returncode == 7
    assert slow.stderr.startswith("Error: The server did not answer in time (1 s).")
    assert slow.stderr.count("\n") == 1
    for result in (refused, no_tor, slow):
        assert "Traceback" not in result.stderr


async def test_a_server_that_cannot_be_reached_for_the_friend(
        prosody: ProsodyServer, make_account: MakeAccount, onboard_home: Path) -> None:
    bob, password = await make_account("bob")
    result = fingerprints(prosody, bob, password, "friend@nowhere.invalid", "--json",
                          home=onboard_home)
    assert result.returncode == 11, result.stdout + result.stderr
    error = json.loads(result.stdout)["error"]
    assert error["condition"] == "omemo-unavailable"
    assert error["jid"] == "friend@nowhere.invalid" and error["hint"]


# --- verifying ---------------------------------------------------------------------------------


async def test_verify_then_verified_and_the_link(prosody: ProsodyServer,
                                                 make_account: MakeAccount,
                                                 onboard_home: Path) -> None:
    alice, alice_password = await make_account("alice")
    bob, bob_password = await make_account("bob")
    first, second = [await make_device(prosody, alice, alice_password) for _ in range(2)]

    no_link = fingerprints(prosody, bob, bob_password, alice, "--link", home=onboard_home)
    assert no_link.returncode == 0
    assert "None of these devices is verified yet" in no_link.stdout
    assert "--verify" in no_link.stdout and "xmpp:" not in no_link.stdout

    unknown = fingerprints(prosody, bob, bob_password, alice, "--verify",
                           str(first.device_id), "--verify", "12345", home=onboard_home)
    assert unknown.returncode == 2
    assert "Device 12345 is not among the devices" in unknown.stderr
    assert "nothing was recorded" in unknown.stderr
    assert not verified_file(onboard_home).exists()

    marked = fingerprints(prosody, bob, bob_password, alice, "--verify", str(first.device_id),
                          home=onboard_home)
    assert marked.returncode == 0, marked.stderr
    assert f"Recorded as verified: device {first.device_id}" in marked.stdout

    again = fingerprints(prosody, bob, bob_password, alice, "--json", home=onboard_home)
    statuses = {(row["device_id"], row["namespace"]): row["status"]
                for row in json.loads(again.stdout)}
    assert statuses == {(first.device_id, NS_OLD): "verified",
                        (first.device_id, NS_NEW): "verified",
                        (second.device_id, NS_OLD): "unverified",
                        (second.device_id, NS_NEW): "unverified"}
    record = json.loads(verified_file(onboard_home).read_text())["accounts"][bob][alice]
    assert record[str(first.device_id)]["fingerprint"] == first.fingerprint

    link = fingerprints(prosody, bob, bob_password, alice, "--link", home=onboard_home)
    assert link.returncode == 0
    assert f"Device {first.device_id} (OMEMO 0.3 and OMEMO 2)\n  {groups(first.fingerprint)}\n"\
           "  verified\n" in link.stdout
    assert link.stdout.splitlines()[-1] == conversations_link(alice, {
        first.device_id: first.fingerprint})

    everything = fingerprints(prosody, bob, bob_password, alice, "--verify", "all", "--link",
                              home=onboard_home)
    assert everything.returncode == 0
    ordered = dict(sorted({first.device_id: first.fingerprint,
                           second.device_id: second.fingerprint}.items()))
    assert everything.stdout.splitlines()[-1] == conversations_link(alice, ordered)


async def test_a_changed_key_is_a_loud_warning(prosody: ProsodyServer, make_account: MakeAccount,
                                               onboard_home: Path) -> None:
    alice, password = await make_account("alice")
    bob, bob_password = await make_account("bob")
    device_id = random_device_id()
    old_ed, old_curve = new_identity()
    async with PepSession(prosody, alice, password) as pep:
        await pep.add_new_device(device_id, b64(old_ed))
    assert fingerprints(prosody, bob, bob_password, alice, "--verify", "all",
                        home=onboard_home).returncode == 0
    new_ed, _new_curve = new_identity()
    async with PepSession(prosody, alice, password) as pep:
        await pep.publish(NEW_BUNDLES, str(device_id), new_bundle(b64(new_ed)))
    text = fingerprints(prosody, bob, bob_password, alice, home=onboard_home)
    assert text.returncode == 0
    assert "CHANGED: you verified this device with another key" in text.stdout
    assert f"WARNING: device {device_id} of {alice} has a different key" in text.stdout
    as_json = fingerprints(prosody, bob, bob_password, alice, "--json", home=onboard_home)
    assert [row["status"] for row in json.loads(as_json.stdout)] == ["changed"]
    assert as_json.stderr.startswith(f"WARNING: device {device_id}")
    assert old_curve.hex() not in as_json.stdout


# --- comparing with a link ---------------------------------------------------------------------


@pytest.mark.parametrize("form", [conversations_link, gajim_link])
async def test_compare_with_a_matching_link(
        prosody: ProsodyServer, make_account: MakeAccount, onboard_home: Path,
        form: Callable[[str, dict[int, str]], str]) -> None:
    alice, alice_password = await make_account("alice")
    bob, bob_password = await make_account("bob")
    first, second = [await make_device(prosody, alice, alice_password) for _ in range(2)]
    link = form(alice, {first.device_id: first.fingerprint})

    # No JID: it comes from the link.
    text = fingerprints(prosody, bob, bob_password, "--compare", link, home=onboard_home)
    assert text.returncode == 0, text.stderr
    assert f"Compared with the link for {alice}:" in text.stdout
    assert f"  Device {first.device_id}: same\n" in text.stdout
    assert (f"  Device {second.device_id}: only on the server (not in the link)\n"
            in text.stdout)
    assert "DIFFERENT" not in text.stdout

    as_json = fingerprints(prosody, bob, bob_password, alice, "--compare", link, "--json",
                           "--verify", "all", home=onboard_home)
    assert as_json.returncode == 0, as_json.stderr
    found = {(row["device_id"], row["namespace"]): (row["comparison"], row["status"])
             for row in json.loads(as_json.stdout)}
    assert found == {(first.device_id, NS_OLD): ("same", "verified"),
                     (first.device_id, NS_NEW): ("same", "verified"),
                     (second.device_id, NS_OLD): ("not-in-link", "unverified"),
                     (second.device_id, NS_NEW): ("not-in-link", "unverified")}

    other = fingerprints(prosody, bob, bob_password, bob, "--compare", link, home=onboard_home)
    assert other.returncode == 2
    assert f"The link is for {alice}, not for {bob}" in other.stderr


async def test_compare_with_a_changed_link(prosody: ProsodyServer, make_account: MakeAccount,
                                           onboard_home: Path) -> None:
    alice, alice_password = await make_account("alice")
    bob, bob_password = await make_account("bob")
    first, second = [await make_device(prosody, alice, alice_password) for _ in range(2)]
    changed = "0123abcd" * 8
    gone = random_device_id()
    link = conversations_link(alice, {first.device_id: first.fingerprint,
                                      second.device_id: changed, gone: "ffff0000" * 8})

    text = fingerprints(prosody, bob, bob_password, "--compare", link, home=onboard_home)
    assert text.returncode == EXIT_DIFFERENT, text.stdout + text.stderr
    assert f"  Device {first.device_id}: same\n" in text.stdout
    assert (f"  Device {second.device_id}: DIFFERENT\n"
            f"    the link says:    {groups(changed)}\n"
            f"    the server shows: {groups(second.fingerprint)}\n") in text.stdout
    assert f"  Device {gone}: only in the link (the server does not show it" in text.stdout
    assert "WARNING: a fingerprint on the server is not the one in the link" in text.stdout

    as_json = fingerprints(prosody, bob, bob_password, "--compare", link, "--json",
                           home=onboard_home)
    assert as_json.returncode == EXIT_DIFFERENT
    comparison = {row["device_id"]: row["comparison"] for row in json.loads(as_json.stdout)}
    assert comparison == {first.device_id: "same", second.device_id: "different"}
    assert f"Device {gone}: only in the link" in as_json.stderr
    assert "WARNING: a fingerprint on the server" in as_json.stderr

    # Only matching devices may be verified: the differing one is refused, nothing recorded.
    refused = fingerprints(prosody, bob, bob_password, "--compare", link, "--verify",
                           str(first.device_id), "--verify", str(second.device_id),
                           home=onboard_home)
    assert refused.returncode == 2
    assert f"Device {second.device_id} does not match the link" in refused.stderr
    assert not verified_file(onboard_home).exists()
    # `all` with --compare records the matching ones only.
    matching = fingerprints(prosody, bob, bob_password, "--compare", link, "--verify", "all",
                            "--json", home=onboard_home)
    assert matching.returncode == EXIT_DIFFERENT
    statuses = {row["device_id"]: row["status"] for row in json.loads(matching.stdout)}
    assert statuses == {first.device_id: "verified", second.device_id: "unverified"}


# --- the QR code, and options --------------------------------------------------------------------


def ansi_pixels(drawing: str) -> list[list[bool]]:
    """The modules of a half-block drawing (onboard.core.qr.to_ansi), two rows per line."""
    pixels: list[list[bool]] = []
    cell = re.compile(r"\x1b\[38;2;(\d+);\d+;\d+m\x1b\[48;2;(\d+);\d+;\d+m▀")
    for line in drawing.splitlines():
        cells = cell.findall(line)
        if cells:
            pixels.append([fg == "0" for fg, _bg in cells])
            pixels.append([bg == "0" for _fg, bg in cells])
    return pixels


async def test_qr_code_decodes_to_the_link(prosody: ProsodyServer, make_account: MakeAccount,
                                           onboard_home: Path, tmp_path: Path) -> None:
    alice, password = await make_account("alice")
    made = await make_device(prosody, alice, password)
    result = fingerprints(prosody, alice, password, "--verify", str(made.device_id), "--qr",
                          home=onboard_home)
    assert result.returncode == 0, result.stderr
    link = conversations_link(alice, {made.device_id: made.fingerprint})
    assert result.stdout.splitlines()[-1] == link
    assert zbarimg(save(ansi_pixels(result.stdout), tmp_path / "qr.png")) == link


def test_options_are_checked_before_anything_is_sent(onboard_home: Path) -> None:
    base = ["fingerprints", "--account", "alice@open.test"]
    both = run(*base, "--json", "--link", home=onboard_home)
    assert both.returncode == 2 and both.stdout == ""
    assert both.stderr.startswith("usage:") and "--link and --qr" in both.stderr
    password = run(*base, "--password", "secret", home=onboard_home)
    assert password.returncode == 2
    assert "ambiguous" in password.stderr or "unrecognized" in password.stderr
    bad_verify = run(*base, "--verify", "laptop", "--password-stdin", home=onboard_home,
                     stdin="pw\n")
    assert bad_verify.returncode == 2
    assert "--verify takes a device number or “all”" in bad_verify.stderr
    bad_link = run(*base, "--compare", "https://example.org/", "--password-stdin",
                   home=onboard_home, stdin="pw\n")
    assert bad_link.returncode == 2 and "not a fingerprint link" in bad_link.stderr
    help_text = run("fingerprints", "--help", home=onboard_home).stdout
    assert "--password-stdin" in help_text and "15 when --compare" in help_text
