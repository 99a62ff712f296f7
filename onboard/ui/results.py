"""What step screens hand back to the coordinator when they are dismissed."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from onboard.core.errors import OnboardError


class Back(enum.Enum):
    """The user pressed Esc (or a Back button): go to the previous step."""

    BACK = "back"


BACK = Back.BACK


class GoTo(enum.Enum):
    """Where the user (or an error) sends the wizard next."""

    RETRY = "retry"  # the same step again, with a fresh connection
    SERVER = "server"  # choose another server
    ACCOUNT = "account"  # change name or password
    FORM = "form"  # fetch a fresh form (new CAPTCHA) and fill it in again
    DONE = "done"  # the account exists: show the summary
    DEVICES = "devices"  # the account's encryption keys (OMEMO devices)
    QR = "qr"  # the fingerprint link of the confirmed own devices, as a QR code
    FRIEND = "friend"  # compare a friend's encryption keys
    INVITE = "invite"  # have the server make an invite for a friend (XEP-0401)
    HANDOUT = "handout"  # write the printable page for the friend


@dataclass(frozen=True)
class Outcome:
    """The result of the creating step: where to go, and the error to show there, if any."""

    goto: GoTo
    error: OnboardError | None = None
