"""Country names from the bundled CLDR data, in English and German."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources

import pytest

from onboard import i18n
from onboard.core.countries import country_code, country_label, country_name
from onboard.core.providers import bundled


@pytest.fixture
def german() -> Iterator[None]:
    before = i18n.current_language()
    i18n.set_language("de")
    try:
        yield
    finally:
        i18n.set_language(before)


def test_names_in_both_languages() -> None:
    assert country_name("DE", "en") == "Germany"
    assert country_name("DE", "de") == "Deutschland"
    assert country_name("CH", "en") == "Switzerland"
    assert country_name("CH", "de") == "Schweiz"
    assert country_name("AT", "de") == "Österreich"


def test_input_is_case_insensitive() -> None:
    assert country_name("de", "en") == "Germany"
    assert country_name(" ch ", "de") == "Schweiz"
    assert country_label("at", "en") == "Austria (AT)"


def test_unknown_codes_come_back_as_the_code() -> None:
    assert country_name("QQ", "en") == "QQ"
    assert country_name("qq", "de") == "QQ"
    assert country_label("QQ", "en") == "QQ"


def test_a_code_or_a_name_gives_the_code() -> None:
    assert country_code("de") == "DE"
    assert country_code(" Germany ") == "DE"
    assert country_code("deutschland") == "DE"
    assert country_code("Vereinigte  Staaten") == "US"
    assert country_code("XK") == "XK"
    for unknown in ("", "QQ", "EU", "Narnia", "D"):
        assert country_code(unknown) is None


def test_an_unknown_language_falls_back_to_english() -> None:
    assert country_name("DE", "fr") == "Germany"


@pytest.mark.usefixtures("german")
def test_the_default_is_the_current_language() -> None:
    assert country_name("DE") == "Deutschland"
    assert country_label("CH") == "Schweiz (CH)"


def test_the_label_has_name_and_code() -> None:
    assert country_label("DE", "en") == "Germany (DE)"
    assert country_label("DE", "de") == "Deutschland (DE)"


def test_the_data_has_only_real_two_letter_codes() -> None:
    text = resources.files("onboard.data").joinpath("countries.json").read_text("utf-8")
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert all(len(code) == 2 and code.isascii() and code.isupper() for code in data)
    assert not {"ZZ", "EU", "UN", "XA", "XB"} & data.keys()
    assert "XK" in data
    assert all(set(names) == {"en", "de"} and all(names.values()) for names in data.values())


def test_every_bundled_server_country_has_a_name() -> None:
    codes = {code for provider in bundled() for code in provider.countries}
    assert codes, "the bundled list should name server locations"
    for code in sorted(codes):
        for language in ("en", "de"):
            assert country_name(code, language) != code, (code, language)
