"""A radio set where Enter on the option already chosen goes on, as in a wizard."""

from __future__ import annotations

from textual.message import Message
from textual.widgets import RadioButton, RadioSet


class ChoiceSet(RadioSet):
    """Space or Enter choose the highlighted option; Enter on the chosen one posts
    `ChoiceSet.Confirmed`, so the keyboard-only path is arrows, then Enter, Enter."""

    class Confirmed(Message):
        def __init__(self, choice_set: ChoiceSet) -> None:
            super().__init__()
            self.choice_set = choice_set

        @property
        def control(self) -> ChoiceSet:
            return self.choice_set

    def action_toggle_button(self) -> None:
        index = self._selected
        if index is not None and self._nodes[index] is self.pressed_button:
            self.post_message(self.Confirmed(self))
            return
        super().action_toggle_button()

    def highlight_pressed(self) -> None:
        """Put the highlight on the chosen option (RadioSet starts on the first)."""
        pressed = self.pressed_button
        if isinstance(pressed, RadioButton):
            self._selected = self._nodes.index(pressed)
