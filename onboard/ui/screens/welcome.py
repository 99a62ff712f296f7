"""Step 1: what this tool does, new or existing account, the language, and helper mode.

Helper mode ("I'm helping someone") is for a helper at a table with a friend: the helper's own
address, asked here once (optional, checked), becomes the friend's first contact; `h` shows the
session checklist on every step; the Done screen shows the helper's address as a QR code and
writes the handout to print.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, Checkbox, Input, RadioButton, RadioSet, Static

from onboard.core.errors import InvalidInputError
from onboard.i18n import _, current_language, set_language
from onboard.ui.screens.base import WizardScreen
from onboard.ui.text import LANGUAGES, N_, translate_bindings

WelcomeChoice = Literal["create", "existing"]


class WelcomeScreen(WizardScreen[WelcomeChoice]):
    """Dismisses with "create" or "existing"; BACK (Esc) quits the wizard. Sets
    `state.helper_mode` and `state.helper_jid` (checked) on the way."""

    STEP = 1
    STEP_TITLE = N_("Welcome")
    GUIDE = "next-steps"
    CSS_PATH = "welcome.tcss"
    AUTO_FOCUS = "#create"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", N_("Quit"), id="back"),
    ]

    @staticmethod
    def texts() -> dict[str, str]:
        """Every text of this screen by widget id, in the current language."""
        return {
            "headline": _("Get your own address on the free XMPP chat network"),
            "intro": _(
                "XMPP is an open chat network run by many independent servers: like with "
                "email, people on one server can write to people on any other. This wizard "
                "helps you pick a server and a name, asks that server to create your account, "
                "saves the address and password in a private file on this computer, and logs "
                "in once to check that it works. It talks only to the server you choose, and "
                "it does not install a chat app for you."),
            "helper-mode": _("I'm helping someone set up their account"),
            "helper-label": _("Your own address (optional):"),
            "helper-hint": _("It becomes their first contact. h shows the session checklist."),
            "create": _("Create a new account"),
            "existing": _("I already have an account"),
            "language-label": _("Language / Sprache"),
        }

    def compose_body(self) -> ComposeResult:
        texts = self.texts()
        yield Static(texts["headline"], id="headline")
        yield Static(texts["intro"], id="intro")
        yield Checkbox(texts["helper-mode"], self.state.helper_mode, compact=True,
                       id="helper-mode")
        with Horizontal(id="helper-row"):
            yield Static(texts["helper-label"], id="helper-label")
            yield Input(value=self.state.helper_jid, placeholder=self.helper_placeholder(),
                        compact=True, id="helper-jid")
        yield Static(texts["helper-hint"], id="helper-hint")
        with Horizontal(id="choices"):
            yield Button(texts["create"], id="create", variant="primary")
            yield Button(texts["existing"], id="existing")
        yield Static(texts["language-label"], id="language-label")
        language = current_language()
        with RadioSet(id="language"):
            for code, name in LANGUAGES:
                yield RadioButton(name, value=code == language, name=code)

    @staticmethod
    def helper_placeholder() -> str:
        return _("for example helper@example.net")

    def on_mount(self) -> None:
        super().on_mount()
        self._show_helper_row()

    def refresh_texts(self) -> None:
        """Show every text again in the current language (after a language switch)."""
        for widget_id, text in self.texts().items():
            widget = self.query_one(f"#{widget_id}")
            if isinstance(widget, Button | Checkbox):
                widget.label = text
            elif isinstance(widget, Static):
                widget.update(text)
        self.query_one("#helper-jid", Input).placeholder = self.helper_placeholder()
        if self.query_one("#helper-hint", Static).has_class("-problem"):
            self._check_helper()  # the problem in the new language
        self.query_one("#step").refresh()
        translate_bindings(self)
        translate_bindings(self.app)
        self.refresh_bindings()

    @on(Button.Pressed, "#create")
    def _create(self) -> None:
        if self._check_helper():
            self.dismiss("create")

    @on(Button.Pressed, "#existing")
    def _existing(self) -> None:
        if self._check_helper():
            self.dismiss("existing")

    # --- helper mode ---------------------------------------------------------------------------

    def _show_helper_row(self) -> None:
        on = self.state.helper_mode
        self.query_one("#helper-row").display = on
        self.query_one("#helper-hint").display = on

    @on(Checkbox.Changed, "#helper-mode")
    def _helper_mode_changed(self, event: Checkbox.Changed) -> None:
        self.state.helper_mode = event.value
        self._show_helper_row()
        self.refresh_bindings()

    @on(Input.Changed, "#helper-jid")
    def _helper_typed(self) -> None:
        hint = self.query_one("#helper-hint", Static)
        if hint.has_class("-problem"):
            hint.remove_class("-problem")
            hint.update(self.texts()["helper-hint"])

    @on(Input.Submitted, "#helper-jid")
    def _helper_entered(self) -> None:
        if self._check_helper():
            self.query_one("#create", Button).focus()

    def _check_helper(self) -> bool:
        """Keep the helper's address in the state when it is one (or none is given); else say
        what is wrong with it and stay in the field."""
        if not self.state.helper_mode:
            self.state.helper_jid = ""
            return True
        from onboard.core.omemo.jid import bare_jid

        field = self.query_one("#helper-jid", Input)
        text = field.value.strip()
        try:
            self.state.helper_jid = bare_jid(text) if text else ""
        except InvalidInputError as error:
            hint = self.query_one("#helper-hint", Static)
            hint.add_class("-problem")
            hint.update(Content(error.message))
            field.focus()
            return False
        return True

    @on(RadioSet.Changed, "#language")
    def _language_changed(self, event: RadioSet.Changed) -> None:
        code = event.pressed.name or "en"
        if code == current_language():
            return
        self.state.language = set_language(code)
        self.refresh_texts()
