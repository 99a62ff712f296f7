"""CAPTCHA images: decode (Pillow) and draw with half-block characters for a terminal.

Two image rows per text row (`▀` with foreground = top pixel, background = bottom pixel) is
enough to read the digits and letters of a CAPTCHA.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from onboard.core.errors import (
    NetworkError,
    NetworkTimeoutError,
    ProtocolError,
    onboard_error_in,
)
from onboard.core.xmpp.forms import MAX_IMAGE_BYTES, safe_web_url

if TYPE_CHECKING:
    from onboard.core.network import Network

MAX_PIXELS = 4_000_000


@dataclass(frozen=True)
class HalfBlockImage:
    """Rows of (top, bottom) grey levels 0–255, two pixel rows per text row."""

    width: int
    rows: list[list[tuple[int, int]]]


def decode(data: bytes, max_width: int = 76, max_rows: int = 12) -> HalfBlockImage:
    """Scale the image to fit `max_width` columns and `max_rows` text rows."""
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            image = opened.convert("L")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ProtocolError(f"the CAPTCHA is not a readable image: {exc}") from None
    width, height = image.size
    if width <= 0 or height <= 0:
        raise ProtocolError("the CAPTCHA image is empty")
    # Terminal cells are about twice as tall as wide: one cell = 1 px wide, 2 px tall.
    scale = min(max_width / width, (max_rows * 2) / height, 4.0)
    new_w = max(1, int(width * scale))
    new_h = max(2, int(height * scale))
    new_h += new_h % 2
    image = image.resize((new_w, new_h))
    pixels = image.load()
    assert pixels is not None
    rows = [
        [(int(pixels[x, y]), int(pixels[x, y + 1])) for x in range(new_w)]  # type: ignore[arg-type]
        for y in range(0, new_h, 2)
    ]
    return HalfBlockImage(new_w, rows)


def to_ansi(image: HalfBlockImage) -> str:
    """The image as text with 24-bit colour escapes, for the CLI."""
    lines = []
    for row in image.rows:
        cells = [
            f"\x1b[38;2;{t};{t};{t}m\x1b[48;2;{b};{b};{b}m▀" for t, b in row
        ]
        lines.append("".join(cells) + "\x1b[0m")
    return "\n".join(lines)


async def fetch_image(url: str, network: Network, timeout: float = 20.0,
                      ca_file: Path | None = None) -> bytes:
    """Download a CAPTCHA image the server only linked to, through the network object.

    https only, no redirects, at most MAX_IMAGE_BYTES, and it must be an image.
    """
    import httpx

    if safe_web_url(url) is None:
        raise ProtocolError("only https CAPTCHA links are fetched")
    try:
        async with network.http_client(timeout, ca_file) as client, \
                client.stream("GET", url) as response:
            if response.status_code != 200:
                raise NetworkError(f"the CAPTCHA image answered HTTP {response.status_code}")
            kind = response.headers.get("content-type", "")
            if not kind.startswith("image/"):
                raise ProtocolError(f"the CAPTCHA link gave {kind or 'no type'}, not an image")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_IMAGE_BYTES:
                    raise ProtocolError("the CAPTCHA image is too large")
    except httpx.TimeoutException:
        raise NetworkTimeoutError("CAPTCHA image", timeout) from None
    except httpx.HTTPError as exc:
        # A Tor failure under httpx keeps its own, plainer message.
        raise onboard_error_in(exc) or NetworkError(
            f"the CAPTCHA image could not be fetched: {exc}") from None
    return bytes(body)
