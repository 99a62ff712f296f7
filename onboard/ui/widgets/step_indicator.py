"""The one-line header of every step: progress dots, "Step 4 of 7: Server", and the route.

The route ("Tor: off", "Tor: not connected", "Tor: on", "Tor: lost") is on every screen: in
the step's header, and as a `RouteIndicator` on the screens without one (the guide, the
too-small message). Both follow the app's `tor_status` while they are shown.
"""

from __future__ import annotations

from typing import Literal

from textual.content import Content
from textual.widget import Widget

from onboard.core.errors import InvalidInputError
from onboard.core.flow import WizardState
from onboard.core.tor.route import parse_tor_mode
from onboard.i18n import _
from onboard.ui.text import tr

TOTAL_STEPS = 7
# Spaces at least between the step's title and the route.
MIN_GAP = 3

# off: nothing asked of Tor; not_connected: Tor asked for, no route yet (nothing is sent);
# on: everything goes through a Tor that answers; lost: that Tor stopped answering.
RouteStatus = Literal["off", "not_connected", "on", "lost"]
ROUTE_STATUSES: tuple[RouteStatus, ...] = ("off", "not_connected", "on", "lost")


def route_status(state: WizardState, lost: bool = False) -> RouteStatus:
    """The route as the indicator shows it, for `state` (and whether its Tor is `lost`):
    "not connected" while Tor is asked for (or the network is not the direct one) and no Tor
    route is in use."""
    if state.tor_on:
        return "lost" if lost else "on"
    try:
        wanted = parse_tor_mode(state.tor_mode).on
    except InvalidInputError:
        wanted = True  # not "off": asked for all the same, never a direct route
    return "not_connected" if wanted or state.network.name != "direct" else "off"


def route_label(status: RouteStatus) -> str:
    """The indicator's words: each status its own, so it reads the same without colour."""
    labels = {
        "off": _("Tor: off"),
        "not_connected": _("Tor: not connected"),
        "on": _("Tor: on"),
        "lost": _("Tor: lost"),
    }
    return labels[status]


def route_content(status: RouteStatus) -> Content:
    """The indicator drawn: on and lost stand out (lost also in the warning colour, from
    the widget's CSS)."""
    if status in ("on", "lost"):
        return Content.from_markup("[reverse] $route [/reverse]", route=route_label(status))
    return Content(route_label(status))


def lost_text() -> str:
    return _("Tor stopped answering: nothing can be sent until it is back.")


class _FollowsRoute(Widget):
    """Shows `status`, following the app's `tor_status` (an app without one keeps the status
    it was given)."""

    def __init__(self, status: RouteStatus, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.status: RouteStatus = status

    def on_mount(self) -> None:
        if hasattr(self.app, "tor_status"):
            self.watch(self.app, "tor_status", self.show_status)
        else:
            self.show_status(self.status)

    def show_status(self, status: RouteStatus) -> None:
        self.status = status
        self.set_class(status == "lost", "-lost")
        self.refresh(layout=True)

    @property
    def route_text(self) -> str:
        """Always visible: whether everything goes through Tor, and whether it works."""
        return route_label(self.status)


class RouteIndicator(_FollowsRoute):
    """The route alone, for screens without a step header."""

    DEFAULT_CSS = """
    RouteIndicator {
        width: auto;
        height: 1;
        padding: 0 1;
    }
    RouteIndicator.-lost {
        color: $warning;
        text-style: bold;
    }
    """

    def __init__(self, status: RouteStatus = "off", *, id: str | None = None) -> None:
        super().__init__(status, id=id)

    def render(self) -> Content:
        return route_content(self.status)


class StepIndicator(_FollowsRoute):
    """Shows where the user is. `title` is an untranslated message id, translated when drawn.
    `status` (or `tor`, for on or off) is the route until the app says otherwise."""

    DEFAULT_CSS = """
    StepIndicator {
        dock: top;
        height: 1;
        width: 1fr;
        padding: 0 1;
        background: $primary;
        color: $text;
    }
    StepIndicator.-lost {
        height: 2;
        background: $warning;
        color: $text;
    }
    """

    def __init__(self, step: int, title: str, *, total: int = TOTAL_STEPS,
                 tor: bool = False, status: RouteStatus | None = None,
                 id: str | None = None) -> None:
        super().__init__(status if status is not None else ("on" if tor else "off"), id=id)
        self.step = step
        self.total = total
        self.title_id = title

    @property
    def tor(self) -> bool:
        return self.status in ("on", "lost")

    def on_resize(self) -> None:
        self.refresh()  # the route text keeps to the right edge

    @property
    def text(self) -> str:
        title = tr(self.title_id)
        if not self.step:
            return title
        return _("Step {step} of {total}: {title}").format(
            step=self.step, total=self.total, title=title
        )

    def render(self) -> Content:
        route = route_content(self.status)
        width = self.content_size.width
        title = Content.from_markup("[b]$text[/b]", text=self.text)
        left = title
        if self.step:
            dots = "".join("●" if n <= self.step else "○" for n in range(1, self.total + 1))
            left = Content.assemble(dots, "  ", title)
            if left.cell_length + MIN_GAP + route.cell_length > width:
                left = title  # a narrow window: the words matter more than the dots
        room = width - MIN_GAP - route.cell_length
        if left.cell_length > room > 1:
            left = left.truncate(room - 1) + "…"
        # The route sits at the right edge, never run into the title.
        gap = max(width - left.cell_length - route.cell_length, MIN_GAP)
        line = Content.assemble(left, " " * gap, route)
        if self.status == "lost":
            # The step says why nothing happens until Tor is back.
            line = Content.assemble(line, "\n", (lost_text(), "bold"))
        return line
