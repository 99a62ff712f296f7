"""XEP-0077 registration answers as plain data the TUI and the CLI both render.

The server's `<query xmlns='jabber:iq:register'>` can be a XEP-0004 data form (possibly a
XEP-0158 CAPTCHA form with XEP-0221 media and XEP-0231 BoB images), legacy fields, or a pointer
to a web page (`jabber:x:oob`). Parsing is pure (ElementTree in, dataclasses out) so it can be
tested and fuzzed without a server; everything a server wrote is made inert for the terminal.
"""

from __future__ import annotations

import base64
import binascii
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from onboard.core.errors import ProtocolError
from onboard.core.text import inert, one_line

NS_REGISTER = "jabber:iq:register"
NS_DATA = "jabber:x:data"
NS_OOB = "jabber:x:oob"
NS_MEDIA = "urn:xmpp:media-element"
NS_BOB = "urn:xmpp:bob"
NS_CAPTCHA = "urn:xmpp:captcha"

FIELD_TYPES = frozenset({
    "boolean", "fixed", "hidden", "jid-multi", "jid-single", "list-multi", "list-single",
    "text-multi", "text-private", "text-single",
})
# XEP-0158 challenge fields a human answers; their labels are often missing.
CAPTCHA_VARS = frozenset({
    "ocr", "qa", "audio_recog", "speech_recog", "speech_q", "picture_recog", "picture_q",
    "video_recog", "video_q",
})
# Legacy XEP-0077 field elements, in the order a form shows them.
LEGACY_FIELDS = (
    "username", "nick", "password", "name", "first", "last", "email", "address", "city",
    "state", "zip", "phone", "url", "date", "misc", "text", "key",
)
MAX_FIELDS = 200
MAX_OPTIONS = 500
MAX_IMAGE_BYTES = 2 * 1024 * 1024
_URL_IN_TEXT = re.compile(r"https://[^\s<>\"']+")


@dataclass(frozen=True)
class FormOption:
    label: str
    value: str


@dataclass(frozen=True)
class MediaUri:
    mime: str
    uri: str


@dataclass
class FormField:
    var: str
    type: str = "text-single"
    label: str = ""
    desc: str = ""
    required: bool = False
    values: list[str] = field(default_factory=list)
    options: list[FormOption] = field(default_factory=list)
    media: list[MediaUri] = field(default_factory=list)

    @property
    def visible(self) -> bool:
        return self.type != "hidden" and bool(self.var or self.type == "fixed")

    @property
    def is_captcha(self) -> bool:
        return self.var in CAPTCHA_VARS or bool(self.media)

    @property
    def is_username(self) -> bool:
        return self.var == "username"

    @property
    def is_password(self) -> bool:
        return self.var == "password"

    @property
    def display_label(self) -> str:
        return self.label or self.var.replace("_", " ").capitalize()

    @property
    def default(self) -> str:
        return self.values[0] if self.values else ""


@dataclass(frozen=True)
class BobData:
    cid: str
    mime: str
    data: bytes


@dataclass
class RegistrationForm:
    """What a server asks for to register, whatever shape it came in."""

    domain: str
    kind: str  # "data-form" | "legacy" | "web" | "none"
    title: str = ""
    instructions: str = ""
    fields: list[FormField] = field(default_factory=list)
    web_url: str | None = None
    bob: dict[str, BobData] = field(default_factory=dict)
    already_registered: bool = False
    form_type: str = ""
    # The CAPTCHA image fetched from its https link when the server sent none inline.
    linked_image: BobData | None = None

    @property
    def captcha_field(self) -> FormField | None:
        return next((f for f in self.fields if f.is_captcha and f.type != "hidden"), None)

    @property
    def has_username(self) -> bool:
        return any(f.is_username for f in self.fields)

    @property
    def has_password(self) -> bool:
        return any(f.is_password for f in self.fields)

    def extra_fields(self) -> list[FormField]:
        """The visible fields beyond username and password: what the form screen must ask."""
        return [f for f in self.fields if f.visible and not (f.is_username or f.is_password)]

    def captcha_image(self) -> BobData | None:
        """The CAPTCHA image that came with the form (XEP-0231), if any."""
        captcha = self.captcha_field
        if captcha is None:
            return None
        for media in captcha.media:
            if media.uri.startswith("cid:") and media.uri[4:] in self.bob:
                return self.bob[media.uri[4:]]
        return self.linked_image

    def captcha_urls(self) -> list[str]:
        """https URLs where the CAPTCHA can be seen (media URIs, `url`/fallback fields)."""
        urls: list[str] = []
        captcha = self.captcha_field
        candidates = [m.uri for m in captcha.media] if captcha else []
        for f in self.fields:
            if f.var in ("url", "captcha-fallback-url") and f.values:
                candidates.append(f.values[0])
        for uri in candidates:
            if safe_web_url(uri) and uri not in urls:
                urls.append(uri)
        return urls


def safe_web_url(url: str | None) -> str | None:
    """Only https links are offered to open: never http:, javascript:, file: or others.

    Links with a space or an invisible character are refused too: C1 controls (CSI) reach the
    terminal when the link is shown, bidi overrides make it read as another address.
    """
    if not url:
        return None
    url = url.strip()
    if not url.lower().startswith("https://") or len(url) > 2000:
        return None
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        return None
    return url


def _text(element: ET.Element | None, limit: int = 2000) -> str:
    if element is None:
        return ""
    return inert("".join(element.itertext()), limit)


def _values(element: ET.Element, kind: str) -> list[str]:
    """A field's values. A hidden field's go back to the server exactly as they came; all others
    are shown (a fixed field's values are its text) or prefilled, so they are made inert."""
    raw = [(v.text or "") for v in element.findall(f"{{{NS_DATA}}}value")][:MAX_OPTIONS]
    return raw if kind == "hidden" else [inert(value) for value in raw]


def _parse_field(element: ET.Element) -> FormField:
    kind = element.get("type") or "text-single"
    if kind not in FIELD_TYPES:
        kind = "text-single"  # XEP-0004: treat unknown types as text-single
    options = [
        FormOption(one_line(o.get("label") or _text(o.find(f"{{{NS_DATA}}}value")), 200),
                   _text(o.find(f"{{{NS_DATA}}}value"), 1000))
        for o in element.findall(f"{{{NS_DATA}}}option")[:MAX_OPTIONS]
    ]
    media = [
        MediaUri(one_line(u.get("type"), 100), (u.text or "").strip()[:2000])
        for m in element.findall(f"{{{NS_MEDIA}}}media")
        for u in m.findall(f"{{{NS_MEDIA}}}uri")
    ]
    return FormField(
        var=one_line(element.get("var"), 200),
        type=kind,
        label=one_line(element.get("label"), 300),
        desc=_text(element.find(f"{{{NS_DATA}}}desc"), 1000),
        required=element.find(f"{{{NS_DATA}}}required") is not None,
        values=_values(element, kind),
        options=options,
        media=media,
    )


def _parse_bob(root: ET.Element) -> dict[str, BobData]:
    found: dict[str, BobData] = {}
    for data in root.iter(f"{{{NS_BOB}}}data"):
        cid = (data.get("cid") or "").strip()
        raw = re.sub(r"\s+", "", data.text or "")
        if not cid or len(raw) > MAX_IMAGE_BYTES * 4 // 3 + 4:
            continue
        try:
            decoded = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            continue
        found[cid] = BobData(cid, one_line(data.get("type"), 100), decoded)
    return found


def _dedupe(fields: list[FormField]) -> list[FormField]:
    seen: set[str] = set()
    unique = []
    for f in fields:
        if f.var and f.var in seen:
            continue
        if f.var:
            seen.add(f.var)
        unique.append(f)
    return unique


def parse_registration(domain: str, reply: ET.Element) -> RegistrationForm:
    """Turn the server's reply (the whole `<iq/>`, or just its `<query/>`) into a form.

    Raises ProtocolError (only) when the reply has no registration query or a form with more
    than MAX_FIELDS fields; anything else malformed is skipped or read leniently.
    """
    query = reply if reply.tag == f"{{{NS_REGISTER}}}query" else reply.find(
        f"{{{NS_REGISTER}}}query"
    )
    if query is None:
        raise ProtocolError("no jabber:iq:register query in the reply")
    bob = _parse_bob(reply)
    oob = query.find(f"{{{NS_OOB}}}x")
    oob_url = safe_web_url(_text(oob.find(f"{{{NS_OOB}}}url")) if oob is not None else None)
    instructions = _text(query.find(f"{{{NS_REGISTER}}}instructions"))
    registered = query.find(f"{{{NS_REGISTER}}}registered") is not None

    x = query.find(f"{{{NS_DATA}}}x")
    if x is not None:
        elements = x.findall(f"{{{NS_DATA}}}field")
        if len(elements) > MAX_FIELDS:
            raise ProtocolError(f"the form has {len(elements)} fields")
        fields = _dedupe([_parse_field(e) for e in elements])
        form_type = next((f.default for f in fields if f.var == "FORM_TYPE"), "")
        form_instructions = "\n".join(
            _text(i) for i in x.findall(f"{{{NS_DATA}}}instructions")
        )
        return RegistrationForm(
            domain=domain,
            kind="data-form",
            title=_text(x.find(f"{{{NS_DATA}}}title"), 300),
            instructions=form_instructions or instructions,
            fields=fields,
            web_url=oob_url,
            bob=bob,
            already_registered=registered,
            form_type=form_type,
        )

    legacy = []
    for name in LEGACY_FIELDS:
        element = query.find(f"{{{NS_REGISTER}}}{name}")
        if element is None:
            continue
        shown = inert(element.text)  # prefilled in the form, e.g. the registered name
        legacy.append(FormField(
            var=name,
            type="text-private" if name == "password" else "text-single",
            required=True,
            values=[shown] if shown else [],
        ))
    if legacy:
        return RegistrationForm(domain, "legacy", instructions=instructions, fields=legacy,
                                web_url=oob_url, bob=bob, already_registered=registered)

    web_url = oob_url
    if web_url is None:
        match = _URL_IN_TEXT.search(instructions)
        web_url = safe_web_url(match.group(0).rstrip(".,;)")) if match else None
    return RegistrationForm(domain, "web" if web_url else "none", instructions=instructions,
                            web_url=web_url, already_registered=registered)


Answers = dict[str, list[str]]


def build_submission(form: RegistrationForm, answers: Answers) -> ET.Element:
    """The `<query/>` to send back: every field kept, hidden ones with their original values."""
    query = ET.Element(f"{{{NS_REGISTER}}}query")
    if form.kind == "legacy":
        for f in form.fields:
            child = ET.SubElement(query, f"{{{NS_REGISTER}}}{f.var}")
            child.text = (answers.get(f.var) or [f.default])[0]
        return query
    x = ET.SubElement(query, f"{{{NS_DATA}}}x", {"type": "submit"})
    for f in form.fields:
        if not f.var or f.type == "fixed":
            continue
        values = f.values if f.type == "hidden" else answers.get(f.var, f.values)
        element = ET.SubElement(x, f"{{{NS_DATA}}}field", {"var": f.var})
        if f.type != "text-single":
            element.set("type", f.type)
        for value in values:
            ET.SubElement(element, f"{{{NS_DATA}}}value").text = value
    return query


def _answered(field: FormField, values: list[str]) -> bool:
    if field.type == "boolean":
        # A required checkbox ("I accept the rules") is only answered when it is ticked.
        return any(v.strip().lower() in ("1", "true") for v in values)
    return any(v.strip() for v in values)


def missing_required(form: RegistrationForm, answers: Answers) -> list[FormField]:
    """Required visible fields the answers leave empty (or, for a checkbox, unticked)."""
    return [
        f for f in form.fields
        if f.required and f.visible and f.type != "fixed"
        and not _answered(f, answers.get(f.var, f.values))
    ]
