"""The core never imports Textual: proven in a fresh interpreter, and by import-linter."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CORE_MODULES = [
    "onboard.core.accounts", "onboard.core.captcha", "onboard.core.errors",
    "onboard.core.flow", "onboard.core.network", "onboard.core.providers",
    "onboard.core.validation", "onboard.core.xmpp.connection", "onboard.core.xmpp.forms",
    "onboard.core.xmpp.registration", "onboard.cli.register", "onboard.cli.forms",
]


def test_core_and_cli_import_without_textual() -> None:
    code = (
        "import sys\n"
        f"for name in {CORE_MODULES!r}:\n"
        "    __import__(name)\n"
        "loaded = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(loaded)\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys\n"
        "from onboard.__main__ import build_parser\n"
        "build_parser().format_help()\n"
        "heavy = [m for m in ('textual', 'slixmpp', 'stem', 'slixmpp_omemo', 'PIL', 'httpx')"
        " if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr


def test_import_linter_contract_holds() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is part of the test extras"
    result = subprocess.run([lint], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout
