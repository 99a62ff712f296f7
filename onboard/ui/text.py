"""Translation helpers for the Textual layer.

Strings are translated when they are shown, never at import time, so that switching the language
on the welcome screen changes every later screen. Texts that must be declared at import time
(key binding descriptions, step titles) are written with `N_()`, which only marks them, and are
translated per instance by `tr()` and `translate_bindings()`.

The message extractor only knows `_()`: `deferred_texts()` repeats each `N_()` text inside an
`_()` call so that the catalogs have them (a test checks that none is missing).
"""

from __future__ import annotations

import dataclasses

from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode

from onboard.i18n import _

# The languages the assistant speaks, each one's name in itself: not translated.
LANGUAGES = (("en", "English"), ("de", "Deutsch"))


def N_(message: str) -> str:
    """Mark `message` for translation; it is translated later, when shown, by `tr()`."""
    return message


def deferred_texts() -> dict[str, str]:
    """Every N_() text of the UI with its translation in the current language."""
    return {
        # key bindings
        "Back": _("Back"),
        "Quit": _("Quit"),
        "Generate password": _("Generate password"),
        "Open CAPTCHA in browser": _("Open CAPTCHA in browser"),
        "Open sign-up page": _("Open sign-up page"),
        "In-app": _("In-app"),
        "Onion": _("Onion"),
        "Cat. A": _("Cat. A"),
        "Sort": _("Sort"),
        "Pick": _("Pick"),
        "Check": _("Check"),
        "Check all": _("Check all"),
        "Update": _("Update"),
        "Filters": _("Filters"),
        "Cancel": _("Cancel"),
        "Apply": _("Apply"),
        "QR": _("QR"),
        "Close": _("Close"),
        "Next link": _("Next link"),
        "Encryption keys": _("Encryption keys"),
        "Confirm": _("Confirm"),
        "QR code": _("QR code"),
        "Verify a friend": _("Verify a friend"),
        "Check again": _("Check again"),
        "Test message": _("Test message"),
        "Continue": _("Continue"),
        "Guide": _("Guide"),
        "Other guides": _("Other guides"),
        "Links as QR codes": _("Links as QR codes"),
        "Previous guide": _("Previous guide"),
        "Checklist": _("Checklist"),
        "Invite": _("Invite"),
        "Handout": _("Handout"),
        "Not now": _("Not now"),
        # step titles
        "Welcome": _("Welcome"),
        "Your situation": _("Your situation"),
        "What this protects": _("What this protects"),
        "I already have an account": _("I already have an account"),
        "Server": _("Server"),
        "Connection": _("Connection"),
        "Connecting to Tor": _("Connecting to Tor"),
        "Your address and password": _("Your address and password"),
        "Connecting": _("Connecting"),
        "The server's questions": _("The server's questions"),
        "Creating your account": _("Creating your account"),
        "Done": _("Done"),
        "Encryption": _("Encryption"),
        "Session checklist": _("Session checklist"),
        "Invite a friend": _("Invite a friend"),
    }


def tr(message: str) -> str:
    """Translate a text that was marked with N_(); the empty string stays empty."""
    if not message:
        return message
    return deferred_texts().get(message) or _(message)


def translate_bindings(node: DOMNode) -> None:
    """Give `node` its class's key bindings with descriptions in the current language."""
    merged = type(node)._merged_bindings
    if merged is None:
        return
    keys: dict[str, list[Binding]] = {
        key: [
            dataclasses.replace(b, description=tr(b.description), tooltip=tr(b.tooltip))
            for b in bindings
        ]
        for key, bindings in merged.key_to_bindings.items()
    }
    node._bindings = BindingsMap.from_keys(keys)
