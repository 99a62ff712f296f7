"""A dialog over the server step: which servers to show, and countries to prefer or avoid."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DataTable, Footer, Static

from onboard.core.countries import country_name
from onboard.core.providers import Provider, ProviderFilter
from onboard.i18n import _, current_language
from onboard.ui.screens.guide import GuideScreen
from onboard.ui.text import N_, translate_bindings

# A country's choice cycles through these when Space or Enter is pressed on its row.
CHOICES = ("", "prefer", "avoid")


def choice_label(choice: str) -> str:
    return {"prefer": _("prefer"), "avoid": _("avoid")}.get(choice, "")


def countries_in(providers: Sequence[Provider]) -> list[tuple[str, int]]:
    """The countries the servers are located in, with how many servers each, most first."""
    counts = Counter(code for p in providers for code in p.countries)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


class FiltersScreen(ModalScreen[ProviderFilter | None]):
    """Dismisses with the new filter, or None when cancelled (Esc)."""

    CSS_PATH = "filters.tcss"
    GUIDE: ClassVar[str] = "server-gone"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="filters-cancel"),
        Binding("ctrl+s", "apply", N_("Apply"), id="filters-apply"),
        Binding("f1", "guide", N_("Guide"), id="filters-guide", key_display="F1", priority=True),
        Binding("question_mark", "guide", N_("Guide"), id="filters-guide-key", show=False),
    ]

    def __init__(self, current: ProviderFilter, providers: Sequence[Provider]) -> None:
        super().__init__()
        translate_bindings(self)
        self.current = current
        self.countries = countries_in(providers)
        self.choices: dict[str, str] = {}
        for code in current.prefer_countries:
            self.choices[code.upper()] = "prefer"
        for code in current.avoid_countries:
            self.choices[code.upper()] = "avoid"

    def compose(self) -> ComposeResult:
        with Vertical(id="filters-box"):
            yield Static(_("Which servers to show"), id="filters-title")
            yield Checkbox(_("Only servers where the app can create the account"),
                           self.current.in_band_only, id="in-band", compact=True)
            yield Checkbox(_("Only servers with an onion address (for Tor)"),
                           self.current.onion_only, id="onion", compact=True)
            yield Checkbox(_("Servers with an onion address first"),
                           self.current.prefer_onion, id="onion-first", compact=True)
            yield Checkbox(_("Only category A (B is good too)"),
                           set(self.current.categories) == {"A"}, id="category-a",
                           compact=True)
            yield Static(_("Countries the servers are in. Space or Enter: prefer, avoid, "
                           "no preference. Avoiding a country also hides servers whose "
                           "location is unknown."), id="countries-help")
            table: DataTable[str] = DataTable(id="countries", cursor_type="row",
                                              zebra_stripes=True)
            yield table
            with Horizontal(id="filters-buttons"):
                yield Button(_("Cancel"), id="cancel", compact=True)
                yield Button(_("Apply"), id="apply", variant="primary", compact=True)
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one("#countries", DataTable)
        table.add_column(_("Country"), key="country")
        table.add_column(_("Servers"), key="servers")
        table.add_column(_("Choice"), key="choice")
        for code, count in self.countries:
            table.add_row(f"{country_name(code)} ({code})", str(count),
                          choice_label(self.choices.get(code, "")), key=code)
        if not self.countries:
            self.query_one("#countries-help", Static).update(
                Content(_("No country is known for these servers.")))

    @on(DataTable.RowSelected, "#countries")
    def _cycle(self, event: DataTable.RowSelected) -> None:
        code = event.row_key.value
        if code is None:
            return
        choice = CHOICES[(CHOICES.index(self.choices.get(code, "")) + 1) % len(CHOICES)]
        self.choices[code] = choice
        event.data_table.update_cell(code, "choice", choice_label(choice), update_width=True)

    def key_space(self) -> None:
        table = self.query_one("#countries", DataTable)
        if self.focused is table and table.row_count:
            table.action_select_cursor()

    def chosen_filter(self) -> ProviderFilter:
        def ticked(selector: str) -> bool:
            return self.query_one(selector, Checkbox).value

        return ProviderFilter(
            in_band_only=ticked("#in-band"),
            onion_only=ticked("#onion"),
            prefer_onion=ticked("#onion-first"),
            categories=frozenset({"A"}) if ticked("#category-a") else frozenset({"A", "B"}),
            prefer_countries=frozenset(c for c, v in self.choices.items() if v == "prefer"),
            avoid_countries=frozenset(c for c, v in self.choices.items() if v == "avoid"),
        )

    @on(Button.Pressed, "#apply")
    def action_apply(self) -> None:
        self.dismiss(self.chosen_filter())

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_guide(self) -> None:
        """The guide for choosing servers, over the dialog (nothing here is typed)."""
        self.app.push_screen(GuideScreen(self.GUIDE, current_language()))
