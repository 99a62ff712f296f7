"""Step 4: the server, typed in or chosen with facts from the list of public servers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Button, DataTable, Input, Static
from textual.worker import Worker, WorkerState

from onboard.core.countries import country_name
from onboard.core.flow import WizardState
from onboard.core.probe import ProbeCache, ProbeResult, probe, probe_many
from onboard.core.providers import (
    NEWCOMER_FILTER,
    SORT_KEYS,
    Provider,
    ProviderFilter,
    ProviderList,
    apply_filter,
    organization_label,
    organization_short,
    pick_for_me,
    pick_reason,
    sort_providers,
)
from onboard.core.validation import domain_problem, normalize_domain
from onboard.core.xmpp.address import ServerAddress
from onboard.i18n import _, ngettext
from onboard.ui.screens.base import WizardScreen
from onboard.ui.screens.filters import FiltersScreen
from onboard.ui.text import N_
from onboard.ui.widgets.link_qr import LinkQRScreen

# Actions that only make sense while not typing in the domain field (letters type there).
LIST_ACTIONS = frozenset({"filters", "toggle_in_app", "toggle_onion", "toggle_category_a",
                          "cycle_sort", "pick", "check", "check_all", "refresh", "show_qr"})
# How many servers "check all" talks to at once.
CHECK_ALL_CONCURRENCY = 10

RefreshProviders = Callable[[], Awaitable[ProviderList]]


def can_sign_up(result: ProbeResult) -> bool:
    """The server gave a registration form over verified TLS just now."""
    return result.tls.valid and result.registration.error is None \
        and bool(result.registration.fields)


def probe_status(result: ProbeResult) -> str:
    """A word or two for the table: can an account be made there right now?"""
    if not result.reachable:
        return _("offline")
    if result.tls.reason == "no-tls":
        return _("no TLS")
    if not result.tls.valid:
        return _("bad TLS")
    if can_sign_up(result):
        return _("open")
    if result.registration.web_url:
        return _("web only")
    return _("closed")


def sort_label(key: str) -> str:
    labels = {
        "domain": _("server name"),
        "category": _("category"),
        "country": _("country"),
        "since": _("running since"),
        "compliance": _("compliance"),
    }
    return labels.get(key, key)


class ServerScreen(WizardScreen[str]):
    """Dismisses with the chosen domain (also stored in `state.domain`), or BACK."""

    STEP = 4
    STEP_TITLE = N_("Server")
    GUIDE = "server-gone"
    CSS_PATH = "server.tcss"
    BODY_SCROLLS = False
    AUTO_FOCUS = "#domain"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "filters", N_("Filters"), id="filters"),
        # Shortcuts for the most used filters; the Filters dialog has them all.
        Binding("i", "toggle_in_app", N_("In-app"), id="filter-in-app", show=False),
        Binding("o", "toggle_onion", N_("Onion"), id="filter-onion", show=False),
        Binding("a", "toggle_category_a", N_("Cat. A"), id="filter-category-a", show=False),
        Binding("s", "cycle_sort", N_("Sort"), id="sort"),
        Binding("p", "pick", N_("Pick"), id="pick"),
        Binding("c", "check", N_("Check"), id="check"),
        Binding("C,shift+c", "check_all", N_("Check all"), id="check-all", key_display="C"),
        Binding("r", "refresh", N_("Update"), id="refresh"),
        Binding("q", "show_qr", N_("QR"), id="qr"),
    ]

    def __init__(self, state: WizardState, providers: Sequence[Provider], *,
                 note: str | None = None, probe_cache: ProbeCache | None = None,
                 refresh: RefreshProviders | None = None,
                 rng: random.Random | None = None) -> None:
        super().__init__(state)
        self.providers = list(providers)
        self.note = note
        self.probe_cache = probe_cache if probe_cache is not None else ProbeCache()
        self.refresh_providers = refresh
        self.rng = rng
        # The threat step may have chosen the filters to start with.
        self.filter = state.server_filter or NEWCOMER_FILTER
        self.sort_key = SORT_KEYS[0]
        self.shown: list[Provider] = []
        self.picked: str | None = None
        self.checking: str | None = None
        # Servers of a running "check all" whose result has not come yet.
        self.pending: set[str] = set()
        self.check_all_total = 0
        self.refreshing = False
        self.check_note: str | None = None
        # The user last moved through the list (True) or typed in the field (False): the
        # details pane and "check" follow what they last pointed at.
        self.follow_list = False
        self._probe_worker: Worker[object] | None = None
        self._refresh_worker: Worker[ProviderList] | None = None

    # --- layout --------------------------------------------------------------------------------

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
            yield Static("", id="list-label")
            table: DataTable[str] = DataTable(id="providers", cursor_type="row",
                                              zebra_stripes=True, fixed_columns=1)
            yield table
            with VerticalScroll(id="details-box"):
                yield Static("", id="details")
        with Horizontal(id="buttons"):
            yield Button(_("Back"), id="back", compact=True)
            yield Button(_("Continue"), id="continue", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.apply_cursor_blink()
        if self.providers:
            table = self.query_one("#providers", DataTable)
            table.add_column(_("Server"), key="domain")
            table.add_column(_("Sign-up"), key="signup")
            table.add_column(_("CAPTCHA"), key="captcha")
            table.add_column(_("Email"), key="email")
            table.add_column(_("Country"), key="countries")
            table.add_column(_("Cat."), key="category")
            table.add_column(_("Now"), key="live")
            # Further right (the list scrolls sideways; the server's name stays in view).
            table.add_column(_("Onion"), key="onion")
            table.add_column(_("Since"), key="since")
            table.add_column(_("Free"), key="free")
            table.add_column(_("Run by"), key="organization")
            table.add_column(_("Compliance"), key="compliance")
            self._fill_table()
        if self.state.domain:
            self._show_problem(self.state.domain)

    # --- the list ------------------------------------------------------------------------------

    def _fill_table(self, keep: str | None = None) -> None:
        table = self.query_one("#providers", DataTable)
        current = keep or self._highlighted_domain()
        # The best compliance first; dates oldest first (the longest running first). Filtering
        # after sorting keeps preferred countries on top, in the chosen order.
        ordered = sort_providers(self.providers, self.sort_key,
                                 reverse=self.sort_key == "compliance")
        self.shown = apply_filter(ordered, self.filter)
        table.clear()
        yes, no = _("yes"), _("no")
        for provider in self.shown:
            table.add_row(
                provider.domain,
                _("in app") if provider.in_band_registration else _("web"),
                self._captcha_cell(provider),
                yes if provider.email_required else no,
                " ".join(provider.countries) or "?",
                provider.category,
                self._live_cell(provider.domain),
                yes if provider.onion else no,
                provider.since[:4] or "?",
                yes if provider.free_of_charge else no,
                organization_short(provider.organization),
                f"{provider.compliance} %" if provider.compliance >= 0 else "?",
                key=provider.domain,
            )
        domains = [p.domain for p in self.shown]
        if current in domains:
            table.move_cursor(row=domains.index(current), animate=False)
        self._update_list_label()
        self._update_details()

    def _live_cell(self, domain: str) -> str:
        if domain in self.pending or domain == self.checking:
            return "…"
        result = self.probe_cache.get(self._address(domain))
        return probe_status(result) if result is not None else ""

    def _captcha_cell(self, provider: Provider) -> str:
        """The list's word on a CAPTCHA, unless a live check has just seen the form itself."""
        result = self.probe_cache.get(self._address(provider.domain))
        captcha = provider.captcha
        if result is not None and result.registration.fields:
            captcha = result.registration.captcha
        return _("yes") if captcha else _("no")

    def _show_live(self, domain: str) -> None:
        provider = next((p for p in self.shown if p.domain == domain), None)
        if provider is None:
            return
        table = self.query_one("#providers", DataTable)
        table.update_cell(domain, "live", self._live_cell(domain), update_width=True)
        table.update_cell(domain, "captcha", self._captcha_cell(provider))

    def _countries_text(self, codes: frozenset[str] | set[str]) -> str:
        return ", ".join(country_name(code) for code in sorted(codes))

    def _update_list_label(self) -> None:
        parts = [ngettext("{count} server", "{count} servers", len(self.shown)).format(
            count=len(self.shown))]
        if self.filter.in_band_only:
            parts.append(_("in-app sign-up only"))
        if self.filter.onion_only:
            parts.append(_("with onion address"))
        elif self.filter.prefer_onion:
            parts.append(_("onion addresses first"))
        if set(self.filter.categories) == {"A"}:
            parts.append(_("category A only"))
        if self.filter.prefer_countries:
            parts.append(_("{countries} first").format(
                countries=self._countries_text(set(self.filter.prefer_countries))))
        if self.filter.avoid_countries:
            parts.append(_("not in {countries}").format(
                countries=self._countries_text(set(self.filter.avoid_countries))))
        parts.append(_("sorted by {key}").format(key=sort_label(self.sort_key)))
        if self.refreshing:
            parts.append(_("updating the list… (Esc stops)"))
        elif self.pending:
            done = self.check_all_total - len(self.pending)
            parts.append(_("checked {done} of {total}… (Esc stops)").format(
                done=done, total=self.check_all_total))
        else:
            parts.append(_("Tab: list keys"))
        text = " · ".join(parts)
        if self.note:
            text = f"{self.note} {text}"
        self.query_one("#list-label", Static).update(Content(text))

    def _highlighted_domain(self) -> str | None:
        if not self.providers:
            return None
        table = self.query_one("#providers", DataTable)
        if not table.row_count:
            return None
        try:
            return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:  # no row under the cursor
            return None

    def highlighted(self) -> Provider | None:
        domain = self._highlighted_domain()
        return next((p for p in self.shown if p.domain == domain), None)

    def _typed_domain(self) -> str | None:
        value = self.query_one("#domain", Input).value
        if not value.strip() or domain_problem(value):
            return None
        return normalize_domain(value)

    def check_target(self) -> str | None:
        """The typed domain when it is one not in the list and the user has not moved through
        the list since typing it, else the highlighted server."""
        typed = self._typed_domain()
        if typed and typed not in {p.domain for p in self.providers} and not self.follow_list:
            return typed
        provider = self.highlighted()
        return provider.domain if provider else typed

    # --- the details pane ----------------------------------------------------------------------

    def _provider_lines(self, provider: Provider) -> list[str]:
        facts = [
            _("Category {category}").format(category=provider.category),
            _("running since {date}").format(date=provider.since or "?"),
            organization_label(provider.organization),
            _("free of charge") if provider.free_of_charge else _("not listed as free"),
            _("compliance {percent}%").format(percent=provider.compliance)
            if provider.compliance >= 0 else _("compliance unknown"),
        ]
        lines = [f"{provider.domain}: " + " · ".join(facts)]
        lines.append(_("Onion address: {onion}").format(
            onion=", ".join(provider.onion) if provider.onion else _("no")))
        for label, url in self._links(provider):
            lines.append(f"{label}: {url}")
        return lines

    def _links(self, provider: Provider) -> list[tuple[str, str]]:
        links = [
            (_("Website"), provider.website),
            (_("Sign-up page"), provider.registration_web_page),
            (_("Legal notice"), provider.legal_notice),
            (_("Password reset"), provider.password_reset),
        ]
        return [(label, url) for label, url in links if url.startswith("https://")]

    def _result_lines(self, result: ProbeResult) -> list[str]:
        yes, no = _("yes"), _("no")
        lines = [_("Live check of {domain}:").format(domain=result.domain)]
        reached = _("reachable") if result.reachable else _("not reachable")
        if result.rtt_ms is not None:
            reached += f" ({result.rtt_ms:.0f} ms)"
        tls = (_("TLS valid") + (f" ({result.tls.version})" if result.tls.version else "")
               if result.tls.valid else _("TLS problem: {error}").format(
                   error=result.tls.error or _("none")))
        expires = result.tls.expires
        if expires is not None:
            dated = (_("certificate expired on {date}") if expires < dt.datetime.now(dt.UTC)
                     else _("certificate valid until {date}"))
            tls += " · " + dated.format(date=expires.date().isoformat())
        lines.append(f"{reached} · {tls}")
        if result.tls.valid:
            reg = result.registration
            lines.append(" · ".join([
                _("sign-up advertised: {answer}").format(answer=yes if reg.advertised else no),
                _("CAPTCHA: {answer}").format(answer=yes if reg.captcha else no),
                _("channel binding: {answer}").format(
                    answer=yes if result.channel_binding else no),
            ]))
            lines.append(_("(Channel binding lets a login notice an intercepted TLS "
                           "connection, as happened to a large XMPP server in 2023.)"))
        if result.error:
            lines.append(result.error)
        return lines

    def _update_details(self) -> None:
        if not self.providers:
            return
        lines: list[str] = []
        if self.picked:
            lines.append(_("Picked for you: {domain}. {reason}").format(
                domain=self.picked, reason=pick_reason()))
        target = self.check_target()
        provider = self.highlighted()
        if provider is not None and provider.domain == target:
            lines.extend(self._provider_lines(provider))
        elif target:
            lines.append(_("{domain}: not in the list; press c to check it.").format(
                domain=target))
        elif not self.shown:
            lines.append(_("No server matches these filters."))
        if target:
            if self.checking == target or target in self.pending:
                lines.append(_("Checking {domain}… (Esc cancels)").format(domain=target))
            else:
                result = self.probe_cache.get(self._address(target))
                if result is not None:
                    lines.extend(self._result_lines(result))
        if self.check_note:
            lines.append(self.check_note)
        self.query_one("#details", Static).update(Content("\n".join(lines)))

    @on(DataTable.RowHighlighted, "#providers")
    def _highlight_changed(self, event: DataTable.RowHighlighted) -> None:
        if self.focused is event.data_table:
            self.follow_list = True  # moved by the user, not by a refill of the table
        self.check_note = None
        self._update_details()

    # --- key bindings --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in LIST_ACTIONS:
            if not self.providers and action != "check":
                return False
            if isinstance(self.focused, Input):
                return False  # the letters are typed into the field
        return super().check_action(action, parameters)

    def _set_filter(self, **changes: object) -> None:
        self.filter = dataclasses.replace(self.filter, **changes)  # type: ignore[arg-type]
        self._fill_table()

    def action_filters(self) -> None:
        def chosen(new: ProviderFilter | None) -> None:
            if new is not None:
                self.filter = new
                self._fill_table()

        self.app.push_screen(FiltersScreen(self.filter, self.providers), chosen)

    def action_toggle_in_app(self) -> None:
        self._set_filter(in_band_only=not self.filter.in_band_only)

    def action_toggle_onion(self) -> None:
        self._set_filter(onion_only=not self.filter.onion_only)

    def action_toggle_category_a(self) -> None:
        only_a = set(self.filter.categories) == {"A"}
        self._set_filter(categories=frozenset({"A", "B"}) if only_a else frozenset({"A"}))

    def action_cycle_sort(self) -> None:
        index = SORT_KEYS.index(self.sort_key)
        self.sort_key = SORT_KEYS[(index + 1) % len(SORT_KEYS)]
        self._fill_table()

    def action_pick(self) -> None:
        try:
            # Only among the servers shown: never one in a country the user asked to avoid.
            chosen = pick_for_me(self.shown, self.rng)
        except ValueError:
            self.check_note = _("There is no category A server with in-app sign-up here; "
                                "change the filters.")
            self._update_details()
            return
        self.picked = chosen.domain
        self.check_note = None
        self.query_one("#domain", Input).value = chosen.domain
        self._fill_table(keep=chosen.domain)

    def action_show_qr(self) -> None:
        provider = self.highlighted()
        links = self._links(provider) if provider else []
        if not links:
            self.check_note = _("This server has no web link to show.")
            self._update_details()
            return
        self.app.push_screen(LinkQRScreen(links))

    def _address(self, domain: str) -> ServerAddress:
        state = self.state
        return ServerAddress(domain, state.host, state.port, state.direct_tls, state.ca_file)

    def _note(self, text: str) -> None:
        self.check_note = text
        self._update_details()

    def _is_busy(self, worker: Worker[object] | Worker[ProviderList] | None) -> bool:
        return worker is not None and worker.is_running

    def action_check(self) -> None:
        target = self.check_target()
        if not target:
            self.check_note = _("Type a server name or pick one from the list first.")
            self._update_details()
            return
        self.check_note = None
        address = self._address(target)
        if self.probe_cache.get(address) is not None:
            self._update_details()
            return
        if self._is_busy(self._probe_worker):
            self._note(_("A check is running; wait for it or press Esc to stop it."))
            return
        self.checking = target
        self._show_live(target)
        self._update_details()
        self._probe_worker = self._run_probe(address)

    @work(exclusive=True, group="probe")
    async def _run_probe(self, address: ServerAddress) -> ProbeResult:
        result = await probe(address, self.state.network)
        self.probe_cache.put(result, address)
        return result

    def action_check_all(self) -> None:
        if not self.shown:
            self.check_note = _("No server matches these filters.")
            self._update_details()
            return
        if self._is_busy(self._probe_worker):
            self._note(_("A check is running; wait for it or press Esc to stop it."))
            return
        addresses = [self._address(p.domain) for p in self.shown]
        self.pending = {a.domain for a in addresses if self.probe_cache.get(a) is None}
        self.check_all_total = len(addresses)
        self.check_note = None
        for domain in self.pending:
            self._show_live(domain)
        self._update_list_label()
        self._update_details()
        self._probe_worker = self._run_probe_all(addresses)

    @work(exclusive=True, group="probe")
    async def _run_probe_all(self, addresses: list[ServerAddress]) -> list[ProbeResult]:
        return await probe_many(addresses, self.state.network, cache=self.probe_cache,
                                concurrency=CHECK_ALL_CONCURRENCY, on_result=self._probed)

    def _probed(self, result: ProbeResult) -> None:
        """One result of "check all" came in: show it in its row at once."""
        self.pending.discard(result.domain)
        self._show_live(result.domain)
        self._update_list_label()
        if self.check_target() == result.domain:
            self._update_details()

    @on(Worker.StateChanged)
    def _probe_state(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._probe_worker:
            return
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        if event.state is WorkerState.CANCELLED:
            self.check_note = _("The check was cancelled.")
        elif event.state is WorkerState.ERROR:
            self.check_note = _("The check failed.")
        elif self.check_all_total:
            self.check_note = self._check_all_summary()
        unfinished = [d for d in (*self.pending, self.checking) if d]
        self.checking = None
        self.pending = set()
        self.check_all_total = 0
        self._probe_worker = None
        for domain in unfinished:
            self._show_live(domain)
        self._update_list_label()
        self._update_details()

    def _check_all_summary(self) -> str:
        results = [self.probe_cache.get(self._address(p.domain)) for p in self.shown]
        checked = [r for r in results if r is not None]
        open_now = sum(1 for r in checked if can_sign_up(r))
        return ngettext("{open} of {count} server lets you sign up in the app right now.",
                        "{open} of {count} servers let you sign up in the app right now.",
                        len(checked)).format(open=open_now, count=len(checked))

    def action_refresh(self) -> None:
        if self.refresh_providers is None or self._is_busy(self._refresh_worker):
            return
        self.refreshing = True
        self._update_list_label()
        self._refresh_worker = self._run_refresh(self.refresh_providers)

    @work(exclusive=True, group="refresh")
    async def _run_refresh(self, refresh: RefreshProviders) -> ProviderList:
        return await refresh()

    @on(Worker.StateChanged)
    def _refresh_state(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._refresh_worker:
            return
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        self.refreshing = False
        self._refresh_worker = None
        listing = event.worker.result if event.state is WorkerState.SUCCESS else None
        if isinstance(listing, ProviderList):
            self.providers = list(listing.providers)
            self.note = listing.note or _("The server list is up to date.")
        elif event.state is WorkerState.CANCELLED:
            self.note = _("Updating the server list was stopped; the list is unchanged.")
        else:
            self.note = _("The server list could not be updated; the list is unchanged.")
        self._fill_table()

    def action_back(self) -> None:
        for worker in (self._probe_worker, self._refresh_worker):
            if worker is not None and worker.is_running:
                worker.cancel()
                return
        super().action_back()

    # --- typing and choosing -------------------------------------------------------------------

    def _show_problem(self, value: str) -> str | None:
        problem = domain_problem(value)
        label = self.query_one("#domain-problem", Static)
        label.update(Content(problem or ""))
        label.set_class(bool(problem), "-problem")
        return problem

    @on(Input.Changed, "#domain")
    def _domain_changed(self, event: Input.Changed) -> None:
        self.follow_list = False
        if event.value.strip():
            self._show_problem(event.value)
        else:
            self.query_one("#domain-problem", Static).update("")
        if self.picked and normalize_domain(event.value) != self.picked:
            self.picked = None
        self._update_details()

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
