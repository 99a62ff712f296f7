"""Connecting: the form is fetched in a worker; Esc cancels; errors offer the next step."""

from __future__ import annotations

import asyncio

from textual.widgets import Button

from onboard.core.errors import (
    DnsError,
    NetworkTimeoutError,
    RegistrationClosedError,
    TlsError,
)
from onboard.core.flow import WizardState
from onboard.ui.screens.account import AccountScreen
from onboard.ui.screens.connecting import ConnectingScreen
from onboard.ui.screens.creating import CreatingScreen
from onboard.ui.screens.form import FormScreen
from onboard.ui.screens.server import ServerScreen
from onboard.ui.service import LiveRegistration
from onboard.ui.widgets.qr import QRCode
from tests.ui.fakes import FakeRegistration, captcha_form, simple_form
from tests.ui.helpers import SIZE, screen_text, test_app, wait_for_screen, wait_until


def ready_state() -> WizardState:
    return WizardState(domain="example.org", username="alice",
                       password="abcd-efgh-jkmn-pqrs-tuvw", password_generated=True)


async def test_shows_progress_and_escape_cancels_and_closes() -> None:
    fake = FakeRegistration(hang_fetch=True)
    app = test_app(ready_state(), service=fake, start="connect")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ConnectingScreen)
        await wait_until(pilot, lambda: fake.fetches == 1, what="the fetch")
        assert "Connecting to example.org" in screen_text(app)
        assert app.screen.query_one("#loading").display
        await pilot.press("escape")
        await wait_for_screen(pilot, AccountScreen)
        await wait_until(pilot, lambda: fake.cancelled == 1, what="the worker to be cancelled")
        assert fake.closes >= 1 and not fake.open


async def test_simple_form_goes_straight_to_creating() -> None:
    fake = FakeRegistration([simple_form()], hang_submit=True)
    app = test_app(ready_state(), service=fake, start="connect")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, CreatingScreen)
        assert app.state.form is not None


async def test_captcha_form_goes_to_the_form_screen() -> None:
    fake = FakeRegistration([captcha_form()])
    app = test_app(ready_state(), service=fake, start="connect")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, FormScreen)


async def test_timeout_offers_try_again_which_reconnects() -> None:
    fake = FakeRegistration([NetworkTimeoutError("connect", 30), simple_form()],
                            hang_submit=True)
    app = test_app(ready_state(), service=fake, start="connect")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ConnectingScreen)
        await wait_until(pilot, lambda: bool(screen.query("#error")), what="the error")
        text = screen_text(app)
        assert "did not answer in time (30 s)" in text
        assert "Try again, or choose another server" in text
        assert not screen.query_one("#loading").display
        labels = [str(b.label) for b in screen.query("#error Button").results(Button)]
        assert labels == ["Try again", "Choose another server", "Back"]
        assert app.focused is not None and app.focused.id == "choice-retry"
        await pilot.press("enter")
        await wait_for_screen(pilot, CreatingScreen)
        assert fake.fetches == 2


async def test_dns_error_suggests_another_server_first() -> None:
    fake = FakeRegistration([DnsError("exmaple.org")])
    app = test_app(ready_state(), service=fake, start="connect")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ConnectingScreen)
        await wait_until(pilot, lambda: bool(screen.query("#error")), what="the error")
        assert "exmaple.org could not be found" in screen_text(app)
        assert app.focused is not None and app.focused.id == "choice-server"
        await pilot.press("enter")
        await wait_for_screen(pilot, ServerScreen)
        assert fake.closes >= 1


async def test_tls_error_message_and_back_to_account() -> None:
    fake = FakeRegistration([TlsError("example.org", "expired")])
    app = test_app(ready_state(), service=fake, start="connect")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ConnectingScreen)
        await wait_until(pilot, lambda: bool(screen.query("#error")), what="the error")
        assert "certificate for example.org has expired" in screen_text(app)
        await pilot.press("escape")
        await wait_for_screen(pilot, AccountScreen)


async def test_closed_registration_with_web_page_shows_link_and_qr() -> None:
    url = "https://example.org/register"
    fake = FakeRegistration([RegistrationClosedError("example.org", url)])
    app = test_app(ready_state(), service=fake, start="connect")
    opened: list[str] = []
    app.open_url = lambda link, new_tab=True: opened.append(link)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ConnectingScreen)
        await wait_until(pilot, lambda: bool(screen.query("#error")), what="the error")
        text = screen_text(app)
        assert "does not allow creating accounts from an app" in text
        assert url in text
        qr = screen.query_one(QRCode)
        assert qr.data == url
        assert qr.region.right <= SIZE[0] and qr.region.bottom <= SIZE[1] - 1  # fits
        await pilot.press("ctrl+o")
        assert opened == [url]
        await pilot.press("tab", "enter")  # the "Open the sign-up page" button
        assert opened == [url, url]
        await pilot.press("shift+tab", "enter")  # "Choose another server"
        await wait_for_screen(pilot, ServerScreen)


async def test_closed_registration_without_web_page() -> None:
    fake = FakeRegistration([RegistrationClosedError("example.org")])
    app = test_app(ready_state(), service=fake, start="connect")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ConnectingScreen)
        await wait_until(pilot, lambda: bool(screen.query("#error")), what="the error")
        assert "Choose another server." in screen_text(app)
        assert not screen.query(QRCode)
        assert screen.check_action("open_web", ()) is False


async def test_unexpected_exception_is_shown_not_raised() -> None:
    fake = FakeRegistration([simple_form()])

    async def broken(state: WizardState) -> None:
        raise RuntimeError("boom")

    fake.fetch_form = broken  # type: ignore[method-assign, assignment]
    app = test_app(ready_state(), service=fake, start="connect")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ConnectingScreen)
        await wait_until(pilot, lambda: bool(screen.query("#error")), what="the error")
        assert "Something went wrong." in screen_text(app)
        assert "boom" in screen_text(app)


async def test_escape_closes_a_real_connection_that_hangs() -> None:
    """A server that accepts the connection and then says nothing: Esc must end it at once."""
    connected = asyncio.Event()
    closed = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connected.set()
        while await reader.read(4096):
            pass  # swallow the stream header, answer nothing
        closed.set()
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    service = LiveRegistration()
    state = ready_state()
    state.host, state.port = "127.0.0.1", port
    app = test_app(state, service=service, start="connect")
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_screen(pilot, ConnectingScreen)
            await wait_until(pilot, connected.is_set, what="the connection")
            await pilot.press("escape")
            await wait_for_screen(pilot, AccountScreen)
            await wait_until(pilot, closed.is_set, what="the connection to be closed")
            assert service._session is None
    finally:
        server.close()
        await server.wait_closed()
