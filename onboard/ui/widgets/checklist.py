"""The session checklist of helper mode: a ✔ line for each item the assistant knows is done, a
checkbox for each of the others (ticking one records it in the wizard's state)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Checkbox, Static

from onboard.core.checklist import ChecklistItem, session_checklist
from onboard.core.flow import WizardState


class Checklist(Vertical):
    """The items of `onboard.core.checklist`, as the state says now; `hints`: each item's
    hint under it. `sync()` shows them again after the state changed elsewhere."""

    DEFAULT_CSS = """
    Checklist {
        height: auto;
    }
    Checklist .known {
        color: $text-success;
        padding-left: 1;
    }
    Checklist Checkbox {
        width: auto;
    }
    Checklist .hint {
        color: $text-muted;
        padding-left: 3;
    }
    """

    def __init__(self, state: WizardState, *, hints: bool = False, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.state = state
        self.hints = hints

    @property
    def items(self) -> list[ChecklistItem]:
        return session_checklist(self.state)

    def compose(self) -> ComposeResult:
        # Both kinds of line for every item, one of them shown: syncing never takes the focus
        # away from a checkbox.
        for item in self.items:
            yield Static("", id=f"known-{item.key}", classes="known")
            yield Checkbox(Content(item.label), item.ticked, compact=True,
                           id=f"tick-{item.key}")
            if self.hints:
                yield Static("", id=f"hint-{item.key}", classes="hint")

    def on_mount(self) -> None:
        self.sync()

    def first_box(self) -> Checkbox | None:
        """The first item left to tick by hand (shown as a checkbox), if any."""
        for box in self.query(Checkbox):
            if box.display:
                return box
        return None

    def sync(self) -> None:
        for item in self.items:
            known = self.query_one(f"#known-{item.key}", Static)
            known.update(Content("✔ " + item.label))
            known.display = item.known
            box = self.query_one(f"#tick-{item.key}", Checkbox)
            box.display = not item.known
            box.label = Content(item.label)
            if box.value != item.ticked:
                with box.prevent(Checkbox.Changed):
                    box.value = item.ticked
            if self.hints:
                self.query_one(f"#hint-{item.key}", Static).update(Content(item.hint))

    @on(Checkbox.Changed)
    def _ticked(self, event: Checkbox.Changed) -> None:
        event.stop()
        key = (event.checkbox.id or "").removeprefix("tick-")
        if event.value:
            self.state.helper_ticked.add(key)
        else:
            self.state.helper_ticked.discard(key)
