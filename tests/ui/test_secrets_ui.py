"""Secret hygiene in the TUI: an unexpected error ends with a short note and a private crash
report instead of Textual's traceback with local variables, and a whole registration against
the real Prosody leaves the password in its credentials file and nowhere else (files, logs,
screenshots, the crash folder)."""

from __future__ import annotations

import logging
import stat
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input
from textual.worker import WorkerFailed

from onboard.core.crash import HIDDEN
from onboard.core.flow import WizardState
from onboard.ui.screens.account import AccountScreen
from onboard.ui.screens.creating import CreatingScreen
from onboard.ui.screens.done import DoneScreen
from onboard.ui.screens.server import ServerScreen
from onboard.ui.screens.welcome import WelcomeScreen
from tests.secrets_scan import PASSWORD, files_under, found_in, scan_files, secret_forms
from tests.ui.helpers import (
    NETWORK_WAIT,
    SIZE,
    fresh,
    screen_text,
    test_app,
    through_connection_step,
    type_text,
    wait_for_screen,
    wait_until,
)

# Only in a local variable of the failing code: a traceback with locals would show it.
LOCAL_MARKER = "local-variable-marker-5a1f"


def failing_lookup(app: App[Any]) -> None:
    """Crashes with the password in a local variable and quoted in the exception's message."""
    state = app.state  # type: ignore[attr-defined]
    password = state.password
    marker = LOCAL_MARKER
    table: dict[str, str] = {marker: "x"}
    table[password]


async def failing_worker(app: App[Any]) -> None:
    failing_lookup(app)


async def crash(pilot: Pilot[Any], how: str) -> None:
    app = pilot.app
    await wait_for_screen(pilot, WelcomeScreen)
    if how == "worker":
        app.run_worker(failing_worker(app))
    else:
        app.call_later(failing_lookup, app)
    deadline = time.monotonic() + 10
    while app.is_running and time.monotonic() < deadline:
        await pilot.pause(0.02)


@pytest.mark.parametrize("how", ["handler", "worker"])
async def test_a_crash_saves_a_private_report_and_prints_no_secret(
        how: str, ui_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app = test_app(WizardState(password=PASSWORD))
    raised = WorkerFailed if how == "worker" else KeyError
    # Under Pilot, Textual raises the app's error again when the test leaves the app.
    with pytest.raises(raised):
        async with app.run_test(size=SIZE) as pilot:
            await crash(pilot, how)
    assert app.return_code == 1 and not app.is_running
    printed = capsys.readouterr()

    [report] = (ui_home / "cache").glob("crash-*.txt")
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert stat.S_IMODE(report.parent.stat().st_mode) == 0o700
    text = report.read_text()
    assert text.startswith("Traceback (most recent call last):")
    assert "in failing_lookup" in text and "table[password]" in text
    assert f"KeyError: '{HIDDEN}'" in text  # the message quoted the password
    assert LOCAL_MARKER not in text  # no local variables
    forms = secret_forms(PASSWORD)
    assert found_in(text.encode(), forms) == []

    # Instead of a traceback, one short note naming the report.
    shown = printed.err + printed.out
    assert "Unexpected problem (KeyError)." in shown
    assert "".join(str(report).split()) in "".join(shown.split())
    assert "Traceback" not in shown and LOCAL_MARKER not in shown
    assert found_in(shown.encode(), forms) == []


# --- a whole registration ----------------------------------------------------------------


async def screenshot(app: App[Any], folder: Path, name: str) -> Path:
    path = folder / f"{name}.svg"
    path.write_text(app.export_screenshot(), "utf-8")
    return path


async def test_a_registration_leaves_the_password_only_in_its_credentials_file(
        prosody: Any, ui_home: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("slixmpp", "slixmpp.xmlstream.xmlstream", "slixmpp.basexmpp"):
        caplog.set_level(logging.DEBUG, logger=name)
    started = time.time() - 1
    shots = tmp_path / "screenshots"
    shots.mkdir()
    username = fresh("hush")
    jid = f"{username}@open.test"
    forms = secret_forms(PASSWORD, username, jid)
    state = WizardState(host=prosody.host, port=prosody.starttls_port, ca_file=prosody.ca_file)
    app = test_app(state)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, WelcomeScreen)
        await pilot.press("enter")
        await through_connection_step(pilot)
        await wait_for_screen(pilot, ServerScreen)
        await type_text(pilot, "open.test")
        await pilot.press("enter")
        screen = await wait_for_screen(pilot, AccountScreen)
        await type_text(pilot, username)
        await pilot.press("enter")
        await type_text(pilot, PASSWORD)
        typed = await screenshot(app, shots, "account-password")
        await pilot.press("enter")  # to the repeat field
        await type_text(pilot, PASSWORD)
        repeated = await screenshot(app, shots, "account-repeat")
        assert screen.query_one("#password", Input).value == PASSWORD
        assert screen.query_one("#repeat", Input).value == PASSWORD
        await pilot.press("enter")
        creating = await wait_for_screen(pilot, CreatingScreen, NETWORK_WAIT)
        await wait_until(pilot, lambda: bool(creating.query_one("#continue").display
                                             or creating.query("#error")),
                         NETWORK_WAIT, "the account and login check")
        assert not creating.query("#error"), screen_text(app)
        await screenshot(app, shots, "creating")
        await pilot.press("enter")
        await wait_for_screen(pilot, DoneScreen)
        await screenshot(app, shots, "done")
        await pilot.press("q")
        await pilot.pause()
    assert app.return_value is not None and app.return_value.jid == jid

    credentials = ui_home / "data" / "accounts" / f"{jid}.json"
    # The screenshots show what was typed, masked: the name is there, the password is not.
    for shot in (typed, repeated):
        assert username in shot.read_text()
    assert scan_files(files_under(shots), forms) == {}
    assert scan_files(files_under(ui_home), forms) == {credentials: ["JSON (ASCII)"]}
    assert not list((ui_home / "cache").glob("crash-*"))
    temp_hits = scan_files(files_under(Path(tempfile.gettempdir()), since=started,
                                       skip=[ui_home, prosody.workdir]), forms)
    assert temp_hits == {}
    assert found_in(caplog.text.encode(), forms) == []
