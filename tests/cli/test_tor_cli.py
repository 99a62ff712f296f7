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


# --- tor-check: Tor's progress from its control port --------------------------------------


def test_tor_check_json_has_the_bootstrap_field(tor_network: Any, onboard_home: Path) -> None:
    """A SOCKS address given by hand has no known control port: its progress is not read."""
    result = run("tor-check", "--tor", socks(tor_network), "--target",
                 f"127.0.0.1:{closed_port()}", "--json", home=onboard_home)
    report = json.loads(result.stdout)
    assert report["bootstrap"] == {"progress": None, "note": None, "hint": None,
                                   "reason": None, "error": None}


def run_inside(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """The command in this process (so the candidates can point at a test tor)."""
    from onboard.__main__ import main

    code = main(["--lang", "en", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def as_system_tor(monkeypatch: pytest.MonkeyPatch, socks_port: int,
                  control: tuple[str, int]) -> None:
    """Make `--tor system` look for the system tor at these ports (a real tor)."""
    from onboard.core.tor import control as control_module

    source = control_module.TorSource(kind="system", socks=("127.0.0.1", socks_port),
                                      control=control)
    monkeypatch.setattr(control_module, "DEFAULT_CANDIDATES", (source,))


def test_tor_check_reports_the_progress_read_from_the_control_port(
        tor_network: Any, prosody: Any, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    as_system_tor(monkeypatch, tor_network.socks_port, ("127.0.0.1", tor_network.control_port))
    target = f"127.0.0.1:{prosody.starttls_port}"
    code, out, err = run_inside(["tor-check", "--tor", "system", "--target", target, "--json"],
                                capsys)
    assert code == 0, out + err
    report = json.loads(out)
    assert report["bootstrap"] == {"progress": 100, "note": None, "hint": None,
                                   "reason": None, "error": None}
    assert report["used"]["control"] == f"127.0.0.1:{tor_network.control_port}"
    code, out, err = run_inside(["tor-check", "--tor", "system", "--target", target], capsys)
    assert code == 0, out + err
    assert "Tor's progress, read from its control port: 100%" in out
    assert tor_network.running  # the shared tor was only looked at


def test_tor_check_says_why_the_progress_could_not_be_read(
        tmp_path: Path, onboard_home: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A tor whose control port wants a password (an offline one: nothing leaves the
    machine): without it, SOCKS only and a note; a wrong one in the file is an error."""
    from tests.core.test_tor_control import _offline_options, hashed_password, start_tor

    monkeypatch.delenv("XMPP_ONBOARD_TOR_CONTROL_PASSWORD", raising=False)
    folder = tmp_path / "tor"
    folder.mkdir(mode=0o700)
    tor = start_tor(folder, {**_offline_options(),
                             "HashedControlPassword": hashed_password("correct horse")})
    try:
        assert tor.socks_port is not None
        as_system_tor(monkeypatch, tor.socks_port, tor.control)
        # The circuit cannot work (this tor is offline): the report still says what it read.
        check = ["tor-check", "--tor", "system", "--target", f"127.0.0.1:{closed_port()}",
                 "--timeout", "5"]
        code, out, err = run_inside([*check, "--json"], capsys)
        report = json.loads(out)
        assert report["bootstrap"]["progress"] is None
        assert report["bootstrap"]["reason"] == "password-needed"
        assert report["bootstrap"]["error"]["condition"] == "tor-control"
        assert "it asks for a control password" in report["bootstrap"]["note"]
        assert "--tor-control-password-file" in report["bootstrap"]["hint"]
        code, out, err = run_inside(check, capsys)
        assert "Could not read Tor's progress (it asks for a control password); using its " \
               "SOCKS port." in out
        wrong = tmp_path / "wrong"
        wrong.write_text("battery staple\n")
        code, out, err = run_inside([*check, "--tor-control-password-file", str(wrong),
                                     "--json"], capsys)
        assert code == 13
        error = json.loads(out)["error"]
        assert error["condition"] == "tor-control" and "did not accept" in error["message"]
        assert "battery staple" not in out + err
        code, out, err = run_inside([*check, "--tor-control-password-file",
                                     str(tmp_path / "missing")], capsys)
        assert code == 2 and "could not be read" in err and "Traceback" not in err
    finally:
        tor.stop()
