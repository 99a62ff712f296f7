"""The guides inside the assistant: one guide at a time, over the step the user is on.

F1 (or `?`) on a step opens the guide that fits it, in the wizard's language (in English where
a guide is not translated). Beside the text are the list of all guides and this guide's links.
A link to another guide opens it here; a link to the web is never opened by the app: it is
shown as a QR code, to open on a phone (`l` shows them one by one). Esc closes the guide and
the step is as it was, with whatever was typed in it.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from onboard.core.guides import (
    Guide,
    GuideError,
    find_guide,
    guide_links,
    guide_target,
    links,
    list_guides,
    read_guide,
)
from onboard.i18n import _
from onboard.ui.screens.guide_links import GuideLinksScreen
from onboard.ui.text import N_, translate_bindings
from onboard.ui.widgets.step_indicator import RouteIndicator, RouteStatus

# Option ids in the list of this guide's links: another guide, or a web link (its number).
GUIDE_OPTION = "guide:"
WEB_OPTION = "web:"


def without_title(markdown: str) -> str:
    """The guide without its `# Title` line: the title is shown above the text."""
    lines = markdown.lstrip("\ufeff").splitlines(keepends=True)
    while lines and not lines[0].strip():
        lines.pop(0)
    if lines and lines[0].startswith("# "):
        lines.pop(0)
    return "".join(lines)


def web_label(url: str) -> str:
    """A web link as it fits in the side column: without https://, www. and a trailing
    slash."""
    return url.removeprefix("https://").removeprefix("www.").rstrip("/")


class GuideScreen(Screen[None], inherit_bindings=False):
    """Shows the guide `slug` in `language`; dismisses with None (Esc)."""

    CSS_PATH = "guide.tcss"
    AUTO_FOCUS = "#guide-scroll"
    # Not inherited: Esc first in the footer. Tab and Shift+Tab as on every screen.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", N_("Close"), id="guide-close"),
        Binding("f1", "close", N_("Close"), id="guide-close-f1", show=False),
        Binding("tab", "app.focus_next", N_("Other guides"), id="guide-tab"),
        Binding("shift+tab", "app.focus_previous", show=False),
        Binding("l", "web_links", N_("Links as QR codes"), id="guide-qr"),
        Binding("b", "previous", N_("Previous guide"), id="guide-previous"),
    ]

    def __init__(self, slug: str, language: str, *, status: RouteStatus = "off") -> None:
        super().__init__()
        translate_bindings(self)
        self.language = language
        self.route_status: RouteStatus = status  # until the app says otherwise
        self.first = slug
        self.guide: Guide | None = None
        self.guides: list[Guide] = []
        self.web_links: list[str] = []
        self.linked: list[str] = []  # slugs of the other guides this one links to
        # The guides shown before this one (b goes back), most recent last.
        self.history: list[str] = []
        self.problem: GuideError | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="guide-top"):
            yield Static("", id="guide-title")
            yield RouteIndicator(self.route_status, id="route")
        with Horizontal(id="guide-main"):
            with Vertical(id="guide-side"):
                yield Static(_("Guides"), id="guide-list-label", classes="guide-heading")
                yield OptionList(id="guide-list")
                yield Static(_("Links in this guide"), id="guide-links-label",
                             classes="guide-heading")
                yield OptionList(id="guide-links")
            with VerticalScroll(id="guide-scroll"):
                yield Markdown(id="guide-text", open_links=False)
        yield Footer(show_command_palette=False)

    async def on_mount(self) -> None:
        try:
            self.guides = list_guides(self.language)
        except GuideError as error:
            await self._show_problem(error)
            return
        await self.show_guide(self.first, remember=False)

    # --- showing a guide -----------------------------------------------------------------------

    async def show_guide(self, slug: str, anchor: str = "", *, remember: bool = True) -> None:
        """Show the guide `slug` (at the heading `anchor`, if there is one that matches)."""
        try:
            guide = find_guide(slug, self.language)
            markdown = read_guide(slug, self.language)
        except GuideError as error:
            if self.guide is None:
                await self._show_problem(error)
            else:  # a link to a guide that is not there: the current one stays
                self.notify(f"{error.message} {error.hint}", severity="warning")
            return
        if remember and self.guide is not None and self.guide.slug != slug:
            self.history.append(self.guide.slug)
        self.guide = guide
        self.problem = None
        self.web_links = links(markdown)
        self.linked = [other for other in guide_links(markdown) if other != slug]
        self._show_title()
        self._fill_lists()
        await self.query_one("#guide-text", Markdown).update(without_title(markdown))
        scroll = self.query_one("#guide-scroll", VerticalScroll)
        scroll.scroll_home(animate=False, immediate=True)
        if anchor:
            self.query_one("#guide-text", Markdown).goto_anchor(anchor)
        self.refresh_bindings()

    async def _show_problem(self, error: GuideError) -> None:
        self.problem = error
        self.query_one("#guide-title", Static).update(_("Guide"))
        self.query_one("#guide-side").display = False
        await self.query_one("#guide-text", Markdown).update(f"{error.message}\n\n{error.hint}")
        self.refresh_bindings()

    def _show_title(self) -> None:
        assert self.guide is not None
        title = Content.assemble(_("Guide: "), (self.guide.title, "bold"))
        if self.guide.language != self.language:
            title += Content.assemble("  ", (_("(not translated yet: in English)"), "italic"))
        self.query_one("#guide-title", Static).update(title)

    def _title_of(self, slug: str) -> str:
        for guide in self.guides:
            if guide.slug == slug:
                return guide.title
        return slug

    def _fill_lists(self) -> None:
        assert self.guide is not None
        current = self.guide.slug
        guides = self.query_one("#guide-list", OptionList)
        guides.clear_options()
        guides.add_options(
            Option(Content.styled(g.title, "bold" if g.slug == current else ""), id=g.slug)
            for g in self.guides)
        slugs = [g.slug for g in self.guides]
        if current in slugs:
            guides.highlighted = slugs.index(current)
        linked = self.query_one("#guide-links", OptionList)
        linked.clear_options()
        linked.add_options(Option(Content(f"→ {self._title_of(slug)}"), id=GUIDE_OPTION + slug)
                           for slug in self.linked)
        linked.add_options(Option(Content(f"▦ {web_label(url)}"), id=f"{WEB_OPTION}{index}")
                           for index, url in enumerate(self.web_links))
        shown = bool(self.linked or self.web_links)
        linked.display = self.query_one("#guide-links-label").display = shown
        if linked.option_count:
            linked.highlighted = 0

    # --- choosing --------------------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#guide-list")
    async def _guide_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id and (self.guide is None or event.option.id != self.guide.slug):
            await self.show_guide(event.option.id)
        self.query_one("#guide-scroll").focus()

    @on(OptionList.OptionSelected, "#guide-links")
    async def _link_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option_id = event.option.id or ""
        if option_id.startswith(GUIDE_OPTION):
            await self.show_guide(option_id.removeprefix(GUIDE_OPTION))
            self.query_one("#guide-scroll").focus()
        elif option_id.startswith(WEB_OPTION):
            self.show_web_links(int(option_id.removeprefix(WEB_OPTION)))

    @on(Markdown.LinkClicked)
    async def _link_clicked(self, event: Markdown.LinkClicked) -> None:
        """A link clicked in the text: another guide opens here; a web link is shown as a QR
        code, never opened."""
        event.stop()
        target = guide_target(event.href)
        if target is not None:
            await self.show_guide(*target)
        elif event.href in self.web_links:
            self.show_web_links(self.web_links.index(event.href))
        elif event.href.startswith("#"):
            self.query_one("#guide-text", Markdown).goto_anchor(event.href[1:])
        else:
            self.notify(_("The assistant does not open links: {link}").format(link=event.href))

    def show_web_links(self, start: int = 0) -> None:
        if self.web_links and self.guide is not None:
            self.app.push_screen(GuideLinksScreen(self.web_links, self.guide.title, start=start))

    # --- keys ----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "web_links":
            return True if self.web_links and self.problem is None else None
        if action == "previous":
            return bool(self.history)
        return True

    def action_web_links(self) -> None:
        self.show_web_links()

    async def action_previous(self) -> None:
        if self.history:
            await self.show_guide(self.history.pop(), remember=False)

    def action_close(self) -> None:
        self.dismiss(None)
