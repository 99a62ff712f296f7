"""Step 6a: connect to the server and fetch its sign-up form (Esc cancels)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import LoadingIndicator, Static

from onboard.core.errors import (
    DnsError,
    NoTlsError,
    OnboardError,
    RegistrationClosedError,
    TlsError,
)
from onboard.core.flow import WizardState
from onboard.core.xmpp.forms import RegistrationForm
from onboard.i18n import _
from onboard.ui.results import GoTo
from onboard.ui.screens.base import WizardScreen
from onboard.ui.text import N_
from onboard.ui.widgets.error_panel import ErrorPanel, as_onboard_error, web_url_of

FetchForm = Callable[[], Awaitable[RegistrationForm]]


class ConnectingScreen(WizardScreen[RegistrationForm | GoTo]):
    """Dismisses with the server's form, a `GoTo` the user chose after an error, or BACK.

    `fetch` is the coordinator's: the session it opens stays with the coordinator, which
    closes it when this screen is dismissed with anything but a form.
    """

    STEP = 6
    STEP_TITLE = N_("Connecting")
    GUIDE = "safe-device"
    CSS_PATH = "connecting.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+o", "open_web", N_("Open sign-up page"), id="open-web"),
    ]

    class FormFetched(Message):
        def __init__(self, form: RegistrationForm) -> None:
            super().__init__()
            self.form = form

    class FetchFailed(Message):
        def __init__(self, error: OnboardError) -> None:
            super().__init__()
            self.error = error

    def __init__(self, state: WizardState, fetch: FetchForm) -> None:
        super().__init__(state)
        self._fetch = fetch
        self.error: OnboardError | None = None

    def compose_body(self) -> ComposeResult:
        yield Static(Content(self._progress_text()), id="progress")
        yield LoadingIndicator(id="loading")
        yield Static(_("Press Esc to cancel."), id="cancel-hint")

    def _progress_text(self) -> str:
        domain = self.state.domain
        onion = self.state.onion_address()
        if onion:
            return _("Connecting to {domain} over Tor (its onion address {onion} first) "
                     "and asking for its sign-up form…").format(domain=domain, onion=onion)
        if self.state.tor_on:
            return _("Connecting to {domain} over Tor and asking for its sign-up form…").format(
                domain=domain)
        return _("Connecting to {domain} and asking for its sign-up form…").format(
            domain=domain)

    def on_mount(self) -> None:
        self.fetch_form()

    @work(exclusive=True, group="fetch-form", exit_on_error=False)
    async def fetch_form(self) -> None:
        try:
            form = await self._fetch()
        except Exception as error:  # every failure becomes a message the user can act on
            self.post_message(self.FetchFailed(as_onboard_error(error)))
        else:
            self.post_message(self.FormFetched(form))

    @on(FormFetched)
    def _form_fetched(self, message: FormFetched) -> None:
        self.dismiss(message.form)

    @on(FetchFailed)
    async def _fetch_failed(self, message: FetchFailed) -> None:
        error = self.error = message.error
        self.query_one("#loading").display = False
        self.query_one("#cancel-hint").display = False
        self.query_one("#body").add_class("-failed")
        self.query_one("#progress", Static).update(
            Content(_("Could not get the sign-up form of {domain}.").format(
                domain=self.state.domain))
        )
        await self.query_one("#body").mount(ErrorPanel(error, self.choices_for(error),
                                                       id="error"))
        self.refresh_bindings()

    def choices_for(self, error: OnboardError) -> list[tuple[str, str]]:
        retry = (GoTo.RETRY.value, _("Try again"))
        server = (GoTo.SERVER.value, _("Choose another server"))
        account = (GoTo.ACCOUNT.value, _("Back"))
        if isinstance(error, RegistrationClosedError):
            choices = [server]
            if web_url_of(error):
                choices.append(("open-web", _("Open the sign-up page")))
            return choices
        if isinstance(error, TlsError | NoTlsError | DnsError):
            return [server, retry, account]
        return [retry, server, account]

    @on(ErrorPanel.Chosen)
    def _chosen(self, message: ErrorPanel.Chosen) -> None:
        if message.choice == "open-web":
            self.action_open_web()
            return
        self.dismiss(GoTo(message.choice))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_web":
            return web_url_of(self.error) is not None
        return super().check_action(action, parameters)

    def action_open_web(self) -> None:
        url = web_url_of(self.error)
        if url:
            self.app.open_url(url)  # with Tor on: a note to use Tor Browser (OnboardApp)

    def action_back(self) -> None:
        self.workers.cancel_group(self, "fetch-form")
        super().action_back()
