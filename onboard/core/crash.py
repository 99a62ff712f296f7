"""Crash reports: the traceback goes to a private file instead of the user's screen."""

from __future__ import annotations

import html
import json
import time
import traceback
from collections.abc import Iterable
from pathlib import Path

from onboard.core import paths
from onboard.core.storage import write_private
from onboard.i18n import _

HIDDEN = "[hidden]"

# Every password this process has read, typed, generated or loaded: a crash report blanks them
# out wherever it was raised (the command line's last line of defence has no password at hand).
_remembered: set[str] = set()


def remember_secret(secret: str | None) -> None:
    """Blank `secret` out of any crash report this process writes from now on."""
    if secret:
        _remembered.add(secret)


def save_crash_report(error: BaseException, secrets: Iterable[str] = ()) -> Path:
    """Write the traceback (no local variables, so no passwords) and return the file's path.

    `secrets` (e.g. the password being used) and every remembered one are blanked out wherever
    an exception's message quotes them: a library's message may repeat what it was given.
    """
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    path = paths.cache_dir() / f"crash-{time.strftime('%Y%m%d-%H%M%S')}.txt"
    hidden = hide_secrets(text, [*secrets, *_remembered])
    write_private(path, hidden.encode("utf-8", "replace"))
    return path


def hide_secrets(text: str, secrets: Iterable[str]) -> str:
    """`text` with each secret replaced, also as repr(), JSON and XML would quote it."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        forms = {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1],
                 json.dumps(secret, ensure_ascii=False)[1:-1], html.escape(secret)}
        for form in sorted(forms, key=len, reverse=True):
            text = text.replace(form, HIDDEN)
    return text


def crash_note(error: BaseException, secrets: Iterable[str] = ()) -> str:
    """Save a report for `error` and return the short line to show instead of a traceback."""
    kind = type(error).__name__
    try:
        report = save_crash_report(error, secrets)
    except OSError:
        return _("Unexpected problem ({kind}). No report could be saved either; please tell "
                 "the person helping you what you did last.").format(kind=kind)
    return _("Unexpected problem ({kind}). Details were saved to {path}; please show them to "
             "the person helping you or report them to the project.").format(kind=kind,
                                                                             path=report)
