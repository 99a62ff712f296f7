"""QR codes decode with a real decoder (zbarimg), from the matrix and from the terminal text."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from onboard.core.qr import qr_matrix, to_ansi

URL = "https://example.org/register?lang=en"
SCALE = 8


def zbarimg(path: Path) -> str:
    if shutil.which("zbarimg") is None:
        reason = "zbarimg is not installed (apt-get install zbar-tools)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    result = subprocess.run(["zbarimg", "--quiet", "--raw", str(path)], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def save(pixels: list[list[bool]], path: Path) -> Path:
    image = Image.new("L", (len(pixels[0]) * SCALE, len(pixels) * SCALE), 255)
    for y, row in enumerate(pixels):
        for x, dark in enumerate(row):
            if dark:
                image.paste(0, (x * SCALE, y * SCALE, (x + 1) * SCALE, (y + 1) * SCALE))
    image.save(path)
    return path


def test_matrix_has_a_quiet_zone_and_decodes(tmp_path: Path) -> None:
    matrix = qr_matrix(URL, quiet_zone=2)
    assert not any(matrix[0]) and not any(matrix[1]) and not any(row[0] for row in matrix)
    assert zbarimg(save(matrix, tmp_path / "qr.png")) == URL


def test_terminal_drawing_decodes(tmp_path: Path) -> None:
    """Read the colours back out of the ANSI half blocks and scan what a screen would show."""
    pixels: list[list[bool]] = []
    cell = re.compile(r"\x1b\[38;2;(\d+);\d+;\d+m\x1b\[48;2;(\d+);\d+;\d+m▀")
    for line in to_ansi(qr_matrix(URL)).splitlines():
        cells = cell.findall(line)
        pixels.append([fg == "0" for fg, _bg in cells])
        pixels.append([bg == "0" for _fg, bg in cells])
    assert zbarimg(save(pixels, tmp_path / "drawn.png")) == URL
