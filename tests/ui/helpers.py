"""Small helpers for Pilot tests: wait for a screen with a bounded loop, read texts, and point
the wizard at a real server."""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable
from typing import Any, TypeVar

from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static

from onboard.core.flow import WizardState
from onboard.ui.app import OnboardApp, make_app
from tests.ui.relay import Relay

S = TypeVar("S", bound=Screen[Any])

SIZE = (80, 24)
PASSWORD = "abcd-efgh-jkmn-pqrs-tuvw"  # as if generated on the account step
NETWORK_WAIT = 40.0  # the core's own timeouts are 30 s; a healthy local server takes < 1 s


def test_app(state: WizardState | None = None, **kwargs: Any) -> OnboardApp:
    kwargs.setdefault("cursor_blink", False)
    kwargs.setdefault("animations", False)
    return make_app(state, **kwargs)


test_app.__test__ = False  # type: ignore[attr-defined]


async def wait_for_screen(pilot: Pilot[Any], kind: type[S], timeout: float = 10.0) -> S:
    """Pause until the active screen is a `kind` (and mounted), at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = pilot.app.screen
        if isinstance(screen, kind) and screen.is_mounted:
            await pilot.pause()
            return screen
        await pilot.pause(0.02)
    raise AssertionError(f"expected {kind.__name__}, still on {type(pilot.app.screen).__name__}")


async def wait_until(pilot: Pilot[Any], condition: Any, timeout: float = 10.0,
                     what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            await pilot.pause()
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def text_of(app: App[Any], selector: str) -> str:
    widget = app.screen.query_one(selector, Static)
    return str(widget.render())


def screen_text(app: App[Any]) -> str:
    """Every Static's text on the active screen, joined: enough to look for a message."""
    return "\n".join(str(w.render()) for w in app.screen.query(Static) if w.display)


async def type_text(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*["space" if ch == " " else ch for ch in text])


def fresh(prefix: str) -> str:
    """A name nobody has taken yet: names stay taken on the shared Prosody for the session."""
    return f"{prefix}{secrets.token_hex(3)}"


def live_state(server: Any, domain: str, username: str = "", *,
               port: int | None = None) -> WizardState:
    """What the steps before "connect" leave behind, for `domain` on a real Prosody (`server`).

    `port` replaces the server's STARTTLS port, e.g. with a relay's in front of it.
    """
    return WizardState(domain=domain, host=server.host, port=port or server.starttls_port,
                       ca_file=server.ca_file, username=username, password=PASSWORD,
                       password_generated=True)


def error_shown(pilot: Pilot[Any], timeout: float = NETWORK_WAIT) -> Any:
    """Wait until the active screen shows its error panel."""
    return wait_until(pilot, lambda: bool(pilot.app.screen.query("#error")), timeout,
                      "the error")


async def register_directly(server: Any, domain: str, username: str,
                            password: str = PASSWORD) -> None:
    """Create an account on a real Prosody with the core's own session, without the UI."""
    from onboard.core.network import DirectNetwork
    from onboard.core.xmpp.address import ServerAddress
    from onboard.core.xmpp.registration import RegistrationSession

    address = ServerAddress(domain, server.host, server.starttls_port, False, server.ca_file)
    session = RegistrationSession(address, DirectNetwork())
    try:
        await session.open()
        await session.submit({"username": [username], "password": [password]})
    finally:
        await session.close()


async def use_up_registrations(server: Any, domain: str) -> None:
    """After this, `domain` (ratelimit.test) refuses registrations from 127.0.0.1 for an hour."""
    from onboard.core.errors import RateLimitedError

    with contextlib.suppress(RateLimitedError):  # another test used it up already
        await register_directly(server, domain, fresh("first"))


async def first_login_refused(pilot: Pilot[Any], server: Any, gate: Relay, domain: str,
                              username: str) -> Callable[[], None]:
    """The account is created; its login check waits at `gate` (hold_from(2)) while the
    account's file is moved away on the server, which then refuses the login for real.

    Returns what puts the file back, so that the next check works.
    """
    await wait_until(pilot, lambda: gate.connections == 2, NETWORK_WAIT, "the login check")
    account = server.account_file(domain, username)
    assert account.is_file()
    away = account.with_name(account.name + ".away")
    account.rename(away)
    gate.resume()
    await error_shown(pilot)
    return lambda: away.rename(account)


async def through_threat_step(pilot: Pilot[Any]) -> None:
    """Take the threat step as it comes: nothing ticked (its defaults), then its summary."""
    from onboard.ui.screens.threat import ThreatScreen
    from onboard.ui.screens.threat_summary import ThreatSummaryScreen

    await wait_for_screen(pilot, ThreatScreen)
    await pilot.press("shift+tab", "enter")  # from the first question to Continue
    await wait_for_screen(pilot, ThreatSummaryScreen)
    await pilot.press("enter")


async def through_connection_step(pilot: Pilot[Any]) -> None:
    """Take the threat step and the connection step as they come (directly, unless the state
    says otherwise)."""
    from onboard.ui.screens.tor import TorScreen

    await through_threat_step(pilot)
    await wait_for_screen(pilot, TorScreen)
    await pilot.press("enter")


def account_state(server: Any, jid: str, password: str, *, mode: str = "create") -> WizardState:
    """What logging in as `jid` on a real Prosody (`server`) leaves behind: after creating the
    account (the Done screen), or on the existing-account path."""
    username, _at, domain = jid.partition("@")
    return WizardState(mode=mode, domain=domain, username=username, host=server.host,
                       port=server.starttls_port, ca_file=server.ca_file, password=password,
                       jid=jid, login_verified=True)


def scan_drawing(drawing: Any, path: Any) -> str:
    """What a real QR decoder (zbarimg) reads from a half-block drawing (a QRCode widget's
    render()): each cell's top and bottom colour become two pixel rows, as a phone sees them.
    Skipped when zbarimg is not installed (failed under CI)."""
    import os
    import shutil
    import subprocess

    import pytest
    from PIL import Image

    if shutil.which("zbarimg") is None:
        reason = "zbarimg is not installed (apt-get install zbar-tools)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    pixels: list[list[int]] = []
    for line in drawing.split("\n"):
        top: list[int] = []
        bottom: list[int] = []
        for span in line.spans:
            for _char in line.plain[span.start:span.end]:
                top.append(span.style.color.get_truecolor().red)
                bottom.append(span.style.bgcolor.get_truecolor().red)
        pixels += [top, bottom]
    scale = 8
    image = Image.new("L", (len(pixels[0]) * scale, len(pixels) * scale), 255)
    for y, row in enumerate(pixels):
        for x, level in enumerate(row):
            image.paste(level, (x * scale, y * scale, (x + 1) * scale, (y + 1) * scale))
    image.save(path)
    result = subprocess.run(["zbarimg", "--quiet", "--raw", str(path)], capture_output=True,
                            text=True, timeout=30, check=False)
    return result.stdout.strip()
