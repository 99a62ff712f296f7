"""The wizard application: one coordinator that awaits each step's screen in turn.

Screens never reach into each other: they read and update the single `WizardState` and dismiss
with their result (or BACK). The coordinator decides what comes next and owns the registration
session (through a `RegistrationService`), closing it when the user goes back or quits.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.reactive import var
from textual.timer import Timer

from onboard.core import accounts
from onboard.core.accounts import SavedAccount
from onboard.core.errors import OnboardError
from onboard.core.flow import WizardState
from onboard.core.probe import ProbeCache
from onboard.core.providers import (
    PROVIDERS_URL,
    Provider,
    ProviderList,
    load_providers,
    refresh_providers,
)
from onboard.core.tor.route import TorRoute, open_route, parse_tor_mode
from onboard.i18n import current_language
from onboard.ui.encryption import confirmed_devices
from onboard.ui.results import Back, GoTo
from onboard.ui.screens.account import AccountScreen
from onboard.ui.screens.connecting import ConnectingScreen
from onboard.ui.screens.creating import CreatingScreen
from onboard.ui.screens.devices import DevicesScreen
from onboard.ui.screens.done import DoneScreen
from onboard.ui.screens.existing import ExistingAccountScreen
from onboard.ui.screens.form import FormScreen, needs_form
from onboard.ui.screens.friend import FriendScreen
from onboard.ui.screens.handout import HandoutScreen
from onboard.ui.screens.invite import InviteScreen
from onboard.ui.screens.qr_view import QRViewScreen
from onboard.ui.screens.server import ServerScreen
from onboard.ui.screens.threat import ThreatScreen
from onboard.ui.screens.threat_summary import ThreatSummaryScreen
from onboard.ui.screens.tor import TorScreen
from onboard.ui.screens.tor_connect import SLOW_AFTER, StatusCallback, TorConnectScreen
from onboard.ui.screens.welcome import WelcomeScreen
from onboard.ui.service import (
    DevicesFetcher,
    HelloSender,
    InviteMaker,
    LiveRegistration,
    RegistrationService,
    fetch_devices,
    make_invite,
    send_hello,
)
from onboard.ui.text import N_, translate_bindings
from onboard.ui.widgets.step_indicator import RouteStatus, route_status

if TYPE_CHECKING:
    from onboard.core.recovery import CheckResult
    from onboard.core.threat import StepDefaults, ThreatAnswers
    from onboard.core.tor.control import TorSource
    from onboard.core.tor.launch import BootstrapStatus

Step = Literal["welcome", "existing", "threat", "threat_summary", "tor", "tor_connect",
               "server", "account", "connect", "form", "create", "done", "devices", "qr",
               "friend", "invite", "handout"]
STEPS: tuple[Step, ...] = ("welcome", "existing", "threat", "threat_summary", "tor",
                           "tor_connect", "server", "account", "connect", "form", "create",
                           "done", "devices", "qr", "friend", "invite", "handout")


@dataclass(frozen=True)
class TorOptions:
    """How the Tor step finds or starts tor: the defaults for real use; tests point it at a
    private Tor network (`extra_config` for a launched tor, `candidates` for a running one)."""

    extra_config: Mapping[str, str | list[str]] | None = None
    candidates: Sequence[TorSource] | None = None
    # None: the core's limit (longer with bridges).
    stall_after: float | None = None
    # Seconds without progress before the screen says what is likely wrong.
    slow_after: float = SLOW_AFTER
    # How often, in seconds, the route in use is checked while it is open.
    check_every: float = 5.0


class OnboardApp(App[WizardState]):
    """Runs the wizard and returns the final `WizardState` (its `jid` is set on success)."""

    CSS_PATH = "app.tcss"
    TITLE = "xmpp-onboard"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", N_("Quit"), show=False, priority=True, id="quit"),
        Binding("ctrl+c", "help_quit", show=False, system=True),
    ]
    # The route as every screen's indicator shows it (see step_indicator.route_status).
    tor_status: var[RouteStatus] = var[RouteStatus]("off")

    def __init__(
        self,
        state: WizardState,
        *,
        service: RegistrationService,
        devices: DevicesFetcher = fetch_devices,
        hello: HelloSender = send_hello,
        invite: InviteMaker = make_invite,
        providers: Sequence[Provider] | None = None,
        providers_url: str = PROVIDERS_URL,
        providers_ca_file: Path | None = None,
        tor_options: TorOptions | None = None,
        start: Step = "welcome",
        size: tuple[int, int] | None = None,
        cursor_blink: bool = True,
        animations: bool = True,
    ) -> None:
        super().__init__()
        translate_bindings(self)
        self.state = state
        self.service = service
        self.devices = devices
        self.hello = hello
        self.invite = invite
        self._providers = list(providers) if providers is not None else None
        self.providers_note: str | None = None
        self.providers_url = providers_url
        self.providers_ca_file = providers_ca_file
        self.tor_options = tor_options or TorOptions()
        # The Tor in use (a launched one is stopped when it is replaced or the app ends),
        # checked every `tor_options.check_every` seconds while it is open.
        self.tor_route: TorRoute | None = None
        self.tor_lost = False
        self._route_timer: Timer | None = None
        # Live checks made on the server step, kept while the app runs.
        self.probe_cache = ProbeCache()
        self.start = start
        self.default_size = size
        self.cursor_blink = cursor_blink
        if not animations:
            self.animation_level = "none"
        # An error to show on the next screen (name taken → account; refused → form).
        self.notice: OnboardError | None = None
        # What the later steps started with before the threat step's answers changed them.
        self.before_threat: StepDefaults | None = None

    @property
    def providers(self) -> list[Provider]:
        if self._providers is None:
            loaded = load_providers()
            self._providers = loaded.providers
            self.providers_note = loaded.note
        return self._providers

    async def refresh_providers(self) -> ProviderList:
        """Download the server list (through the wizard's network) and keep it for the run."""
        listing = await refresh_providers(self.state.network, url=self.providers_url,
                                          ca_file=self.providers_ca_file)
        self._providers = list(listing.providers)
        self.providers_note = listing.note
        if self.tor_route is not None:  # the new list may know other onion addresses
            self.state.network = self.tor_route.network.with_onions(self._onions())
        return listing

    def _onions(self) -> dict[str, list[str]]:
        return {p.domain: list(p.onion) for p in self.providers if p.onion}

    async def run_async(self, *, size: tuple[int, int] | None = None,
                        **kwargs: Any) -> WizardState | None:
        return await super().run_async(size=size or self.default_size, **kwargs)

    def on_mount(self) -> None:
        self.state.language = current_language()
        # Each new screen starts with the route as the state has it now (at once: before the
        # screen is composed).
        self.screen_change_signal.subscribe(self, lambda _screen: self.update_tor_status(),
                                            immediate=True)
        self.update_tor_status()
        self.run_wizard()

    async def on_unmount(self) -> None:
        await self.service.close()
        route, self.tor_route = self.tor_route, None
        if route is not None:
            await asyncio.to_thread(route.close)  # a launched tor ends with the app
        self._set_route(None)

    def _handle_exception(self, error: Exception) -> None:
        """An unexpected error. Textual would print a traceback with local variables (the
        password among them): save a report without them and end with a short note instead."""
        from textual.worker import WorkerFailed

        from onboard.core.crash import crash_note

        first = self._exception is None  # later errors are usually consequences of the first
        cause = error.error if isinstance(error, WorkerFailed) else error
        super()._handle_exception(error)  # exits; under Pilot the error is raised again
        if first:
            self._exit_renderables[:] = [crash_note(cause, [self.state.password])]
        else:
            del self._exit_renderables[1:]

    def on_resize(self) -> None:
        """Below 80×24 a message covers every screen until the window is big enough."""
        from onboard.ui.screens.too_small import guard_window_size

        # After App._on_resize, which runs after this handler, has taken the new size.
        self.call_next(guard_window_size, self)

    # --- the coordinator -----------------------------------------------------------------------

    @work(exclusive=True, group="wizard")
    async def run_wizard(self) -> None:
        steps: dict[Step, Callable[[], Awaitable[Step | None]]] = {
            "welcome": self._welcome,
            "existing": self._existing,
            "threat": self._threat,
            "threat_summary": self._threat_summary,
            "tor": self._tor,
            "tor_connect": self._tor_connect,
            "server": self._server,
            "account": self._account,
            "connect": self._connect,
            "form": self._form,
            "create": self._create,
            "done": self._done,
            "devices": self._devices,
            "qr": self._qr,
            "friend": self._friend,
            "invite": self._invite,
            "handout": self._handout,
        }
        step: Step | None = self.start
        try:
            while step is not None:
                step = await steps[step]()
        finally:
            await self.service.close()
        self.exit(self.state)

    def _take_notice(self) -> OnboardError | None:
        notice, self.notice = self.notice, None
        return notice

    # An account whose creation was not seen through is offered once per run, before the
    # first welcome (see onboard.core.recovery).
    unfinished_offered = False

    async def _welcome(self) -> Step | None:
        if not self.unfinished_offered:
            self.unfinished_offered = True
            if await self._offer_unfinished():
                return "done"
        choice = await self.push_screen_wait(WelcomeScreen(self.state))
        if isinstance(choice, Back):
            return None
        self.state.mode = choice
        return "threat" if choice == "create" else "existing"

    async def _offer_unfinished(self) -> bool:
        """Offer each unfinished account in turn, until the user says not now. True once one
        is confirmed: the state then holds it as after creating it, for the Done step."""
        from onboard.core.recovery import Outcome, find_unfinished
        from onboard.ui.screens.resume import ResumeScreen

        try:
            unfinished = find_unfinished()
        except (OSError, OnboardError):
            return False  # the folder cannot be read: the wizard works without it
        for account in unfinished:
            check = functools.partial(self._check_unfinished, account)
            result = await self.push_screen_wait(ResumeScreen(self.state, account, check))
            if result is None or isinstance(result, Back):
                return False
            if result.outcome is Outcome.CREATED:
                self._take_over(account, result)
                return True
        return False

    async def _check_unfinished(self, account: SavedAccount,
                                progress: Callable[[str], None]) -> CheckResult:
        from onboard.core import recovery

        await self._open_asked_route(progress)
        return await recovery.check_unfinished(account, self.state.network,
                                               recovery.CHECK_TIMEOUT,
                                               ca_file=self.state.ca_file)

    async def _open_asked_route(self, progress: Callable[[str], None]) -> None:
        """Open the Tor route now if Tor is asked for (--tor, or the threat step's answers)
        but not connected yet: for the paths that skip the connection step (an unfinished
        account, "I already have an account"), which must not go out without it either.
        `progress` gets what is happening, in words (also from tor's threads). Raises the
        Tor errors of `open_route`; the network stays closed then."""
        from onboard.i18n import _

        if not self.state.tor_requested or self.state.tor_on:
            return

        def tell(status: BootstrapStatus) -> None:
            progress(_("Connecting to Tor: {percent}%").format(percent=status.progress))

        progress(_("Starting Tor and connecting to the Tor network…")
                 if parse_tor_mode(self.state.tor_mode).kind == "launch"
                 else _("Checking the Tor you chose…"))
        self._set_route(await self._open_tor(tell))

    def _take_over(self, account: SavedAccount, result: CheckResult) -> None:
        """The state as a registration of `account` leaves it."""
        state = self.state
        state.mode = "create"
        state.domain = account.domain
        state.host, state.port, state.direct_tls = account.host, account.port, account.direct_tls
        state.username = account.jid.partition("@")[0]
        state.password = account.password
        state.jid = account.jid
        state.credentials_file = result.credentials_file
        state.login_verified = True

    async def _existing(self) -> Step | None:
        fetch = functools.partial(self.devices, self.state)
        result = await self.push_screen_wait(
            ExistingAccountScreen(self.state, fetch, saved=self._saved_accounts(),
                                  prepare=self._open_asked_route))
        return "welcome" if isinstance(result, Back) else "devices"

    @staticmethod
    def _saved_accounts() -> list[SavedAccount]:
        try:
            return accounts.list_saved()
        except (OSError, OnboardError):
            return []  # the folder cannot be read: the address can still be typed

    async def _threat(self) -> Step | None:
        answers = await self.push_screen_wait(ThreatScreen(self.state))
        if isinstance(answers, Back):
            return "welcome"
        if answers != self.state.threat:
            # New answers: new defaults. The same answers again keep what the user chose
            # on the later steps since.
            self._apply_threat(answers)
        return "threat_summary"

    def _apply_threat(self, answers: ThreatAnswers) -> None:
        """The answers' recommendation becomes the later steps' defaults, on top of what
        they started with (e.g. a --tor given on the command line)."""
        from onboard.core.providers import NEWCOMER_FILTER
        from onboard.core.threat import StepDefaults, recommend, step_defaults

        state = self.state
        if self.before_threat is None:
            self.before_threat = StepDefaults(state.tor_mode, state.tor_suggest_bridges,
                                              state.server_filter or NEWCOMER_FILTER)
        defaults = step_defaults(recommend(answers), self.before_threat)
        state.threat = answers
        state.tor_mode = defaults.tor_mode
        state.tor_suggest_bridges = defaults.tor_bridges
        state.server_filter = defaults.server_filter

    async def _threat_summary(self) -> Step | None:
        if self.state.threat is None:
            return "threat"
        result = await self.push_screen_wait(ThreatSummaryScreen(self.state))
        return "threat" if isinstance(result, Back) else "tor"

    async def _tor(self) -> Step | None:
        choice = await self.push_screen_wait(TorScreen(self.state, self.tor_options.candidates))
        if isinstance(choice, Back):
            return "threat_summary"
        self.state.tor_mode = str(choice.mode)
        self.state.connection_chosen = True
        self.state.tor_bridges = list(choice.bridges)
        self.state.tor_suggest_bridges = bool(choice.bridges)
        if choice.mode.on:
            return "tor_connect"
        self._set_route(None)
        return "server"

    async def _tor_connect(self) -> Step | None:
        screen = TorConnectScreen(self.state, self._open_tor, self.tor_options.slow_after)
        result = await self.push_screen_wait(screen)
        if isinstance(result, Back):
            return "tor"
        if isinstance(result, GoTo):
            return "tor_connect"
        self._set_route(result)
        return "server"

    async def _open_tor(self, on_status: StatusCallback) -> TorRoute:
        options = self.tor_options
        return await open_route(parse_tor_mode(self.state.tor_mode), on_status=on_status,
                                bridges=self.state.tor_bridges,
                                extra_config=options.extra_config,
                                candidates=options.candidates,
                                stall_after=options.stall_after)

    def _set_route(self, route: TorRoute | None) -> None:
        """Use `route` from now on. None: no Tor route, so direct when the user chose that
        ("Directly" sets the Tor mode to off), closed while Tor is asked for (nothing is sent
        then). Results checked on another route go."""
        from onboard.core.flow import tor_asked_for
        from onboard.core.network import ClosedNetwork, DirectNetwork

        old, self.tor_route = self.tor_route, route
        if old is not None and old is not route:
            # A launched tor is waited for while it exits: not on the event loop.
            self.run_worker(old.close, thread=True, group="tor-close", exit_on_error=False)
        self._watch_route(route)
        if route is None:
            wanted = "closed" if tor_asked_for(self.state.tor_mode) else "direct"
            if self.state.network.name != wanted:  # a given direct network is kept as it is
                self.state.network = ClosedNetwork() if wanted == "closed" else DirectNetwork()
            self.state.tor_source = ""
        else:
            self.state.network = route.network.with_onions(self._onions())
            self.state.tor_source = route.source.label()
        self.probe_cache.clear()
        self.update_tor_status()

    # --- the route's health: checked on a timer, shown on every screen -------------------------

    def update_tor_status(self) -> None:
        self.tor_status = route_status(self.state, lost=self.tor_lost)

    def _watch_route(self, route: TorRoute | None) -> None:
        """Check `route` (None: nothing to check) every `check_every` seconds."""
        if self._route_timer is not None:
            self._route_timer.stop()
            self._route_timer = None
        self.tor_lost = False
        if route is not None:
            self._route_timer = self.set_interval(self.tor_options.check_every,
                                                  self._check_route)

    def _check_route(self) -> None:
        if self.tor_route is not None:
            self._check_route_health(self.tor_route)

    @work(exclusive=True, group="tor-health", exit_on_error=False)
    async def _check_route_health(self, route: TorRoute) -> None:
        """A SOCKS greeting to the route's tor (and a look at a launched tor's process): the
        loop goes on meanwhile, and a route replaced meanwhile is not reported."""
        alive = await route.alive()
        if route is self.tor_route:
            self.tor_lost = not alive
            self.update_tor_status()

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        """Open `url` in the system browser, unless Tor is on or asked for: that browser would
        connect without Tor (and look the name up on this machine). Then a note gives the
        address to open in Tor Browser instead. Every link the screens open comes here."""
        if self.state.tor_requested:
            from onboard.i18n import _

            self.notify(_("Tor is on, so this link is not opened in your usual browser (it "
                          "would connect without Tor). Open it in Tor Browser: {url}").format(
                              url=url),
                        title=_("Not opened"), severity="warning", timeout=20, markup=False)
            return
        super().open_url(url, new_tab=new_tab)

    async def _server(self) -> Step | None:
        result = await self.push_screen_wait(ServerScreen(
            self.state, self.providers, note=self.providers_note, probe_cache=self.probe_cache,
            refresh=self.refresh_providers))
        return "tor" if isinstance(result, Back) else "account"

    async def _account(self) -> Step | None:
        await self.service.close()
        result = await self.push_screen_wait(AccountScreen(self.state, self._take_notice()))
        return "server" if isinstance(result, Back) else "connect"

    async def _connect(self) -> Step | None:
        fetch = functools.partial(self.service.fetch_form, self.state)
        result = await self.push_screen_wait(ConnectingScreen(self.state, fetch))
        if isinstance(result, Back | GoTo):
            await self.service.close()
            self.notice = None
            if isinstance(result, Back):
                return "account"
            targets: dict[GoTo, Step] = {GoTo.RETRY: "connect", GoTo.SERVER: "server"}
            return targets.get(result, "account")
        self.state.form = result
        if needs_form(result):
            return "form"
        if self.notice is not None:
            return "account"  # the server refused something only the account step can change
        return "create"

    async def _form(self) -> Step | None:
        form = self.state.form
        if form is None:
            return "connect"
        result = await self.push_screen_wait(FormScreen(self.state, form, self._take_notice()))
        if isinstance(result, Back):
            await self.service.close()
            return "account"
        return "create"

    async def _create(self) -> Step | None:
        verify = functools.partial(self.service.verify_login, self.state)
        result = await self.push_screen_wait(
            CreatingScreen(self.state, submit=self.service.submit, verify=verify)
        )
        if isinstance(result, Back):
            await self.service.close()
            # The form (and its CAPTCHA) was used up: fetch a fresh one to show it again.
            return "connect" if needs_form(self.state.form) else "account"
        goto = result.goto
        if goto is GoTo.DONE:
            return "done"
        await self.service.close()
        if goto is GoTo.ACCOUNT:
            self.notice = result.error
            return "account"
        if goto is GoTo.FORM:
            self.notice = result.error
            return "connect"
        if goto is GoTo.SERVER:
            return "server"
        return "connect"  # RETRY: a fresh connection, then the form again if there is one

    async def _done(self) -> Step | None:
        result = await self.push_screen_wait(DoneScreen(self.state))
        if result is GoTo.DEVICES:
            # Read them afresh: the user may have set up an app since.
            self.state.own_devices = None
            self.state.own_ticked = None
            return "devices"
        if result is GoTo.INVITE:
            return "invite"
        if result is GoTo.HANDOUT:
            return "handout"
        return None

    # --- after Done: an invite for a friend, the handout to print ------------------------------

    async def _invite(self) -> Step | None:
        make = functools.partial(self.invite, self.state)
        await self.push_screen_wait(InviteScreen(self.state, make))
        return "done"

    async def _handout(self) -> Step | None:
        await self.push_screen_wait(HandoutScreen(self.state))
        return "done"

    # --- the encryption step: own devices, their QR code, a friend's devices -------------------

    async def _devices(self) -> Step | None:
        fetch = functools.partial(self.devices, self.state)
        result = await self.push_screen_wait(DevicesScreen(self.state, fetch))
        if isinstance(result, Back):
            return "done" if self.state.mode == "create" else "existing"
        if result is GoTo.QR:
            return "qr"
        if result is GoTo.FRIEND:
            return "friend"
        return "devices"

    async def _qr(self) -> Step | None:
        from onboard.core.omemo.link import build_link

        devices = confirmed_devices(self.state)
        if devices:
            await self.push_screen_wait(QRViewScreen(self.state,
                                                     build_link(self.state.jid, devices)))
        return "devices"

    async def _friend(self) -> Step | None:
        fetch = functools.partial(self.devices, self.state)
        await self.push_screen_wait(FriendScreen(self.state, fetch, self.hello))
        return "devices"


def make_app(
    state: WizardState | None = None,
    *,
    size: tuple[int, int] | None = None,
    service: RegistrationService | None = None,
    devices: DevicesFetcher | None = None,
    hello: HelloSender | None = None,
    invite: InviteMaker | None = None,
    providers: Sequence[Provider] | None = None,
    providers_url: str = PROVIDERS_URL,
    providers_ca_file: Path | None = None,
    tor_options: TorOptions | None = None,
    start: Step = "welcome",
    cursor_blink: bool = True,
    animations: bool = True,
) -> OnboardApp:
    """Build the wizard for the CLI, the tests and the screenshot script alike.

    state: where to start from (the CLI fills in host/port/network; tests point it at a local
        server). A fresh `WizardState()` by default.
    size: the terminal size for headless runs (screenshots); ignored on a real terminal.
    service: what talks to servers; `LiveRegistration()` by default.
    devices: what reads OMEMO devices (logged in with the state's account); the live reader
        by default, fixed reports for screenshots.
    hello: what sends the encrypted test message; the live sender by default.
    invite: what has the account's server make an invite (Done, i); the live one by default,
        a fixed invite for screenshots.
    providers: the server list to offer; the cached or bundled list by default.
    providers_url, providers_ca_file: where the server step's "update" downloads the list
        from (https only), and a CA to trust for it (a private mirror, or tests).
    tor_options: how the Tor step finds or starts tor (tests: a private Tor network).
    start: the first step (the state must hold what earlier steps would have set).
    cursor_blink, animations: turn these off for deterministic screenshots.
    """
    if start not in STEPS:
        raise ValueError(f"unknown step {start!r}")
    return OnboardApp(
        state if state is not None else WizardState(),
        service=service if service is not None else LiveRegistration(),
        devices=devices if devices is not None else fetch_devices,
        hello=hello if hello is not None else send_hello,
        invite=invite if invite is not None else make_invite,
        providers=providers,
        providers_url=providers_url,
        providers_ca_file=providers_ca_file,
        tor_options=tor_options,
        start=start,
        size=size,
        cursor_blink=cursor_blink,
        animations=animations,
    )
