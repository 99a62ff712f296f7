"""The wizard state's view of the route: whether Tor is on and which onion address is used."""

from __future__ import annotations

from onboard.core.flow import WizardState
from onboard.core.network import DirectNetwork
from onboard.core.tor.network import TorNetwork

ONION = "q7d5cnhotu5wgynyn3dtd342t3gvsvsuch72ikkek4a5m33lcj7r3ryd.onion"


def test_direct_has_no_onion() -> None:
    state = WizardState(domain="openim.nl", network=DirectNetwork())
    assert not state.tor_on
    assert state.onion_address() is None


def test_over_tor_a_known_onion_is_used() -> None:
    network = TorNetwork(onions={"openim.nl": [ONION]})
    state = WizardState(domain="openim.nl", network=network)
    assert state.tor_on
    assert state.onion_address() == ONION
    state.domain = "example.org"
    assert state.onion_address() is None


def test_a_host_given_by_hand_wins_over_the_onion() -> None:
    network = TorNetwork(onions={"openim.nl": [ONION]})
    state = WizardState(domain="openim.nl", host="127.0.0.1", network=network)
    assert state.onion_address() is None
