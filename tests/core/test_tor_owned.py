"""A tor the app launched ends when the app is killed (SIGKILL: no clean-up code runs).

A child Python process launches tor through the core (`LaunchedTor`, which takes ownership of
it), reports tor's pid once tor is started and owned, and is then killed with SIGKILL. tor must
be gone within 20 s. The tor is offline (its directory authorities are closed loopback ports),
so nothing leaves the machine and no bootstrap is needed.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.servers.local import closed_port, tor_binary

PROJECT_ROOT = Path(__file__).resolve().parents[2]
GONE_WITHIN = 20.0
START_TIMEOUT = 60.0

CHILD = """
import json, sys, threading, time
from pathlib import Path
from onboard.core.tor.launch import LaunchedTor

launched = LaunchedTor(extra_config=json.loads(sys.argv[2]), data_dir=Path(sys.argv[1]))
failed = []

def run():
    try:
        launched.bootstrap(lambda status: None, cancel=threading.Event(), stall_after=600,
                           give_up_after=600)
    except BaseException as error:
        failed.append(error)

threading.Thread(target=run, daemon=True).start()
while not failed:
    try:
        launched.socks  # known once tor runs and its control port is ours
    except RuntimeError:
        time.sleep(0.05)
        continue
    print(launched.process.pid, flush=True)
    time.sleep(600)
print("failed:", failed, flush=True)
"""


def offline_config() -> dict[str, str | list[str]]:
    authorities = [f"dead{n} orport={closed_port()} no-v2 v3ident={'A' * 40} "
                   f"127.0.0.1:{closed_port()} {'B' * 40}" for n in range(3)]
    return {"TestingTorNetwork": "1", "DirAuthority": authorities}


def ended(pid: int) -> bool:
    """The process is gone, or a zombie waiting for its new parent to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rpartition(")")[2].split()[0] == "Z"


def read_line(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    return process.stdout.readline().strip() if ready else ""


def test_a_launched_tor_ends_when_the_app_is_killed(tmp_path: Path) -> None:
    tor_binary()  # a clear skip (a failure under CI) without tor
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "XMPP_ONBOARD_HOME": str(tmp_path)}
    app = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "tor"), json.dumps(offline_config())],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=PROJECT_ROOT,
        start_new_session=True)
    tor_pid = 0
    try:
        line = read_line(app, START_TIMEOUT)
        assert line.isdigit(), f"the app did not start its tor: {line!r}"
        tor_pid = int(line)
        cmdline = Path(f"/proc/{tor_pid}/cmdline").read_bytes().split(b"\0")
        assert Path(cmdline[0].decode()).name == "tor", cmdline
        assert Path(f"/proc/{tor_pid}/status").read_text().count(f"PPid:\t{app.pid}\n") == 1
        assert not ended(tor_pid)

        os.kill(app.pid, signal.SIGKILL)
        assert app.wait(10) == -signal.SIGKILL
        began = time.monotonic()
        while not ended(tor_pid):
            assert time.monotonic() - began < GONE_WITHIN, \
                f"tor (pid {tor_pid}) still runs {GONE_WITHIN:.0f} s after its app was killed"
            time.sleep(0.1)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(10)
        if tor_pid and not ended(tor_pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(tor_pid, signal.SIGKILL)
