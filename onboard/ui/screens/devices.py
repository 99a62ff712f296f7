"""The encryption step: the account's own OMEMO devices, compared with what each app shows.

A worker logs in with the account (through the wizard's network: over Tor when Tor is on) and
reads every device in both OMEMO namespaces; Esc cancels. Each device shows its fingerprint in
coloured groups and a checkbox; confirming records the ticked ones as verified.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Checkbox, LoadingIndicator, Static

from onboard.core.errors import OnboardError
from onboard.core.flow import WizardState
from onboard.core.omemo import verified
from onboard.core.omemo.jid import bare_jid
from onboard.i18n import _, ngettext
from onboard.ui.encryption import FetchDevices, progress_text, record_statuses
from onboard.ui.results import GoTo
from onboard.ui.screens.base import EncryptionScreen
from onboard.ui.text import N_
from onboard.ui.widgets.device_card import DeviceCard, FingerprintPlaces
from onboard.ui.widgets.error_panel import ErrorPanel, as_onboard_error

if TYPE_CHECKING:
    from onboard.core.omemo.pep import DeviceReport

# Actions that need a list of devices on screen.
LIST_ACTIONS = frozenset({"confirm", "show_qr"})


class DevicesScreen(EncryptionScreen[GoTo]):
    """Dismisses with GoTo.QR (the ticked devices are confirmed first), GoTo.FRIEND, or BACK.

    Shows `state.own_devices` when it is the account's (read on the login screen), otherwise
    reads them with `fetch`; r reads them again. The ticks live in `state.own_ticked`, so they
    are still there when the user comes back from the QR code or a friend's keys.
    """

    CSS_PATH = "devices.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "confirm", N_("Confirm"), id="confirm"),
        Binding("q", "show_qr", N_("QR code"), id="qr"),
        Binding("f", "friend", N_("Verify a friend"), id="friend"),
        Binding("r", "check_again", N_("Check again"), id="check-again"),
    ]

    class DevicesRead(Message):
        def __init__(self, report: DeviceReport) -> None:
            super().__init__()
            self.report = report

    class ReadFailed(Message):
        def __init__(self, error: OnboardError) -> None:
            super().__init__()
            self.error = error

    def __init__(self, state: WizardState, fetch: FetchDevices) -> None:
        super().__init__(state)
        self._fetch = fetch
        self.busy = False
        self.report: DeviceReport | None = None
        self.error: OnboardError | None = None

    def compose_body(self) -> ComposeResult:
        with Vertical(id="reading"):
            yield Static(Content(progress_text(self.state)), id="progress")
            yield LoadingIndicator(id="loading")
            yield Static(_("Press Esc to cancel."), id="cancel-hint")
        yield Vertical(id="content")

    def on_mount(self) -> None:
        super().on_mount()
        report = self.state.own_devices
        if report is not None and self._is_own(report):
            self.call_after_refresh(self._show, report)
        else:
            self.action_check_again()

    def _is_own(self, report: DeviceReport) -> bool:
        try:
            account = bare_jid(self.state.jid)
        except OnboardError:
            return False
        return report.jid == account and report.account_jid == account

    @property
    def cards(self) -> list[DeviceCard]:
        return list(self.query(DeviceCard))

    # --- reading -------------------------------------------------------------------------------

    def action_check_again(self) -> None:
        self.busy = True
        self.error = None
        self.report = None
        self.query_one("#reading").display = True
        self.query_one("#content").display = False
        self.refresh_bindings()
        self.read_devices()

    @work(exclusive=True, group="devices", exit_on_error=False)
    async def read_devices(self) -> None:
        try:
            report = await self._fetch(None)
        except Exception as error:  # every failure becomes a message the user can act on
            self.post_message(self.ReadFailed(as_onboard_error(error)))
        else:
            self.post_message(self.DevicesRead(report))

    @on(DevicesRead)
    async def _read(self, message: DevicesRead) -> None:
        self.state.own_devices = message.report
        self.state.own_ticked = None  # fresh keys: the ticks follow the record again
        await self._show(message.report)

    @on(ReadFailed)
    async def _failed(self, message: ReadFailed) -> None:
        self.busy = False
        error = self.error = message.error
        self.query_one("#reading").display = False
        content = self.query_one("#content")
        await content.remove_children()
        content.display = True
        await content.mount(
            Static(Content(_("Could not read the encryption keys of {jid}.").format(
                jid=self.state.jid)), id="failed-text"),
            ErrorPanel(error, [(GoTo.RETRY.value, _("Try again")), ("back", _("Back"))],
                       id="error"))
        self.refresh_bindings()

    @on(ErrorPanel.Chosen)
    def _chosen(self, message: ErrorPanel.Chosen) -> None:
        if message.choice == GoTo.RETRY.value:
            self.action_check_again()
        else:
            self.action_back()

    # --- showing -------------------------------------------------------------------------------

    async def _show(self, report: DeviceReport) -> None:
        self.busy = False
        self.report = report
        account = self.state.jid
        statuses, record_error = record_statuses(account, report.devices)
        ticked = self.state.own_ticked
        cards = [
            DeviceCard(device, status=statuses[index],
                       confirm_label=_("This matches what my app shows"),
                       ticked=(device.device_id in ticked) if ticked is not None
                       else statuses[index] == verified.VERIFIED,
                       id=f"device-{index}")
            for index, device in enumerate(report.devices)
        ]
        widgets: list[Static | Vertical | Horizontal | DeviceCard] = []
        if cards:
            widgets.append(Static(Content(ngettext(
                "{jid} has {count} encryption key, one for each app on each device. Compare "
                "it with what the app shows, group by group, and tick it when all 8 groups "
                "match.",
                "{jid} has {count} encryption keys, one for each app on each device. Compare "
                "each with what its app shows, group by group, and tick it when all 8 groups "
                "match.", len(cards)).format(jid=report.jid, count=len(cards))), id="intro"))
            widgets.append(Static(_("Where the apps show their own key:"), id="places-label"))
            widgets.append(FingerprintPlaces(id="places"))
            widgets.append(Vertical(*cards, id="devices"))
        else:
            widgets.append(Static(Content(report.advice), id="advice"))
            widgets.append(Static(_("Press r to check again."), id="advice-again"))
        if report.problems:
            widgets.append(Vertical(
                Static(_("Some devices could not be shown:"), id="problems-label"),
                *(Static(Content("• " + problem.message), classes="problem")
                  for problem in report.problems),
                id="problems"))
        widgets.append(Static("", id="note"))
        buttons = [
            Button(_("Confirm"), id="confirm", variant="primary", compact=True),
            Button(_("Show QR code"), id="show-qr", compact=True),
            Button(_("Verify a friend"), id="friend", compact=True),
            Button(_("Check again"), id="check-again", compact=True),
        ]
        if not cards:
            buttons = buttons[2:]
        widgets.append(Horizontal(*buttons, id="buttons"))

        self.query_one("#reading").display = False
        content = self.query_one("#content")
        await content.remove_children()
        content.display = True
        await content.mount_all(widgets)
        if record_error is not None:
            self._note(record_error.message, problem=True)
        self.refresh_bindings()
        if cards:
            cards[0].checkbox.focus()
        else:
            self.query_one("#check-again", Button).focus()

    def _note(self, text: str, *, problem: bool = False) -> None:
        notes = self.query("#note")
        if not notes:
            return
        note = notes.first(Static)
        note.update(Content(text))
        note.set_class(problem, "-problem")
        note.set_class(not problem and bool(text), "-ok")

    @on(Checkbox.Changed, ".card-tick")
    def _ticked(self) -> None:
        self.state.own_ticked = {card.device.device_id for card in self.cards if card.ticked}
        self._note("")

    # --- confirming ----------------------------------------------------------------------------

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        self._confirm()

    def _confirm(self) -> bool:
        """Record the ticked devices as verified (and forget unticked ones that were); False
        when the record could not be written."""
        cards = self.cards
        account = self.state.jid
        chosen = {card.device.device_id: card.device.fingerprint
                  for card in cards if card.ticked}
        dropped = [card.device for card in cards
                   if not card.ticked and card.status == verified.VERIFIED]
        if not cards:
            return False
        if not chosen and not dropped:
            self._note(_("Tick each device whose key matches what its app shows, then "
                         "confirm."), problem=True)
            return False
        try:
            if chosen:
                verified.mark_many(account, account, chosen)
            for device in dropped:
                verified.forget(account, device.jid, device.device_id)
        except OnboardError as error:
            self._note(f"{error.message} {error.hint}", problem=True)
            return False
        statuses, _error = record_statuses(account, [card.device for card in cards])
        for index, card in enumerate(cards):
            card.set_status(statuses[index])
        self.state.own_ticked = None
        count = len(chosen)
        if count:
            self._note(ngettext(
                "✔ Saved: {count} device of {jid} is marked as verified on this computer.",
                "✔ Saved: {count} devices of {jid} are marked as verified on this computer.",
                count).format(count=count, jid=account))
        else:
            self._note(_("Saved: no device of {jid} is marked as verified now.").format(
                jid=account))
        return True

    @on(Button.Pressed, "#show-qr")
    def action_show_qr(self) -> None:
        unsaved = any(card.ticked != (card.status == verified.VERIFIED) for card in self.cards)
        if unsaved and not self._confirm():
            return
        if not any(card.status == verified.VERIFIED for card in self.cards):
            self._note(_("The QR code holds only confirmed devices: tick the ones that match "
                         "and confirm first."), problem=True)
            return
        self.dismiss(GoTo.QR)

    @on(Button.Pressed, "#friend")
    def action_friend(self) -> None:
        self.dismiss(GoTo.FRIEND)

    @on(Button.Pressed, "#check-again")
    def _check_again_pressed(self) -> None:
        self.action_check_again()

    # --- keys ----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in LIST_ACTIONS:
            return not self.busy and self.report is not None and bool(self.report.devices)
        if action in ("friend", "check_again"):
            return not self.busy
        return super().check_action(action, parameters)

    def action_back(self) -> None:
        self.workers.cancel_group(self, "devices")
        super().action_back()
