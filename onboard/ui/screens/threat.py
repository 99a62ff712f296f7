"""Step 2: a few plain questions about who might be watching, so that the later steps start
with sensible choices (the summary of what that protects comes next, in threat_summary.py)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, Checkbox, Input, RadioButton, Static

from onboard.core.errors import InvalidInputError
from onboard.core.threat import CONCERNS, TOR_BLOCKED, ThreatAnswers, parse_country, questions
from onboard.i18n import _
from onboard.ui.screens.base import WizardScreen
from onboard.ui.text import N_
from onboard.ui.widgets.choice_set import ChoiceSet


class ThreatScreen(WizardScreen[ThreatAnswers]):
    """Dismisses with the answers (the state's earlier ones are shown again), or BACK."""

    STEP = 2
    STEP_TITLE = N_("Your situation")
    GUIDE = "safe-device"
    CSS_PATH = "threat.tcss"
    AUTO_FOCUS = "#concern-provider"

    def compose_body(self) -> ComposeResult:
        answers = self.state.threat or ThreatAnswers()
        chosen = {
            "hide_xmpp": "yes" if answers.hide_xmpp else "no",
            "tor_blocked": next(k for k, v in TOR_BLOCKED.items() if v is answers.tor_blocked),
        }
        yield Static(_("A few questions, so that the next steps start with good choices for "
                       "you. The answers stay on this computer, and you can change every "
                       "choice later."), id="threat-intro")
        for question in questions():
            if question.kind == "text":
                with Horizontal(id="country-row", classes="question"):
                    yield Static(question.text, id="country-question")
                    yield Input(value=answers.country or "", placeholder=_("e.g. DE or Germany"),
                                id="country", compact=True)
                yield Static(question.hint, id="country-hint")
                continue
            yield Static(question.text, classes="question", id=f"{question.id}-question")
            if question.kind == "many":
                for option in question.options:
                    yield Checkbox(option.label, option.id in answers.concerns,
                                   id=f"concern-{option.id}", compact=True)
            elif question.kind == "one":
                with ChoiceSet(id=question.id.replace("_", "-"), compact=True):
                    for option in question.options:
                        yield RadioButton(option.label, value=chosen[question.id] == option.id,
                                          name=option.id)
        yield Static("", id="country-problem")
        with Horizontal(id="buttons"):
            yield Button(_("Back"), id="back", compact=True)
            yield Button(_("Continue"), id="continue", variant="primary", compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        # Tab scrolls each question into view; Shift+Tab from the first reaches Continue.
        self.query_one("#body").can_focus = False
        for choices in self.query(ChoiceSet):
            choices.highlight_pressed()

    def _chosen(self, selector: str) -> str:
        pressed = self.query_one(selector, ChoiceSet).pressed_button
        return pressed.name if pressed is not None and pressed.name else ""

    def answers(self) -> ThreatAnswers:
        """What is ticked and chosen now; InvalidInputError for a country not known."""
        return ThreatAnswers(
            concerns=frozenset(c for c in CONCERNS
                               if self.query_one(f"#concern-{c}", Checkbox).value),
            hide_xmpp=self._chosen("#hide-xmpp") == "yes",
            tor_blocked=TOR_BLOCKED.get(self._chosen("#tor-blocked")),
            country=parse_country(self.query_one("#country", Input).value),
        )

    @on(ChoiceSet.Confirmed)
    def _next_question(self) -> None:
        # Enter on the option already chosen goes on to the next question.
        self.focus_next()

    @on(Input.Changed, "#country")
    def _country_changed(self) -> None:
        self.query_one("#country-problem", Static).update("")

    @on(Input.Submitted, "#country")
    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        try:
            answers = self.answers()
        except InvalidInputError as error:
            self.query_one("#country-problem", Static).update(Content(error.message))
            self.query_one("#country", Input).focus()
            return
        self.dismiss(answers)

    @on(Button.Pressed, "#back")
    def _back(self) -> None:
        self.action_back()
