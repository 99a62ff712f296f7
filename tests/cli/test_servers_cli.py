"""`xmpp-onboard servers` as a script uses it: a real process, a real HTTPS list server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from onboard.cli.servers import DEFAULT_URL, SORT_KEYS
from onboard.core import providers
from tests.providers_server import CHANGED_ORGANIZATION, ListServer, serve

COMMAND = str(Path(sys.executable).parent / "xmpp-onboard")
PROVIDER_KEYS = {
    "domain", "category", "in_band_registration", "captcha", "email_required", "countries",
    "since", "organization", "free_of_charge", "professional_hosting", "compliance", "website",
    "registration_web_page", "legal_notice", "password_reset", "latest_change", "onion",
}


@pytest.fixture(scope="module")
def lists(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ListServer]:
    with serve(tmp_path_factory.mktemp("list-ca")) as server:
        yield server


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XMPP_ONBOARD_HOME": str(home), "LANG": "C.UTF-8"}
    env.pop("LANGUAGE", None)
    return subprocess.run([COMMAND, "servers", *args], capture_output=True, text=True, env=env,
                          timeout=60, start_new_session=True)


def run_json(*args: str, home: Path) -> dict[str, Any]:
    result = run("--json", *args, home=home)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1  # one JSON object, one line
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_the_cli_and_the_core_agree_on_the_sort_keys_and_the_address() -> None:
    assert SORT_KEYS == providers.SORT_KEYS
    assert DEFAULT_URL == providers.PROVIDERS_URL


def test_json_lists_the_bundled_a_and_b_servers_with_their_facts(onboard_home: Path) -> None:
    data = run_json(home=onboard_home)
    assert set(data) == {"source", "fetched_at", "note", "providers"}
    assert data["source"] == "bundled" and data["fetched_at"] is None and data["note"] is None
    assert len(data["providers"]) == 29
    domains = [p["domain"] for p in data["providers"]]
    assert domains == sorted(domains)
    for entry in data["providers"]:
        assert set(entry) == PROVIDER_KEYS
        assert entry["category"] in ("A", "B")
        assert isinstance(entry["countries"], list) and isinstance(entry["onion"], list)
        assert entry["compliance"] is None or 0 <= entry["compliance"] <= 100
        for link in ("website", "legal_notice", "password_reset", "registration_web_page"):
            assert entry[link] is None or entry[link].startswith("https://")
    openim = next(p for p in data["providers"] if p["domain"] == "openim.nl")
    assert openim["onion"] and openim["onion"][0].endswith(".onion")
    assert openim["password_reset"] == "https://openim.nl/register/reset"


def test_filters(onboard_home: Path) -> None:
    in_band = run_json("--in-band", home=onboard_home)["providers"]
    assert len(in_band) == 13 and all(p["in_band_registration"] for p in in_band)
    onion = run_json("--onion", home=onboard_home)["providers"]
    assert [p["domain"] for p in onion] == ["openim.nl"]
    away = run_json("--avoid-country", "de", "--avoid-country", "US", home=onboard_home)
    assert away["providers"] and not any(
        {"DE", "US"} & set(p["countries"]) for p in away["providers"])
    french_first = run_json("--country", "FR", "--in-band", home=onboard_home)["providers"]
    assert [p["domain"] for p in french_first[:2]] == ["chalec.org", "jabber.fr"]
    by_age = run_json("--sort", "since", home=onboard_home)["providers"]
    assert by_age[0]["domain"] == "jabber.fr"


def test_the_table_is_readable(onboard_home: Path) -> None:
    result = run("--in-band", home=onboard_home)
    assert result.returncode == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].startswith("13 servers (the list that came with this program")
    header = next(line for line in lines if line.startswith("Server"))
    for column in ("Cat.", "Sign-up", "CAPTCHA", "Email", "Countries", "Since", "Organization",
                   "Free", "Compliance", "Onion"):
        assert column in header
    openim = next(line for line in lines if line.startswith("openim.nl "))
    assert "in app" in openim and "100 %" in openim and openim.rstrip().endswith("yes")
    web_only = run("--avoid-country", "DE", home=onboard_home).stdout
    assert "web only" in web_only
    everything = run(home=onboard_home).stdout.splitlines()
    rows = {line.split()[0]: line for line in everything if line.startswith(("07f.de ",
                                                                              "404.city "))}
    assert "run by a private person" in rows["07f.de"]
    assert "organization unknown" in rows["404.city"]
    assert run("--onion", home=onboard_home).stdout.startswith("1 server (")


def test_refresh_from_a_mirror_then_the_saved_copy(lists: ListServer,
                                                   onboard_home: Path) -> None:
    data = run_json("--refresh", "--providers-url", lists.url(), "--ca-file",
                    str(lists.ca_file), home=onboard_home)
    assert data["source"] == "refreshed" and data["note"] is None
    assert data["fetched_at"] is not None
    domains = {p["domain"]: p for p in data["providers"]}
    assert domains["yax.im"]["organization"] == CHANGED_ORGANIZATION
    assert "average.example" not in domains and "autocomplete.example" not in domains

    later = run_json(home=onboard_home)
    assert later["source"] == "cache" and later["fetched_at"] == data["fetched_at"]
    assert {p["domain"] for p in later["providers"]} == set(domains)


def test_a_failed_refresh_shows_the_note_and_still_succeeds(lists: ListServer,
                                                            onboard_home: Path) -> None:
    data = run_json("--refresh", "--providers-url", lists.url("/missing.json"), "--ca-file",
                    str(lists.ca_file), home=onboard_home)
    assert data["source"] == "bundled" and len(data["providers"]) == 29
    assert "could not be refreshed" in data["note"] and "HTTP 404" in data["note"]

    slow = run_json("--refresh", "--providers-url", lists.url("/slow.json"), "--ca-file",
                    str(lists.ca_file), "--timeout", "1", home=onboard_home)
    assert "did not answer in time (1 s)" in slow["note"]

    table = run("--refresh", "--providers-url", lists.url("/malformed.json"), "--ca-file",
                str(lists.ca_file), home=onboard_home)
    assert table.returncode == 0
    assert "could not be refreshed" in table.stderr and "not valid JSON" in table.stderr
    assert "yax.im" in table.stdout


def test_an_untrusted_mirror_is_a_note_not_a_crash(lists: ListServer,
                                                   onboard_home: Path) -> None:
    data = run_json("--refresh", "--providers-url", lists.url(), home=onboard_home)
    assert data["source"] == "bundled" and "secure connection" in data["note"]


@pytest.mark.parametrize(("args", "message"), [
    (["--country", "Germany"], "two-letter country code"),
    (["--avoid-country", "1"], "two-letter country code"),
    (["--providers-url", "http://localhost/list.json"], "https://"),
    (["--timeout", "0"], "--timeout must be more than 0 and at most 600 seconds."),
    (["--timeout", "601"], "--timeout must be more than 0 and at most 600 seconds."),
])
def test_invalid_options_exit_2_with_one_clear_line(args: list[str], message: str,
                                                    onboard_home: Path) -> None:
    result = run(*args, home=onboard_home)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1
    as_json = run("--json", *args, home=onboard_home)
    assert as_json.returncode == 2
    assert json.loads(as_json.stdout)["error"]["condition"] == "invalid-input"


def test_help_documents_the_options(onboard_home: Path) -> None:
    result = run("--help", home=onboard_home)
    assert result.returncode == 0
    for option in ("--json", "--refresh", "--in-band", "--onion", "--country",
                   "--avoid-country", "--providers-url", "--ca-file", "--timeout", "Exit status"):
        assert option in result.stdout
    assert "--all-categories" not in result.stdout
    text = " ".join(result.stdout.split())
    assert "Exit status: 0 when the list was shown" in text
    assert "2 for invalid options; 130 when cancelled." in text


def test_a_reader_that_stops_early_is_not_a_crash(onboard_home: Path) -> None:
    """`xmpp-onboard servers | head -1`: the closed pipe ends the command quietly."""
    command = [sys.executable, "-m", "onboard", "--lang", "en", "servers"]
    env = dict(os.environ, XMPP_ONBOARD_HOME=str(onboard_home))
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=env) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        # The reader goes away before the list is written (Python takes far longer to start
        # than this takes), as `head -1` does after its line.
        proc.stdout.close()
        errors = proc.stderr.read().decode()
        code = proc.wait(timeout=30)
    assert code == 141
    assert errors == ""
    assert not list(onboard_home.rglob("crash*"))
