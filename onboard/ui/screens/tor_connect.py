"""Getting Tor ready: a found Tor is checked (and waited for while it is still connecting, when
its control port tells); a launched one shows its bootstrap, phase by phase."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, ProgressBar, Static

from onboard.core.errors import OnboardError
from onboard.core.flow import WizardState
from onboard.i18n import _
from onboard.ui.results import GoTo
from onboard.ui.screens.base import WizardScreen
from onboard.ui.text import N_
from onboard.ui.widgets.error_panel import ErrorPanel, as_onboard_error

if TYPE_CHECKING:
    from onboard.core.tor.launch import BootstrapStatus
    from onboard.core.tor.route import TorRoute

StatusCallback = Callable[["BootstrapStatus"], None]
ConnectTor = Callable[[StatusCallback], Awaitable["TorRoute"]]
# After this long without progress the screen says what is likely wrong (tor's own stall
# detection ends the attempt later).
SLOW_AFTER = 15.0


class TorConnectScreen(WizardScreen["TorRoute | GoTo"]):
    """Dismisses with a working route, a `GoTo` chosen after an error (RETRY), or BACK."""

    STEP = 3
    STEP_TITLE = N_("Connecting to Tor")
    GUIDE = "tor"
    CSS_PATH = "tor_connect.tcss"

    class Progressed(Message):
        def __init__(self, status: BootstrapStatus) -> None:
            super().__init__()
            self.status = status

    class Connected(Message):
        def __init__(self, route: TorRoute) -> None:
            super().__init__()
            self.route = route

    class Failed(Message):
        def __init__(self, error: OnboardError) -> None:
            super().__init__()
            self.error = error

    def __init__(self, state: WizardState, connect: ConnectTor,
                 slow_after: float = SLOW_AFTER) -> None:
        super().__init__(state)
        self._connect = connect
        self.slow_after = slow_after
        self.error: OnboardError | None = None
        self.last_status: BootstrapStatus | None = None
        # A working route shown with a note (e.g. its progress could not be read), until the
        # user goes on.
        self.route: TorRoute | None = None

    def compose_body(self) -> ComposeResult:
        launching = self.state.tor_mode == "launch"
        yield Static(_("Starting Tor and connecting to the Tor network…") if launching
                     else _("Checking the Tor you chose…"), id="tor-progress-text")
        yield ProgressBar(total=100, show_eta=False, id="tor-bar")
        yield Static("", id="tor-phase")
        yield Static("", id="tor-warning")
        yield Static(_("Press Esc to cancel."), id="cancel-hint")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#tor-bar").display = self.state.tor_mode == "launch"
        self.connect()

    @work(exclusive=True, group="tor-connect", exit_on_error=False)
    async def connect(self) -> None:
        def on_status(status: BootstrapStatus) -> None:
            # Called from tor's watcher thread: hand it to the screen's own loop.
            self.post_message(self.Progressed(status))

        try:
            route = await self._connect(on_status)
        except Exception as error:  # every failure becomes a message the user can act on
            self.post_message(self.Failed(as_onboard_error(error)))
        else:
            self.post_message(self.Connected(route))

    @on(Progressed)
    def _progressed(self, message: Progressed) -> None:
        status = self.last_status = message.status
        bar = self.query_one("#tor-bar", ProgressBar)
        if not bar.display:
            # A running tor that is still connecting: wait for it, as for a launched one.
            bar.display = True
            self.query_one("#tor-progress-text", Static).update(Content(
                _("The Tor you chose is still connecting to the Tor network. Waiting for it…")))
        bar.update(progress=status.progress)
        self.query_one("#tor-phase", Static).update(Content(
            _("{percent}%: {phase}").format(percent=status.progress, phase=status.text)))
        warning = ""
        if status.warning:
            warning = status.warning
        elif status.seconds_since_progress >= self.slow_after:
            warning = self._slow_text()
        self.query_one("#tor-warning", Static).update(Content(warning))

    def _slow_text(self) -> str:
        if self.state.tor_bridges:
            return _("This is taking long. Check your internet connection and the computer's "
                     "clock; if these bridges are blocked too, go back and paste other bridge "
                     "lines.")
        return _("This is taking long. Check your internet connection and the computer's "
                 "clock; if Tor is blocked where you are, go back and choose bridges.")

    @on(Connected)
    async def _connected(self, message: Connected) -> None:
        route = message.route
        if not route.notes:
            self.dismiss(route)
            return
        # Works, but the user should know something first (Tor's progress could not be read).
        self.route = route
        for part in ("#cancel-hint", "#tor-bar", "#tor-phase", "#tor-warning"):
            self.query_one(part).display = False
        self.query_one("#tor-progress-text", Static).update(
            Content(_("Tor answers: {source}.").format(source=route.source.label())))
        button = Button(_("Continue"), id="tor-continue", variant="primary", compact=True)
        await self.query_one("#body").mount(
            Static(Content("\n".join(route.notes)), id="tor-note"), button)
        button.focus()

    @on(Button.Pressed, "#tor-continue")
    def _go_on(self) -> None:
        route, self.route = self.route, None
        if route is not None:
            self.dismiss(route)

    @on(Failed)
    async def _failed(self, message: Failed) -> None:
        error = self.error = message.error
        # The error says how far tor got; the bar and the phase would only repeat it.
        for part in ("#cancel-hint", "#tor-bar", "#tor-phase", "#tor-warning"):
            self.query_one(part).display = False
        self.query_one("#tor-progress-text", Static).update(
            Content(_("Tor could not be used. Nothing was sent without it.")))
        choices = [(GoTo.RETRY.value, _("Try again")), ("back", _("Choose another way"))]
        await self.query_one("#body").mount(ErrorPanel(error, choices, id="error"))

    @on(ErrorPanel.Chosen)
    def _chosen(self, message: ErrorPanel.Chosen) -> None:
        if message.choice == "back":
            self.action_back()
            return
        self.dismiss(GoTo(message.choice))

    def action_back(self) -> None:
        # Cancelling the worker stops a tor that is still starting (or the wait for one).
        self.workers.cancel_group(self, "tor-connect")
        route, self.route = self.route, None
        if route is not None:
            route.close()
        super().action_back()
