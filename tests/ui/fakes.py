"""Stand-ins for tests whose subject is a screen, not what a server answers.

- `simple_form`, `every_field_form`, `captcha_form`: canned registration forms for tests that only
  show a form (Prosody cannot send every XEP-0004 field type, and its CAPTCHA picture is random).
- `FIXED_CREDENTIALS`: a credentials path for screens started with a prefilled state.
- `FakeRegistration`: the one stand-in registration service left; its docstring says what it
  still stands in for, and why.
- `FixedDevices`, `FixedHello`, `FixedInvite` (`fixed_invite`): fixed OMEMO device reports, a
  fixed test-message result and a fixed invite. A real device's keys and a real invite's token
  are random, so the snapshots (test_snapshots.py, test_snapshots_de.py, the invite snapshot in
  test_invite_screen.py) need fixed ones. Some Pilot tests use them too, where the subject is
  layout, focus or cancelling rather than the XMPP exchange: test_keyboard_only.py (devices, the
  test message and the invite along the keyboard-only walk; its registration is real),
  test_devices.py and test_small_terminal.py (how the QR view lays out two fixed devices), and
  test_hello.py (the friend's devices before Esc stops a login to a real silent socket). Reading
  real devices, sending a real encrypted message and making a real invite are tested against the
  real Prosody in the other tests of test_devices.py, test_hello.py and test_invite_screen.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

from onboard.core.errors import OnboardError
from onboard.core.flow import WizardState
from onboard.core.omemo.fingerprint import NS_AXOLOTL, NS_OMEMO2, Device
from onboard.core.omemo.hello import HelloResult
from onboard.core.omemo.pep import DeviceReport
from onboard.core.xmpp.forms import (
    Answers,
    BobData,
    FormField,
    FormOption,
    MediaUri,
    RegistrationForm,
)
from onboard.core.xmpp.invites import Invite, parse_invite
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
    """A canned RegistrationService, ONLY for what the real Prosody fixture cannot do.

    Everything a server can really answer comes from the `prosody` fixture through the default
    LiveRegistration. What is left here, each for the limitation named:

    - `fetch_error=RegistrationClosedError("example.org", url)`: a server that sends people to a
      sign-up web page, for the snapshot of that error (test_snapshots.py) only, whose picture
      shows a fixed domain and link. The fixture's web.test really does this (XEP-0077
      redirection, prosody_modules/mod_test_web_signup.lua); the Pilot test of the case
      (test_connecting.py) uses it.
    - `fetch_error=RuntimeError(...)`: an unexpected exception, i.e. a bug. No server can cause it.
    - `submit_error=NotAcceptableError(..., "weak-password")`: a server refusing a weak password.
      Prosody 0.12 has no password policy: mod_register_ibr takes any non-empty password.
    - no error: takes the answers and never replies, for a form Prosody cannot send (every
      XEP-0004 field type). Such a form is put in the state and the app starts at the form
      step, but the creating step that follows submits to the session that fetched the form,
      and without a server there is none: this stand-in takes its place. It never creates an
      account, so it needs no canned success or login check.
    """

    def __init__(self, *, fetch_error: Exception | None = None,
                 submit_error: OnboardError | None = None) -> None:
        self.fetch_error = fetch_error
        self.submit_error = submit_error
        self.submitted: list[Answers] = []

    async def fetch_form(self, state: WizardState) -> RegistrationForm:
        if self.fetch_error is None:
            raise AssertionError("no canned form: start the app at the form step instead")
        raise self.fetch_error

    async def submit(self, answers: Answers) -> RegisteredAccount:
        self.submitted.append(answers)
        if self.submit_error is not None:
            raise self.submit_error
        await asyncio.Event().wait()  # never answers
        raise AssertionError("unreachable")

    async def verify_login(self, state: WizardState) -> None:
        raise AssertionError("a canned service never creates an account to log in with")

    async def close(self) -> None:
        pass


# --- fixed OMEMO devices, for snapshots ----------------------------------------------------------

OWN_JID = "alice@example.org"
FRIEND_JID = "bob@chat.example"
OWN_DEVICES = (
    Device(OWN_JID, 1234567890, "3f9a0c7e" "51b2d48a" "e07c6f13" "9d4b2a85"
           "c61e07f9" "2a8d53b4" "f0e19c72" "6b3d8a05", (NS_AXOLOTL, NS_OMEMO2)),
    Device(OWN_JID, 987654321, "a4c81f06" "7e3b92d5" "0c5f6a18" "e92d47b3"
           "18f6c0a9" "d3b7254e" "6a0e81fc" "b5293d70", (NS_AXOLOTL,), "Dino on the laptop"),
)
FRIEND_DEVICES = (
    Device(FRIEND_JID, 11223344, "6e1d0b9a" "c4f28357" "a9e3705b" "12d6c8f4"
           "7b05e92a" "e8c1463d" "50af7c2e" "9d36b14f", (NS_AXOLOTL, NS_OMEMO2)),
    Device(FRIEND_JID, 55667788, "d07a3e59" "2b8c14f6" "f5e96d01" "8a43b7c2"
           "c29f5a80" "3e71d64b" "94b0e2a7" "0f6c38d1", (NS_OMEMO2,), "Kaidan"),
)


class FixedDevices:
    """A `DevicesFetcher` with fixed reports: the account's own devices, and a friend's.

    `login_error`: what logging in raises instead (a wrong password), as the live reader does.
    """

    def __init__(self, own: tuple[Device, ...] = OWN_DEVICES,
                 friend: tuple[Device, ...] = FRIEND_DEVICES, *,
                 login_error: OnboardError | None = None) -> None:
        self.own = own
        self.friend = friend
        self.login_error = login_error
        self.calls: list[str | None] = []

    async def __call__(self, state: WizardState, target: str | None) -> DeviceReport:
        self.calls.append(target)
        if self.login_error is not None:
            raise self.login_error
        if target is None:
            return DeviceReport(state.jid, state.jid, self.own, (), (NS_AXOLOTL, NS_OMEMO2))
        return DeviceReport(state.jid, target, self.friend, (), (NS_AXOLOTL, NS_OMEMO2))


class FixedHello:
    """A `HelloSender` that reports the steps and returns a fixed result (for snapshots): the
    message went to the friend's first device (verified) and to one other device of the user,
    the friend's app confirmed it, and the assistant's device was removed again."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, bool]] = []

    async def __call__(self, state: WizardState, to_jid: str, text: str, keep_device: bool,
                       progress: Callable[[str], None]) -> HelloResult:
        from onboard.core.omemo import hello, verified

        self.sent.append((to_jid, text, keep_device))
        for step in (hello.STEP_LOGIN, hello.STEP_RECIPIENT, hello.STEP_PUBLISH,
                     hello.STEP_SEND, hello.STEP_CONFIRM, hello.STEP_REMOVE):
            progress(step)
        friend, own = FRIEND_DEVICES[0], OWN_DEVICES[1]
        return hello.HelloResult(
            account_jid=state.jid, to_jid=to_jid, text=text, device_id=424242,
            fingerprint="5d2e" * 16,
            encrypted_for=(
                hello.HelloDevice(to_jid, friend.device_id, friend.fingerprint,
                                  verified.VERIFIED),
                hello.HelloDevice(state.jid, own.device_id, own.fingerprint,
                                  verified.UNVERIFIED, own=True)),
            skipped=(hello.SkippedDevice(to_jid, FRIEND_DEVICES[1].device_id,
                                         hello.OMEMO2_ONLY),),
            delivered=True, removed=True, seconds=1.2)


# --- a fixed invite, for snapshots ---------------------------------------------------------------

INVITE_TOKEN = "x7Qm2KpV9wZtR4sLbN8cHd3F"


def fixed_invite(*, landing_page: bool = True) -> Invite:
    """What Prosody's mod_invites makes for alice@example.org (with mod_invites_page: the
    landing page), with a fixed token and expiry."""
    uri = f"xmpp:{OWN_JID}?roster;preauth={INVITE_TOKEN};ibr=y"
    landing = f"https://example.org/invite?{INVITE_TOKEN}" if landing_page else None
    return Invite(uri, landing, dt.datetime(2026, 12, 4, 18, 30, tzinfo=dt.UTC), INVITE_TOKEN,
                  parse_invite(uri))


class FixedInvite:
    """An `InviteMaker` that returns a fixed invite at once."""

    def __init__(self, invite: Invite | None = None) -> None:
        self.invite = invite or fixed_invite()
        self.made: list[str] = []

    async def __call__(self, state: WizardState) -> Invite:
        self.made.append(state.jid)
        return self.invite
