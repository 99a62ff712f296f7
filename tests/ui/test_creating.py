"""Creating: submit, log in once, and what each failure leads to.

Against the real Prosody (tests/servers/prosody.py). A relay (tests/ui/relay.py) in front of it
counts connections, or holds the server's answers back where a test needs a server that hangs.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Input

from onboard.core.errors import NotAcceptableError
from onboard.core.flow import WizardState
from onboard.ui.screens.account import AccountScreen
from onboard.ui.screens.creating import CreatingScreen, submission
from onboard.ui.screens.done import DoneScreen
from onboard.ui.screens.form import FormScreen
from onboard.ui.screens.server import ServerScreen
from onboard.ui.service import LiveRegistration
from tests.ui.fakes import FakeRegistration, simple_form
from tests.ui.helpers import (
    NETWORK_WAIT,
    PASSWORD,
    SIZE,
    error_shown,
    first_login_refused,
    fresh,
    live_state,
    register_directly,
    screen_text,
    test_app,
    type_text,
    use_up_registrations,
    wait_for_screen,
    wait_until,
)
from tests.ui.relay import Relay

MakeRelay = Callable[..., Relay]


def test_submission_adds_name_and_password() -> None:
    state = WizardState(domain="example.org", username="alice", password=PASSWORD)
    state.answers = {"email": ["a@b.example"]}
    assert submission(state) == {"email": ["a@b.example"], "username": ["alice"],
                                 "password": [PASSWORD]}


def saved_file(home: Path, jid: str) -> Path:
    return home / "data" / "accounts" / f"{jid}.json"


async def opened_session(state: WizardState) -> LiveRegistration:
    """The live service with the form of `state`'s server fetched, as the connect step leaves
    it; for tests that start at the creating step (the form goes into the state)."""
    service = LiveRegistration()
    state.form = await service.fetch_form(state)
    return service


@pytest.mark.prosody
async def test_success_shows_progress_then_done(prosody: Any, relay: MakeRelay,
                                                ui_home: Path) -> None:
    username = fresh("alice")
    jid = f"{username}@open.test"
    gate = relay(prosody.starttls_port)
    app = test_app(live_state(prosody, "open.test", username, port=gate.port), start="connect")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, CreatingScreen, NETWORK_WAIT)
        await wait_until(pilot, lambda: screen.query_one("#continue").display, NETWORK_WAIT,
                         "the check")
        path = saved_file(ui_home, jid)
        text = screen_text(app)
        assert f"Creating your account {jid}…" in text
        assert f"Account created, saved to {path}" in text
        assert "Logging in once to check…" in text
        assert "It works." in text
        assert PASSWORD not in text
        assert app.focused is screen.query_one("#continue", Button)
        # The account exists: Esc does not go back.
        await pilot.press("escape")
        assert isinstance(app.screen, CreatingScreen)
        await pilot.press("enter")
        await wait_for_screen(pilot, DoneScreen)
        assert app.state.jid == jid
        assert app.state.credentials_file == path
        assert app.state.login_verified
        # One connection to register, one to log in once; the file says the login worked.
        assert gate.connections == 2
        assert json.loads(path.read_text())["login_verified"] is True
    assert prosody.user_exists("open.test", username)


@pytest.mark.prosody
async def test_back_is_disabled_while_sending(prosody: Any, relay: MakeRelay) -> None:
    gate = relay(prosody.starttls_port)
    state = live_state(prosody, "open.test", fresh("busy"), port=gate.port)
    service = await opened_session(state)
    gate.pause()  # the server's answers stop coming
    app = test_app(state, service=service, start="create")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, CreatingScreen)
        await wait_until(pilot, lambda: gate.held > 0, NETWORK_WAIT, "the submit")
        assert screen.check_action("back", ()) is None  # shown disabled
        await pilot.press("escape")
        assert isinstance(app.screen, CreatingScreen)
        # The answer was only late: once it comes, the account is there.
        gate.resume()
        await wait_until(pilot, lambda: app.state.login_verified, NETWORK_WAIT, "the check")


@pytest.mark.prosody
async def test_name_taken_goes_back_to_account_with_suggestions(prosody: Any,
                                                                relay: MakeRelay) -> None:
    username = fresh("taken")
    await register_directly(prosody, "open.test", username)
    gate = relay(prosody.starttls_port)
    app = test_app(live_state(prosody, "open.test", username, port=gate.port), start="connect")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, AccountScreen, NETWORK_WAIT)
        text = screen_text(app)
        assert f"“{username}” is already taken" in text
        assert screen.notice is not None
        suggestions = screen.notice.suggestions  # type: ignore[attr-defined]
        assert len(suggestions) == 3
        assert all(s.startswith(username) and s[len(username):].isdigit() for s in suggestions)
        assert suggestions[0] in text
        assert [str(b.label) for b in screen.query(".suggestion").results(Button)] == suggestions
        # Pick a suggestion and go on: a fresh session, then success.
        screen.query_one("#suggestion-0").focus()
        await pilot.press("enter", "enter")
        await wait_for_screen(pilot, CreatingScreen)
        await wait_until(pilot, lambda: app.state.login_verified, NETWORK_WAIT, "the check")
        assert gate.connections == 3  # two sessions, one login check
        assert app.state.jid == f"{suggestions[0]}@open.test"
    assert prosody.user_exists("open.test", suggestions[0])


@pytest.mark.prosody
async def test_wrong_captcha_fetches_a_fresh_form_and_keeps_answers(
        prosody: Any, relay: MakeRelay, ui_home: Path) -> None:
    username = fresh("cap")
    gate = relay(prosody.starttls_port)
    app = test_app(live_state(prosody, "captcha.test", username, port=gate.port),
                   start="connect")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, FormScreen, NETWORK_WAIT)
        await type_text(pilot, "WRONG")  # O and G are not in the fixture's CAPTCHA alphabet
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, FormScreen)
                         and app.screen.notice is not None, NETWORK_WAIT, "a fresh form")
        screen = app.screen
        assert gate.connections == 2
        assert "CAPTCHA answer was wrong" in screen_text(app)
        assert "A new CAPTCHA has been fetched" in screen_text(app)
        ocr = screen.query_one("#field-0", Input)
        assert ocr.value == ""
        assert app.focused is ocr
        assert not saved_file(ui_home, f"{username}@captcha.test").exists()
        await type_text(pilot, prosody.captcha_answer)
        await pilot.press("enter")
        await wait_for_screen(pilot, CreatingScreen)
        await wait_until(pilot, lambda: app.state.login_verified, NETWORK_WAIT, "the check")
        assert app.state.answers["ocr"] == [prosody.captcha_answer]
    assert prosody.user_exists("captcha.test", username)


async def test_weak_password_from_server_goes_to_account() -> None:
    """Prosody has no password policy: a canned service refuses the password."""
    state = WizardState(domain="example.org", username="alice", password=PASSWORD,
                        password_generated=True, form=simple_form())
    fake = FakeRegistration(submit_error=NotAcceptableError("password too weak",
                                                            "weak-password"))
    app = test_app(state, service=fake, start="create")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, AccountScreen)
        assert "password is too weak" in screen_text(app)
        assert len(fake.submitted) == 1


@pytest.mark.prosody
async def test_refused_answer_without_extra_fields_goes_to_account(prosody: Any,
                                                                   relay: MakeRelay) -> None:
    """Hebrew and Latin letters in one name: fine locally, refused by the server (the bidi
    rule of stringprep's nodeprep)."""
    gate = relay(prosody.starttls_port)
    app = test_app(live_state(prosody, "open.test", "א" + fresh("refused"), port=gate.port),
                   start="connect")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, AccountScreen, NETWORK_WAIT)
        text = screen_text(app)
        assert "did not accept that name for your address" in text
        assert "The requested username is invalid." in text
        # The name is what was refused: straight back to it, no new connection needed yet.
        assert gate.connections == 1


@pytest.mark.prosody
async def test_rate_limited_offers_another_server_or_try_again(own_prosody: Any,
                                                               relay: MakeRelay) -> None:
    """On a Prosody of its own: restarting it is what "later" looks like to its rate limit."""
    await use_up_registrations(own_prosody, "ratelimit.test")
    username = fresh("rate")
    gate = relay(own_prosody.starttls_port)
    app = test_app(live_state(own_prosody, "ratelimit.test", username, port=gate.port),
                   start="connect")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, CreatingScreen, NETWORK_WAIT)
        await error_shown(pilot)
        assert "limit has been reached" in screen_text(app)
        labels = [str(b.label) for b in screen.query("#error Button").results(Button)]
        assert labels == ["Choose another server", "Try again"]
        assert not own_prosody.user_exists("ratelimit.test", username)
        # An hour later: the server forgot the earlier registration (it counts in memory).
        await asyncio.to_thread(lambda: (own_prosody.stop(), own_prosody.start()))
        gate.target_port = own_prosody.starttls_port
        await pilot.press("tab", "enter")  # Try again: a fresh connection and a new submit
        await wait_until(pilot, lambda: app.state.login_verified, NETWORK_WAIT,
                         "the second attempt")
        assert gate.connections == 3  # the refused attempt, the second one, the login check
    assert own_prosody.user_exists("ratelimit.test", username)


@pytest.mark.prosody
async def test_rate_limited_choose_another_server(prosody: Any) -> None:
    await use_up_registrations(prosody, "ratelimit.test")
    app = test_app(live_state(prosody, "ratelimit.test", fresh("rate")), start="connect")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, CreatingScreen, NETWORK_WAIT)
        await error_shown(pilot)
        await pilot.press("enter")
        await wait_for_screen(pilot, ServerScreen)


@pytest.mark.prosody
async def test_timeout_then_back(prosody: Any, relay: MakeRelay, quick_timeout: float) -> None:
    gate = relay(prosody.starttls_port)
    state = live_state(prosody, "open.test", fresh("slow"), port=gate.port)
    service = await opened_session(state)
    gate.pause()  # the server's answer never comes
    app = test_app(state, service=service, start="create")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, CreatingScreen)
        await error_shown(pilot)
        assert f"did not answer in time ({quick_timeout:.0f} s)" in screen_text(app)
        labels = [str(b.label) for b in screen.query("#error Button").results(Button)]
        assert labels == ["Try again", "Back", "Choose another server"]
        await pilot.press("escape")
        await wait_for_screen(pilot, AccountScreen)


@pytest.mark.prosody
async def test_login_check_failure_says_the_account_exists(prosody: Any,
                                                           relay: MakeRelay) -> None:
    username = fresh("check")
    gate = relay(prosody.starttls_port)
    gate.hold_from(2)
    app = test_app(live_state(prosody, "open.test", username, port=gate.port), start="connect")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, CreatingScreen, NETWORK_WAIT)
        put_back = await first_login_refused(pilot, prosody, gate, "open.test", username)
        text = screen_text(app)
        assert "was created and is saved in" in text
        assert "Logging in with the new account did not work." in text
        assert "Your credentials are saved." in text
        assert PASSWORD not in text
        put_back()
        await pilot.press("enter")  # Check again: works this time
        await wait_until(pilot, lambda: app.state.login_verified, NETWORK_WAIT,
                         "the second check")
        assert gate.connections == 3  # registration, the refused login, the second one
        await pilot.press("enter")
        await wait_for_screen(pilot, DoneScreen)


@pytest.mark.prosody
async def test_login_check_failure_continue_to_done(prosody: Any, relay: MakeRelay) -> None:
    username = fresh("check")
    gate = relay(prosody.starttls_port)
    gate.hold_from(2)
    app = test_app(live_state(prosody, "open.test", username, port=gate.port), start="connect")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, CreatingScreen, NETWORK_WAIT)
        put_back = await first_login_refused(pilot, prosody, gate, "open.test", username)
        put_back()
        await pilot.press("tab", "enter")
        await wait_for_screen(pilot, DoneScreen)
        assert "did not work yet" in screen_text(app)
        assert not app.state.login_verified


@pytest.mark.prosody
async def test_storage_error_can_show_the_password_on_request(prosody: Any,
                                                              ui_home: Path) -> None:
    """The server creates the account, but a folder stands where its file must go: saving
    fails for real (chmod would not stop root), after the account exists."""
    username = fresh("disk")
    jid = f"{username}@open.test"
    saved_file(ui_home, jid).mkdir(parents=True)
    app = test_app(live_state(prosody, "open.test", username), start="connect")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, CreatingScreen, NETWORK_WAIT)
        await error_shown(pilot)
        text = screen_text(app)
        assert "Your account was created, but its details could not be saved:" in text
        assert "Is a directory" in text
        assert "Write the address and password down now" in text
        assert PASSWORD not in text
        screen.query_one("#choice-show-password").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert PASSWORD in screen_text(app)
        assert jid in screen_text(app)
    assert prosody.user_exists("open.test", username)


@pytest.mark.prosody
async def test_storage_error_before_sending_keeps_the_password_hidden(
        prosody: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The data folder cannot be made (its parent is a file): nothing is sent, nothing lost."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("XMPP_ONBOARD_HOME", str(blocker / "onboard-home"))
    username = fresh("nodir")
    app = test_app(live_state(prosody, "open.test", username), start="connect")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, CreatingScreen, NETWORK_WAIT)
        await error_shown(pilot)
        text = screen_text(app)
        assert "The account details could not be saved:" in text
        assert "Not a directory" in text
        assert "Nothing was sent to the server yet." in text
        assert not screen.query("#choice-show-password")
        assert PASSWORD not in text
    assert not prosody.user_exists("open.test", username)
