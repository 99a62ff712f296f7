"""QR codes as a module matrix, and drawn with half blocks for a terminal (dark on light)."""

from __future__ import annotations


def qr_matrix(data: str, quiet_zone: int = 2, error_correction: str = "M") -> list[list[bool]]:
    """The modules of `data`'s QR code (True = dark), with `quiet_zone` light modules around.

    `error_correction`: "M" (the default; survives some damage) or "L" (a smaller code, enough
    on a screen, where nothing smudges it).
    """
    import qrcode  # imported when a code is drawn: keeps start-up fast
    from qrcode.constants import ERROR_CORRECT_L, ERROR_CORRECT_M

    levels = {"L": ERROR_CORRECT_L, "M": ERROR_CORRECT_M}
    code = qrcode.QRCode(error_correction=levels[error_correction], border=quiet_zone)
    code.add_data(data)
    code.make(fit=True)
    return [[bool(module) for module in row] for row in code.get_matrix()]


def to_ansi(matrix: list[list[bool]]) -> str:
    """Two module rows per line: "▀" in the top module's colour on the bottom one's.

    Explicit black on white, so the code scans on dark and light terminals alike.
    """
    black, white = "0;0;0", "255;255;255"
    lines = []
    for y in range(0, len(matrix), 2):
        top = matrix[y]
        bottom = matrix[y + 1] if y + 1 < len(matrix) else [False] * len(top)
        cells = [
            f"\x1b[38;2;{black if t else white}m\x1b[48;2;{black if b else white}m▀"
            for t, b in zip(top, bottom, strict=True)
        ]
        lines.append("".join(cells) + "\x1b[0m")
    return "\n".join(lines)
