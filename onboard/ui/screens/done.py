"""Step 7: the new address, where it is saved, what to do next, and the ways on: the encryption
keys (k), an invite for a friend (i) and the handout to print (p).

In helper mode it also shows the session checklist and, when the helper gave their address, a
QR code of `xmpp:<helper>?roster`: scanned in the new app, it adds the helper as a contact.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Static

from onboard.core.handout import roster_uri
from onboard.i18n import _
from onboard.ui.results import GoTo
from onboard.ui.screens.base import WizardScreen
from onboard.ui.text import N_
from onboard.ui.widgets.checklist import Checklist
from onboard.ui.widgets.qr import QRCode


class DoneScreen(WizardScreen[GoTo | None]):
    """Dismisses with None when the user quits (q, Esc or the button), GoTo.DEVICES to check
    the account's encryption keys (k), GoTo.INVITE for an invite (i) or GoTo.HANDOUT for the
    handout (p)."""

    STEP = 7
    STEP_TITLE = N_("Done")
    GUIDE = "next-steps"
    CSS_PATH = "done.tcss"
    AUTO_FOCUS = "#quit"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("k", "devices", N_("Encryption keys"), id="devices"),
        Binding("i", "invite", N_("Invite"), id="invite"),
        Binding("p", "handout", N_("Handout"), id="handout"),
        Binding("q", "finish", N_("Quit"), id="quit"),
        Binding("escape", "finish", N_("Quit"), id="back", show=False),
    ]

    def compose_body(self) -> ComposeResult:
        state = self.state
        helping = state.helper_mode
        with Horizontal(id="top"):
            with Vertical(id="summary"):
                yield Static(_("Your new address"), id="address-label")
                yield Static(Content(state.jid), id="address")
                if not helping:
                    yield from self._saved()
                yield from self._login()
                if helping:
                    yield Static(_("Session checklist"), id="checklist-label")
                    yield Checklist(state, id="checklist")
            if helping and state.helper_jid:
                with Vertical(id="helper-contact"):
                    yield Static(_("Add the helper as a contact"), id="helper-label")
                    # L: the smaller code, enough on a screen (nothing smudges it there).
                    yield QRCode(roster_uri(state.helper_jid), error_correction="L",
                                 id="helper-qr")
                    yield Static(Content(_("Scan this in your new app: it adds {helper}.")
                                         .format(helper=state.helper_jid)), id="helper-scan")
        if helping:
            yield from self._saved()
        yield Static(_("What next"), id="next-label")
        yield Static(
            _("Install a chat app: Conversations on Android, Monal on iPhone and iPad, "
              "Gajim or Dino on a computer. Log in there with this address and your "
              "password. People can reach you at this address from any XMPP server."),
            id="next",
        )
        yield Static(_("Then press k to check your app's encryption keys, and a friend's."),
                     id="next-keys")
        if helping:
            yield Static(_("Press i to invite a friend to your server (when it offers "
                           "invites), or p to write a page to print for them."),
                         id="next-more")
        with Horizontal(id="buttons"):
            yield Button(_("Quit"), id="quit", variant="primary")
            yield Button(_("Check encryption keys"), id="devices")

    def _saved(self) -> ComposeResult:
        if self.state.credentials_file is not None:
            yield Static(Content(_("Address and password are saved in {file} (readable only "
                                   "by you).").format(file=self.state.credentials_file)),
                         id="saved")

    def _login(self) -> ComposeResult:
        if self.state.login_verified:
            yield Static(_("✔ Logging in with the new account worked."), id="login", classes="-ok")
        else:
            yield Static(_("The login check did not work yet. Your account exists; try "
                           "logging in with your app in a minute."),
                         id="login", classes="-problem")

    def on_mount(self) -> None:
        super().on_mount()
        if self.state.helper_mode:
            # The checklist's first box to tick, beside the helper's code, rather than Quit
            # below them (Enter there would end the session).
            box = self.query_one("#checklist", Checklist).first_box()
            if box is not None:
                box.focus(scroll_visible=False)
            self.call_after_refresh(self.query_one("#body").scroll_home, animate=False)

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # Back from the checklist (h), the guide or a later step: show the ticks as they are.
        for checklist in self.query(Checklist):
            if checklist.is_mounted:
                checklist.sync()

    @on(Button.Pressed, "#quit")
    def action_finish(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#devices")
    def action_devices(self) -> None:
        self.dismiss(GoTo.DEVICES)

    def action_invite(self) -> None:
        self.dismiss(GoTo.INVITE)

    def action_handout(self) -> None:
        self.dismiss(GoTo.HANDOUT)
