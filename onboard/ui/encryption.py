"""What the encryption screens share: how they read devices, the verified record's word for each
device, and what a reading worker is doing, in words."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from onboard.core.errors import OnboardError
from onboard.core.flow import WizardState
from onboard.core.omemo import verified
from onboard.core.omemo.fingerprint import Device
from onboard.i18n import _

if TYPE_CHECKING:
    from onboard.core.omemo.pep import DeviceReport

# Reads the devices of an address (None: the account's own) while logged in as the account.
FetchDevices = Callable[[str | None], Awaitable["DeviceReport"]]


def record_statuses(account: str, devices: tuple[Device, ...] | list[Device]
                    ) -> tuple[dict[int, str], OnboardError | None]:
    """The verified record's word for each device (by index), and the error when the record
    could not be read (every device then counts as unverified)."""
    try:
        return ({index: verified.status(account, device.jid, device.device_id,
                                        device.fingerprint)
                 for index, device in enumerate(devices)}, None)
    except OnboardError as error:
        return {index: verified.UNVERIFIED for index in range(len(devices))}, error


def confirmed_devices(state: WizardState) -> list[Device]:
    """The account's own devices, as last read, that the record says are verified."""
    report = state.own_devices
    if report is None or not state.jid:
        return []
    statuses, _error = record_statuses(state.jid, report.devices)
    return [device for index, device in enumerate(report.devices)
            if statuses[index] == verified.VERIFIED]


def progress_text(state: WizardState, jid: str | None = None) -> str:
    """What the worker is doing, saying how it connects (Tor, onion address)."""
    account = state.jid
    onion = state.onion_address()
    if jid is None:
        if onion:
            return _("Logging in as {account} over Tor, at the onion address {onion}, and "
                     "reading its encryption keys…").format(account=account, onion=onion)
        if state.tor_on:
            return _("Logging in as {account} over Tor and reading its encryption "
                     "keys…").format(account=account)
        return _("Logging in as {account} and reading its encryption keys…").format(
            account=account)
    if state.tor_on:
        return _("Logging in as {account} over Tor and reading the encryption keys of "
                 "{jid}…").format(account=account, jid=jid)
    return _("Logging in as {account} and reading the encryption keys of {jid}…").format(
        account=account, jid=jid)
