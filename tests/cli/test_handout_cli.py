"""`xmpp-onboard handout` as a helper runs it: a real process writing a real file, read back
with html.parser, its QR codes drawn by rsvg-convert and read by zbarimg."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

from onboard import i18n
from onboard.__main__ import build_parser
from tests.core.test_handout import (
    ACCOUNT,
    DOMAIN,
    FRIEND,
    HELPER,
    OWN_LINK,
    PASSWORD,
    Page,
    decode,
    external_resources,
    password_forms,
    save_account,
    verify_everything,
)

COMMAND = str(Path(sys.executable).parent / "xmpp-onboard")
DEFAULT_FILE = "xmpp-onboard-alice.html"
JSON_KEYS = {"path", "language", "includes_password", "verified_devices", "helper"}


def run(*args: str, home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XMPP_ONBOARD_HOME": str(home), "LANG": "C.UTF-8"}
    env.pop("LANGUAGE", None)
    return subprocess.run([COMMAND, "handout", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=60, start_new_session=True,
                          stdin=subprocess.DEVNULL)


def run_json(*args: str, home: Path, cwd: Path) -> dict[str, Any]:
    result = run("--json", *args, home=home, cwd=cwd)
    assert result.stdout.count("\n") == 1, result.stderr  # one JSON object, one line
    data: dict[str, Any] = json.loads(result.stdout)
    data["returncode"] = result.returncode
    return data


def test_writes_the_page_in_the_current_folder(onboard_home: Path, tmp_path: Path) -> None:
    save_account()
    verify_everything()
    data = run_json("--account", ACCOUNT, "--helper", HELPER, home=onboard_home, cwd=tmp_path)
    assert data.pop("returncode") == 0
    path = tmp_path / DEFAULT_FILE
    assert set(data) == JSON_KEYS
    assert data == {"path": str(path), "language": "en", "includes_password": False,
                    "verified_devices": 2, "helper": HELPER}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_bytes()
    page = Page.of(raw.decode("utf-8"))
    assert page.lang == "en"
    assert page.text(".address") == ACCOUNT
    assert DOMAIN in page.text("#server")
    assert FRIEND in page.text("#contacts")
    assert {figure.uri for figure in page.figures} >= {OWN_LINK, f"xmpp:{HELPER}?roster"}
    assert external_resources(page) == []
    for form in password_forms(PASSWORD):
        assert form not in raw, form


def test_the_qr_codes_in_the_file_decode(onboard_home: Path, tmp_path: Path) -> None:
    save_account()
    verify_everything()
    result = run("--account", ACCOUNT, "--helper", HELPER, "-o", "handout.html",
                 home=onboard_home, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert str(tmp_path / "handout.html") in result.stdout
    page = Page.of((tmp_path / "handout.html").read_text("utf-8"))
    wanted = {OWN_LINK: "own", f"xmpp:{HELPER}?roster": "helper"}
    figures = [figure for figure in page.figures if figure.uri in wanted]
    assert len(figures) == 2
    for figure in figures:
        assert decode(figure, tmp_path, wanted[figure.uri]) == figure.uri


def test_german_page(onboard_home: Path, tmp_path: Path) -> None:
    save_account()
    data = run_json("--account", ACCOUNT, "--lang", "de", "-o", "out/seite.html",
                    home=onboard_home, cwd=tmp_path)
    assert data["returncode"] == 0 and data["language"] == "de"
    assert data["verified_devices"] == 0 and data["helper"] is None
    path = tmp_path / "out" / "seite.html"
    assert data["path"] == str(path)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    page = Page.of(path.read_text("utf-8"))
    assert page.lang == "de"
    assert "guides/de/verify.md" in page.text("#guides")


def test_in_process_the_language_comes_back(onboard_home: Path, tmp_path: Path) -> None:
    i18n.set_language("en")
    args = build_parser().parse_args(["handout", "--account", ACCOUNT, "--lang", "de",
                                      "-o", str(tmp_path / "page.html")])
    assert args.handler(args) == 0
    assert i18n.current_language() == "en"
    assert Page.of((tmp_path / "page.html").read_text("utf-8")).lang == "de"


def test_the_password_only_when_ticked(onboard_home: Path, tmp_path: Path) -> None:
    save_account()
    data = run_json("--account", ACCOUNT, "--include-password", home=onboard_home, cwd=tmp_path)
    assert data["returncode"] == 0 and data["includes_password"] is True
    page = Page.of((tmp_path / DEFAULT_FILE).read_text("utf-8"))
    holders = [context for text, context in page.texts if "Tr0ub4dor" in text]
    assert len(holders) == 1 and ".password" in holders[0]
    assert page.text(".password") == PASSWORD


def test_no_password_to_include_for_an_account_not_saved_here(onboard_home: Path,
                                                              tmp_path: Path) -> None:
    data = run_json("--account", FRIEND, "--include-password", home=onboard_home, cwd=tmp_path)
    assert data["returncode"] == 2
    assert data["error"]["condition"] == "no-saved-password"
    assert list(tmp_path.iterdir()) == []
    # Without the password, an account not saved here is fine.
    result = run("--account", FRIEND, home=onboard_home, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "xmpp-onboard-bob.html").is_file()
    assert "fingerprints --account bob@example.net" in result.stdout  # how to verify first


def test_an_existing_file_needs_overwrite(onboard_home: Path, tmp_path: Path) -> None:
    existing = tmp_path / DEFAULT_FILE
    existing.write_text("keep me")
    result = run("--account", ACCOUNT, home=onboard_home, cwd=tmp_path)
    assert result.returncode == 2
    assert "--overwrite" in result.stderr and str(existing) in result.stderr
    assert existing.read_text() == "keep me"
    data = run_json("--account", ACCOUNT, home=onboard_home, cwd=tmp_path)
    assert data["returncode"] == 2 and data["error"]["condition"] == "file-exists"
    assert data["error"]["path"] == str(existing)
    result = run("--account", ACCOUNT, "--overwrite", home=onboard_home, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert Page.of(existing.read_text("utf-8")).text(".address") == ACCOUNT
    assert stat.S_IMODE(existing.stat().st_mode) == 0o600


def test_a_folder_as_output_gets_the_default_name(onboard_home: Path, tmp_path: Path) -> None:
    (tmp_path / "usb").mkdir()
    for output, where in (("usb", tmp_path / "usb"), ("new/", tmp_path / "new")):
        result = run("--account", ACCOUNT, "-o", output, home=onboard_home, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert (where / DEFAULT_FILE).is_file()


def test_an_address_that_is_not_one(onboard_home: Path, tmp_path: Path) -> None:
    data = run_json("--account", "<script>", home=onboard_home, cwd=tmp_path)
    assert data["returncode"] == 2 and data["error"]["condition"] == "invalid-input"
    assert list(tmp_path.iterdir()) == []
