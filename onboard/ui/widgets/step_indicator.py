"""The one-line header of every step: progress dots and "Step 2 of 5: Server"."""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget

from onboard.i18n import _
from onboard.ui.text import tr

TOTAL_STEPS = 5


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
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.step = step
        self.total = total
        self.title_id = title

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
            return Content.from_markup("[b]$text[/b]", text=self.text)
        dots = "".join("●" if n <= self.step else "○" for n in range(1, self.total + 1))
        return Content.from_markup("$dots  [b]$text[/b]", dots=dots, text=self.text)
