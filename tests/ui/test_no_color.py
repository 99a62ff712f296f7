"""NO_COLOR: the app draws in shades of grey only, and nothing it says depends on colour."""

from __future__ import annotations

import re
from typing import Any

import pytest
from rich.terminal_theme import SVG_EXPORT_THEME
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Checkbox, Input, RadioButton, Static

from onboard.core.flow import WizardState
from onboard.ui.app import OnboardApp
from onboard.ui.screens.account import AccountScreen
from onboard.ui.screens.welcome import WelcomeScreen
from tests.ui.helpers import SIZE, test_app, type_text, wait_for_screen

SnapCompare = Any
HEX_COLOUR = re.compile(r"#([0-9a-fA-F]{6})\b")


@pytest.fixture
def no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")


def colours_in(svg: str) -> set[str]:
    return {match.lower() for match in HEX_COLOUR.findall(svg)}


def hues(svg: str) -> set[str]:
    """The colours on the screen in an SVG screenshot that are not a shade of grey, nor the
    terminal's default text colour (what a style without a colour is drawn in)."""
    screen = re.sub(r"<circle[^>]*/>", "", svg)  # the window buttons drawn around the screen
    default = SVG_EXPORT_THEME.foreground_color.hex.lstrip("#").lower()
    return {c for c in colours_in(screen)
            if c != default and not c[0:2] == c[2:4] == c[4:6]}


def mark_visible(widget: Widget, mark: str) -> bool:
    """Whether `mark` (a tick box's X or ●) is drawn in another shade than its background,
    as the terminal gets it (after the app's NO_COLOR filter)."""
    width, height = widget.size
    for strip in widget.render_lines(Region(0, 0, width, height)):
        for segment in strip:
            if segment.text == mark and segment.style is not None:
                return segment.style.color != segment.style.bgcolor
    raise AssertionError(f"no {mark!r} drawn in {widget}")


def account_app() -> OnboardApp:
    state = WizardState(domain="example.org")
    return test_app(state, start="account", size=SIZE)


async def test_the_screen_has_only_greys_under_no_color(no_color: None) -> None:
    app = test_app(WizardState(), size=SIZE)
    assert app.no_color
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, WelcomeScreen)
        svg = pilot.app.export_screenshot()
    assert len(colours_in(svg)) > 2  # shades remain: focus and buttons stand out
    assert hues(svg) == set()


async def test_the_same_screen_has_colours_without_no_color(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: the screen does use colour normally."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    app = test_app(WizardState(), size=SIZE)
    assert not app.no_color
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, WelcomeScreen)
        assert hues(pilot.app.export_screenshot())


async def test_tick_boxes_show_their_state_by_their_mark(no_color: None) -> None:
    """Ticked or not, chosen or not: in colour only the colour of the mark differs; without
    colour the mark is there only when it is on."""
    app = test_app(WizardState(), size=SIZE)
    async with app.run_test(size=SIZE) as pilot:
        welcome = await wait_for_screen(pilot, WelcomeScreen)
        helper = welcome.query_one("#helper-mode", Checkbox)
        english, german = welcome.query(RadioButton).results(RadioButton)
        assert english.value and not german.value
        assert mark_visible(english, "●") and not mark_visible(german, "●")
        assert not helper.value and not mark_visible(helper, "X")
        helper.focus()
        await pilot.press("space")
        assert helper.value
        await pilot.pause()
        assert mark_visible(helper, "X")


async def test_tick_boxes_unticked_still_show_a_mark_in_colour(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The NO_COLOR rule applies only then: in colour the dim mark stays."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    async with test_app(WizardState(), size=SIZE).run_test(size=SIZE) as pilot:
        welcome = await wait_for_screen(pilot, WelcomeScreen)
        assert mark_visible(welcome.query_one("#helper-mode", Checkbox), "X")


async def test_states_are_told_in_words(no_color: None) -> None:
    """What colour marks as a problem or as fine also reads so: the step, the strength of the
    password, a problem with the name."""
    async with account_app().run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, AccountScreen)
        step = str(screen.query_one("#step").render())
        assert "●●●●●○○" in step and "Step 5 of 7" in step

        await type_text(pilot, "bad name!")
        username_status = str(screen.query_one("#username-status", Static).render())
        assert screen.query_one("#username-status").has_class("-problem")
        assert "bad name" not in username_status  # a sentence about the problem, not the name
        assert "Your address will be" not in username_status

        screen.query_one("#password", Input).focus()
        await type_text(pilot, "a")
        weak = str(screen.query_one("#strength", Static).render())
        assert screen.query_one("#strength").has_class("-problem")
        await pilot.press("ctrl+g")
        strong = str(screen.query_one("#strength", Static).render())
        assert not screen.query_one("#strength").has_class("-problem")
        assert weak.startswith("Strength: ") and strong.startswith("Strength: ")
        assert weak != strong


def test_snapshot_welcome_without_colour(no_color: None, snap_compare: SnapCompare) -> None:
    async def helper_ticked(pilot: Pilot[Any]) -> None:
        welcome = await wait_for_screen(pilot, WelcomeScreen)
        welcome.query_one("#helper-mode", Checkbox).focus()
        await pilot.press("space")

    assert snap_compare(test_app(WizardState(), size=SIZE), terminal_size=SIZE,
                        run_before=helper_ticked)


def test_snapshot_account_without_colour(no_color: None, snap_compare: SnapCompare) -> None:
    async def weak_password(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, AccountScreen)
        await type_text(pilot, "alice")
        await pilot.press("enter")
        await type_text(pilot, "abc")

    assert snap_compare(account_app(), terminal_size=SIZE, run_before=weak_password)
