"""The German catalog: complete, faithful to the placeholders, compiled, and used by the app.

When this fails after changing user-facing text, run `./scripts/update-translations`, translate
the new or changed entries in onboard/locale/de/LC_MESSAGES/onboard.po (no "fuzzy" left), and
run the script again to compile them.
"""

from __future__ import annotations

import gettext
import io
import os
import string
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

import onboard
from onboard import i18n

PACKAGE_DIR = Path(onboard.__file__).parent
DE_DIR = PACKAGE_DIR / "locale" / "de" / "LC_MESSAGES"
PO_FILE = DE_DIR / "onboard.po"
MO_FILE = DE_DIR / "onboard.mo"
COMMAND = Path(sys.executable).parent / "xmpp-onboard"
# The same keywords as scripts/update-translations.
KEYWORDS: dict[str, tuple[int, ...] | None] = {"_": None, "ngettext": (1, 2)}

MessageId = str | tuple[str, ...]


def source_messages() -> dict[MessageId, list[str]]:
    """Every message id marked in the onboard package, with where it is (file:line)."""
    found: dict[MessageId, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(PACKAGE_DIR), keywords=KEYWORDS
    ):
        key: MessageId = message if isinstance(message, str) else tuple(message)
        found.setdefault(key, []).append(f"onboard/{filename}:{lineno}")
    return found


def load_po() -> Catalog:
    with PO_FILE.open("rb") as handle:
        return read_po(handle, locale="de")


def translated_forms(message: Message) -> list[str]:
    if isinstance(message.string, str):
        return [message.string]
    return list(message.string)


def source_forms(message: Message) -> list[str]:
    if isinstance(message.id, str):
        return [message.id]
    return list(message.id)


def placeholders(text: str) -> set[str]:
    """The {fields} of a str.format() text, with their conversion and format spec."""
    fields: set[str] = set()
    for _literal, name, spec, conversion in string.Formatter().parse(text):
        if name is not None:
            fields.add("{" + name + (f"!{conversion}" if conversion else "")
                       + (f":{spec}" if spec else "") + "}")
    return fields


def catalog_of(translations: gettext.GNUTranslations) -> dict[object, str]:
    # GNUTranslations keeps its messages in `_catalog`: the one way to see them all.
    catalog: dict[object, str] = translations._catalog  # type: ignore[attr-defined]
    return catalog


@pytest.fixture
def restore_language() -> Iterator[None]:
    """Tests that switch the language put back the one the rest of the suite runs in."""
    before = i18n.current_language()
    try:
        yield
    finally:
        i18n.set_language(before)


# --- the catalog -------------------------------------------------------------------------------


def test_the_source_has_messages() -> None:
    messages = source_messages()
    assert len(messages) > 100, "the extractor found almost nothing: is the keyword list right?"
    assert "Back" in messages


def test_every_message_has_a_german_translation() -> None:
    catalog = load_po()
    problems: list[str] = []
    for msgid, places in sorted(source_messages().items(), key=lambda item: str(item[0])):
        where = ", ".join(places)
        entry = catalog.get(msgid if isinstance(msgid, str) else msgid[0])
        if entry is None:
            problems.append(f"missing:      {msgid!r}  ({where})")
        elif entry.fuzzy:
            problems.append(f"fuzzy:        {msgid!r}  ({where})")
        elif not all(form.strip() for form in translated_forms(entry)):
            problems.append(f"untranslated: {msgid!r}  ({where})")
    assert not problems, (
        "German translations are missing: run ./scripts/update-translations, translate in "
        f"{PO_FILE.relative_to(PACKAGE_DIR.parent)}, and run it again.\n" + "\n".join(problems)
    )


def test_no_entry_is_fuzzy_or_empty() -> None:
    """Also entries no longer in the source: they would still be compiled or left half done."""
    bad = [str(m.id) for m in load_po() if m.id and (m.fuzzy or not all(translated_forms(m)))]
    assert not bad, bad


def test_plural_forms_are_german() -> None:
    catalog = load_po()
    assert catalog.num_plurals == 2
    for message in catalog:
        if message.pluralizable:
            assert len(translated_forms(message)) == 2, message.id


def test_translations_keep_the_placeholders() -> None:
    wrong: list[str] = []
    for message in load_po():
        if not message.id:
            continue
        expected = set().union(*(placeholders(form) for form in source_forms(message)))
        for form in translated_forms(message):
            got = placeholders(form)
            if got != expected:
                wrong.append(f"{message.id!r}: has {sorted(got)}, needs {sorted(expected)}")
    assert not wrong, "\n".join(wrong)


def test_the_header_is_filled_in() -> None:
    catalog = load_po()
    assert catalog.locale is not None and str(catalog.locale) == "de"
    assert catalog.project == "xmpp-onboard"
    assert catalog.charset.lower() == "utf-8"
    header = catalog.header_comment + "\n".join(f"{k}: {v}" for k, v in catalog.mime_headers)
    for placeholder in ("FIRST AUTHOR", "FULL NAME", "EMAIL@ADDRESS", "PROJECT VERSION",
                        "ORGANIZATION", "LL@li.org"):
        assert placeholder not in header


def test_the_compiled_catalog_is_up_to_date() -> None:
    compiled = io.BytesIO()
    write_mo(compiled, load_po())
    compiled.seek(0)
    expected = catalog_of(gettext.GNUTranslations(compiled))
    with MO_FILE.open("rb") as handle:
        shipped = catalog_of(gettext.GNUTranslations(handle))
    stale = sorted(str(key) for key in expected.keys() | shipped.keys()
                   if expected.get(key) != shipped.get(key))
    assert not stale, ("onboard.mo does not match onboard.po: run ./scripts/update-translations."
                       f"\nDiffering entries: {stale}")


# --- the app uses it ---------------------------------------------------------------------------


@pytest.mark.usefixtures("restore_language")
def test_set_language_switches_to_german_and_back() -> None:
    assert i18n.set_language("de") == "de"
    assert i18n.current_language() == "de"
    assert i18n._("Back") == "Zurück"
    assert i18n._("Generate password") == "Passwort erzeugen"
    assert i18n.set_language("en") == "en"
    assert i18n._("Back") == "Back"


@pytest.mark.usefixtures("restore_language")
def test_an_unknown_language_falls_back_to_english() -> None:
    i18n.set_language("de")
    assert i18n.set_language("xx") == "en"
    assert i18n.current_language() == "en"
    assert i18n._("Back") == "Back"


def test_the_command_line_help_is_german() -> None:
    with MO_FILE.open("rb") as handle:
        german = gettext.GNUTranslations(handle)
    env = {**os.environ, "COLUMNS": "200", "LANG": "C.UTF-8"}
    env.pop("LANGUAGE", None)
    env.pop("LC_ALL", None)
    result = subprocess.run([str(COMMAND), "--lang", "de", "--help"], capture_output=True,
                            text=True, env=env, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    shown = " ".join(result.stdout.split())
    for english in ("language of the assistant (default: from the environment)",
                    "assistant options",
                    "create a new account on a server"):
        assert " ".join(german.gettext(english).split()) in shown
        assert english not in shown
    assert "Sprache des Assistenten" in shown
