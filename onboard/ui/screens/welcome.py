"""Step 1: what this tool does, new or existing account, and the language."""

from __future__ import annotations

from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, RadioButton, RadioSet, Static

from onboard.i18n import _, current_language, set_language
from onboard.ui.screens.base import WizardScreen
from onboard.ui.text import N_, translate_bindings

WelcomeChoice = Literal["create", "existing"]

# Each language's name in itself: not translated.
LANGUAGES = (("en", "English"), ("de", "Deutsch"))


class WelcomeScreen(WizardScreen[WelcomeChoice]):
    """Dismisses with "create" or "existing"; BACK (Esc) quits the wizard."""

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
            "create": _("Create a new account"),
            "existing": _("I already have an account"),
            "language-label": _("Language / Sprache"),
        }

    def compose_body(self) -> ComposeResult:
        texts = self.texts()
        yield Static(texts["headline"], id="headline")
        yield Static(texts["intro"], id="intro")
        with Horizontal(id="choices"):
            yield Button(texts["create"], id="create", variant="primary")
            yield Button(texts["existing"], id="existing")
        yield Static(texts["language-label"], id="language-label")
        language = current_language()
        with RadioSet(id="language"):
            for code, name in LANGUAGES:
                yield RadioButton(name, value=code == language, name=code)

    def refresh_texts(self) -> None:
        """Show every text again in the current language (after a language switch)."""
        for widget_id, text in self.texts().items():
            widget = self.query_one(f"#{widget_id}")
            if isinstance(widget, Button):
                widget.label = text
            elif isinstance(widget, Static):
                widget.update(text)
        self.query_one("#step").refresh()
        translate_bindings(self)
        translate_bindings(self.app)
        self.refresh_bindings()

    @on(Button.Pressed, "#create")
    def _create(self) -> None:
        self.dismiss("create")

    @on(Button.Pressed, "#existing")
    def _existing(self) -> None:
        self.dismiss("existing")

    @on(RadioSet.Changed, "#language")
    def _language_changed(self, event: RadioSet.Changed) -> None:
        code = event.pressed.name or "en"
        if code == current_language():
            return
        self.state.language = set_language(code)
        self.refresh_texts()
