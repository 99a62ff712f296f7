"""A fingerprint as two friends compare it aloud: 8 numbered groups of 8, each group coloured.

Colours alternate so the eye keeps its place; the group numbers carry the same help where
colours are off (NO_COLOR) or hard to tell apart.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

# Readable on dark and light backgrounds; four, so neighbours always differ.
GROUP_STYLES = ("bold $text-primary", "bold $text-success", "bold $text-warning",
                "bold $text-accent")


def groups_of(fingerprint: str) -> list[str]:
    """64 hex digits as 8 groups of 8 (lowercase, spaces ignored)."""
    text = "".join(fingerprint.split()).lower()
    return [text[i:i + 8] for i in range(0, len(text), 8)]


def fingerprint_content(fingerprint: str, per_line: int = 4) -> Content:
    """`per_line` groups a line, each as "n:group" in its colour."""
    parts: list[Content | str] = []
    for index, group in enumerate(groups_of(fingerprint)):
        if index:
            parts.append("\n" if index % per_line == 0 else "  ")
        parts.append(Content.from_markup(f"[dim]{index + 1}[/dim] "))
        parts.append(Content.styled(group, GROUP_STYLES[index % len(GROUP_STYLES)]))
    return Content.assemble(*parts)


class Fingerprint(Static):
    """Shows one fingerprint in groups; `per_line` 4 gives two lines of about 42 cells."""

    DEFAULT_CSS = """
    Fingerprint {
        width: auto;
        height: auto;
    }
    """

    def __init__(self, fingerprint: str, *, per_line: int = 4, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(fingerprint_content(fingerprint, per_line), id=id, classes=classes)
        self.fingerprint = "".join(groups_of(fingerprint))
