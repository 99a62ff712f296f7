"""The checklist of a help session: what has been done so far, at a glance.

Some items the assistant knows from the wizard's state: the threat questions answered, the
connection chosen (directly or through Tor), the account created, and the account's own devices
confirmed (from the record of verified fingerprints). The others happen outside it (the chat app
installed, logged in there, the first contact added): the helper ticks them by hand, and the
ticks are kept in `WizardState.helper_ticked`. An item the assistant could know but does not (the
threat model talked through without the questions, fingerprints compared in the apps) can be
ticked by hand too.

Plain data, no Textual: the assistant shows it, and it can be tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from onboard.core.errors import OnboardError
from onboard.i18n import _, ngettext

if TYPE_CHECKING:
    from onboard.core.flow import WizardState

THREAT = "threat"
TOR = "tor"
ACCOUNT = "account"
APP = "app"
LOGIN = "login"
FINGERPRINTS = "fingerprints"
CONTACT = "contact"
# In the order a session goes.
ITEMS = (THREAT, TOR, ACCOUNT, APP, LOGIN, FINGERPRINTS, CONTACT)
# Only the helper can know these: they happen in the chat app.
BY_HAND = frozenset({APP, LOGIN, CONTACT})


@dataclass(frozen=True)
class ChecklistItem:
    """One item: `known` when the assistant knows it is done, `ticked` when the helper ticked
    it by hand. `label` is short (it fits a half-width column); `hint` says how it gets done,
    or how the assistant knows."""

    key: str
    label: str
    hint: str
    known: bool = False
    ticked: bool = False

    @property
    def done(self) -> bool:
        return self.known or self.ticked

    @property
    def by_hand(self) -> bool:
        return self.key in BY_HAND


def own_verified_count(state: WizardState) -> int:
    """How many of the account's own devices the record says were confirmed (0 when there is
    no account yet or the record cannot be read)."""
    if not state.jid:
        return 0
    from onboard.core.omemo import verified
    from onboard.core.omemo.jid import bare_jid

    try:
        account = bare_jid(state.jid)
        return sum(1 for record in verified.load(account) if record.jid == account)
    except OnboardError:
        return 0


def session_checklist(state: WizardState) -> list[ChecklistItem]:
    """The items of the session, in order, as the state and the record say now."""
    ticked = state.helper_ticked
    confirmed = own_verified_count(state)
    items = {
        THREAT: ChecklistItem(
            THREAT, _("Threat model talked through"),
            _("Answered in step 2 of the assistant.") if state.threat is not None
            else _("Step 2 of the assistant asks who might want to read the messages."),
            known=state.threat is not None),
        TOR: ChecklistItem(
            TOR, (_("Tor decided: on") if state.tor_on else _("Tor decided: off"))
            if state.connection_chosen else _("Tor decided"),
            _("Chosen in step 3 of the assistant.") if state.connection_chosen
            else _("Step 3 of the assistant: directly, or everything through Tor."),
            known=state.connection_chosen),
        ACCOUNT: ChecklistItem(
            ACCOUNT, _("Account created"),
            _("The address is {jid}.").format(jid=state.jid) if state.jid
            else _("Steps 4 to 6 of the assistant."),
            known=bool(state.jid)),
        APP: ChecklistItem(
            APP, _("Chat app installed"),
            _("Conversations on Android, Monal on iPhone and iPad, Gajim or Dino on a "
              "computer.")),
        LOGIN: ChecklistItem(
            LOGIN, _("Logged in in the app"),
            _("With the new address and its password, in the app.")),
        FINGERPRINTS: ChecklistItem(
            FINGERPRINTS, _("Fingerprints verified"),
            ngettext("{count} device of the account is confirmed in the assistant.",
                     "{count} devices of the account are confirmed in the assistant.",
                     confirmed).format(count=confirmed) if confirmed
            else _("Press k on the Done screen and compare each key with what the app "
                   "shows."),
            known=confirmed > 0),
        CONTACT: ChecklistItem(
            CONTACT, _("First contact added"),
            _("Scan the helper's code on the Done screen with the app, or add a friend.")),
    }
    return [_with_tick(items[key], key in ticked) for key in ITEMS]


def _with_tick(item: ChecklistItem, ticked: bool) -> ChecklistItem:
    if not ticked:
        return item
    return ChecklistItem(item.key, item.label, item.hint, item.known, True)
