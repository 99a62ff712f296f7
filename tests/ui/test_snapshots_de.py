"""The same screens in German, as a German-speaking friend meets them: the threat-model step,
the guide viewer, the encryption step, the test message and helper mode (see test_snapshots.py
and test_helper_mode.py for the English ones and how they are made deterministic)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from onboard.core.flow import WizardState
from onboard.core.omemo import verified
from onboard.core.threat import ThreatAnswers
from onboard.i18n import set_language
from onboard.ui.screens.checklist import ChecklistScreen
from onboard.ui.screens.devices import DevicesScreen
from onboard.ui.screens.done import DoneScreen
from onboard.ui.screens.friend import FriendScreen
from onboard.ui.screens.handout import HandoutScreen
from onboard.ui.screens.hello import HelloScreen
from onboard.ui.screens.threat import ThreatScreen
from onboard.ui.screens.threat_summary import ThreatSummaryScreen
from onboard.ui.screens.tor import TorScreen
from onboard.ui.screens.welcome import WelcomeScreen
from tests.ui.fakes import FRIEND_JID, OWN_DEVICES, OWN_JID, FixedDevices, FixedHello
from tests.ui.helpers import SIZE, test_app, wait_for_screen, wait_until
from tests.ui.test_guide import open_guide, tor_app
from tests.ui.test_helper_mode import helper_done_state
from tests.ui.test_snapshots import SnapCompare, account_state, app_at, on


@pytest.fixture(autouse=True)
def german() -> Iterator[None]:
    """German, as the welcome screen's switch (or LANG=de_DE) leaves it."""
    set_language("de")
    yield
    set_language("en")


def test_welcome_de(snap_compare: SnapCompare) -> None:
    assert snap_compare(app_at("welcome", WizardState()), terminal_size=SIZE,
                        run_before=on(WelcomeScreen))


def test_threat_questions_de(snap_compare: SnapCompare) -> None:
    assert snap_compare(app_at("threat", WizardState()), terminal_size=SIZE,
                        run_before=on(ThreatScreen))


def test_threat_summary_de(snap_compare: SnapCompare) -> None:
    answers = ThreatAnswers(concerns=frozenset({"network", "state"}), tor_blocked=True,
                            country="DE")
    assert snap_compare(app_at("threat_summary", WizardState(threat=answers)),
                        terminal_size=SIZE, run_before=on(ThreatSummaryScreen))


def test_guide_viewer_de(snap_compare: SnapCompare) -> None:
    async def opened(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, TorScreen)
        await open_guide(pilot)

    assert snap_compare(tor_app(), terminal_size=SIZE, run_before=opened)


def test_devices_de(snap_compare: SnapCompare) -> None:
    first = OWN_DEVICES[0]
    verified.mark_verified(OWN_JID, OWN_JID, first.device_id, first.fingerprint)

    async def listed(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, DevicesScreen)
        await wait_until(pilot, lambda: bool(screen.cards), 5, "the devices")

    app = app_at("devices", account_state(), devices=FixedDevices())
    assert snap_compare(app, terminal_size=SIZE, run_before=on(DevicesScreen, listed))


def test_hello_sent_de(snap_compare: SnapCompare) -> None:
    async def sent(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, FriendScreen)
        screen.query_one("#friend", Input).insert_text_at_cursor(FRIEND_JID)
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(screen.cards), 5, "the devices")
        await pilot.press("t")
        hello = await wait_for_screen(pilot, HelloScreen)
        await pilot.press("enter")
        await wait_until(pilot, lambda: hello.result is not None, 5, "the result")

    app = app_at("friend", account_state(), devices=FixedDevices(), hello=FixedHello())
    assert snap_compare(app, terminal_size=SIZE, run_before=on(FriendScreen, sent))


def test_done_helper_mode_de(snap_compare: SnapCompare) -> None:
    assert snap_compare(test_app(helper_done_state(), start="done"), terminal_size=SIZE,
                        run_before=on(DoneScreen))


def test_checklist_de(snap_compare: SnapCompare) -> None:
    async def checklist(pilot: Pilot[Any]) -> None:
        await pilot.press("h")
        await wait_for_screen(pilot, ChecklistScreen)

    assert snap_compare(test_app(helper_done_state(), start="done"), terminal_size=SIZE,
                        run_before=on(DoneScreen, checklist))


def test_handout_de(snap_compare: SnapCompare, home: Path) -> None:
    assert snap_compare(test_app(helper_done_state(), start="handout"), terminal_size=SIZE,
                        run_before=on(HandoutScreen))


def test_resume_offer_de(snap_compare: SnapCompare) -> None:
    from tests.ui.test_resume import ResumeScreen, leave_pending

    leave_pending("alice@example.org", host=None, port=None)
    app = test_app(WizardState(), size=SIZE)

    async def offered(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, ResumeScreen)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=offered)


def test_window_too_small_de(snap_compare: SnapCompare) -> None:
    from tests.ui.test_small_terminal import _message_shown, account_app

    size = (60, 20)
    assert snap_compare(account_app(size), terminal_size=size, run_before=_message_shown)
