"""Fixtures for the Textual layer's tests: a private data folder and English by default."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from onboard.i18n import set_language


@pytest.fixture(autouse=True)
def ui_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test writes its account files under its own tmp folder."""
    home = tmp_path / "onboard-home"
    monkeypatch.setenv("XMPP_ONBOARD_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")
