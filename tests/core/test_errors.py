from __future__ import annotations

from onboard.core.errors import BadRequestError, NotAcceptableError


def test_server_text_is_added_only_when_it_says_something_new() -> None:
    repeated = NotAcceptableError("CAPTCHA answer was wrong", "captcha")
    assert repeated.message == "The server says the CAPTCHA answer was wrong."
    informative = NotAcceptableError("Email: Required value missing")
    assert informative.message.endswith("The server said: “Email: Required value missing”")
    assert BadRequestError().message == "The server could not understand the registration request."


def test_json_form_carries_condition_message_hint_and_server_text() -> None:
    data = NotAcceptableError("Password too weak", "weak-password").to_json()
    assert data["condition"] == "not-acceptable"
    assert data["kind"] == "weak-password"
    assert data["server_text"] == "Password too weak"
    assert data["message"] and data["hint"]
