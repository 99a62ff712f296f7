"""The encryption step, for a friend: their devices' fingerprints, compared aloud or with a link.

The user types the friend's address, or pastes the fingerprint link the friend's app shares
(`xmpp:…?omemo-sid-…`, Conversations' or Gajim's form). A worker logs in with the user's own
account and reads the friend's devices; Esc cancels it. With a link, each device says whether
its key is the one in the link (a different one cannot be ticked). Confirming records the ticked
devices as verified for the user's account.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, LoadingIndicator, Static

from onboard.core.errors import InvalidInputError, OnboardError
from onboard.core.flow import WizardState
from onboard.core.omemo import verified
from onboard.core.omemo.jid import bare_jid
from onboard.core.omemo.link import SCHEME, WEB_PREFIX, parse_link
from onboard.i18n import _, ngettext
from onboard.ui.encryption import FetchDevices, progress_text, record_statuses
from onboard.ui.results import GoTo
from onboard.ui.screens.base import EncryptionScreen
from onboard.ui.text import N_
from onboard.ui.widgets.device_card import Comparison, DeviceCard, FingerprintPlaces
from onboard.ui.widgets.error_panel import ErrorPanel, as_onboard_error

if TYPE_CHECKING:
    from onboard.core.omemo.pep import DeviceReport
    from onboard.ui.service import HelloSender


def read_friend(text: str) -> tuple[str, dict[int, str] | None]:
    """The friend's address and, for a fingerprint link, {device id: fingerprint}.

    Accepts an address, a fingerprint link, or an `xmpp:` address link without fingerprints.
    Raises InvalidInputError with what is wrong.
    """
    raw = text.strip()
    if not raw:
        raise InvalidInputError(_("Type your friend's address, or paste their fingerprint "
                                  "link."))
    lowered = raw.lower()
    if not lowered.startswith((SCHEME, WEB_PREFIX)):
        return bare_jid(raw), None
    if "omemo" not in lowered:  # a plain xmpp: link to the address
        address = raw[len(SCHEME):] if lowered.startswith(SCHEME) else raw[len(WEB_PREFIX):]
        return bare_jid(address.split("?", 1)[0]), None
    return parse_link(raw)


def compare(link: dict[int, str] | None, device_id: int, fingerprint: str) -> Comparison:
    if link is None:
        return ""
    if device_id not in link:
        return "absent"
    return "same" if link[device_id] == fingerprint else "different"


class FriendScreen(EncryptionScreen[None]):
    """Dismisses with BACK. Esc while the keys are being read cancels that and stays."""

    CSS_PATH = "friend.tcss"
    AUTO_FOCUS = "#friend"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "confirm", N_("Confirm"), id="confirm"),
        Binding("t", "test_message", N_("Test message"), id="test-message"),
    ]

    class DevicesRead(Message):
        def __init__(self, report: DeviceReport) -> None:
            super().__init__()
            self.report = report

    class ReadFailed(Message):
        def __init__(self, error: OnboardError) -> None:
            super().__init__()
            self.error = error

    def __init__(self, state: WizardState, fetch: FetchDevices, send: HelloSender) -> None:
        super().__init__(state)
        self._fetch = fetch
        self._send = send
        self.busy = False
        self.friend = ""
        self.link: dict[int, str] | None = None
        self.report: DeviceReport | None = None

    def compose_body(self) -> ComposeResult:
        yield Static(_("Type your friend's address or paste their fingerprint link (xmpp:…), "
                       "then press Enter."), id="friend-intro")
        with Horizontal(id="friend-row"):
            yield Static(_("Friend:"), id="friend-label")
            yield Input(value=self.state.friend_text, id="friend",
                        placeholder=_("alice@example.org or xmpp:alice@example.org?omemo-sid-…"))
        yield Static("", id="friend-problem")
        with Vertical(id="reading"):
            yield Static("", id="progress")
            yield LoadingIndicator(id="loading")
            yield Static(_("Press Esc to cancel."), id="cancel-hint")
        yield Vertical(id="content")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#reading").display = False

    @property
    def cards(self) -> list[DeviceCard]:
        return list(self.query(DeviceCard))

    # --- reading -------------------------------------------------------------------------------

    @on(Input.Submitted, "#friend")
    async def _submitted(self, event: Input.Submitted) -> None:
        problem = self.query_one("#friend-problem", Static)
        self.state.friend_text = event.value.strip()
        try:
            friend, link = read_friend(event.value)
        except InvalidInputError as error:
            problem.update(Content(error.message))
            return
        problem.update("")
        self.friend, self.link = friend, link
        await self._start_reading()

    async def _start_reading(self) -> None:
        self.busy = True
        self.report = None
        await self.query_one("#content").remove_children()
        self.query_one("#progress", Static).update(
            Content(progress_text(self.state, self.friend)))
        self.query_one("#reading").display = True
        self.refresh_bindings()
        self.read_devices()

    @work(exclusive=True, group="friend-devices", exit_on_error=False)
    async def read_devices(self) -> None:
        try:
            report = await self._fetch(self.friend)
        except Exception as error:  # every failure becomes a message the user can act on
            self.post_message(self.ReadFailed(as_onboard_error(error)))
        else:
            self.post_message(self.DevicesRead(report))

    def _stop_reading(self) -> None:
        self.busy = False
        self.query_one("#reading").display = False
        self.refresh_bindings()

    @on(ReadFailed)
    async def _failed(self, message: ReadFailed) -> None:
        self._stop_reading()
        await self.query_one("#content").mount(
            ErrorPanel(message.error, [(GoTo.RETRY.value, _("Try again")),
                                       ("edit", _("Change the address"))], id="error"))

    @on(ErrorPanel.Chosen)
    async def _chosen(self, message: ErrorPanel.Chosen) -> None:
        if message.choice == GoTo.RETRY.value:
            await self._start_reading()
        else:
            await self.query_one("#content").remove_children()
            self.query_one("#friend", Input).focus()

    # --- showing -------------------------------------------------------------------------------

    @on(DevicesRead)
    async def _read(self, message: DevicesRead) -> None:
        self._stop_reading()
        report = self.report = message.report
        link = self.link
        statuses, record_error = record_statuses(self.state.jid, report.devices)
        cards = [
            DeviceCard(device, status=statuses[index],
                       confirm_label=_("We compared all 8 groups: they match"),
                       ticked=statuses[index] == verified.VERIFIED,
                       comparison=compare(link, device.device_id, device.fingerprint),
                       link_fingerprint=(link or {}).get(device.device_id),
                       id=f"device-{index}")
            for index, device in enumerate(report.devices)
        ]
        widgets: list[Widget] = []
        if cards:
            different = any(card.comparison == "different" for card in cards)
            widgets.append(Static(Content(self._summary(report, cards)), id="summary",
                                  classes="-different" if different else ""))
            if link is not None:
                widgets.append(Static(_(
                    "A link counts only if your friend gave it to you in person: one sent in a "
                    "chat proves nothing on its own."), id="link-note"))
            widgets.append(Static(_(
                "Compare aloud: your friend reads their app's own key group by group, the "
                "number and the 8 characters, and you check each group here."), id="how"))
            widgets.append(Vertical(*cards, id="devices"))
        else:
            widgets.append(Static(Content(report.advice or _(
                "No encryption keys of {jid} can be shown.").format(jid=report.jid)),
                id="advice"))
        missing = sorted(set(link or {}) - {device.device_id for device in report.devices})
        if missing:
            widgets.append(Static(Content(ngettext(
                "The link also names device {numbers}, which the server does not list: it "
                "may have been removed.",
                "The link also names devices {numbers}, which the server does not list: they "
                "may have been removed.", len(missing)).format(
                    numbers=", ".join(str(number) for number in missing))), id="missing"))
        if report.problems:
            widgets.append(Vertical(
                Static(_("Some devices could not be shown:"), id="problems-label"),
                *(Static(Content("• " + problem.message), classes="problem")
                  for problem in report.problems),
                id="problems"))
        if cards:
            widgets.append(Static(_("Where their app shows its own key:"), id="places-label"))
            widgets.append(FingerprintPlaces(id="places"))
        widgets.append(Static("", id="note"))
        if cards:
            widgets.append(Horizontal(
                Button(_("Confirm"), id="confirm", variant="primary", compact=True),
                Button(_("Send a test message"), id="test-message", compact=True),
                Button(_("Back"), id="back", compact=True), id="buttons"))
        await self.query_one("#content").mount_all(widgets)
        if record_error is not None:
            self._note(record_error.message, problem=True)
        self.refresh_bindings()
        enabled = [card for card in cards if not card.checkbox.disabled]
        if enabled:
            enabled[0].checkbox.focus(scroll_visible=False)
        if cards:
            self.call_after_refresh(self._scroll_to_devices)

    def _scroll_to_devices(self) -> None:
        """The keys in view, from the summary down (the address stays one scroll away)."""
        self.query_one("#body").scroll_to_widget(self.query_one("#summary"), top=True,
                                                 animate=False)

    def _summary(self, report: DeviceReport, cards: list[DeviceCard]) -> str:
        text = ngettext("{jid} has {count} encryption key.",
                        "{jid} has {count} encryption keys.", len(cards)).format(
            jid=report.jid, count=len(cards))
        if self.link is None:
            return text
        same = sum(card.comparison == "same" for card in cards)
        different = sum(card.comparison == "different" for card in cards)
        if different:
            return text + " " + ngettext(
                "Compared with the link: {same} the same, {different} DIFFERENT: do not trust "
                "that one, ask your friend and compare aloud.",
                "Compared with the link: {same} the same, {different} DIFFERENT: do not trust "
                "those, ask your friend and compare aloud.", different).format(
                    same=same, different=different)
        return text + " " + _("Compared with the link: {same} the same.").format(same=same)

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
        self._note("")

    # --- confirming ----------------------------------------------------------------------------

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        report = self.report
        if report is None:
            return
        account = self.state.jid
        cards = self.cards
        chosen = {card.device.device_id: card.device.fingerprint
                  for card in cards if card.ticked}
        dropped = [card.device for card in cards
                   if not card.ticked and card.status == verified.VERIFIED]
        if not chosen and not dropped:
            self._note(_("Tick each device whose 8 groups you compared and found the same, "
                         "then confirm."), problem=True)
            return
        try:
            if chosen:
                verified.mark_many(account, report.jid, chosen)
            for device in dropped:
                verified.forget(account, device.jid, device.device_id)
        except OnboardError as error:
            self._note(f"{error.message} {error.hint}", problem=True)
            return
        statuses, _error = record_statuses(account, [card.device for card in cards])
        for index, card in enumerate(cards):
            card.set_status(statuses[index])
        if chosen:
            self._note(ngettext(
                "✔ Saved: {count} device of {jid} is marked as verified for {account}.",
                "✔ Saved: {count} devices of {jid} are marked as verified for {account}.",
                len(chosen)).format(count=len(chosen), jid=report.jid, account=account))
        else:
            self._note(_("Saved: no device of {jid} is marked as verified now.").format(
                jid=report.jid))

    @on(Button.Pressed, "#test-message")
    def action_test_message(self) -> None:
        report = self.report
        if report is None or not report.devices:
            return
        from onboard.ui.screens.hello import HelloScreen

        self.app.push_screen(HelloScreen(self.state, report.jid, self._send))

    @on(Button.Pressed, "#back")
    def _back_pressed(self) -> None:
        self.action_back()

    # --- keys ----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("confirm", "test_message"):
            if isinstance(self.focused, Input):
                return False  # the letter is typed into the field
            return not self.busy and self.report is not None and bool(self.report.devices)
        return super().check_action(action, parameters)

    def action_back(self) -> None:
        if self.busy:
            self.workers.cancel_group(self, "friend-devices")
            self._stop_reading()
            self.query_one("#friend-problem", Static).update(
                _("Stopped. Press Enter to try again, or Esc to go back."))
            self.query_one("#friend", Input).focus()
            return
        super().action_back()
