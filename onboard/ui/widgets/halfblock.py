"""Draw pixel rows with the upper half block: two pixel rows per text row.

Each cell is "▀" with the foreground colour of the top pixel and the background colour of the
bottom pixel.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.color import Color
from rich.style import Style
from rich.text import Text

UPPER_HALF = "▀"


def half_block_text(rows: Iterable[Sequence[tuple[Color, Color]]]) -> Text:
    """One line per row of (top, bottom) colour pairs; never wrapped."""
    text = Text(no_wrap=True, overflow="crop", end="")
    styles: dict[tuple[Color, Color], Style] = {}
    for index, row in enumerate(rows):
        if index:
            text.append("\n")
        for pair in row:
            style = styles.get(pair)
            if style is None:
                style = styles[pair] = Style(color=pair[0], bgcolor=pair[1])
            text.append(UPPER_HALF, style)
    return text


def grey(level: int) -> Color:
    level = max(0, min(255, level))
    return Color.from_rgb(level, level, level)
