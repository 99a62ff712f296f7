"""The encryption step, own devices: from the Done screen (k) to the account's real OMEMO devices,
published on the test Prosody by the real slixmpp-omemo library, and their QR code.

Every fingerprint on screen is compared with what the library itself computes for its device;
the verified record is read back from its file; the QR code is read by a real decoder.
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button

from onboard.core.flow import WizardState
from onboard.core.network import DirectNetwork
from onboard.core.omemo import verified
from onboard.core.omemo.link import parse_link
from onboard.core.omemo.pep import DeviceReport
from onboard.ui.screens.devices import DevicesScreen
from onboard.ui.screens.done import DoneScreen
from onboard.ui.screens.qr_view import QRViewScreen, choose_layout
from onboard.ui.widgets.error_panel import ErrorPanel
from onboard.ui.widgets.fingerprint import Fingerprint
from onboard.ui.widgets.qr import QRCode
from tests.servers.omemo_devices import make_device
from tests.ui.fakes import OWN_DEVICES, OWN_JID, FixedDevices
from tests.ui.helpers import (
    NETWORK_WAIT,
    SIZE,
    account_state,
    scan_drawing,
    screen_text,
    test_app,
    wait_for_screen,
    wait_until,
)
from tests.ui.relay import Relay

pytestmark = [
    pytest.mark.timeout(120),
    # slixmpp-omemo 2.2 itself uses slixmpp's deprecated plugin access.
    pytest.mark.filterwarnings("ignore:Accessing plugins through the XMPP:DeprecationWarning"),
]

MakeAccount = Callable[..., Awaitable[tuple[str, str]]]


class CountingNetwork(DirectNetwork):
    """The real direct network, noting each socket it opens: the screens must use the one in
    the state (a Tor one when Tor is on)."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[tuple[str, int]] = []

    async def open_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        self.opened.append((host, port))
        return await super().open_socket(host, port, timeout)


async def devices_listed(pilot: Any) -> DevicesScreen:
    screen = await wait_for_screen(pilot, DevicesScreen)
    await wait_until(pilot, lambda: bool(screen.cards) or bool(screen.query("#advice"))
                     or bool(screen.query("#error")), NETWORK_WAIT, "the devices")
    return screen


def shown_fingerprints(screen: DevicesScreen) -> dict[int, str]:
    """Device id → the fingerprint as drawn: the groups read back from the widget's text."""
    shown = {}
    for card in screen.cards:
        text = str(card.query_one(Fingerprint).render())
        groups = [part for part in text.split() if len(part) == 8]
        assert [f"{n}" for n in range(1, 9)] == [p for p in text.split() if len(p) == 1]
        shown[card.device.device_id] = "".join(groups)
    return shown


@pytest.mark.prosody
async def test_done_k_shows_the_real_devices_ticks_confirm_and_the_qr_code(
        prosody: Any, make_account: MakeAccount, tmp_path: Path) -> None:
    jid, password = await make_account("keys")
    made = {device.device_id: device for device in
            [await make_device(prosody, jid, password) for _ in range(2)]}
    state = account_state(prosody, jid, password)
    network = state.network = CountingNetwork()
    app = test_app(state, start="done")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, DoneScreen)
        await pilot.press("k")
        screen = await devices_listed(pilot)
        assert network.opened == [(prosody.host, prosody.starttls_port)]
        assert "Step 7 of 7: Encryption" in str(screen.query_one("#step").render())

        # The fingerprints shown are the library's own, and nothing is ticked yet.
        assert shown_fingerprints(screen) == {i: d.fingerprint for i, d in made.items()}
        for card in screen.cards:
            assert not card.ticked and card.status == verified.UNVERIFIED
            assert card.border_subtitle == "for older and newer apps (OMEMO 0.3 and 2)"
        text = screen_text(app)
        for app_name in ("Conversations", "Gajim", "Dino", "Monal"):
            assert app_name in text

        # Tick the first (it has the focus) and confirm with c.
        first, _second = screen.cards
        assert app.focused is first.checkbox
        await pilot.press("space", "c")
        records = verified.load(jid)
        assert [(r.jid, r.device_id, r.fingerprint) for r in records] == [
            (jid, first.device.device_id, made[first.device.device_id].fingerprint)]
        assert "Saved: 1 device of" in screen_text(app)
        assert first.status == verified.VERIFIED and "verified" in str(first.border_title)

        # The QR code holds exactly the confirmed device, and a decoder reads it.
        await pilot.press("q")
        qr = await wait_for_screen(pilot, QRViewScreen)
        code = qr.query_one(QRCode)
        assert parse_link(code.data) == (jid, {first.device.device_id:
                                               made[first.device.device_id].fingerprint})
        assert scan_drawing(code.render(), tmp_path / "qr.png") == code.data
        assert "Scan with your friend's phone" in screen_text(app)
        assert code.data in screen_text(app).replace("\n", "")

        # Back: the same devices, the same ticks, no second login.
        await pilot.press("escape")
        screen = await wait_for_screen(pilot, DevicesScreen)
        await wait_until(pilot, lambda: bool(screen.cards), what="the devices")
        assert [card.ticked for card in screen.cards] == [True, False]
        assert len(network.opened) == 1

        # Ticking the second too, q confirms it before showing the code.
        await pilot.press("tab")
        assert app.focused is screen.cards[1].checkbox
        await pilot.press("space", "q")
        qr = await wait_for_screen(pilot, QRViewScreen)
        assert parse_link(qr.link)[1] == {i: d.fingerprint for i, d in made.items()}
        assert {r.device_id for r in verified.load(jid)} == set(made)
        await pilot.press("escape")
        await wait_for_screen(pilot, DevicesScreen)
        await pilot.press("escape")
        await wait_for_screen(pilot, DoneScreen)


@pytest.mark.prosody
async def test_unticking_a_confirmed_device_forgets_it(
        prosody: Any, make_account: MakeAccount) -> None:
    jid, password = await make_account("untick")
    device = await make_device(prosody, jid, password)
    verified.mark_verified(jid, jid, device.device_id, device.fingerprint)
    app = test_app(account_state(prosody, jid, password), start="devices")
    async with app.run_test(size=SIZE) as pilot:
        screen = await devices_listed(pilot)
        (card,) = screen.cards
        assert card.ticked and card.status == verified.VERIFIED  # pre-ticked from the record
        await pilot.press("space", "c")
        assert verified.load(jid) == []
        assert "no device of" in screen_text(app)
        # With nothing confirmed, there is no code to show.
        await pilot.press("q")
        await pilot.pause()
        assert app.screen is screen
        assert "only confirmed devices" in screen_text(app)


@pytest.mark.prosody
async def test_a_changed_key_is_loud_and_not_ticked(
        prosody: Any, make_account: MakeAccount) -> None:
    jid, password = await make_account("changed")
    device = await make_device(prosody, jid, password)
    verified.mark_verified(jid, jid, device.device_id, "ab" * 32)  # confirmed with another key
    app = test_app(account_state(prosody, jid, password), start="devices")
    async with app.run_test(size=SIZE) as pilot:
        screen = await devices_listed(pilot)
        (card,) = screen.cards
        assert card.status == verified.CHANGED and not card.ticked
        assert card.has_class("-changed")
        assert "KEY CHANGED" in str(card.border_title)
        assert card.query_one(".card-warning").display
        assert "Someone may be pretending to be it" in screen_text(app)


@pytest.mark.prosody
async def test_no_omemo_gives_the_advice_and_r_checks_again(
        prosody: Any, make_account: MakeAccount) -> None:
    jid, password = await make_account("nokeys")
    app = test_app(account_state(prosody, jid, password), start="devices")
    async with app.run_test(size=SIZE) as pilot:
        screen = await devices_listed(pilot)
        assert not screen.cards
        text = screen_text(app)
        assert "This account has no OMEMO encryption keys yet" in text
        assert "Press r to check again." in text
        assert app.focused is screen.query_one("#check-again", Button)
        # The user opens an app once (a real device appears), then presses r.
        device = await make_device(prosody, jid, password)
        await pilot.press("r")
        await wait_until(pilot, lambda: bool(screen.cards), NETWORK_WAIT, "the new device")
        assert shown_fingerprints(screen) == {device.device_id: device.fingerprint}


@pytest.mark.prosody
async def test_a_refused_login_offers_try_again_and_back(
        prosody: Any, make_account: MakeAccount) -> None:
    jid, _password = await make_account("refused")
    app = test_app(account_state(prosody, jid, "not-the-password"), start="done")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, DoneScreen)
        await pilot.press("k")
        screen = await devices_listed(pilot)
        panel = screen.query_one("#error", ErrorPanel)
        assert "the address or the password is wrong" in screen_text(app)
        assert [label for _choice, label in panel.choices] == ["Try again", "Back"]
        await pilot.press("tab", "enter")  # Back
        await wait_for_screen(pilot, DoneScreen)


async def test_escape_cancels_reading_from_a_silent_server(silent_server: Relay) -> None:
    """A server that accepts the connection and then says nothing: Esc ends it at once."""
    state = WizardState(domain="example.org", username="alice", jid="alice@example.org",
                        password="secret-secret", host="127.0.0.1", port=silent_server.port)
    app = test_app(state, start="done")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, DoneScreen)
        await pilot.press("k")
        screen = await wait_for_screen(pilot, DevicesScreen)
        await wait_until(pilot, lambda: silent_server.connections == 1, what="the connection")
        assert "Logging in as alice@example.org and reading its encryption keys" in \
            screen_text(app)
        assert screen.query_one("#loading").display
        await pilot.press("escape")
        await wait_for_screen(pilot, DoneScreen)
        # Cancelled: the socket is closed long before the core's 30 s time-out.
        await wait_until(pilot, lambda: silent_server.closed == 1,
                         what="the connection to be closed")
        assert not any(isinstance(s, DevicesScreen) for s in app.screen_stack)


async def test_the_qr_code_is_whole_or_the_size_it_needs_is_said(tmp_path: Path) -> None:
    """Two confirmed devices do not fit 80x24: no code, the size needed; a bigger window shows
    the whole code (read by a decoder), and it fits every size the screen says it does."""
    state = WizardState(domain="example.org", jid=OWN_JID, password="secret-secret")
    state.own_devices = DeviceReport(OWN_JID, OWN_JID, OWN_DEVICES)
    verified.mark_many(OWN_JID, OWN_JID, {d.device_id: d.fingerprint for d in OWN_DEVICES})
    app = test_app(state, start="qr", devices=FixedDevices())
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, QRViewScreen)
        assert not screen.query(QRCode)
        fit = choose_layout(screen.link, *SIZE)
        assert fit.arrangement == "too-small"
        width, height = fit.needed
        assert (f"Make the window at least {width} columns wide and {height} lines high"
                in screen_text(app).replace("\n", " "))
        assert parse_link(screen.link)[1] == {d.device_id: d.fingerprint for d in OWN_DEVICES}

        await pilot.resize_terminal(width, height)
        await wait_until(pilot, lambda: bool(screen.query(QRCode)), what="the code")
        code = screen.query_one(QRCode)
        assert code.region.right <= width and code.region.bottom <= height
        assert code.size.width == len(code.matrix[0])
        assert scan_drawing(code.render(), tmp_path / "qr.png") == screen.link
        await pilot.press("escape")
        await wait_for_screen(pilot, DevicesScreen)
