"""The session checklist of helper mode, from the wizard's state and the verified record."""

from __future__ import annotations

from onboard.core.checklist import BY_HAND, ITEMS, session_checklist
from onboard.core.flow import WizardState
from onboard.core.omemo import verified
from onboard.core.threat import ThreatAnswers

JID = "alice@example.org"
FINGERPRINT = "3f9a0c7e51b2d48ae07c6f139d4b2a85c61e07f92a8d53b4f0e19c726b3d8a05"


def by_key(state: WizardState) -> dict[str, tuple[bool, bool]]:
    return {item.key: (item.known, item.ticked) for item in session_checklist(state)}


def test_a_fresh_session_has_nothing_done() -> None:
    items = session_checklist(WizardState())
    assert [item.key for item in items] == list(ITEMS)
    assert not any(item.done for item in items)
    assert {item.key for item in items if item.by_hand} == BY_HAND
    assert all(item.label and item.hint for item in items)


def test_what_the_wizard_did_is_known() -> None:
    state = WizardState(threat=ThreatAnswers(), connection_chosen=True, jid=JID)
    found = by_key(state)
    assert found["threat"] == found["tor"] == found["account"] == (True, False)
    assert found["fingerprints"] == (False, False)  # nothing confirmed yet
    tor = next(item for item in session_checklist(state) if item.key == "tor")
    assert tor.label == "Tor decided: off"
    assert JID in next(item.hint for item in session_checklist(state) if item.key == "account")


def test_ticks_by_hand_and_confirmed_own_devices() -> None:
    state = WizardState(jid=JID, helper_ticked={"app", "contact", "threat"})
    verified.mark_verified(JID, "bob@example.net", 7, FINGERPRINT)  # a friend's: not enough
    assert by_key(state)["fingerprints"] == (False, False)
    verified.mark_verified(JID, JID, 1234, FINGERPRINT)
    found = by_key(state)
    assert found["fingerprints"] == (True, False)
    assert found["app"] == found["contact"] == (False, True)
    assert found["threat"] == (False, True)  # talked through without the questions
    assert found["login"] == (False, False)
    assert all(item.done for item in session_checklist(state)
               if item.key in {"app", "contact", "threat", "fingerprints"})
