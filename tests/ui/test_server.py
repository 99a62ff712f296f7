"""Server screen: typed domain with live validation, or a pick from the list."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from onboard.core.providers import Provider
from onboard.ui.screens.account import AccountScreen
from onboard.ui.screens.server import ServerScreen
from onboard.ui.screens.welcome import WelcomeScreen
from tests.ui.helpers import SIZE, test_app, text_of, type_text, wait_for_screen

PROVIDERS = [
    Provider("chat.example", "A", True, captcha=True, email_required=False, countries=("DE",)),
    Provider("im.example", "A", True, captcha=False, email_required=True,
             countries=("FR", "CH")),
]


async def test_explains_federation_and_lists_servers() -> None:
    app = test_app(providers=PROVIDERS, start="server")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ServerScreen)
        assert "federation" in text_of(app, "#federation")
        assert "Step 2 of 5: Server" in str(screen.query_one("#step").render())
        table = screen.query_one("#providers", DataTable)
        assert table.row_count == 2
        assert table.get_row_at(0) == ["chat.example", "DE", "yes", "no"]
        assert table.get_row_at(1) == ["im.example", "FR CH", "no", "yes"]
        assert isinstance(app.focused, Input) and app.focused.id == "domain"


async def test_typed_domain_is_validated_live() -> None:
    app = test_app(providers=PROVIDERS, start="server")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ServerScreen)
        await type_text(pilot, "alice@example")
        assert "no “name@” before it" in text_of(app, "#domain-problem")
        await pilot.press("enter")
        assert isinstance(app.screen, ServerScreen)  # not accepted
        for _ in range(len("alice@example")):
            await pilot.press("backspace")
        await type_text(pilot, "localhost")
        assert "at least one dot" in text_of(app, "#domain-problem")
        await type_text(pilot, ".example")
        assert text_of(app, "#domain-problem") == ""
        await pilot.press("enter")
        await wait_for_screen(pilot, AccountScreen)
        assert app.state.domain == "localhost.example"


async def test_domain_is_normalized() -> None:
    app = test_app(providers=PROVIDERS, start="server")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ServerScreen)
        await type_text(pilot, "Example.ORG.")
        await pilot.press("enter")
        await wait_for_screen(pilot, AccountScreen)
        assert app.state.domain == "example.org"


async def test_pick_from_the_list_with_the_keyboard() -> None:
    app = test_app(providers=PROVIDERS, start="server")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ServerScreen)
        await pilot.press("tab")
        assert isinstance(app.focused, DataTable)
        await pilot.press("down", "enter")
        await wait_for_screen(pilot, AccountScreen)
        assert app.state.domain == "im.example"


async def test_escape_goes_back_and_the_domain_is_kept() -> None:
    app = test_app(providers=PROVIDERS, start="server")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ServerScreen)
        await type_text(pilot, "example.org")
        await pilot.press("enter")
        await wait_for_screen(pilot, AccountScreen)
        await pilot.press("escape")
        screen = await wait_for_screen(pilot, ServerScreen)
        assert screen.query_one("#domain", Input).value == "example.org"
        await pilot.press("escape")
        await wait_for_screen(pilot, WelcomeScreen)


async def test_empty_domain_shows_what_to_enter() -> None:
    app = test_app(providers=PROVIDERS, start="server")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ServerScreen)
        await pilot.press("enter")
        assert "Enter a server name" in text_of(app, "#domain-problem")
        assert isinstance(app.screen, ServerScreen)
