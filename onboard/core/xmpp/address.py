"""Which XMPP server to reach and how; kept free of slixmpp so the CLI starts fast."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from onboard.core.network import Endpoint


@dataclass(frozen=True)
class ServerAddress:
    """Which server to talk to and how: SRV discovery unless host and port are given."""

    domain: str
    host: str | None = None
    port: int | None = None
    direct_tls: bool = False
    ca_file: Path | None = None

    def explicit_endpoint(self) -> Endpoint | None:
        if self.host is None and self.port is None:
            return None
        from onboard.core.network import Endpoint

        default_port = 5223 if self.direct_tls else 5222
        return Endpoint(self.host or self.domain, self.port or default_port, self.direct_tls)
