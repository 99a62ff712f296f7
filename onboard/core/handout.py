"""The printable handout a helper gives the friend at the end of a session.

`collect` gathers what the page shows from local files only (no network): the address, the
server and its facts from the XMPP Providers data, the account's own verified devices as a
fingerprint link, the contacts the friend verified, the helper's address and the guides. The
password is on it only when asked for. `render_html` makes one standalone HTML page of it in
the friend's language: no script, no external resource of any kind, print-friendly (A4, black
on white), with QR codes drawn as inline SVG. `write_handout` writes it atomically, mode 0600
(it names the address and the contacts), and never replaces a file unless told to.
"""

from __future__ import annotations

import contextlib
import datetime
import html
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from onboard.core.errors import OnboardError
from onboard.core.paths import make_private_dirs
from onboard.i18n import SUPPORTED, _, current_language, ngettext, set_language

# Characters left as they are in the address part of an xmpp: URI (as in omemo/link.py).
_JID_SAFE = "@!$()*+,:"
ROSTER_QUERY = "roster"

# QR codes on paper: a 4-module quiet zone (the standard's), error correction M (survives a
# smudge), and at least 40 mm wide, so a phone reads them from a printout held in the hand;
# large codes grow up to 100 mm, so that their modules stay big enough to read.
QR_QUIET_ZONE = 4
QR_MODULE_MM = 0.75
QR_MIN_MM = 40
QR_MAX_MM = 100


# --- what the page shows -----------------------------------------------------------------------


@dataclass(frozen=True)
class ServerFacts:
    """What the XMPP Providers data says about the account's server."""

    domain: str
    category: str
    countries: tuple[str, ...] = ()
    in_band_registration: bool = False
    onion: tuple[str, ...] = ()
    website: str = ""
    password_reset: str = ""
    organization: str = ""


@dataclass(frozen=True)
class OwnDevice:
    """One of the account's own devices that the friend verified."""

    device_id: int
    fingerprint: str  # 64 lowercase hex

    @property
    def groups(self) -> list[str]:
        from onboard.core.omemo.fingerprint import format_fingerprint

        return format_fingerprint(self.fingerprint)


@dataclass(frozen=True)
class VerifiedContact:
    """Another address whose devices the friend verified, and how many of them."""

    jid: str
    verified_devices: int


@dataclass(frozen=True)
class HandoutGuide:
    """A guide that ships with onboard; `path` is where it is in the source code, e.g.
    guides/de/verify.md (the language it is read in: English where the friend's has none)."""

    slug: str
    title: str
    summary: str
    path: str


@dataclass(frozen=True)
class HandoutData:
    """Everything on the page. `password` is None unless it was asked for; it never shows in
    the repr."""

    account_jid: str
    domain: str
    language: str
    server: ServerFacts | None = None
    own_devices: tuple[OwnDevice, ...] = ()
    contacts: tuple[VerifiedContact, ...] = ()
    helper_jid: str | None = None
    guides: tuple[HandoutGuide, ...] = ()
    created: datetime.date = field(default_factory=datetime.date.today)
    password: str | None = field(default=None, repr=False)

    @property
    def includes_password(self) -> bool:
        return self.password is not None

    @property
    def own_link(self) -> str | None:
        """The fingerprint link of the verified own devices (what a friend scans), or None."""
        if not self.own_devices:
            return None
        from onboard.core.omemo.link import build_link

        return build_link(self.account_jid,
                          {device.device_id: device.fingerprint for device in self.own_devices})

    @property
    def helper_uri(self) -> str | None:
        """`xmpp:<helper>?roster`: scanned, the app offers to add the helper as a contact."""
        return roster_uri(self.helper_jid) if self.helper_jid else None


def roster_uri(jid: str) -> str:
    """The xmpp: URI that asks an app to add `jid` as a contact (RFC 5122, XEP-0147)."""
    return f"xmpp:{quote(jid, safe=_JID_SAFE)}?{ROSTER_QUERY}"


# --- errors ------------------------------------------------------------------------------------


class HandoutError(OnboardError):
    """Base of the handout's own failures."""

    condition = "handout"
    exit_code = 2


class PasswordNotSavedError(HandoutError):
    """The password was asked for, but no credentials of the account are saved here."""

    condition = "no-saved-password"
    exit_code = 2

    def __init__(self, jid: str) -> None:
        super().__init__()
        self.jid = jid

    @property
    def message(self) -> str:
        return _("No password of {jid} is saved on this computer, so it cannot be put on the "
                 "handout.").format(jid=self.jid)

    @property
    def hint(self) -> str:
        return _("Make the handout without the password. The password stays in the app, or "
                 "in a password manager.")


class HandoutExistsError(HandoutError):
    """The file is already there and replacing it was not allowed."""

    condition = "file-exists"
    exit_code = 2

    def __init__(self, path: Path, hint: str | None = None) -> None:
        super().__init__()
        self.path = path
        self._hint = hint

    @property
    def message(self) -> str:
        return _("{path} already exists, so the handout was not written.").format(
            path=self.path)

    @property
    def hint(self) -> str:
        return self._hint or _("Choose another file name, or replace the file.")

    def to_json(self) -> dict[str, object]:
        data = super().to_json()
        data["path"] = str(self.path)
        return data


class HandoutWriteError(HandoutError):
    """The file could not be written (a folder that cannot be written to, a full disk…)."""

    condition = "handout-write"
    exit_code = 12

    @property
    def message(self) -> str:
        return _("The handout could not be written: {detail}").format(detail=self.detail)

    @property
    def hint(self) -> str:
        return _("Check that the folder can be written to and that the disk is not full, or "
                 "choose another place.")


# --- collecting --------------------------------------------------------------------------------


def page_language(language: str | None) -> str:
    """The language code the page is written in: `language` when onboard speaks it, else
    English (the same rule as onboard.i18n.set_language)."""
    code = (language or current_language()).strip().lower()
    return code if code in SUPPORTED else "en"


@contextlib.contextmanager
def speaking(language: str | None) -> Iterator[str]:
    """Every `_()` inside speaks `language`; the language in use before comes back after,
    also when something fails."""
    previous = current_language()
    code = set_language(page_language(language))
    try:
        yield code
    finally:
        set_language(previous)


def collect(account_jid: str, *, helper_jid: str | None = None, include_password: bool = False,
            language: str | None = None) -> HandoutData:
    """What the handout of `account_jid` shows, from the files on this computer only.

    Raises InvalidInputError for an address that is not one, PasswordNotSavedError when
    `include_password` is asked for an account whose credentials are not saved here, and
    VerifiedStoreError when the record of verified fingerprints cannot be read.
    """
    from onboard.core.omemo import verified
    from onboard.core.omemo.jid import bare_jid

    account = bare_jid(account_jid)
    helper = bare_jid(helper_jid) if helper_jid and helper_jid.strip() else None
    code = page_language(language)
    password = _saved_password(account) if include_password else None
    if include_password and password is None:
        raise PasswordNotSavedError(account)
    records = verified.load(account)
    own = tuple(OwnDevice(r.device_id, r.fingerprint) for r in records if r.jid == account)
    counts: dict[str, int] = {}
    for record in records:
        if record.jid != account:
            counts[record.jid] = counts.get(record.jid, 0) + 1
    domain = account.partition("@")[2]
    return HandoutData(
        account_jid=account,
        domain=domain,
        language=code,
        server=_server_facts(domain, code),
        own_devices=own,
        contacts=tuple(VerifiedContact(jid, n) for jid, n in sorted(counts.items())),
        helper_jid=helper,
        guides=_guides(code),
        password=password,
    )


def _saved_password(account: str) -> str | None:
    """The password saved when the account was created here (a confirmed one first)."""
    from onboard.core.accounts import find_saved

    chosen = find_saved(account)
    return chosen.password if chosen is not None and chosen.password else None


def _server_facts(domain: str, language: str) -> ServerFacts | None:
    """The domain's facts from the last downloaded server list, else the bundled one."""
    from onboard.core import providers

    with speaking(language):  # the providers' localized links follow the app's language
        try:
            known = providers.load_providers().providers
        except OSError:  # the cache folder cannot even be made: the bundled copy will do
            known = providers.bundled()
    for provider in known:
        if provider.domain == domain:
            return ServerFacts(
                domain=provider.domain,
                category=provider.category,
                countries=provider.countries,
                in_band_registration=provider.in_band_registration,
                onion=provider.onion,
                website=provider.website,
                password_reset=provider.password_reset,
                organization=provider.organization,
            )
    return None


def _guides(language: str) -> tuple[HandoutGuide, ...]:
    from onboard.core.guides import GuideError, list_guides

    try:
        found = list_guides(language)
    except GuideError:  # a broken installation: the page is still worth having
        return ()
    return tuple(HandoutGuide(g.slug, g.title, g.summary, f"guides/{g.language}/{g.slug}.md")
                 for g in found)


def default_file_name(account_jid: str) -> str:
    """`xmpp-onboard-<name part>.html`, with nothing in it a file name cannot hold."""
    local = account_jid.partition("@")[0]
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in local).lstrip(".")
    return f"xmpp-onboard-{safe or 'account'}.html"


# --- rendering ---------------------------------------------------------------------------------


def _e(text: str) -> str:
    return html.escape(text, quote=True)


_STYLE = """
@page { size: A4; margin: 15mm 16mm; }
html { background: #fff; color: #000; }
body { margin: 0 auto; max-width: 178mm; padding: 6mm 0;
  font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif;
  font-size: 11pt; line-height: 1.4; }
h1 { font-size: 20pt; margin: 0 0 3mm; }
h2 { font-size: 14pt; margin: 7mm 0 2mm; padding-bottom: 1mm; border-bottom: 0.4mm solid #000;
  break-after: avoid; page-break-after: avoid; }
h3 { font-size: 11pt; margin: 3mm 0 1mm; break-after: avoid; page-break-after: avoid; }
p { margin: 1.5mm 0; orphans: 3; widows: 3; }
a { color: #000; }
code, .mono { font-family: "DejaVu Sans Mono", "Liberation Mono", Consolas, monospace; }
.address { font-size: 18pt; font-weight: bold; overflow-wrap: anywhere; }
.password { font-size: 16pt; overflow-wrap: anywhere; }
.box { border: 0.6mm solid #000; padding: 2mm 3mm; margin: 2mm 0;
  break-inside: avoid; page-break-inside: avoid; }
table.facts { border-collapse: collapse; margin: 2mm 0; }
table.facts th, table.facts td { text-align: left; vertical-align: top;
  padding: 0.8mm 4mm 0.8mm 0; }
table.facts tr { break-inside: avoid; page-break-inside: avoid; }
.device { break-inside: avoid; page-break-inside: avoid; margin-bottom: 2mm; }
ol.groups { display: flex; flex-wrap: wrap; list-style: none; margin: 1mm 0; padding: 0;
  max-width: 150mm; }
ol.groups li { width: 25%; font-size: 12pt; padding: 0.5mm 0; }
ol.groups .n { font-size: 8pt; margin-right: 1mm; }
.codes { margin-top: 3mm; }
figure.qr { display: inline-block; vertical-align: top; margin: 0 6mm 5mm 0;
  break-inside: avoid; page-break-inside: avoid; }
figure.qr svg { display: block; }
figcaption { font-size: 10pt; margin-top: 1.5mm; }
figcaption .uri { display: block; font-size: 7.5pt; overflow-wrap: anywhere; margin-top: 1mm; }
ul.plain { padding-left: 5mm; }
ul.plain li { margin-bottom: 1.5mm; break-inside: avoid; page-break-inside: avoid; }
footer { margin-top: 8mm; font-size: 9pt; }
@media print { a { text-decoration: none; } body { padding: 0; } }
"""


def qr_svg(text: str, label: str) -> tuple[str, int] | None:
    """`text`'s QR code as inline SVG (one path for the dark modules, on a white square with
    the quiet zone) and its printed size in mm; None when `text` is too long for a QR code."""
    from qrcode.exceptions import DataOverflowError

    from onboard.core.qr import qr_matrix

    try:
        matrix = qr_matrix(text, quiet_zone=QR_QUIET_ZONE, error_correction="M")
    except (DataOverflowError, ValueError):
        return None
    size = len(matrix)
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < size and row[x]:
                x += 1
            runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
    millimetres = round(min(QR_MAX_MM, max(QR_MIN_MM, size * QR_MODULE_MM)))
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" class="qr-code" width="{millimetres}mm" '
           f'height="{millimetres}mm" viewBox="0 0 {size} {size}" role="img" '
           f'aria-label="{_e(label)}" shape-rendering="crispEdges">'
           f'<rect width="{size}" height="{size}" fill="#fff"/>'
           f'<path fill="#000" d="{"".join(runs)}"/></svg>')
    return svg, millimetres


def _figure(text: str, caption: str) -> str:
    """A QR code with what it is under it, and the text it holds."""
    drawn = qr_svg(text, caption)
    if drawn is None:
        return (f'<p class="box">{_e(caption)}: '
                f'{_e(_("too long for a QR code; here is the text:"))} '
                f'<code class="uri">{_e(text)}</code></p>')
    svg, millimetres = drawn
    return (f'<figure class="qr" style="width: {millimetres}mm">{svg}'
            f'<figcaption>{_e(caption)}<code class="uri">{_e(text)}</code></figcaption>'
            f'</figure>')


def _link(url: str) -> str:
    """An https link from the providers data (already checked there), else nothing."""
    if not url.startswith("https://"):
        return ""
    return f'<a href="{_e(url)}" rel="noreferrer noopener">{_e(url)}</a>'


def render_html(data: HandoutData, language: str | None = None) -> str:
    """The standalone page in `language` (default: the one the data was collected in)."""
    with speaking(language or data.language) as code:
        body = "".join([
            _intro(data),
            _address(data),
            _server(data),
            _keys(data),
            _contacts(data),
            _helper(data),
            _guide_list(data),
            _footer(data),
        ])
        title = _("Your chat account: {jid}").format(jid=data.account_jid)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{_e(code)}">\n<head>\n<meta charset="utf-8">\n'
        # Belt and braces: even a browser that finds something to load is told not to.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">\n"
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def _footer(data: HandoutData) -> str:
    made = _("Made with xmpp-onboard on {date}.").format(date=data.created.isoformat())
    return f"<footer><p>{_e(made)}</p></footer>"


def _intro(data: HandoutData) -> str:
    heading = _("Your chat account")
    text = _("Keep this page somewhere safe: it shows your address and the people whose "
             "encryption keys you checked.")
    return f"<header><h1>{_e(heading)}</h1><p>{_e(text)}</p></header>"


def _address(data: HandoutData) -> str:
    parts = [
        f"<section id=\"address\"><h2>{_e(_('Your address'))}</h2>",
        f'<p class="address mono">{_e(data.account_jid)}</p>',
        "<p>" + _e(_("Give this address to the people you want to chat with. It works like an "
                     "email address: people on any server can write to you.")) + "</p>",
    ]
    if data.password is not None:
        parts += [
            f"<h3>{_e(_('Your password'))}</h3>",
            f'<p class="password mono">{_e(data.password)}</p>',
            '<p class="box">' + _e(_("Anyone who has this password can log in as you. Keep "
                                     "this page locked away, or destroy it once your app "
                                     "remembers the password.")) + "</p>",
        ]
    else:
        parts.append("<p>" + _e(_("Your password is not on this page, on purpose. Your app "
                                  "remembers it; keep a copy in a password manager.")) + "</p>")
    parts.append("</section>")
    return "".join(parts)


def _server(data: HandoutData) -> str:
    from onboard.core.countries import country_label
    from onboard.core.providers import organization_label

    parts = [f"<section id=\"server\"><h2>{_e(_('Your server'))}</h2>"]
    facts = data.server
    if facts is None:
        parts.append("<p>" + _e(_("{domain} is not in the XMPP Providers list this program "
                                  "knows, so there are no facts about it here. Ask whoever "
                                  "runs it how to reach them when something goes "
                                  "wrong.").format(domain=data.domain)) + "</p></section>")
        return "".join(parts)
    yes, no = _("yes"), _("no")
    rows = [
        (_("Server"), _e(facts.domain)),
        (_("Who runs it"), _e(organization_label(facts.organization))),
        (_("Country"), _e(", ".join(country_label(c) for c in facts.countries)
                          or _("not listed"))),
        (_("Category"), _e(_("Category {category}").format(category=facts.category))),
        (_("Sign-up in the app"), _e(yes if facts.in_band_registration else no)),
        (_("Onion address (for Tor)"),
         "<br>".join(f'<code>{_e(o)}</code>' for o in facts.onion) or _e(_("none"))),
        (_("Website"), _link(facts.website) or _e(_("not listed"))),
        (_("Password reset"), _link(facts.password_reset)
         or _e(_("not listed: ask whoever runs the server"))),
    ]
    parts.append('<table class="facts">')
    parts += [f"<tr><th>{_e(label)}</th><td>{value}</td></tr>" for label, value in rows]
    parts.append("</table>")
    parts.append("<p>" + _e(_("Category A: an app can create the account, free of charge. "
                              "Category B: very good servers, but sign-up may be on a web page "
                              "or cost money. Any server can talk to any other, so the choice "
                              "does not limit whom you can reach.")) + "</p>")
    parts.append("<p>" + _e(_("These facts are from the XMPP Providers list "
                              "(providers.xmpp.net) as this program knew it.")) + "</p>")
    figures = []
    if facts.website.startswith("https://"):
        figures.append(_figure(facts.website, _("The website of {domain}").format(
            domain=facts.domain)))
    if facts.password_reset.startswith("https://"):
        figures.append(_figure(facts.password_reset,
                               _("Where to get a new password if you forget yours")))
    if figures:
        parts.append('<div class="codes">' + "".join(figures) + "</div>")
    parts.append("</section>")
    return "".join(parts)


def _keys(data: HandoutData) -> str:
    parts = [f"<section id=\"keys\"><h2>{_e(_('Your encryption keys (OMEMO)'))}</h2>"]
    link = data.own_link
    if link is None:
        parts.append("<p>" + _e(_("None of your own devices' keys has been checked yet, so "
                                  "there is no code for friends to scan here. The guide on "
                                  "verifying (below) shows how to check them.")) + "</p>")
        parts.append("</section>")
        return "".join(parts)
    parts.append("<p>" + _e(_("Each of your devices (phone, computer) has its own key. These "
                              "are the ones you checked. Your app shows the same numbers under "
                              "its encryption (OMEMO) settings.")) + "</p>")
    for device in data.own_devices:
        groups = "".join(f'<li><span class="n">{n}</span><code>{_e(group)}</code></li>'
                         for n, group in enumerate(device.groups, start=1))
        parts.append(f'<div class="device"><h3>{_e(_("Device {id}").format(id=device.device_id))}'
                     f'</h3><ol class="groups">{groups}</ol></div>')
    parts.append("<p>" + _e(_("When a friend scans this code with their chat app, it adds "
                              "you and marks exactly these keys as verified.")) + "</p>")
    parts.append('<div class="codes">'
                 + _figure(link, _("Your fingerprints, for a friend to scan")) + "</div>")
    parts.append("</section>")
    return "".join(parts)


def _contacts(data: HandoutData) -> str:
    parts = [f"<section id=\"contacts\"><h2>{_e(_('People whose keys you checked'))}</h2>"]
    if not data.contacts:
        parts.append("<p>" + _e(_("You have not checked anyone's keys yet. Meet your friends "
                                  "and compare fingerprints: the guide on verifying (below) "
                                  "shows how.")) + "</p></section>")
        return "".join(parts)
    parts.append('<ul class="plain">')
    for contact in data.contacts:
        count = ngettext("{count} verified device", "{count} verified devices",
                         contact.verified_devices).format(count=contact.verified_devices)
        parts.append(f'<li><code>{_e(contact.jid)}</code>: {_e(count)}</li>')
    parts.append("</ul>")
    parts.append("<p>" + _e(_("If the app ever says that one of these keys changed, ask that "
                              "person face to face or on a call before you trust it "
                              "again.")) + "</p>")
    parts.append("</section>")
    return "".join(parts)


def _helper(data: HandoutData) -> str:
    uri = data.helper_uri
    if data.helper_jid is None or uri is None:
        return ""
    return "".join([
        f"<section id=\"helper\"><h2>{_e(_('Who helped you'))}</h2>",
        f'<p class="mono">{_e(data.helper_jid)}</p>',
        "<p>" + _e(_("Scan the code with your chat app to add {helper} as a contact, and ask "
                     "them when something does not work.").format(helper=data.helper_jid))
        + "</p>",
        '<div class="codes">' + _figure(uri, _("Add the helper as a contact")) + "</div>",
        "</section>",
    ])


def _guide_list(data: HandoutData) -> str:
    if not data.guides:
        return ""
    parts = [f"<section id=\"guides\"><h2>{_e(_('Guides'))}</h2>",
             "<p>" + _e(_("These guides come with xmpp-onboard. They are in its source code, "
                          "in the files named here.")) + "</p>",
             '<ul class="plain">']
    for guide in data.guides:
        summary = f" {_e(guide.summary)}" if guide.summary else ""
        parts.append(f"<li><strong>{_e(guide.title)}</strong>{summary} "
                     f'<code class="path">{_e(guide.path)}</code></li>')
    parts.append("</ul></section>")
    return "".join(parts)


# --- writing -----------------------------------------------------------------------------------


def write_handout(data: HandoutData, path: Path | str, language: str | None = None, *,
                  overwrite: bool = False) -> Path:
    """Write the page to `path` (mode 0600, atomically) and return where it is.

    Missing folders are created, private. An existing file is replaced only with
    `overwrite`, else HandoutExistsError; HandoutWriteError when it cannot be written.
    """
    target = Path(path).expanduser().absolute()
    content = render_html(data, language).encode("utf-8")
    try:
        make_private_dirs(target.parent)
        if not overwrite and (target.exists() or target.is_symlink()):
            raise HandoutExistsError(target)
        if overwrite:
            from onboard.core.storage import write_private

            if target.is_dir():
                raise IsADirectoryError(21, os.strerror(21), str(target))
            write_private(target, content)
        else:
            _write_new(target, content)
    except OSError as exc:
        raise HandoutWriteError(f"{exc.filename or target}: {exc.strerror or exc}") from None
    return target


def _write_new(target: Path, content: bytes) -> None:
    """Write a file that must not exist yet: a private temporary file, then a hard link to the
    name (which fails, atomically, when something took the name in between)."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp_name, target)
        except FileExistsError:
            raise HandoutExistsError(target) from None
        except OSError:
            # A file system without hard links (a FAT USB stick): checked just before, so
            # only a file made in the last instant could be replaced.
            if target.exists():
                raise HandoutExistsError(target) from None
            os.replace(tmp_name, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
