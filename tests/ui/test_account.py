"""Account screen: name with live address preview, generated or own password."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from onboard.core.errors import NameTakenError
from onboard.core.flow import WizardState
from onboard.ui.screens import account as account_module
from onboard.ui.screens.account import AccountScreen
from onboard.ui.screens.connecting import ConnectingScreen
from onboard.ui.screens.server import ServerScreen
from tests.ui.helpers import SIZE, screen_text, test_app, text_of, type_text, wait_for_screen
from tests.ui.relay import Relay

GENERATED = "abcd-efgh-jkmn-pqrs-tuvw"


@pytest.fixture
def fixed_password(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(account_module, "generate_password", lambda: GENERATED)
    return GENERATED


def hanging_server_state(server: Relay) -> WizardState:
    """example.org, reached at a server that never answers: the connect step waits."""
    return WizardState(domain="example.org", host="127.0.0.1", port=server.port)


async def test_address_preview_and_name_problems() -> None:
    app = test_app(WizardState(domain="example.org"), start="account")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, AccountScreen)
        assert app.focused is not None and app.focused.id == "username"
        await type_text(pilot, "Alice")
        assert text_of(app, "#username-status") == "Your address will be alice@example.org"
        await type_text(pilot, " b")
        assert "cannot contain spaces" in text_of(app, "#username-status")
        await pilot.press("backspace", "backspace", "full_stop")
        assert text_of(app, "#username-status") == "Your address will be alice.@example.org"
        await pilot.press("backspace", "at")
        assert "cannot contain the character @" in text_of(app, "#username-status")


async def test_generated_password_is_shown_once_and_needs_no_repeat(
        fixed_password: str, silent_server: Relay) -> None:
    app = test_app(hanging_server_state(silent_server), start="account")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, AccountScreen)
        await type_text(pilot, "alice")
        await pilot.press("enter")  # to the password field
        assert app.focused is not None and app.focused.id == "password"
        await pilot.press("ctrl+g")
        password_input = screen.query_one("#password", Input)
        assert password_input.value == fixed_password
        assert password_input.password  # masked in the field
        assert screen.query_one("#reveal").display
        assert fixed_password in text_of(app, "#reveal-password")
        assert "Strength: strong" in text_of(app, "#strength")
        assert not screen.query_one("#repeat-row").display
        assert app.focused is not None and app.focused.id == "continue"
        await pilot.press("enter")
        await wait_for_screen(pilot, ConnectingScreen)
        assert app.state.username == "alice"
        assert app.state.password == fixed_password
        assert app.state.password_generated
        # Back from connecting: the password is kept but no longer shown.
        await pilot.press("escape")
        screen = await wait_for_screen(pilot, AccountScreen)
        assert not screen.query_one("#reveal").display
        assert fixed_password not in screen_text(app)
        assert screen.query_one("#password", Input).value == fixed_password
        assert not screen.query_one("#repeat-row").display


async def test_own_password_must_be_repeated(silent_server: Relay) -> None:
    app = test_app(hanging_server_state(silent_server), start="account")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, AccountScreen)
        assert not screen.query_one("#repeat-row").display
        await type_text(pilot, "alice")
        await pilot.press("enter")
        await type_text(pilot, "correct horse battery")
        assert screen.query_one("#repeat-row").display
        assert "Strength:" in text_of(app, "#strength")
        await pilot.press("enter")
        assert app.focused is not None and app.focused.id == "repeat"
        await type_text(pilot, "correct horse battery!")
        await pilot.press("enter")
        assert "not the same" in text_of(app, "#password-problem")
        assert isinstance(app.screen, AccountScreen)
        await pilot.press("backspace", "enter")
        await wait_for_screen(pilot, ConnectingScreen)
        assert app.state.password == "correct horse battery"
        assert not app.state.password_generated


async def test_weak_password_is_refused() -> None:
    app = test_app(WizardState(domain="example.org"), start="account")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, AccountScreen)
        await type_text(pilot, "alice")
        await pilot.press("enter")
        await type_text(pilot, "password")
        assert "very weak" in text_of(app, "#strength")
        await pilot.press("tab", "tab")  # past the generate button, to the repeat field
        assert app.focused is not None and app.focused.id == "repeat"
        await type_text(pilot, "password")
        await pilot.press("enter")
        assert "too easy to guess" in text_of(app, "#password-problem")
        assert isinstance(app.screen, AccountScreen)


async def test_editing_a_generated_password_makes_it_your_own(fixed_password: str) -> None:
    app = test_app(WizardState(domain="example.org"), start="account")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, AccountScreen)
        await pilot.press("ctrl+g")
        assert screen.query_one("#reveal").display
        screen.query_one("#password", Input).focus()
        await pilot.press("end", "x")
        assert not screen.query_one("#reveal").display
        assert screen.query_one("#repeat-row").display


async def test_missing_name_is_reported(fixed_password: str) -> None:
    app = test_app(WizardState(domain="example.org"), start="account")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, AccountScreen)
        await pilot.press("ctrl+g", "enter")
        assert "Enter a name" in text_of(app, "#username-status")
        assert app.focused is not None and app.focused.id == "username"


async def test_name_taken_notice_offers_suggestions() -> None:
    """The notice as the creating step leaves it, with fixed suggestions (a real server's are
    random; the real refusal is in test_creating.py)."""
    state = WizardState(domain="example.org", username="alice", password="x" * 20)
    app = test_app(state, start="account")
    app.notice = NameTakenError("alice", ["alice123", "alice456"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, AccountScreen)
        text = screen_text(app)
        assert "already taken" in text and "alice123" in text
        screen.query_one("#suggestion-1").focus()
        await pilot.press("enter")
        assert screen.query_one("#username", Input).value == "alice456"
        assert app.focused is not None and app.focused.id == "continue"


async def test_escape_goes_back_to_server() -> None:
    app = test_app(WizardState(domain="example.org"), start="account")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, AccountScreen)
        await type_text(pilot, "bob")
        await pilot.press("escape")
        await wait_for_screen(pilot, ServerScreen)
