"""The invite screen (Done, i) against the real Prosody: invite.test makes invites (with its
landing page when mod_invites_page is installed), open.test has none, and a silent server
waits until Esc; keyboard only. A snapshot with a fixed invite at the end."""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button

from onboard.core.flow import WizardState
from onboard.core.network import DirectNetwork
from onboard.core.xmpp.address import ServerAddress
from onboard.core.xmpp.invites import invite_instructions, parse_invite
from onboard.core.xmpp.registration import RegistrationSession
from onboard.ui.screens.done import DoneScreen
from onboard.ui.screens.invite import InviteScreen
from onboard.ui.widgets.qr import QRCode
from tests.ui.fakes import FixedInvite, fixed_invite
from tests.ui.helpers import (
    NETWORK_WAIT,
    PASSWORD,
    SIZE,
    account_state,
    error_shown,
    scan_drawing,
    screen_text,
    test_app,
    wait_for_screen,
    wait_until,
)
from tests.ui.relay import Relay

pytestmark = pytest.mark.timeout(120)

MakeAccount = Callable[..., Awaitable[tuple[str, str]]]
SnapCompare = Callable[..., bool]


async def invited_account(prosody: Any, domain: str = "invite.test") -> tuple[str, str]:
    """An account on an invite-only host, signed up with an admin's invite (prosodyctl)."""
    address = ServerAddress(domain, prosody.host, prosody.starttls_port, False, prosody.ca_file)
    name, password = f"inviter{secrets.token_hex(4)}", secrets.token_urlsafe(12)
    session = RegistrationSession(address, DirectNetwork(), timeout=10,
                                  invite_token=prosody.account_invite(domain))
    try:
        await session.open()
        account = await session.submit({"username": [name], "password": [password]})
    finally:
        await session.close()
    return account.jid, password


async def open_invite(pilot: Pilot[Any]) -> InviteScreen:
    """From Done: i, and wait until the server answered (an invite or an error)."""
    await wait_for_screen(pilot, DoneScreen)
    await pilot.press("i")
    screen = await wait_for_screen(pilot, InviteScreen)
    await wait_until(pilot, lambda: not screen.busy, NETWORK_WAIT, "the server's answer")
    return screen


@pytest.mark.prosody
async def test_an_invite_from_invite_test_as_qr_codes(prosody: Any, tmp_path: Path) -> None:
    jid, password = await invited_account(prosody)
    app = test_app(account_state(prosody, jid, password), start="done")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_invite(pilot)
        invite = screen.invite
        assert invite is not None, screen_text(app)
        assert re.fullmatch(rf"xmpp:{re.escape(jid)}\?roster;preauth=[^;]+;ibr=y", invite.uri)
        assert parse_invite(invite.uri).token == invite.token and invite.allows_signup

        # The xmpp: link's code reads back as the server's URI, exactly.
        uri_qr = screen.query_one("#uri-qr", QRCode)
        assert scan_drawing(uri_qr.render(), tmp_path / "uri.png") == invite.uri
        if prosody.invites_page:  # mod_invites_page (Debian's prosody-modules)
            assert invite.landing_url == f"https://invite.test/invite?{invite.token}"
            landing_qr = screen.query_one("#landing-qr", QRCode)
            assert scan_drawing(landing_qr.render(), tmp_path / "page.png") == \
                invite.landing_url
            assert landing_qr.region.bottom <= uri_qr.region.bottom  # side by side
        else:
            assert not screen.query("#landing-qr")
        # Both codes whole on the first screen, above the footer.
        assert uri_qr.region.y >= 1 and uri_qr.region.bottom <= app.size.height - 1
        text = screen_text(app)
        for line in invite_instructions(invite):
            assert line in text
        assert app.focused is screen.query_one("#back")

        # A new invite for the next friend: another token.
        await pilot.press("shift+tab", "enter")
        await wait_until(pilot, lambda: screen.invite is not None and not screen.busy,
                         NETWORK_WAIT, "the second invite")
        assert screen.invite is not None and screen.invite.token != invite.token
        await pilot.press("escape")
        await wait_for_screen(pilot, DoneScreen)


@pytest.mark.prosody
async def test_a_server_without_invites_says_so_with_back(make_account: MakeAccount,
                                                          prosody: Any) -> None:
    jid, password = await make_account("noinvite")
    app = test_app(account_state(prosody, jid, password), start="done")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_invite(pilot)
        await error_shown(pilot)
        assert screen.invite is None
        assert "open.test does not offer invites." in screen_text(app)
        buttons = [str(b.label) for b in screen.query_one("#error").query(Button)]
        assert buttons == ["Back"]
        await pilot.press("enter")
        await wait_for_screen(pilot, DoneScreen)


@pytest.mark.prosody
async def test_escape_stops_waiting_for_a_silent_server(silent_server: Relay) -> None:
    state = WizardState(domain="example.org", username="alice", jid="alice@example.org",
                        password=PASSWORD, host="127.0.0.1", port=silent_server.port,
                        login_verified=True)
    app = test_app(state, start="invite")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, InviteScreen)
        await wait_until(pilot, lambda: silent_server.connections == 1, NETWORK_WAIT,
                         "the connection")
        assert screen.busy
        assert "Logging in as alice@example.org and asking example.org for an invite" in \
            screen_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: silent_server.closed == 1, what="the socket closed")
        assert app.screen is screen and not screen.busy
        assert "Stopped. No invite was made." in screen_text(app)
        assert app.focused is screen.query_one("#again")
        await pilot.press("escape")
        await wait_for_screen(pilot, DoneScreen)
    assert silent_server.connections == 1


def test_snapshot_invite(snap_compare: SnapCompare) -> None:
    """A fixed invite with a landing page (a real one's token is random): both codes."""
    async def made(pilot: Pilot[Any]) -> None:
        screen = await wait_for_screen(pilot, InviteScreen)
        await wait_until(pilot, lambda: screen.invite is not None, 5, "the invite")

    state = WizardState(domain="example.org", username="alice", password=PASSWORD,
                        jid="alice@example.org", login_verified=True)
    app = test_app(state, start="invite", invite=FixedInvite(fixed_invite()))
    assert snap_compare(app, terminal_size=SIZE, run_before=made)
