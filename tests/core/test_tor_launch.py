"""A private tor started by the app: real tor processes, real bootstrap events (no mocks).

Offline cases use directory authorities on closed loopback ports (tor gets to 5% and no
further, with real "Connection refused" warnings); the happy paths use the private Tor network
of tests/servers/tornet.py (`tor_network`).
"""

from __future__ import annotations

import fcntl
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from onboard.core.errors import CancelledByUserError, TorBootstrapError
from onboard.core.tor.launch import (
    BootstrapStatus,
    LaunchedTor,
    TorClockSkewError,
    bootstrap_limits,
    phase_text,
    warning_text,
)
from onboard.core.tor.socks import is_socks5
from tests.servers.local import closed_port, tor_binary


def offline_config() -> dict[str, str | list[str]]:
    """A network that is not there: three authorities on closed loopback ports."""
    authorities = [f"dead{n} orport={closed_port()} no-v2 v3ident={'A' * 40} "
                   f"127.0.0.1:{closed_port()} {'B' * 40}" for n in range(3)]
    return {"TestingTorNetwork": "1", "DirAuthority": authorities}


class Statuses:
    """Collects the statuses bootstrap reports (from its thread)."""

    def __init__(self) -> None:
        self.seen: list[BootstrapStatus] = []
        self.progressed = threading.Event()

    def __call__(self, status: BootstrapStatus) -> None:
        self.seen.append(status)
        if status.progress > 0:
            self.progressed.set()

    @property
    def progress(self) -> list[int]:
        return [status.progress for status in self.seen]


def gone(launched: LaunchedTor) -> bool:
    return launched.process is not None and launched.process.poll() is not None


# --- offline: stall, cancel, stop ---------------------------------------------------------


def test_an_offline_tor_stalls_and_is_stopped(tmp_path: Path) -> None:
    tor_binary()
    statuses = Statuses()
    launched = LaunchedTor(extra_config=offline_config(), data_dir=tmp_path / "tor")
    started = time.monotonic()
    with pytest.raises(TorBootstrapError) as caught:
        launched.bootstrap(statuses, cancel=threading.Event(), stall_after=3.0)
    took = time.monotonic() - started
    error = caught.value
    assert error.reason == "stalled"
    assert 3.0 <= took < 15, took
    assert gone(launched)
    assert not launched.running
    # Real statuses: "starting" at once, then tor's own phases with the clock running.
    first = statuses.seen[0]
    assert (first.progress, first.tag, first.text) == (0, "starting", "Starting")
    assert max(statuses.progress) > 0
    assert error.progress == statuses.seen[-1].progress == max(statuses.progress)
    assert statuses.progress == sorted(statuses.progress)
    assert statuses.seen[-1].seconds_since_progress >= 1.5
    assert all(status.text and status.summary for status in statuses.seen)
    assert "Connection refused" in error.detail
    assert "stopped making progress" in error.message
    assert "clock" in error.hint and "bridges" in error.hint
    assert not error.bridges and not isinstance(error, TorClockSkewError)
    launched.stop()  # again: nothing happens
    assert error.to_json()["condition"] == "tor-bootstrap"


def test_cancel_stops_tor_quickly(tmp_path: Path) -> None:
    tor_binary()
    statuses = Statuses()
    cancel = threading.Event()
    launched = LaunchedTor(extra_config=offline_config(), data_dir=tmp_path / "tor")
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            launched.bootstrap(statuses, cancel=cancel, stall_after=60)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    assert statuses.progressed.wait(20), statuses.seen
    assert launched.running
    cancelled_at = time.monotonic()
    cancel.set()
    thread.join(10)
    took = time.monotonic() - cancelled_at
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], CancelledByUserError)
    assert took < 2, took
    assert gone(launched)


def test_cancel_before_start_launches_nothing(tmp_path: Path) -> None:
    tor_binary()
    cancel = threading.Event()
    cancel.set()
    launched = LaunchedTor(extra_config=offline_config(), data_dir=tmp_path / "tor")
    with pytest.raises(CancelledByUserError):
        launched.bootstrap(Statuses(), cancel=cancel)
    assert launched.process is None


def test_stop_from_another_thread_ends_bootstrap(tmp_path: Path) -> None:
    tor_binary()
    statuses = Statuses()
    outcome: list[BaseException] = []
    with LaunchedTor(extra_config=offline_config(), data_dir=tmp_path / "tor") as launched:

        def run() -> None:
            try:
                launched.bootstrap(statuses, cancel=threading.Event(), stall_after=60)
            except BaseException as exc:
                outcome.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        assert statuses.progressed.wait(20)
        launched.stop()
        assert gone(launched)
        thread.join(10)
    assert isinstance(outcome[0], CancelledByUserError)
    with pytest.raises(RuntimeError):
        launched.bootstrap(Statuses(), cancel=threading.Event())


def test_give_up_after_is_a_timeout(tmp_path: Path) -> None:
    tor_binary()
    launched = LaunchedTor(extra_config=offline_config(), data_dir=tmp_path / "tor")
    with pytest.raises(TorBootstrapError) as caught:
        launched.bootstrap(Statuses(), cancel=threading.Event(), stall_after=60,
                           give_up_after=2.0)
    assert caught.value.reason == "timeout"
    assert "did not finish connecting" in caught.value.message
    assert gone(launched)


def test_bridges_get_more_time_to_stand_still_and_to_finish() -> None:
    """About 120 s for a bootstrap, 150 s with bridges; through a bridge tor may also wait
    longer in one phase (a slow bridge, a snowflake looking for a proxy) before it is given
    up as stalled."""
    stall, give_up = bootstrap_limits(with_bridges=False)
    stall_bridged, give_up_bridged = bootstrap_limits(with_bridges=True)
    assert (give_up, give_up_bridged) == (120.0, 150.0)
    assert stall < stall_bridged < give_up_bridged
    assert stall < give_up


def test_a_data_folder_in_use_is_not_shared(tmp_path: Path) -> None:
    """Another copy of the program runs a tor in the same folder: tor would wait 5 s and exit
    ("another Tor process is running with the same data directory"); this one uses a fresh
    folder instead, and removes it afterwards."""
    tor_binary()
    data_dir = tmp_path / "tor"
    first_statuses = Statuses()
    cancel_first = threading.Event()
    first = LaunchedTor(extra_config=offline_config(), data_dir=data_dir)
    outcome: list[BaseException] = []

    def run_first() -> None:
        try:
            first.bootstrap(first_statuses, cancel=cancel_first, stall_after=60)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run_first)
    thread.start()
    try:
        assert first_statuses.progressed.wait(20)
        # tor holds its lock with flock.
        with open(data_dir / "lock", "a") as lock, pytest.raises(BlockingIOError):
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        second = LaunchedTor(extra_config=offline_config(), data_dir=data_dir)
        statuses = Statuses()
        with pytest.raises(TorBootstrapError) as caught:
            second.bootstrap(statuses, cancel=threading.Event(), stall_after=2.0)
        assert caught.value.reason == "stalled"  # it ran, in a folder of its own
        assert max(statuses.progress) > 0
        assert sorted(p.name for p in tmp_path.iterdir()) == ["tor"]
        assert first.running
    finally:
        cancel_first.set()
        thread.join(10)
    assert gone(first)
    assert isinstance(outcome[0], CancelledByUserError)


# --- cannot start -------------------------------------------------------------------------


@pytest.mark.parametrize("tor_cmd", ["tor-is-not-installed", "/nonexistent/bin/tor"])
def test_a_missing_tor_binary_fails_with_the_install_hint(tor_cmd: str, tmp_path: Path) -> None:
    statuses = Statuses()
    launched = LaunchedTor(tor_cmd=tor_cmd, data_dir=tmp_path / "tor")
    with pytest.raises(TorBootstrapError) as caught:
        launched.bootstrap(statuses, cancel=threading.Event())
    assert caught.value.reason == "failed"
    assert "sudo apt install tor" in caught.value.hint
    assert "could not be started" in caught.value.message
    assert launched.process is None


def test_a_config_tor_rejects_fails_with_tors_reason(tmp_path: Path) -> None:
    tor_binary()
    launched = LaunchedTor(extra_config={"ConnectionPadding": "sometimes"},
                           data_dir=tmp_path / "tor")
    with pytest.raises(TorBootstrapError) as caught:
        launched.bootstrap(Statuses(), cancel=threading.Event())
    assert caught.value.reason == "failed"
    assert "ConnectionPadding" in caught.value.detail


# --- words ----------------------------------------------------------------------------------


def test_every_known_phase_has_plain_words() -> None:
    tags = ["starting", "conn_pt", "conn_done_pt", "conn_proxy", "conn_done_proxy", "conn",
            "conn_done", "handshake", "handshake_done", "onehop_create", "requesting_status",
            "loading_status", "loading_keys", "requesting_descriptors", "loading_descriptors",
            "enough_dirinfo", "ap_conn_pt", "ap_conn_done_pt", "ap_conn_proxy",
            "ap_conn_done_proxy", "ap_conn", "ap_conn_done", "ap_handshake",
            "ap_handshake_done", "circuit_create", "done"]
    for tag in tags:
        assert phase_text(tag, "tor's words") != "tor's words", tag
    assert phase_text("some_new_phase", "Doing something new") == "Doing something new"


def test_warnings_in_plain_words_and_the_clock() -> None:
    assert "blocked" in warning_text("TIMEOUT", "Connection timed out")
    assert "online" in warning_text("NOROUTE", "No route to host")
    assert "clock" in warning_text("", "", clock=True)
    assert "odd thing" in warning_text("MISC", "odd thing")
    error = TorClockSkewError("stalled", 14, "tor: Clock skew", bridges=False)
    assert isinstance(error, TorBootstrapError)
    assert error.clock and "clock" in error.hint and error.to_json()["clock"] is True


# --- the private Tor network: real bootstrap to 100% --------------------------------------


@pytest.mark.timeout(300)
async def test_a_launched_tor_bootstraps_on_the_private_network(tor_network: Any,
                                                               tmp_path: Path) -> None:
    import asyncio

    statuses = Statuses()
    launched = LaunchedTor(extra_config=tor_network.client_options(), data_dir=tmp_path / "tor")
    try:
        started = time.monotonic()
        await asyncio.to_thread(launched.bootstrap, statuses, cancel=threading.Event())
        took = time.monotonic() - started
        progress = statuses.progress
        assert progress[0] == 0 and progress[-1] == 100
        assert progress == sorted(progress)
        assert len(set(progress)) >= 4, progress  # real steps, not a jump
        assert statuses.seen[-1].tag == "done"
        assert statuses.seen[-1].text == "Connected to Tor"
        assert took < 120
        assert launched.running
        host, port = launched.socks
        assert host == "127.0.0.1"
        assert await is_socks5(host, port, 5.0)
        source = launched.source()
        assert source.kind == "launched" and source.socks == launched.socks
        assert isinstance(source.control, tuple)
    finally:
        launched.stop()
    assert gone(launched)


@pytest.mark.timeout(300)
async def test_a_launched_tor_bootstraps_through_an_obfs4_bridge(tor_network: Any,
                                                                tmp_path: Path) -> None:
    import asyncio

    statuses = Statuses()
    launched = LaunchedTor(extra_config=tor_network.client_options(),
                           bridges=[tor_network.obfs4_bridge_line], data_dir=tmp_path / "tor")
    with launched:
        await asyncio.to_thread(launched.bootstrap, statuses, cancel=threading.Event())
        assert statuses.progress[-1] == 100
        assert any(status.tag.endswith("_pt") for status in statuses.seen), statuses.seen
        assert await is_socks5(*launched.socks, 5.0)
    assert gone(launched)
