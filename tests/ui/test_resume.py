"""The offer of an unfinished account before the welcome, and each way its check can end.

Against the real Prosody: the account files are what a registration killed at that point
leaves behind (tests/core/test_crash_safety.py kills real ones), the server's answer is real.
A relay (tests/ui/relay.py) leaves the first connection unanswered where a test needs no answer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button

from onboard.core import accounts, recovery
from onboard.core.accounts import SavedAccount
from onboard.core.flow import WizardState
from onboard.ui.screens.devices import DevicesScreen
from onboard.ui.screens.done import DoneScreen
from onboard.ui.screens.resume import ResumeScreen
from onboard.ui.screens.threat import ThreatScreen
from onboard.ui.screens.welcome import WelcomeScreen
from onboard.ui.widgets.error_panel import ErrorPanel
from tests.servers.prosody import ProsodyServer
from tests.ui.conftest import QUICK_TIMEOUT
from tests.ui.helpers import (
    NETWORK_WAIT,
    PASSWORD,
    SIZE,
    error_shown,
    fresh,
    register_directly,
    screen_text,
    test_app,
    wait_for_screen,
    wait_until,
)
from tests.ui.relay import Relay

MakeRelay = Callable[..., Relay]
SnapCompare = Callable[..., bool]


def leave_pending(jid: str, *, host: str | None, port: int | None) -> SavedAccount:
    """The pending file of a registration killed after it was written."""
    account = SavedAccount(jid=jid, password=PASSWORD, domain=jid.partition("@")[2], host=host,
                           port=port, status="pending")
    accounts.save(account)
    return account


async def created_but_pending(prosody: ProsodyServer, *, port: int | None = None) -> str:
    """An account the server created, whose file is still pending: killed after the yes."""
    username = fresh("resume")
    await register_directly(prosody, "open.test", username)
    jid = f"{username}@open.test"
    accounts.account_file(jid).unlink()
    leave_pending(jid, host=prosody.host, port=port or prosody.starttls_port)
    return jid


def app_for(prosody: ProsodyServer | None = None, **state: Any) -> Any:
    ca_file = prosody.ca_file if prosody is not None else None
    return test_app(WizardState(ca_file=ca_file, **state))


@pytest.mark.prosody
@pytest.mark.timeout(120)
async def test_continue_with_a_created_account_goes_on_to_done(prosody: ProsodyServer) -> None:
    jid = await created_but_pending(prosody)
    app = app_for(prosody)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ResumeScreen)
        assert (f"You have an account that was just created: {jid}. Continue with it?"
                in screen_text(app))
        assert app.focused is screen.query_one("#continue", Button)
        await pilot.press("enter")
        done = await wait_for_screen(pilot, DoneScreen, NETWORK_WAIT)
        assert str(done.query_one("#address").render()) == jid
        assert "Logging in with the new account worked." in screen_text(app)
        state = app.state
        assert (state.jid, state.domain, state.password, state.mode) == (
            jid, "open.test", PASSWORD, "create")
        assert state.username == jid.partition("@")[0] and state.login_verified
        assert state.credentials_file == accounts.account_file(jid)
        assert str(state.credentials_file) in screen_text(app)
        saved = accounts.load(accounts.account_file(jid))
        assert (saved.status, saved.login_verified, saved.password) == ("created", True,
                                                                        PASSWORD)
        assert not accounts.account_file(jid, pending=True).exists()
        # On to encryption, as after a registration: the devices are read with this account.
        await pilot.press("k")
        devices = await wait_for_screen(pilot, DevicesScreen)
        await wait_until(pilot, lambda: devices.report is not None or bool(devices.query(
            "#error")), NETWORK_WAIT, "the devices")
        assert not devices.query("#error"), screen_text(app)


@pytest.mark.prosody
@pytest.mark.timeout(120)
async def test_an_account_the_server_never_created_is_dropped_plainly(
        prosody: ProsodyServer) -> None:
    jid = f"{fresh('never')}@open.test"
    leave_pending(jid, host=prosody.host, port=prosody.starttls_port)
    app = app_for(prosody)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ResumeScreen)
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(screen.query("#welcome")), NETWORK_WAIT,
                         "the answer")
        text = screen_text(app)
        assert f"The server never created {jid}. Nothing was lost" in text
        assert not accounts.account_file(jid, pending=True).exists()
        assert app.focused is screen.query_one("#welcome", Button)
        await pilot.press("enter")
        await wait_for_screen(pilot, WelcomeScreen)
        assert app.state.jid == ""
    assert accounts.list_saved() == []


@pytest.mark.prosody
@pytest.mark.timeout(120)
async def test_no_answer_keeps_the_file_and_try_again_works(
        prosody: ProsodyServer, relay: MakeRelay, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recovery, "CHECK_TIMEOUT", QUICK_TIMEOUT)
    gate = relay(prosody.starttls_port, unanswered=1)  # the first check gets no answer
    jid = await created_but_pending(prosody, port=gate.port)
    app = app_for(prosody)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ResumeScreen)
        await pilot.press("enter")
        await error_shown(pilot)
        text = screen_text(app)
        assert f"{jid} could not be checked." in text
        assert "did not answer in time" in text
        assert "stay saved on this computer" in text
        assert accounts.account_file(jid, pending=True).exists()
        panel = screen.query_one("#error", ErrorPanel)
        assert [label for _choice, label in panel.choices] == ["Try again", "Later"]
        await pilot.press("enter")  # Try again is focused
        await wait_for_screen(pilot, DoneScreen, NETWORK_WAIT)
        assert gate.connections == 2
        assert app.state.jid == jid and app.state.login_verified
    assert accounts.load(accounts.account_file(jid)).login_verified is True


@pytest.mark.prosody
@pytest.mark.timeout(120)
async def test_a_certificate_problem_offers_later_and_keeps_the_file(
        prosody: ProsodyServer) -> None:
    jid = f"{fresh('tls')}@open.test"
    leave_pending(jid, host=prosody.host, port=prosody.starttls_port)
    app = app_for(None)  # the test CA is not trusted: the certificate cannot be checked
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ResumeScreen)
        await pilot.press("enter")
        await error_shown(pilot)
        assert "not signed by an authority this computer trusts" in screen_text(app)
        screen.query_one("#choice-later", Button).focus()
        await pilot.press("enter")
        await wait_for_screen(pilot, WelcomeScreen)
    assert accounts.account_file(jid, pending=True).exists()


def footer_labels(app: Any) -> dict[str, str]:
    """What the footer offers now: key → label (only the bindings that apply)."""
    return {key: active.binding.description
            for key, active in app.screen.active_bindings.items() if active.enabled}


async def test_esc_cancels_the_check_under_way(silent_server: Relay) -> None:
    jid = "alice@open.test"
    leave_pending(jid, host="127.0.0.1", port=silent_server.port)
    app = app_for(None)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ResumeScreen)
        await pilot.press("enter")
        await wait_until(pilot, lambda: silent_server.connections == 1, NETWORK_WAIT,
                         "the connection")
        assert screen.checking and screen.query_one("#loading").display
        assert f"Logging in as {jid} to check" in screen_text(app)
        assert "Press Esc to cancel." in screen_text(app)
        assert footer_labels(app)["escape"] == "Cancel"
        await pilot.press("escape")
        await wait_until(pilot, lambda: not screen.checking and bool(
            screen.query_one("#choices").display), 10, "the offer again")
        assert "Cancelled. Nothing was changed" in screen_text(app)
        assert footer_labels(app)["escape"] == "Not now"
        assert not screen.query_one("#loading").display
        await wait_until(pilot, lambda: silent_server.closed == 1, 10, "the socket closed")
        assert app.screen is screen
    assert accounts.account_file(jid, pending=True).exists()


async def test_not_now_keeps_the_file_and_offers_it_again_next_time() -> None:
    jid = "bob@open.test"
    leave_pending(jid, host="127.0.0.1", port=1)
    app = app_for(None)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ResumeScreen)
        await pilot.press("tab", "enter")  # Not now
        await wait_for_screen(pilot, WelcomeScreen)
        # Offered once per run: back to the welcome from the next step, no offer.
        await pilot.press("enter")
        await wait_for_screen(pilot, ThreatScreen)
        await pilot.press("escape")
        await wait_for_screen(pilot, WelcomeScreen)
    assert accounts.account_file(jid, pending=True).exists()

    again = app_for(None)
    async with again.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ResumeScreen)
        await pilot.press("escape")  # Esc is "Not now" too
        await wait_for_screen(pilot, WelcomeScreen)
    assert accounts.account_file(jid, pending=True).exists()


async def test_without_unfinished_accounts_the_welcome_comes_first(ui_home: Path) -> None:
    app = app_for(None)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, WelcomeScreen)
        assert not any(isinstance(s, ResumeScreen) for s in app.screen_stack)


def test_snapshot_resume_offer(snap_compare: SnapCompare) -> None:
    leave_pending("alice@example.org", host=None, port=None)
    app = test_app(WizardState(), size=SIZE)

    async def offered(pilot: Any) -> None:
        await wait_for_screen(pilot, ResumeScreen)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=offered)
