"""Welcome screen: the two paths, the language switch, Esc quits."""

from __future__ import annotations

import gettext
import re

import pytest
from textual.widgets import Button, RadioSet

from onboard.i18n import LOCALE_DIR, _, current_language
from onboard.ui.screens.existing import ExistingAccountScreen
from onboard.ui.screens.server import ServerScreen
from onboard.ui.screens.welcome import WelcomeScreen
from tests.ui.helpers import (
    SIZE,
    screen_text,
    test_app,
    through_connection_step,
    wait_for_screen,
)

GERMAN_CATALOG = (LOCALE_DIR / "de" / "LC_MESSAGES" / "onboard.mo").exists()


async def test_explains_and_offers_both_paths() -> None:
    app = test_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, WelcomeScreen)
        text = screen_text(app)
        assert "Step 1 of 7: Welcome" in str(screen.query_one("#step").render())
        assert "XMPP" in text and "private file" in text
        assert app.focused is not None and app.focused.id == "create"
        labels = [str(b.label) for b in screen.query(Button)]
        assert labels == ["Create a new account", "I already have an account"]


async def test_enter_starts_creating_an_account() -> None:
    app = test_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, WelcomeScreen)
        await pilot.press("enter")
        await through_connection_step(pilot)
        await wait_for_screen(pilot, ServerScreen)
        assert app.state.mode == "create"


async def test_existing_account_asks_for_the_login_and_goes_back() -> None:
    app = test_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, WelcomeScreen)
        await pilot.press("tab", "enter")
        screen = await wait_for_screen(pilot, ExistingAccountScreen)
        assert app.state.mode == "existing"
        assert "Log in with your account" in screen_text(app)
        assert app.focused is screen.query_one("#address")
        await pilot.press("escape")
        await wait_for_screen(pilot, WelcomeScreen)
        # The Back button works as well as Esc.
        await pilot.press("tab", "enter")
        await wait_for_screen(pilot, ExistingAccountScreen)
        await pilot.press("tab", "tab", "enter")
        await wait_for_screen(pilot, WelcomeScreen)


async def test_escape_on_welcome_quits() -> None:
    app = test_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, WelcomeScreen)
        await pilot.press("escape")
        await pilot.pause()
    assert app.return_value is app.state
    assert app.state.jid == ""


async def test_switching_to_german_and_back() -> None:
    app = test_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, WelcomeScreen)
        english_label = str(app.screen.query_one("#create", Button).label)
        # Keyboard only: to the language choice, then move to Deutsch and select it.
        await pilot.press("tab", "tab")
        assert isinstance(app.focused, RadioSet)
        await pilot.press("right", "enter")
        await pilot.pause()
        assert current_language() == "de"
        assert app.state.language == "de"
        screen = app.screen
        assert isinstance(screen, WelcomeScreen)
        german_label = str(screen.query_one("#create", Button).label)
        assert german_label == _("Create a new account")
        if GERMAN_CATALOG:
            assert german_label != english_label
        # The screen still works after the switch.
        assert isinstance(app.focused, RadioSet)
        await pilot.press("left", "enter")
        await pilot.pause()
        assert current_language() == "en"
        assert str(app.screen.query_one("#create", Button).label) == english_label


class Shouting(gettext.NullTranslations):
    """A stand-in catalog: every text in capitals."""

    def gettext(self, message: str) -> str:
        # Capitals everywhere but in {placeholders}.
        parts = re.split(r"(\{[^}]*\})", message)
        return "".join(p if p.startswith("{") else p.upper() for p in parts)


async def test_language_switch_changes_every_visible_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """Independent of the real German catalog: a stand-in one shows what changes."""
    monkeypatch.setattr(gettext, "translation", lambda *args, **kwargs: Shouting())
    app = test_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, WelcomeScreen)
        await pilot.press("tab", "tab", "right", "enter")
        await pilot.pause()
        assert current_language() == "de"
        assert str(screen.query_one("#create", Button).label) == "CREATE A NEW ACCOUNT"
        assert "STEP 1 OF 7: WELCOME" in str(screen.query_one("#step").render())
        assert "XMPP IS AN OPEN CHAT NETWORK" in screen_text(app)
        shown = {b.binding.description for b in screen.active_bindings.values()
                 if b.binding.show}
        assert shown == {"QUIT", "GUIDE"}
        # Later screens are built in the new language too.
        await pilot.press("shift+tab", "shift+tab", "enter")
        await through_connection_step(pilot)
        server = await wait_for_screen(pilot, ServerScreen)
        assert "STEP 4 OF 7: SERVER" in str(server.query_one("#step").render())
        assert {b.binding.description for b in server.active_bindings.values()
                if b.binding.show} == {"BACK", "GUIDE"}


@pytest.mark.skipif(not GERMAN_CATALOG, reason="the German catalog is not there yet")
async def test_german_footer_and_step_indicator() -> None:
    app = test_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, WelcomeScreen)
        await pilot.press("tab", "tab", "right", "enter")
        await pilot.pause()
        step = str(app.screen.query_one("#step").render())
        assert "Step 1 of 7" not in step
        descriptions = [b.binding.description for b in app.screen.active_bindings.values()
                        if b.binding.show]
        assert "Quit" not in descriptions
