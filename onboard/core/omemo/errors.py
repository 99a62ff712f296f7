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


# --- the test message (onboard.core.omemo.hello) -----------------------------------------------
# Exit status 16: the recipient cannot receive OMEMO messages from this assistant; 17: the
# assistant's own device may still be listed on the account (see DeviceLeftError).


class OmemoKeysError(OnboardError):
    """The key file of the assistant's own OMEMO device could not be read, written or deleted.

    Only the path and what the system said: never anything from inside the file.
    """

    condition = "omemo-keys"
    exit_code = 12

    def __init__(self, path: str, reason: str, *, damaged: bool = False) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.damaged = damaged

    @property
    def message(self) -> str:
        if self.damaged:
            return _("The key file of an earlier test message is damaged: {detail}").format(
                detail=self.detail)
        return _("The encryption keys of the test message could not be stored: {detail}").format(
            detail=self.detail)

    @property
    def hint(self) -> str:
        if self.damaged:
            return _("Delete that file and try again. If an earlier test device is still listed "
                     "on your account, remove it in your chat app's OMEMO settings.")
        return _("Check the folder's permissions and free disk space, then try again.")

    def to_json(self) -> dict[str, object]:
        data = super().to_json()
        data["path"] = self.path
        return data


class RecipientNoOmemoError(OnboardError):
    """Nothing can be encrypted for `jid`: checked before anything is published.

    `reason`: none (no keys can be seen), own (a test to the own account, which has no other
    device), omemo2-only (only OMEMO 2 devices, which slixmpp-omemo cannot encrypt for yet), or
    broken (devices are listed, but their keys are missing or broken).
    """

    condition = "no-omemo"
    exit_code = 16

    def __init__(self, jid: str, reason: str) -> None:
        super().__init__(reason)
        self.jid = jid
        self.reason = reason

    @property
    def message(self) -> str:
        texts = {
            "own": _("Your account {jid} has no other device with OMEMO encryption keys to send "
                     "the test to."),
            "omemo2-only": _("{jid} uses only the newer OMEMO 2, which this assistant cannot "
                             "encrypt for yet (it uses OMEMO 0.3, which Conversations, Gajim, "
                             "Dino and Monal all read)."),
            "broken": _("The encryption keys {jid} published are missing or broken, so nothing "
                        "can be encrypted for them."),
        }
        text = texts.get(self.reason, _("{jid} cannot receive encrypted messages yet: no OMEMO "
                                        "encryption keys of that address can be seen."))
        return text.format(jid=self.jid) + " " + _("Nothing was published and nothing was sent.")

    @property
    def hint(self) -> str:
        if self.reason == "own":
            return _("Log in with this account in Conversations, Gajim, Dino or Monal first, or "
                     "send the test to a friend's address.")
        if self.reason == "omemo2-only":
            return _("Send the test to someone who uses Conversations, Gajim, Dino or Monal.")
        if self.reason == "broken":
            return _("Ask them to open their chat app once: it publishes its keys again. Then "
                     "try again.")
        return _("Check the address. If it is right, ask them to open Conversations, Gajim, "
                 "Dino or Monal once, logged in with that account: the app creates its keys. "
                 "Then try again.")

    def to_json(self) -> dict[str, object]:
        data = super().to_json()
        data["jid"] = self.jid
        data["reason"] = self.reason
        return data


class OmemoHelloError(OnboardError):
    """The test message could not be prepared; nothing was sent.

    `reason`: setup (the assistant's device could not be published on the account), encrypt,
    or no-devices (none of the recipient's devices could be used).
    """

    condition = "omemo-failed"
    exit_code = 11

    def __init__(self, reason: str, jid: str, detail: str | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.jid = jid

    @property
    def message(self) -> str:
        texts = {
            "setup": _("The encryption keys for the test message could not be published on "
                       "{jid}."),
            "no-devices": _("None of the devices of {jid} could be used: their published keys "
                            "could not be fetched."),
        }
        text = texts.get(self.reason, _("The test message could not be encrypted for {jid}."))
        text = text.format(jid=self.jid) + " " + _("Nothing was sent.")
        return with_server_text(text, self.detail) if self.reason == "setup" else text

    @property
    def hint(self) -> str:
        if self.reason == "setup":
            return _("Try again. If it keeps failing, the server may not offer what OMEMO needs "
                     "(PEP, XEP-0163): ask its admins.")
        return _("Try again. If it keeps failing, ask them to open their chat app once, so it "
                 "publishes fresh keys.")

    def to_json(self) -> dict[str, object]:
        data = super().to_json()
        data["reason"] = self.reason
        data["jid"] = self.jid
        return data


class DeviceLeftError(OnboardError):
    """The assistant's own OMEMO device could not be taken off the account.

    Returned in HelloResult.removal_error after the message was sent (not raised then); raised
    when something failed before sending and the clean-up failed too. Its key file is kept, so
    the next test message uses the same device and removes it.
    """

    condition = "omemo-device-left"
    exit_code = 17

    def __init__(self, account_jid: str, device_id: int, *, sent: bool,
                 fingerprint: str | None = None, keys_file: str | None = None,
                 cause: str | None = None) -> None:
        super().__init__(cause)
        self.account_jid = account_jid
        self.device_id = device_id
        self.sent = sent
        self.fingerprint = fingerprint
        self.keys_file = keys_file

    @property
    def message(self) -> str:
        if self.sent:
            text = _("The test message was sent, but the assistant's own encryption device "
                     "(number {id}) could not be removed from {jid}.")
        else:
            text = _("The test message was not sent, and the assistant's own encryption device "
                     "(number {id}) may still be listed on {jid}.")
        text = text.format(id=self.device_id, jid=self.account_jid)
        if self.detail:
            text += " " + _("The reason: {reason}").format(reason=self.detail)
        return text

    @property
    def hint(self) -> str:
        if self.fingerprint:
            from onboard.core.omemo.fingerprint import format_fingerprint

            where = _("the device number {id}, fingerprint {fingerprint}").format(
                id=self.device_id, fingerprint=" ".join(format_fingerprint(self.fingerprint)))
        else:
            where = _("the device number {id}").format(id=self.device_id)
        return _("Run the test message again: it uses the same device and removes it at the "
                 "end. Or remove it in your chat app: in the account's OMEMO settings, remove "
                 "{device}. Until then your contacts' apps also encrypt for it.").format(
                     device=where)

    def to_json(self) -> dict[str, object]:
        data = super().to_json()
        data["device_id"] = self.device_id
        data["fingerprint"] = self.fingerprint
        data["keys_file"] = self.keys_file
        data["sent"] = self.sent
        return data
