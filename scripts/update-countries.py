"""Write onboard/data/countries.json: English and German country names from the Unicode CLDR.

Babel (a dev tool, not a runtime dependency) carries the CLDR data, so onboard ships only the
small JSON file. Run after upgrading babel: `.venv/bin/python scripts/update-countries.py`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from babel import Locale

OUT = Path(__file__).resolve().parents[1] / "onboard" / "data" / "countries.json"
LANGUAGES = ("en", "de")
_CODE = re.compile(r"^[A-Z]{2}\Z")
# CLDR two-letter codes that are not places a server can stand in: unknown region, unions and
# groupings (EU, Eurozone, UN, Outlying Oceania) and the pseudo-locale regions. XK (Kosovo) and
# the exceptionally reserved places (AC, IC, ...) stay: they are real locations.
_NOT_COUNTRIES = frozenset({"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB"})


def country_names() -> dict[str, dict[str, str]]:
    territories = {lang: Locale(lang).territories for lang in LANGUAGES}
    codes = sorted(code for code in territories["en"]
                   if _CODE.match(code) and code not in _NOT_COUNTRIES)
    return {code: {lang: str(territories[lang].get(code, territories["en"][code]))
                   for lang in LANGUAGES}
            for code in codes}


def render(names: dict[str, dict[str, str]]) -> str:
    # One country a line, so an update shows as a readable diff.
    lines = [f"{json.dumps(code)}: {json.dumps(entry, ensure_ascii=False)}"
             for code, entry in names.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main() -> None:
    names = country_names()
    OUT.write_text(render(names), encoding="utf-8")
    print(f"{OUT}: {len(names)} countries")


if __name__ == "__main__":
    main()
