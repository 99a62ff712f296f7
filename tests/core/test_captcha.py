"""CAPTCHA pictures: decoding, and fetching a linked one over real HTTPS on loopback."""

from __future__ import annotations

import io
import ssl
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme
from PIL import Image

from onboard.core.captcha import decode, fetch_image
from onboard.core.errors import NetworkError, ProtocolError
from onboard.core.network import DirectNetwork
from onboard.core.xmpp.address import ServerAddress
from onboard.core.xmpp.forms import parse_registration
from onboard.core.xmpp.registration import RegistrationSession


def png(width: int = 120, height: int = 40) -> bytes:
    image = Image.new("L", (width, height), 255)
    image.paste(0, (10, 10, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


ROUTES: dict[str, tuple[int, str, bytes]] = {
    "/c.png": (200, "image/png", png()),
    "/page": (200, "text/html", b"<html>not an image</html>"),
    "/huge.png": (200, "image/png", b"\x89PNG" + b"0" * (3 * 1024 * 1024)),
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, kind, body = ROUTES.get(self.path, (404, "text/plain", b"no"))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def https(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    ca = trustme.CA()
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://localhost:{server.server_address[1]}", ca_file
    server.shutdown()


def test_decode_scales_to_fit_and_keeps_two_rows_per_line() -> None:
    drawn = decode(png(300, 100), max_width=60, max_rows=10)
    assert drawn.width <= 60 and len(drawn.rows) <= 10
    assert any(top < 128 for row in drawn.rows for top, _bottom in row)


@pytest.mark.parametrize("data", [b"", b"not an image", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50])
def test_broken_images_are_protocol_errors(data: bytes) -> None:
    with pytest.raises(ProtocolError):
        decode(data)


async def test_a_linked_image_is_fetched(https: tuple[str, Path]) -> None:
    base, ca_file = https
    assert await fetch_image(f"{base}/c.png", DirectNetwork(), 5, ca_file) == ROUTES["/c.png"][2]


@pytest.mark.parametrize(("path", "error"), [
    ("/page", ProtocolError), ("/huge.png", ProtocolError), ("/missing.png", NetworkError),
])
async def test_bad_links_are_refused(https: tuple[str, Path], path: str,
                                     error: type[Exception]) -> None:
    base, ca_file = https
    with pytest.raises(error):
        await fetch_image(base + path, DirectNetwork(), 5, ca_file)


async def test_untrusted_https_and_plain_http_are_refused(https: tuple[str, Path]) -> None:
    base, _ca_file = https
    with pytest.raises(NetworkError):
        await fetch_image(f"{base}/c.png", DirectNetwork(), 5, None)
    with pytest.raises(ProtocolError):
        await fetch_image(base.replace("https", "http") + "/c.png", DirectNetwork(), 5, None)


async def test_a_form_with_only_a_link_gets_its_picture(https: tuple[str, Path]) -> None:
    base, ca_file = https
    form = parse_registration("example.org", ET.fromstring(f"""
        <query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='form'>
          <field var='username'/><field var='password' type='text-private'/>
          <field var='ocr' label='Type the text'>
            <media xmlns='urn:xmpp:media-element'><uri type='image/png'>{base}/c.png</uri></media>
          </field></x></query>"""))
    assert form.captcha_image() is None
    session = RegistrationSession(ServerAddress("example.org", ca_file=ca_file), DirectNetwork(),
                                  timeout=5)
    await session._fetch_linked_captcha(form)
    image = form.captcha_image()
    assert image is not None and image.data == ROUTES["/c.png"][2]
