"""`--tor` on the network commands and `xmpp-onboard tor-check`, as real processes, through the
private Tor network's tor (tests/servers/tornet.py) to the real Prosody."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

COMMAND = str(Path(sys.executable).parent / "xmpp-onboard")
pytestmark = [pytest.mark.prosody, pytest.mark.timeout(300)]


def run(*args: str, home: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XMPP_ONBOARD_HOME": str(home), "LANG": "C.UTF-8"}
    env.pop("LANGUAGE", None)
    return subprocess.run([COMMAND, *args], capture_output=True, text=True, env=env,
                          timeout=120, start_new_session=True, input=stdin,
                          stdin=None if stdin is not None else subprocess.DEVNULL)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def socks(tor_network: Any) -> str:
    return f"socks5://127.0.0.1:{tor_network.socks_port}"


def test_tor_check_opens_a_circuit(tor_network: Any, prosody: Any,
                                   onboard_home: Path) -> None:
    result = run("tor-check", "--tor", socks(tor_network), "--target",
                 f"127.0.0.1:{prosody.starttls_port}", "--json", home=onboard_home)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["used"] == {"kind": "manual", "socks": f"127.0.0.1:{tor_network.socks_port}",
                              "control": None,
                              "label": f"The Tor at 127.0.0.1:{tor_network.socks_port}"}
    assert report["circuit"]["works"] is True and report["circuit"]["error"] is None
    # The same, as text, to an onion service.
    tor_network.wait_for_onion()
    text = run("tor-check", "--tor", socks(tor_network), "--target",
               f"{tor_network.onion_address}:5222", home=onboard_home)
    assert text.returncode == 0, text.stdout + text.stderr + tor_network.log_tail()
    assert "worked" in text.stdout
    assert f"Tor used: The Tor at 127.0.0.1:{tor_network.socks_port}" in text.stdout


def test_tor_check_with_no_tor_says_so(onboard_home: Path) -> None:
    port = closed_port()
    result = run("tor-check", "--tor", f"socks5://127.0.0.1:{port}", "--json",
                 home=onboard_home)
    assert result.returncode == 13
    error = json.loads(result.stdout)["error"]
    assert error["condition"] == "tor-unavailable"
    assert f"127.0.0.1:{port}" in error["message"]


def test_a_bad_onion_address_is_explained(tor_network: Any, onboard_home: Path) -> None:
    result = run("tor-check", "--tor", socks(tor_network), "--target",
                 "notanonionaddressatall.onion:5222", "--json", home=onboard_home)
    assert result.returncode == 13
    error = json.loads(result.stdout)["circuit"]["error"]
    assert error["condition"] == "tor-proxy"
    assert "not a valid onion address" in error["message"]


@pytest.mark.parametrize(("args", "message"), [
    (["--tor", "socks5://tor.example:9050"], "not a name"),
    (["--tor", "sometimes"], "--tor takes off, auto"),
    (["--tor", "socks5://127.0.0.1:9050", "--bridges", "/dev/null"], "--bridges needs"),
])
def test_invalid_tor_options(args: list[str], message: str, onboard_home: Path) -> None:
    result = run("probe", "open.test", *args, home=onboard_home)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_probe_and_register_over_the_onion(tor_network: Any, prosody: Any,
                                           onboard_home: Path) -> None:
    tor_network.wait_for_onion()
    target = ["open.test", "--host", tor_network.onion_address, "--port", "5222",
              "--ca-file", str(prosody.ca_file), "--tor", socks(tor_network)]
    probed = run("probe", *target, "--json", home=onboard_home)
    assert probed.returncode == 0, probed.stderr
    report = json.loads(probed.stdout)
    assert report["tls"]["valid"] and report["registration"]["advertised"]
    assert report["endpoint"]["host"] == tor_network.onion_address
    name = "cli" + secrets.token_hex(4)
    registered = run("register", *target, "--username", name, "--password-stdin", "--json",
                     home=onboard_home, stdin="a-long-enough-secret-phrase\n")
    assert registered.returncode == 0, registered.stderr
    assert json.loads(registered.stdout)["jid"] == f"{name}@open.test"
    assert prosody.user_exists("open.test", name)


def test_a_refresh_over_a_missing_tor_fails_closed(onboard_home: Path) -> None:
    result = run("servers", "--refresh", "--tor", f"socks5://127.0.0.1:{closed_port()}",
                 "--json", home=onboard_home)
    assert result.returncode == 13
    assert json.loads(result.stdout)["error"]["condition"] == "tor-unavailable"
