"""Helper mode, keyboard only: chosen on the welcome screen with the helper's address, the
session checklist on every step (h), the helper's address as a QR code on Done, and the handout
written to a file; the whole flow against the real Prosody. Snapshots at the end."""

from __future__ import annotations

import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Static

from onboard.core.checklist import ITEMS
from onboard.core.flow import WizardState
from onboard.core.omemo import verified
from onboard.core.threat import ThreatAnswers
from onboard.ui.app import OnboardApp
from onboard.ui.screens.checklist import ChecklistScreen
from onboard.ui.screens.done import DoneScreen
from onboard.ui.screens.handout import HandoutScreen
from onboard.ui.screens.server import ServerScreen
from onboard.ui.screens.threat import ThreatScreen
from onboard.ui.screens.welcome import WelcomeScreen
from onboard.ui.widgets.checklist import Checklist
from onboard.ui.widgets.qr import QRCode
from tests.ui.fakes import FIXED_CREDENTIALS, OWN_DEVICES, OWN_JID
from tests.ui.helpers import (
    PASSWORD,
    SIZE,
    account_state,
    fresh,
    scan_drawing,
    screen_text,
    test_app,
    through_connection_step,
    type_text,
    wait_for_screen,
    wait_until,
)
from tests.ui.test_flow_prosody import finish

MakeAccount = Callable[..., Awaitable[tuple[str, str]]]
SnapCompare = Callable[..., bool]
HELPER = "helper@example.net"


def shown(app: OnboardApp) -> set[str]:
    """The keys of the bindings the footer shows."""
    return {b.binding.key for b in app.screen.active_bindings.values()
            if b.binding.show and b.enabled}


def ticks(app: OnboardApp) -> dict[str, str]:
    """Each checklist item on the active screen: "known" (✔ from the state), "ticked" or
    "open" (a box to tick)."""
    checklist = app.screen.query_one(Checklist)
    found = {}
    for key in ITEMS:
        if checklist.query_one(f"#known-{key}", Static).display:
            found[key] = "known"
        else:
            box = checklist.query_one(f"#tick-{key}", Checkbox)
            assert box.display
            found[key] = "ticked" if box.value else "open"
    return found


async def choose_helper_mode(pilot: Pilot[Any], address: str) -> None:
    """On the welcome screen: tick "I'm helping someone", type the address, Enter (to Create)."""
    await wait_for_screen(pilot, WelcomeScreen)
    await pilot.press("shift+tab", "space", "tab")
    await type_text(pilot, address)
    await pilot.press("enter")


# --- welcome -----------------------------------------------------------------------------------


async def test_the_helper_address_is_checked_and_kept() -> None:
    app = test_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, WelcomeScreen)
        assert not screen.query_one("#helper-row").display
        assert "h" not in shown(app)
        await choose_helper_mode(pilot, "not an address")
        assert app.state.helper_mode
        assert screen.query_one("#helper-row").display
        assert "is not a chat address" in screen_text(app)
        assert app.focused is screen.query_one("#helper-jid")
        # Create does not go on either while the address is wrong.
        screen.query_one("#create").focus()
        await pilot.press("enter")
        assert app.screen is screen and app.focused is screen.query_one("#helper-jid")
        field = screen.query_one("#helper-jid", Input)
        field.clear()  # as Ctrl+U would
        await type_text(pilot, " Helper@Example.NET ")
        assert "is not a chat address" not in screen_text(app)
        await pilot.press("enter")
        assert app.focused is screen.query_one("#create")
        assert "h" in shown(app)
        await pilot.press("enter")
        await wait_for_screen(pilot, ThreatScreen)
        assert app.state.helper_jid == HELPER


async def test_the_helper_address_is_optional_and_unticking_forgets_it() -> None:
    app = test_app()
    async with app.run_test(size=SIZE) as pilot:
        await choose_helper_mode(pilot, "")
        await pilot.press("enter")
        await wait_for_screen(pilot, ThreatScreen)
        assert app.state.helper_mode and app.state.helper_jid == ""

        await pilot.press("escape")
        screen = await wait_for_screen(pilot, WelcomeScreen)
        assert screen.query_one("#helper-mode", Checkbox).value  # as chosen before
        await pilot.press("shift+tab", "shift+tab", "space")  # past the address: untick
        assert not app.state.helper_mode and not screen.query_one("#helper-row").display
        await pilot.press("tab", "enter")
        await wait_for_screen(pilot, ThreatScreen)
        assert not app.state.helper_mode and "h" not in shown(app)
        await pilot.press("h")  # nothing to show without helper mode
        assert isinstance(app.screen, ThreatScreen)


# --- the checklist on every step ---------------------------------------------------------------


async def test_h_shows_the_checklist_over_any_step_and_esc_comes_back() -> None:
    app = test_app(WizardState(helper_mode=True))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, WelcomeScreen)
        await pilot.press("enter")
        threat = await wait_for_screen(pilot, ThreatScreen)
        assert "h" in shown(app)
        await pilot.press("h")
        await wait_for_screen(pilot, ChecklistScreen)
        assert ticks(app) == dict.fromkeys(ITEMS, "open")  # nothing done yet
        assert "Step 2 of the assistant asks who might want" in screen_text(app)
        # Ticked by hand: the threat model talked through, without the questions.
        assert app.focused is app.screen.query_one("#tick-threat")
        await pilot.press("space")
        assert app.state.helper_ticked == {"threat"}
        await pilot.press("h")  # h again closes it, like Esc
        assert await wait_for_screen(pilot, ThreatScreen) is threat

        await pilot.press("shift+tab", "enter")  # the questions answered (their defaults)
        await pilot.press("enter")  # the summary
        await pilot.press("h")
        await wait_for_screen(pilot, ChecklistScreen)
        found = ticks(app)
        assert found["threat"] == "known" and found["tor"] == "open"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ChecklistScreen)


async def test_h_is_not_taken_from_a_text_field() -> None:
    app = test_app(WizardState(helper_mode=True), start="server")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ServerScreen)
        assert isinstance(app.focused, Input)
        await pilot.press("h")
        assert app.screen is screen
        assert screen.query_one("#domain", Input).value == "h"


# --- the whole flow, against the real Prosody --------------------------------------------------


@pytest.mark.prosody
@pytest.mark.timeout(120)
async def test_helper_mode_from_welcome_to_the_handout(prosody: Any, home: Path,
                                                       tmp_path: Path) -> None:
    username = fresh("helped")
    state = WizardState(host=prosody.host, port=prosody.starttls_port, ca_file=prosody.ca_file)
    app = test_app(state)
    async with app.run_test(size=SIZE) as pilot:
        await choose_helper_mode(pilot, HELPER)
        await pilot.press("enter")
        await through_connection_step(pilot)
        await wait_for_screen(pilot, ServerScreen)
        await type_text(pilot, "open.test")
        await pilot.press("enter")
        await type_text(pilot, username)
        await pilot.press("enter", "ctrl+g", "enter")
        done = await finish(pilot)
        jid = f"{username}@open.test"
        assert app.state.jid == jid

        # The helper's address as a code the new app scans.
        qr = done.query_one("#helper-qr", QRCode)
        assert scan_drawing(qr.render(), tmp_path / "roster.png") == f"xmpp:{HELPER}?roster"
        assert "Scan this in your new app" in screen_text(app)
        assert qr.region.bottom <= app.size.height - 1  # whole, above the footer

        # What the wizard did is ticked; the rest is left to tick, the first box focused.
        assert ticks(app) == {"threat": "known", "tor": "known", "account": "known",
                              "app": "open", "login": "open", "fingerprints": "open",
                              "contact": "open"}
        assert "Tor decided: off" in screen_text(app)
        assert app.focused is done.query_one("#tick-app")
        await pilot.press("space", "tab", "space")
        assert app.state.helper_ticked == {"app", "login"}
        await pilot.press("h")
        await wait_for_screen(pilot, ChecklistScreen)
        assert ticks(app)["login"] == "ticked"
        await pilot.press("escape")
        await wait_for_screen(pilot, DoneScreen)
        assert {"h", "k", "i", "p", "q"} <= shown(app)

        # The handout, with the defaults: no password.
        await pilot.press("p")
        screen = await wait_for_screen(pilot, HandoutScreen)
        assert screen.query_one("#helper", Input).value == HELPER
        assert screen.query_one("#path", Input).value == f"~/xmpp-onboard-{username}.html"
        assert not screen.query_one("#password", Checkbox).value
        assert app.focused is screen.query_one("#write")
        await pilot.press("enter")
        path = home / f"xmpp-onboard-{username}.html"
        await wait_until(pilot, lambda: screen.written is not None, what="the handout")
        assert screen.written == path
        assert f"Written to {path}" in screen_text(app)
        assert "The password is not on it." in screen_text(app)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        page = path.read_text("utf-8")
        assert jid in page and f"xmpp:{HELPER}?roster" in page
        assert app.state.password not in page
        await pilot.press("escape")
        await wait_for_screen(pilot, DoneScreen)
    assert app.state.helper_ticked == {"app", "login"}


@pytest.mark.prosody
async def test_the_handout_with_the_password_replaces_the_file_only_when_asked(
        make_account: MakeAccount, prosody: Any, home: Path) -> None:
    jid, password = await make_account("paper")  # its credentials are saved here
    state = account_state(prosody, jid, password)
    state.helper_mode, state.helper_jid = True, HELPER
    app = test_app(state, start="done")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, DoneScreen)
        await pilot.press("p")
        screen = await wait_for_screen(pilot, HandoutScreen)
        # From Write back to the languages: Deutsch; then on to the file, Enter writes.
        await pilot.press("shift+tab", "shift+tab", "shift+tab", "right", "enter")
        assert screen.language == "de"
        await pilot.press("tab", "tab", "enter")
        await wait_until(pilot, lambda: screen.written is not None, what="the handout")
        path = screen.written
        assert path is not None and path.parent == home
        first = path.read_text("utf-8")
        assert password not in first and '<html lang="de">' in first

        # From Back: to Write, the file, the box; tick it, and write to the same file.
        assert app.focused is screen.query_one("#back")
        await pilot.press("shift+tab", "shift+tab", "shift+tab", "space")
        assert screen.query_one("#password-warning").has_class("-ticked")
        await pilot.press("tab", "enter")  # Enter in the file's field writes
        await wait_until(pilot, lambda: screen.exists == path, what="the question")
        assert "already exists. Replace it" in screen_text(app)
        assert app.focused is screen.query_one("#keep")
        assert path.read_text("utf-8") == first  # nothing replaced yet

        # Keep it: back to the file's name; then Replace.
        await pilot.press("enter")
        assert app.focused is screen.query_one("#path")
        assert not screen.query_one("#exists").display
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.exists == path, what="the question again")
        await pilot.press("shift+tab", "enter")
        await wait_until(pilot, lambda: password in path.read_text("utf-8"),
                         what="the page with the password")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert "It shows the password" in screen_text(app)


async def test_an_unsaved_password_or_a_wrong_helper_address_is_said(home: Path) -> None:
    state = WizardState(jid=OWN_JID, domain="example.org", username="alice",
                        password=PASSWORD, login_verified=True, helper_mode=True)
    app = test_app(state, start="handout")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, HandoutScreen)
        await pilot.press("shift+tab", "shift+tab")  # from Write to the box
        await pilot.press("space", "tab", "enter")
        assert "No password of alice@example.org is saved on this computer" in \
            screen_text(app)
        assert app.focused is screen.query_one("#password")
        assert not list(home.iterdir())

        await pilot.press("space", "shift+tab", "shift+tab")  # untick; to the helper
        assert app.focused is screen.query_one("#helper")
        await type_text(pilot, "nobody")
        await pilot.press("tab", "tab", "tab", "enter")  # to the file; Enter writes
        assert "is not a chat address" in screen_text(app)
        assert app.focused is screen.query_one("#helper")
        assert not list(home.iterdir())


async def test_the_checklist_knows_verified_devices() -> None:
    device = OWN_DEVICES[0]
    verified.mark_verified(OWN_JID, OWN_JID, device.device_id, device.fingerprint)
    state = WizardState(jid=OWN_JID, domain="example.org", helper_mode=True,
                        login_verified=True)
    app = test_app(state, start="done")
    async with app.run_test(size=SIZE) as pilot:
        done = await wait_for_screen(pilot, DoneScreen)
        assert ticks(app)["fingerprints"] == "known"
        assert not done.query("#helper-qr")  # no helper address given: no code
        await pilot.press("h")
        await wait_for_screen(pilot, ChecklistScreen)
        assert "1 device of the account is confirmed in the assistant." in screen_text(app)


# --- snapshots ---------------------------------------------------------------------------------


def helper_done_state() -> WizardState:
    """Done in helper mode, after the threat questions and the connection step, one item
    ticked by hand."""
    return WizardState(domain="example.org", username="alice", password=PASSWORD, jid=OWN_JID,
                       credentials_file=FIXED_CREDENTIALS, login_verified=True,
                       threat=ThreatAnswers(), connection_chosen=True, helper_mode=True,
                       helper_jid=HELPER, helper_ticked={"app"})


def test_snapshot_welcome_helper_mode(snap_compare: SnapCompare) -> None:
    async def helping(pilot: Pilot[Any]) -> None:
        await choose_helper_mode(pilot, HELPER)

    assert snap_compare(test_app(WizardState()), terminal_size=SIZE, run_before=helping)


def test_snapshot_done_helper_mode(snap_compare: SnapCompare) -> None:
    async def done(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, DoneScreen)

    assert snap_compare(test_app(helper_done_state(), start="done"), terminal_size=SIZE,
                        run_before=done)


def test_snapshot_checklist(snap_compare: SnapCompare) -> None:
    async def checklist(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, DoneScreen)
        await pilot.press("h")
        await wait_for_screen(pilot, ChecklistScreen)

    assert snap_compare(test_app(helper_done_state(), start="done"), terminal_size=SIZE,
                        run_before=checklist)


def test_snapshot_handout(snap_compare: SnapCompare, home: Path) -> None:
    """The form as it opens: the helper's address, the friend's language, no password, the
    file in the home folder (shown as ~, the same on every machine)."""
    async def handout(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, HandoutScreen)

    assert snap_compare(test_app(helper_done_state(), start="handout"), terminal_size=SIZE,
                        run_before=handout)
