"""Country names for two-letter codes (ISO 3166-1 alpha-2), in English and German.

The names come from the Unicode CLDR, bundled as onboard/data/countries.json by
scripts/update-countries.py, so no locale library is needed at run time.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

from onboard.i18n import current_language


@functools.cache
def _names() -> dict[str, dict[str, str]]:
    # Read on first use only: most commands never show a country name.
    text = resources.files("onboard.data").joinpath("countries.json").read_text("utf-8")
    data: dict[str, dict[str, str]] = json.loads(text)
    return data


def country_name(code: str, language: str | None = None) -> str:
    """The country's name in `language` (default: the user's), else English, else the code."""
    key = code.strip().upper()
    names = _names().get(key)
    if names is None:
        return key
    return names.get((language or current_language()).lower()) or names.get("en") or key


def country_label(code: str, language: str | None = None) -> str:
    """The name with its code, e.g. "Germany (DE)"; just the code when it is unknown."""
    key = code.strip().upper()
    name = country_name(key, language)
    return key if name == key else f"{name} ({key})"


def country_code(text: str) -> str | None:
    """The two-letter code for `text`: a known code in any case ("de"), or a country's name
    in English or German ("Germany", "deutschland"); None when it is neither."""
    typed = " ".join(text.split()).casefold()
    if not typed:
        return None
    names = _names()
    if len(typed) == 2 and typed.upper() in names:
        return typed.upper()
    for code, by_language in names.items():
        if any(name.casefold() == typed for name in by_language.values()):
            return code
    return None
