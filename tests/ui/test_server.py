"""Server screen: typed domain with live validation, or a pick from the list."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from typing import Any

import pytest
from textual.widgets import DataTable, Input

from onboard.core.flow import WizardState
from onboard.core.providers import Provider, bundled, parse_providers
from onboard.ui.screens.account import AccountScreen
from onboard.ui.screens.filters import FiltersScreen
from onboard.ui.screens.server import ServerScreen
from onboard.ui.screens.tor import TorScreen
from onboard.ui.widgets.link_qr import LinkQRScreen
from onboard.ui.widgets.qr import QRCode
from tests.servers.prosody import LOCAL_PROVIDERS, WEB_SIGNUP_URL
from tests.ui.helpers import (
    NETWORK_WAIT,
    SIZE,
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
]


async def test_explains_federation_and_lists_servers() -> None:
    app = test_app(providers=PROVIDERS, start="server")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ServerScreen)
        assert "federation" in text_of(app, "#federation")
        assert "Step 4 of 7: Server" in str(screen.query_one("#step").render())
        table = screen.query_one("#providers", DataTable)
        assert table.row_count == 2
        unknown = ["no", "?", "no", "?", "?"]  # onion, since, free, run by, compliance
        assert table.get_row_at(0) == ["chat.example", "in app", "yes", "no", "DE", "A", "",
                                       *unknown]
        assert table.get_row_at(1) == ["im.example", "in app", "no", "yes", "FR CH", "A", "",
                                       *unknown]
        # Every fact of the list has its column; the name stays in view when it scrolls.
        assert [str(c.label) for c in table.columns.values()] == [
            "Server", "Sign-up", "CAPTCHA", "Email", "Country", "Cat.", "Now", "Onion",
            "Since", "Free", "Run by", "Compliance"]
        assert table.fixed_columns == 1
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
        await wait_for_screen(pilot, TorScreen)


async def test_empty_domain_shows_what_to_enter() -> None:
    app = test_app(providers=PROVIDERS, start="server")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ServerScreen)
        await pilot.press("enter")
        assert "Enter a server name" in text_of(app, "#domain-problem")
        assert isinstance(app.screen, ServerScreen)


MIXED = [
    Provider("b-web.example", "B", False, captcha=False, email_required=True, countries=("US",),
             since="2020-01-01", compliance=80),
    Provider("a-onion.example", "A", True, captcha=True, email_required=False,
             countries=("DE",), since="2015-05-05", compliance=95,
             onion=("abcdefghijklmnop.onion",)),
    Provider("b-app.example", "B", True, captcha=False, email_required=False,
             countries=("AT",), since="2010-01-01", compliance=70),
    Provider("c-bad.example", "C", True, captcha=False, email_required=False),
    Provider("d-bad.example", "D", True, captcha=False, email_required=False),
]


def rows(screen: ServerScreen) -> list[str]:
    table = screen.query_one("#providers", DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


def shown_keys(screen: ServerScreen) -> set[str]:
    return {b.binding.key for b in screen.active_bindings.values() if b.binding.show}


async def test_filters_change_the_rows_and_never_show_c_or_d() -> None:
    app = test_app(providers=MIXED, start="server")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ServerScreen)
        # While typing, the letter keys type; the list keys are hidden from the footer.
        assert "i" not in shown_keys(screen)
        await pilot.press("tab")
        assert {"f", "s", "p", "c", "C", "r", "q"} <= shown_keys(screen)
        # i, o and a still work as shortcuts; the footer has room for the dialog's key only.
        assert rows(screen) == ["a-onion.example", "b-app.example"]  # in-app only by default
        assert "in-app sign-up only" in text_of(app, "#list-label")
        await pilot.press("i")
        assert rows(screen) == ["a-onion.example", "b-app.example", "b-web.example"]
        await pilot.press("a")
        assert rows(screen) == ["a-onion.example"]
        await pilot.press("a", "o")
        assert rows(screen) == ["a-onion.example"]
        assert "with onion address" in text_of(app, "#list-label")
        await pilot.press("o", "i")
        assert rows(screen) == ["a-onion.example", "b-app.example"]


async def test_sort_key_cycles() -> None:
    app = test_app(providers=MIXED, start="server")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ServerScreen)
        await pilot.press("tab", "i")
        assert rows(screen) == ["a-onion.example", "b-app.example", "b-web.example"]
        await pilot.press("s")  # category
        assert "sorted by category" in text_of(app, "#list-label")
        assert rows(screen)[0] == "a-onion.example"
        await pilot.press("s")  # country
        assert rows(screen) == ["b-app.example", "a-onion.example", "b-web.example"]
        await pilot.press("s")  # running since
        assert rows(screen) == ["b-app.example", "a-onion.example", "b-web.example"]
        await pilot.press("s")  # compliance, the best first
        assert rows(screen) == ["a-onion.example", "b-web.example", "b-app.example"]
        await pilot.press("s")  # back to the name
        assert rows(screen) == ["a-onion.example", "b-app.example", "b-web.example"]


async def test_details_pane_of_a_known_provider_and_its_qr_code() -> None:
    app = test_app(providers=bundled(), start="server")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ServerScreen)
        await pilot.press("tab")
        table = screen.query_one("#providers", DataTable)
        table.move_cursor(row=rows(screen).index("openim.nl"))
        await pilot.pause()
        details = text_of(app, "#details")
        assert "openim.nl: Category A" in details
        assert "running since 2024-10-01" in details
        assert "private person" in details and "free of charge" in details
        assert "compliance 100%" in details
        assert "q7d5cnhotu5wgynyn3dtd342t3gvsvsuch72ikkek4a5m33lcj7r3ryd.onion" in details
        assert "Website: https://openim.nl" in details
        assert "Legal notice: https://openim.nl/privacy/" in details
        assert "Password reset: https://openim.nl/register/reset" in details
        await pilot.press("q")
        qr_screen = await wait_for_screen(pilot, LinkQRScreen)
        assert qr_screen.query_one("#qr", QRCode).data == "https://openim.nl"
        await pilot.press("n")
        assert qr_screen.query_one("#qr", QRCode).data == "https://openim.nl/privacy/"
        await pilot.press("escape")
        await wait_for_screen(pilot, ServerScreen)


async def test_pick_for_me_chooses_a_category_a_in_app_server() -> None:
    app = test_app(providers=MIXED, start="server")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ServerScreen)
        screen.rng = random.Random(1)
        await pilot.press("tab", "i", "p")
        assert screen.query_one("#domain", Input).value == "a-onion.example"
        assert "Picked for you: a-onion.example" in text_of(app, "#details")
        assert "Every category A server is good" in text_of(app, "#details")
        await pilot.press("enter")  # the picked row is highlighted
        await wait_for_screen(pilot, AccountScreen)
        assert app.state.domain == "a-onion.example"


async def test_the_facts_behind_the_details_are_columns_too() -> None:
    facts = Provider("full.example", "A", True, captcha=False, email_required=False,
                     countries=("DE",), since="2015-05-05", organization="non-governmental",
                     free_of_charge=True, compliance=95, onion=("abcdefghijklmnop.onion",))
    app = test_app(providers=[facts], start="server")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ServerScreen)
        table = screen.query_one("#providers", DataTable)
        assert table.get_row_at(0)[7:] == ["yes", "2015", "yes", "non-profit", "95 %"]


async def open_filters(pilot: Any) -> tuple[ServerScreen, DataTable[str]]:
    """From the server step's name field: the filters dialog, and its countries table."""
    screen = await wait_for_screen(pilot, ServerScreen)
    await pilot.press("tab", "f")
    dialog = await wait_for_screen(pilot, FiltersScreen)
    return screen, dialog.query_one("#countries", DataTable)


async def test_pick_for_me_keeps_to_the_filters() -> None:
    """Avoiding the only category A server's country leaves nothing to pick: the pick says
    so instead of choosing from the whole list."""
    app = test_app(providers=MIXED, start="server")
    async with app.run_test(size=SIZE) as pilot:
        screen, countries = await open_filters(pilot)
        countries.focus()
        await pilot.press("down", "space", "space")  # Germany: avoid
        assert countries.get_row_at(1)[2] == "avoid"
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, ServerScreen)
        assert "a-onion.example" not in rows(screen)
        for seed in range(5):
            screen.rng = random.Random(seed)
            await pilot.press("p")
            assert screen.query_one("#domain", Input).value == ""
            assert "change the filters" in text_of(app, "#details")


async def test_pick_for_me_on_the_bundled_list() -> None:
    providers = bundled()
    app = test_app(providers=providers, start="server")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ServerScreen)
        await pilot.press("tab", "p")
        domain = screen.query_one("#domain", Input).value
        chosen = next(p for p in providers if p.domain == domain)
        assert chosen.category == "A" and chosen.in_band_registration


def checked_app(prosody: Any) -> Any:
    state = WizardState(host=prosody.host, port=prosody.starttls_port, ca_file=prosody.ca_file)
    return test_app(state, providers=PROVIDERS, start="server")


async def live_check(pilot: Any, domain: str) -> str:
    await wait_for_screen(pilot, ServerScreen)
    await type_text(pilot, domain)
    await pilot.press("tab", "c")
    await wait_until(pilot, lambda: "Live check of" in text_of(pilot.app, "#details"),
                     NETWORK_WAIT, "the live check")
    return text_of(pilot.app, "#details")


@pytest.mark.usefixtures("prosody")
async def test_live_check_of_a_typed_domain(prosody: Any) -> None:
    app = checked_app(prosody)
    async with app.run_test(size=SIZE) as pilot:
        details = await live_check(pilot, "open.test")
        assert "Live check of open.test" in details
        assert "reachable" in details and "not reachable" not in details
        assert "TLS valid" in details
        assert re.search(r"certificate valid until \d{4}-\d{2}-\d{2}", details), details
        assert "sign-up advertised: yes" in details
        screen = app.screen
        assert isinstance(screen, ServerScreen)
        assert len(screen.probe_cache) == 1
        assert app.probe_cache is screen.probe_cache


@pytest.mark.usefixtures("prosody")
async def test_live_check_shows_an_expired_certificate(prosody: Any) -> None:
    app = checked_app(prosody)
    async with app.run_test(size=SIZE) as pilot:
        details = await live_check(pilot, "expired.test")
        assert "TLS problem" in details
        assert "certificate for expired.test has expired" in details
        # The date it expired, read from the certificate on the STARTTLS port: in the past.
        found = re.search(r"certificate expired on (\d{4}-\d{2}-\d{2})", details)
        assert found is not None, details
        assert dt.date.fromisoformat(found.group(1)) < dt.date.today()


async def test_escape_cancels_a_running_check(silent_server: Any) -> None:
    state = WizardState(host="127.0.0.1", port=silent_server.port)
    app = test_app(state, providers=PROVIDERS, start="server")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ServerScreen)
        await type_text(pilot, "silent.example")
        await pilot.press("tab", "c")
        assert "Checking silent.example" in text_of(app, "#details")
        await pilot.press("escape")
        await wait_until(pilot, lambda: "cancelled" in text_of(app, "#details"), 5,
                         "the cancel")
        assert app.screen is screen  # Esc stopped the check, not the step
        await pilot.press("escape")
        await wait_for_screen(pilot, TorScreen)


async def test_filters_dialog_prefers_and_avoids_countries() -> None:
    app = test_app(providers=MIXED, start="server")
    async with app.run_test(size=SIZE) as pilot:
        screen, countries = await open_filters(pilot)
        assert [countries.get_row_at(i)[0] for i in range(countries.row_count)] == [
            "Austria (AT)", "Germany (DE)", "United States (US)"]
        # Untick "in-app only", prefer the US (Enter once), avoid Austria (Space twice).
        await pilot.click("#in-band")
        countries.focus()
        await pilot.press("down", "down", "enter", "up", "up", "space", "space")
        assert countries.get_row_at(2)[2] == "prefer"
        assert countries.get_row_at(0)[2] == "avoid"
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, ServerScreen)
        assert rows(screen) == ["b-web.example", "a-onion.example"]
        label = text_of(app, "#list-label")
        assert "United States first" in label and "not in Austria" in label
        assert "in-app sign-up only" not in label
        # Esc in the dialog changes nothing.
        await pilot.press("f")
        await wait_for_screen(pilot, FiltersScreen)
        await pilot.click("#onion")
        await pilot.press("escape")
        await wait_for_screen(pilot, ServerScreen)
        assert rows(screen) == ["b-web.example", "a-onion.example"]


async def test_filters_dialog_in_german() -> None:
    from onboard.i18n import set_language

    set_language("de")
    app = test_app(providers=MIXED, start="server")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ServerScreen)
        await pilot.press("tab", "f")
        dialog = await wait_for_screen(pilot, FiltersScreen)
        countries = dialog.query_one("#countries", DataTable)
        assert countries.get_row_at(1)[0] == "Deutschland (DE)"
        assert "Nur Server" in str(dialog.query_one("#in-band").render())


# Servers of the shared Prosody, one per kind of answer, all reached at its STARTTLS port.
# (The snapshot of "check all" in test_snapshots.py shows these.)
LIVE = [
    Provider("open.test", "A", True, captcha=False, email_required=False, countries=("DE",)),
    Provider("closed.test", "A", True, captcha=False, email_required=False, countries=("DE",)),
    Provider("captcha.test", "A", True, captcha=True, email_required=False, countries=("DE",)),
    Provider("expired.test", "A", True, captcha=False, email_required=False, countries=("DE",)),
    Provider("wronghost.test", "A", True, captcha=False, email_required=False,
             countries=("DE",)),
    Provider("notls.test", "A", True, captcha=False, email_required=False, countries=("DE",)),
]
# The tests' providers file (tests/data/providers-local.json), read by the real parser: every
# kind of answer the shared Prosody gives, web.test's sign-up page included.
LOCAL_LIST = parse_providers(json.loads(LOCAL_PROVIDERS.read_text("utf-8")), "en")


def live_column(screen: ServerScreen) -> dict[str, str]:
    table = screen.query_one("#providers", DataTable)
    return {str(table.get_row_at(i)[0]): str(table.get_row_at(i)[6])
            for i in range(table.row_count)}


@pytest.mark.usefixtures("prosody")
async def test_check_all_shows_each_result_in_the_table(prosody: Any) -> None:
    state = WizardState(host=prosody.host, port=prosody.starttls_port, ca_file=prosody.ca_file)
    app = test_app(state, providers=LOCAL_LIST, start="server")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ServerScreen)
        # The file says closed.test and web.test take no sign-up in the app: hidden at first.
        assert "closed.test" not in rows(screen) and "web.test" not in rows(screen)
        await pilot.press("tab", "i")
        assert sorted(rows(screen)) == sorted(p.domain for p in LOCAL_LIST)
        assert set(live_column(screen).values()) == {""}
        await pilot.press("C")
        await wait_until(pilot, lambda: "…" not in live_column(screen).values()
                         and not screen.pending, NETWORK_WAIT, "every check")
        assert live_column(screen) == {
            "captcha.test": "open",
            "closed.test": "closed",
            "expired.test": "bad TLS",
            "fields.test": "open",
            "notls.test": "no TLS",
            "open.test": "open",
            "selfsigned.test": "bad TLS",
            "web.test": "web only",
            "wronghost.test": "bad TLS",
        }
        assert "3 of 9 servers let you sign up in the app right now." in text_of(
            app, "#details")
        assert len(app.probe_cache) == 9
        # The details of a checked row say why.
        table = screen.query_one("#providers", DataTable)
        table.move_cursor(row=rows(screen).index("expired.test"))
        await pilot.pause()
        assert "certificate for expired.test has expired" in text_of(app, "#details")
        # The web-only server: the list's sign-up page, and the one the server itself named.
        table.move_cursor(row=rows(screen).index("web.test"))
        await pilot.pause()
        details = " ".join(text_of(app, "#details").split())
        assert f"Sign-up page: {WEB_SIGNUP_URL}" in details
        assert "web.test does not allow creating accounts from an app." in details
        assert f"sign up on the server's web page instead: {WEB_SIGNUP_URL}" in details
        # A second "check all" answers from the cache at once.
        await pilot.press("C")
        await wait_until(pilot, lambda: not screen.pending, 2, "the cached answers")
        assert live_column(screen)["open.test"] == "open"


async def test_escape_stops_check_all(silent_server: Any) -> None:
    state = WizardState(host="127.0.0.1", port=silent_server.port)
    app = test_app(state, providers=PROVIDERS, start="server")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ServerScreen)
        await pilot.press("tab", "C")
        assert set(live_column(screen).values()) == {"…"}
        assert "checked 0 of 2… (Esc stops)" in text_of(app, "#list-label")
        await pilot.press("escape")
        await wait_until(pilot, lambda: "cancelled" in text_of(app, "#details"), 5,
                         "the cancel")
        assert set(live_column(screen).values()) == {""}
        assert app.screen is screen  # Esc stopped the checks, not the step
        assert "(Esc stops)" not in text_of(app, "#list-label")


@pytest.fixture
def list_server(tmp_path: Any) -> Any:
    from tests.providers_server import serve

    with serve(tmp_path) as server:
        yield server


async def test_update_downloads_the_list(list_server: Any) -> None:
    from tests.providers_server import CHANGED_ORGANIZATION

    app = test_app(providers=PROVIDERS, start="server", providers_url=list_server.url(),
                   providers_ca_file=list_server.ca_file)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ServerScreen)
        await pilot.press("tab", "r")
        await wait_until(pilot, lambda: "yax.im" in rows(screen), NETWORK_WAIT,
                         "the new list")
        assert "chat.example" not in rows(screen)
        assert "average.example" not in rows(screen)  # category C is never offered
        assert "The server list is up to date." in text_of(app, "#list-label")
        table = screen.query_one("#providers", DataTable)
        table.move_cursor(row=rows(screen).index("yax.im"))
        await pilot.pause()
        assert CHANGED_ORGANIZATION in text_of(app, "#details")
        # The app keeps the new list for the next visit of this step.
        assert any(p.domain == "yax.im" for p in app.providers)


@pytest.mark.parametrize("path", ["/malformed.json", "/strings.json", "/huge.json"])
async def test_a_failed_update_keeps_a_list_and_says_why(list_server: Any, path: str) -> None:
    app = test_app(providers=PROVIDERS, start="server", providers_url=list_server.url(path),
                   providers_ca_file=list_server.ca_file)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ServerScreen)
        await pilot.press("tab", "r")
        await wait_until(pilot, lambda: "could not be refreshed" in text_of(
            app, "#list-label"), NETWORK_WAIT, "the note")
        # Nothing was saved before, so the list that came with the program is shown.
        assert "came with this program" in text_of(app, "#list-label")
        assert len(rows(screen)) > 2


async def test_escape_stops_an_update(list_server: Any) -> None:
    app = test_app(providers=PROVIDERS, start="server", providers_url=list_server.url(
        "/slow.json"), providers_ca_file=list_server.ca_file)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ServerScreen)
        await pilot.press("tab", "r")
        assert "updating the list" in text_of(app, "#list-label")
        await pilot.press("escape")
        await wait_until(pilot, lambda: "was stopped" in text_of(app, "#list-label"), 5,
                         "the stop")
        assert rows(screen) == ["chat.example", "im.example"]
        assert app.screen is screen


@pytest.mark.usefixtures("prosody")
async def test_moving_through_the_list_checks_the_row_not_the_typed_name(prosody: Any) -> None:
    """A name typed in the field that is not in the list does not hide the list: moving
    through the rows shows and checks the highlighted one; typing again brings the name back."""
    state = WizardState(host=prosody.host, port=prosody.starttls_port, ca_file=prosody.ca_file)
    listed = [Provider("closed.test", "A", True, captcha=False, email_required=False),
              Provider("open.test", "A", True, captcha=False, email_required=False)]
    app = test_app(state, providers=listed, start="server")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ServerScreen)
        await type_text(pilot, "fields.test")
        await pilot.press("tab")
        assert screen.check_target() == "fields.test"
        assert "fields.test: not in the list" in text_of(app, "#details")
        await pilot.press("down")  # the user moves to open.test
        assert screen.check_target() == "open.test"
        assert text_of(app, "#details").startswith("open.test: Category A")
        await pilot.press("c")
        await wait_until(pilot, lambda: "Live check of" in text_of(app, "#details"),
                         NETWORK_WAIT, "the live check")
        assert "Live check of open.test" in text_of(app, "#details")
        assert live_column(screen)["open.test"] == "open"
        # Back in the field, typing makes the typed name the one to check again.
        await pilot.press("shift+tab")
        assert isinstance(app.focused, Input), app.focused
        await pilot.press("end", "x", "backspace")  # focus selects the text: keep it
        assert screen.check_target() == "fields.test"
        assert "fields.test: not in the list" in text_of(app, "#details")


@pytest.mark.usefixtures("prosody")
async def test_a_live_check_corrects_the_lists_captcha_column(prosody: Any) -> None:
    """The list can be out of date: once the server's form has been seen, the CAPTCHA column
    says what the server asks for now."""
    state = WizardState(host=prosody.host, port=prosody.starttls_port, ca_file=prosody.ca_file)
    wrong = [Provider("captcha.test", "A", True, captcha=False, email_required=False),
             Provider("open.test", "A", True, captcha=True, email_required=False),
             Provider("closed.test", "A", True, captcha=True, email_required=False)]
    app = test_app(state, providers=wrong, start="server")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ServerScreen)
        table = screen.query_one("#providers", DataTable)

        def captcha_column() -> dict[str, str]:
            return {str(table.get_row_at(i)[0]): str(table.get_row_at(i)[2])
                    for i in range(table.row_count)}

        assert captcha_column() == {"captcha.test": "no", "open.test": "yes",
                                    "closed.test": "yes"}
        await pilot.press("tab", "C")
        await wait_until(pilot, lambda: "…" not in live_column(screen).values()
                         and not screen.pending, NETWORK_WAIT, "every check")
        # closed.test gave no form: the list's word stays.
        assert captcha_column() == {"captcha.test": "yes", "open.test": "no",
                                    "closed.test": "yes"}
        # A new filter refills the table from the cache with the same answers.
        await pilot.press("s")
        assert captcha_column()["captcha.test"] == "yes"


async def test_details_pane_in_german() -> None:
    """Facts and the operator read as German words, not as the data's English values."""
    from onboard.i18n import set_language

    set_language("de")
    app = test_app(providers=bundled(), start="server")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ServerScreen)
        await pilot.press("tab")
        table = screen.query_one("#providers", DataTable)
        table.move_cursor(row=rows(screen).index("openim.nl"))
        await pilot.pause()
        details = text_of(app, "#details")
        assert "openim.nl: Kategorie A" in details
        assert "in Betrieb seit 2024-10-01" in details
        assert "betrieben von einer Privatperson" in details and "kostenlos" in details
        assert "private person" not in details
        assert "Impressum: https://openim.nl/privacy/" in details
        assert "Onion-Adresse: q7d5" in details
