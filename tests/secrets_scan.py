"""Looking for a password in everything a run leaves behind, in every form it could take there.

A form is how the password could end up in a file or a log without being typed out plainly:
escaped for XML or JSON, URL-encoded, hex, base64 alone or inside a SASL PLAIN message
("\\0user\\0password", with and without the address as authzid).
"""

from __future__ import annotations

import base64
import html
import json
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape as xml_escape

# Distinctive, and different in each form: XML and URL encoding, JSON's \u escapes and repr()
# all change it. Strong enough for the account step (score >= 2).
PASSWORD = "Zq7&<Ümber>'tide\"9+/ %Kw"

# Files bigger than this in the temp folder are not read (nothing of ours is that big).
MAX_SCANNED = 32 * 1024 * 1024


def secret_forms(password: str, username: str = "", jid: str = "") -> dict[bytes, str]:
    """Every encoding of `password` to look for, each with a name for the failure message."""
    raw = password.encode("utf-8")
    texts = {
        "raw": password,
        "XML-escaped": xml_escape(password),
        "XML-escaped with quotes": html.escape(password),
        "XML-escaped (quot/apos)": xml_escape(password, {'"': "&quot;", "'": "&apos;"}),
        "URL-encoded": quote(password, safe=""),
        "URL-encoded (plus)": quote_plus(password),
        "JSON": json.dumps(password, ensure_ascii=False)[1:-1],
        "JSON (ASCII)": json.dumps(password)[1:-1],
        "repr": repr(password)[1:-1],
        "hex": raw.hex(),
        "HEX": raw.hex().upper(),
        "base64": base64.b64encode(raw).decode(),
        "base64 (URL-safe)": base64.urlsafe_b64encode(raw).decode(),
    }
    if username:
        for authzid in {"", jid}:
            plain = f"{authzid}\0{username}\0".encode() + raw
            texts[f"SASL PLAIN base64 (authzid {authzid!r})"] = base64.b64encode(plain).decode()
            texts[f"SASL PLAIN hex (authzid {authzid!r})"] = plain.hex()
    forms: dict[bytes, str] = {}
    for name, text in texts.items():
        forms.setdefault(text.encode("utf-8"), name)
        forms.setdefault(text.encode("utf-16-le"), name + " (UTF-16)")
    return forms


def found_in(data: bytes, forms: dict[bytes, str]) -> list[str]:
    """The names of the forms that occur in `data`."""
    return sorted({name for form, name in forms.items() if form in data})


def files_under(root: Path, *, since: float | None = None,
                skip: Iterable[Path] = ()) -> Iterator[Path]:
    """Every regular file below `root` (not following links), optionally only those changed
    since `since` and outside the folders in `skip`."""
    skipped = [path.resolve() for path in skip]
    for folder, dirs, files in os.walk(root, onerror=lambda _error: None):
        here = Path(folder).resolve()
        dirs[:] = [d for d in dirs if (here / d) not in skipped
                   and not any((here / d).is_relative_to(s) for s in skipped)]
        for name in files:
            path = here / name
            try:
                info = path.lstat()
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_SCANNED:
                continue
            if since is not None and max(info.st_mtime, info.st_ctime) < since:
                continue
            yield path


def scan_files(paths: Iterable[Path], forms: dict[bytes, str]) -> dict[Path, list[str]]:
    """The files (readable by us) that hold a form of the secret, with the forms found."""
    hits: dict[Path, list[str]] = {}
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError:
            continue  # another user's file, or gone since
        found = found_in(data, forms)
        if found:
            hits[path] = found
    return hits
