"""Parsing the three shapes of a XEP-0077 answer, and building the submission."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest

from onboard.core.errors import ProtocolError
from onboard.core.xmpp.forms import (
    NS_DATA,
    build_submission,
    missing_required,
    parse_registration,
    safe_web_url,
)

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()

DATA_FORM = f"""
<iq xmlns='jabber:client' type='result' id='1'>
 <query xmlns='jabber:iq:register'>
  <instructions>Use the form.</instructions>
  <x xmlns='jabber:x:data' type='form'>
   <title>Sign up</title>
   <instructions>Fill in all fields.</instructions>
   <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:captcha</value></field>
   <field var='challenge' type='hidden'><value>F3A6292C</value></field>
   <field var='username' type='text-single' label='User'><required/></field>
   <field var='password' type='text-private' label='Password'><required/></field>
   <field var='bio' type='text-multi' label='About you'/>
   <field var='color' type='list-single' label='Colour'>
     <option label='Red'><value>r</value></option><option label='Blue'><value>b</value></option>
   </field>
   <field var='langs' type='list-multi'><option><value>en</value></option></field>
   <field var='tos' type='boolean' label='Accept'><required/></field>
   <field type='fixed'><value>Rules apply.</value></field>
   <field var='buddy' type='jid-single'/>
   <field var='weird' type='no-such-type' label='Odd'/>
   <field var='ocr' label='Enter the text you see'>
     <media xmlns='urn:xmpp:media-element' height='80' width='290'>
       <uri type='image/png'>cid:sha1+abc@bob.xmpp.org</uri>
       <uri type='image/png'>https://example.org/captcha.png</uri>
     </media><required/>
   </field>
   <field var='url' type='text-single'><value>http://example.org/captcha</value></field>
  </x>
 </query>
 <data xmlns='urn:xmpp:bob' cid='sha1+abc@bob.xmpp.org' type='image/png'>{PNG}</data>
</iq>
"""


def parse(text: str, domain: str = "example.org"):  # type: ignore[no-untyped-def]
    return parse_registration(domain, ET.fromstring(text))


def test_data_form_keeps_every_field_type() -> None:
    form = parse(DATA_FORM)
    assert form.kind == "data-form"
    assert form.title == "Sign up"
    assert form.form_type == "urn:xmpp:captcha"
    types = {f.var: f.type for f in form.fields}
    assert types["challenge"] == "hidden"
    assert types["bio"] == "text-multi"
    assert types["color"] == "list-single"
    assert types["langs"] == "list-multi"
    assert types["tos"] == "boolean"
    assert types["buddy"] == "jid-single"
    assert types["weird"] == "text-single"  # unknown types are treated as text-single
    color = next(f for f in form.fields if f.var == "color")
    assert [(o.label, o.value) for o in color.options] == [("Red", "r"), ("Blue", "b")]
    assert form.has_username and form.has_password
    extra = [f.var or f.type for f in form.extra_fields()]
    assert "username" not in extra and "challenge" not in extra
    assert "fixed" in extra and "ocr" in extra


def test_captcha_image_comes_from_bob_and_only_https_urls_are_offered() -> None:
    form = parse(DATA_FORM)
    assert form.captcha_field is not None and form.captcha_field.var == "ocr"
    image = form.captcha_image()
    assert image is not None and image.data.startswith(b"\x89PNG")
    assert form.captcha_urls() == ["https://example.org/captcha.png"]


def test_submission_keeps_hidden_fields_and_answers() -> None:
    form = parse(DATA_FORM)
    query = build_submission(form, {"username": ["alice"], "password": ["pw"], "ocr": ["7x"],
                                    "challenge": ["tampered"], "tos": ["1"]})
    x = query.find(f"{{{NS_DATA}}}x")
    assert x is not None and x.get("type") == "submit"
    values = {f.get("var"): [v.text for v in f] for f in x}
    assert values["challenge"] == ["F3A6292C"]  # hidden values are sent back untouched
    assert values["FORM_TYPE"] == ["urn:xmpp:captcha"]
    assert values["username"] == ["alice"]
    assert values["ocr"] == ["7x"]
    assert None not in values  # the fixed field is not sent


def test_missing_required_fields_are_named() -> None:
    form = parse(DATA_FORM)
    missing = {f.var for f in missing_required(form, {"username": ["a"], "password": ["b"]})}
    assert missing == {"tos", "ocr"}


def test_legacy_fields_become_a_form() -> None:
    form = parse("""<query xmlns='jabber:iq:register'><instructions>Hi</instructions>
        <username/><password/><email/></query>""")
    assert form.kind == "legacy"
    assert [(f.var, f.type) for f in form.fields] == [
        ("username", "text-single"), ("password", "text-private"), ("email", "text-single")]
    query = build_submission(form, {"username": ["a"], "password": ["b"], "email": ["e@x.y"]})
    assert [(c.tag.split("}")[1], c.text) for c in query] == [
        ("username", "a"), ("password", "b"), ("email", "e@x.y")]


@pytest.mark.parametrize(("xml", "url"), [
    ("""<query xmlns='jabber:iq:register'><instructions>Go to the web</instructions>
        <x xmlns='jabber:x:oob'><url>https://example.org/signup</url></x></query>""",
     "https://example.org/signup"),
    ("""<query xmlns='jabber:iq:register'><instructions>Sign up at
        https://example.org/register. Thanks</instructions></query>""",
     "https://example.org/register"),
])
def test_web_redirects(xml: str, url: str) -> None:
    form = parse(xml)
    assert form.kind == "web"
    assert form.web_url == url


def test_insecure_redirects_are_never_offered() -> None:
    for bad in ("http://example.org/x", "javascript:alert(1)", "file:///etc/passwd"):
        form = parse(f"""<query xmlns='jabber:iq:register'>
            <x xmlns='jabber:x:oob'><url>{bad}</url></x></query>""")
        assert form.kind == "none" and form.web_url is None
        assert safe_web_url(bad) is None


def test_server_text_is_made_inert() -> None:
    form = parse("""<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='form'>
        <title>Hi&#x9b;31m red&#x202e;</title>
        <field var='username' label='Name&#x9d;0;pwned&#x9c;'/></x></query>""")
    assert form.title == "Hi31m red"
    assert all("\x9d" not in f.label and "\x9c" not in f.label for f in form.fields)
    assert [f.label for f in form.fields] == ["Name0;pwned"]


def test_a_reply_without_query_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        parse("<iq xmlns='jabber:client' type='result'/>")


def test_too_many_fields_is_a_protocol_error() -> None:
    fields = "".join(f"<field var='f{i}'/>" for i in range(500))
    with pytest.raises(ProtocolError):
        parse(f"<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data'>{fields}</x></query>")


def test_a_required_checkbox_must_be_ticked() -> None:
    form = parse(DATA_FORM)
    base = {"username": ["a"], "password": ["b"], "ocr": ["x"]}
    assert [f.var for f in missing_required(form, {**base, "tos": ["0"]})] == ["tos"]
    assert missing_required(form, {**base, "tos": ["true"]}) == []
