"""`xmpp-onboard probe` as a script runs it: a real process against the real Prosody."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers.prosody import LOCAL_PROVIDERS, WEB_SIGNUP_URL

COMMAND = str(Path(sys.executable).parent / "xmpp-onboard")
pytestmark = pytest.mark.prosody
JSON_KEYS = {"domain", "reachable", "endpoint", "tls", "registration", "sasl_mechanisms",
             "channel_binding", "rtt_ms", "error", "condition"}


def run(*args: str, home: Path, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XMPP_ONBOARD_HOME": str(home), "LANG": "C.UTF-8"}
    env.pop("LANGUAGE", None)
    return subprocess.run([COMMAND, "--lang", lang, "probe", *args], capture_output=True,
                          text=True, env=env, timeout=60, start_new_session=True,
                          stdin=subprocess.DEVNULL)


def target(prosody, domain: str, *, direct_tls: bool = False) -> list[str]:  # type: ignore[no-untyped-def]
    port = prosody.direct_tls_port if direct_tls else prosody.starttls_port
    args = [domain, "--host", prosody.host, "--port", str(port), "--ca-file",
            str(prosody.ca_file)]
    return [*args, "--direct-tls"] if direct_tls else args


def test_help_documents_the_exit_status(onboard_home: Path) -> None:
    result = run("--help", home=onboard_home)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "--json" in text and "--direct-tls" in text and "--ca-file" in text
    assert "Exit status: 0 when" in text and "8 for a certificate problem" in text
    assert "2 for invalid options" in text and "130 when cancelled" in text
    main_help = subprocess.run([COMMAND, "--help"], capture_output=True, text=True, timeout=60)
    assert "probe" in main_help.stdout


def test_open_host_report(prosody, onboard_home: Path) -> None:  # type: ignore[no-untyped-def]
    result = run(*target(prosody, "open.test"), home=onboard_home)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Server: open.test" in out
    assert f"Reachable: yes, at {prosody.host}:{prosody.starttls_port} (STARTTLS)" in out
    assert "TLS: valid certificate, TLSv1." in out and "expires on 3000-01-01" in out
    assert "Account creation from an app: yes" in out
    assert "Form fields: username, password" in out and "CAPTCHA: no" in out
    assert "Login methods (SASL): " in out and "SCRAM-SHA-1" in out
    assert "Channel binding: " in out and "2023" in out
    assert "Connect time: " in out and " ms" in out
    assert "Problem" not in out and result.stderr == ""


def test_open_host_json_over_direct_tls(prosody, onboard_home: Path) -> None:  # type: ignore[no-untyped-def]
    result = run(*target(prosody, "open.test", direct_tls=True), "--json", home=onboard_home)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == JSON_KEYS
    assert data["reachable"] is True and data["condition"] is None and data["error"] is None
    assert data["endpoint"] == {"host": prosody.host, "port": prosody.direct_tls_port,
                                "direct_tls": True}
    assert data["tls"]["valid"] is True and data["tls"]["error"] is None
    assert data["tls"]["reason"] is None
    assert data["tls"]["version"] in ("TLSv1.2", "TLSv1.3")
    assert data["tls"]["expires"].startswith("3000-01-01T")
    assert data["registration"] == {"advertised": True, "fields": ["username", "password"],
                                    "captcha": False, "web_url": None}
    assert data["channel_binding"] is any(m.endswith("-PLUS") for m in data["sasl_mechanisms"])
    assert isinstance(data["rtt_ms"], float)


def test_closed_registration_is_reported_with_status_0(prosody, onboard_home: Path) -> None:  # type: ignore[no-untyped-def]
    result = run(*target(prosody, "closed.test"), "--json", home=onboard_home)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["condition"] == "registration-closed"
    assert data["registration"]["advertised"] is False and data["tls"]["valid"] is True
    human = run(*target(prosody, "closed.test"), home=onboard_home)
    assert "Account creation from an app: no" in human.stdout
    assert "Problem: closed.test does not allow" in human.stdout


def test_web_only_host_names_its_sign_up_page(prosody, onboard_home: Path) -> None:  # type: ignore[no-untyped-def]
    result = run(*target(prosody, "web.test"), "--json", home=onboard_home)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["registration"] == {"advertised": True, "fields": [], "captcha": False,
                                    "web_url": WEB_SIGNUP_URL}
    assert data["condition"] == "registration-closed" and data["tls"]["valid"] is True
    assert WEB_SIGNUP_URL in data["error"]
    human = run(*target(prosody, "web.test", direct_tls=True), home=onboard_home)
    assert human.returncode == 0, human.stderr
    assert "Account creation from an app: no" in human.stdout
    assert f"Sign-up web page: {WEB_SIGNUP_URL}" in human.stdout
    assert "Problem: web.test does not allow" in human.stdout


def test_the_local_providers_file_listed_then_probed(prosody, onboard_home: Path,  # type: ignore[no-untyped-def]
                                                     tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A script's round: `servers --refresh` reads the tests' providers file from a local HTTPS
    server, then `probe` of each listed server with a sign-up page finds that very page."""
    from tests import providers_server

    monkeypatch.setitem(providers_server.ROUTES, "/providers-local.json",
                        (200, {}, LOCAL_PROVIDERS.read_bytes()))
    env = {**os.environ, "XMPP_ONBOARD_HOME": str(onboard_home), "LANG": "C.UTF-8"}
    env.pop("LANGUAGE", None)
    with providers_server.serve(tmp_path) as lists:
        listed = subprocess.run(
            [COMMAND, "servers", "--refresh", "--providers-url",
             lists.url("/providers-local.json"), "--ca-file", str(lists.ca_file), "--json"],
            capture_output=True, text=True, env=env, timeout=60, start_new_session=True,
            stdin=subprocess.DEVNULL)
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert data["source"] == "refreshed" and data["note"] is None
    entries = {p["domain"]: p for p in data["providers"]}
    assert list(entries) == sorted(e["jid"] for e in json.loads(LOCAL_PROVIDERS.read_text()))
    assert [d for d, p in entries.items() if not p["in_band_registration"]] == [
        "closed.test", "web.test"]
    assert entries["captcha.test"]["captcha"] and entries["fields.test"]["email_required"]
    web_only = [d for d, p in entries.items() if p["registration_web_page"]]
    assert web_only == ["web.test"]
    for domain in web_only:
        probed = json.loads(run(*target(prosody, domain), "--json", home=onboard_home).stdout)
        assert probed["registration"]["web_url"] == entries[domain]["registration_web_page"]


@pytest.mark.parametrize(("domain", "direct_tls", "words", "reason"), [
    ("expired.test", False, "has expired", "expired"),
    ("wronghost.test", True, "certificate is for another name", "wrong-host"),
    ("selfsigned.test", False, "self-signed", "self-signed"),
])
def test_certificate_problems_exit_8(prosody, onboard_home: Path, domain: str,  # type: ignore[no-untyped-def]
                                     direct_tls: bool, words: str, reason: str) -> None:
    result = run(*target(prosody, domain, direct_tls=direct_tls), home=onboard_home)
    assert result.returncode == 8
    assert "TLS: NOT secure." in result.stdout and words in result.stdout
    assert "Login methods" not in result.stdout  # nothing was asked over that connection
    if direct_tls:
        assert "Seen without trusting the connection" in result.stdout
    # The same case for a script, in words that do not change with the language.
    data = json.loads(run(*target(prosody, domain, direct_tls=direct_tls), "--json",
                          home=onboard_home, lang="de").stdout)
    assert data["tls"]["reason"] == reason and data["tls"]["valid"] is False


def test_expired_json_names_the_reason(prosody, onboard_home: Path) -> None:  # type: ignore[no-untyped-def]
    result = run(*target(prosody, "expired.test", direct_tls=True), "--json",
                 home=onboard_home)
    assert result.returncode == 8
    data = json.loads(result.stdout)
    assert data["condition"] == "tls-failure" and data["reachable"] is True
    assert data["tls"]["valid"] is False and "expired" in data["tls"]["error"]
    assert data["tls"]["expires"] is not None


def test_no_tls_exits_9(prosody, onboard_home: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("notls.test", "--host", prosody.host, "--port", str(prosody.notls_port),
                 "--json", home=onboard_home)
    assert result.returncode == 9
    data = json.loads(result.stdout)
    assert data["condition"] == "no-tls" and "encrypted" in data["error"]


def test_refused_port_exits_7(onboard_home: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run("open.test", "--host", "127.0.0.1", "--port", str(port), home=onboard_home)
    assert result.returncode == 7
    assert "Reachable: no" in result.stdout and "refused" in result.stdout
    as_json = run("open.test", "--host", "127.0.0.1", "--port", str(port), "--json",
                  home=onboard_home)
    assert as_json.returncode == 7
    assert json.loads(as_json.stdout)["condition"] == "connection-refused"


def test_invalid_input_exits_2(onboard_home: Path) -> None:
    result = run("not a domain", "--json", home=onboard_home)
    assert result.returncode == 2
    assert json.loads(result.stdout)["error"]["condition"] == "invalid-input"
    assert run("open.test", "--port", "70000", home=onboard_home).returncode == 2
    assert run("open.test", "--timeout", "0", home=onboard_home).returncode == 2
