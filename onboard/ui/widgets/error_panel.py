"""An error as the user should see it: what happened, what to do, and buttons for the next step.

A `RegistrationClosedError` that names a web sign-up page shows the https link and its QR code,
so the page can be opened on a phone.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Static

from onboard.core.errors import OnboardError, RegistrationClosedError
from onboard.core.xmpp.forms import safe_web_url
from onboard.i18n import _


def as_onboard_error(error: Exception) -> OnboardError:
    """Anything unexpected still reaches the user as a plain message with a next step."""
    if isinstance(error, OnboardError):
        return error
    return OnboardError(f"{type(error).__name__}: {error}")


def web_url_of(error: OnboardError | None) -> str | None:
    """The https sign-up page an error points to, if any."""
    if isinstance(error, RegistrationClosedError):
        return safe_web_url(error.web_url)
    return None


class ErrorPanel(Vertical):
    """Shows `error` with one button per choice; posts `ErrorPanel.Chosen` when one is pressed.

    `choices` are (choice id, label) pairs, labels already translated. The first is focused.
    """

    DEFAULT_CSS = """
    ErrorPanel {
        height: auto;
        border: round $error;
        padding: 0 1;
    }
    ErrorPanel .error-message {
        text-style: bold;
        color: $text-error;
    }
    ErrorPanel .error-hint {
        margin-top: 1;
    }
    ErrorPanel .error-detail {
        color: $text-muted;
    }
    ErrorPanel .error-extra {
        margin-top: 1;
    }
    ErrorPanel .error-web-url {
        margin-top: 1;
    }
    ErrorPanel #error-columns {
        height: auto;
    }
    ErrorPanel #error-text {
        width: 1fr;
        height: auto;
    }
    ErrorPanel QRCode {
        margin-left: 1;
    }
    ErrorPanel .error-buttons {
        height: auto;
        margin-top: 1;
    }
    ErrorPanel .error-buttons Button {
        margin-right: 1;
    }
    ErrorPanel.-with-qr .error-buttons {
        layout: vertical;
    }
    /* Four choices do not fit one row at 80 columns: two rows of two. */
    ErrorPanel.-many-choices .error-buttons {
        layout: grid;
        grid-size: 2;
        grid-rows: auto;
        grid-gutter: 0 1;
    }
    ErrorPanel.-many-choices .error-buttons Button {
        width: 1fr;
        margin-right: 0;
    }
    """

    class Chosen(Message):
        def __init__(self, panel: ErrorPanel, choice: str) -> None:
            super().__init__()
            self.panel = panel
            self.choice = choice

        @property
        def control(self) -> ErrorPanel:
            return self.panel

    def __init__(self, error: OnboardError, choices: Sequence[tuple[str, str]], *,
                 extra: str = "", id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.error = error
        self.choices = list(choices)
        self.extra = extra
        self.web_url = web_url_of(error)
        if self.web_url:
            self.add_class("-with-qr")
        elif len(self.choices) > 3:
            self.add_class("-many-choices")

    def compose(self) -> ComposeResult:
        if self.web_url:
            from onboard.ui.widgets.qr import QRCode

            with Horizontal(id="error-columns"):
                with Vertical(id="error-text"):
                    yield from self._texts()
                    yield from self._buttons()
                yield QRCode(self.web_url, id="web-qr")
        else:
            yield from self._texts()
            yield from self._buttons()

    def _texts(self) -> ComposeResult:
        error = self.error
        yield Static(Content(error.message), classes="error-message")
        if self.extra:
            yield Static(Content(self.extra), classes="error-extra")
        if self.web_url:
            yield Static(Content(_("You can sign up on the server's web page instead:")),
                         classes="error-hint")
            yield Static(Content(self.web_url), classes="error-web-url", id="web-url")
            yield Static(Content(_("Scan the code with a phone to open the page.")),
                         classes="error-detail")
        else:
            yield Static(Content(error.hint), classes="error-hint")
        detail = error.detail
        if detail and detail not in error.message and detail not in error.hint:
            yield Static(Content(_("Details: {detail}").format(detail=detail)),
                         classes="error-detail", id="error-detail")

    def _buttons(self) -> ComposeResult:
        with Horizontal(classes="error-buttons"):
            for index, (choice, label) in enumerate(self.choices):
                yield Button(Content(label), id=f"choice-{choice}",
                             variant="primary" if index == 0 else "default")

    def on_mount(self) -> None:
        self.focus_first()

    def focus_first(self) -> None:
        buttons = self.query(Button)
        if buttons:
            buttons.first().focus()

    @on(Button.Pressed, ".error-buttons Button")
    def _chosen(self, event: Button.Pressed) -> None:
        event.stop()
        button_id = event.button.id or ""
        self.post_message(self.Chosen(self, button_id.removeprefix("choice-")))
