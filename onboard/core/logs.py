"""Library logging stays off the user's screen and never carries secrets.

slixmpp logs whole stanzas at DEBUG, registration requests with their password among them, and
prints warnings to stderr when nobody configured logging. onboard shows its own messages instead.
"""

from __future__ import annotations

import logging

QUIET_LOGGERS = ("slixmpp", "slixmpp_omemo", "omemo", "stem", "httpx", "httpcore", "asyncio")


def silence_libraries() -> None:
    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = [logging.NullHandler()]
        logger.propagate = False
        logger.setLevel(logging.CRITICAL)
