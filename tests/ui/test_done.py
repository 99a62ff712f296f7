"""Done: the address, where it is saved, what next; q quits and returns the state."""

from __future__ import annotations

from onboard.core.flow import WizardState
from onboard.ui.screens.done import DoneScreen
from tests.ui.fakes import FIXED_CREDENTIALS
from tests.ui.helpers import SIZE, screen_text, test_app, text_of, wait_for_screen


def done_state(verified: bool = True) -> WizardState:
    return WizardState(domain="example.org", username="alice", password="secret-secret",
                       jid="alice@example.org", credentials_file=FIXED_CREDENTIALS,
                       login_verified=verified)


async def test_summary_and_quit() -> None:
    app = test_app(done_state(), start="done")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, DoneScreen)
        assert text_of(app, "#address") == "alice@example.org"
        text = screen_text(app)
        assert str(FIXED_CREDENTIALS) in text
        assert "Logging in with the new account worked." in text
        for app_name in ("Conversations", "Monal", "Gajim", "Dino"):
            assert app_name in text
        assert "secret-secret" not in text
        assert "Step 7 of 7: Done" in str(screen.query_one("#step").render())
        await pilot.press("q")
        await pilot.pause()
    assert app.return_value is app.state


async def test_unverified_login_is_said_plainly() -> None:
    app = test_app(done_state(verified=False), start="done")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, DoneScreen)
        assert "did not work yet" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
    assert app.return_value is app.state
