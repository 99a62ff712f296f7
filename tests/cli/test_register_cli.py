"""`xmpp-onboard register` as a script uses it: a real process against the real Prosody."""

from __future__ import annotations

import json
import os
import pty
import select
import stat
import subprocess
import sys
import time
from itertools import count
from pathlib import Path

import pytest

COMMAND = str(Path(sys.executable).parent / "xmpp-onboard")
PASSWORD = "cli-password-that-is-long"
_names = count()
pytestmark = pytest.mark.prosody


def name(prefix: str) -> str:
    return f"{prefix}{next(_names)}c{os.getpid() % 1000}"


def run(*args: str, stdin: str = "", home: Path) -> subprocess.CompletedProcess[str]:
    """Run the command without a controlling terminal, as a script or CI would."""
    env = {**os.environ, "XMPP_ONBOARD_HOME": str(home), "LANG": "C.UTF-8"}
    env.pop("LANGUAGE", None)
    return subprocess.run([COMMAND, *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=60, start_new_session=True)


def server_args(prosody, domain: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [domain, "--host", prosody.host, "--port", str(prosody.starttls_port),
            "--ca-file", str(prosody.ca_file)]


def test_help_and_version(onboard_home: Path) -> None:
    helped = run("--help", home=onboard_home)
    assert helped.returncode == 0 and "register" in helped.stdout
    register_help = run("register", "--help", home=onboard_home)
    assert "--password-stdin" in register_help.stdout
    assert "--password " not in register_help.stdout  # never a password on the command line
    version = run("--version", home=onboard_home)
    assert version.returncode == 0 and version.stdout.startswith("xmpp-onboard ")


def test_a_password_argument_is_refused(onboard_home: Path) -> None:
    result = run("register", "example.org", "--password", "secret", home=onboard_home)
    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr or "ambiguous" in result.stderr


def test_register_json_success(prosody, onboard_home: Path) -> None:  # type: ignore[no-untyped-def]
    user = name("cli")
    result = run("register", *server_args(prosody, "open.test"), "--username", user,
                 "--password-stdin", "--json", stdin=PASSWORD + "\n", home=onboard_home)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["jid"] == f"{user}@open.test"
    assert data["login_verified"] is True
    path = Path(data["credentials_file"])
    assert path.is_relative_to(onboard_home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["password"] == PASSWORD
    assert PASSWORD not in result.stdout + result.stderr
    assert prosody.user_exists("open.test", user)


def test_register_plain_output_and_generated_password(prosody, onboard_home: Path) -> None:  # type: ignore[no-untyped-def]
    user = name("gen")
    result = run("register", *server_args(prosody, "open.test"), "--username", user,
                 "--generate-password", home=onboard_home)
    assert result.returncode == 0, result.stderr
    assert f"{user}@open.test" in result.stdout
    saved = json.loads(next((onboard_home / "data" / "accounts").glob(f"{user}@*")).read_text())
    assert len(saved["password"]) == 24
    assert saved["password"] not in result.stdout


def test_extra_fields_from_options(prosody, onboard_home: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "pw"
    secret.write_text(PASSWORD + "\n")
    user = name("fld")
    result = run("register", *server_args(prosody, "fields.test"), "--username", user,
                 "--password-file", str(secret), "--field", "email=x@example.org",
                 "--field", "reason=to talk", "--json", home=onboard_home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert prosody.user_exists("fields.test", user)


def test_missing_field_without_a_terminal_names_the_option(prosody, onboard_home: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("register", *server_args(prosody, "fields.test"), "--username", name("m"),
                 "--password-stdin", "--json", stdin=PASSWORD + "\n", home=onboard_home)
    assert result.returncode == 2
    error = json.loads(result.stdout)["error"]
    assert error["condition"] == "invalid-input"
    assert "--field" in error["message"]


@pytest.mark.parametrize(("domain", "code", "condition"), [
    ("closed.test", 5, "registration-closed"),
    ("notls.test", 9, "no-tls"),
    ("expired.test", 8, "tls-failure"),
])
def test_refusals_have_documented_exit_codes(prosody, onboard_home: Path, domain: str,  # type: ignore[no-untyped-def]
                                            code: int, condition: str) -> None:
    result = run("register", *server_args(prosody, domain), "--username", name("r"),
                 "--password-stdin", "--json", stdin=PASSWORD + "\n", home=onboard_home)
    assert result.returncode == code, result.stdout + result.stderr
    error = json.loads(result.stdout)["error"]
    assert error["condition"] == condition
    assert error["message"] and error["hint"]
    assert "Traceback" not in result.stderr


def test_name_taken_and_plain_error_line(prosody, onboard_home: Path) -> None:  # type: ignore[no-untyped-def]
    user = name("taken")
    args = ["register", *server_args(prosody, "open.test"), "--username", user,
            "--password-stdin"]
    assert run(*args, stdin=PASSWORD + "\n", home=onboard_home).returncode == 0
    again = run(*args, stdin=PASSWORD + "\n", home=onboard_home)
    assert again.returncode == 3
    assert again.stderr.count("\n") == 1 and "already taken" in again.stderr
    as_json = run(*args, "--json", stdin=PASSWORD + "\n", home=onboard_home)
    assert len(json.loads(as_json.stdout)["error"]["suggestions"]) == 3


def test_rate_limit_exit_code(prosody, onboard_home: Path) -> None:  # type: ignore[no-untyped-def]
    codes = [
        run("register", *server_args(prosody, "ratelimit.test"), "--username", name("rl"),
            "--password-stdin", "--json", stdin=PASSWORD + "\n", home=onboard_home).returncode
        for _ in range(2)
    ]
    assert codes[-1] == 6


def test_captcha_wrong_answer_then_right(prosody, onboard_home: Path) -> None:  # type: ignore[no-untyped-def]
    user = name("cap")
    base = ["register", *server_args(prosody, "captcha.test"), "--username", user,
            "--password-stdin", "--json"]
    wrong = run(*base, "--field", "ocr=nope", stdin=PASSWORD + "\n", home=onboard_home)
    assert wrong.returncode == 4
    assert json.loads(wrong.stdout)["error"]["kind"] == "captcha"
    right = run(*base, "--field", f"ocr={prosody.captcha_answer}", stdin=PASSWORD + "\n",
                home=onboard_home)
    assert right.returncode == 0, right.stdout


def test_interactive_terminal_asks_everything_and_draws_the_captcha(prosody,  # type: ignore[no-untyped-def]
                                                                     onboard_home: Path) -> None:
    """On a real terminal (a pty), the command asks for name, password and the CAPTCHA."""
    user = name("tty")
    env = {**os.environ, "XMPP_ONBOARD_HOME": str(onboard_home), "LANG": "C.UTF-8"}
    pid, fd = pty.fork()
    if pid == 0:  # the child: its controlling terminal is the pty
        os.execve(COMMAND, [COMMAND, "register", *server_args(prosody, "captcha.test")], env)
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
        expect(b"Name for your address")
        os.write(fd, user.encode() + b"\r")
        expect(b"Password")
        os.write(fd, PASSWORD.encode() + b"\r")
        expect(b"Repeat")
        os.write(fd, PASSWORD.encode() + b"\r")
        expect(b"\xe2\x96\x80")  # the CAPTCHA drawn with half blocks
        expect(b"Enter the text")
        os.write(fd, prosody.captcha_answer.encode() + b"\r")
        expect(b"Account created")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
    assert PASSWORD.encode() not in screen  # typed passwords are not echoed
    assert prosody.user_exists("captcha.test", user)


def test_bad_input_gets_a_message_not_a_traceback(onboard_home: Path) -> None:
    cases = [
        ["register", "not a domain", "--generate-password"],
        ["register", "example.org", "--username", "a b", "--generate-password"],
        ["register", "example.org", "--ca-file", "/does/not/exist", "--generate-password"],
        ["register", "example.org", "--port", "70000", "--generate-password"],
        ["--ca-file", "/does/not/exist"],
    ]
    for args in cases:
        result = run(*args, home=onboard_home)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.startswith("Error: "), (args, result.stderr)
        assert "Traceback" not in result.stderr
