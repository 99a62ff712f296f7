"""Step 2, continued: what this setup protects for the answers given, what it does not, what to
do about it, and what the next steps will start with."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Static

from onboard.core.threat import ThreatAnswers, recommend, summary
from onboard.i18n import _
from onboard.ui.screens.base import WizardScreen
from onboard.ui.text import N_


class ThreatSummaryScreen(WizardScreen[bool]):
    """Dismisses with True (Continue, or Enter), or BACK to change the answers."""

    STEP = 2
    STEP_TITLE = N_("What this protects")
    GUIDE = "safe-device"
    CSS_PATH = "threat_summary.tcss"
    AUTO_FOCUS = "#summary"
    BODY_SCROLLS = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "continue", N_("Continue"), id="continue"),
    ]

    def compose_body(self) -> ComposeResult:
        answers = self.state.threat or ThreatAnswers()
        with VerticalScroll(id="summary"):
            yield from self._sections(answers)
        with Horizontal(id="buttons"):
            yield Button(_("Back"), id="back", compact=True)
            yield Button(_("Continue"), id="continue", variant="primary", compact=True)

    def _sections(self, answers: ThreatAnswers) -> ComposeResult:
        found = summary(answers)
        yield Static(_("No setup protects against everything. This is what this one does for "
                       "you, and what it does not."), id="summary-intro")
        sections = [
            ("protects", _("What it protects"), "✔", found.protects),
            ("does-not-protect", _("What it does not protect"), "✗", found.does_not_protect),
            ("advice", _("What you can do"), "→", found.advice),
            ("defaults", _("What the next steps start with (you can change each)"), "•",
             list(recommend(answers).reasons)),
        ]
        for section, title, mark, lines in sections:
            yield Static(title, classes="heading", id=f"{section}-heading")
            for index, line in enumerate(lines):
                with Horizontal(classes=f"item {section}", id=f"{section}-{index}"):
                    yield Static(mark, classes="mark")
                    yield Static(Content(line), classes="text")

    @on(Button.Pressed, "#continue")
    def action_continue(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#back")
    def _back(self) -> None:
        self.action_back()
