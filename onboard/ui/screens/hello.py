"""The encryption step, a test message: an encrypted hello to a friend or the helper.

The assistant gives the account an OMEMO device of its own for a moment, sends the hello
encrypted for the friend's devices (and the user's other ones), waits a little for the friend's
app to confirm it, and takes its device off the account again unless the user keeps it.

Esc before anything is published stops at once. Once the device is published, the first Esc
only says that the clean-up is under way (it takes at most the core's time-outs); a second Esc
stops anyway and says that the device may stay on the account until the next test message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, LoadingIndicator, Static

from onboard.core.errors import OnboardError
from onboard.core.flow import WizardState
from onboard.core.omemo import hello
from onboard.i18n import _
from onboard.ui.results import GoTo
from onboard.ui.screens.base import EncryptionScreen
from onboard.ui.widgets.error_panel import ErrorPanel, as_onboard_error

if TYPE_CHECKING:
    from onboard.core.omemo.hello import HelloResult
    from onboard.ui.service import HelloSender

# Steps after which the assistant's device may be on the account.
_PUBLISHED = (hello.STEP_PUBLISH, hello.STEP_SEND, hello.STEP_CONFIRM, hello.STEP_REMOVE)


class HelloScreen(EncryptionScreen[None]):
    """Dismisses with BACK (Esc when nothing is running, or the Back button)."""

    CSS_PATH = "hello.tcss"
    AUTO_FOCUS = "#send"
    BINDINGS: ClassVar[list[BindingType]] = []

    class Stepped(Message):
        def __init__(self, step: str) -> None:
            super().__init__()
            self.step = step

    class Sent(Message):
        def __init__(self, result: HelloResult) -> None:
            super().__init__()
            self.result = result

    class Failed(Message):
        def __init__(self, error: OnboardError) -> None:
            super().__init__()
            self.error = error

    def __init__(self, state: WizardState, to_jid: str, send: HelloSender) -> None:
        super().__init__(state)
        self.to_jid = to_jid
        self._send = send
        self.busy = False
        self.step = ""
        self.stop_asked = False
        self.result: HelloResult | None = None

    def compose_body(self) -> ComposeResult:
        yield Static(Content(_(
            "Send {jid} a test message, end-to-end encrypted, so you both see encryption work. "
            "For this the assistant adds an encryption device of its own to your account for "
            "a moment, sends the message, waits up to {seconds:.0f} seconds for {jid}'s app to "
            "confirm it arrived, then removes its device again.").format(
                jid=self.to_jid, seconds=hello.CONFIRM_WAIT)), id="hello-intro")
        with Vertical(id="hello-form"):
            yield Static(_("Message:"), id="text-label")
            yield Input(value=hello.default_text(), max_length=hello.MAX_TEXT, id="text")
            yield Checkbox(_("Keep the assistant's device on my account"), id="keep")
            yield Static(_("Only to send more tests: otherwise it is removed right after."),
                         id="keep-hint")
        yield Static("", id="hello-problem")
        with Vertical(id="sending"):
            yield Static("", id="progress")
            yield LoadingIndicator(id="loading")
            yield Static(_("Press Esc to stop."), id="stop-hint")
        yield Vertical(id="outcome")
        with Horizontal(id="hello-buttons"):
            yield Button(_("Send"), id="send", variant="primary", compact=True)
            yield Button(_("Back"), id="back", compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self._show("#hello-form")

    # --- sending -------------------------------------------------------------------------------

    @on(Button.Pressed, "#send")
    @on(Input.Submitted, "#text")
    async def action_send(self) -> None:
        if self.busy:
            return
        text = self.query_one("#text", Input).value.strip()
        if not text:
            self.query_one("#hello-problem", Static).update(
                _("Write a few words to send, or press Esc to go back."))
            return
        self.query_one("#hello-problem", Static).update("")
        await self.query_one("#outcome").remove_children()
        self.busy, self.stop_asked, self.result = True, False, None
        self._show("#sending")
        self._show_step(hello.STEP_LOGIN)
        self.send_message(text, self.query_one("#keep", Checkbox).value)

    @work(exclusive=True, group="hello", exit_on_error=False)
    async def send_message(self, text: str, keep_device: bool) -> None:
        def stepped(step: str) -> None:
            self.post_message(self.Stepped(step))

        try:
            result = await self._send(self.state, self.to_jid, text, keep_device, stepped)
        except Exception as error:  # every failure becomes a message the user can act on
            self.post_message(self.Failed(as_onboard_error(error)))
        else:
            self.post_message(self.Sent(result))

    @on(Stepped)
    def _stepped(self, message: Stepped) -> None:
        if self.busy:
            self._show_step(message.step)

    def _show_step(self, step: str) -> None:
        self.step = step
        if step == hello.STEP_LOGIN:
            text = _("Logging in as {account}…").format(account=self.state.jid)
            if self.state.tor_on:
                text = _("Logging in as {account} over Tor…").format(account=self.state.jid)
        else:
            text = hello.step_text(step, self.to_jid, hello.CONFIRM_WAIT)
        self.query_one("#progress", Static).update(Content(text))

    def _show(self, part: str) -> None:
        """One of the form, the progress and the outcome (the intro goes with the form)."""
        for each in ("#hello-form", "#sending", "#outcome"):
            self.query_one(each).display = each == part
        self.query_one("#hello-intro").display = part == "#hello-form"
        self.query_one("#hello-buttons").display = part != "#sending"

    def _stop_sending(self, show: str = "#hello-form") -> None:
        self.busy = False
        self._show(show)

    @on(Sent)
    async def _sent(self, message: Sent) -> None:
        self._stop_sending("#outcome")
        result = self.result = message.result
        problem = result.removal_error is not None
        headline = _("✔ Sent, end-to-end encrypted.")
        lines = hello.describe(result)
        await self.query_one("#outcome").mount_all([
            Static(headline, id="headline", classes="-ok"),
            *(Static(Content(line), classes="line") for line in lines),
            Static(_("Ask {jid} whether the message arrived and can be read: that is the "
                     "test.").format(jid=self.to_jid), id="ask",
                   classes="-problem" if problem else ""),
        ])
        self.query_one("#send", Button).label = _("Send again")
        self.query_one("#back", Button).focus(scroll_visible=False)
        # The outcome from its first line (focusing may have scrolled the body before).
        self.call_after_refresh(self.query_one("#body").scroll_home, animate=False)

    @on(Failed)
    async def _failed(self, message: Failed) -> None:
        self._stop_sending("#outcome")
        self.query_one("#hello-buttons").display = False  # the error panel has its own
        await self.query_one("#outcome").mount(
            ErrorPanel(message.error, [(GoTo.RETRY.value, _("Try again")),
                                       ("edit", _("Change the message"))], id="error"))

    @on(ErrorPanel.Chosen)
    async def _chosen(self, message: ErrorPanel.Chosen) -> None:
        if message.choice == GoTo.RETRY.value:
            await self.action_send()
        else:
            await self.query_one("#outcome").remove_children()
            self._show("#hello-form")
            self.query_one("#send", Button).focus()

    @on(Button.Pressed, "#back")
    def _back_pressed(self) -> None:
        self.action_back()

    # --- stopping ------------------------------------------------------------------------------

    def action_back(self) -> None:
        if not self.busy:
            super().action_back()
            return
        published = self.step in _PUBLISHED
        if published and not self.stop_asked:
            self.stop_asked = True
            self.query_one("#stop-hint", Static).update(_(
                "The assistant is taking its device off your account again; this takes at "
                "most a minute. Press Esc again to stop at once: its device then stays on "
                "your account until the next test message removes it."))
            return
        self.workers.cancel_group(self, "hello")
        self._stop_sending()
        self.query_one("#stop-hint", Static).update(_("Press Esc to stop."))
        if published:
            note = _("Stopped. The assistant's device may still be on your account: send "
                     "another test message to remove it, or remove it in your app's OMEMO "
                     "settings.")
        else:
            note = _("Stopped. Nothing was published or sent.")
        self.query_one("#hello-problem", Static).update(note)
        self.query_one("#send", Button).focus()
