"""The fingerprint link of the confirmed own devices as a QR code that fills the screen.

A friend scans it with Conversations, Gajim, Dino or Monal, which then mark these devices as
verified. The code is dark on light with a quiet zone, drawn two modules per character. It is
shown whole or not at all: when the window is too small, the screen says how big it needs to be.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import ClassVar, Literal

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import CenterMiddle, Horizontal, Vertical
from textual.content import Content
from textual.widgets import Static

from onboard.core.flow import WizardState
from onboard.core.omemo.link import parse_link
from onboard.core.qr import qr_matrix
from onboard.i18n import _, ngettext
from onboard.ui.screens.base import EncryptionScreen
from onboard.ui.text import N_
from onboard.ui.widgets.qr import QRCode

QUIET_ZONE = 2
# The text column beside the code: at least this wide.
SIDE_WIDTH = 30
# Lines the stacked layout needs besides the code and the link: the title and the key hint.
STACKED_EXTRA = 2
# Lines the text beside the code needs besides the link: title, what it is for, the key hint.
SIDE_TEXT_LINES = 9

Arrangement = Literal["stacked", "side", "too-small"]


@dataclass(frozen=True)
class Fit:
    """How the code fits `size`: its error correction, and where the text goes."""

    arrangement: Arrangement
    error_correction: str
    needed: tuple[int, int]  # columns, lines: what the smallest layout that works needs


@functools.lru_cache(maxsize=16)
def code_size(link: str, error_correction: str) -> int:
    """The code's width in modules (quiet zone included); it is as many half-lines high."""
    return len(qr_matrix(link, QUIET_ZONE, error_correction))


def _link_lines(link: str, width: int) -> int:
    return math.ceil(len(link) / max(width, 1))


def choose_layout(link: str, columns: int, lines: int) -> Fit:
    """The largest-margin code that fits whole: error correction M before L, the text under the
    code before beside it. Too small → the size the window needs for the layout that asks the
    least growth of it."""
    candidates: list[tuple[int, int, Arrangement, str]] = []
    for level in ("M", "L"):
        size = code_size(link, level)
        rows = (size + 1) // 2
        stacked = (size, rows + STACKED_EXTRA + _link_lines(link, size))
        side_width = max(SIDE_WIDTH, min(columns - size - 1, 2 * SIDE_WIDTH) - 1)
        side = (size + 1 + SIDE_WIDTH, max(rows, SIDE_TEXT_LINES + _link_lines(link, side_width)))
        candidates += [(*stacked, "stacked", level), (*side, "side", level)]
    for width, height, arrangement, level in candidates:
        if width <= columns and height <= lines:
            return Fit(arrangement, level, (width, height))

    def growth(candidate: tuple[int, int, Arrangement, str]) -> int:
        # A line is about twice as high as a column is wide.
        return max(0, candidate[0] - columns) + 2 * max(0, candidate[1] - lines)

    width, height, _arrangement, level = min(candidates, key=growth)
    return Fit("too-small", level, (width, height))


class QRViewScreen(EncryptionScreen[None]):
    """Shows `link` as a QR code, as big as the window allows; Esc goes back (BACK)."""

    CSS_PATH = "qr_view.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", N_("Back"), id="back"),
    ]

    def __init__(self, state: WizardState, link: str) -> None:
        super().__init__(state)
        self.link = link
        self.jid, self.devices = parse_link(link)
        self.fit: Fit | None = None

    def compose(self) -> ComposeResult:
        columns, lines = self.app.size
        fit = self.fit = choose_layout(self.link, columns, lines)
        self.set_class(fit.arrangement == "side", "-side")
        self.set_class(fit.arrangement == "stacked", "-stacked")
        self.set_class(fit.arrangement == "too-small", "-too-small")
        title = Static(_("Scan with your friend's phone"), id="qr-title")
        about = Static(Content(ngettext(
            "Your friend scans this in their chat app to mark your {count} confirmed device "
            "as verified.",
            "Your friend scans this in their chat app to mark your {count} confirmed devices "
            "as verified.", len(self.devices)).format(count=len(self.devices))), id="qr-about")
        link = Static(Content(self.link), id="qr-link")
        keys = Static(_("Esc: back"), id="qr-keys")
        with CenterMiddle(id="qr-screen"), Vertical(id="qr-frame"):
            if fit.arrangement == "too-small":
                width, height = fit.needed
                yield title
                yield Static(Content(_(
                    "The code does not fit in this window ({columns}×{lines}). Make the "
                    "window at least {width} columns wide and {height} lines high, or make "
                    "the text smaller.").format(columns=columns, lines=lines, width=width,
                                            height=height)), id="qr-too-small")
                yield Static(_("The link in the code:"), id="qr-link-label")
                yield link
                yield keys
                return
            code = QRCode(self.link, quiet_zone=QUIET_ZONE,
                          error_correction=fit.error_correction, id="qr")
            size = len(code.matrix[0])
            if fit.arrangement == "stacked":
                for widget in (title, link, keys):
                    widget.styles.width = size
                yield title
                yield code
                yield link
                yield keys
                return
            with Horizontal(id="qr-row"):
                yield code
                with Vertical(id="qr-side") as side:
                    side.styles.width = min(columns - size - 1, 2 * SIDE_WIDTH)
                    yield title
                    yield about
                    yield link
                    yield keys

    async def on_resize(self, event: events.Resize) -> None:
        columns, lines = event.size
        fit = choose_layout(self.link, columns, lines)
        if fit != self.fit or fit.arrangement == "too-small":
            await self.recompose()
