"""A real TCP listener on 127.0.0.1 for the network conditions a healthy server never shows.

`Relay()` is a silent server: it accepts connections, reads what the app sends and never
answers (a server that hangs). `Relay(port)` passes every byte on to 127.0.0.1:`port` and back
unchanged, so TLS runs end to end between the app and the real server behind it; on top of that
it can stop passing bytes on (`pause()`), hold back new connections (`hold_from()`), leave the
first connections unanswered (`unanswered=`), and it counts connections.

It runs in threads of its own with blocking sockets, so it serves Pilot tests and snapshot tests
alike, whatever event loop the app runs in. Use it as a context manager, or call `close()`.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from types import TracebackType

CHUNK = 65536


class Relay:
    """See the module docstring. Counters: `connections` (accepted so far), `closed` (of those,
    ended), `held` (chunks held back by `pause()`)."""

    def __init__(self, target_port: int | None = None, *, unanswered: int = 0) -> None:
        # The port may be changed later, e.g. when the server behind it was restarted elsewhere.
        self.target_port = target_port
        self.unanswered = unanswered
        self.connections = 0
        self.closed = 0
        self.held = 0
        self._lock = threading.Lock()
        self._flowing = threading.Event()
        self._flowing.set()
        self._admitted = threading.Event()
        self._admitted.set()
        self._hold_from: int | None = None
        self._stopping = False
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self._start(self._accept_loop)

    # --- for tests ----------------------------------------------------------------------------

    def pause(self) -> None:
        """Stop passing bytes on, both ways, on every connection: the server seems to hang."""
        self._flowing.clear()

    def hold_from(self, number: int) -> None:
        """Connection `number` (counting from 1) and later ones wait, unanswered, for resume()."""
        self._hold_from = number
        self._admitted.clear()

    def resume(self) -> None:
        """Pass on what was held back, and everything from now on."""
        self._hold_from = None
        self._admitted.set()
        self._flowing.set()

    def close(self) -> None:
        """Stop listening and end every connection; what is still held back is dropped."""
        self._stopping = True
        self._admitted.set()
        self._flowing.set()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=2)
        self._listener.close()
        for sock in sockets:
            sock.close()

    def __enter__(self) -> Relay:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    # --- threads ------------------------------------------------------------------------------

    def _start(self, target: Callable[..., None], *args: object) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()
        return thread

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _accept_loop(self) -> None:
        while not self._stopping:
            try:
                client, _address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            self._track(client)
            with self._lock:
                self.connections += 1
                number = self.connections
            self._start(self._serve, client, number)

    def _serve(self, client: socket.socket, number: int) -> None:
        upstream: socket.socket | None = None
        try:
            if self.target_port is None or number <= self.unanswered:
                while client.recv(CHUNK):
                    pass  # read everything, answer nothing, until the app hangs up
                return
            if self._hold_from is not None and number >= self._hold_from:
                self._admitted.wait()
            if self._stopping:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self._track(upstream)
            back = self._start(self._pipe, upstream, client)
            self._pipe(client, upstream)
            back.join()
        except OSError:
            pass
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
            with self._lock:
                self.closed += 1

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(CHUNK):
                if not self._flowing.is_set():
                    with self._lock:
                        self.held += 1
                    self._flowing.wait()
                if self._stopping:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            # One side hung up: end the other side too (XMPP needs no half-open streams).
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
