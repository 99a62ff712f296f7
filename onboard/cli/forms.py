"""Ask the fields of a server's registration form on the terminal, the CAPTCHA included."""

from __future__ import annotations

from onboard.cli.io import Terminal
from onboard.core.captcha import decode, to_ansi
from onboard.core.errors import OnboardError
from onboard.core.xmpp.forms import Answers, FormField, RegistrationForm
from onboard.i18n import _


def _field_hint(field: FormField) -> str:
    return _("The server asks for “{label}”: give it with --field {var}=VALUE.").format(
        label=field.display_label, var=field.var)


def show_captcha(terminal: Terminal, form: RegistrationForm) -> None:
    image = form.captcha_image()
    if image is not None:
        try:
            terminal.say(to_ansi(decode(image.data)))
        except OnboardError as error:
            terminal.say(error.message)
    for url in form.captcha_urls():
        terminal.say(_("The CAPTCHA can also be seen at: {url}").format(url=url))


def ask_form(terminal: Terminal, form: RegistrationForm, answers: Answers) -> None:
    """Fill `answers` with every visible field the options left empty."""
    extra = [f for f in form.extra_fields() if f.var not in answers]
    if not extra:
        return
    if terminal.interactive:
        if form.title:
            terminal.say(form.title)
        if form.instructions:
            terminal.say(form.instructions)
    for field in extra:
        if field.type == "fixed":
            if terminal.interactive:
                terminal.say("\n".join(field.values))
            continue
        if field.is_captcha and terminal.interactive:
            show_captcha(terminal, form)
        answers[field.var] = _ask_field(terminal, field)


def _ask_field(terminal: Terminal, field: FormField) -> list[str]:
    hint = _field_hint(field)
    label = field.display_label + (" *" if field.required else "")
    if field.desc:
        terminal.say(field.desc) if terminal.interactive else None
    if field.type == "boolean":
        value = terminal.ask(f"{label} {_('[y/N]')}: ", hint).strip().lower()
        return ["1" if value in ("y", "yes", "j", "ja", "1", "true") else "0"]
    if field.type in ("list-single", "list-multi") and field.options:
        for index, option in enumerate(field.options, 1):
            terminal.say(f"  {index}. {option.label or option.value}")
        while True:
            raw = terminal.ask(f"{label} (1-{len(field.options)}): ", hint)
            picked = _pick(raw, len(field.options), field.type == "list-multi")
            if picked is not None:
                return [field.options[i].value for i in picked]
            terminal.say(_("Enter the number of an option."))
    if field.type == "text-private":
        return [terminal.ask_secret(f"{label}: ", hint)]
    while True:
        value = terminal.ask(f"{label}: ", hint)
        if value.strip() or not field.required:
            return [value] if value else []
        terminal.say(_("This field is required."))


def _pick(raw: str, count: int, many: bool) -> list[int] | None:
    parts = [p for p in raw.replace(",", " ").split() if p]
    if not parts or (len(parts) > 1 and not many):
        return None
    try:
        picked = [int(p) - 1 for p in parts]
    except ValueError:
        return None
    return picked if all(0 <= p < count for p in picked) else None
