"""`xmpp-onboard threat` as a script uses it: a real process, its JSON and its text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from onboard.cli import threat as cli_threat
from onboard.core import threat

COMMAND = str(Path(sys.executable).parent / "xmpp-onboard")


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XMPP_ONBOARD_HOME": str(home), "LANG": "C.UTF-8", "COLUMNS": "80"}
    env.pop("LANGUAGE", None)
    env.pop("LC_ALL", None)
    return subprocess.run([COMMAND, "threat", *args], capture_output=True, text=True, env=env,
                          timeout=60, start_new_session=True)


def run_json(*args: str, home: Path) -> dict[str, Any]:
    result = run("--json", *args, home=home)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1  # one JSON object, one line
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_the_cli_and_the_core_agree_on_the_choices() -> None:
    assert cli_threat.CONCERNS == threat.CONCERNS
    assert tuple(threat.TOR_BLOCKED) == cli_threat.TOR_BLOCKED


def test_json_without_answers_keeps_the_defaults_and_lists_the_limits(
        onboard_home: Path) -> None:
    data = run_json(home=onboard_home)
    assert set(data) == {"recommendation", "protects", "does_not_protect", "advice"}
    assert data["recommendation"] == {
        "tor_mode": "off", "bridges": False, "prefer_onion": False, "avoid_countries": [],
        "reasons": data["recommendation"]["reasons"]}
    assert data["recommendation"]["reasons"]
    for key in ("protects", "does_not_protect", "advice"):
        assert data[key] and all(isinstance(line, str) and line for line in data[key])
    limits = " ".join(data["does_not_protect"])
    assert "Who you talk to" in limits and "Without Tor" in limits
    assert not list(onboard_home.iterdir())  # nothing is saved


def test_json_for_a_state_with_tor_blocked(onboard_home: Path) -> None:
    data = run_json("--concern", "state", "--concern", "network", "--tor-blocked", "yes",
                    "--country", "Germany", home=onboard_home)
    rec = data["recommendation"]
    assert rec["tor_mode"] == "launch" and rec["bridges"] is True
    assert rec["prefer_onion"] is True and rec["avoid_countries"] == ["DE"]
    assert any("Germany" in reason for reason in rec["reasons"])
    assert any("A state can" in line for line in data["does_not_protect"])
    assert any("(guide: tor)" in line for line in data["advice"])
    # The same as the core says.
    answers = threat.ThreatAnswers(frozenset({"state", "network"}), False, True, "DE")
    assert rec == threat.recommend(answers).to_json()
    assert data["protects"] == threat.summary(answers).protects


def test_text_output_names_the_options_for_the_other_commands(onboard_home: Path) -> None:
    result = run("--concern", "state", "--tor-blocked", "yes", "--country", "de",
                 home=onboard_home)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for heading in ("Suggested for the next steps", "What it protects:",
                    "What it does not protect:", "What you can do:"):
        assert heading in out
    assert "xmpp-onboard servers --in-band --onion-first --avoid-country DE" in out
    assert "--tor launch --bridges FILE" in out
    assert "safe" not in out.lower().replace("safe-device", "")
    assert result.stderr == ""


def test_an_unknown_country_is_an_input_error(onboard_home: Path) -> None:
    result = run("--json", "--concern", "state", "--country", "Narnia", home=onboard_home)
    assert result.returncode == 2
    error = json.loads(result.stdout)["error"]
    assert error["condition"] == "invalid-input" and "Narnia" in error["message"]
    text = run("--country", "QQ", home=onboard_home)
    assert text.returncode == 2 and "QQ" in text.stderr and text.stdout == ""


def test_an_unknown_concern_is_a_usage_error(onboard_home: Path) -> None:
    result = run("--concern", "aliens", home=onboard_home)
    assert result.returncode == 2
    assert "aliens" in result.stderr
