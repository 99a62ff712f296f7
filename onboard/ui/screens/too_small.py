"""The window is smaller than the screens are laid out for: say so, instead of a broken screen.

`guard_window_size(app)` is called on every resize and every screen change. While the window is
smaller than MIN_COLUMNS×MIN_LINES, a TooSmallScreen covers whatever is shown (a step, the guide,
a dialog); the screen under it keeps its state (what was typed, where the focus was) and comes
back as soon as the window is big enough. Keys pressed meanwhile reach no field (Ctrl+Q still
quits).
"""

from __future__ import annotations

from typing import Any
from weakref import WeakSet

from textual import events
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from onboard.i18n import _
from onboard.ui.widgets.step_indicator import RouteIndicator

MIN_COLUMNS = 80
MIN_LINES = 24

# Apps whose screen changes are watched already.
_watched: WeakSet[App[Any]] = WeakSet()


def too_small_text(columns: int, lines: int) -> str:
    return _("This window is {columns}×{lines}. onboard needs at least {min_columns}×"
             "{min_lines}: make the window bigger or the font smaller.").format(
                 columns=columns, lines=lines, min_columns=MIN_COLUMNS, min_lines=MIN_LINES)


def is_too_small(columns: int, lines: int) -> bool:
    return columns < MIN_COLUMNS or lines < MIN_LINES


class TooSmallScreen(Screen[None]):
    """Covers the screen under it while the window is too small; `guard_window_size` takes it
    away again."""

    CSS_PATH = "too_small.tcss"

    def compose(self) -> ComposeResult:
        columns, lines = self.app.size
        with Horizontal(id="too-small-top"):
            yield RouteIndicator(id="route")  # the route stays visible here too
        yield Static(Content(too_small_text(columns, lines)), id="too-small")

    def show_size(self, columns: int, lines: int) -> None:
        self.query_one("#too-small", Static).update(Content(too_small_text(columns, lines)))


def guard_window_size(app: App[Any]) -> None:
    """Show TooSmallScreen over the current screen while the window is too small, take it
    away when it is big enough."""
    if app not in _watched:
        # A step that ends by itself (a connection made) closes what covers it, and the
        # coordinator shows the next step: that one needs covering again.
        _watched.add(app)
        app.screen_change_signal.subscribe(app, lambda _screen: guard_window_size(app))
    if not app.screen_stack:
        return  # the app is closing
    columns, lines = app.size
    top = app.screen
    if isinstance(top, TooSmallScreen):
        if is_too_small(columns, lines):
            top.show_size(columns, lines)
            return
        app.pop_screen()
        # The screen under it did not see the window change size (e.g. the QR view lays
        # its code out for the size): tell it now.
        app.screen.post_message(events.Resize(app.size, app.size))
        return
    if not is_too_small(columns, lines) or len(app.screen_stack) < 2:
        return  # big enough, or only the app's empty first screen (the first step is checked)
    app.push_screen(TooSmallScreen())
