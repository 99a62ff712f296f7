"""Step 5: the name part of the address and the password."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Input, Static

from onboard.core.errors import NameTakenError, OnboardError
from onboard.core.flow import WizardState
from onboard.core.validation import (
    generate_password,
    normalize_username,
    password_strength,
    username_problem,
)
from onboard.i18n import _
from onboard.ui.screens.base import WizardScreen
from onboard.ui.text import N_

MIN_SCORE = 2  # "fair": below that a server may refuse it, and it is easy to guess


class AccountScreen(WizardScreen[str]):
    """Dismisses with the normalized username, or BACK.

    Stores `username`, `password` and `password_generated` in the state. A generated password
    is shown once, right after it was generated, so it can be written down; an own password
    must be typed twice.
    """

    STEP = 5
    STEP_TITLE = N_("Your address and password")
    GUIDE = "safe-device"
    CSS_PATH = "account.tcss"
    AUTO_FOCUS = "#username"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+g", "generate", N_("Generate password"), id="generate"),
    ]

    def __init__(self, state: WizardState, notice: OnboardError | None = None) -> None:
        super().__init__(state)
        self.notice = notice
        # The generated password while the field still holds it unchanged.
        self._generated: str | None = state.password if state.password_generated else None

    def compose_body(self) -> ComposeResult:
        if self.notice is not None:
            with Vertical(id="notice"):
                yield Static(Content(self.notice.message), id="notice-message")
                yield Static(Content(self.notice.hint), id="notice-hint")
                suggestions = (self.notice.suggestions
                               if isinstance(self.notice, NameTakenError) else [])
                if suggestions:
                    with Horizontal(id="suggestions"):
                        for index, name in enumerate(suggestions):
                            yield Button(Content(name), name=name, id=f"suggestion-{index}",
                                         classes="suggestion", compact=True)
        with Horizontal(classes="row"):
            yield Static(_("Name:"), classes="row-label")
            yield Input(value=self.state.username, placeholder=_("for example alice"),
                        id="username")
        yield Static("", id="username-status", classes="status")
        with Horizontal(classes="row"):
            yield Static(_("Password:"), classes="row-label")
            yield Input(value=self.state.password, password=True, id="password")
            yield Button(_("Generate a strong password"), id="generate")
        yield Static("", id="strength", classes="status")
        with Vertical(id="reveal"):
            yield Static("", id="reveal-password")
            yield Static(_("Write it down or put it in a password manager now: it is not shown "
                           "again. It is also saved with the account on this computer."),
                         id="reveal-note")
            yield Button(_("Copy to clipboard"), id="copy", compact=True)
        with Horizontal(classes="row", id="repeat-row"):
            yield Static(_("Repeat:"), classes="row-label")
            yield Input(value=self.state.password if not self.state.password_generated else "",
                        password=True, id="repeat", placeholder=_("the same password again"))
        yield Static("", id="password-problem", classes="status")
        with Horizontal(id="buttons"):
            yield Button(_("Back"), id="back")
            yield Button(_("Continue"), id="continue", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#reveal").display = False
        self._update_username(self.state.username)
        self._update_password(self.state.password)

    # --- live feedback ---------------------------------------------------------------------

    def _update_username(self, raw: str, *, submitting: bool = False) -> str | None:
        status = self.query_one("#username-status", Static)
        if not raw.strip() and not submitting:
            status.update("")
            status.remove_class("-problem")
            return username_problem(raw)
        problem = username_problem(raw)
        if problem:
            status.update(Content(problem))
        else:
            address = f"{normalize_username(raw)}@{self.state.domain}"
            status.update(Content(_("Your address will be {address}").format(address=address)))
        status.set_class(bool(problem), "-problem")
        return problem

    def _update_password(self, password: str) -> None:
        if self._generated is not None and password != self._generated:
            self._generated = None  # edited: it is the user's own password now
            self.query_one("#reveal").display = False
        strength = self.query_one("#strength", Static)
        if password:
            score = password_strength(password)
            strength.update(Content(_("Strength: {label}").format(label=score.label)))
            strength.set_class(score.score < MIN_SCORE, "-problem")
        else:
            strength.update(Content(_("Type a password, or generate one (Ctrl+G).")))
            strength.remove_class("-problem")
        self.query_one("#repeat-row").display = bool(password) and self._generated is None
        self.query_one("#password-problem", Static).update("")

    @on(Input.Changed, "#username")
    def _username_changed(self, event: Input.Changed) -> None:
        self._update_username(event.value)

    @on(Input.Changed, "#password")
    def _password_changed(self, event: Input.Changed) -> None:
        self._update_password(event.value)

    @on(Input.Changed, "#repeat")
    def _repeat_changed(self) -> None:
        self.query_one("#password-problem", Static).update("")

    # --- actions ---------------------------------------------------------------------------

    @on(Button.Pressed, "#generate")
    def action_generate(self) -> None:
        password = generate_password()
        self._generated = password
        self.query_one("#password", Input).value = password
        self.query_one("#repeat", Input).value = ""
        self.query_one("#reveal-password", Static).update(
            Content.assemble(_("Your new password:"), "  ", (password, "bold"))
        )
        self.query_one("#reveal").display = True
        self._update_password(password)
        self.query_one("#continue", Button).focus()

    @on(Button.Pressed, "#copy")
    def _copy(self) -> None:
        if self._generated is not None:
            self.app.copy_to_clipboard(self._generated)
            self.notify(_("Copied. Paste it into your password manager."), timeout=4)

    @on(Button.Pressed, ".suggestion")
    def _suggestion(self, event: Button.Pressed) -> None:
        self.query_one("#username", Input).value = event.button.name or ""
        self.query_one("#continue", Button).focus()

    @on(Input.Submitted, "#username")
    def _username_submitted(self) -> None:
        if self._update_username(self.query_one("#username", Input).value,
                                 submitting=True) is None:
            self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    def _password_submitted(self) -> None:
        repeat = self.query_one("#repeat", Input)
        if repeat.display and not repeat.value:
            repeat.focus()
        else:
            self._continue()

    @on(Input.Submitted, "#repeat")
    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        username_input = self.query_one("#username", Input)
        if self._update_username(username_input.value, submitting=True):
            username_input.focus()
            return
        password_input = self.query_one("#password", Input)
        password = password_input.value
        problem = self._password_problem(password)
        if problem:
            label = self.query_one("#password-problem", Static)
            label.update(Content(problem))
            label.add_class("-problem")
            repeat = self.query_one("#repeat", Input)
            (repeat if problem == self._mismatch_text() else password_input).focus()
            return
        self.state.username = normalize_username(username_input.value)
        self.state.password = password
        self.state.password_generated = self._generated is not None
        self.dismiss(self.state.username)

    def _mismatch_text(self) -> str:
        return _("The two passwords are not the same.")

    def _password_problem(self, password: str) -> str | None:
        if not password:
            return _("Enter a password, or generate one.")
        if password_strength(password).score < MIN_SCORE:
            return _("This password is too easy to guess. Make it longer, or generate one.")
        if self._generated is None and self.query_one("#repeat", Input).value != password:
            return self._mismatch_text()
        return None

    @on(Button.Pressed, "#back")
    def _back(self) -> None:
        self.action_back()
