"""A guide's web links as QR codes, one at a time, with the address under the code.

The assistant never opens a web page itself: the person scans the code with a phone and opens
the page there. n shows the next link, Esc goes back to the guide.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.content import Content
from textual.widgets import Footer, Static

from onboard.core.qr import qr_matrix
from onboard.i18n import _
from onboard.ui.widgets.link_qr import LinkQRScreen
from onboard.ui.widgets.qr import QRCode


class GuideLinksScreen(LinkQRScreen):
    """`urls`: the web links of the guide called `title`; the one at `start` is shown first."""

    CSS_PATH = "guide_links.tcss"

    def __init__(self, urls: list[str], title: str, *, start: int = 0) -> None:
        super().__init__([(title, url) for url in urls])
        self.index = start % len(urls)

    def compose(self) -> ComposeResult:
        with Vertical(id="qr-box"):
            yield Static("", id="qr-label")
            with Center():
                yield QRCode(self.links[self.index][1], id="qr")
            yield Static("", id="qr-url")
        yield Footer(show_command_palette=False)

    def _show(self) -> None:
        title, url = self.links[self.index]
        self.query_one("#qr-label", Static).update(Content(_(
            "Link {number} of {count} in “{title}”. Scan it with a phone to open it there."
        ).format(number=self.index + 1, count=len(self.links), title=title)))
        self.query_one("#qr-url", Static).update(Content(url))
        qr = self.query_one("#qr", QRCode)
        if qr.data != url:
            qr.data, qr.matrix = url, qr_matrix(url, 2)
            qr.refresh(layout=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_link":
            return len(self.links) > 1
        return True
