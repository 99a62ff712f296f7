"""Step 6c: send the answers, then log in once with the new account to check it works."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, LoadingIndicator, Static

from onboard.core.errors import (
    InvalidInputError,
    NameTakenError,
    NotAcceptableError,
    OnboardError,
    RateLimitedError,
    RegistrationClosedError,
    StorageError,
)
from onboard.core.flow import WizardState
from onboard.core.xmpp.forms import Answers
from onboard.i18n import _
from onboard.ui.results import GoTo, Outcome
from onboard.ui.screens.base import WizardScreen
from onboard.ui.text import N_
from onboard.ui.widgets.error_panel import ErrorPanel, as_onboard_error, web_url_of

if TYPE_CHECKING:
    from onboard.core.xmpp.registration import RegisteredAccount

Submit = Callable[[Answers], Awaitable["RegisteredAccount"]]
Verify = Callable[[], Awaitable[None]]


def submission(state: WizardState) -> Answers:
    """The form's answers plus the name and password from the account step."""
    return {**state.answers, "username": [state.username], "password": [state.password]}


class CreatingScreen(WizardScreen[Outcome]):
    """Dismisses with an `Outcome` (GoTo.DONE once the account exists), or BACK after an error.

    Name taken → Outcome(ACCOUNT, error); a refused answer → Outcome(FORM, error) (the
    coordinator fetches a fresh form, since a CAPTCHA is single use). Other errors are shown
    here with buttons. Back is disabled while a request is under way.
    """

    STEP = 6
    STEP_TITLE = N_("Creating your account")
    GUIDE = "safe-device"
    CSS_PATH = "creating.tcss"

    class AccountCreated(Message):
        def __init__(self, account: RegisteredAccount) -> None:
            super().__init__()
            self.account = account

    class CreateFailed(Message):
        def __init__(self, error: OnboardError) -> None:
            super().__init__()
            self.error = error

    class LoginVerified(Message):
        pass

    class LoginCheckFailed(Message):
        def __init__(self, error: OnboardError) -> None:
            super().__init__()
            self.error = error

    def __init__(self, state: WizardState, *, submit: Submit, verify: Verify) -> None:
        super().__init__(state)
        self._submit = submit
        self._verify = verify
        self.busy = True
        self.error: OnboardError | None = None
        self._lines: list[str] = []

    def compose_body(self) -> ComposeResult:
        yield Static(id="progress")
        yield LoadingIndicator(id="loading")
        yield Button(_("Continue"), id="continue", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#continue").display = False
        self._say(_("Creating your account {address}…").format(
            address=self.state.address_preview))
        self.submit_answers()

    def _say(self, line: str) -> None:
        self._lines.append(line)
        self.query_one("#progress", Static).update(Content("\n".join(self._lines)))

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.query_one("#loading").display = busy
        self.refresh_bindings()

    async def _show_error(self, error: OnboardError, choices: list[tuple[str, str]],
                          extra: str = "") -> None:
        self.error = error
        self._set_busy(False)
        await self.query("#error").remove()
        await self.query_one("#body").mount(ErrorPanel(error, choices, extra=extra, id="error"))

    # --- workers: call the core, report what happened ------------------------------------------

    @work(exclusive=True, group="create", exit_on_error=False)
    async def submit_answers(self) -> None:
        try:
            account = await self._submit(submission(self.state))
        except Exception as error:
            self.post_message(self.CreateFailed(as_onboard_error(error)))
        else:
            self.post_message(self.AccountCreated(account))

    @work(exclusive=True, group="create", exit_on_error=False)
    async def verify_login(self) -> None:
        try:
            await self._verify()
        except Exception as error:
            self.post_message(self.LoginCheckFailed(as_onboard_error(error)))
        else:
            self.post_message(self.LoginVerified())

    # --- what happened ---------------------------------------------------------------------

    @on(AccountCreated)
    def _created(self, message: AccountCreated) -> None:
        account = message.account
        self.state.jid = account.jid
        self.state.credentials_file = account.credentials_file
        self._say(_("Account created, saved to {file}").format(file=account.credentials_file))
        if self.state.route_note:
            self._say(self.state.route_note)
        self._start_check()

    def _start_check(self) -> None:
        self._set_busy(True)
        self._say(_("Logging in once to check…"))
        self.verify_login()

    @on(LoginVerified)
    def _verified(self) -> None:
        self.state.login_verified = True
        self._say(_("It works."))
        self._set_busy(False)
        button = self.query_one("#continue", Button)
        button.display = True
        button.focus()

    @on(LoginCheckFailed)
    async def _check_failed(self, message: LoginCheckFailed) -> None:
        self.state.login_verified = False
        extra = _("Your account {address} was created and is saved in {file}, but logging in "
                  "with it did not work yet.").format(address=self.state.jid,
                                                      file=self.state.credentials_file)
        await self._show_error(message.error,
                               [("check", _("Check again")), ("done", _("Continue"))],
                               extra=extra)

    @on(CreateFailed)
    async def _failed(self, message: CreateFailed) -> None:
        error = message.error
        if isinstance(error, NameTakenError):
            self.dismiss(Outcome(GoTo.ACCOUNT, error))
            return
        if isinstance(error, NotAcceptableError) and error.kind in ("weak-password", "username"):
            # Only the account step can change these: the form screen has no name or password.
            self.dismiss(Outcome(GoTo.ACCOUNT, error))
            return
        if isinstance(error, NotAcceptableError | InvalidInputError):
            self.dismiss(Outcome(GoTo.FORM, error))
            return
        server = (GoTo.SERVER.value, _("Choose another server"))
        retry = (GoTo.RETRY.value, _("Try again"))
        back = ("back", _("Back"))
        if isinstance(error, RateLimitedError | RegistrationClosedError):
            choices = [server, retry]
            if web_url_of(error):
                choices.append(("open-web", _("Open the sign-up page")))
        else:
            choices = [retry, back, server]
        if isinstance(error, StorageError) and error.account_created:
            # The only place besides the account step where the password can be shown: the
            # server created the account but the file could not be written, and the hint asks
            # to write the password down.
            choices.append(("show-password", _("Show the password")))
        await self._show_error(error, choices)

    @on(ErrorPanel.Chosen)
    def _chosen(self, message: ErrorPanel.Chosen) -> None:
        choice = message.choice
        if choice == "check":
            self.query("#error").remove()
            self._start_check()
        elif choice == "done":
            self.dismiss(Outcome(GoTo.DONE))
        elif choice == "back":
            self.action_back()
        elif choice == "show-password":
            self._reveal_password()
        elif choice == "open-web":
            url = web_url_of(self.error)
            if url:
                self.app.open_url(url)  # with Tor on: a note to use Tor Browser (OnboardApp)
        else:
            self.dismiss(Outcome(GoTo(choice), self.error))

    def _reveal_password(self) -> None:
        if self.query("#revealed"):
            return
        text = Content.assemble(
            _("Address:"), " ", (self.state.address_preview, "bold"), "\n",
            _("Password:"), " ", (self.state.password, "bold"),
        )
        self.query_one("#error", ErrorPanel).mount(Static(text, id="revealed"))

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        self.dismiss(Outcome(GoTo.DONE))

    # --- keys ----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            if self.state.jid:
                return False  # the account exists: there is no going back
            return None if self.busy else True
        return super().check_action(action, parameters)

    def action_back(self) -> None:
        if self.busy or self.state.jid:
            return
        super().action_back()
