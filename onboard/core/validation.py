"""Local checks before anything is sent: addresses (RFC 7622) and passwords."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from onboard.i18n import _

# RFC 7622 §3.3.1: these ASCII characters may not appear in a localpart.
_FORBIDDEN_IN_LOCALPART = set("\"&'/:<>@")
_ALLOWED_LETTER_DIGIT = {"Ll", "Lu", "Lo", "Lm", "Lt", "Mn", "Mc", "Nd"}
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_DOMAIN_END = re.compile(r"[.\s]+\Z")
_IDNA_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_MAX_LOCALPART_BYTES = 1023
# Letters and digits that cannot be mistaken for each other when read aloud or copied by hand.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def normalize_username(raw: str) -> str:
    """The localpart as the server will store it: lower case, then NFC (UsernameCaseMapped,
    RFC 8265 §3.4.2: in that order, since lowering can decompose, e.g. "J̌" into j + caron)."""
    return unicodedata.normalize("NFC", raw.strip().lower())


def username_problem(raw: str) -> str | None:
    """Why `raw` cannot be an address's name part, in plain words, or None when it can."""
    name = normalize_username(raw)
    if not name:
        return _("Enter a name for your address.")
    # surrogatepass: a lone surrogate (a command-line argument that is not UTF-8) is named
    # below as a character that is not allowed, instead of failing to encode here.
    if len(name.encode("utf-8", "surrogatepass")) > _MAX_LOCALPART_BYTES:
        return _("The name is too long.")
    for char in name:
        if char.isspace():
            return _("The name cannot contain spaces.")
        if char in _FORBIDDEN_IN_LOCALPART:
            return _("The name cannot contain the character {char}.").format(char=char)
        if ord(char) < 128:
            if not char.isprintable():
                return _("The name contains an invisible character.")
            continue
        if unicodedata.category(char) not in _ALLOWED_LETTER_DIGIT:
            return _("The name cannot contain the character {char}.").format(char=repr(char))
    return None


def domain_problem(raw: str) -> str | None:
    """Why `raw` is not a usable server name, or None."""
    domain = normalize_domain(raw)
    if not domain:
        return _("Enter a server name, for example “example.org”.")
    if "@" in domain or "/" in domain or ":" in domain:
        return _("Enter only the server name, for example “example.org”: no “name@” before it and "
                 "no “:port” after it.")
    if any(char.isspace() for char in domain):
        return _("A server name cannot contain spaces.")
    # IDNA maps some invisible characters (zero-width space, soft hyphen) to nothing: such a
    # name would pass the check below, yet look like another server's name.
    if any(unicodedata.category(char).startswith("C") for char in domain):
        return _("The server name contains an invisible character.")
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return _("“{domain}” is not a valid server name.").format(domain=domain)
    labels = ascii_domain.split(".")
    if len(ascii_domain) > 253 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        return _("“{domain}” is not a valid server name.").format(domain=domain)
    if len(labels) < 2:
        return _("A server name has at least one dot, for example “example.org”.")
    return None


def normalize_domain(raw: str) -> str:
    """Lower case, without surrounding space or the final dots (also "example.org. ."), and
    the ideographic and full-width full stops as dots (RFC 7622 §3.2, as IDNA reads them).

    NFKC first, as IDNA's mapping does: a name typed in full-width letters ("ｅｘａｍｐｌｅ.org")
    is the same server as its plain spelling and must give the same address.
    """
    folded = unicodedata.normalize("NFKC", raw).strip().lower()
    return _DOMAIN_END.sub("", folded.translate(_IDNA_DOTS))


def generate_password(groups: int = 5, size: int = 4) -> str:
    """A strong password that is still easy to type on a phone (about 99 bits for 5 groups)."""
    import secrets

    from onboard.core.crash import remember_secret

    password = "-".join(
        "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(size)) for _ in range(groups)
    )
    remember_secret(password)
    return password


def suggest_usernames(taken: str, count: int = 3) -> list[str]:
    """Variants of a taken name. Servers cannot be asked whether a name is free before trying.

    For a valid `taken` name the suggestions are valid names too (a name of the longest size is
    shortened to make room for the number); `count` is at most 900.
    """
    import secrets

    base = normalize_username(taken) or "user"
    while len(base.encode("utf-8", "surrogatepass")) > _MAX_LOCALPART_BYTES - 3:
        base = base[:-1]
    suggestions: list[str] = []
    while len(suggestions) < count:
        candidate = f"{base}{secrets.randbelow(900) + 100}"
        if candidate not in suggestions:
            suggestions.append(candidate)
    return suggestions


@dataclass(frozen=True)
class PasswordStrength:
    bits: float
    score: int  # 0 (very weak) … 4 (strong)

    @property
    def label(self) -> str:
        return (
            _("very weak"), _("weak"), _("fair"), _("good"), _("strong"),
        )[self.score]


_COMMON = {
    "password", "passwort", "123456", "12345678", "qwerty", "qwertz", "letmein", "welcome",
    "hallo", "admin", "iloveyou", "monkey", "dragon", "secret", "geheim",
}


def password_strength(password: str) -> PasswordStrength:
    """A rough estimate: the size of the character pool times length, less obvious patterns."""
    if not password:
        return PasswordStrength(0.0, 0)
    if password.lower() in _COMMON:
        return PasswordStrength(0.0, 0)
    pool = 0
    if re.search(r"[a-z]", password):
        pool += 26
    if re.search(r"[A-Z]", password):
        pool += 26
    if re.search(r"[0-9]", password):
        pool += 10
    if re.search(r"[^a-zA-Z0-9]", password):
        pool += 33
    distinct = len(set(password))
    effective_length = min(len(password), distinct * 2)
    bits = effective_length * math.log2(max(pool, 2))
    score = 0 if bits < 28 else 1 if bits < 36 else 2 if bits < 60 else 3 if bits < 80 else 4
    if len(password) < 8:
        score = min(score, 1)
    return PasswordStrength(round(bits, 1), score)
