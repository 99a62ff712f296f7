"""Properties of onboard.core.text: what a server wrote, made safe for a terminal."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from onboard.core.text import MAX_SERVER_TEXT, inert, one_line
from tests.fuzz.strategies import fuzz_settings, hidden_chars, is_one_line, nasty_text

texts = st.none() | nasty_text(80) | st.text(max_size=300)
limits = st.integers(1, 120) | st.just(MAX_SERVER_TEXT)


@fuzz_settings(200)
@given(texts, limits)
@example("ab", 1)
@example("\x1b[31mred\x1b[0m \u202egnp.exe\u202c", 200)
def test_inert_keeps_no_hidden_character_and_stays_within_the_limit(text: str | None,
                                                                    limit: int) -> None:
    result = inert(text, limit)
    assert not hidden_chars(result, "\n\t")
    assert len(result) <= limit
    assert result == result.strip()
    assert inert(result, limit) == result  # idempotent


@fuzz_settings(200)
@given(texts, limits)
def test_one_line_is_a_single_visible_line_within_the_limit(text: str | None,
                                                           limit: int) -> None:
    result = one_line(text, limit)
    assert is_one_line(result) and len(result) <= limit
    assert one_line(result, limit) == result


@fuzz_settings(100)
@given(st.text(st.characters(exclude_categories=["Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl",
                                                 "Zp"]), max_size=100))
def test_visible_text_within_the_limit_is_kept_as_it_is(text: str) -> None:
    assert inert(text, MAX_SERVER_TEXT) == text
    assert one_line(text, 50) == (text if len(text) <= 50 else text[:49] + "…")


@fuzz_settings(50)
@given(texts, st.integers(-5, 0))
@example("ab", 0)  # found: "a…" came back, longer than the limit
def test_a_limit_below_one_leaves_nothing(text: str | None, limit: int) -> None:
    assert inert(text, limit) == "" and one_line(text, limit) == ""
