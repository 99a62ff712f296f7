"""The wizard's state: one plain dataclass that screens read and update.

Screens never reach into each other; they read what earlier steps left here and add their own.
The CLI builds the same state from its options.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from onboard.core.xmpp.address import ServerAddress

if TYPE_CHECKING:
    from onboard.core.network import Network
    from onboard.core.omemo.pep import DeviceReport
    from onboard.core.providers import ProviderFilter
    from onboard.core.threat import ThreatAnswers
    from onboard.core.xmpp.forms import Answers, RegistrationForm


def _direct() -> Network:
    # Imported here: the network module pulls in asyncio, which `--help` does not need.
    from onboard.core.network import DirectNetwork

    return DirectNetwork()


def _closed() -> Network:
    from onboard.core.network import ClosedNetwork

    return ClosedNetwork()


def tor_asked_for(tor_mode: str) -> bool:
    """Whether a `tor_mode` text asks for Tor: anything but "off" (an unknown text too)."""
    return tor_mode.strip().lower() != "off"


@dataclass
class WizardState:
    language: str = "en"
    mode: str = "create"  # "create" | "existing"
    # The threat-model step's answers (None: not answered yet). The coordinator turns them
    # into the defaults below: `tor_mode` and `tor_suggest_bridges` (the connection step
    # preselects "start Tor with bridges" even before any line is pasted), and
    # `server_filter` (the server step's filters; None: its usual ones). The steps keep
    # whatever the user changes there.
    threat: ThreatAnswers | None = None
    tor_suggest_bridges: bool = False
    server_filter: ProviderFilter | None = None
    domain: str = ""
    host: str | None = None
    port: int | None = None
    direct_tls: bool = False
    ca_file: Path | None = None
    username: str = ""
    password: str = field(default="", repr=False)
    password_generated: bool = False
    form: RegistrationForm | None = None
    answers: Answers = field(default_factory=dict, repr=False)
    jid: str = ""
    credentials_file: Path | None = None
    login_verified: bool = False
    # How bytes leave. Fails closed by construction: while `tor_mode` asks for Tor, a direct
    # network is never kept here; it becomes a `ClosedNetwork` (nothing is sent) until the Tor
    # route is open and a Tor network replaces it (see `__setattr__`).
    network: Network = field(default_factory=_direct)
    # The Tor choice (`TorMode` as text: off, auto, system, browser, launch, socks5://…), the
    # bridge lines for a launched tor, and where the Tor in use came from, in plain words.
    tor_mode: str = "off"
    tor_bridges: list[str] = field(default_factory=list)
    tor_source: str = ""
    # How the last sign-up connection went over Tor (onion address, exit, or the onion that
    # did not answer), in plain words; empty without Tor.
    route_note: str = ""
    # The encryption step: the account's own devices as last read (None: not read yet), the
    # device ids ticked on the devices screen, confirmed or not yet (None: as recorded), and
    # the friend's address or fingerprint link as last typed.
    own_devices: DeviceReport | None = None
    own_ticked: set[int] | None = None
    friend_text: str = ""
    # Helper mode, chosen on the welcome screen: someone helps a friend set up. The helper's
    # own address (checked; "" when not given) becomes the friend's first contact; the items
    # of the session checklist ticked by hand are kept here (keys of onboard.core.checklist).
    # `connection_chosen`: the connection step was taken (directly or through Tor).
    helper_mode: bool = False
    helper_jid: str = ""
    helper_ticked: set[str] = field(default_factory=set)
    connection_chosen: bool = False

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in ("network", "tor_mode"):
            self._close_while_tor_is_asked_for()

    def _close_while_tor_is_asked_for(self) -> None:
        """Tor asked for and the network direct: closed instead. Tor no longer asked for and
        the network closed: direct again (only "off" ever means direct)."""
        network: Network | None = self.__dict__.get("network")
        mode: str | None = self.__dict__.get("tor_mode")
        if network is None or mode is None:  # still being built (`network` comes first)
            return
        if tor_asked_for(mode):
            if network.name == "direct":
                super().__setattr__("network", _closed())
        elif network.name == "closed":
            super().__setattr__("network", _direct())

    def onion_address(self) -> str | None:
        """The onion address the connection will use (Tor on, the server has one, and no
        host was given by hand)."""
        if not self.tor_on or self.host:
            return None
        onions = getattr(self.network, "onions", {})
        found = onions.get(self.domain) if isinstance(onions, dict) else None
        return str(found[0]) if found else None

    @property
    def tor_on(self) -> bool:
        """A Tor route is in use: everything goes through Tor (the network is a Tor one)."""
        return self.network.name == "tor"

    @property
    def tor_requested(self) -> bool:
        """Tor is asked for (its route open or not yet): nothing may leave any other way, so
        links are not handed to the system browser either."""
        return self.tor_on or tor_asked_for(self.tor_mode)

    def server(self) -> ServerAddress:
        return ServerAddress(self.domain, self.host, self.port, self.direct_tls, self.ca_file)

    @property
    def address_preview(self) -> str:
        return f"{self.username}@{self.domain}" if self.username and self.domain else ""
