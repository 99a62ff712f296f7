"""Run the real command line (`python -m onboard ARGS…`) and SIGKILL it at one step of a
registration, as a power cut or `kill -9` would.

    python tests/servers/kill_at.py POINT -- register DOMAIN … --password-stdin

The real functions stay in place; each POINT wraps one of them and kills the process there,
after writing `killed at POINT` to standard error (so a test knows the point was reached):

- before-pending: the pending credentials file is about to be written; nothing was sent.
- before-request: the pending file is written; the registration request is about to go out.
- after-answer: the server said yes; the pending file is not confirmed yet.
- mid-pending-write: inside the atomic write of the pending file, between the temp file and the
  rename (storage.write_private).
- mid-confirm-write: the same, for the confirmed file the server's yes leads to.
- after-confirm: the file is confirmed; the login check has not started.
- after-all: the login worked and was recorded, and the result was printed.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
from collections.abc import Callable
from typing import Any

POINTS = ("before-pending", "before-request", "after-answer", "mid-pending-write",
          "mid-confirm-write", "after-confirm", "after-all")


def die(point: str) -> None:
    sys.stdout.flush()
    sys.stderr.write(f"killed at {point}\n")
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def kill_in_save(point: str) -> None:
    from onboard.core import accounts

    real_save = accounts.save

    def save(account: accounts.SavedAccount) -> Any:
        if account.status == "pending":
            die(point)
        return real_save(account)

    accounts.save = save


def kill_around_request(point: str, after: bool) -> None:
    from onboard.core.xmpp.connection import OnboardClient

    real_send = OnboardClient.send_register_iq

    async def send_register_iq(self: OnboardClient, iq_type: str, *args: Any) -> Any:
        if iq_type == "set" and not after:
            die(point)
        reply = await real_send(self, iq_type, *args)
        if iq_type == "set":
            die(point)
        return reply

    OnboardClient.send_register_iq = send_register_iq  # type: ignore[method-assign]


def kill_in_rename(point: str, pending: bool) -> None:
    """os.replace is storage.write_private's rename: the temp file is complete by then."""
    real_replace = os.replace

    def replace(src: Any, dst: Any, **kwargs: Any) -> None:
        name = os.fspath(dst)
        if isinstance(name, str) and name.endswith(".json") and (
                name.endswith(".pending.json") == pending):
            die(point)
        real_replace(src, dst, **kwargs)

    os.replace = replace


def kill_after(point: str, module: Any, name: str) -> None:
    real: Callable[..., Any] = getattr(module, name)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        die(point)
        return result

    setattr(module, name, wrapped)


def arm(point: str) -> None:
    from onboard.cli import register
    from onboard.core import accounts

    if point == "before-pending":
        kill_in_save(point)
    elif point in ("before-request", "after-answer"):
        kill_around_request(point, after=point == "after-answer")
    elif point in ("mid-pending-write", "mid-confirm-write"):
        kill_in_rename(point, pending=point == "mid-pending-write")
    elif point == "after-confirm":
        kill_after(point, accounts, "confirm")
    elif point == "after-all":
        kill_after(point, register, "emit_json")


def main() -> None:
    if len(sys.argv) < 3 or sys.argv[1] not in POINTS or sys.argv[2] != "--":
        sys.exit(f"usage: kill_at.py {{{','.join(POINTS)}}} -- ARGS…")
    point, args = sys.argv[1], sys.argv[3:]
    arm(point)
    sys.argv = ["xmpp-onboard", *args]
    runpy.run_module("onboard", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
