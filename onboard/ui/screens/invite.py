"""After Done: an invite for a friend (XEP-0401), when the account's server offers invites.

A worker logs in with the new account (through the wizard's network: over Tor when Tor is on)
and has the server make an invite; the core bounds each step with its time-out, and Esc stops
it at once. The invite is shown as QR codes: the server's https invite page when it gives one
(any phone's camera opens it, and it says which app to install) and the xmpp: link (for a
phone that already has an XMPP app), with what the friend does next. A server without invites
says so plainly, with Back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, LoadingIndicator, Static

from onboard.core.errors import InvitesUnavailableError, OnboardError
from onboard.core.flow import WizardState
from onboard.i18n import _
from onboard.ui.results import GoTo
from onboard.ui.screens.base import WizardScreen
from onboard.ui.text import N_
from onboard.ui.widgets.error_panel import ErrorPanel, as_onboard_error
from onboard.ui.widgets.qr import QRCode

if TYPE_CHECKING:
    from onboard.core.xmpp.invites import Invite

# Makes the invite, logged in as the state's account.
MakeInvite = Callable[[], Awaitable["Invite"]]
# Columns between the two codes when they are side by side.
GAP = 2


class InviteScreen(WizardScreen[None]):
    """Dismisses with BACK (Esc when nothing is running, or the Back button)."""

    STEP = 7
    STEP_TITLE = N_("Invite a friend")
    GUIDE = "next-steps"
    CSS_PATH = "invite.tcss"
    BINDINGS: ClassVar[list[BindingType]] = []

    class Made(Message):
        def __init__(self, invite: Invite) -> None:
            super().__init__()
            self.invite = invite

    class Failed(Message):
        def __init__(self, error: OnboardError) -> None:
            super().__init__()
            self.error = error

    def __init__(self, state: WizardState, make: MakeInvite) -> None:
        super().__init__(state)
        self._make = make
        self.busy = False
        self.invite: Invite | None = None
        self.error: OnboardError | None = None

    def compose_body(self) -> ComposeResult:
        with Vertical(id="making"):
            yield Static(Content(self.progress_text()), id="progress")
            yield LoadingIndicator(id="loading")
            yield Static(_("Press Esc to stop."), id="stop-hint")
        yield Static("", id="invite-problem")
        yield Vertical(id="outcome")
        with Horizontal(id="invite-buttons"):
            yield Button(_("Try again"), id="again", variant="primary", compact=True)
            yield Button(_("Back"), id="back", compact=True)

    def progress_text(self) -> str:
        account, domain = self.state.jid, self.state.domain
        if self.state.tor_on:
            return _("Logging in as {account} over Tor and asking {domain} for an "
                     "invite…").format(account=account, domain=domain)
        return _("Logging in as {account} and asking {domain} for an invite…").format(
            account=account, domain=domain)

    def on_mount(self) -> None:
        super().on_mount()
        self.call_after_refresh(self.start)

    # --- making the invite ---------------------------------------------------------------------

    async def start(self) -> None:
        self.busy, self.invite, self.error = True, None, None
        self._note("")
        await self.query_one("#outcome").remove_children()
        self.query_one("#making").display = True
        self.query_one("#invite-buttons").display = False
        self.make_invite()

    @work(exclusive=True, group="invite", exit_on_error=False)
    async def make_invite(self) -> None:
        try:
            invite = await self._make()
        except Exception as error:  # every failure becomes a message the user can act on
            self.post_message(self.Failed(as_onboard_error(error)))
        else:
            self.post_message(self.Made(invite))

    def _stop_making(self) -> None:
        self.busy = False
        self.query_one("#making").display = False

    @on(Made)
    async def _made(self, message: Made) -> None:
        if not self.busy:
            return  # stopped meanwhile
        self._stop_making()
        invite = self.invite = message.invite
        await self.query_one("#outcome").mount_all(self._outcome(invite))
        self.query_one("#again", Button).label = _("New invite")
        self.query_one("#invite-buttons").display = True
        self.query_one("#back", Button).focus(scroll_visible=False)
        # The codes from their first line (focusing may have scrolled the body before).
        self.call_after_refresh(self.query_one("#body").scroll_home, animate=False)

    def _outcome(self, invite: Invite) -> list[Widget]:
        from onboard.core.xmpp.invites import invite_instructions

        codes: list[tuple[str, str, str]] = []
        if invite.landing_url:
            codes.append(("landing", _("Invite page, for any phone:"), invite.landing_url))
        codes.append(("uri", _("For a phone with an XMPP app:"), invite.uri))
        # L: the smaller code, enough on a screen.
        drawn = [QRCode(text, error_correction="L", id=f"{name}-qr")
                 for name, _label, text in codes]
        columns = [Vertical(Static(label, classes="code-label"), code, classes="code")
                   for (_name, label, _text), code in zip(codes, drawn, strict=True)]
        lines = [Static(Content(line), classes="line") for line in invite_instructions(invite)]
        links = [Static(Content(text), classes="link", id=f"{name}-link")
                 for name, _label, text in codes]
        headline = Static(_("✔ Invite made. Show your friend a code:"), id="headline")
        if len(columns) == 1:
            # One code: what to do beside it.
            return [headline, Horizontal(columns[0], Vertical(*links, *lines, id="beside"),
                                         id="codes")]
        row = Horizontal(*columns, id="codes")
        width = sum(len(code.matrix[0]) + GAP for code in drawn)
        if width > self.query_one("#body").content_region.width:
            row.add_class("-stacked")  # a long invite: the codes one under the other
        return [headline, row, *links, *lines]

    @on(Failed)
    async def _failed(self, message: Failed) -> None:
        if not self.busy:
            return
        self._stop_making()
        error = self.error = message.error
        choices = [("back", _("Back"))]
        if not isinstance(error, InvitesUnavailableError):
            choices.insert(0, (GoTo.RETRY.value, _("Try again")))
        await self.query_one("#outcome").mount(ErrorPanel(error, choices, id="error"))

    @on(ErrorPanel.Chosen)
    async def _chosen(self, message: ErrorPanel.Chosen) -> None:
        if message.choice == GoTo.RETRY.value:
            await self.start()
        else:
            self.action_back()

    @on(Button.Pressed, "#again")
    async def _again(self) -> None:
        await self.start()

    @on(Button.Pressed, "#back")
    def _back_pressed(self) -> None:
        self.action_back()

    def _note(self, text: str) -> None:
        note = self.query_one("#invite-problem", Static)
        note.update(text)
        note.display = bool(text)

    # --- stopping ------------------------------------------------------------------------------

    def action_back(self) -> None:
        if not self.busy:
            super().action_back()
            return
        self.workers.cancel_group(self, "invite")
        self._stop_making()
        self._note(_("Stopped. No invite was made."))
        self.query_one("#again", Button).label = _("Try again")
        self.query_one("#invite-buttons").display = True
        self.query_one("#again", Button).focus()
