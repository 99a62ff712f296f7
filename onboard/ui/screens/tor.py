"""The connection step: directly, or everything through Tor (found, launched, or typed in).

`--tor auto` (a running tor or Tor Browser, whichever is found) preselects the first Tor that
the search finds: the running one until the search says otherwise, never "Directly".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, Input, RadioButton, Static, TextArea

from onboard.core.errors import OnboardError
from onboard.core.flow import WizardState
from onboard.core.tor.route import TorMode, parse_socks_address, parse_tor_mode
from onboard.i18n import _
from onboard.ui.screens.base import WizardScreen
from onboard.ui.text import N_
from onboard.ui.widgets.choice_set import ChoiceSet

if TYPE_CHECKING:
    from onboard.core.tor.control import TorSource

# The choices, in the order offered: a Tor already running first (nothing to start).
CHOICES = ("off", "system", "browser", "launch", "bridges", "socks")


@dataclass(frozen=True)
class TorChoice:
    mode: TorMode
    bridges: list[str] = field(default_factory=list)


class TorScreen(WizardScreen[TorChoice]):
    """Dismisses with the chosen route (not yet connected), or BACK."""

    STEP = 3
    STEP_TITLE = N_("Connection")
    GUIDE = "tor"
    CSS_PATH = "tor.tcss"

    def __init__(self, state: WizardState,
                 candidates: Sequence[TorSource] | None = None) -> None:
        super().__init__(state)
        self.candidates = candidates
        self.found: dict[str, bool] = {}
        # With the Tor mode "auto": the choice preselected for it, as long as the user keeps
        # it (Continue then goes on with "auto", which takes whichever Tor is there).
        self.auto_choice: str | None = "system" if state.tor_mode == "auto" else None

    def compose_body(self) -> ComposeResult:
        yield Static(_("Tor hides which server you use from your network, and where you are "
                       "from the server. It is slower. Once you choose Tor, this program sends "
                       "nothing without it."), id="tor-intro")
        with ChoiceSet(id="tor-choice"):
            for choice in CHOICES:
                yield RadioButton(self._label(choice), value=self._initial() == choice,
                                  name=choice, id=f"tor-{choice}")
        yield Static("", id="tor-extra-label")
        yield TextArea("\n".join(self.state.tor_bridges), id="bridges", soft_wrap=True)
        yield Input(value=self._initial_socks(), placeholder="127.0.0.1:9050", id="socks")
        yield Static("", id="tor-problem")
        with Horizontal(id="buttons"):
            yield Button(_("Back"), id="back", compact=True)
            yield Button(_("Continue"), id="continue", variant="primary", compact=True)

    def _initial(self) -> str:
        mode = self.state.tor_mode
        if self.auto_choice is not None:
            return self.auto_choice
        if mode.startswith("socks5://"):
            return "socks"
        if mode == "launch" and (self.state.tor_bridges or self.state.tor_suggest_bridges):
            return "bridges"
        return mode if mode in CHOICES else "off"

    def _initial_socks(self) -> str:
        mode = self.state.tor_mode
        return mode.removeprefix("socks5://") if mode.startswith("socks5://") else ""

    def _label(self, choice: str) -> str:
        found = self.found.get(choice)
        status = "" if found is None else (
            " " + (_("(found)") if found else _("(not found)")))
        labels = {
            "off": _("Directly, without Tor"),
            "system": _("Through the Tor running on this computer") + status,
            "browser": _("Through Tor Browser (keep it open)") + status,
            "launch": _("Let this program start its own Tor"),
            "bridges": _("Let this program start Tor with bridges (where Tor is blocked)"),
            "socks": _("Through a Tor SOCKS address I type in"),
        }
        return labels[choice]

    def on_mount(self) -> None:
        super().on_mount()
        self._show_extra()
        choices = self.query_one("#tor-choice", ChoiceSet)
        choices.highlight_pressed()
        choices.focus()
        self.detect()

    @work(exclusive=True, group="tor-detect", exit_on_error=False)
    async def detect(self) -> None:
        """Look for a running tor and Tor Browser (a SOCKS greeting on loopback only)."""
        from onboard.core.tor.control import detect_tor

        found = {source.kind for source in (await detect_tor(self.candidates)
                                            if self.candidates is not None
                                            else await detect_tor())}
        self.found = {"system": "system" in found, "browser": "browser" in found}
        for choice in ("system", "browser"):
            button = self.query_one(f"#tor-{choice}", RadioButton)
            button.label = Content(self._label(choice))
        if (self.auto_choice is not None and self.chosen() == self.auto_choice
                and not self.found["system"] and self.found["browser"]):
            # "auto" and only Tor Browser is there: that is the one auto takes. (Neither
            # found: the running tor stays chosen, and the labels say "not found".)
            self.auto_choice = "browser"
            self.query_one("#tor-browser", RadioButton).value = True
            self.query_one("#tor-choice", ChoiceSet).highlight_pressed()

    def chosen(self) -> str:
        pressed = self.query_one("#tor-choice", ChoiceSet).pressed_button
        return pressed.name if pressed is not None and pressed.name else "off"

    def _show_extra(self) -> None:
        from onboard.core.tor.bridges import transports_note

        choice = self.chosen()
        self.query_one("#bridges").display = choice == "bridges"
        self.query_one("#socks").display = choice == "socks"
        label = {
            "bridges": _("Paste your bridge lines, one per line (from "
                         "https://bridges.torproject.org or a friend):") + "\n"
            + transports_note(),
            "socks": _("The SOCKS address of your Tor, e.g. 127.0.0.1:9050:"),
        }.get(choice, "")
        self.query_one("#tor-extra-label", Static).update(Content(label))
        self.query_one("#tor-problem", Static).update("")

    @on(ChoiceSet.Changed, "#tor-choice")
    def _choice_changed(self) -> None:
        if self.chosen() != self.auto_choice:
            self.auto_choice = None  # the user chose for themselves
        self._show_extra()

    @on(ChoiceSet.Confirmed, "#tor-choice")
    def _confirmed(self) -> None:
        # With bridges or an address still to type, Enter leads there first.
        extra = {"bridges": "#bridges", "socks": "#socks"}.get(self.chosen())
        if extra is not None:
            self.query_one(extra).focus()
            return
        self._continue()

    def _problem(self, text: str) -> None:
        problem = self.query_one("#tor-problem", Static)
        problem.update(Content(text))
        self.call_after_refresh(problem.scroll_visible, animate=False)

    @on(Input.Submitted, "#socks")
    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        choice = self.chosen()
        try:
            self.dismiss(self._choice(choice))
        except OnboardError as error:
            self._problem(f"{error.message} {error.hint}")

    def _choice(self, choice: str) -> TorChoice:
        if choice == "socks":
            host, port = parse_socks_address(self.query_one("#socks", Input).value)
            return TorChoice(TorMode("socks", (host, port)))
        if choice == "bridges":
            from onboard.core.errors import InvalidInputError
            from onboard.core.tor.bridges import check_bridges

            text = self.query_one("#bridges", TextArea).text
            if not text.strip():
                raise InvalidInputError(_("Paste at least one bridge line."))
            return TorChoice(TorMode("launch"), [b.text for b in check_bridges(text)])
        if choice == self.auto_choice:
            return TorChoice(TorMode("auto"))
        return TorChoice(parse_tor_mode(choice))

    @on(Button.Pressed, "#back")
    def _back(self) -> None:
        self.action_back()
