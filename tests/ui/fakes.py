"""Stand-ins for the registration service, and canned forms, for tests that need no server."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from pathlib import Path

from onboard.core.errors import OnboardError
from onboard.core.flow import WizardState
from onboard.core.xmpp.forms import (
    Answers,
    BobData,
    FormField,
    FormOption,
    MediaUri,
    RegistrationForm,
)
from onboard.core.xmpp.registration import RegisteredAccount

FIXED_CREDENTIALS = Path("/home/alice/.local/share/xmpp-onboard/accounts/alice@example.org.json")


def captcha_png(text: str = "7K3QX") -> bytes:
    """A small, deterministic CAPTCHA-like picture."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (120, 40), 255)
    draw = ImageDraw.Draw(image)
    for x in range(0, 120, 7):
        draw.line([(x, 0), (x + 20, 40)], fill=200)
    draw.text((20, 8), text, fill=0, font_size=24)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def simple_form(domain: str = "example.org") -> RegistrationForm:
    return RegistrationForm(domain, "data-form", fields=[
        FormField("FORM_TYPE", "hidden", values=["jabber:iq:register"]),
        FormField("username", "text-single", label="Username", required=True),
        FormField("password", "text-private", label="Password", required=True),
    ])


def every_field_form(domain: str = "example.org") -> RegistrationForm:
    """A form with every XEP-0004 field type and a CAPTCHA with a BoB image."""
    return RegistrationForm(
        domain, "data-form", title="Sign up", instructions="Please fill in [b]all[/b] fields.",
        fields=[
            FormField("FORM_TYPE", "hidden", values=["jabber:iq:register"]),
            FormField("username", "text-single", label="Username", required=True),
            FormField("password", "text-private", label="Password", required=True),
            FormField("", "fixed", values=["Tell us a bit about you."]),
            FormField("email", "text-single", label="Email", required=True),
            FormField("pin", "text-private", label="PIN"),
            FormField("about", "text-multi", label="About you"),
            FormField("color", "list-single", label="Colour", options=[
                FormOption("Red", "red"), FormOption("Blue", "blue")], values=["blue"]),
            FormField("topics", "list-multi", label="Topics", options=[
                FormOption("Tech", "tech"), FormOption("Music", "music")]),
            FormField("tos", "boolean", label="I accept the rules", required=True),
            FormField("friend", "jid-single", label="Invited by"),
            FormField("secret", "hidden", values=["s3cr3t"]),
            FormField("ocr", "text-single", label="Enter the text you see", required=True,
                      media=[MediaUri("image/png", "cid:sha1+abc@bob.xmpp.org"),
                             MediaUri("", "https://example.org/captcha/1")]),
        ],
        bob={"sha1+abc@bob.xmpp.org": BobData("sha1+abc@bob.xmpp.org", "image/png",
                                             captcha_png())},
    )


def captcha_form(domain: str = "example.org") -> RegistrationForm:
    return RegistrationForm(
        domain, "data-form", instructions="Solve the CAPTCHA.",
        fields=[
            FormField("FORM_TYPE", "hidden", values=["urn:xmpp:captcha"]),
            FormField("username", "text-single", required=True),
            FormField("password", "text-private", required=True),
            FormField("challenge", "hidden", values=["abc"]),
            FormField("ocr", "text-single", label="Enter the text you see", required=True,
                      media=[MediaUri("image/png", "cid:sha1+abc@bob.xmpp.org")]),
        ],
        bob={"sha1+abc@bob.xmpp.org": BobData("sha1+abc@bob.xmpp.org", "image/png",
                                             captcha_png())},
    )


class FakeRegistration:
    """Scripted answers: `forms` one per fetch, `submit_errors` one per submit (None = ok)."""

    def __init__(self, forms: list[RegistrationForm | OnboardError] | None = None, *,
                 submit_errors: list[OnboardError | None] | None = None,
                 verify_errors: list[OnboardError | None] | None = None,
                 credentials_file: Path = FIXED_CREDENTIALS,
                 hang_fetch: bool = False, hang_submit: bool = False) -> None:
        self.forms = list(forms or [])
        self.submit_errors = list(submit_errors or [])
        self.verify_errors = list(verify_errors or [])
        self.credentials_file = credentials_file
        self.hang_fetch = hang_fetch
        self.hang_submit = hang_submit
        self.fetches = 0
        self.submitted: list[Answers] = []
        self.verified = 0
        self.closes = 0
        self.open = False
        self.cancelled = 0
        self.domain = ""
        self.on_submit: Callable[[Answers], None] | None = None

    async def fetch_form(self, state: WizardState) -> RegistrationForm:
        self.fetches += 1
        self.open = True
        self.domain = state.domain
        if self.hang_fetch:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.cancelled += 1
                self.open = False
                raise
        item = self.forms.pop(0) if len(self.forms) > 1 else (
            self.forms[0] if self.forms else simple_form(state.domain))
        if isinstance(item, OnboardError):
            self.open = False
            raise item
        return item

    async def submit(self, answers: Answers) -> RegisteredAccount:
        self.submitted.append(answers)
        if self.hang_submit:
            await asyncio.Event().wait()
        error = self.submit_errors.pop(0) if self.submit_errors else None
        self.open = False
        if error is not None:
            raise error
        username = answers["username"][0]
        return RegisteredAccount(f"{username}@{self.domain}", self.domain, self.credentials_file)

    async def verify_login(self, state: WizardState) -> None:
        self.verified += 1
        error = self.verify_errors.pop(0) if self.verify_errors else None
        if error is not None:
            raise error

    async def close(self) -> None:
        self.closes += 1
        self.open = False
