"""The connection step: choosing Tor, a launched tor's bootstrap, bridges, errors; then a real
registration over Tor. Every tor here is real: the private Tor network's client, a tor the app
launches onto that network (directly or through its obfs4 bridge), or one that stalls."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from textual.widgets import Button, Input, ProgressBar, TextArea

from onboard.core.flow import WizardState
from onboard.core.providers import Provider
from onboard.core.tor.network import TorNetwork
from onboard.ui.app import TorOptions
from onboard.ui.screens.account import AccountScreen
from onboard.ui.screens.done import DoneScreen
from onboard.ui.screens.server import ServerScreen
from onboard.ui.screens.threat import ThreatScreen
from onboard.ui.screens.tor import TorScreen
from onboard.ui.screens.tor_connect import TorConnectScreen
from onboard.ui.screens.welcome import WelcomeScreen
from onboard.ui.widgets.choice_set import ChoiceSet
from tests.servers.audit import SocketAudit, audit
from tests.ui.helpers import (
    SIZE,
    screen_text,
    test_app,
    text_of,
    type_text,
    wait_for_screen,
    wait_until,
)

__all__ = ["audit"]  # a fixture, the one recorder of the run (tests/servers/audit.py)

pytestmark = [pytest.mark.timeout(300)]
TOR_WAIT = 120.0


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def step_text(app: Any) -> str:
    return str(app.screen.query_one("#step").render())


async def choose(pilot: Any, choice: str) -> TorScreen:
    """On the connection step, move the highlight to `choice` and select it."""
    screen = await wait_for_screen(pilot, TorScreen)
    choices = screen.query_one("#tor-choice", ChoiceSet)
    names = [button.name for button in choices.query("RadioButton")]
    choices.focus()
    current = choices._selected or 0
    target = names.index(choice)
    key = "down" if target > current else "up"
    for _ in range(abs(target - current)):
        await pilot.press(key)
    await pilot.press("space")
    assert screen.chosen() == choice
    return screen


async def test_directly_is_the_default_and_tor_off_is_shown() -> None:
    app = test_app(start="tor", providers=[])
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, TorScreen)
        assert "Step 3 of 7: Connection" in step_text(app)
        assert "Tor: off" in step_text(app)
        assert screen.chosen() == "off"
        assert "sends nothing without it" in screen_text(app)
        await pilot.press("enter")  # Enter on the chosen option goes on
        await wait_for_screen(pilot, ServerScreen)
        assert "Tor: off" in step_text(app)
        assert app.state.network.name == "direct"
        await pilot.press("escape")
        await wait_for_screen(pilot, TorScreen)
        await pilot.press("escape")  # the threat step's questions (not answered yet)
        await wait_for_screen(pilot, ThreatScreen)
        await pilot.press("escape")
        await wait_for_screen(pilot, WelcomeScreen)


async def test_a_socks_address_is_checked_before_use() -> None:
    app = test_app(start="tor", providers=[])
    async with app.run_test(size=SIZE) as pilot:
        screen = await choose(pilot, "socks")
        await pilot.press("enter")  # leads to the address field
        assert isinstance(app.focused, Input) and app.focused.id == "socks"
        await type_text(pilot, "tor.example:9050")
        await pilot.press("enter")
        assert "not a name" in text_of(app, "#tor-problem")
        assert app.screen is screen


async def test_a_tor_that_is_not_there_is_an_error_and_nothing_else() -> None:
    port = closed_port()
    state = WizardState(tor_mode=f"socks5://127.0.0.1:{port}")
    app = test_app(state, start="tor", providers=[])
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, TorScreen)
        assert screen.chosen() == "socks"
        assert screen.query_one("#socks", Input).value == f"127.0.0.1:{port}"
        screen.query_one("#continue", Button).press()
        await wait_for_screen(pilot, TorConnectScreen)
        await wait_until(pilot, lambda: "not reachable" in screen_text(app), 10, "the error")
        assert "Nothing was sent without it" in screen_text(app)
        # No route was set up: still closed (Tor asked for), never direct.
        assert app.state.network.name == "closed" and not app.state.tor_on
        await pilot.press("escape")
        await wait_for_screen(pilot, TorScreen)


async def test_bad_bridge_lines_are_explained() -> None:
    app = test_app(start="tor", providers=[])
    async with app.run_test(size=SIZE) as pilot:
        screen = await choose(pilot, "bridges")
        await pilot.press("enter")
        assert isinstance(app.focused, TextArea)
        app.focused.text = "obfs4 192.0.2.1 0123456789ABCDEF0123456789ABCDEF01234567 cert=x " \
                           "iat-mode=0"
        screen.query_one("#continue", Button).press()
        await pilot.pause()
        problem = text_of(app, "#tor-problem")
        assert "Bridge line 1" in problem and "port" in problem
        assert app.screen is screen


async def test_a_running_tor_is_found_and_used(tor_network: Any, prosody: Any) -> None:
    from onboard.core.tor.control import TorSource

    system = TorSource(kind="system", socks=("127.0.0.1", tor_network.socks_port),
                       control=None)
    browser = TorSource(kind="browser", socks=("127.0.0.1", closed_port()), control=None)
    app = test_app(start="tor", providers=[],
                   tor_options=TorOptions(candidates=[system, browser]))
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, TorScreen)
        await wait_until(pilot, lambda: bool(screen.found), 10, "the search for tor")
        labels = screen_text(app)
        assert "running on this computer (found)" in labels
        assert "Tor Browser (keep it open) (not found)" in labels
        await choose(pilot, "system")
        await pilot.press("enter")
        await wait_for_screen(pilot, ServerScreen, TOR_WAIT)
        assert "Tor: on" in step_text(app)
        assert app.state.tor_on
        assert app.state.tor_mode == "system"


async def test_a_launched_tor_shows_its_bootstrap_and_registers(
        tor_network: Any, prosody: Any, audit: SocketAudit,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's own tor joins the private network (0 → 100 %), then an account is made
    over the onion address, all from the keyboard: every connection of the registration and
    its first login goes to tor's SOCKS port, no name is looked up here, and both take the
    new account's own circuit (SOCKS credentials no other step uses)."""
    routed: list[tuple[str | None, str]] = []
    open_socket = TorNetwork.open_socket

    async def recording_open_socket(self: TorNetwork, host: str, port: int,
                                    timeout: float) -> socket.socket:
        routed.append((self._isolation, host))
        return await open_socket(self, host, port, timeout)

    monkeypatch.setattr(TorNetwork, "open_socket", recording_open_socket)
    tor_network.wait_for_onion()
    # No address given by hand: the onion comes from the server list, as for a real provider.
    listed = Provider("open.test", "A", True, captcha=False, email_required=False,
                      onion=(tor_network.onion_address,))
    state = WizardState(ca_file=prosody.ca_file)
    app = test_app(state, start="tor", providers=[listed],
                   tor_options=TorOptions(extra_config=tor_network.client_options()))
    seen: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        await choose(pilot, "launch")
        await pilot.press("enter")
        connect = await wait_for_screen(pilot, TorConnectScreen)
        bar = connect.query_one("#tor-bar", ProgressBar)

        def progressed() -> bool:
            if bar.is_mounted and (not seen or bar.progress != seen[-1]):
                seen.append(bar.progress)
            return isinstance(app.screen, ServerScreen)

        await wait_until(pilot, progressed, TOR_WAIT, "tor's bootstrap")
        if not seen or bar.progress != seen[-1]:  # shown just before the screen left
            seen.append(bar.progress)
        # Real phases on the way, not just the start and the end: more than two values,
        # never going back, ending at 100 %.
        assert seen == sorted(seen), seen
        assert len(set(seen)) > 2 and seen[-1] == 100, seen
        assert "Tor: on" in step_text(app)
        await type_text(pilot, "open.test")
        await pilot.press("enter")
        account = await wait_for_screen(pilot, AccountScreen)
        await type_text(pilot, "overtor")
        await pilot.press("enter", "ctrl+g")
        assert app.focused is account.query_one("#continue", Button)
        shared = app.state.network
        assert isinstance(shared, TorNetwork)
        routed.clear()
        with audit.watch():
            await pilot.press("enter")
            await wait_until(pilot, lambda: app.state.login_verified, TOR_WAIT,
                             "the account")
        audit.only_to(shared.socks)
        # The form's connection and the login: both to the onion, both on one circuit of
        # their own.
        assert [host for _token, host in routed] == [tor_network.onion_address] * 2, routed
        tokens = {token for token, _host in routed}
        assert len(tokens) == 1 and None not in tokens
        assert shared._isolation not in tokens
        assert (f"Connected over Tor to the onion address {tor_network.onion_address}:5222."
                in screen_text(app))
        await pilot.press("enter")
        await wait_for_screen(pilot, DoneScreen)
        assert "Tor: on" in step_text(app)
    assert prosody.user_exists("open.test", "overtor")


async def test_a_launched_tor_through_a_bridge(tor_network: Any) -> None:
    app = test_app(start="tor", providers=[],
                   tor_options=TorOptions(extra_config=tor_network.client_options()))
    async with app.run_test(size=SIZE) as pilot:
        await choose(pilot, "bridges")
        await pilot.press("enter")
        assert isinstance(app.focused, TextArea)
        app.focused.text = tor_network.obfs4_bridge_line
        app.screen.query_one("#continue", Button).press()
        await wait_for_screen(pilot, TorConnectScreen)
        await wait_for_screen(pilot, ServerScreen, TOR_WAIT)
        assert app.state.tor_bridges == [tor_network.obfs4_bridge_line]
        assert app.tor_route is not None and app.tor_route.launched is not None


async def test_a_bridge_that_does_not_answer_says_to_try_other_bridges(tor_network: Any
                                                                       ) -> None:
    """The private network's obfs4 bridge line with a port nobody listens on: tor waits at
    the bridge, and the screen's early warning speaks of other bridge lines, not of choosing
    bridges (they are already chosen). Real tor and obfs4proxy."""
    address = tor_network.obfs4_bridge_line.split()[1]
    dead_line = tor_network.obfs4_bridge_line.replace(address, f"127.0.0.1:{closed_port()}")
    app = test_app(start="tor", providers=[],
                   tor_options=TorOptions(extra_config=tor_network.client_options(),
                                          slow_after=1.0))
    async with app.run_test(size=SIZE) as pilot:
        await choose(pilot, "bridges")
        await pilot.press("enter")
        assert isinstance(app.focused, TextArea)
        app.focused.text = dead_line
        app.screen.query_one("#continue", Button).press()
        screen = await wait_for_screen(pilot, TorConnectScreen)
        await wait_until(pilot, lambda: "This is taking long" in screen_text(app), 60,
                         "the early warning")
        text = screen_text(app)
        assert "paste other bridge lines" in text and "choose bridges" not in text
        assert screen.last_status is not None and screen.last_status.progress < 100
        assert app.state.network.name == "closed"
        await pilot.press("escape")
        await wait_for_screen(pilot, TorScreen)


async def test_a_stalled_bootstrap_says_what_to_try(tmp_path: Any) -> None:
    """Authorities that are not there: tor gets nowhere, the screen says so and offers a way
    back. Real tor, real stall."""
    dead = [f"DirAuthority dead{n} orport={closed_port()} no-v2 "
            f"v3ident={'A' * 40} 127.0.0.1:{closed_port()} {'B' * 40}" for n in range(3)]
    options = {"TestingTorNetwork": "1",
               "DirAuthority": [line.removeprefix("DirAuthority ") for line in dead]}
    app = test_app(start="tor", providers=[],
                   tor_options=TorOptions(extra_config=options, stall_after=8.0,
                                          slow_after=1.0))
    async with app.run_test(size=SIZE) as pilot:
        await choose(pilot, "launch")
        await pilot.press("enter")
        await wait_for_screen(pilot, TorConnectScreen)
        # While it still waits: what is likely wrong, before the attempt ends.
        await wait_until(pilot, lambda: "This is taking long" in screen_text(app), 60,
                         "the early warning")
        assert "choose bridges" in screen_text(app)
        assert "stopped making progress" not in screen_text(app)
        await wait_until(pilot, lambda: "stopped making progress" in screen_text(app), 60,
                         "the stall")
        text = screen_text(app)
        assert "clock" in text and "bridges" in text
        assert app.state.network.name == "closed" and app.tor_route is None
        await pilot.press("escape")
        await wait_for_screen(pilot, TorScreen)


def tor_children() -> set[int]:
    """The tor processes this test process started (stem starts them as its children)."""
    import os
    from pathlib import Path

    found = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            name = stat[stat.index("(") + 1:stat.rindex(")")]
            state, parent_text = stat[stat.rindex(")") + 2:].split()[:2]
            parent = int(parent_text)
        except (OSError, ValueError):
            continue
        # A zombie has ended already; it only waits for its parent to read its status.
        if name == "tor" and parent == os.getpid() and state != "Z":
            found.add(int(proc.name))
    return found


async def test_escape_stops_a_starting_tor() -> None:
    """Esc while a launched tor is still connecting: back to the choice, and the tor is gone."""
    dead = [f"dead{n} orport={closed_port()} no-v2 v3ident={'A' * 40} "
            f"127.0.0.1:{closed_port()} {'B' * 40}" for n in range(3)]
    options = {"TestingTorNetwork": "1", "DirAuthority": dead}
    app = test_app(start="tor", providers=[],
                   tor_options=TorOptions(extra_config=options, stall_after=60.0))
    # Other tors of this run (the private Tor network) are children of this process too.
    others = tor_children()

    def ours() -> set[int]:
        return tor_children() - others

    async with app.run_test(size=SIZE) as pilot:
        await choose(pilot, "launch")
        await pilot.press("enter")
        screen = await wait_for_screen(pilot, TorConnectScreen)
        await wait_until(pilot, lambda: screen.last_status is not None and bool(ours()), 30,
                         "tor to start")
        await pilot.press("escape")
        await wait_for_screen(pilot, TorScreen)
        # tor is asked to halt, then killed if it does not (on a busy machine this takes a
        # few seconds).
        await wait_until(pilot, lambda: not ours(), 30, "tor to end")
        assert app.tor_route is None and app.state.network.name == "closed"
