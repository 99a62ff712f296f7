"""A QR code drawn with half blocks: dark modules on a light background, with a quiet zone."""

from __future__ import annotations

from rich.color import Color
from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from onboard.core.qr import qr_matrix
from onboard.ui.widgets.halfblock import half_block_text

DARK = Color.from_rgb(0, 0, 0)
LIGHT = Color.from_rgb(255, 255, 255)


class QRCode(Widget):
    """Shows `data` as a QR code a phone camera can read off the screen."""

    DEFAULT_CSS = """
    QRCode {
        width: auto;
        height: auto;
    }
    """

    def __init__(self, data: str, *, quiet_zone: int = 2, error_correction: str = "M",
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.data = data
        self.matrix = qr_matrix(data, quiet_zone, error_correction)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return len(self.matrix[0]) if self.matrix else 0

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return (len(self.matrix) + 1) // 2

    def render(self) -> Text:
        rows = []
        matrix = self.matrix
        for y in range(0, len(matrix), 2):
            top = matrix[y]
            bottom = matrix[y + 1] if y + 1 < len(matrix) else [False] * len(top)
            rows.append([(DARK if t else LIGHT, DARK if b else LIGHT)
                         for t, b in zip(top, bottom, strict=True)])
        return half_block_text(rows)
