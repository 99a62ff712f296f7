"""Translations with gettext.

Every user-facing string goes through `_()`. English is the source language; catalogs live in
`onboard/locale/<lang>/LC_MESSAGES/onboard.mo`. The language comes from the environment
(LANGUAGE, LC_ALL, LC_MESSAGES, LANG) unless the user picks one on the welcome screen.
"""

from __future__ import annotations

import gettext
import os
from pathlib import Path

DOMAIN = "onboard"
LOCALE_DIR = Path(__file__).parent / "locale"
SUPPORTED = ("en", "de")

_translation: gettext.NullTranslations = gettext.NullTranslations()
_current = "en"


def _from_environment() -> str:
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        for part in value.split(":"):
            code = part.split(".")[0].split("_")[0].lower()
            if code in SUPPORTED:
                return code
    return "en"


def set_language(language: str | None = None) -> str:
    """Switch the language of every later `_()` call; returns the language in use."""
    global _translation, _current
    code = (language or _from_environment()).lower()
    if code not in SUPPORTED:
        code = "en"
    _translation = gettext.translation(
        DOMAIN, localedir=LOCALE_DIR, languages=[code], fallback=True
    )
    _current = code
    return code


def current_language() -> str:
    return _current


def _(message: str) -> str:
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


set_language()
