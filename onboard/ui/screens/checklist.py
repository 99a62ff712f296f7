"""Helper mode: the checklist of the session, over whatever step the helper is on.

`h` on every step (in helper mode) shows it; Esc, or `h` again, goes back to the step as it was.
What the assistant knows is ticked from the wizard's state; the helper ticks the rest (the chat
app installed, logged in there, the first contact added) as it gets done.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from onboard.i18n import _
from onboard.ui.screens.base import WizardScreen
from onboard.ui.text import N_
from onboard.ui.widgets.checklist import Checklist


class ChecklistScreen(WizardScreen[None]):
    """Dismisses with BACK (Esc or h)."""

    STEP = 0
    STEP_TITLE = N_("Session checklist")
    GUIDE = "help-session"
    CSS_PATH = "checklist.tcss"
    AUTO_FOCUS = None

    def compose_body(self) -> ComposeResult:
        yield Static(_("What this session has done so far. The assistant ticks what it knows; "
                       "tick the rest (Space) when it is done."), id="checklist-intro")
        yield Checklist(self.state, hints=True, id="checklist")
        yield Static(_("Esc goes back to the step you were on."), id="checklist-back")

    def on_mount(self) -> None:
        super().on_mount()
        box = self.query_one("#checklist", Checklist).first_box()
        if box is not None:
            box.focus()

    def action_checklist(self) -> None:
        self.action_back()
