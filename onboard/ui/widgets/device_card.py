"""One OMEMO device as the encryption screens show it, and where the apps show their own key.

A `DeviceCard` is a box: "Device <number> · <label>" and the verified state on its top edge,
which OMEMO versions it is published for on its bottom edge, the fingerprint in coloured
numbered groups, what a fingerprint link says about it (same / DIFFERENT), a loud warning when
the key changed since it was confirmed, and one checkbox.
"""

from __future__ import annotations

from typing import Literal

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Checkbox, Static

from onboard.core.omemo.fingerprint import NS_AXOLOTL, NS_OMEMO2, Device
from onboard.core.omemo.verified import CHANGED, VERIFIED
from onboard.i18n import _
from onboard.ui.widgets.fingerprint import Fingerprint

# What a fingerprint link says about a device: nothing (no link), the same key, another key,
# or the link does not name this device.
Comparison = Literal["", "same", "different", "absent"]


def namespace_words(device: Device) -> str:
    """Which apps can see this device's key, in words."""
    old, new = NS_AXOLOTL in device.namespaces, NS_OMEMO2 in device.namespaces
    if old and new:
        return _("for older and newer apps (OMEMO 0.3 and 2)")
    if old:
        return _("for today's apps (OMEMO 0.3)")
    if new:
        return _("for newer apps only (OMEMO 2)")
    return ""


def fingerprint_places() -> list[tuple[str, str]]:
    """(app, where it shows the fingerprint of the device it runs on). Menu names vary a little
    between app versions; the guide "Check fingerprints" has more."""
    return [
        ("Conversations", _("menu ⋮ → Manage accounts → your account: OMEMO fingerprint")),
        ("Monal", _("Settings → your account → encryption keys (“this device”)")),
        ("Gajim", _("your account's settings → OMEMO (encryption): own fingerprint")),
        ("Dino", _("Preferences → Encryption → your account: “This device”")),
    ]


class FingerprintPlaces(Vertical):
    """Where each app shows its own fingerprint: one row per app."""

    DEFAULT_CSS = """
    FingerprintPlaces {
        height: auto;
    }
    FingerprintPlaces .place {
        height: auto;
    }
    FingerprintPlaces .place-app {
        width: 15;
        text-style: bold;
    }
    FingerprintPlaces .place-where {
        width: 1fr;
    }
    """

    def compose(self) -> ComposeResult:
        for app_name, where in fingerprint_places():
            with Horizontal(classes="place"):
                yield Static(app_name, classes="place-app")
                yield Static(Content(where), classes="place-where")


class DeviceCard(Vertical):
    """One device with its checkbox. `status` is the verified record's (verified, changed,
    unverified); `comparison` and `link_fingerprint` what a fingerprint link says about it.

    A device whose key differs from the link cannot be ticked: the link names another key.
    """

    DEFAULT_CSS = """
    DeviceCard {
        height: auto;
        border: round $primary;
        border-title-color: $text;
        border-subtitle-color: $text-muted;
        padding: 0 1;
    }
    DeviceCard.-verified {
        border: round $success;
    }
    DeviceCard.-changed, DeviceCard.-different {
        border: heavy $error;
        border-title-color: $text-error;
        border-title-style: bold;
    }
    DeviceCard .card-row {
        height: auto;
    }
    DeviceCard .card-compare {
        width: 1fr;
        padding-left: 2;
    }
    DeviceCard .card-compare.-same {
        color: $text-success;
        text-style: bold;
    }
    DeviceCard .card-compare.-different {
        color: $text-error;
        text-style: bold;
    }
    DeviceCard .card-compare.-absent {
        color: $text-warning;
    }
    DeviceCard .card-warning {
        color: $text-error;
        text-style: bold;
    }
    DeviceCard .card-link-label {
        color: $text-muted;
    }
    DeviceCard Checkbox.-textual-compact:focus {
        border: none !important;
    }
    """

    def __init__(self, device: Device, *, status: str, confirm_label: str, ticked: bool,
                 comparison: Comparison = "", link_fingerprint: str | None = None,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.device = device
        self.status = status
        self.confirm_label = confirm_label
        self.comparison = comparison
        self.link_fingerprint = link_fingerprint
        self._ticked = ticked and comparison != "different"
        self.border_subtitle = namespace_words(device)
        self._update_look()

    @property
    def checkbox(self) -> Checkbox:
        return self.query_one(".card-tick", Checkbox)

    @property
    def ticked(self) -> bool:
        return self.checkbox.value

    def compose(self) -> ComposeResult:
        with Horizontal(classes="card-row"):
            yield Fingerprint(self.device.fingerprint, classes="card-fingerprint")
            if self.comparison:
                yield Static(Content(self._comparison_text()),
                             classes=f"card-compare -{self.comparison}")
        if self.comparison == "different" and self.link_fingerprint:
            yield Static(_("The link says:"), classes="card-link-label")
            yield Fingerprint(self.link_fingerprint, classes="card-link-fingerprint")
        yield Static(Content(self._changed_text()), classes="card-warning")
        yield Checkbox(self.confirm_label, self._ticked, compact=True, classes="card-tick",
                       disabled=self.comparison == "different")

    def on_mount(self) -> None:
        self.query_one(".card-warning").display = self.status == CHANGED

    def _comparison_text(self) -> str:
        texts = {
            "same": _("✔ Same as in the link"),
            "different": _("✘ DIFFERENT from the link: do not trust this device"),
            "absent": _("Not in the link: compare it aloud"),
        }
        return texts.get(self.comparison, "")

    @staticmethod
    def _changed_text() -> str:
        return _("⚠ KEY CHANGED: you confirmed another key for this device before. Someone "
                 "may be pretending to be it. Tick it only after comparing it again, group "
                 "by group.")

    def set_status(self, status: str) -> None:
        """The verified record changed (after confirming)."""
        self.status = status
        self._update_look()
        if self.is_mounted:
            self.query_one(".card-warning").display = status == CHANGED

    def _update_look(self) -> None:
        device = self.device
        parts = [_("Device {number}").format(number=device.device_id)]
        if device.label:
            parts.append(device.label)
        if self.status == VERIFIED:
            parts.append(_("✔ verified"))
        elif self.status == CHANGED:
            parts.append(_("⚠ KEY CHANGED"))
        self.border_title = Content(" · ".join(parts))
        self.set_class(self.status == VERIFIED, "-verified")
        self.set_class(self.status == CHANGED, "-changed")
        self.set_class(self.comparison == "different", "-different")
