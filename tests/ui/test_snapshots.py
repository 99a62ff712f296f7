"""Every screen at 80x24, as SVG snapshots (tests/ui/__snapshots__/).

Deterministic: fixed size, no cursor blink, no animation, a fixed server list, a fixed
"generated" password, a fixed credentials path, and no network (a scripted service).
Update after looking at them: pytest tests/ui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from onboard.core.errors import (
    LoginFailedError,
    NameTakenError,
    NotAcceptableError,
    RegistrationClosedError,
)
from onboard.core.flow import WizardState
from onboard.core.providers import Provider
from onboard.ui.app import OnboardApp
from onboard.ui.screens import account as account_module
from onboard.ui.screens.account import AccountScreen
from onboard.ui.screens.connecting import ConnectingScreen
from onboard.ui.screens.creating import CreatingScreen
from onboard.ui.screens.done import DoneScreen
from onboard.ui.screens.existing import ExistingAccountScreen
from onboard.ui.screens.form import FormScreen
from onboard.ui.screens.server import ServerScreen
from onboard.ui.screens.welcome import WelcomeScreen
from tests.ui.fakes import (
    FIXED_CREDENTIALS,
    FakeRegistration,
    captcha_form,
    every_field_form,
    simple_form,
)
from tests.ui.helpers import SIZE, test_app, type_text, wait_for_screen, wait_until

SnapCompare = Callable[..., bool]
PASSWORD = "abcd-efgh-jkmn-pqrs-tuvw"
PROVIDERS = [
    Provider("chat.example", "A", True, captcha=True, email_required=False, countries=("DE",)),
    Provider("im.example", "A", True, captcha=False, email_required=True,
             countries=("FR", "CH")),
    Provider("talk.example", "A", True, captcha=False, email_required=False,
             countries=("NL",)),
]


def ready_state() -> WizardState:
    return WizardState(domain="example.org", username="alice", password=PASSWORD,
                       password_generated=True)


def app_at(start: str, state: WizardState | None = None, **kwargs: Any) -> OnboardApp:
    kwargs.setdefault("service", FakeRegistration())
    return test_app(state or ready_state(), start=start, providers=PROVIDERS, size=SIZE,
                    **kwargs)


def on(kind: type[Any], then: Callable[[Pilot[Any]], Awaitable[None]] | None = None
       ) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, kind)
        if then is not None:
            await then(pilot)
        await pilot.pause()

    return run_before


def error_shown(pilot: Pilot[Any]) -> Awaitable[None]:
    return wait_until(pilot, lambda: bool(pilot.app.screen.query("#error")), what="the error")


def test_welcome(snap_compare: SnapCompare) -> None:
    assert snap_compare(app_at("welcome", WizardState()), terminal_size=SIZE,
                        run_before=on(WelcomeScreen))


def test_existing_account(snap_compare: SnapCompare) -> None:
    assert snap_compare(app_at("existing", WizardState()), terminal_size=SIZE,
                        run_before=on(ExistingAccountScreen))


def test_server(snap_compare: SnapCompare) -> None:
    assert snap_compare(app_at("server", WizardState()), terminal_size=SIZE,
                        run_before=on(ServerScreen))


def test_server_with_a_problem(snap_compare: SnapCompare) -> None:
    async def typed(pilot: Pilot[Any]) -> None:
        await type_text(pilot, "alice@example.org")

    assert snap_compare(app_at("server", WizardState()), terminal_size=SIZE,
                        run_before=on(ServerScreen, typed))


def test_account_own_password(snap_compare: SnapCompare) -> None:
    async def typed(pilot: Pilot[Any]) -> None:
        await type_text(pilot, "alice")
        await pilot.press("enter")
        await type_text(pilot, "my own secret words")

    assert snap_compare(app_at("account", WizardState(domain="example.org")),
                        terminal_size=SIZE, run_before=on(AccountScreen, typed))


def test_account_generated_password(snap_compare: SnapCompare,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(account_module, "generate_password", lambda: PASSWORD)

    async def generated(pilot: Pilot[Any]) -> None:
        await type_text(pilot, "alice")
        await pilot.press("enter", "ctrl+g")

    assert snap_compare(app_at("account", WizardState(domain="example.org")),
                        terminal_size=SIZE, run_before=on(AccountScreen, generated))


def test_account_name_taken(snap_compare: SnapCompare) -> None:
    app = app_at("account")
    app.notice = NameTakenError("alice", ["alice101", "alice202", "alice303"])
    assert snap_compare(app, terminal_size=SIZE, run_before=on(AccountScreen))


def test_connecting(snap_compare: SnapCompare) -> None:
    app = app_at("connect", service=FakeRegistration(hang_fetch=True))
    assert snap_compare(app, terminal_size=SIZE, run_before=on(ConnectingScreen))


def test_connecting_closed_with_web_page(snap_compare: SnapCompare) -> None:
    error = RegistrationClosedError("example.org", "https://example.org/register")
    app = app_at("connect", service=FakeRegistration([error]))
    assert snap_compare(app, terminal_size=SIZE, run_before=on(ConnectingScreen, error_shown))


def test_form_captcha(snap_compare: SnapCompare) -> None:
    app = app_at("connect", service=FakeRegistration([captcha_form()]))
    assert snap_compare(app, terminal_size=SIZE, run_before=on(FormScreen))


def test_form_captcha_wrong(snap_compare: SnapCompare) -> None:
    app = app_at("connect", service=FakeRegistration([captcha_form()]))
    app.notice = NotAcceptableError("CAPTCHA answer was wrong", "captcha")
    assert snap_compare(app, terminal_size=SIZE, run_before=on(FormScreen))


def test_form_every_field(snap_compare: SnapCompare) -> None:
    app = app_at("connect", service=FakeRegistration([every_field_form()]))
    assert snap_compare(app, terminal_size=SIZE, run_before=on(FormScreen))


def test_creating(snap_compare: SnapCompare) -> None:
    app = app_at("connect", service=FakeRegistration([simple_form()], hang_submit=True))
    assert snap_compare(app, terminal_size=SIZE, run_before=on(CreatingScreen))


def test_creating_done(snap_compare: SnapCompare) -> None:
    async def checked(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: pilot.app.screen.query_one("#continue").display,
                         what="the login check")

    app = app_at("connect", service=FakeRegistration([simple_form()]))
    assert snap_compare(app, terminal_size=SIZE, run_before=on(CreatingScreen, checked))


def test_creating_login_check_failed(snap_compare: SnapCompare) -> None:
    app = app_at("connect", service=FakeRegistration([simple_form()],
                                                     verify_errors=[LoginFailedError()]))
    assert snap_compare(app, terminal_size=SIZE, run_before=on(CreatingScreen, error_shown))


def test_done(snap_compare: SnapCompare) -> None:
    state = ready_state()
    state.jid = "alice@example.org"
    state.credentials_file = FIXED_CREDENTIALS
    state.login_verified = True
    assert snap_compare(app_at("done", state), terminal_size=SIZE, run_before=on(DoneScreen))
