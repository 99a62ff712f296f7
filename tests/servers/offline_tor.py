"""Running tors "found" on this computer, for the tests of a found tor's route: offline tors of
our own with a SOCKS and a control port (their directory authorities are closed loopback ports,
so they stop at a few percent and nothing leaves the machine), and no control password from the
environment of whoever runs the tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from onboard.core.tor.route import PASSWORD_ENV
from tests.core.test_tor_control import RunningTor, _offline_options, start_tor


@pytest.fixture(autouse=True)
def no_password_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)


@pytest.fixture
def offline_tor(tmp_path: Path) -> Iterator[Callable[..., RunningTor]]:
    """Starts offline tors with SOCKS and a control port (plus `options`); stops them after."""
    started: list[RunningTor] = []

    def make(**options: str | list[str]) -> RunningTor:
        folder = tmp_path / f"tor{len(started)}"
        folder.mkdir()
        os.chmod(folder, 0o700)
        tor = start_tor(folder, {**_offline_options(), **options})
        started.append(tor)
        assert tor.socks_port is not None
        return tor

    yield make
    for tor in started:
        tor.stop()
