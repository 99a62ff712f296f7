"""The printable handout: what it shows, what it never shows, and that it loads nothing.

The page is read back with html.parser, its QR codes are drawn by a real SVG renderer
(rsvg-convert) and read by a real decoder (zbarimg).
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
import re
import shutil
import stat
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from onboard import i18n
from onboard.core import accounts, handout
from onboard.core.errors import InvalidInputError
from onboard.core.handout import (
    HandoutData,
    HandoutExistsError,
    HandoutGuide,
    PasswordNotSavedError,
    ServerFacts,
    VerifiedContact,
    collect,
    render_html,
    write_handout,
)
from onboard.core.omemo import verified
from onboard.core.omemo.link import build_link, parse_link
from tests.core.test_qr import zbarimg
from tests.servers.audit import socket_audit

# openim.nl is in the bundled providers data with an onion address and a password-reset page.
ACCOUNT = "alice@openim.nl"
DOMAIN = "openim.nl"
HELPER = "helper@example.org"
FRIEND = "bob@example.net"
OTHER = "carol@example.com"
FP_PHONE = "0123456789abcdef" * 4
FP_LAPTOP = "fedcba9876543210" * 4
FP_FRIEND = "00112233445566778899aabbccddeeff" * 2
# Characters that HTML, URLs and base64 each write differently.
PASSWORD = "Tr0ub4dor&3 <ü>+/=\"x'"
HOSTILE = "<script>alert(1)</script>"
VOID = {"meta", "br", "link", "img", "hr", "input", "base", "source", "wbr", "area", "col",
        "embed", "param", "track"}


# --- reading the page back -------------------------------------------------------------------


@dataclass
class Figure:
    svg: str = ""
    caption: str = ""
    uri: str = ""


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    classes: tuple[str, ...] = ()


class Page(HTMLParser):
    """Every element, every text chunk with the classes and tags around it, the styles, and
    each QR figure with its SVG source, caption and the text under it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.texts: list[tuple[str, frozenset[str]]] = []
        self.styles: list[str] = []
        self.figures: list[Figure] = []
        self.lang: str | None = None
        self._stack: list[Element] = []
        self._svg: list[str] | None = None

    @classmethod
    def of(cls, text: str) -> Page:
        page = cls()
        page.feed(text)
        page.close()
        return page

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs), tuple((dict(attrs).get("class") or "").split()))
        self.elements.append(element)
        if tag == "html":
            self.lang = element.attrs.get("lang")
        if tag == "figure":
            self.figures.append(Figure())
        if tag == "svg":
            self._svg = []
        if self._svg is not None:
            self._svg.append(self.get_starttag_text() or "")
        if tag not in VOID:
            self._stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, dict(attrs)))
        if self._svg is not None:
            self._svg.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if self._svg is not None:
            self._svg.append(f"</{tag}>")
            if tag == "svg":
                if self.figures:
                    self.figures[-1].svg = "".join(self._svg)
                self._svg = None
        while self._stack:
            if self._stack.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        context = frozenset({e.tag for e in self._stack}
                            | {f".{c}" for e in self._stack for c in e.classes}
                            | {f"#{e.attrs['id']}" for e in self._stack if e.attrs.get("id")})
        if "style" in context:
            self.styles.append(data)
            return
        self.texts.append((data, context))
        if "figcaption" in context and self.figures:
            figure = self.figures[-1]
            if ".uri" in context:
                figure.uri += data
            else:
                figure.caption += data

    def text(self, within: str | None = None) -> str:
        """All the text (in `within`: a tag, .class or #id), chunks joined by spaces."""
        return " ".join(t for t, context in self.texts if within is None or within in context)

    def tags(self, name: str) -> list[Element]:
        return [e for e in self.elements if e.tag == name]


def external_resources(page: Page) -> list[str]:
    """Whatever would make a browser load something or run something."""
    found = []
    for element in page.elements:
        if element.tag in {"script", "link", "img", "iframe", "frame", "object", "embed",
                           "base", "audio", "video", "source", "image", "use", "foreignobject",
                           "form", "input"}:
            found.append(f"<{element.tag}>")
        for name, value in element.attrs.items():
            if name in {"src", "srcset", "data", "poster", "background", "action",
                        "xlink:href", "formaction"} or name.startswith("on"):
                found.append(f"{element.tag} {name}={value}")
            if name == "href" and element.tag != "a":
                found.append(f"{element.tag} href={value}")
            if name == "href" and not (value or "").startswith(("https://", "xmpp:")):
                found.append(f"a href={value}")
            if name == "style" and value and re.search(r"url\(|@import|expression",
                                                       value, re.I):
                found.append(f"{element.tag} style={value}")
        if element.tag == "meta" and (element.attrs.get("http-equiv") or "").lower() == "refresh":
            found.append("meta refresh")
    for style in page.styles:
        if re.search(r"url\(|@import|expression\(", style, re.I):
            found.append("url( or @import in <style>")
    return found


def rsvg_convert(svg: str, path: Path) -> Path:
    if shutil.which("rsvg-convert") is None:
        reason = "rsvg-convert is not installed (apt-get install librsvg2-bin)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    source = path.with_suffix(".svg")
    source.write_text(svg, "utf-8")
    result = subprocess.run(["rsvg-convert", "--width", "600", "--height", "600",
                             "--background-color", "white", "--output", str(path), str(source)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return path


def decode(figure: Figure, tmp_path: Path, name: str) -> str:
    return zbarimg(rsvg_convert(figure.svg, tmp_path / f"{name}.png"))


def password_forms(password: str) -> list[bytes]:
    raw = password.encode("utf-8")
    forms = [raw, html.escape(password).encode(), html.escape(password, quote=False).encode(),
             quote(password, safe="").encode(), quote_plus(password).encode(),
             base64.b64encode(raw), base64.urlsafe_b64encode(raw),
             base64.b64encode(raw).rstrip(b"="), raw.hex().encode()]
    # The most distinctive part on its own, in case the rest was written some other way.
    return [*forms, b"Tr0ub4dor"]


# --- making the records with the core ----------------------------------------------------------


def save_account(jid: str = ACCOUNT, password: str = PASSWORD) -> None:
    accounts.save(accounts.SavedAccount(jid=jid, password=password,
                                        domain=jid.partition("@")[2]))


def verify_everything() -> None:
    verified.mark_many(ACCOUNT, ACCOUNT, {1111: FP_PHONE, 2222: FP_LAPTOP})
    verified.mark_many(ACCOUNT, FRIEND, {31: FP_FRIEND, 32: FP_PHONE})
    verified.mark_many(ACCOUNT, OTHER, {41: FP_LAPTOP})
    # Another account's record: never on Alice's page.
    verified.mark_many("dora@example.org", "dora@example.org", {5: FP_FRIEND})
    verified.mark_many("dora@example.org", "eve@example.net", {6: FP_FRIEND})


OWN_LINK = build_link(ACCOUNT, {1111: FP_PHONE, 2222: FP_LAPTOP})


# --- collect -----------------------------------------------------------------------------------


def test_collect_takes_everything_from_the_local_records() -> None:
    save_account()
    verify_everything()
    data = collect("Alice@OpenIM.nl/phone", helper_jid=HELPER, language="en")
    assert (data.account_jid, data.domain, data.language) == (ACCOUNT, DOMAIN, "en")
    assert data.server is not None
    assert data.server.domain == DOMAIN and data.server.category in {"A", "B"}
    assert data.server.countries and data.server.onion
    assert data.server.website.startswith("https://")
    assert data.server.password_reset.startswith("https://")
    assert [(d.device_id, d.fingerprint) for d in data.own_devices] == [
        (1111, FP_PHONE), (2222, FP_LAPTOP)]
    assert data.own_link == OWN_LINK
    assert data.contacts == (VerifiedContact(FRIEND, 2), VerifiedContact(OTHER, 1))  # by address
    assert data.helper_jid == HELPER and data.helper_uri == f"xmpp:{HELPER}?roster"
    assert data.password is None and not data.includes_password
    slugs = [g.slug for g in data.guides]
    assert "verify" in slugs and "next-steps" in slugs
    assert all(g.title and g.path == f"guides/en/{g.slug}.md" for g in data.guides)


def test_collect_reads_the_guides_in_the_friends_language_and_restores_the_language() -> None:
    i18n.set_language("en")
    data = collect(ACCOUNT, language="de")
    assert data.language == "de"
    assert {g.path for g in data.guides} >= {"guides/de/verify.md", "guides/de/tor.md"}
    english = {g.slug: g.title for g in collect(ACCOUNT, language="en").guides}
    assert any(g.title != english[g.slug] for g in data.guides)  # the German files' titles
    assert i18n.current_language() == "en"
    assert collect(ACCOUNT, language="xx").language == "en"


def test_password_only_when_asked_and_only_from_the_saved_credentials() -> None:
    save_account()
    data = collect(ACCOUNT, include_password=True, language="en")
    assert data.password == PASSWORD and data.includes_password
    assert "Tr0ub4dor" not in repr(data)
    assert collect(ACCOUNT, language="en").password is None
    with pytest.raises(PasswordNotSavedError) as caught:
        collect(FRIEND, include_password=True, language="en")
    assert caught.value.exit_code == 2 and FRIEND in caught.value.message
    # An account not saved here is fine without the password.
    assert collect(FRIEND, language="en").account_jid == FRIEND


def test_collect_rejects_addresses_that_are_not_ones() -> None:
    with pytest.raises(InvalidInputError):
        collect("not an address", language="en")
    with pytest.raises(InvalidInputError):
        collect(ACCOUNT, helper_jid=f"{HOSTILE}@example.org", language="en")


def test_collect_render_and_write_never_touch_the_network(tmp_path: Path) -> None:
    save_account()
    verify_everything()
    audit = socket_audit()
    with audit.watch():
        data = collect(ACCOUNT, helper_jid=HELPER, include_password=True, language="de")
        write_handout(data, tmp_path / "page.html", "de")
    assert audit.connects == [] and audit.lookups == []


# --- the page ----------------------------------------------------------------------------------


def full_page(language: str = "en", include_password: bool = False) -> tuple[HandoutData, str]:
    save_account()
    verify_everything()
    data = collect(ACCOUNT, helper_jid=HELPER, include_password=include_password,
                   language=language)
    return data, render_html(data, language)


def test_the_page_shows_address_server_facts_devices_contacts_helper_and_guides() -> None:
    data, text = full_page()
    page = Page.of(text)
    assert page.lang == "en"
    assert page.text(".address") == ACCOUNT
    assert data.server is not None
    facts = page.text("#server")
    assert DOMAIN in facts and data.server.onion[0] in facts
    assert f"Category {data.server.category}" in facts
    assert "Germany" in facts  # openim.nl's country, by name
    links = {a.attrs["href"] for a in page.tags("a")}
    assert {data.server.website, data.server.password_reset} <= links
    keys = page.text("#keys")
    for fingerprint in (FP_PHONE, FP_LAPTOP):
        groups = [fingerprint[i:i + 8] for i in range(0, 64, 8)]
        assert all(group in keys for group in groups)
    assert [figure.uri for figure in page.figures if figure.uri == OWN_LINK]
    contacts = page.text("#contacts")
    assert FRIEND in contacts and OTHER in contacts and "dora" not in text
    assert "eve@example.net" not in text
    assert "2 verified devices" in contacts and "1 verified device" in contacts
    assert f"xmpp:{HELPER}?roster" in [figure.uri for figure in page.figures]
    guides = page.text("#guides")
    assert "guides/en/verify.md" in guides and data.guides[0].title in guides
    captions = [figure.caption.strip() for figure in page.figures]
    assert "Your fingerprints, for a friend to scan" in captions
    assert "Add the helper as a contact" in captions


def test_every_qr_code_decodes_to_exactly_its_link_and_is_big_enough(tmp_path: Path) -> None:
    data, text = full_page()
    page = Page.of(text)
    assert data.server is not None
    expected = {OWN_LINK, f"xmpp:{HELPER}?roster", data.server.website,
                data.server.password_reset}
    assert {figure.uri for figure in page.figures} == expected
    for index, figure in enumerate(page.figures):
        svg = Page.of(figure.svg).tags("svg")[0]
        width, height = svg.attrs["width"] or "", svg.attrs["height"] or ""
        assert width == height and width.endswith("mm") and float(width[:-2]) >= 35
        # The quiet zone: no dark module in the outer four rows and columns.
        size = int((svg.attrs["viewbox"] or "").split()[2])
        path = Page.of(figure.svg).tags("path")[0].attrs["d"] or ""
        starts = [(int(x), int(y)) for x, y in re.findall(r"M(\d+) (\d+)", path)]
        runs = [int(n) for n in re.findall(r"h(\d+)", path)]
        assert min(x for x, _y in starts) >= 4 and min(y for _x, y in starts) >= 4
        assert max(x + n for (x, _y), n in zip(starts, runs, strict=True)) <= size - 4
        assert max(y for _x, y in starts) < size - 4
        assert decode(figure, tmp_path, f"qr{index}") == figure.uri
    assert parse_link(OWN_LINK) == (ACCOUNT, {1111: FP_PHONE, 2222: FP_LAPTOP})


def test_no_password_anywhere_unless_asked(tmp_path: Path) -> None:
    save_account()
    verify_everything()
    data = collect(ACCOUNT, helper_jid=HELPER, language="en")
    path = write_handout(data, tmp_path / "page.html", "en")
    raw = path.read_bytes()
    for form in password_forms(PASSWORD):
        assert form not in raw, form
    assert not [e for e in Page.of(raw.decode()).elements if "password" in e.classes]


def test_with_the_password_it_is_exactly_where_shown(tmp_path: Path) -> None:
    save_account()
    verify_everything()
    data = collect(ACCOUNT, helper_jid=HELPER, include_password=True, language="en")
    raw = write_handout(data, tmp_path / "page.html", "en").read_bytes()
    page = Page.of(raw.decode())
    holders = [(t, context) for t, context in page.texts if "Tr0ub4dor" in t]
    assert len(holders) == 1
    shown, context = holders[0]
    assert shown == PASSWORD and ".password" in context and "#address" in context
    assert raw.count(html.escape(PASSWORD).encode()) == 1
    assert raw.count(b"Tr0ub4dor") == 1  # not in an attribute, a title or a QR code
    for figure in page.figures:
        assert "Tr0ub4dor" not in figure.uri


def test_nothing_on_the_page_loads_or_runs_anything() -> None:
    _data, text = full_page(include_password=True)
    page = Page.of(text)
    assert external_resources(page) == []
    assert "url(" not in text and "<script" not in text.lower()
    assert page.styles and "@page" in page.styles[0] and "A4" in page.styles[0]
    assert [a.attrs["href"] for a in page.tags("a")]  # links are fine: they load nothing


def test_the_checker_itself_sees_what_would_load() -> None:
    bad = ('<html><head><link rel="stylesheet" href="https://x.example/a.css">'
           '<style>body { background: url(https://x.example/b.png) }</style></head><body>'
           '<img src="https://x.example/c.png"><script>1</script>'
           '<svg><image href="https://x.example/d.png"/></svg>'
           '<a href="javascript:alert(1)">x</a></body></html>')
    found = external_resources(Page.of(bad))
    assert len(found) >= 6


def test_hostile_text_comes_out_inert() -> None:
    data = HandoutData(
        account_jid=f"alice@{HOSTILE}",
        domain=HOSTILE,
        language="en",
        server=ServerFacts(domain=HOSTILE, category=HOSTILE, countries=(HOSTILE,),
                           onion=(HOSTILE,), website='https://x.example/"><script>1</script>',
                           password_reset="javascript:alert(1)", organization=HOSTILE),
        contacts=(VerifiedContact(HOSTILE, 1),),
        helper_jid=HOSTILE,
        guides=(HandoutGuide("verify", HOSTILE, HOSTILE, HOSTILE),),
        password=HOSTILE,
    )
    text = render_html(data, "en")
    page = Page.of(text)
    assert "<script" not in text.lower()
    assert not page.tags("script")
    assert external_resources(page) == []
    assert all(not a.attrs["href"] or not a.attrs["href"].startswith("javascript")
               for a in page.tags("a"))
    assert text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 8
    assert HOSTILE in page.text("#server") and HOSTILE in page.text("#guides")


def test_the_page_is_in_the_friends_language_and_the_language_comes_back(
        monkeypatch: pytest.MonkeyPatch) -> None:
    data, _text = full_page(language="de")
    i18n.set_language("en")
    heard: list[str] = []
    original, original_plural = i18n._, i18n.ngettext  # what the module imported

    def spy(message: str) -> str:
        heard.append(i18n.current_language())
        return original(message)

    def spy_plural(singular: str, plural: str, n: int) -> str:
        heard.append(i18n.current_language())
        return original_plural(singular, plural, n)

    monkeypatch.setattr("onboard.core.handout._", spy)
    monkeypatch.setattr("onboard.core.handout.ngettext", spy_plural)
    page = Page.of(render_html(data, "de"))
    assert page.lang == "de"
    assert heard and set(heard) == {"de"}  # every string of the page was asked for in German
    assert i18n.current_language() == "en"
    # The data's language is the default, and an unknown one is English.
    assert Page.of(render_html(data)).lang == "de"
    assert Page.of(render_html(data, "xx")).lang == "en"
    assert i18n.current_language() == "en"


def test_the_language_comes_back_when_rendering_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    data, _text = full_page()
    i18n.set_language("en")

    def broken(data: HandoutData) -> str:
        raise RuntimeError("broken")

    monkeypatch.setattr(handout, "_guide_list", broken)
    with pytest.raises(RuntimeError):
        render_html(data, "de")
    assert i18n.current_language() == "en"


def test_a_server_not_in_the_list_and_no_verified_devices() -> None:
    data = collect("someone@unlisted.example", language="en")
    assert data.server is None and data.own_devices == () and data.own_link is None
    page = Page.of(render_html(data, "en"))
    assert "unlisted.example" in page.text("#server")
    assert page.figures == [] and not page.tags("svg")
    assert page.tags("section")  # still a page worth printing
    assert "#helper" not in {c for _t, ctx in page.texts for c in ctx}


def test_a_link_too_long_for_a_qr_code_is_written_out_instead() -> None:
    many = {device_id: hashlib.sha256(bytes([device_id])).hexdigest()
            for device_id in range(1, 41)}
    verified.mark_many(ACCOUNT, ACCOUNT, many)
    data = collect(ACCOUNT, language="en")
    link = data.own_link
    assert link is not None and len(link) > 3000
    page = Page.of(render_html(data, "en"))
    assert link in page.text("#keys")
    assert all(figure.uri != link for figure in page.figures)


# --- writing -----------------------------------------------------------------------------------


def test_the_file_is_private_and_its_new_folders_too(tmp_path: Path) -> None:
    data, _text = full_page()
    old = os.umask(0)
    try:
        path = write_handout(data, tmp_path / "new" / "deeper" / "page.html")
    finally:
        os.umask(old)
    assert path == tmp_path / "new" / "deeper" / "page.html"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for folder in (tmp_path / "new", tmp_path / "new" / "deeper"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert Page.of(path.read_text("utf-8")).text(".address") == ACCOUNT
    assert sorted(p.name for p in path.parent.iterdir()) == ["page.html"]  # no temp file left


def test_an_existing_file_is_replaced_only_when_allowed(tmp_path: Path) -> None:
    data, _text = full_page()
    path = tmp_path / "page.html"
    path.write_text("the friend's own notes")
    path.chmod(0o644)
    with pytest.raises(HandoutExistsError) as caught:
        write_handout(data, path)
    assert caught.value.path == path and caught.value.exit_code == 2
    assert path.read_text() == "the friend's own notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.html"]
    write_handout(data, path, overwrite=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Page.of(path.read_text("utf-8")).text(".address") == ACCOUNT


def test_a_dangling_link_in_the_way_is_not_followed(tmp_path: Path) -> None:
    data, _text = full_page()
    outside = tmp_path / "elsewhere.html"
    link = tmp_path / "page.html"
    link.symlink_to(outside)
    with pytest.raises(HandoutExistsError):
        write_handout(data, link)
    assert not outside.exists()


def test_a_place_that_cannot_be_written_is_a_clear_error(tmp_path: Path) -> None:
    data, _text = full_page()
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("not a folder")
    with pytest.raises(handout.HandoutWriteError) as caught:
        write_handout(data, in_the_way / "page.html")
    assert caught.value.exit_code == 12 and str(in_the_way) in caught.value.message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_default_file_name() -> None:
    assert handout.default_file_name(ACCOUNT) == "xmpp-onboard-alice.html"
    assert handout.default_file_name("..jörg@example.org") == "xmpp-onboard-jörg.html"
