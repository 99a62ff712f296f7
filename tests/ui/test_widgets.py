"""The half-block widgets: the QR code a phone can read, the CAPTCHA picture, the step line."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from rich.color import Color
from rich.text import Text
from textual.app import App, ComposeResult

from onboard.core.captcha import decode
from onboard.ui.widgets.captcha import CaptchaImage
from onboard.ui.widgets.halfblock import UPPER_HALF
from onboard.ui.widgets.qr import DARK, LIGHT, QRCode, qr_matrix
from onboard.ui.widgets.step_indicator import StepIndicator
from tests.ui.fakes import captcha_png

URL = "https://example.org/register?from=xmpp-onboard"


def cells(text: Text) -> list[list[tuple[Color, Color]]]:
    """The (foreground, background) colour of every cell of a half-block drawing."""
    rows: list[list[tuple[Color, Color]]] = []
    for line in text.split("\n"):
        row = []
        for span_text, style in ((line.plain[s.start:s.end], s.style) for s in line.spans):
            for char in span_text:
                assert char == UPPER_HALF
                assert not isinstance(style, str)
                assert style.color is not None and style.bgcolor is not None
                row.append((style.color, style.bgcolor))
        rows.append(row)
    return rows


def test_qr_drawing_matches_the_matrix() -> None:
    widget = QRCode(URL)
    matrix = qr_matrix(URL)
    drawn = cells(widget.render())
    assert len(drawn) == (len(matrix) + 1) // 2
    for y, row in enumerate(drawn):
        assert len(row) == len(matrix[0])
        for x, (top, bottom) in enumerate(row):
            assert top == (DARK if matrix[2 * y][x] else LIGHT)
            below = matrix[2 * y + 1][x] if 2 * y + 1 < len(matrix) else False
            assert bottom == (DARK if below else LIGHT)


def test_qr_has_a_light_quiet_zone() -> None:
    matrix = qr_matrix(URL, quiet_zone=2)
    assert not any(matrix[0]) and not any(matrix[1]) and not any(matrix[-1])
    assert not any(row[0] or row[1] or row[-1] or row[-2] for row in matrix)


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg (zbar-tools) is not installed")
def test_qr_drawing_is_readable_by_a_scanner(tmp_path: Path) -> None:
    """Rebuild the picture from the drawn cells (1 cell = 1 module wide, 2 high) and scan it."""
    from PIL import Image

    drawn = cells(QRCode(URL).render())
    scale = 8
    height = len(drawn) * 2
    image = Image.new("L", (len(drawn[0]) * scale, height * scale), 255)
    for y, row in enumerate(drawn):
        for x, (top, bottom) in enumerate(row):
            for half, colour in ((0, top), (1, bottom)):
                level = colour.get_truecolor().red
                box = (x * scale, (2 * y + half) * scale,
                       (x + 1) * scale, (2 * y + half + 1) * scale)
                image.paste(level, box)
    path = tmp_path / "qr.png"
    image.save(path)
    result = subprocess.run(["zbarimg", "--quiet", "--raw", str(path)], capture_output=True,
                            text=True, timeout=30, check=False)
    assert result.stdout.strip() == URL


def test_captcha_widget_draws_the_decoded_grey_levels() -> None:
    data = captcha_png()
    widget = CaptchaImage(data, max_width=40, max_rows=6)
    expected = decode(data, max_width=40, max_rows=6)
    assert widget.image == expected
    drawn = cells(widget.render())
    assert len(drawn) == len(expected.rows)
    top, bottom = expected.rows[0][0]
    assert drawn[0][0] == (Color.from_rgb(top, top, top), Color.from_rgb(bottom, bottom, bottom))
    # Dark text on a light background: some cells are much darker than others.
    levels = [t for row in expected.rows for t, _b in row]
    assert min(levels) < 100 < 200 < max(levels)


class OneWidget(App[None]):
    def __init__(self, widget: QRCode | CaptchaImage | StepIndicator) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


async def test_widgets_size_themselves() -> None:
    qr = QRCode(URL)
    async with OneWidget(qr).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        matrix = qr.matrix
        assert qr.size.width == len(matrix[0])
        assert qr.size.height == (len(matrix) + 1) // 2
    captcha = CaptchaImage(b"not a picture")
    async with OneWidget(captcha).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert captcha.size.height == 1
        assert "could not be shown" in str(captcha.render())


def test_step_indicator_text() -> None:
    assert StepIndicator(3, "Server").text == "Step 3 of 7: Server"
    assert StepIndicator(0, "I already have an account").text == "I already have an account"


async def test_step_indicator_keeps_the_route_at_the_right_edge() -> None:
    for tor, route in ((False, "Tor: off"), (True, " Tor: on ")):
        indicator = StepIndicator(3, "Server", tor=tor)
        async with OneWidget(indicator).run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            line = str(indicator.render())
            assert line.startswith("●●●○○○○  Step 3 of 7: Server")
            assert line.endswith(route)
            assert len(line) == indicator.content_size.width == 78
