"""What every step screen shares: step indicator, scrolling body, footer, Esc = Back."""

from __future__ import annotations

from typing import ClassVar, Generic, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Input, TextArea

from onboard.core.flow import WizardState
from onboard.ui.results import BACK, Back
from onboard.ui.text import N_, translate_bindings
from onboard.ui.widgets.step_indicator import StepIndicator

R = TypeVar("R")


class WizardScreen(Screen[R | Back], Generic[R]):
    """A step of the wizard. Dismisses with its result, or with BACK.

    Subclasses set STEP (0 for a screen outside the numbered steps) and STEP_TITLE (a message
    id marked with N_), and yield their content from `compose_body`.
    """

    STEP: ClassVar[int] = 0
    STEP_TITLE: ClassVar[str] = ""
    BODY_SCROLLS: ClassVar[bool] = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", N_("Back"), id="back"),
    ]

    def __init__(self, state: WizardState) -> None:
        super().__init__()
        self.state = state
        translate_bindings(self)

    def step_number(self) -> int:
        """The step shown in the indicator: STEP, unless the path skips the numbered steps."""
        return self.STEP

    def compose(self) -> ComposeResult:
        yield StepIndicator(self.step_number(), self.STEP_TITLE, tor=self.state.tor_on,
                            id="step")
        body = VerticalScroll(id="body") if self.BODY_SCROLLS else Vertical(id="body")
        with body:
            yield from self.compose_body()
        yield Footer(show_command_palette=False)

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.apply_cursor_blink()

    def apply_cursor_blink(self) -> None:
        """Turn the text cursor's blinking off when the app asks for it (snapshots)."""
        if getattr(self.app, "cursor_blink", True):
            return
        for widget in self.query("Input, TextArea"):
            if isinstance(widget, Input | TextArea):
                widget.cursor_blink = False

    def action_back(self) -> None:
        self.dismiss(BACK)


class EncryptionScreen(WizardScreen[R]):
    """A screen of the encryption step: the last numbered step after creating an account; on
    the existing-account path, which skips the numbered steps, its title alone."""

    STEP = 6
    STEP_TITLE = N_("Encryption")

    def step_number(self) -> int:
        return self.STEP if self.state.mode == "create" else 0
