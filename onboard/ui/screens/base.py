"""What every step screen shares: step indicator, scrolling body, footer, Esc = Back, F1 (or ?)
the guide for the step, and in helper mode h the session checklist."""

from __future__ import annotations

from typing import ClassVar, Generic, TypeVar

from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Input, TextArea

from onboard.core.flow import WizardState
from onboard.ui.results import BACK, Back
from onboard.ui.screens.guide import GuideScreen
from onboard.ui.text import N_, translate_bindings
from onboard.ui.widgets.step_indicator import StepIndicator, route_status

R = TypeVar("R")


class WizardScreen(Screen[R | Back], Generic[R]):
    """A step of the wizard. Dismisses with its result, or with BACK.

    Subclasses set STEP (0 for a screen outside the numbered steps) and STEP_TITLE (a message
    id marked with N_), GUIDE (the guide F1 opens: a guide's slug, see guides/), and yield
    their content from `compose_body`.
    """

    STEP: ClassVar[int] = 0
    STEP_TITLE: ClassVar[str] = ""
    GUIDE: ClassVar[str] = "next-steps"
    BODY_SCROLLS: ClassVar[bool] = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", N_("Back"), id="back"),
        # F1 works whatever has focus; ? only when it is not typed into a text field.
        Binding("f1", "guide", N_("Guide"), id="guide", key_display="F1", priority=True),
        Binding("question_mark", "guide_key", N_("Guide"), id="guide-key", show=False),
        # Helper mode only (hidden otherwise), and not while typing into a text field.
        Binding("h", "checklist", N_("Checklist"), id="checklist"),
    ]

    def __init__(self, state: WizardState) -> None:
        super().__init__()
        self.state = state
        translate_bindings(self)

    def step_number(self) -> int:
        """The step shown in the indicator: STEP, unless the path skips the numbered steps."""
        return self.STEP

    def compose(self) -> ComposeResult:
        # The route as the state has it; the indicator then follows the app's checks.
        yield StepIndicator(self.step_number(), self.STEP_TITLE,
                            status=route_status(self.state), id="step")
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

    # --- the guide -----------------------------------------------------------------------------

    def typing(self) -> bool:
        """A text field has focus: a printable key is meant for it."""
        return isinstance(self.focused, Input | TextArea)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Subclasses that decide about their own actions end with this one's answer."""
        if action == "guide_key":
            return not self.typing()
        if action == "checklist":
            if not self.state.helper_mode:
                return False
            return None if self.typing() else True
        return True

    def action_guide(self) -> None:
        """Show this step's guide over it; Esc there comes back to the step as it was."""
        self.app.push_screen(GuideScreen(self.GUIDE, self.state.language,
                                         status=route_status(self.state)))

    def action_guide_key(self) -> None:
        if not self.typing():  # also for a screen whose check_action lets every action through
            self.action_guide()

    # --- helper mode: the session checklist ----------------------------------------------------

    def action_checklist(self) -> None:
        """Show the session checklist over this step; Esc there comes back to it as it was."""
        if not self.state.helper_mode or self.typing():
            return
        from onboard.ui.screens.checklist import ChecklistScreen  # it is a WizardScreen too

        self.app.push_screen(ChecklistScreen(self.state))

    def dismiss(self, result: R | Back | None = None) -> AwaitComplete:
        """Dismiss with `result`, closing first what is shown over this step (the guide, a
        dialog): a step that ends by itself (a connection made, a form fetched) must not leave
        it over the step that follows."""
        while self in self.app.screen_stack and self.app.screen is not self:
            self.app.pop_screen()
        return super().dismiss(result)


class EncryptionScreen(WizardScreen[R]):
    """A screen of the encryption step: the last numbered step after creating an account; on
    the existing-account path, which skips the numbered steps, its title alone."""

    STEP = 7
    STEP_TITLE = N_("Encryption")
    GUIDE = "verify"

    def step_number(self) -> int:
        return self.STEP if self.state.mode == "create" else 0
