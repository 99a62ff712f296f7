"""Crash reports: the traceback goes to a private file instead of the user's screen."""

from __future__ import annotations

import time
import traceback
from pathlib import Path

from onboard.core import paths
from onboard.core.storage import write_private


def save_crash_report(error: BaseException) -> Path:
    """Write the traceback (no local variables, so no passwords) and return the file's path."""
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    path = paths.cache_dir() / f"crash-{time.strftime('%Y%m%d-%H%M%S')}.txt"
    write_private(path, text.encode("utf-8", "replace"))
    return path
