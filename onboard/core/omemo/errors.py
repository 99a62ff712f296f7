"""Failures of the OMEMO steps, in the style of onboard.core.errors (message, hint, condition)."""

from __future__ import annotations

from onboard.core.errors import LoginFailedError, OnboardError, with_server_text
from onboard.i18n import _


class AccountLoginFailedError(LoginFailedError):
    """The address or password of an existing account was not accepted."""

    def __init__(self, jid: str) -> None:
        super().__init__()
        self.jid = jid

    @property
    def message(self) -> str:
        return _("Logging in as {jid} did not work: the address or the password is "
                 "wrong.").format(jid=self.jid)

    @property
    def hint(self) -> str:
        return _("Check the password and try again. If the account was just created, wait a "
                 "minute and try again.")


class DevicesUnavailableError(OnboardError):
    """The server would not show `jid`'s OMEMO device lists at all.

    `reason`: unreachable (the contact's server), unavailable (no such account, or no PEP), or
    refused (anything else). A plain "forbidden" is not an error: see DeviceReport.hidden.
    """

    condition = "omemo-unavailable"
    exit_code = 11

    def __init__(self, jid: str, reason: str, detail: str | None = None) -> None:
        super().__init__(detail)
        self.jid = jid
        self.reason = reason

    @property
    def message(self) -> str:
        texts = {
            "unreachable": _("The server of {jid} could not be reached."),
            "unavailable": _("The server has no encryption keys for {jid}: the address may "
                             "not exist."),
        }
        text = texts.get(self.reason, _("The server refused to show the encryption keys of "
                                        "{jid}."))
        return with_server_text(text.format(jid=self.jid), self.detail)

    @property
    def hint(self) -> str:
        if self.reason == "unreachable":
            return _("Check the address. If it is right, the server may be down: try again "
                     "later.")
        return _("Check the address. If it is right, compare fingerprints directly in the "
                 "chat apps instead: each app shows its own under its OMEMO settings.")

    def to_json(self) -> dict[str, object]:
        data = super().to_json()
        data["reason"] = self.reason
        data["jid"] = self.jid
        return data


class VerifiedStoreError(OnboardError):
    """The file of verified fingerprints could not be read or written."""

    condition = "verified-store"
    exit_code = 12

    @property
    def message(self) -> str:
        return _("The list of verified fingerprints could not be used: {detail}").format(
            detail=self.detail)

    @property
    def hint(self) -> str:
        return _("Check the folder's permissions and free disk space. Nothing in the list was "
                 "changed.")
