"""The guides that ship with onboard: where they are, which there are, their text and links.

The guides are Markdown files, `<language>/<slug>.md`, in the same file names for every
language. In a source checkout they are in `guides/` at the repository root; an installed wheel
has them in `onboard/guides` (pyproject.toml force-includes them there). Each guide starts with
a `# Title` line followed by a one-sentence summary paragraph. A guide that is missing in a
language is read in English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from onboard.core.errors import OnboardError
from onboard.i18n import _, current_language

# The reading order: where to go next, the apps, checking fingerprints, the device, Tor, what to
# do when a server goes away, and last the guide for helpers.
ORDER: tuple[str, ...] = (
    "next-steps",
    "install-android",
    "install-ios",
    "install-desktop",
    "verify",
    "safe-device",
    "tor",
    "server-gone",
    "help-session",
)
FALLBACK_LANGUAGE = "en"
SUFFIX = ".md"

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,}).*?^[ \t]*\1[^\n]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)
_LINK = re.compile(
    r"\]\(\s*<?(?P<target>[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)"
    r"|<(?P<auto>[A-Za-z][A-Za-z0-9+.-]*:[^>\s]+)>"
    r"|(?P<bare>\b(?:https://|xmpp:)[^\s<>()\[\]\"'`]+)"
)
_EXTERNAL = ("https://", "xmpp:")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_TRAILING = ".,;:!?*_"
_INLINE_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|`)")
_BLOCK_START = re.compile(r"(#|[-*+>|]|\d+[.)]|`{3}|~{3})")


@dataclass(frozen=True)
class Guide:
    """One guide: `language` is the language its text is in (English when it fell back)."""

    slug: str
    language: str
    title: str
    summary: str
    path: Path


class GuideError(OnboardError):
    """A guide could not be found or read.

    `reason` is missing (no guide of that name, or no guides folder at all) or unreadable;
    `slug` is empty when the whole guides folder is missing.
    """

    condition = "guide-unavailable"

    def __init__(self, slug: str, reason: str = "missing", detail: str | None = None) -> None:
        super().__init__(detail)
        self.slug = slug
        self.reason = reason

    @property
    def message(self) -> str:
        if not self.slug:
            return _("The guides are missing from this installation.")
        if self.reason == "unreadable":
            return _("The guide “{slug}” could not be read.").format(slug=self.slug)
        return _("There is no guide called “{slug}”.").format(slug=self.slug)

    @property
    def hint(self) -> str:
        if self.slug and self.reason == "missing":
            return _("Choose one of the guides in the list.")
        return _("Reinstall xmpp-onboard to bring the guides back. They are also in the "
                 "guides folder of its source code.")

    def to_json(self) -> dict[str, object]:
        data = super().to_json()
        data["slug"] = self.slug
        data["reason"] = self.reason
        return data


def _candidates() -> list[Path]:
    """Where the guides may be: inside the installed package first, then a source checkout."""
    found: list[Path] = []
    packaged = resources.files("onboard").joinpath("guides")
    if isinstance(packaged, Path):
        found.append(packaged)
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file():
        found.append(checkout / "guides")
    return found


def guides_dir() -> Path:
    """The folder that holds `<language>/<slug>.md`, in a wheel or in a source checkout."""
    for candidate in _candidates():
        if (candidate / FALLBACK_LANGUAGE).is_dir():
            return candidate
    raise GuideError("", "missing", "no guides folder next to the onboard package")


def _language(language: str | None) -> str:
    """A language code from `de`, `de_DE.UTF-8` or `de-AT`; the app's language when None."""
    code = (language or current_language()).strip().lower().replace("-", "_")
    code = code.split(".")[0].split("_")[0]
    return code if _LANGUAGE.fullmatch(code) else FALLBACK_LANGUAGE


def _locate(slug: str, language: str | None, root: Path | None) -> tuple[str, Path]:
    """The language the guide is read in, and its file; English when `language` has none."""
    if not _SLUG.fullmatch(slug):
        raise GuideError(slug, "missing", "not a guide name")
    base = root if root is not None else guides_dir()
    for code in dict.fromkeys((_language(language), FALLBACK_LANGUAGE)):
        path = base / code / f"{slug}{SUFFIX}"
        if path.is_file():
            return code, path
    raise GuideError(slug, "missing", f"no {slug}{SUFFIX} in {base}")


def _read(path: Path, slug: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GuideError(slug, "unreadable", str(exc)) from exc


def _plain(text: str) -> str:
    """Inline Markdown as plain text: link texts without their targets, no emphasis marks."""
    text = _INLINE_LINK.sub(r"\1", text)
    text = _EMPHASIS.sub("", text)
    return " ".join(text.split())


def title_and_summary(markdown: str) -> tuple[str, str]:
    """The `# Title` on the first line and the paragraph after it, as plain text.

    Either is empty when the guide does not have it: no title line, or no plain paragraph
    (a heading, list, quote, table or code block) right after the title.
    """
    lines = markdown.lstrip("\ufeff").splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines or not lines[0].startswith("# "):
        return "", ""
    title = _plain(lines[0][2:].strip().rstrip("#"))
    rest = lines[1:]
    while rest and not rest[0].strip():
        rest.pop(0)
    paragraph: list[str] = []
    for line in rest:
        if not line.strip():
            break
        paragraph.append(line.strip())
    if not paragraph or _BLOCK_START.match(paragraph[0]):
        return title, ""
    return title, _plain(" ".join(paragraph))


def find_guide(slug: str, language: str | None = None, *, root: Path | None = None) -> Guide:
    """One guide with its title and summary; in English when `language` does not have it."""
    code, path = _locate(slug, language, root)
    title, summary = title_and_summary(_read(path, slug))
    return Guide(slug=slug, language=code, title=title or slug, summary=summary, path=path)


def list_guides(language: str | None = None, *, root: Path | None = None) -> list[Guide]:
    """Every guide, in reading order (ORDER, then any others by name), in `language` where it
    has them and in English where it does not."""
    base = root if root is not None else guides_dir()
    slugs: set[str] = set()
    for code in dict.fromkeys((_language(language), FALLBACK_LANGUAGE)):
        folder = base / code
        if folder.is_dir():
            slugs.update(path.stem for path in folder.glob(f"*{SUFFIX}")
                         if path.is_file() and _SLUG.fullmatch(path.stem))
    ordered = [slug for slug in ORDER if slug in slugs] + sorted(slugs.difference(ORDER))
    return [find_guide(slug, language, root=base) for slug in ordered]


def read_guide(slug: str, language: str | None = None, *, root: Path | None = None) -> str:
    """The Markdown text of a guide; in English when `language` does not have it."""
    _code, path = _locate(slug, language, root)
    return _read(path, slug)


def guide_target(href: str) -> tuple[str, str] | None:
    """The guide a relative link points to, as (slug, anchor): `verify.md#when-it-changes`
    gives ("verify", "when-it-changes"). None for a web address, an absolute path, or anything
    that is not a `<slug>.md` file (the anchor is "" when there is none)."""
    target, _hash, anchor = href.strip().partition("#")
    if not target or _SCHEME.match(target) or target.startswith(("/", "\\")):
        return None
    name = target.replace("\\", "/").rsplit("/", 1)[-1]
    if not name.endswith(SUFFIX):
        return None
    slug = name[: -len(SUFFIX)]
    return (slug, anchor) if _SLUG.fullmatch(slug) else None


def guide_links(markdown: str) -> list[str]:
    """The other guides a guide links to (relative `<slug>.md` links), each slug once, in the
    order they first appear; code blocks and code spans do not count."""
    text = _CODE_SPAN.sub(" ", _FENCE.sub("", markdown))
    found: dict[str, None] = {}
    for match in _LINK.finditer(text):
        target = guide_target(match.group("target") or "")
        if target is not None:
            found.setdefault(target[0], None)
    return list(found)


def links(markdown: str) -> list[str]:
    """The https:// and xmpp: links in a guide, each once, in the order they first appear.

    Link targets, autolinks (`<https://…>`) and bare addresses in the text count; code blocks
    and code spans do not, and neither does punctuation right after a bare address.
    """
    text = _CODE_SPAN.sub(" ", _FENCE.sub("", markdown))
    found: dict[str, None] = {}
    for match in _LINK.finditer(text):
        url = match.group("target") or match.group("auto") or match.group("bare") or ""
        if match.group("bare"):
            url = url.rstrip(_TRAILING)
        if url.startswith(_EXTERNAL) and url not in _EXTERNAL:
            found.setdefault(url, None)
    return list(found)
