"""The guides inside the assistant: F1 (or ?) on a step opens the guide that fits it, in the
wizard's language; Esc goes back to the step as it was; the other guides and the guide's links
are a Tab away; web links are shown as QR codes, never opened."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widgets import Input, Markdown, OptionList

import onboard.ui.screens
from onboard.core.flow import WizardState
from onboard.core.guides import ORDER, find_guide, links, read_guide
from onboard.core.providers import Provider
from onboard.i18n import set_language
from onboard.ui.app import OnboardApp, TorOptions
from onboard.ui.screens.account import AccountScreen
from onboard.ui.screens.base import EncryptionScreen, WizardScreen
from onboard.ui.screens.filters import FiltersScreen
from onboard.ui.screens.guide import GuideScreen, without_title
from onboard.ui.screens.guide_links import GuideLinksScreen
from onboard.ui.screens.server import ServerScreen
from onboard.ui.screens.tor import TorScreen
from onboard.ui.screens.welcome import WelcomeScreen
from onboard.ui.widgets.qr import QRCode
from tests.ui.helpers import (
    SIZE,
    scan_drawing,
    test_app,
    text_of,
    type_text,
    wait_for_screen,
    wait_until,
)

SnapCompare = Callable[..., bool]
PROVIDERS = [
    Provider("chat.example", "A", True, captcha=True, email_required=False, countries=("DE",)),
    Provider("talk.example", "A", True, captcha=False, email_required=False,
             countries=("NL",)),
]


def server_app(state: WizardState | None = None) -> OnboardApp:
    return test_app(state or WizardState(), start="server", providers=PROVIDERS, size=SIZE)


def tor_app() -> OnboardApp:
    """The connection step, with no running tor to look for."""
    return test_app(WizardState(), start="tor", tor_options=TorOptions(candidates=[]), size=SIZE)


async def open_guide(pilot: Pilot[Any], key: str = "f1") -> GuideScreen:
    await pilot.press(key)
    screen = await wait_for_screen(pilot, GuideScreen)
    await wait_until(pilot, lambda: screen.guide is not None, 5, "the guide")
    return screen


def shown_markdown(screen: GuideScreen) -> str:
    return screen.query_one("#guide-text", Markdown).source


def all_screen_classes() -> Iterator[type[Any]]:
    """Every step screen of the assistant (and the server step's dialog), from its modules."""
    for module in pkgutil.iter_modules(onboard.ui.screens.__path__):
        importlib.import_module(f"onboard.ui.screens.{module.name}")
    seen: list[type[Any]] = [FiltersScreen]
    todo: list[type[Any]] = [WizardScreen]
    while todo:
        for subclass in todo.pop().__subclasses__():
            todo.append(subclass)
            if subclass is not EncryptionScreen and subclass.__module__.startswith("onboard."):
                seen.append(subclass)
    yield from seen


# --- opening and closing ------------------------------------------------------------------------


async def test_f1_on_the_server_step_opens_the_server_guide() -> None:
    app = server_app()
    async with app.run_test(size=SIZE) as pilot:
        server = await wait_for_screen(pilot, ServerScreen)
        shown = {b.binding.key: b.binding.description for b in server.active_bindings.values()
                 if b.binding.show}
        assert shown.get("f1") == "Guide"
        screen = await open_guide(pilot)
        assert screen.guide is not None
        assert (screen.guide.slug, screen.guide.language) == ("server-gone", "en")
        assert "When your server is blocked or shuts down" in text_of(app, "#guide-title")
        assert shown_markdown(screen) == without_title(read_guide("server-gone", "en"))
        # The text has the focus: the keys scroll it.
        scroll = screen.query_one("#guide-scroll", VerticalScroll)
        assert app.focused is scroll
        await pilot.press("pagedown")
        await wait_until(pilot, lambda: scroll.scroll_y > 0, 5, "scrolling down")
        await pilot.press("pageup")
        await wait_until(pilot, lambda: scroll.scroll_y == 0, 5, "scrolling up")
        await pilot.press("down")
        await wait_until(pilot, lambda: scroll.scroll_y == 1, 5, "a line down")


async def test_the_guide_is_in_the_language_chosen_on_the_welcome_screen() -> None:
    app = test_app(providers=PROVIDERS)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, WelcomeScreen)
        await pilot.press("tab", "tab", "right", "enter")  # Deutsch
        await pilot.pause()
        assert app.state.language == "de"
        screen = await open_guide(pilot)
        assert screen.guide == find_guide("next-steps", "de")
        assert shown_markdown(screen) == without_title(read_guide("next-steps", "de"))
        await pilot.press("escape")
        await wait_for_screen(pilot, WelcomeScreen)


async def test_f1_on_the_server_step_in_german_opens_the_german_guide() -> None:
    set_language("de")  # as the welcome screen's switch leaves it (the fixture resets it)
    app = server_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ServerScreen)
        assert app.state.language == "de"
        screen = await open_guide(pilot)
        german = find_guide("server-gone", "de")
        assert screen.guide == german
        assert german.title in text_of(app, "#guide-title")
        assert shown_markdown(screen) == without_title(read_guide("server-gone", "de"))
        guides = screen.query_one("#guide-list", OptionList)
        assert str(guides.get_option_at_index(0).prompt) == find_guide("next-steps", "de").title


async def test_esc_returns_to_the_step_with_what_was_typed() -> None:
    app = server_app()
    async with app.run_test(size=SIZE) as pilot:
        server = await wait_for_screen(pilot, ServerScreen)
        domain = server.query_one("#domain", Input)
        assert app.focused is domain
        await type_text(pilot, "example.org")
        await open_guide(pilot)
        await pilot.press("escape")
        assert await wait_for_screen(pilot, ServerScreen) is server
        assert domain.value == "example.org"
        assert app.focused is domain
        # F1 in the guide closes it too; the step is still the same.
        await open_guide(pilot)
        await pilot.press("f1")
        assert await wait_for_screen(pilot, ServerScreen) is server
        assert domain.value == "example.org"
        assert app.state.domain == ""  # nothing was chosen on the way


async def test_question_mark_types_in_a_field_and_opens_the_guide_elsewhere() -> None:
    app = server_app()
    async with app.run_test(size=SIZE) as pilot:
        server = await wait_for_screen(pilot, ServerScreen)
        await type_text(pilot, "what?")
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen is server
        assert server.query_one("#domain", Input).value == "what??"
        # On the list nothing is typed: ? opens the guide.
        await pilot.press("tab")
        assert isinstance(app.focused, type(server.query_one("#providers")))
        screen = await open_guide(pilot, "question_mark")
        assert screen.guide is not None and screen.guide.slug == "server-gone"


async def test_the_filters_dialog_has_the_server_guide_too() -> None:
    app = server_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ServerScreen)
        await pilot.press("tab", "f")
        dialog = await wait_for_screen(pilot, FiltersScreen)
        screen = await open_guide(pilot)
        assert screen.guide is not None and screen.guide.slug == "server-gone"
        await pilot.press("escape")
        assert await wait_for_screen(pilot, FiltersScreen) is dialog


async def test_a_step_that_ends_under_the_guide_closes_it() -> None:
    """A step can end by itself (Tor connected, the form fetched) while its guide is open:
    the guide goes with it and the next step is shown, not the guide over a stale step."""
    app = server_app()
    async with app.run_test(size=SIZE) as pilot:
        server = await wait_for_screen(pilot, ServerScreen)
        await open_guide(pilot)
        app.state.domain = "example.org"
        server.dismiss("example.org")
        await wait_for_screen(pilot, AccountScreen)
        assert not any(isinstance(s, GuideScreen | ServerScreen) for s in app.screen_stack)


# --- moving between guides ----------------------------------------------------------------------


async def test_the_list_of_guides_switches_the_guide() -> None:
    app = server_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ServerScreen)
        screen = await open_guide(pilot)
        guides = screen.query_one("#guide-list", OptionList)
        assert [guides.get_option_at_index(i).id for i in range(guides.option_count)] \
            == list(ORDER)
        await pilot.press("tab")
        assert app.focused is guides
        assert guides.highlighted == ORDER.index("server-gone")
        await pilot.press("home", "enter")
        await wait_until(pilot, lambda: screen.guide is not None
                         and screen.guide.slug == "next-steps", 5, "the index")
        assert shown_markdown(screen) == without_title(read_guide("next-steps", "en"))
        assert app.focused is screen.query_one("#guide-scroll")
        assert find_guide("next-steps", "en").title in text_of(app, "#guide-title")


async def test_a_link_to_another_guide_opens_it_here_and_b_goes_back() -> None:
    app = server_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ServerScreen)
        screen = await open_guide(pilot)
        linked = screen.query_one("#guide-links", OptionList)
        # server-gone.md links to tor.md, then to verify.md.
        assert [linked.get_option_at_index(i).id for i in range(linked.option_count)] \
            == ["guide:tor", "guide:verify"]
        await pilot.press("tab", "tab")
        assert app.focused is linked
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: screen.guide is not None
                         and screen.guide.slug == "verify", 5, "the linked guide")
        assert shown_markdown(screen) == without_title(read_guide("verify", "en"))
        await pilot.press("b")
        await wait_until(pilot, lambda: screen.guide is not None
                         and screen.guide.slug == "server-gone", 5, "the guide before")
        assert not screen.history


async def test_links_in_the_text_open_guides_and_never_the_web() -> None:
    """What a click on a link in the text does (the Markdown widget sends LinkClicked)."""
    app = tor_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, TorScreen)
        screen = await open_guide(pilot)
        assert screen.guide is not None and screen.guide.slug == "tor"
        markdown = screen.query_one("#guide-text", Markdown)
        markdown.post_message(Markdown.LinkClicked(markdown, "safe-device.md"))
        await wait_until(pilot, lambda: screen.guide is not None
                         and screen.guide.slug == "safe-device", 5, "the linked guide")
        await pilot.press("b")
        await wait_until(pilot, lambda: screen.guide is not None
                         and screen.guide.slug == "tor", 5, "the guide before")
        web = links(read_guide("tor", "en"))
        markdown.post_message(Markdown.LinkClicked(markdown, web[1]))
        qr = await wait_for_screen(pilot, GuideLinksScreen)
        assert qr.query_one("#qr", QRCode).data == web[1]


# --- web links as QR codes ----------------------------------------------------------------------


async def test_l_shows_the_web_links_as_qr_codes_one_at_a_time(tmp_path: Path) -> None:
    app = tor_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, TorScreen)
        screen = await open_guide(pilot)
        web = links(read_guide("tor", "en"))
        assert len(web) == 3
        await pilot.press("l")
        qr_screen = await wait_for_screen(pilot, GuideLinksScreen)
        for index, url in enumerate(web):
            code = qr_screen.query_one("#qr", QRCode)
            assert text_of(app, "#qr-url") == url
            assert f"Link {index + 1} of 3" in text_of(app, "#qr-label")
            assert scan_drawing(code.render(), tmp_path / f"link{index}.png") == url
            await pilot.press("n")
            await pilot.pause()
        assert qr_screen.query_one("#qr", QRCode).data == web[0]  # round again
        await pilot.press("escape")
        assert await wait_for_screen(pilot, GuideScreen) is screen


async def test_a_guide_without_web_links_has_l_greyed_out() -> None:
    app = server_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ServerScreen)
        screen = await open_guide(pilot)
        assert screen.web_links == []
        assert screen.check_action("web_links", ()) is None
        await pilot.press("l")
        await pilot.pause()
        assert app.screen is screen


# --- every step has its guide -------------------------------------------------------------------


def test_every_step_screen_has_a_guide_in_both_languages() -> None:
    classes = list(all_screen_classes())
    names = {cls.__name__ for cls in classes}
    assert {"WelcomeScreen", "ServerScreen", "AccountScreen", "DoneScreen", "DevicesScreen",
            "FiltersScreen"} <= names
    for cls in classes:
        for language in ("en", "de"):
            guide = find_guide(cls.GUIDE, language)
            assert guide.language == language, f"{cls.__name__}: {cls.GUIDE} in {language}"
    expected = {"WelcomeScreen": "next-steps", "TorScreen": "tor", "TorConnectScreen": "tor",
                "ServerScreen": "server-gone", "FiltersScreen": "server-gone",
                "AccountScreen": "safe-device", "FormScreen": "safe-device",
                "CreatingScreen": "safe-device", "DoneScreen": "next-steps",
                "ExistingAccountScreen": "verify", "DevicesScreen": "verify",
                "FriendScreen": "verify", "QRViewScreen": "verify", "HelloScreen": "verify"}
    assert {cls.__name__: cls.GUIDE for cls in classes if cls.__name__ in expected} == expected


# --- snapshots ----------------------------------------------------------------------------------


def test_snapshot_guide_viewer(snap_compare: SnapCompare) -> None:
    """The Tor guide over the connection step at 80x24: the list, its links, the text."""
    async def opened(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, TorScreen)
        await open_guide(pilot)

    assert snap_compare(tor_app(), terminal_size=SIZE, run_before=opened)


def test_snapshot_guide_link_qr(snap_compare: SnapCompare) -> None:
    async def qr(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, TorScreen)
        await open_guide(pilot)
        await pilot.press("l")
        await wait_for_screen(pilot, GuideLinksScreen)

    assert snap_compare(tor_app(), terminal_size=SIZE, run_before=qr)

