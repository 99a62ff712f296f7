"""The "I already have an account" path: not there yet, and said so plainly."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Static

from onboard.i18n import _
from onboard.ui.screens.base import WizardScreen
from onboard.ui.text import N_


class ExistingAccountScreen(WizardScreen[None]):
    """Says honestly that using an existing account is not there yet. Only goes back."""

    STEP = 0
    STEP_TITLE = N_("I already have an account")
    CSS_PATH = "existing.tcss"
    AUTO_FOCUS = "#back"

    def compose_body(self) -> ComposeResult:
        yield Static(
            _("Setting up an account you already have (for example to check it or to set up "
              "encryption) comes in a later version of this tool."),
            id="existing-text",
        )
        yield Static(
            _("You do not need this tool to use your account: log in with any XMPP app, "
              "such as Conversations on Android, Monal on iOS, or Gajim or Dino on a computer."),
            id="existing-apps",
        )
        yield Button(_("Back"), id="back", variant="primary")

    @on(Button.Pressed, "#back")
    def _back(self) -> None:
        self.action_back()
