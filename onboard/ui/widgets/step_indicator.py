"""The one-line header of every step: progress dots and "Step 4 of 7: Server"."""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget

from onboard.i18n import _
from onboard.ui.text import tr

TOTAL_STEPS = 7


class StepIndicator(Widget):
    """Shows where the user is. `title` is an untranslated message id, translated when drawn."""

    DEFAULT_CSS = """
    StepIndicator {
        dock: top;
        height: 1;
        width: 1fr;
        padding: 0 1;
        background: $primary;
        color: $text;
    }
    """

    def __init__(self, step: int, title: str, *, total: int = TOTAL_STEPS,
                 tor: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.step = step
        self.total = total
        self.title_id = title
        self.tor = tor

    def on_resize(self) -> None:
        self.refresh()  # the route text keeps to the right edge

    @property
    def route_text(self) -> str:
        """Always visible: whether everything goes through Tor."""
        return _("Tor: on") if self.tor else _("Tor: off")

    @property
    def text(self) -> str:
        title = tr(self.title_id)
        if not self.step:
            return title
        return _("Step {step} of {total}: {title}").format(
            step=self.step, total=self.total, title=title
        )

    def render(self) -> Content:
        if not self.step:
            left = Content.from_markup("[b]$text[/b]", text=self.text)
        else:
            dots = "".join("●" if n <= self.step else "○" for n in range(1, self.total + 1))
            left = Content.from_markup("$dots  [b]$text[/b]", dots=dots, text=self.text)
        route = Content.from_markup("[reverse] $route [/reverse]" if self.tor else "$route",
                                    route=self.route_text)
        # The route sits at the right edge.
        gap = max(self.content_size.width - left.cell_length - route.cell_length, 1)
        return Content.assemble(left, " " * gap, route)
