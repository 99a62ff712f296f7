"""A modal that shows one of a server's web links as a QR code, to open it on a phone."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from onboard.core.qr import qr_matrix
from onboard.ui.text import N_, translate_bindings
from onboard.ui.widgets.qr import QRCode


class LinkQRScreen(ModalScreen[None]):
    """`links`: (label, https URL) pairs; n shows the next one, Esc closes."""

    DEFAULT_CSS = """
    LinkQRScreen {
        align: center middle;
    }
    LinkQRScreen #qr-box {
        width: auto;
        height: auto;
        max-height: 100%;
        background: $panel;
        padding: 0 1;
    }
    LinkQRScreen #qr-label {
        width: auto;
        max-width: 76;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", N_("Close"), id="qr-close"),
        Binding("n", "next_link", N_("Next link"), id="qr-next"),
    ]

    def __init__(self, links: list[tuple[str, str]]) -> None:
        super().__init__()
        translate_bindings(self)
        self.links = links
        self.index = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="qr-box"):
            yield Static("", id="qr-label")
            yield QRCode(self.links[0][1], id="qr")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        label, url = self.links[self.index]
        self.query_one("#qr-label", Static).update(Content(f"{label}: {url}"))
        qr = self.query_one("#qr", QRCode)
        if qr.data != url:
            qr.data, qr.matrix = url, qr_matrix(url, 2)
            qr.refresh(layout=True)

    def action_next_link(self) -> None:
        self.index = (self.index + 1) % len(self.links)
        self._show()

    def action_close(self) -> None:
        self.dismiss(None)
