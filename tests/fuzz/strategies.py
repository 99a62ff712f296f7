"""Strategies and helpers shared by the property tests (profiles: see conftest.py)."""

from __future__ import annotations

import os
import unicodedata

from hypothesis import settings
from hypothesis import strategies as st

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
# The thorough profile tries this many times more examples than a CI run.
_THOROUGH_FACTOR = 25


def budget(examples: int) -> int:
    """`examples` for a CI run, many more under the thorough profile."""
    return examples * _THOROUGH_FACTOR if PROFILE == "thorough" else examples


def fuzz_settings(examples: int) -> settings:
    """The chosen profile (registered in conftest.py) with a budget of `examples`."""
    return settings(settings.get_profile(PROFILE), max_examples=budget(examples))


# Characters that broke parsers before, or that a hostile peer would try: terminal controls (C0
# and C1, CSI), bidi overrides, invisible joiners, line separators, a lone surrogate (JSON can
# carry one), characters whose case mapping or NFKC form changes length or meaning, digits that
# are not ASCII, and the delimiters of the grammars under test.
TRICKY_CHARS = (
    "\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9b", "\u200b", "\u200d", "\u202e", "\u2066",
    "\u00ad", "\ufeff", "\u2028", "\u2029", "\ud800", "\ue000", "\r", "\n", "\t", "\x0b", " ",
    "\u00a0", "\u3000", "\u3002", "\uff0e", "\uff20", "\u0130", "\u00df", "\u212a", "\ufb03",
    "\u0345", "\u00b2", "\u0661", "\uff11", "\u2167", "%", "@", "/", "?", ";", "&", "=", "#",
    ":", "[", "]", ".", "-", "'", '"', "<", ">", "\\",
)

tricky_char = st.sampled_from(TRICKY_CHARS)
# Any code point, surrogates included.
any_char = st.characters(exclude_categories=())


def nasty_text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Text that mixes ordinary characters, every kind of code point and the tricky ones."""
    characters = st.one_of(st.characters(), any_char, tricky_char, tricky_char)
    return st.text(characters, max_size=max_size)


def spliced(tokens: list[str], max_parts: int = 8) -> st.SearchStrategy[str]:
    """Text glued together from grammar `tokens` and nasty fragments: near misses of valid input."""
    part = st.one_of(st.sampled_from(tokens), st.sampled_from(tokens), nasty_text(6))
    return st.lists(part, max_size=max_parts).map("".join)


HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def hidden_chars(text: str, allowed: str = "") -> list[str]:
    """The control, format, surrogate, private-use and unassigned characters in `text`."""
    return [c for c in text if c not in allowed and unicodedata.category(c) in HIDDEN_CATEGORIES]


def is_one_line(text: str) -> bool:
    """Safe to print on one terminal line: nothing hidden, no line break, no outer space."""
    return (not hidden_chars(text) and text == " ".join(text.split()))


# Names and domains that are valid by construction.
_LABEL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"
_label_edge = st.text(_LABEL_CHARS, min_size=1, max_size=4)
dns_label = st.text(_LABEL_CHARS, min_size=1, max_size=12) | st.builds(
    lambda head, middle, tail: head + middle + tail,
    _label_edge, st.text("-" + _LABEL_CHARS, max_size=4), _label_edge)
valid_domain = st.lists(dns_label, min_size=2, max_size=4).map(".".join)
_NAME_ALPHABET = st.one_of(
    st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789._-+!$*"),
    st.characters(categories=["Ll", "Lo", "Nd"], min_codepoint=128),
)
valid_username = st.text(_NAME_ALPHABET, min_size=1, max_size=20)
