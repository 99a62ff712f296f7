"""Step 2: the server, typed in or picked from a short list of good public servers."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, DataTable, Input, Static

from onboard.core.flow import WizardState
from onboard.core.providers import Provider
from onboard.core.validation import domain_problem, normalize_domain
from onboard.i18n import _
from onboard.ui.screens.base import WizardScreen
from onboard.ui.text import N_


class ServerScreen(WizardScreen[str]):
    """Dismisses with the chosen domain (also stored in `state.domain`), or BACK."""

    STEP = 2
    STEP_TITLE = N_("Server")
    CSS_PATH = "server.tcss"
    BODY_SCROLLS = False
    AUTO_FOCUS = "#domain"

    def __init__(self, state: WizardState, providers: Sequence[Provider]) -> None:
        super().__init__(state)
        self.providers = list(providers)

    def compose_body(self) -> ComposeResult:
        yield Static(
            _("Your account lives on a server. Any server works: people on different servers "
              "talk to each other freely (this is called federation)."),
            id="federation",
        )
        with Horizontal(id="domain-row"):
            yield Static(_("Server:"), id="domain-label")
            yield Input(value=self.state.domain, placeholder=_("for example example.org"),
                        id="domain")
        yield Static("", id="domain-problem")
        if self.providers:
            yield Static(_("Or pick one (Enter): public servers that allow sign-up from an "
                           "app."), id="list-label")
            table: DataTable[str] = DataTable(id="providers", cursor_type="row",
                                              zebra_stripes=True)
            yield table
        with Horizontal(id="buttons"):
            yield Button(_("Back"), id="back")
            yield Button(_("Continue"), id="continue", variant="primary")

    def on_mount(self) -> None:
        if self.providers:
            table = self.query_one("#providers", DataTable)
            yes, no = _("yes"), _("no")
            table.add_column(_("Server"), key="domain")
            table.add_column(_("Country"), key="countries")
            table.add_column(_("CAPTCHA"), key="captcha")
            table.add_column(_("Email needed"), key="email")
            for provider in self.providers:
                table.add_row(
                    provider.domain,
                    " ".join(provider.countries) or "?",
                    yes if provider.captcha else no,
                    yes if provider.email_required else no,
                    key=provider.domain,
                )
        if self.state.domain:
            self._show_problem(self.state.domain)

    def _show_problem(self, value: str) -> str | None:
        problem = domain_problem(value)
        label = self.query_one("#domain-problem", Static)
        label.update(Content(problem or ""))
        label.set_class(bool(problem), "-problem")
        return problem

    @on(Input.Changed, "#domain")
    def _domain_changed(self, event: Input.Changed) -> None:
        if event.value.strip():
            self._show_problem(event.value)
        else:
            self.query_one("#domain-problem", Static).update("")

    @on(Input.Submitted, "#domain")
    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        value = self.query_one("#domain", Input).value
        if self._show_problem(value):
            self.query_one("#domain", Input).focus()
            return
        self._choose(normalize_domain(value))

    @on(DataTable.RowSelected, "#providers")
    def _picked(self, event: DataTable.RowSelected) -> None:
        domain = event.row_key.value
        if domain:
            self.query_one("#domain", Input).value = domain
            self._choose(domain)

    @on(Button.Pressed, "#back")
    def _back(self) -> None:
        self.action_back()

    def _choose(self, domain: str) -> None:
        if domain != self.state.domain:
            # Another server: its form and any answers for the old one no longer apply.
            self.state.form = None
            self.state.answers = {}
        self.state.domain = domain
        self.dismiss(domain)
