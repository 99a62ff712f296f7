"""A real HTTPS server on 127.0.0.1 that serves good and bad XMPP Providers lists.

The certificate is for "localhost", signed by a throwaway trustme CA; clients pass `ca_file`.
Routes (see ROUTES): a valid list (the bundled one with yax.im's organization changed and a C and
a D entry added), malformed JSON, wrong schemas, bodies over the size limit (announced, not
announced, gzip-compressed), a server that answers too late, one that trickles, and a 404.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import trustme

from onboard.core.providers import MAX_LIST_BYTES

BUNDLED = Path(__file__).resolve().parents[1] / "onboard" / "data" / "providers-B.json"
CHANGED_ORGANIZATION = "Refreshed Test Collective"
SLOW_SECONDS = 3.0


def refreshed_list() -> list[dict[str, Any]]:
    """The bundled list, one entry changed, plus a category C and a category D server."""
    raw: list[dict[str, Any]] = json.loads(BUNDLED.read_text("utf-8"))
    for entry in raw:
        if entry["jid"] == "yax.im":
            entry["organization"] = CHANGED_ORGANIZATION
    template = dict(raw[0], inBandRegistration=True, alternativeJids=[])
    raw.append(dict(template, jid="average.example", category="C"))
    raw.append(dict(template, jid="autocomplete.example", category="D"))
    return raw


VALID = json.dumps(refreshed_list()).encode()
HUGE = b"[" + b" " * (MAX_LIST_BYTES + 1024) + b"]"

# path -> (status, headers, body)
ROUTES: dict[str, tuple[int, dict[str, str], bytes]] = {
    "/providers-B.json": (200, {}, VALID),
    "/malformed.json": (200, {}, VALID[: len(VALID) // 2]),
    "/dict.json": (200, {}, json.dumps({"providers": refreshed_list()}).encode()),
    "/strings.json": (200, {}, json.dumps(["yax.im", "jabber.fr"]).encode()),
    "/empty.json": (200, {}, b"[]"),
    "/only-c.json": (200, {}, json.dumps([refreshed_list()[-2]]).encode()),
    "/deep.json": (200, {}, b"[" * 200_000 + b"]" * 200_000),
    "/not-utf8.json": (200, {}, b"[\"\xff\xfe\"]"),
    "/huge.json": (200, {}, HUGE),
    "/huge-gzip.json": (200, {"Content-Encoding": "gzip"}, gzip.compress(HUGE)),
    "/redirect.json": (302, {"Location": "/providers-B.json"}, b""),
}
UNANNOUNCED = {"/huge-unannounced.json": HUGE}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        with contextlib.suppress(OSError):
            self._answer()

    def _answer(self) -> None:
        if self.path == "/slow.json":
            time.sleep(SLOW_SECONDS)
            self._send(200, {}, VALID)
        elif self.path == "/trickle.json":
            # Each byte comes well within any read timeout; the whole never arrives in time.
            self.send_response(200)
            self.end_headers()
            for byte in VALID[: int(SLOW_SECONDS * 10)]:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.1)
        elif self.path in UNANNOUNCED:
            # HTTP/1.0 without Content-Length: the body ends when the connection closes.
            self.send_response(200)
            self.end_headers()
            self.wfile.write(UNANNOUNCED[self.path])
        else:
            self._send(*ROUTES.get(self.path, (404, {}, b"not found")))

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that give up (timeouts, size limits) are part of the tests


@dataclass(frozen=True)
class ListServer:
    base: str
    ca_file: Path

    def url(self, path: str = "/providers-B.json") -> str:
        return self.base + path


@contextlib.contextmanager
def serve(folder: Path, hostname: str = "localhost") -> Iterator[ListServer]:
    """`hostname` names the server in its certificate and URL ("127.0.0.1" for a URL that
    needs no name lookup, e.g. through a Tor exit that resolves nothing)."""
    ca = trustme.CA()
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(hostname).configure_cert(context)
    server = QuietServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ListServer(f"https://{hostname}:{server.server_address[1]}", ca_file)
    finally:
        server.shutdown()
        server.server_close()
