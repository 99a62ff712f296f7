"""Bare addresses as onboard stores and compares them (RFC 7622, simplified)."""

from __future__ import annotations

from onboard.core.errors import InvalidInputError
from onboard.core.validation import (
    domain_problem,
    normalize_domain,
    normalize_username,
    username_problem,
)
from onboard.i18n import _

MAX_JID_LENGTH = 2048


def bare_jid(text: str) -> str:
    """`name@server` in lower case, any `/resource` dropped. Raises InvalidInputError."""
    raw = text.strip()
    if len(raw) > MAX_JID_LENGTH:
        raise InvalidInputError(_("That address is too long."))
    raw = raw.split("/", 1)[0]
    local, at, domain = raw.partition("@")
    if not at or not local or not domain:
        raise InvalidInputError(
            _("“{jid}” is not a chat address: it needs a name, “@” and a server, for example "
              "“alice@example.org”.").format(jid=raw))
    problem = username_problem(local) or domain_problem(domain)
    if problem:
        raise InvalidInputError(
            _("“{jid}” is not a valid address: {problem}").format(jid=raw, problem=problem))
    return f"{normalize_username(local)}@{normalize_domain(domain)}"
