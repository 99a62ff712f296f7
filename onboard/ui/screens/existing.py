"""The "I already have an account" path: log in with an account, to check its encryption keys.

Pick an account saved on this computer or type an address and its password (hidden). Logging in
reads the account's own OMEMO devices at once (one login, through the wizard's network; Esc
cancels), which the devices screen then shows. A wrong password is said under the password
field; everything typed stays. When Tor is asked for but not connected yet (this path skips the
connection step), the route is opened first, with its progress shown here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, LoadingIndicator, OptionList, Static
from textual.widgets.option_list import Option

from onboard.core.accounts import SavedAccount
from onboard.core.errors import InvalidInputError, LoginFailedError, OnboardError
from onboard.core.flow import WizardState
from onboard.core.omemo.jid import bare_jid
from onboard.i18n import _
from onboard.ui.encryption import FetchDevices, progress_text
from onboard.ui.results import GoTo
from onboard.ui.screens.base import WizardScreen
from onboard.ui.text import N_
from onboard.ui.widgets.error_panel import ErrorPanel, as_onboard_error

if TYPE_CHECKING:
    from onboard.core.omemo.pep import DeviceReport

# Gets the route ready before the login (the coordinator opens Tor when it is asked for but not
# connected yet), telling the screen what it does in words (also from other threads).
PrepareRoute = Callable[[Callable[[str], None]], Awaitable[None]]


def saved_choices(saved: Sequence[SavedAccount]) -> list[SavedAccount]:
    """One entry per address, newest first; an account the server confirmed before one whose
    creation is still pending."""
    chosen: dict[str, SavedAccount] = {}
    for account in saved:
        known = chosen.get(account.jid)
        if known is None or (known.status != "created" and account.status == "created"):
            chosen[account.jid] = account
    return list(chosen.values())


class ExistingAccountScreen(WizardScreen[str]):
    """Dismisses with the account's address once logging in worked (its devices are then in
    `state.own_devices`), or BACK. Esc while logging in stops that and stays."""

    STEP = 0
    STEP_TITLE = N_("I already have an account")
    GUIDE = "verify"
    CSS_PATH = "existing.tcss"

    class LoggedIn(Message):
        def __init__(self, report: DeviceReport) -> None:
            super().__init__()
            self.report = report

    class LoginFailed(Message):
        def __init__(self, error: OnboardError) -> None:
            super().__init__()
            self.error = error

    class Progressed(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, state: WizardState, fetch: FetchDevices,
                 saved: Sequence[SavedAccount] = (),
                 prepare: PrepareRoute | None = None) -> None:
        super().__init__(state)
        self._fetch = fetch
        self._prepare = prepare
        self.saved = saved_choices(saved)
        self.busy = False
        # The server settings the wizard was started with, for a typed address.
        self._preset = (state.host, state.port, state.direct_tls)

    def compose_body(self) -> ComposeResult:
        yield Static(_("Log in with your account to check its encryption keys (OMEMO "
                       "fingerprints) and to verify a friend's. Nothing on the account is "
                       "changed."), id="existing-intro")
        if self.saved:
            yield Static(_("Saved on this computer (Enter picks one):"), id="saved-label")
            yield OptionList(*(Option(Content(account.jid), id=str(index))
                               for index, account in enumerate(self.saved)), id="saved")
        with Horizontal(classes="row"):
            yield Static(_("Address:"), classes="row-label")
            yield Input(value=self.state.jid, placeholder=_("for example alice@example.org"),
                        id="address")
        yield Static("", id="address-problem", classes="problem")
        with Horizontal(classes="row"):
            yield Static(_("Password:"), classes="row-label")
            yield Input(value=self.state.password if self.state.jid else "", password=True,
                        id="password")
        yield Static("", id="password-problem", classes="problem")
        with Vertical(id="reading"):
            yield Static("", id="progress")
            yield LoadingIndicator(id="loading")
            yield Static(_("Press Esc to cancel."), id="cancel-hint")
        yield Vertical(id="error-area")
        with Horizontal(id="buttons"):
            yield Button(_("Back"), id="back")
            yield Button(_("Log in"), id="login", variant="primary")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#reading").display = False
        (self.query_one("#saved") if self.saved else self.query_one("#address", Input)).focus()

    # --- the form ------------------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#saved")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        account = self.saved[int(event.option.id or 0)]
        self.query_one("#address", Input).value = account.jid
        self.query_one("#password", Input).value = account.password
        self._clear_problems()
        self.query_one("#login", Button).focus()

    @on(Input.Changed)
    def _changed(self) -> None:
        self._clear_problems()

    def _clear_problems(self) -> None:
        for problem in self.query(".problem").results(Static):
            problem.update("")

    @on(Input.Submitted, "#address")
    def _address_submitted(self) -> None:
        password = self.query_one("#password", Input)
        if password.value:
            self._log_in()
        else:
            password.focus()

    @on(Input.Submitted, "#password")
    @on(Button.Pressed, "#login")
    def _log_in(self) -> None:
        if self.busy:
            return
        address_input = self.query_one("#address", Input)
        password_input = self.query_one("#password", Input)
        try:
            jid = bare_jid(address_input.value)
        except InvalidInputError as error:
            self.query_one("#address-problem", Static).update(Content(error.message))
            address_input.focus()
            return
        if not password_input.value:
            self.query_one("#password-problem", Static).update(
                _("Enter the password of this account."))
            password_input.focus()
            return
        self._use_account(jid, password_input.value)
        self.query("#error").remove()
        self.busy = True
        self.query_one("#login", Button).disabled = True
        self.query_one("#progress", Static).update(Content(progress_text(self.state)))
        self.query_one("#reading").display = True
        self.log_in()

    def _use_account(self, jid: str, password: str) -> None:
        state = self.state
        state.jid = jid
        state.username, _at, state.domain = jid.partition("@")
        state.password = password
        saved = next((account for account in self.saved if account.jid == jid), None)
        if saved is not None and saved.host:
            state.host, state.port, state.direct_tls = saved.host, saved.port, saved.direct_tls
        else:
            state.host, state.port, state.direct_tls = self._preset
        state.own_devices = None
        state.own_ticked = None

    # --- logging in ----------------------------------------------------------------------------

    @work(exclusive=True, group="login", exit_on_error=False)
    async def log_in(self) -> None:
        try:
            if self._prepare is not None:
                await self._prepare(self._progress)
                # The route is ready: say again what happens now (over Tor, say).
                self._progress(progress_text(self.state))
            report = await self._fetch(None)
        except Exception as error:  # every failure becomes a message the user can act on
            self.post_message(self.LoginFailed(as_onboard_error(error)))
        else:
            self.post_message(self.LoggedIn(report))

    def _progress(self, text: str) -> None:
        self.post_message(self.Progressed(text))  # also from tor's own threads

    @on(Progressed)
    def _progressed(self, message: Progressed) -> None:
        if self.busy:
            self.query_one("#progress", Static).update(Content(message.text))

    def _stop(self) -> None:
        self.busy = False
        self.query_one("#reading").display = False
        self.query_one("#login", Button).disabled = False

    @on(LoggedIn)
    def _logged_in(self, message: LoggedIn) -> None:
        self._stop()
        self.state.own_devices = message.report
        self.dismiss(self.state.jid)

    @on(LoginFailed)
    async def _failed(self, message: LoginFailed) -> None:
        self._stop()
        error = message.error
        if isinstance(error, LoginFailedError):
            self.query_one("#password-problem", Static).update(
                Content(f"{error.message} {error.hint}"))
            self.query_one("#password", Input).focus()
            return
        await self.query_one("#error-area").mount(ErrorPanel(
            error, [(GoTo.RETRY.value, _("Try again")), ("edit", _("Change the details"))],
            id="error"))

    @on(ErrorPanel.Chosen)
    async def _chosen(self, message: ErrorPanel.Chosen) -> None:
        await self.query("#error").remove()
        if message.choice == GoTo.RETRY.value:
            self._log_in()
        else:
            self.query_one("#address", Input).focus()

    @on(Button.Pressed, "#back")
    def _back(self) -> None:
        self.action_back()

    def action_back(self) -> None:
        if self.busy:
            self.workers.cancel_group(self, "login")
            self._stop()
            self.query_one("#password-problem", Static).update(
                _("Stopped. Press Enter to try again, or Esc to go back."))
            self.query_one("#password", Input).focus()
            return
        super().action_back()
