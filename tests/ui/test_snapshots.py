"""Every screen at 80x24, as SVG snapshots (tests/ui/__snapshots__/).

Deterministic: fixed size, no cursor blink, no animation, a fixed server list, a fixed
"generated" password. What a server answers comes from a real one: a Prosody of the test's own
(so the name "alice" is free every time) behind a relay, or a silent socket; account files go
to a relative folder, so the path on screen is the same every run. Screens that would show
something random from a server (a CAPTCHA picture) start at their step with the state prefilled.
Update after looking at them: pytest tests/ui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input

from onboard.core.errors import (
    NameTakenError,
    NotAcceptableError,
    RegistrationClosedError,
    TorBootstrapError,
)
from onboard.core.flow import WizardState
from onboard.core.omemo import verified
from onboard.core.omemo.errors import AccountLoginFailedError
from onboard.core.omemo.link import build_link
from onboard.core.omemo.pep import DeviceReport
from onboard.core.providers import Provider, bundled
from onboard.core.threat import ThreatAnswers
from onboard.core.tor.launch import BootstrapStatus, phase_text
from onboard.ui.app import OnboardApp, TorOptions
from onboard.ui.screens import account as account_module
from onboard.ui.screens.account import AccountScreen
from onboard.ui.screens.connecting import ConnectingScreen
from onboard.ui.screens.creating import CreatingScreen
from onboard.ui.screens.devices import DevicesScreen
from onboard.ui.screens.done import DoneScreen
from onboard.ui.screens.existing import ExistingAccountScreen
from onboard.ui.screens.filters import FiltersScreen
from onboard.ui.screens.form import FormScreen
from onboard.ui.screens.friend import FriendScreen
from onboard.ui.screens.hello import HelloScreen
from onboard.ui.screens.qr_view import QRViewScreen
from onboard.ui.screens.server import ServerScreen
from onboard.ui.screens.threat import ThreatScreen
from onboard.ui.screens.threat_summary import ThreatSummaryScreen
from onboard.ui.screens.tor import TorScreen
from onboard.ui.screens.tor_connect import TorConnectScreen
from onboard.ui.screens.welcome import WelcomeScreen
from onboard.ui.widgets.link_qr import LinkQRScreen
from tests.ui.fakes import (
    FIXED_CREDENTIALS,
    FRIEND_DEVICES,
    FRIEND_JID,
    OWN_DEVICES,
    OWN_JID,
    FakeRegistration,
    FixedDevices,
    FixedHello,
    captcha_form,
    every_field_form,
)
from tests.ui.helpers import (
    NETWORK_WAIT,
    PASSWORD,
    SIZE,
    error_shown,
    first_login_refused,
    live_state,
    test_app,
    type_text,
    wait_for_screen,
    wait_until,
)
from tests.ui.relay import Relay
from tests.ui.test_server import LIVE

SnapCompare = Callable[..., bool]
MakeRelay = Callable[..., Relay]
PROVIDERS = [
    Provider("chat.example", "A", True, captcha=True, email_required=False, countries=("DE",)),
    Provider("im.example", "A", True, captcha=False, email_required=True,
             countries=("FR", "CH")),
    Provider("talk.example", "A", True, captcha=False, email_required=False,
             countries=("NL",)),
]

YAX = next(p for p in bundled() if p.domain == "yax.im")


def ready_state() -> WizardState:
    return WizardState(domain="example.org", username="alice", password=PASSWORD,
                       password_generated=True)


def app_at(start: str, state: WizardState | None = None, **kwargs: Any) -> OnboardApp:
    return test_app(state or ready_state(), start=start, providers=PROVIDERS, size=SIZE,
                    **kwargs)


def on(kind: type[Any], then: Callable[[Pilot[Any]], Awaitable[Any]] | None = None,
       timeout: float = 10.0) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_for_screen(pilot, kind, timeout)
        if then is not None:
            await then(pilot)
        await pilot.pause()

    return run_before


@pytest.fixture
def fixed_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Account files under a relative folder: the same path on screen in every run (as long
    as a real one, so that it wraps as a real one does)."""
    home = "home/alice/.local/share/xmpp-onboard"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XMPP_ONBOARD_HOME", home)
    return tmp_path / home


def test_welcome(snap_compare: SnapCompare) -> None:
    assert snap_compare(app_at("welcome", WizardState()), terminal_size=SIZE,
                        run_before=on(WelcomeScreen))


def test_existing_account(snap_compare: SnapCompare) -> None:
    assert snap_compare(app_at("existing", WizardState(mode="existing"),
                               devices=FixedDevices()),
                        terminal_size=SIZE, run_before=on(ExistingAccountScreen))


def test_existing_account_wrong_password(snap_compare: SnapCompare) -> None:
    """A saved account picked from the list, and the server's "wrong password" (fixed here;
    tests/ui/test_existing.py gets it from a real server)."""
    from onboard.core.accounts import SavedAccount, save

    save(SavedAccount(OWN_JID, PASSWORD, "example.org", created_at=1.0))
    save(SavedAccount("alice@chat.example", PASSWORD, "chat.example", created_at=2.0))

    async def refused(pilot: Pilot[Any]) -> None:
        await pilot.press("down", "enter", "enter")
        await wait_until(pilot, lambda: "wrong" in str(
            pilot.app.screen.query_one("#password-problem").render()), 5, "the refusal")

    devices = FixedDevices(login_error=AccountLoginFailedError(OWN_JID))
    assert snap_compare(app_at("existing", WizardState(mode="existing"), devices=devices),
                        terminal_size=SIZE, run_before=on(ExistingAccountScreen, refused))


def test_threat_questions(snap_compare: SnapCompare) -> None:
    assert snap_compare(app_at("threat", WizardState()), terminal_size=SIZE,
                        run_before=on(ThreatScreen))


def test_threat_summary(snap_compare: SnapCompare) -> None:
    """Police or a state and the network, Tor blocked, in Germany: the most the answers
    change (its limits are listed whatever the answers)."""
    answers = ThreatAnswers(concerns=frozenset({"network", "state"}), tor_blocked=True,
                            country="DE")
    assert snap_compare(app_at("threat_summary", WizardState(threat=answers)),
                        terminal_size=SIZE, run_before=on(ThreatSummaryScreen))


def test_server_with_the_threat_steps_filters(snap_compare: SnapCompare) -> None:
    """The filters the threat step chose (state, in Germany): onion addresses first, none in
    Germany."""
    from onboard.core.providers import NEWCOMER_FILTER
    from onboard.core.threat import StepDefaults, recommend, step_defaults

    answers = ThreatAnswers(concerns=frozenset({"state"}), country="DE")
    defaults = step_defaults(recommend(answers), StepDefaults())
    assert defaults.server_filter != NEWCOMER_FILTER
    state = WizardState(threat=answers, server_filter=defaults.server_filter)
    app = test_app(state, start="server", providers=bundled(), size=SIZE)
    assert snap_compare(app, terminal_size=SIZE, run_before=on(ServerScreen))


def test_connection(snap_compare: SnapCompare) -> None:
    """The connection step, once the search for a running tor is done (none in the list
    given, so the result is the same on every machine)."""
    async def searched(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, TorScreen)
        await wait_until(pilot, lambda: bool(screen.found), 5, "the search for tor")

    app = app_at("tor", WizardState(), tor_options=TorOptions(candidates=[]))
    assert snap_compare(app, terminal_size=SIZE, run_before=on(TorScreen, searched))


def test_connection_bridges(snap_compare: SnapCompare, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The bridge lines box, with the bridge types this computer can use: obfs4 and snowflake
    here on every machine (a search path with just those two programs)."""
    for program in ("obfs4proxy", "snowflake-client"):
        (tmp_path / program).write_text("#!/bin/sh\n")
        (tmp_path / program).chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("onboard.core.tor.bridges.EXTRA_DIRS", ())

    async def bridges(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, TorScreen)
        await wait_until(pilot, lambda: bool(screen.found), 5, "the search for tor")
        for _ in range(4):
            await pilot.press("down")
        await pilot.press("space", "enter")
        await type_text(pilot, "obfs4 192.0.2.7 0123456789ABCDEF0123456789ABCDEF01234567")
        screen.query_one("#continue", Button).press()

    app = app_at("tor", WizardState(), tor_options=TorOptions(candidates=[]))
    assert snap_compare(app, terminal_size=SIZE, run_before=on(TorScreen, bridges))


def test_tor_bootstrap_progress(snap_compare: SnapCompare) -> None:
    """A launched tor half way. The status is fixed here (a real bootstrap is too quick and
    its timing varies); the real 0 → 100 % is tests/ui/test_tor.py's."""
    status = BootstrapStatus(progress=45, tag="requesting_descriptors",
                             summary="Asking for relay descriptors",
                             text=phase_text("requesting_descriptors"))

    async def half_way(on_status: Callable[[BootstrapStatus], None]) -> Any:
        on_status(status)
        await asyncio.Event().wait()  # until Esc

    async def shown(pilot: Pilot[Any]) -> None:
        pilot.app.push_screen(TorConnectScreen(pilot.app.state, half_way))
        screen = await wait_for_screen(pilot, TorConnectScreen)
        await wait_until(pilot, lambda: screen.last_status is not None, 5, "the status")

    app = app_at("server", WizardState(tor_mode="launch"))
    assert snap_compare(app, terminal_size=SIZE, run_before=on(ServerScreen, shown))


def test_tor_stalled(snap_compare: SnapCompare) -> None:
    """A launched tor that got stuck at 10 %: what to check, and the ways on. The error is
    fixed here (how far a real stall gets varies); tests/ui/test_tor.py stalls a real tor."""
    async def stalled(on_status: Callable[[BootstrapStatus], None]) -> Any:
        raise TorBootstrapError("stalled", progress=10)

    async def shown(pilot: Pilot[Any]) -> None:
        pilot.app.push_screen(TorConnectScreen(pilot.app.state, stalled))
        screen = await wait_for_screen(pilot, TorConnectScreen)
        await wait_until(pilot, lambda: screen.query("#error"), 5, "the error")

    app = app_at("server", WizardState(tor_mode="launch"))
    assert snap_compare(app, terminal_size=SIZE, run_before=on(ServerScreen, shown))


def test_tor_not_reachable(snap_compare: SnapCompare) -> None:
    """Nothing listens on port 9 (discard) here: Tor is not there, and nothing else is tried.
    The port is in the picture, so it is fixed, and checked to be closed first."""
    with socket.socket() as probe:
        probe.settimeout(2)
        if probe.connect_ex(("127.0.0.1", 9)) == 0:
            pytest.fail("something listens on 127.0.0.1:9, which this snapshot needs closed",
                        pytrace=False)

    async def failed(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: pilot.app.screen.query("#error"), 10, "the error")

    app = app_at("tor_connect", WizardState(tor_mode="socks5://127.0.0.1:9"))
    assert snap_compare(app, terminal_size=SIZE, run_before=on(TorConnectScreen, failed))


def test_server(snap_compare: SnapCompare) -> None:
    assert snap_compare(app_at("server", WizardState()), terminal_size=SIZE,
                        run_before=on(ServerScreen))


def test_server_with_a_problem(snap_compare: SnapCompare) -> None:
    async def typed(pilot: Pilot[Any]) -> None:
        await type_text(pilot, "alice@example.org")

    assert snap_compare(app_at("server", WizardState()), terminal_size=SIZE,
                        run_before=on(ServerScreen, typed))


def test_server_list_with_details(snap_compare: SnapCompare) -> None:
    """The list focused (its keys in the footer), a bundled server's facts and links."""
    async def to_openim(pilot: Pilot[Any]) -> None:
        await pilot.press("tab", "i", "s", "s")  # every sign-up kind, sorted by country
        screen = pilot.app.screen
        assert isinstance(screen, ServerScreen)
        table = screen.query_one("#providers", DataTable)
        domains = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        table.move_cursor(row=domains.index("openim.nl"), animate=False)

    app = test_app(WizardState(), start="server", providers=bundled(), size=SIZE)
    assert snap_compare(app, terminal_size=SIZE, run_before=on(ServerScreen, to_openim))


def test_server_link_qr(snap_compare: SnapCompare) -> None:
    async def qr(pilot: Pilot[Any]) -> None:
        await pilot.press("tab", "q")
        await wait_for_screen(pilot, LinkQRScreen)

    app = test_app(WizardState(), start="server", providers=[YAX], size=SIZE)
    assert snap_compare(app, terminal_size=SIZE, run_before=on(ServerScreen, qr))


def test_server_filters_dialog(snap_compare: SnapCompare) -> None:
    """The filters dialog over the bundled list, Germany preferred."""
    async def filters(pilot: Pilot[Any]) -> None:
        await pilot.press("tab", "f")
        dialog = await wait_for_screen(pilot, FiltersScreen)
        dialog.query_one("#countries", DataTable).focus()
        await pilot.press("enter")

    app = test_app(WizardState(), start="server", providers=bundled(), size=SIZE)
    assert snap_compare(app, terminal_size=SIZE, run_before=on(ServerScreen, filters))


@pytest.mark.prosody
def test_server_checked_all(snap_compare: SnapCompare, own_prosody: Any) -> None:
    """Every listed server checked on a real Prosody: what each one allows right now."""
    async def checked(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, ServerScreen)
        await pilot.press("tab", "C")
        await wait_until(pilot, lambda: screen.check_note is not None, NETWORK_WAIT,
                         "every check")
        # A typed server not in the list, so that no connect time (it varies) is shown.
        screen.query_one("#domain", Input).value = "typed.example"

    state = WizardState(host=own_prosody.host, port=own_prosody.starttls_port,
                        ca_file=own_prosody.ca_file)
    app = test_app(state, start="server", providers=LIVE, size=SIZE)
    assert snap_compare(app, terminal_size=SIZE, run_before=on(ServerScreen, checked))


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


def test_connecting(snap_compare: SnapCompare, silent_server: Relay) -> None:
    state = ready_state()
    state.host, state.port = "127.0.0.1", silent_server.port
    assert snap_compare(app_at("connect", state), terminal_size=SIZE,
                        run_before=on(ConnectingScreen))


def test_connecting_closed_with_web_page(snap_compare: SnapCompare) -> None:
    # A fixed error keeps the picture the same in every run; test_connecting.py shows the
    # same screen for the real web.test host of the test Prosody.
    error = RegistrationClosedError("example.org", "https://example.org/register")
    app = app_at("connect", service=FakeRegistration(fetch_error=error))
    assert snap_compare(app, terminal_size=SIZE, run_before=on(ConnectingScreen, error_shown))


def form_state(form: Any) -> WizardState:
    """At the form step with a canned form: a real server's CAPTCHA picture is random."""
    state = ready_state()
    state.form = form
    return state


def test_form_captcha(snap_compare: SnapCompare) -> None:
    app = app_at("form", form_state(captcha_form()))
    assert snap_compare(app, terminal_size=SIZE, run_before=on(FormScreen))


def test_form_captcha_wrong(snap_compare: SnapCompare) -> None:
    app = app_at("form", form_state(captcha_form()))
    app.notice = NotAcceptableError("CAPTCHA answer was wrong", "captcha")
    assert snap_compare(app, terminal_size=SIZE, run_before=on(FormScreen))


def test_form_every_field(snap_compare: SnapCompare) -> None:
    app = app_at("form", form_state(every_field_form()))
    assert snap_compare(app, terminal_size=SIZE, run_before=on(FormScreen))


@pytest.mark.prosody
def test_creating(snap_compare: SnapCompare, own_prosody: Any, relay: MakeRelay) -> None:
    """fields.test's form is filled in, then the server stops answering: the request is on
    its way."""
    gate = relay(own_prosody.starttls_port)

    async def sending(pilot: Pilot[Any]) -> None:
        screen = await wait_for_screen(pilot, FormScreen, NETWORK_WAIT)
        for field, widget in screen._widgets:
            assert isinstance(widget, Input)
            widget.value = "alice@mail.example" if field.var == "email" else "to chat"
        gate.pause()
        screen.query_one("#submit").focus()
        await pilot.press("enter")
        await wait_for_screen(pilot, CreatingScreen)
        await wait_until(pilot, lambda: gate.held > 0, NETWORK_WAIT, "the submit")

    app = app_at("connect", live_state(own_prosody, "fields.test", "alice", port=gate.port))
    assert snap_compare(app, terminal_size=SIZE, run_before=sending)


@pytest.mark.prosody
def test_creating_done(snap_compare: SnapCompare, own_prosody: Any, fixed_home: Path) -> None:
    async def checked(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: pilot.app.screen.query_one("#continue").display,
                         NETWORK_WAIT, "the login check")

    app = app_at("connect", live_state(own_prosody, "open.test", "alice"))
    assert snap_compare(app, terminal_size=SIZE,
                        run_before=on(CreatingScreen, checked, NETWORK_WAIT))


@pytest.mark.prosody
def test_creating_login_check_failed(snap_compare: SnapCompare, own_prosody: Any,
                                     relay: MakeRelay, fixed_home: Path) -> None:
    gate = relay(own_prosody.starttls_port)
    gate.hold_from(2)

    async def refused(pilot: Pilot[Any]) -> None:
        await first_login_refused(pilot, own_prosody, gate, "open.test", "alice")

    app = app_at("connect", live_state(own_prosody, "open.test", "alice", port=gate.port))
    assert snap_compare(app, terminal_size=SIZE,
                        run_before=on(CreatingScreen, refused, NETWORK_WAIT))


def test_done(snap_compare: SnapCompare) -> None:
    state = ready_state()
    state.jid = "alice@example.org"
    state.credentials_file = FIXED_CREDENTIALS
    state.login_verified = True
    assert snap_compare(app_at("done", state), terminal_size=SIZE, run_before=on(DoneScreen))


# --- the encryption step, with fixed devices (a real device's keys are random) -----------------


def account_state() -> WizardState:
    state = ready_state()
    state.jid = OWN_JID
    state.login_verified = True
    return state


def test_devices(snap_compare: SnapCompare) -> None:
    """Two devices of the account: one confirmed before (ticked), one new."""
    first = OWN_DEVICES[0]
    verified.mark_verified(OWN_JID, OWN_JID, first.device_id, first.fingerprint)

    async def listed(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, DevicesScreen)
        await wait_until(pilot, lambda: bool(screen.cards), 5, "the devices")

    app = app_at("devices", account_state(), devices=FixedDevices())
    assert snap_compare(app, terminal_size=SIZE, run_before=on(DevicesScreen, listed))


def qr_app(confirmed: int, size: tuple[int, int]) -> OnboardApp:
    state = account_state()
    state.own_devices = DeviceReport(OWN_JID, OWN_JID, OWN_DEVICES)
    for device in OWN_DEVICES[:confirmed]:
        verified.mark_verified(OWN_JID, OWN_JID, device.device_id, device.fingerprint)
    return test_app(state, start="qr", size=size, devices=FixedDevices())


def test_qr_view(snap_compare: SnapCompare) -> None:
    """One confirmed device: the code beside its text at 80x24."""
    assert snap_compare(qr_app(1, SIZE), terminal_size=SIZE, run_before=on(QRViewScreen))


def test_qr_view_two_devices_wide(snap_compare: SnapCompare) -> None:
    """Two confirmed devices at 100x30: a bigger code, still whole."""
    size = (100, 30)
    assert snap_compare(qr_app(2, size), terminal_size=size, run_before=on(QRViewScreen))


def test_qr_view_too_small(snap_compare: SnapCompare) -> None:
    """Two devices do not fit 80x24: the size the window needs, and the link, no broken code."""
    assert snap_compare(qr_app(2, SIZE), terminal_size=SIZE, run_before=on(QRViewScreen))


def test_friend_with_a_different_device(snap_compare: SnapCompare) -> None:
    """A friend's link that names one device right and another with a different key."""
    right, wrong = FRIEND_DEVICES
    link = build_link(FRIEND_JID, {right.device_id: right.fingerprint,
                                   wrong.device_id: "0" * 64})

    async def compared(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, FriendScreen)
        screen.query_one("#friend", Input).insert_text_at_cursor(link)  # as pasted
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(screen.cards), 5, "the devices")

    app = app_at("friend", account_state(), devices=FixedDevices())
    assert snap_compare(app, terminal_size=SIZE, run_before=on(FriendScreen, compared))


def test_hello_sent(snap_compare: SnapCompare) -> None:
    """The test message went out, encrypted; one of the friend's devices could not get it."""

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
