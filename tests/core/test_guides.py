"""The guides: the same set in every language, each with a title and a one-sentence summary,
links that work (relative ones to existing guides, web ones over https), the reading order,
the English fallback, clear errors, and the guides inside the built wheel."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from onboard import i18n
from onboard.core.guides import (
    FALLBACK_LANGUAGE,
    ORDER,
    GuideError,
    find_guide,
    guide_links,
    guide_target,
    guides_dir,
    links,
    list_guides,
    read_guide,
    title_and_summary,
)

PROJECT = Path(__file__).resolve().parents[2]
GUIDES = PROJECT / "guides"
LANGUAGES = sorted(path.name for path in GUIDES.iterdir() if path.is_dir())
GUIDE_FILES = sorted(GUIDES.glob("*/*.md"))
MARKDOWN_FILES = [GUIDES / "README.md", *GUIDE_FILES]

# Every link target in Markdown, `[text](target)`, outside code.
LINK_TARGET = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^(`{3,}|~{3,}).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def link_targets(markdown: str) -> list[str]:
    return LINK_TARGET.findall(CODE_SPAN.sub("", FENCE.sub("", markdown)))


def ids(paths: list[Path]) -> list[str]:
    return [str(path.relative_to(GUIDES)) for path in paths]


@pytest.fixture
def app_language() -> Iterator[None]:
    """Restore the app's language after a test that switches it."""
    before = i18n.current_language()
    try:
        yield
    finally:
        i18n.set_language(before)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


# --- the guides themselves -----------------------------------------------------------------------


def test_every_language_has_the_same_guides_and_order_names_them_all() -> None:
    assert set(LANGUAGES) >= {"en", "de"}
    for language in LANGUAGES:
        slugs = {path.stem for path in (GUIDES / language).glob("*.md")}
        assert slugs == set(ORDER), f"{language}/ differs from ORDER"
    assert len(ORDER) == len(set(ORDER))


@pytest.mark.parametrize("path", GUIDE_FILES, ids=ids(GUIDE_FILES))
def test_every_guide_starts_with_a_title_and_a_one_sentence_summary(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# "), "the first line must be the `# Title`"
    title, summary = title_and_summary(text)
    assert title and not title.startswith("#")
    assert summary, "a summary paragraph must follow the title"
    assert len(SENTENCE_END.findall(summary)) == 1 and summary.endswith("."), (
        f"the summary is one sentence: {summary!r}")
    assert text.endswith("\n") and not text.endswith("\n\n")


@pytest.mark.parametrize("path", MARKDOWN_FILES, ids=ids(MARKDOWN_FILES))
def test_every_relative_link_points_to_an_existing_guide_file(path: Path) -> None:
    relative = [target for target in link_targets(path.read_text(encoding="utf-8"))
                if not SCHEME.match(target) and not target.startswith("#")]
    for target in relative:
        resolved = (path.parent / target.split("#")[0]).resolve()
        assert resolved.is_file(), f"{target} in {path.name} points nowhere"
        assert resolved.is_relative_to(GUIDES.resolve()), f"{target} leaves guides/"
        assert resolved.suffix == ".md"


def test_the_index_links_every_other_guide_in_its_language() -> None:
    for language in LANGUAGES:
        index = (GUIDES / language / "next-steps.md").read_text(encoding="utf-8")
        assert set(link_targets(index)) >= {f"{slug}.md" for slug in ORDER[1:]}


@pytest.mark.parametrize("path", MARKDOWN_FILES, ids=ids(MARKDOWN_FILES))
def test_every_external_link_is_https_or_xmpp(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for target in link_targets(text):
        if SCHEME.match(target):
            assert target.startswith(("https://", "xmpp:")), f"{target} is neither https nor xmpp"
    assert "http://" not in text
    found = links(text)
    assert all(url.startswith(("https://", "xmpp:")) for url in found)
    assert len(found) == len(set(found))


def test_guides_in_the_same_slug_link_to_the_same_web_addresses() -> None:
    for slug in ORDER:
        english = links((GUIDES / "en" / f"{slug}.md").read_text(encoding="utf-8"))
        for language in LANGUAGES:
            other = links((GUIDES / language / f"{slug}.md").read_text(encoding="utf-8"))
            assert set(other) == set(english), f"{language}/{slug}.md links differ from English"


def test_no_guide_promises_safety() -> None:
    promises = re.compile(r"you are (now )?(safe|secure|protected)|du bist (jetzt )?(sicher|"
                          r"geschützt)|100 ?%", re.IGNORECASE)
    for path in GUIDE_FILES:
        assert not promises.search(path.read_text(encoding="utf-8")), path


def test_german_guides_say_du() -> None:
    # A capital "Sie" or "Ihr…" in the middle of a sentence is the formal "you".
    formal = re.compile(r"(?<=[a-zäöüß,] )(Sie|Ihnen|Ihr|Ihre|Ihren|Ihrem|Ihrer|Ihres)\b")
    for path in (GUIDES / "de").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        assert re.search(r"\b(du|dir|dich|dein\w*)\b", text), path.name
        hits = [match.group(0) for match in formal.finditer(text)]
        assert not hits, f"{path.name} uses the formal you: {hits}"


# --- the module -------------------------------------------------------------------------------


def test_guides_dir_finds_the_guides_of_this_checkout() -> None:
    folder = guides_dir()
    for language in LANGUAGES:
        for slug in ORDER:
            assert (folder / language / f"{slug}.md").is_file()


@pytest.mark.parametrize("language", ["en", "de"])
def test_list_guides_follows_order_in_the_asked_language(language: str) -> None:
    guides = list_guides(language)
    assert [guide.slug for guide in guides] == list(ORDER)
    assert {guide.language for guide in guides} == {language}
    for guide in guides:
        assert guide.path == guides_dir() / language / f"{guide.slug}.md"
        assert (guide.title, guide.summary) == title_and_summary(
            guide.path.read_text(encoding="utf-8"))


def test_list_guides_puts_unknown_guides_last_by_name(tmp_path: Path) -> None:
    for slug in ("zebra", "verify", "apple", "next-steps"):
        write(tmp_path / "en" / f"{slug}.md", f"# {slug.title()}\n\nAbout {slug}.\n")
    write(tmp_path / "en" / "Not A Guide.md", "# Ignored\n\nIgnored.\n")
    write(tmp_path / "en" / "notes.txt", "not markdown")
    assert [guide.slug for guide in list_guides("en", root=tmp_path)] == [
        "next-steps", "verify", "apple", "zebra"]


def test_reading_falls_back_to_english(tmp_path: Path) -> None:
    write(tmp_path / "en" / "verify.md", "# Check fingerprints\n\nCompare them.\n")
    write(tmp_path / "en" / "tor.md", "# Tor\n\nUse it.\n")
    write(tmp_path / "de" / "tor.md", "# Tor\n\nNutz es.\n")

    assert read_guide("verify", "de", root=tmp_path) == "# Check fingerprints\n\nCompare them.\n"
    assert read_guide("tor", "de", root=tmp_path) == "# Tor\n\nNutz es.\n"
    assert read_guide("tor", "fr", root=tmp_path) == "# Tor\n\nUse it.\n"
    guides = list_guides("de", root=tmp_path)
    assert [(guide.slug, guide.language) for guide in guides] == [("verify", "en"), ("tor", "de")]
    assert find_guide("verify", "de", root=tmp_path).summary == "Compare them."


def test_language_codes_are_understood_and_default_to_the_app_language(
        app_language: None) -> None:
    german_title = find_guide("verify", "de").title
    assert german_title != find_guide("verify", "en").title
    assert find_guide("verify", "de_DE.UTF-8").title == german_title
    assert find_guide("verify", "de-AT").title == german_title
    assert find_guide("verify", "../en").language == FALLBACK_LANGUAGE
    i18n.set_language("de")
    assert find_guide("verify").language == "de"
    assert read_guide("verify") == read_guide("verify", "de")
    i18n.set_language("en")
    assert find_guide("verify").language == "en"


def test_a_missing_guide_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(GuideError) as caught:
        read_guide("no-such-guide", "en")
    error = caught.value
    assert error.condition == "guide-unavailable"
    assert error.reason == "missing"
    assert "no-such-guide" in error.message
    assert error.hint
    assert error.to_json()["slug"] == "no-such-guide"

    for name in ("../README", "verify.md", "", "Verify", "en/verify"):
        with pytest.raises(GuideError):
            read_guide(name, "en")
    with pytest.raises(GuideError):
        find_guide("verify", "en", root=tmp_path)


def test_an_unreadable_guide_is_a_clear_error(tmp_path: Path) -> None:
    write(tmp_path / "en" / "broken.md", b"# Broken\n\n\xff\xfe not UTF-8\n")
    with pytest.raises(GuideError) as caught:
        read_guide("broken", "en", root=tmp_path)
    assert caught.value.reason == "unreadable"
    assert "broken" in caught.value.message
    with pytest.raises(GuideError):
        list_guides("en", root=tmp_path)


def test_no_guides_folder_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import onboard.core.guides as guides

    monkeypatch.setattr(guides, "_candidates", lambda: [])
    with pytest.raises(GuideError) as caught:
        guides_dir()
    assert caught.value.slug == ""
    assert "missing" in caught.value.message
    assert "Reinstall" in caught.value.hint


def test_title_and_summary_read_plain_text() -> None:
    text = ("\ufeff\n# The **bold** [title](x.md) #\n\nOne *sentence*, with `code` and a\n"
            "[link](https://example.org).\n\nMore.\n")
    assert title_and_summary(text) == ("The bold title", "One *sentence*, with code and a link.")
    assert title_and_summary("No title\n\nText.\n") == ("", "")
    assert title_and_summary("# Title\n\n## Section\n\nText.\n") == ("Title", "")
    assert title_and_summary("# Title\n\n1. A step.\n") == ("Title", "")
    assert title_and_summary("# Title\n") == ("Title", "")


def test_links_finds_https_and_xmpp_links_once_in_order() -> None:
    text = (
        "Go to https://f-droid.org. Then [the site](https://gajim.org/download/ \"Gajim\")\n"
        "or <https://dino.im>, and (https://flathub.org/setup), and [again](https://f-droid.org).\n"
        "Add xmpp:helper@example.org?roster; write to [us](xmpp:room@example.org?join).\n"
        "Not these: http://plain.example, [a guide](verify.md), [top](#top), `https://code.example`,\n"
        "<mailto:someone@example.org>, XMPP: the protocol, ftp://old.example.\n"
        "```\nhttps://fenced.example\n```\n"
    )
    assert links(text) == [
        "https://f-droid.org",
        "https://gajim.org/download/",
        "https://dino.im",
        "https://flathub.org/setup",
        "xmpp:helper@example.org?roster",
        "xmpp:room@example.org?join",
    ]
    assert links("") == []


def test_guide_target_names_the_guide_a_relative_link_opens() -> None:
    assert guide_target("verify.md") == ("verify", "")
    assert guide_target("./tor.md#bridges") == ("tor", "bridges")
    assert guide_target("../de/server-gone.md") == ("server-gone", "")
    for href in ("https://example.org/verify.md", "xmpp:verify.md", "/etc/verify.md", "#top",
                 "README", "notes.txt", "Verify.md", "", "C:verify.md"):
        assert guide_target(href) is None, href


def test_guide_links_finds_the_other_guides_once_in_order() -> None:
    text = ("See [Tor](tor.md) and [fingerprints](verify.md#when-it-changes), then [Tor again]"
            "(./tor.md), [the site](https://example.org/a.md), [top](#top), `[code](code.md)`.\n"
            "```\n[fenced](fenced.md)\n```\n")
    assert guide_links(text) == ["tor", "verify"]
    for language in LANGUAGES:
        index = read_guide("next-steps", language)
        assert set(guide_links(index)) == set(ORDER[1:])


# --- the wheel --------------------------------------------------------------------------------


def build_wheel(source: Path, out: Path) -> Path:
    """Build the project's wheel from a copy of what goes into it, with hatchling (pip fetches it
    for the isolated build; an installed hatchling is used directly)."""
    tree = source / "tree"
    tree.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(PROJECT / name, tree / name)
    for name in ("onboard", "guides"):
        shutil.copytree(PROJECT / name, tree / name, ignore=ignore)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out)]
    if importlib.util.find_spec("hatchling") is not None:
        command.append("--no-build-isolation")
    result = subprocess.run([*command, str(tree)], capture_output=True, text=True, timeout=110,
                            check=False)
    if result.returncode != 0:
        output = result.stdout + result.stderr
        no_backend = ("No matching distribution" in output
                      or "Could not find a version" in output)
        if no_backend and os.environ.get("CI") != "true":
            pytest.skip("hatchling could not be fetched to build the wheel: " + output[-300:])
        pytest.fail("building the wheel failed:\n" + output[-3000:], pytrace=False)
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.mark.timeout(240)
def test_the_built_wheel_contains_the_guides_and_finds_them(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, tmp_path / "dist")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for language in LANGUAGES:
            for slug in ORDER:
                name = f"onboard/guides/{language}/{slug}.md"
                assert name in names, f"{name} is not in the wheel"
                assert archive.read(name) == (GUIDES / language / f"{slug}.md").read_bytes()
        assert "onboard/guides/README.md" in names
        assert "onboard/core/guides.py" in names
        installed = tmp_path / "installed"
        archive.extractall(installed)

    # Installed from the wheel, the module finds the guides inside the package.
    probe = ("from onboard.core.guides import guides_dir, list_guides\n"
             "print(guides_dir())\n"
             "print(' '.join(guide.slug for guide in list_guides('de')))\n")
    environment = {**os.environ, "PYTHONPATH": str(installed)}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            cwd=tmp_path, env=environment, timeout=60, check=True)
    folder, slugs = result.stdout.splitlines()
    assert Path(folder) == installed / "onboard" / "guides"
    assert slugs.split() == list(ORDER)
