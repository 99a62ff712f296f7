"""Creating: submit, log in once, and what each failure leads to."""

from __future__ import annotations

from textual.widgets import Button, Input

from onboard.core.errors import (
    LoginFailedError,
    NameTakenError,
    NetworkTimeoutError,
    NotAcceptableError,
    RateLimitedError,
    StorageError,
)
from onboard.core.flow import WizardState
from onboard.ui.screens.account import AccountScreen
from onboard.ui.screens.creating import CreatingScreen, submission
from onboard.ui.screens.done import DoneScreen
from onboard.ui.screens.form import FormScreen
from onboard.ui.screens.server import ServerScreen
from tests.ui.fakes import (
    FIXED_CREDENTIALS,
    FakeRegistration,
    captcha_form,
    simple_form,
)
from tests.ui.helpers import SIZE, screen_text, test_app, type_text, wait_for_screen, wait_until

PASSWORD = "abcd-efgh-jkmn-pqrs-tuvw"


def ready_state() -> WizardState:
    return WizardState(domain="example.org", username="alice", password=PASSWORD,
                       password_generated=True)


def test_submission_adds_name_and_password() -> None:
    state = ready_state()
    state.answers = {"email": ["a@b.example"]}
    assert submission(state) == {"email": ["a@b.example"], "username": ["alice"],
                                 "password": [PASSWORD]}


async def test_success_shows_progress_then_done() -> None:
    fake = FakeRegistration([simple_form()])
    app = test_app(ready_state(), service=fake, start="connect")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, CreatingScreen)
        await wait_until(pilot, lambda: screen.query_one("#continue").display,
                         what="the check")
        text = screen_text(app)
        assert "Creating your account alice@example.org…" in text
        assert f"Account created, saved to {FIXED_CREDENTIALS}" in text
        assert "Logging in once to check…" in text
        assert "It works." in text
        assert PASSWORD not in text
        assert app.focused is screen.query_one("#continue", Button)
        # The account exists: Esc does not go back.
        await pilot.press("escape")
        assert isinstance(app.screen, CreatingScreen)
        await pilot.press("enter")
        await wait_for_screen(pilot, DoneScreen)
        assert app.state.jid == "alice@example.org"
        assert app.state.credentials_file == FIXED_CREDENTIALS
        assert app.state.login_verified
        assert fake.verified == 1


async def test_back_is_disabled_while_sending() -> None:
    fake = FakeRegistration([simple_form()], hang_submit=True)
    app = test_app(ready_state(), service=fake, start="connect")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, CreatingScreen)
        await wait_until(pilot, lambda: bool(fake.submitted), what="the submit")
        assert screen.check_action("back", ()) is None  # shown disabled
        await pilot.press("escape")
        assert isinstance(app.screen, CreatingScreen)


async def test_name_taken_goes_back_to_account_with_suggestions() -> None:
    fake = FakeRegistration([simple_form()], submit_errors=[
        NameTakenError("alice", ["alice101", "alice202"])])
    app = test_app(ready_state(), service=fake, start="connect")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, AccountScreen)
        text = screen_text(app)
        assert "“alice” is already taken" in text
        assert "alice101" in text
        assert [str(b.label) for b in screen.query(".suggestion").results(Button)] == [
            "alice101", "alice202"]
        # Pick a suggestion and go on: a fresh session, then success.
        screen.query_one("#suggestion-0").focus()
        await pilot.press("enter", "enter")
        await wait_for_screen(pilot, CreatingScreen)
        await wait_until(pilot, lambda: app.state.login_verified, what="the check")
        assert fake.fetches == 2
        assert fake.submitted[-1]["username"] == ["alice101"]


async def test_wrong_captcha_fetches_a_fresh_form_and_keeps_answers() -> None:
    fake = FakeRegistration([captcha_form(), captcha_form()],
                            submit_errors=[NotAcceptableError("wrong captcha", "captcha")])
    app = test_app(ready_state(), service=fake, start="connect")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, FormScreen)
        await type_text(pilot, "WRONG")
        await pilot.press("enter")
        screen = await wait_for_screen(pilot, FormScreen)
        await wait_until(pilot, lambda: fake.fetches == 2, what="a fresh form")
        assert "CAPTCHA answer was wrong" in screen_text(app)
        assert "A new CAPTCHA has been fetched" in screen_text(app)
        ocr = screen.query_one("#field-0", Input)
        assert ocr.value == ""
        await type_text(pilot, "RIGHT")
        await pilot.press("enter")
        await wait_for_screen(pilot, CreatingScreen)
        await wait_until(pilot, lambda: app.state.login_verified, what="the check")
        assert fake.submitted[-1]["ocr"] == ["RIGHT"]


async def test_weak_password_from_server_goes_to_account() -> None:
    fake = FakeRegistration([simple_form()], submit_errors=[
        NotAcceptableError("password too weak", "weak-password")])
    app = test_app(ready_state(), service=fake, start="connect")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, AccountScreen)
        assert "password is too weak" in screen_text(app)


async def test_refused_answer_without_extra_fields_goes_to_account() -> None:
    fake = FakeRegistration([simple_form()], submit_errors=[
        NotAcceptableError("no", "invalid")])
    app = test_app(ready_state(), service=fake, start="connect")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, AccountScreen)
        await wait_until(pilot, lambda: fake.fetches == 2, what="a fresh session")
        assert "did not accept the information" in screen_text(app)
        assert fake.fetches == 2  # a fresh session showed there is nothing more to ask


async def test_rate_limited_offers_another_server_or_try_again() -> None:
    fake = FakeRegistration([simple_form()], submit_errors=[RateLimitedError("slow down")])
    app = test_app(ready_state(), service=fake, start="connect")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, CreatingScreen)
        await wait_until(pilot, lambda: bool(screen.query("#error")), what="the error")
        assert "limit has been reached" in screen_text(app)
        labels = [str(b.label) for b in screen.query("#error Button").results(Button)]
        assert labels == ["Choose another server", "Try again"]
        await pilot.press("tab", "enter")  # Try again: a fresh connection and a new submit
        await wait_until(pilot, lambda: app.state.login_verified, what="the second attempt")
        assert fake.fetches == 2 and len(fake.submitted) == 2


async def test_rate_limited_choose_another_server() -> None:
    fake = FakeRegistration([simple_form()], submit_errors=[RateLimitedError("slow down")])
    app = test_app(ready_state(), service=fake, start="connect")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, CreatingScreen)
        await wait_until(pilot, lambda: bool(screen.query("#error")), what="the error")
        await pilot.press("enter")
        await wait_for_screen(pilot, ServerScreen)


async def test_timeout_then_back() -> None:
    fake = FakeRegistration([simple_form()],
                            submit_errors=[NetworkTimeoutError("registration", 30)])
    app = test_app(ready_state(), service=fake, start="connect")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, CreatingScreen)
        await wait_until(pilot, lambda: bool(screen.query("#error")), what="the error")
        assert "did not answer in time" in screen_text(app)
        labels = [str(b.label) for b in screen.query("#error Button").results(Button)]
        assert labels == ["Try again", "Back", "Choose another server"]
        await pilot.press("escape")
        await wait_for_screen(pilot, AccountScreen)


async def test_login_check_failure_says_the_account_exists() -> None:
    fake = FakeRegistration([simple_form()], verify_errors=[LoginFailedError()])
    app = test_app(ready_state(), service=fake, start="connect")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, CreatingScreen)
        await wait_until(pilot, lambda: bool(screen.query("#error")), what="the error")
        text = screen_text(app)
        assert "was created and is saved in" in text
        assert "Logging in with the new account did not work." in text
        assert "Your credentials are saved." in text
        assert PASSWORD not in text
        await pilot.press("enter")  # Check again: works this time
        await wait_until(pilot, lambda: app.state.login_verified, what="the second check")
        assert fake.verified == 2
        await pilot.press("enter")
        await wait_for_screen(pilot, DoneScreen)


async def test_login_check_failure_continue_to_done() -> None:
    fake = FakeRegistration([simple_form()], verify_errors=[LoginFailedError()])
    app = test_app(ready_state(), service=fake, start="connect")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, CreatingScreen)
        await wait_until(pilot, lambda: bool(screen.query("#error")), what="the error")
        await pilot.press("tab", "enter")
        await wait_for_screen(pilot, DoneScreen)
        assert "did not work yet" in screen_text(app)
        assert not app.state.login_verified


async def test_storage_error_can_show_the_password_on_request() -> None:
    fake = FakeRegistration([simple_form()], submit_errors=[StorageError("disk full")])
    app = test_app(ready_state(), service=fake, start="connect")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, CreatingScreen)
        await wait_until(pilot, lambda: bool(screen.query("#error")), what="the error")
        text = screen_text(app)
        assert "could not be saved: disk full" in text
        assert PASSWORD not in text
        screen.query_one("#choice-show-password").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert PASSWORD in screen_text(app)
        assert "alice@example.org" in screen_text(app)
