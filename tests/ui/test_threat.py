"""The threat-model step: the questions after Welcome, the summary, and the defaults the
answers give the connection and server steps (which the user can still change)."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, TextArea

from onboard.core.flow import WizardState
from onboard.core.providers import NEWCOMER_FILTER, Provider
from onboard.core.threat import ThreatAnswers
from onboard.ui.app import OnboardApp, TorOptions
from onboard.ui.screens.filters import FiltersScreen
from onboard.ui.screens.server import ServerScreen
from onboard.ui.screens.threat import ThreatScreen
from onboard.ui.screens.threat_summary import ThreatSummaryScreen
from onboard.ui.screens.tor import TorScreen
from onboard.ui.screens.welcome import WelcomeScreen
from onboard.ui.widgets.choice_set import ChoiceSet
from tests.ui.helpers import (
    SIZE,
    screen_text,
    test_app,
    text_of,
    type_text,
    wait_for_screen,
    wait_until,
)

PROVIDERS = [
    Provider("chat.example", "A", True, captcha=True, email_required=False, countries=("DE",)),
    Provider("im.example", "A", True, captcha=False, email_required=True,
             countries=("FR", "CH")),
    Provider("onion.example", "A", True, captcha=False, email_required=False,
             countries=("NL",), onion=("onionexample.onion",)),
]


def wizard(state: WizardState | None = None) -> OnboardApp:
    # No running tor to look for: the connection step looks the same on every machine.
    return test_app(state, providers=PROVIDERS, tor_options=TorOptions(candidates=[]))


def step_text(pilot: Pilot[Any]) -> str:
    return str(pilot.app.screen.query_one("#step").render())


async def to_questions(pilot: Pilot[Any]) -> ThreatScreen:
    await wait_for_screen(pilot, WelcomeScreen)
    await pilot.press("enter")  # Create a new account
    return await wait_for_screen(pilot, ThreatScreen)


async def leave_questions(pilot: Pilot[Any]) -> ThreatSummaryScreen:
    """Shift+Tab back to Continue (from the first question it is one press), then Enter."""
    for _ in range(10):
        await pilot.press("shift+tab")
        focused = pilot.app.focused
        if focused is not None and focused.id == "continue":
            break
    await pilot.press("enter")
    return await wait_for_screen(pilot, ThreatSummaryScreen)


async def move_to(pilot: Pilot[Any], screen: TorScreen, choice: str) -> None:
    """On the connection step, move the highlight to `choice` and select it."""
    choices = screen.query_one("#tor-choice", ChoiceSet)
    names = [button.name for button in choices.query("RadioButton")]
    assert app_focused_is(pilot, choices)
    current = choices._selected or 0
    target = names.index(choice)
    key = "down" if target > current else "up"
    for _ in range(abs(target - current)):
        await pilot.press(key)
    await pilot.press("space")
    assert screen.chosen() == choice


def app_focused_is(pilot: Pilot[Any], widget: Any) -> bool:
    return pilot.app.focused is widget


async def test_a_state_and_tor_blocked_set_the_later_steps() -> None:
    app = wizard()
    async with app.run_test(size=SIZE) as pilot:
        screen = await to_questions(pilot)
        assert "Step 2 of 7: Your situation" in step_text(pilot)
        assert app.focused is screen.query_one("#concern-provider", Checkbox)
        # Police or a state: the third box.
        await pilot.press("tab", "tab", "space")
        assert screen.query_one("#concern-state", Checkbox).value
        # On to "is Tor blocked": from "I don't know" one to the left, chosen with Enter;
        # Enter again goes on to the country.
        await pilot.press("tab", "tab", "tab")
        assert app.focused is screen.query_one("#tor-blocked", ChoiceSet)
        await pilot.press("left", "enter", "enter")
        assert app.focused is screen.query_one("#country", Input)
        await type_text(pilot, "germany")
        await pilot.press("enter")

        summary = await wait_for_screen(pilot, ThreatSummaryScreen)
        assert app.state.threat == ThreatAnswers(concerns=frozenset({"state"}),
                                                 tor_blocked=True, country="DE")
        text = screen_text(app)
        assert "Step 2 of 7: What this protects" in step_text(pilot)
        for words in ("What it protects", "What it does not protect", "What you can do",
                      "Who you talk to", "A state can order", "Bridges, because Tor is "
                      "blocked", "No servers in Germany", "(guide: safe-device)"):
            assert words in text, words
        assert app.focused is summary.query_one("#summary")
        await pilot.press("enter")

        tor = await wait_for_screen(pilot, TorScreen)
        assert "Step 3 of 7: Connection" in step_text(pilot)
        assert tor.chosen() == "bridges"  # launch with bridges, preselected
        assert tor.query_one("#bridges", TextArea).display
        assert (app.state.tor_mode, app.state.tor_suggest_bridges) == ("launch", True)
        # Every default can be changed: go directly this time.
        await move_to(pilot, tor, "off")
        await pilot.press("enter")

        server = await wait_for_screen(pilot, ServerScreen)
        assert "Step 4 of 7: Server" in step_text(pilot)
        assert server.filter.prefer_onion and server.filter.in_band_only
        assert set(server.filter.avoid_countries) == {"DE"}
        assert [p.domain for p in server.shown] == ["onion.example", "im.example"]
        label = text_of(app, "#list-label")
        assert "onion addresses first" in label and "not in Germany" in label
        # The filters dialog shows them, and they can be changed there.
        await pilot.press("tab", "f")
        dialog = await wait_for_screen(pilot, FiltersScreen)
        assert dialog.query_one("#onion-first", Checkbox).value
        await pilot.press("escape")
        await wait_for_screen(pilot, ServerScreen)

        # Back to the questions: the answers are still there.
        await pilot.press("escape")
        tor = await wait_for_screen(pilot, TorScreen)
        assert tor.chosen() == "off"  # what the user chose, not the suggestion
        await pilot.press("escape")
        await wait_for_screen(pilot, ThreatSummaryScreen)
        await pilot.press("escape")
        screen = await wait_for_screen(pilot, ThreatScreen)
        assert screen.query_one("#concern-state", Checkbox).value
        assert screen.query_one("#country", Input).value == "DE"
        assert screen.answers() == app.state.threat
        # The same answers again keep the user's own choice on the connection step.
        await leave_questions(pilot)
        await pilot.press("enter")
        tor = await wait_for_screen(pilot, TorScreen)
        assert tor.chosen() == "off"


async def test_changed_answers_change_the_defaults_again() -> None:
    app = wizard()
    async with app.run_test(size=SIZE) as pilot:
        screen = await to_questions(pilot)
        await pilot.press("tab", "space")  # the network at school or work
        await leave_questions(pilot)
        assert app.state.tor_mode == "launch"
        await pilot.press("escape")
        screen = await wait_for_screen(pilot, ThreatScreen)
        await pilot.press("tab", "space")  # not after all
        assert not screen.query_one("#concern-network", Checkbox).value
        await leave_questions(pilot)
        await pilot.press("enter")
        tor = await wait_for_screen(pilot, TorScreen)
        assert tor.chosen() == "off"
        assert app.state.server_filter == NEWCOMER_FILTER


async def test_nothing_special_keeps_the_defaults() -> None:
    app = wizard()
    async with app.run_test(size=SIZE) as pilot:
        await to_questions(pilot)
        summary = await leave_questions(pilot)
        assert app.state.threat == ThreatAnswers()
        text = screen_text(app)
        assert "Directly, without Tor" in text
        assert "Without Tor, your server sees your internet address" in text
        summary.query_one("#summary").focus()
        await pilot.press("enter")
        tor = await wait_for_screen(pilot, TorScreen)
        assert tor.chosen() == "off"
        assert not tor.query_one("#bridges", TextArea).display
        await pilot.press("enter")
        server = await wait_for_screen(pilot, ServerScreen)
        assert server.filter == NEWCOMER_FILTER
        assert [p.domain for p in server.shown] == [p.domain for p in PROVIDERS]
        assert "onion" not in text_of(app, "#list-label")


async def test_a_tor_chosen_on_the_command_line_stays_the_choice() -> None:
    """`xmpp-onboard --tor system`: the answers call for Tor, and the running one stays."""
    app = wizard(WizardState(tor_mode="system"))
    async with app.run_test(size=SIZE) as pilot:
        await to_questions(pilot)
        await pilot.press("tab", "space")  # the network at school or work
        await leave_questions(pilot)
        await pilot.press("enter")
        tor = await wait_for_screen(pilot, TorScreen)
        assert tor.chosen() == "system"


async def test_escape_goes_back() -> None:
    app = wizard()
    async with app.run_test(size=SIZE) as pilot:
        await to_questions(pilot)
        await pilot.press("escape")
        await wait_for_screen(pilot, WelcomeScreen)
        await pilot.press("enter")
        await wait_for_screen(pilot, ThreatScreen)
        await leave_questions(pilot)
        await pilot.press("escape")
        await wait_for_screen(pilot, ThreatScreen)
        await leave_questions(pilot)
        await pilot.press("enter")
        await wait_for_screen(pilot, TorScreen)
        await pilot.press("escape")
        await wait_for_screen(pilot, ThreatSummaryScreen)


async def test_an_unknown_country_is_explained_and_nothing_goes_on() -> None:
    app = wizard()
    async with app.run_test(size=SIZE) as pilot:
        screen = await to_questions(pilot)
        for _ in range(6):
            await pilot.press("tab")
        assert app.focused is screen.query_one("#country", Input)
        await type_text(pilot, "Narnia")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Narnia" in text_of(app, "#country-problem"), 5,
                         "the problem")
        assert app.screen is screen and app.state.threat is None
        assert app.focused is screen.query_one("#country", Input)
        await pilot.press("ctrl+a", "ctrl+k")
        assert text_of(app, "#country-problem") == ""
        await pilot.press("enter")
        await wait_for_screen(pilot, ThreatSummaryScreen)
        assert app.state.threat == ThreatAnswers()
