"""Where this process's connections went: a Python audit hook records every `socket.connect`
(the address) and `socket.getaddrinfo` (the host) while a test watches. c-ares (aiodns) looks
names up in C, out of the hook's sight.

Audit hooks cannot be removed, so there is one recorder for the whole test run
(`socket_audit()`, made on first use); the `audit` fixture hands it to a test.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

import pytest


class SocketAudit:
    """Every connect and name lookup of this process while `recording` is on: `connects` and
    `lookups` apart, `events` as (audit event, address or host) in the order they happened."""

    def __init__(self) -> None:
        self.recording = False
        self.connects: list[object] = []
        self.lookups: list[object] = []
        self.events: list[tuple[str, object]] = []
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.recording:
            return
        if event == "socket.connect":
            self.connects.append(args[1])
            self.events.append((event, args[1]))
        elif event == "socket.getaddrinfo":
            self.lookups.append(args[0])
            self.events.append((event, args[0]))

    @contextlib.contextmanager
    def watch(self) -> Iterator[SocketAudit]:
        """Forgets what was recorded before, then records until the block ends."""
        self.connects.clear()
        self.lookups.clear()
        self.events.clear()
        self.recording = True
        try:
            yield self
        finally:
            self.recording = False

    def only_to(self, address: tuple[str, int]) -> None:
        """Something was connected, every connect went to `address`, no name was looked up."""
        assert self.connects, "nothing was connected at all"
        others = [c for c in self.connects
                  if not (isinstance(c, tuple) and tuple(c[:2]) == address)]
        assert others == []
        assert self.lookups == []


_AUDIT: list[SocketAudit] = []


def socket_audit() -> SocketAudit:
    """The recorder of this test process (its audit hook is added on the first call)."""
    if not _AUDIT:
        _AUDIT.append(SocketAudit())
    return _AUDIT[0]


@pytest.fixture(scope="session")
def audit() -> SocketAudit:
    return socket_audit()
