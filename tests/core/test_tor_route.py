"""A found tor (system tor, Tor Browser) through `open_route`: its control port is used to read
the bootstrap, and to wait for it, against real tor processes (no mocks).

"Offline" tors here answer on SOCKS and on a control port but never get far: their directory
authorities are closed loopback ports, so they stop at a few percent (nothing leaves the
machine). A tor with `DisableNetwork 1` opens no SOCKS port, so it could not be "found"; the
offline tor is the unbootstrapped running tor here. The bootstrapped one is the private Tor
network's client (tests/servers/tornet.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from onboard.core.errors import TorBootstrapError, TorControlError
from onboard.core.tor.control import TorSource
from onboard.core.tor.launch import BootstrapStatus
from onboard.core.tor.route import PASSWORD_ENV, TorMode, TorRoute, open_route
from tests.core.test_tor_control import RunningTor, hashed_password
from tests.servers.local import closed_port
from tests.servers.offline_tor import no_password_in_env, offline_tor

__all__ = ["no_password_in_env", "offline_tor"]  # fixtures (tests/servers/offline_tor.py)
pytestmark = [pytest.mark.timeout(180)]


def system(tor: RunningTor) -> TorSource:
    """`tor` as the system tor candidate (its SOCKS and control ports)."""
    assert tor.socks_port is not None
    return TorSource(kind="system", socks=("127.0.0.1", tor.socks_port), control=tor.control)


class Statuses:
    """Collects what open_route reports (from its worker thread)."""

    def __init__(self) -> None:
        self.seen: list[BootstrapStatus] = []

    def __call__(self, status: BootstrapStatus) -> None:
        self.seen.append(status)


SYSTEM = TorMode("system")


# --- a tor that has not finished connecting is not used ---------------------------------


async def test_an_unbootstrapped_tor_is_waited_for_then_given_up_on_when_it_stalls(
        offline_tor: Callable[..., RunningTor]) -> None:
    tor = offline_tor(CookieAuthentication="1")
    statuses = Statuses()
    started = time.monotonic()
    with pytest.raises(TorBootstrapError) as caught:
        await open_route(SYSTEM, candidates=[system(tor)], on_status=statuses, stall_after=3)
    took = time.monotonic() - started
    assert caught.value.reason == "stalled"
    assert caught.value.progress < 100
    assert "stopped making progress" in caught.value.message
    # Its progress was read and reported while waiting: below 100, in plain words.
    assert statuses.seen, "no bootstrap status while waiting"
    assert all(status.progress < 100 for status in statuses.seen)
    assert all(status.text for status in statuses.seen)
    assert 3 <= took < 20
    # A tor this program did not start is left running (no ownership taken, even though it
    # names this process as its owner, as the test tors do).
    await asyncio.sleep(0.5)
    assert tor.process.poll() is None


async def test_an_unbootstrapped_tor_times_out_at_give_up_after(
        offline_tor: Callable[..., RunningTor]) -> None:
    tor = offline_tor(CookieAuthentication="1")
    started = time.monotonic()
    with pytest.raises(TorBootstrapError) as caught:
        await open_route(SYSTEM, candidates=[system(tor)], stall_after=60, give_up_after=2)
    assert caught.value.reason == "timeout"
    assert caught.value.progress < 100
    assert time.monotonic() - started < 15


def ended_how(task: asyncio.Task[TorRoute]) -> str:
    if task.exception() is not None:
        return repr(task.exception())
    route = task.result()
    return f"progress {route.progress}, control problem {route.control_problem!r}"


async def test_waiting_for_a_tor_can_be_cancelled(
        offline_tor: Callable[..., RunningTor]) -> None:
    tor = offline_tor(CookieAuthentication="1")
    statuses = Statuses()
    task = asyncio.create_task(open_route(SYSTEM, candidates=[system(tor)],
                                          on_status=statuses, stall_after=60))
    deadline = time.monotonic() + 20
    while not statuses.seen and not task.done() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert not task.done(), f"open_route ended instead of waiting: {ended_how(task)}"
    assert statuses.seen, "open_route did not start waiting"
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 2
    # The watcher thread notices within a poll and lets go of the control connection; the
    # tor itself keeps running.
    await asyncio.sleep(0.5)
    assert tor.process.poll() is None


async def test_a_tor_that_ends_while_waited_for_is_exited(
        offline_tor: Callable[..., RunningTor]) -> None:
    tor = offline_tor(CookieAuthentication="1")
    statuses = Statuses()
    task = asyncio.create_task(open_route(SYSTEM, candidates=[system(tor)],
                                          on_status=statuses, stall_after=60))
    deadline = time.monotonic() + 20
    while not statuses.seen and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    tor.stop()
    with pytest.raises(TorBootstrapError) as caught:
        await asyncio.wait_for(task, 15)
    assert caught.value.reason == "exited"


# --- control ports that cannot be used: SOCKS only, and said so ---------------------------


async def test_a_control_port_that_wants_a_password_falls_back_to_socks_with_a_note(
        offline_tor: Callable[..., RunningTor]) -> None:
    tor = offline_tor(HashedControlPassword=hashed_password("correct horse"))
    statuses = Statuses()
    route = await open_route(SYSTEM, candidates=[system(tor)], on_status=statuses,
                             stall_after=3)
    try:
        assert route.source == system(tor)
        assert route.progress is None
        assert route.control_problem is not None
        assert route.control_problem.reason == "password-needed"
        assert route.notes == ["Could not read Tor's progress (it asks for a control "
                               "password); using its SOCKS port."]
        assert statuses.seen == []  # nothing was read, so nothing is reported
        assert route.network.socks == ("127.0.0.1", tor.socks_port)
    finally:
        route.close()
    assert tor.process.poll() is None


async def test_the_right_password_reads_the_progress(
        offline_tor: Callable[..., RunningTor]) -> None:
    """The password opens the control port: tor's progress is read, and since it is below
    100% it is waited for (and given up on here, as this tor cannot connect)."""
    tor = offline_tor(HashedControlPassword=hashed_password("correct horse"))
    statuses = Statuses()
    with pytest.raises(TorBootstrapError) as caught:
        await open_route(SYSTEM, candidates=[system(tor)], on_status=statuses,
                         stall_after=3, control_password="correct horse")
    assert caught.value.reason == "stalled"
    assert statuses.seen and all(status.progress < 100 for status in statuses.seen)


async def test_a_wrong_password_stops_the_route(offline_tor: Callable[..., RunningTor],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    tor = offline_tor(HashedControlPassword=hashed_password("correct horse"))
    with pytest.raises(TorControlError) as caught:
        await open_route(SYSTEM, candidates=[system(tor)], control_password="battery staple")
    assert caught.value.reason == "password-wrong"
    # The same with the password in the environment.
    monkeypatch.setenv(PASSWORD_ENV, "battery staple")
    with pytest.raises(TorControlError) as caught:
        await open_route(SYSTEM, candidates=[system(tor)])
    assert caught.value.reason == "password-wrong"
    assert "did not accept" in caught.value.message


async def test_the_password_in_the_environment_is_used(
        offline_tor: Callable[..., RunningTor], monkeypatch: pytest.MonkeyPatch) -> None:
    tor = offline_tor(HashedControlPassword=hashed_password("correct horse"))
    monkeypatch.setenv(PASSWORD_ENV, "correct horse")
    with pytest.raises(TorBootstrapError) as caught:
        await open_route(SYSTEM, candidates=[system(tor)], stall_after=2)
    assert caught.value.reason == "stalled"


async def test_a_control_port_that_does_not_answer_falls_back_to_socks_with_a_note(
        offline_tor: Callable[..., RunningTor]) -> None:
    tor = offline_tor(CookieAuthentication="1")
    assert tor.socks_port is not None
    port = closed_port()
    source = TorSource(kind="browser", socks=("127.0.0.1", tor.socks_port),
                       control=("127.0.0.1", port))
    route = await open_route(TorMode("browser"), candidates=[source])
    assert route.progress is None
    assert route.control_problem is not None
    assert route.control_problem.reason == "unreachable"
    assert route.notes == [f"Could not read Tor's progress (its control port 127.0.0.1:{port} "
                           "could not be used); using its SOCKS port."]


async def test_a_tor_without_a_known_control_port_has_no_note(
        offline_tor: Callable[..., RunningTor]) -> None:
    tor = offline_tor(CookieAuthentication="1")
    route = await open_route(TorMode("socks", ("127.0.0.1", tor.socks_port or 0)))
    assert route.source.control is None
    assert route.progress is None and route.control_problem is None and route.notes == []


# --- a connected tor ---------------------------------------------------------------------


async def test_a_bootstrapped_tor_is_used_at_once(tor_network: Any) -> None:
    source = TorSource(kind="system", socks=("127.0.0.1", tor_network.socks_port),
                       control=("127.0.0.1", tor_network.control_port))
    statuses = Statuses()
    started = time.monotonic()
    route = await open_route(SYSTEM, candidates=[source], on_status=statuses)
    try:
        assert route.progress == 100
        assert route.control_problem is None and route.notes == []
        assert statuses.seen == []  # nothing to wait for
        assert time.monotonic() - started < 10
        assert await route.alive()
    finally:
        route.close()
    # The shared client names this process as its owner: closing the control connection
    # must not have ended it.
    await asyncio.sleep(1)
    assert tor_network.running, tor_network.log_tail()
