"""Make text that came from a server safe to show in a terminal.

A server controls labels, instructions and error texts; escape sequences in them would be
interpreted by the user's terminal. Control characters are dropped and lengths capped.
"""

from __future__ import annotations

import unicodedata

MAX_SERVER_TEXT = 2000


def inert(text: str | None, limit: int = MAX_SERVER_TEXT) -> str:
    """Return `text` without control or format characters (newlines and tabs kept), capped at
    `limit` characters (an ellipsis ends a cut text; a limit below 1 leaves nothing)."""
    if not text or limit < 1:
        return ""
    kept = []
    for char in text:
        if char in "\n\t":
            kept.append(char)
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        kept.append(char)
    result = "".join(kept).strip()
    if len(result) > limit:
        result = result[: limit - 1] + "…"
    return result


def one_line(text: str | None, limit: int = 200) -> str:
    return " ".join(inert(text, limit).split())
