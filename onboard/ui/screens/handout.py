"""After Done: the handout, one page to print and give to the friend, written to a file.

The page (onboard.core.handout) is in the friend's language: their address, the server and its
facts, QR codes of the verified fingerprints and of the helper's address, and the guides. It is
made from files on this computer only; nothing is sent. The password is on it only when the box
is ticked, which warns what that means. The file is written 0600 and never replaces another one
unless the user says so here.

Writing runs on the UI's own thread, not in a worker: it reads and writes a few local files
(no wait to cancel), and it switches the language of every `_()` while it renders the page in
the friend's language, which must not happen while a screen is being drawn.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Checkbox, Input, RadioButton, RadioSet, Static

from onboard.core.errors import InvalidInputError, OnboardError
from onboard.core.flow import WizardState
from onboard.core.handout import default_file_name, page_language
from onboard.i18n import _, ngettext
from onboard.ui.screens.base import WizardScreen
from onboard.ui.text import LANGUAGES, N_

if TYPE_CHECKING:
    from onboard.core.handout import HandoutData


def default_target(account_jid: str) -> str:
    """Where the page goes unless the user says otherwise: the home folder (as ~/…) when it can
    be written to, else the current folder."""
    name = default_file_name(account_jid)
    try:
        home = Path.home()
    except RuntimeError:  # no home folder known
        home = None
    if home is not None and home.is_dir() and os.access(home, os.W_OK):
        return f"~{os.sep}{name}"
    return str(Path.cwd() / name)


def target_path(text: str, account_jid: str) -> Path:
    """The file `text` names (~ expanded); a folder: the default name in it."""
    path = Path(text).expanduser()
    if text.endswith(("/", os.sep)) or path.is_dir():
        return path / default_file_name(account_jid)
    return path


class HandoutScreen(WizardScreen[None]):
    """Dismisses with BACK (Esc or the Back button)."""

    STEP = 7
    STEP_TITLE = N_("Handout")
    GUIDE = "help-session"
    CSS_PATH = "handout.tcss"
    AUTO_FOCUS = "#write"
    BINDINGS: ClassVar[list[BindingType]] = []

    def __init__(self, state: WizardState) -> None:
        super().__init__(state)
        self.written: Path | None = None
        self.exists: Path | None = None

    def compose_body(self) -> ComposeResult:
        state = self.state
        yield Static(Content(_(
            "One page to print and give to {jid}: the address, the server, QR codes of the "
            "verified encryption keys and of the helper, and the guides. It is written to a "
            "file on this computer; nothing is sent.").format(jid=state.jid)),
            id="handout-intro")
        with Horizontal(classes="row -spaced"):
            yield Static(_("Helper's address:"), classes="row-label")
            yield Input(value=state.helper_jid, placeholder=_("optional"), compact=True,
                        id="helper")
        with Horizontal(classes="row -spaced"):
            yield Static(_("Language:"), classes="row-label")
            language = page_language(state.language)
            with RadioSet(compact=True, id="language"):
                for code, name in LANGUAGES:
                    yield RadioButton(name, value=code == language, name=code)
        with Horizontal(classes="row"):
            yield Static("", classes="row-label")
            yield Checkbox(_("Include the password"), False, compact=True, id="password")
        yield Static(_("Anyone who finds a page with the password on it can log in, read the "
                       "new messages and write in the friend's name. Leave it off unless "
                       "they cannot keep it otherwise; then keep the page locked away."),
                     id="password-warning")
        with Horizontal(classes="row"):
            yield Static(_("File:"), classes="row-label")
            yield Input(value=default_target(state.jid), compact=True, id="path")
        yield Static("", id="handout-problem")
        with Vertical(id="exists"):
            yield Static("", id="exists-text")
            with Horizontal(classes="buttons"):
                yield Button(_("Replace it"), id="replace", variant="warning", compact=True)
                yield Button(_("Keep it"), id="keep", compact=True)
        yield Static("", id="written")
        with Horizontal(id="handout-buttons", classes="buttons"):
            yield Button(_("Write"), id="write", variant="primary", compact=True)
            yield Button(_("Back"), id="back", compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#exists").display = False
        self.query_one("#written").display = False
        self._note("")

    # --- the form ------------------------------------------------------------------------------

    @property
    def language(self) -> str:
        pressed = self.query_one("#language", RadioSet).pressed_button
        return page_language(pressed.name if pressed is not None else self.state.language)

    @property
    def include_password(self) -> bool:
        return self.query_one("#password", Checkbox).value

    @on(Checkbox.Changed, "#password")
    def _password_ticked(self, event: Checkbox.Changed) -> None:
        self.query_one("#password-warning").set_class(event.value, "-ticked")
        self._changed()

    @on(Input.Changed)
    @on(RadioSet.Changed)
    def _changed(self) -> None:
        """Anything changed: what was said about the last try no longer holds."""
        self._note("")
        self.query_one("#exists").display = False
        self.exists = None

    def _note(self, text: str) -> None:
        note = self.query_one("#handout-problem", Static)
        note.update(Content(text))
        note.display = bool(text)

    @on(Input.Submitted, "#helper")
    def _helper_entered(self) -> None:
        self.query_one("#language").focus()

    @on(Input.Submitted, "#path")
    def _path_entered(self) -> None:
        self.write()

    @on(Button.Pressed, "#write")
    def _write_pressed(self) -> None:
        self.write()

    @on(Button.Pressed, "#back")
    def _back_pressed(self) -> None:
        self.action_back()

    # --- writing -------------------------------------------------------------------------------

    def write(self, overwrite: bool = False) -> None:
        from onboard.core.handout import (
            HandoutExistsError,
            PasswordNotSavedError,
            collect,
            write_handout,
        )

        self._changed()
        self.query_one("#written").display = False
        text = self.query_one("#path", Input).value.strip()
        if not text:
            self._problem(_("Type where to write the page, for example {path}.").format(
                path=default_target(self.state.jid)), "#path")
            return
        helper = self.query_one("#helper", Input).value.strip()
        language = self.language
        try:
            target = target_path(text, self.state.jid)
            data = collect(self.state.jid, helper_jid=helper or None,
                           include_password=self.include_password, language=language)
            written = write_handout(data, target, language, overwrite=overwrite)
        except HandoutExistsError as error:
            self._ask_to_replace(error.path)
            return
        except InvalidInputError as error:  # the helper's address is not one
            self._problem(error.message, "#helper")
            return
        except PasswordNotSavedError as error:
            self._problem(f"{error.message} {error.hint}", "#password")
            return
        except (OnboardError, OSError) as error:
            message = error.message if isinstance(error, OnboardError) else str(error)
            hint = error.hint if isinstance(error, OnboardError) else ""
            self._problem(f"{message} {hint}".strip(), "#path")
            return
        self.written = written
        self._show_written(data, written)

    def _problem(self, text: str, field: str) -> None:
        self._note(text)
        self.query_one(field).focus()

    def _ask_to_replace(self, path: Path) -> None:
        self.exists = path
        self.query_one("#exists-text", Static).update(Content(
            _("{path} already exists. Replace it with the new page?").format(path=path)))
        self.query_one("#exists").display = True
        self.query_one("#keep", Button).focus()

    @on(Button.Pressed, "#replace")
    def _replace(self) -> None:
        self.write(overwrite=True)

    @on(Button.Pressed, "#keep")
    def _keep(self) -> None:
        self._changed()
        path = self.query_one("#path", Input)
        path.focus()
        path.cursor_position = len(path.value)
        self._note(_("The file was kept. Change the name to write the page next to it."))

    def _show_written(self, data: HandoutData, written: Path) -> None:
        lines = [_("✔ Written to {path}").format(path=written)]
        count = len(data.own_devices)
        if count:
            lines.append(ngettext(
                "It has the QR code of {count} verified device of the account.",
                "It has the QR code of {count} verified devices of the account.",
                count).format(count=count))
        else:
            lines.append(_("No device of the account is verified yet, so it has no "
                           "fingerprint QR code: press k on the Done screen to compare them, "
                           "then write it again."))
        if data.includes_password:
            lines.append(_("It shows the password: delete the file after printing, and keep "
                           "the page locked away."))
        else:
            lines.append(_("The password is not on it."))
        lines.append(_("Open it in a web browser to print it."))
        shown = self.query_one("#written", Static)
        shown.update(Content("\n".join(lines)))
        shown.display = True
        self.query_one("#back", Button).focus()
