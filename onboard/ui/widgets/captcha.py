"""A CAPTCHA image from the server's form, drawn in grey levels with half blocks."""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from onboard.core.captcha import HalfBlockImage, decode
from onboard.core.errors import ProtocolError
from onboard.i18n import _
from onboard.ui.widgets.halfblock import grey, half_block_text


class CaptchaImage(Widget):
    """Decodes the image bytes (PNG, JPEG, …) and shows them; says so if it cannot."""

    DEFAULT_CSS = """
    CaptchaImage {
        width: auto;
        height: auto;
    }
    CaptchaImage.-unreadable {
        color: $text-warning;
    }
    """

    def __init__(self, data: bytes, *, max_width: int = 72, max_rows: int = 10,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.image: HalfBlockImage | None
        try:
            self.image = decode(data, max_width=max_width, max_rows=max_rows)
        except ProtocolError:
            self.image = None
            self.add_class("-unreadable")

    def get_content_width(self, container: Size, viewport: Size) -> int:
        if self.image is None:
            return min(len(self._unreadable_text()), container.width)
        return self.image.width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if self.image is None:
            return 1
        return len(self.image.rows)

    def _unreadable_text(self) -> str:
        return _("The CAPTCHA picture could not be shown here.")

    def render(self) -> Text:
        if self.image is None:
            return Text(self._unreadable_text())
        return half_block_text(
            [(grey(top), grey(bottom)) for top, bottom in row] for row in self.image.rows
        )
