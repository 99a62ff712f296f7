"""The whole wizard against a real Prosody (tests/servers/prosody.py), keyboard only."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input

from onboard.core.flow import WizardState
from onboard.ui.app import OnboardApp
from onboard.ui.screens.account import AccountScreen
from onboard.ui.screens.connecting import ConnectingScreen
from onboard.ui.screens.creating import CreatingScreen
from onboard.ui.screens.done import DoneScreen
from onboard.ui.screens.form import FormScreen
from onboard.ui.screens.server import ServerScreen
from onboard.ui.screens.welcome import WelcomeScreen
from onboard.ui.widgets.captcha import CaptchaImage
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

pytestmark = [pytest.mark.prosody, pytest.mark.timeout(120)]


def prosody_app(prosody: Any) -> OnboardApp:
    """Pointed at the local server through the state; the user still types the domain."""
    state = WizardState(host=prosody.host, port=prosody.starttls_port, ca_file=prosody.ca_file)
    return test_app(state)


async def to_account(pilot: Pilot[Any], domain: str, username: str) -> AccountScreen:
    """Welcome → Connection → Server → Account, with the keyboard, and a generated password."""
    await wait_for_screen(pilot, WelcomeScreen)
    await pilot.press("enter")
    await through_connection_step(pilot)
    await wait_for_screen(pilot, ServerScreen)
    await type_text(pilot, domain)
    await pilot.press("enter")
    screen = await wait_for_screen(pilot, AccountScreen)
    await type_text(pilot, username)
    await pilot.press("enter", "ctrl+g")
    assert pilot.app.focused is screen.query_one("#continue", Button)
    return screen


def answered(screen: CreatingScreen) -> Callable[[], bool]:
    """Whether the creating screen is done: success (Continue shown) or an error."""
    return lambda: bool(screen.query_one("#continue").display or screen.query("#error"))


async def finish(pilot: Pilot[Any]) -> DoneScreen:
    """From the creating screen to Done, once the login check has worked."""
    screen = await wait_for_screen(pilot, CreatingScreen, NETWORK_WAIT)
    await wait_until(pilot, answered(screen), NETWORK_WAIT, "the account and login check")
    assert not screen.query("#error"), screen_text(pilot.app)
    await pilot.press("enter")
    return await wait_for_screen(pilot, DoneScreen)


def assert_saved(home: Path, jid: str, password: str) -> Path:
    path = home / "data" / "accounts" / f"{jid}.json"
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = json.loads(path.read_text())
    assert saved["jid"] == jid and saved["password"] == password
    assert saved["status"] == "created" and saved["login_verified"] is True
    return path


async def test_open_registration_end_to_end(prosody: Any, ui_home: Path) -> None:
    username = fresh("ui")
    app = prosody_app(prosody)
    async with app.run_test(size=SIZE) as pilot:
        await to_account(pilot, "open.test", username)
        password = app.screen.query_one("#password", Input).value
        await pilot.press("enter")
        done = await finish(pilot)
        jid = f"{username}@open.test"
        assert str(done.query_one("#address").render()) == jid
        path = assert_saved(ui_home, jid, password)
        assert str(path) in screen_text(app)
        assert "Logging in with the new account worked." in screen_text(app)
        assert password not in screen_text(app)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_value is not None and app.return_value.jid == jid
    assert prosody.user_exists("open.test", username)


async def test_name_taken_goes_back_to_account_with_suggestions(prosody: Any,
                                                                ui_home: Path) -> None:
    username = fresh("taken")
    first = prosody_app(prosody)
    async with first.run_test(size=SIZE) as pilot:
        await to_account(pilot, "open.test", username)
        await pilot.press("enter")
        await finish(pilot)
    first_file = ui_home / "data" / "accounts" / f"{username}@open.test.json"
    first_saved = first_file.read_text()

    app = prosody_app(prosody)
    async with app.run_test(size=SIZE) as pilot:
        await to_account(pilot, "open.test", username)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, AccountScreen)
                         and app.screen.notice is not None, NETWORK_WAIT, "the name check")
        screen = app.screen
        assert isinstance(screen, AccountScreen)
        text = screen_text(app)
        assert f"“{username}” is already taken" in text
        suggestions = [str(b.label) for b in screen.query(".suggestion").results(Button)]
        assert len(suggestions) == 3
        assert all(s.startswith(username) for s in suggestions)
        # The first account's file is untouched by the failed attempt.
        assert first_file.read_text() == first_saved
        # Take the first suggestion; the generated password is kept.
        screen.query_one("#suggestion-0").focus()
        await pilot.press("enter", "enter")
        await finish(pilot)
        assert app.state.jid == f"{suggestions[0]}@open.test"
    assert prosody.user_exists("open.test", suggestions[0])


async def test_captcha_wrong_then_right(prosody: Any, ui_home: Path) -> None:
    username = fresh("cap")
    app = prosody_app(prosody)
    async with app.run_test(size=SIZE) as pilot:
        await to_account(pilot, "captcha.test", username)
        password = app.screen.query_one("#password", Input).value
        await pilot.press("enter")
        screen = await wait_for_screen(pilot, FormScreen, NETWORK_WAIT)
        assert screen.query_one(CaptchaImage).image is not None
        assert "Type the characters you see in the picture." in screen_text(app)
        wrong = "Q" * len(prosody.captcha_answer)
        assert wrong != prosody.captcha_answer
        await type_text(pilot, wrong)
        await pilot.press("enter")
        # A fresh form (the CAPTCHA is single use) with the server's verdict.
        await wait_until(pilot, lambda: isinstance(app.screen, FormScreen)
                         and app.screen.notice is not None, NETWORK_WAIT, "a fresh form")
        assert "CAPTCHA answer was wrong" in screen_text(app)
        assert not (ui_home / "data" / "accounts" / f"{username}@captcha.test.json").exists()
        await type_text(pilot, prosody.captcha_answer.lower())
        await pilot.press("enter")
        await finish(pilot)
        assert_saved(ui_home, f"{username}@captcha.test", password)
    assert prosody.user_exists("captcha.test", username)


async def test_extra_fields_are_filled_in(prosody: Any, ui_home: Path) -> None:
    username = fresh("fields")
    app = prosody_app(prosody)
    async with app.run_test(size=SIZE) as pilot:
        await to_account(pilot, "fields.test", username)
        password = app.screen.query_one("#password", Input).value
        await pilot.press("enter")
        screen = await wait_for_screen(pilot, FormScreen, NETWORK_WAIT)
        by_var = {field.var: widget for field, widget in screen._widgets}
        assert set(by_var) == {"email", "reason"}
        text = screen_text(app)
        assert "Why do you want an account? *" in text
        # Both are required: an empty submit is stopped on this screen.
        screen.query_one("#submit").focus()
        await pilot.press("enter")
        assert isinstance(app.screen, FormScreen)
        assert "Please fill in" in screen_text(app)
        assert app.focused is by_var["email"]
        await type_text(pilot, f"{username}@mail.example")
        await pilot.press("enter")
        assert app.focused is by_var["reason"]
        await type_text(pilot, "to chat with my family")
        await pilot.press("enter")
        await finish(pilot)
        assert_saved(ui_home, f"{username}@fields.test", password)
    assert prosody.user_exists("fields.test", username)


async def test_closed_registration_is_explained(prosody: Any, ui_home: Path) -> None:
    app = prosody_app(prosody)
    async with app.run_test(size=SIZE) as pilot:
        await to_account(pilot, "closed.test", fresh("closed"))
        await pilot.press("enter")
        screen = await wait_for_screen(pilot, ConnectingScreen)
        await wait_until(pilot, lambda: bool(screen.query("#error")), NETWORK_WAIT,
                         "the error")
        text = screen_text(app)
        assert "closed.test does not allow creating accounts from an app." in text
        assert app.focused is not None and app.focused.id == "choice-server"
        await pilot.press("enter")
        await wait_for_screen(pilot, ServerScreen)
    assert not list((ui_home / "data" / "accounts").glob("*.json"))


async def connection_error(pilot: Pilot[Any], domain: str) -> str:
    """Go through the wizard to `domain` and return the text of the error it ends with."""
    await to_account(pilot, domain, fresh("err"))
    await pilot.press("enter")
    screen = await wait_for_screen(pilot, ConnectingScreen)
    await wait_until(pilot, lambda: bool(screen.query("#error")), NETWORK_WAIT, "the error")
    return screen_text(pilot.app)


async def test_no_tls_is_refused(prosody: Any, ui_home: Path) -> None:
    app = prosody_app(prosody)
    async with app.run_test(size=SIZE) as pilot:
        text = await connection_error(pilot, "notls.test")
        assert "does not offer an encrypted connection. Nothing was sent." in text
    assert not (ui_home / "data" / "accounts").exists() or not list(
        (ui_home / "data" / "accounts").glob("*.json"))


async def test_expired_certificate_is_named(prosody: Any, ui_home: Path) -> None:
    app = prosody_app(prosody)
    async with app.run_test(size=SIZE) as pilot:
        text = await connection_error(pilot, "expired.test")
        assert "certificate for expired.test has expired" in text
        assert app.focused is not None and app.focused.id == "choice-server"


async def test_rate_limit_is_explained(prosody: Any, ui_home: Path) -> None:
    """ratelimit.test takes one registration from 127.0.0.1 per session: the second is refused
    (the first may already have been used by another test)."""
    for _attempt in range(2):
        app = prosody_app(prosody)
        async with app.run_test(size=SIZE) as pilot:
            await to_account(pilot, "ratelimit.test", fresh("rate"))
            await pilot.press("enter")
            screen = await wait_for_screen(pilot, CreatingScreen, NETWORK_WAIT)
            await wait_until(pilot, answered(screen), NETWORK_WAIT, "an answer")
            if not screen.query("#error"):
                continue  # this was the one registration allowed
            assert "limit has been reached" in screen_text(app)
            labels = [str(b.label) for b in screen.query("#error Button").results(Button)]
            assert labels == ["Choose another server", "Try again"]
            await pilot.press("enter")
            await wait_for_screen(pilot, ServerScreen)
            return
    pytest.fail("ratelimit.test accepted two registrations")


async def test_a_name_the_server_refuses_leads_back_to_the_account_step(prosody: Any,
                                                                       ui_home: Path) -> None:
    """Mixed Hebrew and Latin letters pass the local check, but Prosody refuses the name: only
    the account step can change it, even on a server whose form asks for more."""
    from tests.ui.helpers import live_state

    app = test_app(live_state(prosody, "fields.test", "א" + fresh("x")), start="connect")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, FormScreen, NETWORK_WAIT)
        by_var = {field.var: widget for field, widget in screen._widgets}
        by_var["email"].value = "x@example.org"  # type: ignore[attr-defined]
        by_var["reason"].value = "to talk"  # type: ignore[attr-defined]
        screen.query_one("#submit").focus()
        await pilot.press("enter")
        await wait_for_screen(pilot, AccountScreen, NETWORK_WAIT)
        text = screen_text(app)
        assert "did not accept that name" in text
        assert "Choose another name" in text
        assert not list((ui_home / "data" / "accounts").glob("*.json"))
