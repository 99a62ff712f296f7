"""A private tor owned by this program: started with stem, watched while it connects, stopped.

`LaunchedTor.bootstrap` is synchronous (stem is): run it in a thread worker. It reports each
step as a `BootstrapStatus` in plain words and returns once tor is at 100%, or raises
`TorBootstrapError` (stalled, timeout, exited, failed) or `CancelledByUserError`, stopping
tor on every failure. The tor is tied to this process (`__OwningControllerProcess` and
TAKEOWNERSHIP): it ends when `stop()` is called, when the control connection closes, or at
the latest about 15 s after this program dies.

Notes for stem 1.8 (see the project's Tor notes): its launch timeout uses SIGALRM, which only
works on the main thread, so `timeout=None` and an own deadline; launching returns at
"Bootstrapped 0%"; exceptions in event listeners are swallowed, so listeners only queue what
they got and never raise.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from onboard.core import paths
from onboard.core.errors import (
    BridgeLineError,
    CancelledByUserError,
    OnboardError,
    TorBootstrapError,
)
from onboard.core.tor.bridges import parse_bridges, transport_plugins
from onboard.core.tor.control import TorSource
from onboard.i18n import _

if TYPE_CHECKING:
    from stem.control import Controller

log = logging.getLogger(__name__)

# Default limits for a whole bootstrap (OnionShare's: bridges get longer), and for how long
# the percentage may stand still. Through a bridge tor can sit in one phase for a long time
# (a snowflake finding a proxy, an obfs4 bridge slow to answer) and still get there.
GIVE_UP_AFTER = 120.0
GIVE_UP_AFTER_WITH_BRIDGES = 150.0
STALL_AFTER = 30.0
STALL_AFTER_WITH_BRIDGES = 60.0
# How often tor is asked for its bootstrap phase, and the longest gap between two statuses.
POLL_INTERVAL = 1.0
# How long tor may take to write its control port file, and to exit after HALT.
START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0


def bootstrap_limits(with_bridges: bool) -> tuple[float, float]:
    """(seconds without progress before giving up, seconds for the whole bootstrap)."""
    if with_bridges:
        return STALL_AFTER_WITH_BRIDGES, GIVE_UP_AFTER_WITH_BRIDGES
    return STALL_AFTER, GIVE_UP_AFTER


_KEYWORD = re.compile(r'([A-Za-z_]+)=("(?:[^"\\]|\\.)*"|\S+)')
_CLOCK_WORDS = ("clock", "skew", "not yet valid")


def phase_text(tag: str, summary: str = "") -> str:
    """Plain words for a bootstrap phase (tor's TAG); tor's own summary for unknown tags."""
    connecting_pt = _("Starting the bridge transport")
    connected_pt = _("Connected through the bridge transport")
    connecting_proxy = _("Connecting through the proxy")
    connected_proxy = _("Connected to the proxy")
    texts = {
        "starting": _("Starting"),
        "conn_pt": connecting_pt,
        "conn_done_pt": connected_pt,
        "conn_proxy": connecting_proxy,
        "conn_done_proxy": connected_proxy,
        "conn": _("Connecting to the Tor network"),
        "conn_done": _("Connected to the Tor network"),
        "handshake": _("Setting up an encrypted connection"),
        "handshake_done": _("Encrypted connection ready"),
        "onehop_create": _("Asking for the list of Tor relays"),
        "requesting_status": _("Asking for the list of Tor relays"),
        "loading_status": _("Loading the list of Tor relays"),
        "loading_keys": _("Loading the keys of the Tor network"),
        "requesting_descriptors": _("Asking for information about relays"),
        "loading_descriptors": _("Loading information about relays"),
        "enough_dirinfo": _("Knows enough relays to build a path"),
        "ap_conn_pt": connecting_pt,
        "ap_conn_done_pt": connected_pt,
        "ap_conn_proxy": connecting_proxy,
        "ap_conn_done_proxy": connected_proxy,
        "ap_conn": _("Connecting to a first relay for your path"),
        "ap_conn_done": _("Connected to a first relay for your path"),
        "ap_handshake": _("Securing the first relay of your path"),
        "ap_handshake_done": _("First relay of your path ready"),
        "circuit_create": _("Building a path through the Tor network"),
        "done": _("Connected to Tor"),
    }
    return texts.get(tag.lower(), summary or tag)


def warning_text(reason: str, warning: str, clock: bool = False) -> str:
    """Plain words for a bootstrap problem tor reported (its REASON and WARNING)."""
    if clock:
        return _("Tor says this computer's clock seems to be wrong. Tor only works when the "
                 "date, time and time zone are right.")
    texts = {
        "CONNECTREFUSED": _("Tor relays refused the connection."),
        "CONNECTRESET": _("Connections to Tor are being cut off: Tor may be blocked here."),
        "TIMEOUT": _("Connections to Tor time out: Tor may be blocked here, or the "
                     "connection is very slow."),
        "NOROUTE": _("There is no route to the Tor network: is this computer online?"),
        "IOERROR": _("Connections to Tor are being cut off: Tor may be blocked here."),
        "IDENTITY": _("A relay or bridge did not prove who it is: the bridge line may be "
                      "out of date, or someone is interfering."),
        "RESOURCELIMIT": _("This computer ran out of connections."),
        "PT_MISSING": _("The bridge transport program is missing or did not start."),
    }
    text = texts.get(reason.upper())
    if text is not None:
        return text
    return _("Tor has trouble connecting ({reason}).").format(reason=warning or reason)


def _mentions_clock(*texts: str) -> bool:
    return any(word in text.lower() for text in texts for word in _CLOCK_WORDS)


def _keywords(text: str) -> dict[str, str]:
    """KEY=VALUE pairs of a control-port line (quoted values unquoted)."""
    found = {}
    for key, value in _KEYWORD.findall(text):
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        found[key.upper()] = value
    return found


@dataclass
class BootstrapStatus:
    """Where a launched tor is: `progress` 0–100, tor's `tag` and `summary`, `text` in plain
    (translated) words, `warning` a plain problem description when tor reports one that
    matters, `seconds_since_progress` how long the percentage has not moved, `clock` whether
    tor said the computer's clock is wrong."""

    progress: int
    tag: str
    summary: str
    text: str
    warning: str | None = None
    seconds_since_progress: float = 0.0
    clock: bool = False


class TorClockSkewError(TorBootstrapError):
    """A TorBootstrapError while tor said the computer's clock is wrong (`clock` is True)."""

    clock = True

    @property
    def hint(self) -> str:
        return _("Tor said this computer's clock is wrong. Set the date, time and time zone "
                 "correctly (automatic time is best), then try again.")

    def to_json(self) -> dict[str, object]:
        data = super().to_json()
        data["clock"] = True
        return data


@dataclass
class _Problem:
    """The last bootstrap problem tor reported."""

    reason: str = ""
    warning: str = ""
    recommendation: str = ""


class LaunchedTor:
    """A private tor: SOCKS and control on free loopback ports, cookie authentication, data in
    the cache folder (`data_dir` overrides it). `extra_config` adds or replaces torrc options
    (lists for repeated ones); `bridges` are Bridge values (BridgeLine.text). Single use:
    `bootstrap()` once, `stop()` as often as wanted; also a context manager."""

    def __init__(self, *, bridges: Sequence[str] = (),
                 extra_config: Mapping[str, str | Sequence[str]] | None = None,
                 tor_cmd: str = "tor", data_dir: Path | None = None) -> None:
        self.bridges = list(bridges)
        self.extra_config = dict(extra_config or {})
        self.tor_cmd = tor_cmd
        self.data_dir = data_dir
        self.process: subprocess.Popen[bytes] | None = None
        self._controller: Controller | None = None
        self._socks: tuple[str, int] | None = None
        self._control_port: int | None = None
        self._temp_dir: Path | None = None
        self._lock = threading.Lock()
        self._started = False
        self._stopped = False
        self._watcher: BootstrapWatcher | None = None
        self._log_lines: list[str] = []

    # --- public --------------------------------------------------------------------------------

    @property
    def socks(self) -> tuple[str, int]:
        """The SOCKS address of this tor (known once bootstrap has started it)."""
        if self._socks is None:
            raise RuntimeError("tor has not been started")
        return self._socks

    def source(self) -> TorSource:
        control = ("127.0.0.1", self._control_port) if self._control_port else None
        return TorSource(kind="launched", socks=self.socks, control=control)

    @property
    def running(self) -> bool:
        process = self.process
        return process is not None and process.poll() is None and not self._stopped

    def bootstrap(self, on_status: Callable[[BootstrapStatus], None], *,
                  cancel: threading.Event, stall_after: float | None = None,
                  give_up_after: float | None = None) -> None:
        """Start tor and wait until it is connected to the Tor network (100%).

        `on_status` gets a status at each change and at least every second (from this
        thread). Raises CancelledByUserError once `cancel` is set (or `stop()` called),
        TorBootstrapError "stalled" when the percentage has not moved for `stall_after`
        seconds, "timeout" after `give_up_after` (defaults: `bootstrap_limits`),
        "exited" when tor ends, "failed" when it cannot be started. tor is stopped on every
        failure.
        """
        default_stall, default_give_up = bootstrap_limits(bool(self.bridges))
        stall_after = default_stall if stall_after is None else stall_after
        give_up_after = default_give_up if give_up_after is None else give_up_after
        with self._lock:
            if self._started:
                raise RuntimeError("a LaunchedTor can bootstrap only once")
            self._started = True
        started = time.monotonic()
        try:
            on_status(BootstrapStatus(0, "starting", "Starting", phase_text("starting")))
            self._start(cancel)
            self._watch(on_status, cancel, stall_after, started + give_up_after)
        except BaseException:
            self.stop()
            raise
        # Connected: stop collecting events (nobody would read them any more).
        if self._watcher is not None:
            self._watcher.stop_listening()

    def stop(self) -> None:
        """Stop tor (HALT, then kill if it lingers). Safe to call at any time, repeatedly."""
        with self._lock:
            self._stopped = True
            controller, self._controller = self._controller, None
            process = self.process
        if process is not None and process.poll() is None:
            if controller is not None:
                with contextlib.suppress(Exception):
                    import stem

                    controller.signal(stem.Signal.HALT)
            else:
                with contextlib.suppress(OSError):
                    process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if controller is not None:
            with contextlib.suppress(Exception):
                controller.close()
        temp, self._temp_dir = self._temp_dir, None
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)

    def __enter__(self) -> LaunchedTor:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    # --- starting ------------------------------------------------------------------------------

    def _failed(self, detail: str) -> TorBootstrapError:
        return TorBootstrapError("failed", 0, detail, bridges=bool(self.bridges))

    def _tor_path(self) -> str:
        found = (self.tor_cmd if os.sep in self.tor_cmd and os.access(self.tor_cmd, os.X_OK)
                 else shutil.which(self.tor_cmd))
        if found is None and os.sep not in self.tor_cmd:
            # A desktop session's PATH may lack /usr/sbin, where Debian puts tor.
            found = shutil.which(self.tor_cmd, path="/usr/sbin:/usr/local/sbin:/usr/bin")
        if found is None:
            raise self._failed(f"{self.tor_cmd}: not found")
        return found

    def _claim_data_dir(self) -> Path:
        """The DataDirectory: the chosen one (private), or a fresh one when another tor
        (another copy of this program) holds its lock."""
        folder = self.data_dir if self.data_dir is not None else paths.cache_dir() / "tor"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        with open(folder / "lock", "a") as lock_file:
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(lock_file, fcntl.LOCK_UN)
                return folder
            except OSError:
                pass
        self._temp_dir = Path(tempfile.mkdtemp(prefix="tor-", dir=folder.parent))
        return self._temp_dir

    def _config(self, data_dir: Path) -> dict[str, str | list[str]]:
        config: dict[str, str | list[str]] = {
            "DataDirectory": str(data_dir),
            "SocksPort": "127.0.0.1:auto ExtendedErrors",
            "ControlPort": "127.0.0.1:auto",
            "ControlPortWriteToFile": str(data_dir / "control-port"),
            "CookieAuthentication": "1",
            "Log": "NOTICE stdout",
            "ClientOnly": "1",
            "AvoidDiskWrites": "1",
        }
        if self.bridges:
            try:
                parsed = parse_bridges("\n".join(self.bridges))
            except BridgeLineError as exc:
                raise self._failed(exc.message) from None
            config["UseBridges"] = "1"
            config["Bridge"] = [bridge.text for bridge in parsed]
            plugins = transport_plugins(parsed)
            if plugins:
                config["ClientTransportPlugin"] = plugins
        for key, value in self.extra_config.items():
            config[key] = value if isinstance(value, str) else list(value)
        return config

    def _start(self, cancel: threading.Event) -> None:
        import stem.process

        tor = self._tor_path()
        data_dir = self._claim_data_dir()
        port_file = data_dir / "control-port"
        port_file.unlink(missing_ok=True)
        if cancel.is_set() or self._stopped:
            raise CancelledByUserError()

        def remember(line: str) -> None:
            self._log_lines = [*self._log_lines[-40:], line]

        try:
            process = stem.process.launch_tor_with_config(
                self._config(data_dir), tor_cmd=tor, completion_percent=0,
                init_msg_handler=remember, timeout=None, take_ownership=True)
        except OSError as exc:
            raise self._failed(self._start_problem(str(exc))) from None
        with self._lock:
            self.process = process
        if cancel.is_set() or self._stopped:
            raise CancelledByUserError()

        deadline = time.monotonic() + START_TIMEOUT
        while not port_file.exists():
            if process.poll() is not None:
                raise self._failed(self._start_problem("tor exited"))
            if cancel.is_set() or self._stopped:
                raise CancelledByUserError()
            if time.monotonic() > deadline:
                raise self._failed("tor did not open its control port")
            time.sleep(0.05)
        # "PORT=127.0.0.1:39119"
        self._control_port = int(port_file.read_text().strip().rpartition(":")[2])

        from onboard.core.tor.control import open_controller

        try:
            controller = open_controller(("127.0.0.1", self._control_port))
        except OnboardError as exc:
            raise self._failed(exc.message) from None
        with self._lock:
            if self._stopped:
                controller.close()
                raise CancelledByUserError()
            self._controller = controller
        listeners = controller.get_info("net/listeners/socks").split()
        host, _sep, port = listeners[0].strip('"').rpartition(":")
        self._socks = (host.strip("[]"), int(port))
        self._watcher = BootstrapWatcher(controller, bridges=bool(self.bridges))
        self._watcher.listen()

    def _start_problem(self, fallback: str) -> str:
        """tor's own words on why it did not start ([err] or last [warn] line)."""
        for marker in ("[err]", "[warn]"):
            lines = [line.partition(marker)[2].strip() for line in self._log_lines
                     if marker in line and "running Tor as root" not in line
                     and "see warnings above" not in line]
            if lines:
                return lines[-1]
        return fallback

    # --- watching ------------------------------------------------------------------------------

    def _watch(self, on_status: Callable[[BootstrapStatus], None], cancel: threading.Event,
               stall_after: float, deadline: float) -> None:
        watcher = self._watcher
        process = self.process
        assert watcher is not None and process is not None
        watcher.watch(on_status, cancel=cancel, stall_after=stall_after, deadline=deadline,
                      stopped=lambda: self._stopped, ended=lambda: process.poll() is not None)


class BootstrapWatcher:
    """Follows a tor's bootstrap through an authenticated stem Controller: its bootstrap
    events, and `status/bootstrap-phase` asked every second for events that were missed.

    Shared by a tor this program launched and one it found (system tor, Tor Browser).
    `listen()` first, then `watch()` (synchronous: run it in a thread worker)."""

    def __init__(self, controller: Controller, *, bridges: bool = False) -> None:
        self.controller = controller
        self.bridges = bridges
        self._events: queue.Queue[tuple[str, Any]] = queue.Queue()

    def listen(self) -> None:
        from stem.control import EventType

        self.controller.add_event_listener(
            self._on_event, EventType.STATUS_CLIENT, EventType.STATUS_GENERAL, EventType.WARN)

    def stop_listening(self) -> None:
        with contextlib.suppress(Exception):
            self.controller.remove_event_listener(self._on_event)
        self._next_events(0)

    def phase(self) -> BootstrapStatus:
        """Where tor is now (GETINFO status/bootstrap-phase), in plain words."""
        state = _Tracker()
        state.apply(_keywords(self.controller.get_info("status/bootstrap-phase")))
        return state.status()

    def watch(self, on_status: Callable[[BootstrapStatus], None], *, cancel: threading.Event,
              stall_after: float, deadline: float, stopped: Callable[[], bool] = lambda: False,
              ended: Callable[[], bool] = lambda: False) -> None:
        """Return once tor is at 100%. `on_status` gets a status at each change and at
        least every second. Raises CancelledByUserError once `cancel` is set or `stopped()`
        is true, TorBootstrapError "exited" once `ended()` is true, "stalled" when the
        percentage has not moved for `stall_after` seconds, "timeout" at `deadline` (a
        time.monotonic() value)."""
        controller = self.controller
        state = _Tracker()
        last_sent = next_poll = time.monotonic()
        sent: tuple[int, str, str | None] | None = None

        def report(force: bool = False) -> None:
            nonlocal sent, last_sent
            status = state.status()
            key = (status.progress, status.tag, status.warning)
            if key != sent or force:
                sent, last_sent = key, time.monotonic()
                on_status(status)

        while True:
            if cancel.is_set() or stopped():
                raise CancelledByUserError()
            if ended():
                raise self._bootstrap_error("exited", state)
            # Events first (in order, each step reported), then the polled phase as a
            # fallback for events that were missed.
            for name, data in self._next_events(0.1):
                if name == "CLIENT:BOOTSTRAP":
                    state.apply(data[1])
                    report()
                elif name == "GENERAL:CLOCK_SKEW" and data[0] == "WARN":
                    state.clock = True
                elif name == "LOG":
                    state.last_log = data
                    state.clock = state.clock or _mentions_clock(data)
            now = time.monotonic()
            if now >= next_poll:
                next_poll = now + POLL_INTERVAL
                try:
                    phase = controller.get_info("status/bootstrap-phase")
                except Exception:  # tor went away: the next round says so
                    phase = ""
                if "BOOTSTRAP" in phase:
                    state.apply(_keywords(phase))
            report(force=time.monotonic() - last_sent >= POLL_INTERVAL)
            if state.progress >= 100:
                return
            now = time.monotonic()
            if now - state.last_progress >= stall_after:
                raise self._bootstrap_error("stalled", state)
            if now >= deadline:
                raise self._bootstrap_error("timeout", state)

    def _on_event(self, event: Any) -> None:
        """stem's listener: only queues plain data (stem would swallow an exception)."""
        try:
            kind = type(event).__name__
            if kind == "StatusEvent":
                self._events.put((f"{event.status_type}:{event.action}",
                                  (event.runlevel, dict(event.keyword_args))))
            elif kind == "LogEvent":
                self._events.put(("LOG", str(event.message)))
        except Exception:  # never let stem swallow it silently
            log.exception("could not read a tor event")

    def _next_events(self, wait: float) -> list[tuple[str, Any]]:
        """The queued events: waits up to `wait` seconds for the first."""
        try:
            events = [self._events.get(timeout=wait) if wait > 0 else self._events.get_nowait()]
        except queue.Empty:
            return []
        with contextlib.suppress(queue.Empty):
            while True:
                events.append(self._events.get_nowait())
        return events

    def _bootstrap_error(self, reason: str, state: _Tracker) -> TorBootstrapError:
        problem = state.problem
        detail: str | None = None
        if problem.warning or problem.reason:
            detail = f"tor: {problem.warning or problem.reason}"
            if problem.reason and problem.reason not in detail:
                detail += f" ({problem.reason})"
        elif state.last_log:
            detail = f"tor: {state.last_log}"
        kind = TorClockSkewError if state.clock else TorBootstrapError
        return kind(reason, state.progress, detail, bridges=self.bridges)


class _Tracker:
    """What bootstrap has seen so far: tor's phase, its last problem, the clock."""

    def __init__(self) -> None:
        self.progress = 0
        self.tag = "starting"
        self.summary = "Starting"
        self.last_progress = time.monotonic()
        self.problem = _Problem()
        self.clock = False
        self.last_log = ""

    def apply(self, args: Mapping[str, str]) -> None:
        """One BOOTSTRAP report (event or GETINFO): progress only moves forward."""
        new = _int(args.get("PROGRESS"), self.progress)
        if new > self.progress:
            self.progress, self.last_progress = new, time.monotonic()
            self.problem = _Problem()
        if new >= self.progress:
            self.tag = args.get("TAG", self.tag)
            self.summary = args.get("SUMMARY", self.summary)
        if "WARNING" in args or "REASON" in args:
            self.problem = _Problem(args.get("REASON", ""), args.get("WARNING", ""),
                                    args.get("RECOMMENDATION", ""))
            self.clock = (self.clock or "CLOCK" in self.problem.reason.upper()
                          or _mentions_clock(self.problem.warning))

    def status(self) -> BootstrapStatus:
        warning: str | None = None
        if self.clock:
            warning = warning_text("", "", clock=True)
        elif self.problem.recommendation.lower() == "warn":
            warning = warning_text(self.problem.reason, self.problem.warning)
        return BootstrapStatus(self.progress, self.tag, self.summary,
                               phase_text(self.tag, self.summary), warning,
                               round(time.monotonic() - self.last_progress, 1), self.clock)


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default
