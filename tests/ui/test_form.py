"""Form screen: every XEP-0004 field type, required fields, CAPTCHA image and links.

Prosody cannot send most of these fields, so those tests build the form, put it in the state
and start the app at the form step. The real server's CAPTCHA and extra fields are in
test_creating.py and test_flow_prosody.py, and below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import Checkbox, Input, Select, SelectionList, Static, TextArea

from onboard.core.errors import NotAcceptableError
from onboard.core.flow import WizardState
from onboard.core.xmpp.forms import FormField, RegistrationForm
from onboard.ui.screens.account import AccountScreen
from onboard.ui.screens.creating import CreatingScreen
from onboard.ui.screens.form import FormScreen, needs_form
from onboard.ui.widgets.captcha import CaptchaImage
from tests.ui.fakes import (
    FakeRegistration,
    captcha_form,
    every_field_form,
    simple_form,
)
from tests.ui.helpers import (
    NETWORK_WAIT,
    PASSWORD,
    SIZE,
    fresh,
    live_state,
    screen_text,
    test_app,
    type_text,
    wait_for_screen,
    wait_until,
)
from tests.ui.relay import Relay


def ready_state(form: RegistrationForm) -> WizardState:
    """At the form step of example.org, with this form as if its server had sent it."""
    return WizardState(domain="example.org", username="alice", password=PASSWORD,
                       password_generated=True, form=form)


def test_needs_form() -> None:
    assert not needs_form(simple_form())
    assert needs_form(captcha_form())
    assert needs_form(every_field_form())
    assert not needs_form(None)


async def test_every_field_type_has_its_widget() -> None:
    app = test_app(ready_state(every_field_form()), start="form")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, FormScreen)
        widgets = {field.var: widget for field, widget in screen._widgets}
        assert set(widgets) == {"email", "pin", "about", "color", "topics", "tos", "friend",
                                "ocr"}
        assert isinstance(widgets["email"], Input) and not widgets["email"].password
        assert isinstance(widgets["pin"], Input) and widgets["pin"].password
        assert isinstance(widgets["about"], TextArea)
        assert isinstance(widgets["color"], Select) and widgets["color"].value == "blue"
        assert isinstance(widgets["topics"], SelectionList)
        assert isinstance(widgets["tos"], Checkbox)
        assert isinstance(widgets["friend"], Input)
        assert isinstance(widgets["ocr"], Input)
        text = screen_text(app)
        assert "Sign up" in text  # the title
        assert "Please fill in [b]all[/b] fields." in text  # server text, not markup
        assert "Tell us a bit about you." in text  # the fixed field
        assert "s3cr3t" not in text  # hidden fields are not shown
        assert "Email *" in text and "PIN *" not in text  # required fields are marked
        assert screen.query_one(CaptchaImage).image is not None
        assert "https://example.org/captcha/1" in text
        assert app.focused is widgets["email"]


async def test_required_fields_and_answers() -> None:
    # The creating step after this form submits to a session; there is no server that sent
    # this form, so a canned service takes the answers (see FakeRegistration).
    fake = FakeRegistration()
    app = test_app(ready_state(every_field_form()), service=fake, start="form")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, FormScreen)
        widgets = {field.var: widget for field, widget in screen._widgets}
        screen.query_one("#submit").focus()
        await pilot.press("enter")
        assert isinstance(app.screen, FormScreen)
        assert ("Please fill in: Email, I accept the rules, Enter the text you see"
                in screen_text(app))
        assert app.focused is widgets["email"]
        # Keyboard only: Enter moves from one input to the next.
        await type_text(pilot, "alice@mail.example")
        await pilot.press("enter")
        assert app.focused is widgets["pin"]
        await type_text(pilot, "1234")
        await pilot.press("tab")
        assert app.focused is widgets["about"]
        await type_text(pilot, "hello")
        await pilot.press("enter")
        await type_text(pilot, "world")
        await pilot.press("tab", "tab")  # past the select
        assert app.focused is widgets["topics"]
        await pilot.press("down", "space")  # select "music"
        await pilot.press("tab", "space")  # tick the checkbox
        assert isinstance(widgets["tos"], Checkbox) and widgets["tos"].value
        widgets["ocr"].focus()
        await type_text(pilot, "7K3QX")
        await pilot.press("enter")  # the last input submits
        await wait_for_screen(pilot, CreatingScreen)
        assert app.state.answers == {
            "email": ["alice@mail.example"], "pin": ["1234"], "about": ["hello", "world"],
            "color": ["blue"], "topics": ["music"], "tos": ["1"], "friend": [],
            "ocr": ["7K3QX"],
        }
        await wait_until(pilot, lambda: bool(fake.submitted), what="the submit")
        sent = fake.submitted[0]
        assert sent["username"] == ["alice"]
        assert sent["password"] == [PASSWORD]
        assert sent["email"] == ["alice@mail.example"]


@pytest.mark.prosody
async def test_unchecked_boolean_is_zero_and_escape_goes_back(
        prosody: Any, relay: Callable[..., Relay]) -> None:
    gate = relay(prosody.starttls_port)
    app = test_app(live_state(prosody, "captcha.test", fresh("esc"), port=gate.port),
                   start="connect")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, FormScreen, NETWORK_WAIT)
        widgets = {field.var: widget for field, widget in screen._widgets}
        assert list(widgets) == ["ocr"]
        assert screen.value_of(*next(iter(screen._widgets))) == []
        assert gate.closed == 0  # the session (and its CAPTCHA) is held open while answering
        await pilot.press("escape")
        await wait_for_screen(pilot, AccountScreen)
        await wait_until(pilot, lambda: gate.closed == 1, what="the session to be closed")


async def test_notice_is_shown_and_earlier_answers_kept_but_not_the_captcha() -> None:
    state = ready_state(every_field_form())
    state.answers = {"email": ["alice@mail.example"], "ocr": ["WRONG"], "tos": ["1"]}
    app = test_app(state, start="form")
    app.notice = NotAcceptableError("wrong captcha", "captcha")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, FormScreen)
        widgets = {field.var: widget for field, widget in screen._widgets}
        assert "CAPTCHA answer was wrong" in screen_text(app)
        assert isinstance(widgets["email"], Input)
        assert widgets["email"].value == "alice@mail.example"
        assert isinstance(widgets["ocr"], Input) and widgets["ocr"].value == ""
        assert isinstance(widgets["tos"], Checkbox) and widgets["tos"].value
        assert app.focused is widgets["ocr"]  # straight to the new CAPTCHA


async def test_unreadable_captcha_image_says_so() -> None:
    form = captcha_form()
    cid = next(iter(form.bob))
    form.bob[cid] = type(form.bob[cid])(cid, "image/png", b"not an image")
    app = test_app(ready_state(form), start="form")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, FormScreen)
        image = screen.query_one(CaptchaImage)
        assert image.image is None
        assert "could not be shown" in str(image.render())


async def test_field_descriptions_are_plain_text() -> None:
    form = simple_form()
    form.fields.append(FormField("nick", "text-single", label="[red]Nick[/red]",
                                 desc="Your [b]nickname[/b]"))
    app = test_app(ready_state(form), start="form")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, FormScreen)
        labels = [str(w.render()) for w in screen.query(Static)]
        assert "[red]Nick[/red]" in labels
        assert "Your [b]nickname[/b]" in labels
