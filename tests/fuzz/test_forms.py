"""Properties of the registration-form parser (onboard.core.xmpp.forms) on arbitrary XML trees.

The trees are built in memory, so they can hold what no XML parser would pass on (NUL, lone
surrogates): the parser must cope with those too, since it is also fed by other code.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from hypothesis import example, given
from hypothesis import strategies as st

from onboard.core.errors import ProtocolError
from onboard.core.xmpp.forms import (
    CAPTCHA_VARS,
    FIELD_TYPES,
    LEGACY_FIELDS,
    MAX_FIELDS,
    MAX_OPTIONS,
    NS_BOB,
    NS_DATA,
    NS_MEDIA,
    NS_OOB,
    NS_REGISTER,
    RegistrationForm,
    build_submission,
    missing_required,
    parse_registration,
    safe_web_url,
)
from tests.fuzz.strategies import fuzz_settings, hidden_chars, is_one_line, nasty_text

_NAMESPACES = [NS_REGISTER, NS_DATA, NS_OOB, NS_MEDIA, NS_BOB, "urn:xmpp:captcha",
               "jabber:client", ""]
_NAMES = ["query", "x", "field", "value", "option", "required", "desc", "title", "instructions",
          "url", "media", "uri", "data", "registered", *LEGACY_FIELDS]
_ATTRIBUTE_NAMES = ["var", "type", "label", "cid", "xmlns"]
_ATTRIBUTE_VALUES = [*FIELD_TYPES, *CAPTCHA_VARS, "FORM_TYPE", "username", "password", "url",
                     "image/png", "cid:sha1+0@bob.xmpp.org", "https://example.org/captcha",
                     "submit", "form", "", "1"]
_TEXTS = ["https://example.org/register", "http://insecure.example", "javascript:alert(1)",
          "https://\u202eevil.example", "https://a.example/\x9b31m", "iVBORw0KGgo=", "1",
          "true", "\x1b[2J", "urn:xmpp:captcha", "jabber:iq:register"]


@dataclass(frozen=True)
class Node:
    """An element to build: hypothesis shrinks these, ElementTree elements are mutable."""

    tag: str
    attributes: tuple[tuple[str, str], ...]
    text: str | None
    children: tuple[Node, ...]

    def build(self) -> ET.Element:
        element = ET.Element(self.tag, dict(self.attributes))
        element.text = self.text
        element.extend(child.build() for child in self.children)
        return element


def _qualified(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}" if namespace else name


tags = st.builds(_qualified, st.sampled_from(_NAMESPACES) | nasty_text(8),
                 st.sampled_from(_NAMES) | nasty_text(8))
attribute_values = st.sampled_from(_ATTRIBUTE_VALUES) | nasty_text(20)
attributes = st.lists(st.tuples(st.sampled_from(_ATTRIBUTE_NAMES) | nasty_text(6),
                                attribute_values), max_size=4).map(tuple)
texts = st.none() | st.sampled_from(_TEXTS) | nasty_text(40)


def _node(children: st.SearchStrategy[tuple[Node, ...]]) -> st.SearchStrategy[Node]:
    return st.builds(Node, tags, attributes, texts, children)


any_tree = st.recursive(
    _node(st.just(())),
    lambda inner: _node(st.lists(inner, max_size=5).map(tuple)),
    max_leaves=10,
)


Children = st.SearchStrategy[tuple[Node, ...]]
Attributes = st.SearchStrategy[tuple[tuple[str, str], ...]]
_NO_CHILDREN: Children = st.just(())


def _in(namespace: str, name: str, children: Children = _NO_CHILDREN,
        attrs: Attributes = attributes) -> st.SearchStrategy[Node]:
    """An element `name` in `namespace`, with `children` and anything as its text."""
    return st.builds(Node, st.just(f"{{{namespace}}}{name}"), attrs, texts, children)


def _some(*choices: st.SearchStrategy[Node], size: int = 4) -> Children:
    return st.lists(st.one_of(*choices), max_size=size).map(tuple)


# Form-shaped trees: the right elements in the right places, with wrong or hostile contents.
field_attributes = st.lists(
    st.tuples(st.sampled_from(["var", "type", "label"]), attribute_values), max_size=3,
).map(tuple)
media = _in(NS_MEDIA, "media", _some(_in(NS_MEDIA, "uri"), any_tree))
form_field = _in(NS_DATA, "field", _some(
    _in(NS_DATA, "value"), _in(NS_DATA, "required"), _in(NS_DATA, "desc"),
    _in(NS_DATA, "option", _some(_in(NS_DATA, "value"))), media, any_tree, size=6),
    field_attributes)
data_form = _in(NS_DATA, "x", st.lists(
    st.one_of(form_field, form_field, _in(NS_DATA, "title"), _in(NS_DATA, "instructions"),
              any_tree), max_size=8).map(tuple))
legacy = st.builds(Node, st.sampled_from([f"{{{NS_REGISTER}}}{n}" for n in LEGACY_FIELDS]),
                   attributes, texts, st.just(()))
bob = _in(NS_BOB, "data", attrs=st.lists(
    st.tuples(st.sampled_from(["cid", "type"]), attribute_values), max_size=2).map(tuple))
oob = _in(NS_OOB, "x", _some(_in(NS_OOB, "url")))
query = _in(NS_REGISTER, "query", _some(
    data_form, legacy, legacy, oob, bob, _in(NS_REGISTER, "instructions"),
    _in(NS_REGISTER, "registered"), any_tree, size=8))
reply = st.one_of(
    query,
    st.builds(Node, st.just("{jabber:client}iq"), attributes, texts, _some(query, bob, any_tree)),
    any_tree,
)


def _check_inert(form: RegistrationForm) -> None:
    """Everything the server wrote that is shown is safe for the terminal."""
    for text in (form.title, form.instructions):
        assert not hidden_chars(text, "\n\t"), text
    for url in (form.web_url, *form.captcha_urls()):
        if url is not None:
            assert safe_web_url(url) == url and not hidden_chars(url), url
            assert url.startswith("https://")
    for f in form.fields:
        assert is_one_line(f.var) and is_one_line(f.label) and is_one_line(f.display_label)
        assert not hidden_chars(f.desc, "\n\t")
        assert f.type in FIELD_TYPES
        for option in f.options:
            assert is_one_line(option.label) and not hidden_chars(option.value, "\n\t")
        for media_uri in f.media:
            assert is_one_line(media_uri.mime)
        if f.type != "hidden":  # shown (a fixed field's values are its text) or prefilled
            for value in f.values:
                assert not hidden_chars(value, "\n\t"), value
    for data in form.bob.values():
        assert is_one_line(data.mime)


def _parse(tree: Node) -> RegistrationForm | None:
    try:
        return parse_registration("example.org", tree.build())
    except ProtocolError as error:
        assert error.message and error.condition == "protocol-error"
        return None


@fuzz_settings(60)
@given(reply)
@example(Node(f"{{{NS_REGISTER}}}query", (), None, (
    Node(f"{{{NS_DATA}}}x", (), None, (
        Node(f"{{{NS_DATA}}}field", (("type", "fixed"),), None, (
            Node(f"{{{NS_DATA}}}value", (), "\x9b2J\u202eclick", ()),)),)),)))
@example(Node(f"{{{NS_REGISTER}}}query", (), None, (
    Node(f"{{{NS_OOB}}}x", (), None, (
        Node(f"{{{NS_OOB}}}url", (), "https://\u202eevil.example", ()),)),)))
def test_any_reply_gives_an_inert_form_or_a_protocol_error(tree: Node) -> None:
    form = _parse(tree)
    if form is None:
        return
    assert form.kind in ("data-form", "legacy", "web", "none")
    assert form.domain == "example.org"
    assert len(form.fields) <= MAX_FIELDS
    assert all(len(f.options) <= MAX_OPTIONS for f in form.fields)
    named = [f.var for f in form.fields if f.var]
    assert len(named) == len(set(named))
    _check_inert(form)
    image = form.captcha_image()
    assert image is None or image in form.bob.values()
    if form.kind == "web":
        assert form.web_url is not None


answers = st.dictionaries(st.sampled_from(["username", "password", "ocr", "email", "FORM_TYPE"])
                          | nasty_text(6),
                          st.lists(nasty_text(12), max_size=3), max_size=5)


@fuzz_settings(30)
@given(query, answers)
def test_a_submission_keeps_every_field_and_hidden_values(
        tree: Node, given_answers: dict[str, list[str]]) -> None:
    form = _parse(tree)
    if form is None:
        return
    submission = build_submission(form, given_answers)
    assert submission.tag == f"{{{NS_REGISTER}}}query"
    ET.tostring(submission)  # it can be serialized
    if form.kind == "legacy":
        assert [child.tag for child in submission] == [
            f"{{{NS_REGISTER}}}{f.var}" for f in form.fields]
        return
    sent = {element.get("var") or "": element
            for element in submission.iter(f"{{{NS_DATA}}}field")}
    expected = [f for f in form.fields if f.var and f.type != "fixed"]
    assert sorted(sent) == sorted(f.var for f in expected)
    for f in expected:
        values = [v.text for v in sent[f.var].findall(f"{{{NS_DATA}}}value")]
        if f.type == "hidden":
            assert values == f.values  # e.g. the CAPTCHA challenge, as the server sent it
        else:
            assert values == given_answers.get(f.var, f.values)


_printable = st.text(st.characters(exclude_categories=["Cc", "Cf", "Cs", "Co", "Cn", "Zl",
                                                       "Zp"]), max_size=12)


@fuzz_settings(30)
@given(data_form, st.dictionaries(nasty_text(6), st.lists(_printable.map(str.strip), max_size=3),
                                  max_size=4))
def test_a_submitted_form_parses_back_to_the_same_fields(form_tree: Node,
                                                         typed: dict[str, list[str]]) -> None:
    form = _parse(Node(f"{{{NS_REGISTER}}}query", (), None, (form_tree,)))
    if form is None:
        return
    answers_for_fields = {f.var: typed.get(f.var, []) for f in form.fields if f.var}
    submitted = build_submission(form, answers_for_fields)
    again = parse_registration("example.org", submitted)
    expected = {f.var: (f.type, f.values if f.type == "hidden" else answers_for_fields[f.var])
                for f in form.fields if f.var and f.type != "fixed"}
    assert {f.var: (f.type, f.values) for f in again.fields} == expected


@fuzz_settings(30)
@given(query, answers)
def test_missing_required_lists_exactly_the_unanswered_required_fields(
        tree: Node, given_answers: dict[str, list[str]]) -> None:
    form = _parse(tree)
    if form is None:
        return
    missing = missing_required(form, given_answers)
    for f in missing:
        assert f in form.fields and f.required and f.visible and f.type != "fixed"
    everything = {f.var: ["1" if f.type == "boolean" else "x"] for f in form.fields}
    assert missing_required(form, everything) == []


@fuzz_settings(50)
@given(st.integers(MAX_FIELDS + 1, MAX_FIELDS + 30))
def test_a_form_with_too_many_fields_is_a_protocol_error(count: int) -> None:
    x = ET.Element(f"{{{NS_DATA}}}x")
    for number in range(count):
        ET.SubElement(x, f"{{{NS_DATA}}}field", {"var": f"f{number}"})
    query_element = ET.Element(f"{{{NS_REGISTER}}}query")
    query_element.append(x)
    try:
        parse_registration("example.org", query_element)
    except ProtocolError:
        return
    raise AssertionError("a form with too many fields was accepted")


def test_deeply_nested_instructions_are_read_without_recursion() -> None:
    query_element = ET.Element(f"{{{NS_REGISTER}}}query")
    inner = ET.SubElement(query_element, f"{{{NS_REGISTER}}}instructions")
    for _depth in range(50_000):
        inner = ET.SubElement(inner, "b")
    inner.text = "see https://example.org/signup"
    form = parse_registration("example.org", query_element)
    assert form.kind == "web" and form.web_url == "https://example.org/signup"


@fuzz_settings(150)
@given(st.none() | nasty_text(40) | st.builds(lambda rest: "https://" + rest, nasty_text(30)))
@example("https://example.org/\x9b[2J")  # a C1 control: CSI on some terminals
@example("https://\u202eexample.org")  # a bidi override that reorders what is shown
def test_safe_web_url_passes_only_visible_https_links(url: str | None) -> None:
    safe = safe_web_url(url)
    if safe is None:
        return
    assert safe.lower().startswith("https://") and not hidden_chars(safe)
    assert is_one_line(safe) and safe == url.strip() if url else False
