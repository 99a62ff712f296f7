"""Step 7: the new address, where it is saved, what to do next, and the way on to the
encryption keys (k)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, Static

from onboard.i18n import _
from onboard.ui.results import GoTo
from onboard.ui.screens.base import WizardScreen
from onboard.ui.text import N_


class DoneScreen(WizardScreen[GoTo | None]):
    """Dismisses with None when the user quits (q, Esc or the button), or with GoTo.DEVICES
    to check the account's encryption keys (k or the button)."""

    STEP = 7
    STEP_TITLE = N_("Done")
    GUIDE = "next-steps"
    CSS_PATH = "done.tcss"
    AUTO_FOCUS = "#quit"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("k", "devices", N_("Encryption keys"), id="devices"),
        Binding("q", "finish", N_("Quit"), id="quit"),
        Binding("escape", "finish", N_("Quit"), id="back", show=False),
    ]

    def compose_body(self) -> ComposeResult:
        state = self.state
        yield Static(_("Your new address"), id="address-label")
        yield Static(Content(state.jid), id="address")
        if state.credentials_file is not None:
            yield Static(Content(_("Address and password are saved in {file} (readable only "
                                   "by you).").format(file=state.credentials_file)),
                         id="saved")
        if state.login_verified:
            yield Static(_("✔ Logging in with the new account worked."), id="login", classes="-ok")
        else:
            yield Static(_("The login check did not work yet. Your account exists; try "
                           "logging in with your app in a minute."),
                         id="login", classes="-problem")
        yield Static(_("What next"), id="next-label")
        yield Static(
            _("Install a chat app: Conversations on Android, Monal on iPhone and iPad, "
              "Gajim or Dino on a computer. Log in there with this address and your "
              "password. People can reach you at this address from any XMPP server."),
            id="next",
        )
        yield Static(_("Then press k to check your app's encryption keys, and a friend's."),
                     id="next-keys")
        with Horizontal(id="buttons"):
            yield Button(_("Quit"), id="quit", variant="primary")
            yield Button(_("Check encryption keys"), id="devices")

    @on(Button.Pressed, "#quit")
    def action_finish(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#devices")
    def action_devices(self) -> None:
        self.dismiss(GoTo.DEVICES)
