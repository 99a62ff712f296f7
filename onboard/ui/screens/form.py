"""Step 6b: the server's own questions (extra fields, CAPTCHA), when it has any.

Every XEP-0004 field type is shown with a matching widget; hidden fields are not shown (the core
sends them back unchanged). Text from the server is shown as plain text, never as markup.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import (
    Button,
    Checkbox,
    Input,
    Select,
    SelectionList,
    Static,
    TextArea,
)

from onboard.core.errors import OnboardError
from onboard.core.flow import WizardState
from onboard.core.xmpp.forms import Answers, FormField, RegistrationForm, missing_required
from onboard.i18n import _
from onboard.ui.screens.base import WizardScreen
from onboard.ui.text import N_

TRUE_VALUES = ("1", "true")
# Fields of a CAPTCHA form that only point to where the challenge can be seen.
LINK_VARS = ("url", "captcha-fallback-url")


def needs_form(form: RegistrationForm | None) -> bool:
    """Whether the server asks for more than a name and a password."""
    return form is not None and (bool(form.extra_fields()) or form.captcha_field is not None)


def kept_answers(form: RegistrationForm, previous: Answers) -> Answers:
    """Earlier answers worth keeping for a fresh form: not the (single use) CAPTCHA."""
    captcha_vars = {f.var for f in form.fields if f.is_captcha}
    return {var: values for var, values in previous.items()
            if var not in captcha_vars and var not in ("username", "password")}


def field_label(field: FormField) -> str:
    if field.label:
        return field.label
    defaults = {
        "ocr": _("Characters shown in the picture"),
        "qa": _("Answer to the question"),
        "email": _("Email address"),
    }
    return defaults.get(field.var, field.display_label)


class FormScreen(WizardScreen[Answers]):
    """Dismisses with the answers to the extra fields (also stored in `state.answers`), or BACK.

    Boolean answers are ["1"] or ["0"]; empty optional answers are left out.
    """

    STEP = 6
    STEP_TITLE = N_("The server's questions")
    GUIDE = "safe-device"
    CSS_PATH = "form.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+o", "open_captcha", N_("Open CAPTCHA in browser"), id="open-captcha"),
    ]

    def __init__(self, state: WizardState, form: RegistrationForm,
                 notice: OnboardError | None = None) -> None:
        super().__init__(state)
        self.form = form
        self.notice = notice
        self.previous = kept_answers(form, state.answers)
        self.fields: list[FormField] = [
            f for f in form.extra_fields()
            if not (f.var in LINK_VARS and form.captcha_field is not None)
        ]
        self.captcha_urls = form.captcha_urls()
        self._widgets: list[tuple[FormField, Widget]] = []
        self._problem_ids: dict[str, str] = {}

    # --- building ---------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        form = self.form
        self._widgets = []
        self._problem_ids = {}
        if self.notice is not None:
            # Plain lines, no box: with a CAPTCHA everything must fit on an 80x24 terminal.
            with Vertical(id="notice"):
                yield Static(Content(self.notice.message), id="notice-message")
                yield Static(Content(self.notice.hint), id="notice-hint")
        if form.title:
            yield Static(Content(form.title), id="form-title")
        if self.notice is None:
            yield Static(Content(_("{domain} asks for a little more before it creates "
                                   "{address}.").format(domain=form.domain,
                                                        address=self.state.address_preview)),
                         id="form-intro")
        if form.instructions:
            yield Static(Content(form.instructions), id="form-instructions")
        inputs = [f for f in self.fields if f.type != "fixed"]
        if len(inputs) > 1 and any(f.required for f in inputs):
            yield Static(_("Fields marked * must be filled in."), id="required-legend")
        for index, field in enumerate(self.fields):
            with Vertical(classes="field", id=f"field-box-{index}"):
                yield from self._compose_field(index, field)
        yield Static("", id="form-problem")
        with Horizontal(id="buttons"):
            yield Button(_("Back"), id="back")
            yield Button(_("Create account"), id="submit", variant="primary")

    def _label(self, field: FormField) -> Content:
        text = field_label(field)
        if field.required:
            return Content.assemble(text, (" *", "bold $text-error"))
        return Content(text)

    def _compose_field(self, index: int, field: FormField) -> ComposeResult:
        if field.is_captcha:
            yield from self._compose_captcha()
        if field.type == "fixed":
            text = "\n".join(v for v in field.values if v) or field.label
            yield Static(Content(text), classes="fixed")
            return
        widget = self._make_widget(index, field)
        if field.type != "boolean":
            yield Static(self._label(field), classes="field-label")
        if field.desc and field.desc != field.label:
            yield Static(Content(field.desc), classes="field-desc")
        yield widget
        yield Static("", classes="field-problem", id=f"problem-{index}")
        self._widgets.append((field, widget))
        self._problem_ids[field.var] = f"problem-{index}"

    def _compose_captcha(self) -> ComposeResult:
        image = self.form.captcha_image()
        if image is not None:
            from onboard.ui.widgets.captcha import CaptchaImage

            yield CaptchaImage(image.data, max_rows=10, id="captcha-image")
        if self.captcha_urls:
            if self.state.tor_requested:
                # Not the usual browser: it would connect without Tor (Ctrl+O only says so).
                text = (_("You can also see the CAPTCHA in Tor Browser, at:")
                        if image is not None
                        else _("Open this address in Tor Browser to see the CAPTCHA:"))
            else:
                text = (_("You can also see the CAPTCHA in a web browser (Ctrl+O):")
                        if image is not None
                        else _("Open the CAPTCHA in a web browser (Ctrl+O) to see it:"))
            yield Static(Content(text), classes="field-desc")
            for url in self.captcha_urls:
                yield Static(Content(url), classes="captcha-url")

    def _initial(self, field: FormField) -> list[str]:
        if field.is_captcha:
            return []
        return self.previous.get(field.var, field.values)

    def _make_widget(self, index: int, field: FormField) -> Widget:
        wid = f"field-{index}"
        values = self._initial(field)
        first = values[0] if values else ""
        kind = field.type
        if kind in ("text-multi", "jid-multi"):
            area = TextArea("\n".join(values), id=wid, soft_wrap=True, tab_behavior="focus",
                            show_cursor=True, highlight_cursor_line=False)
            return area
        if kind == "list-single":
            options = [(Content(o.label or o.value), o.value) for o in field.options]
            known = {o.value for o in field.options}
            return Select(options, value=first if first in known else Select.NULL,
                          allow_blank=first not in known, prompt=_("Choose…"), id=wid)
        if kind == "list-multi":
            chosen = set(values)
            return SelectionList[str](
                *[(Content(o.label or o.value), o.value, o.value in chosen)
                  for o in field.options],
                id=wid,
            )
        if kind == "boolean":
            return Checkbox(self._label(field), value=first.lower() in TRUE_VALUES, id=wid)
        placeholder = _("name@example.org") if kind == "jid-single" else ""
        return Input(value=first, password=kind == "text-private", placeholder=placeholder,
                     id=wid)

    def on_mount(self) -> None:
        for problem in self.query(".field-problem, #form-problem"):
            problem.display = False
        if self.notice is not None and self.form.captcha_field is not None:
            captcha = next((w for f, w in self._widgets if f.is_captcha), None)
            if captcha is not None:
                captcha.focus(scroll_visible=False)
                return
        if self._widgets:
            self._widgets[0][1].focus()

    # --- answers ----------------------------------------------------------------------------

    @staticmethod
    def value_of(field: FormField, widget: Widget) -> list[str]:
        if isinstance(widget, Input):
            return [widget.value] if widget.value else []
        if isinstance(widget, TextArea):
            lines = widget.text.splitlines()
            while lines and not lines[-1].strip():
                lines.pop()
            return lines
        if isinstance(widget, Select):
            value = widget.value
            return [] if value is Select.NULL else [str(value)]
        if isinstance(widget, SelectionList):
            return [str(v) for v in widget.selected]
        if isinstance(widget, Checkbox):
            return ["1" if widget.value else "0"]
        return []

    def answers(self) -> Answers:
        return {field.var: self.value_of(field, widget) for field, widget in self._widgets
                if field.var}

    # --- navigation ---------------------------------------------------------------------------

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        inputs = [w for _f, w in self._widgets]
        position = inputs.index(event.input) if event.input in inputs else -1
        if position == -1 or position == len(inputs) - 1:
            self._submit()
        else:
            inputs[position + 1].focus()

    @on(Button.Pressed, "#submit")
    def _submit(self) -> None:
        answers = self.answers()
        shown = {field.var for field, _widget in self._widgets}
        # Name and password come from the account step; only this screen's fields count here.
        missing = [f for f in missing_required(self.form, answers) if f.var in shown]
        missing_vars = {f.var for f in missing}
        first_missing: Widget | None = None
        for field, widget in self._widgets:
            problem = self.query_one(f"#{self._problem_ids[field.var]}", Static)
            if field.var in missing_vars:
                problem.update(_("Please fill this in."))
                problem.display = True
                first_missing = first_missing or widget
            else:
                problem.update("")
                problem.display = False
        summary = self.query_one("#form-problem", Static)
        if first_missing is not None:
            summary.update(Content(_("Please fill in: {fields}").format(
                fields=", ".join(field_label(f) for f in missing))))
            summary.display = True
            first_missing.focus()
            return
        summary.update("")
        summary.display = False
        self.state.answers = answers
        self.dismiss(answers)

    @on(Button.Pressed, "#back")
    def _back(self) -> None:
        self.action_back()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_captcha":
            return bool(self.captcha_urls)
        return super().check_action(action, parameters)

    def action_open_captcha(self) -> None:
        if self.captcha_urls:
            # With Tor on, the app gives the address for Tor Browser instead (OnboardApp).
            self.app.open_url(self.captcha_urls[0])
