"""Texts declared at import time with N_() are all known to the extractor and translated."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

import onboard.ui
from onboard.i18n import set_language
from onboard.ui.text import deferred_texts, tr

UI_DIR = Path(onboard.ui.__file__).parent


class Shouting(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        # Capitals everywhere but in {placeholders}.
        parts = re.split(r"(\{[^}]*\})", message)
        return "".join(p if p.startswith("{") else p.upper() for p in parts)


def test_every_n_marked_text_is_in_the_table() -> None:
    marked: set[str] = set()
    for path in UI_DIR.rglob("*.py"):
        if path.name == "text.py":
            continue
        marked.update(re.findall(r'N_\("((?:[^"\\]|\\.)*)"\)', path.read_text()))
    assert marked, "no N_() texts found: the pattern is wrong"
    assert marked <= set(deferred_texts()), marked - set(deferred_texts())


def test_tr_uses_the_current_language(monkeypatch: pytest.MonkeyPatch) -> None:
    assert tr("Back") == "Back"
    assert tr("") == ""
    monkeypatch.setattr(gettext, "translation", lambda *args, **kwargs: Shouting())
    set_language("de")
    assert tr("Back") == "BACK"
    assert tr("Not in the table") == "NOT IN THE TABLE"
