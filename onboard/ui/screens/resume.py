"""Before the welcome: an account whose creation was not seen through, offered to continue with.

The assistant writes the credentials before it sends the request, so after a crash or a closed
window the file says an account may exist (see onboard.core.recovery). "Continue" logs in once
with the saved password to find out; "Not now" keeps the file, and it is offered again next
time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, LoadingIndicator, Static

from onboard.core.errors import OnboardError
from onboard.core.flow import WizardState
from onboard.i18n import _
from onboard.ui.screens.base import WizardScreen
from onboard.ui.text import N_
from onboard.ui.widgets.error_panel import ErrorPanel, as_onboard_error

if TYPE_CHECKING:
    from onboard.core.accounts import SavedAccount
    from onboard.core.recovery import CheckResult

Progress = Callable[[str], None]
CheckAccount = Callable[[Progress], Awaitable["CheckResult"]]


class ResumeScreen(WizardScreen["CheckResult | None"]):
    """Dismisses with the `CheckResult` once the account turned out CREATED, or NOT_CREATED
    and the user read that; None (or BACK) for "Not now" and "Later": the welcome follows.

    `check` is the coordinator's: it logs in through the wizard's network (over Tor when Tor
    was asked for) with the core's time-out. Esc cancels a check under way.
    """

    STEP = 1
    STEP_TITLE = N_("Welcome")
    GUIDE = "next-steps"
    CSS_PATH = "resume.tcss"
    AUTO_FOCUS = "#continue"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", N_("Not now"), id="back"),
        Binding("escape", "cancel_check", N_("Cancel"), id="cancel"),
    ]

    class Progressed(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Checked(Message):
        def __init__(self, result: CheckResult) -> None:
            super().__init__()
            self.result = result

    class CheckFailed(Message):
        def __init__(self, error: OnboardError) -> None:
            super().__init__()
            self.error = error

    def __init__(self, state: WizardState, account: SavedAccount, check: CheckAccount) -> None:
        super().__init__(state)
        self.account = account
        self._check = check
        self.checking = False
        self.result: CheckResult | None = None

    def compose_body(self) -> ComposeResult:
        account = self.account
        yield Static(Content(_("You have an account that was just created: {jid}. Continue "
                               "with it?").format(jid=account.jid)), id="headline")
        yield Static(Content(_("The assistant was closed before it could check that the "
                               "server {domain} created this account. Continue logs in once "
                               "with the saved password to find out. Not now keeps it saved, "
                               "and it is offered again next time.").format(
                                   domain=account.domain)), id="explain")
        with Horizontal(id="choices"):
            yield Button(_("Continue"), id="continue", variant="primary")
            yield Button(_("Not now"), id="later")
        yield Static(id="progress")
        yield LoadingIndicator(id="loading")
        yield Static(_("Press Esc to cancel."), id="cancel-hint")

    def on_mount(self) -> None:
        super().on_mount()
        self._show_offer()

    # --- the views -----------------------------------------------------------------------------

    def _show_offer(self, note: str = "") -> None:
        self.checking = False
        self.query_one("#choices").display = True
        self.query_one("#loading").display = False
        self.query_one("#cancel-hint").display = False
        progress = self.query_one("#progress", Static)
        progress.display = bool(note)
        progress.update(Content(note))
        self.query_one("#continue", Button).focus()
        self.refresh_bindings()

    async def _start_check(self) -> None:
        await self.query("#error, #outcome").remove()
        self.checking = True
        self.query_one("#choices").display = False
        self.query_one("#loading").display = True
        self.query_one("#cancel-hint").display = True
        self._say(_("Logging in as {jid} to check…").format(jid=self.account.jid))
        self.refresh_bindings()
        self.run_check()

    def _say(self, text: str) -> None:
        progress = self.query_one("#progress", Static)
        progress.display = True
        progress.update(Content(text))

    def _stop_progress(self) -> None:
        self.checking = False
        self.query_one("#loading").display = False
        self.query_one("#cancel-hint").display = False
        self.refresh_bindings()

    # --- the check -----------------------------------------------------------------------------

    @work(exclusive=True, group="resume-check", exit_on_error=False)
    async def run_check(self) -> None:
        try:
            result = await self._check(self._progress)
        except Exception as error:  # every failure becomes a message the user can act on
            self.post_message(self.CheckFailed(as_onboard_error(error)))
        else:
            self.post_message(self.Checked(result))

    def _progress(self, text: str) -> None:
        self.post_message(self.Progressed(text))  # also from Tor's own threads

    @on(Progressed)
    def _progressed(self, message: Progressed) -> None:
        if self.checking:
            self._say(message.text)

    @on(Checked)
    async def _checked(self, message: Checked) -> None:
        from onboard.core.recovery import Outcome

        if not self.checking:
            return  # cancelled meanwhile
        result = self.result = message.result
        self._stop_progress()
        if result.outcome is Outcome.CREATED:
            self.dismiss(result)
            return
        if result.outcome is Outcome.NOT_CREATED:
            self._say(result.message)
            await self.query_one("#body").mount(Static(Content(result.hint), id="outcome"),
                                                Button(_("Continue"), id="welcome",
                                                       variant="primary"))
            self.query_one("#welcome", Button).focus()
            return
        await self._show_unknown(result.error or OnboardError())

    @on(CheckFailed)
    async def _check_failed(self, message: CheckFailed) -> None:
        if not self.checking:
            return
        self._stop_progress()
        await self._show_unknown(message.error)

    async def _show_unknown(self, error: OnboardError) -> None:
        self._say(_("{jid} could not be checked.").format(jid=self.account.jid))
        extra = _("Its address and password stay saved on this computer, and the assistant "
                  "offers it again next time.")
        choices = [("retry", _("Try again")), ("later", _("Later"))]
        await self.query_one("#body").mount(ErrorPanel(error, choices, extra=extra, id="error"))

    # --- the user's choices --------------------------------------------------------------------

    @on(Button.Pressed, "#continue")
    async def _continue(self) -> None:
        await self._start_check()

    @on(Button.Pressed, "#later")
    def _later(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#welcome")
    def _to_welcome(self) -> None:
        self.dismiss(self.result)

    @on(ErrorPanel.Chosen)
    async def _chosen(self, message: ErrorPanel.Chosen) -> None:
        if message.choice == "retry":
            await self._start_check()
        else:
            self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # One Esc, two meanings: the footer names the one that applies now.
        if action == "back" and self.checking:
            return False
        if action == "cancel_check" and not self.checking:
            return False
        return super().check_action(action, parameters)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_cancel_check(self) -> None:
        self.workers.cancel_group(self, "resume-check")
        self._show_offer(_("Cancelled. Nothing was changed: the account is still saved."))
