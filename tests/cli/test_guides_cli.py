"""`xmpp-onboard guides`, as a real process: the list, one guide, JSON, German, an unknown
name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from onboard.core.guides import ORDER, find_guide, links, read_guide

COMMAND = str(Path(sys.executable).parent / "xmpp-onboard")


def run(*args: str, home: Path, lang: str = "C.UTF-8") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XMPP_ONBOARD_HOME": str(home), "LANG": lang}
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        env.pop(name, None)
    return subprocess.run([COMMAND, *args], capture_output=True, text=True, env=env,
                          timeout=60, stdin=subprocess.DEVNULL, check=False)


def test_the_list_has_every_guide_with_title_and_summary(onboard_home: Path) -> None:
    result = run("guides", home=onboard_home)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    positions = [out.index(f"{slug} ") for slug in ORDER]
    assert positions == sorted(positions)  # in reading order
    for slug in ORDER:
        guide = find_guide(slug, "en")
        assert guide.title in out
        assert " ".join(guide.summary.split()[:4]) in " ".join(out.split())
    assert "xmpp-onboard guides SLUG" in out


def test_the_list_as_json(onboard_home: Path) -> None:
    result = run("guides", "--json", home=onboard_home)
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [entry["slug"] for entry in listed] == list(ORDER)
    for entry in listed:
        guide = find_guide(entry["slug"], "en")
        assert entry == {"slug": guide.slug, "language": "en", "title": guide.title,
                         "summary": guide.summary, "path": str(guide.path)}
        assert Path(entry["path"]).is_file()


def test_one_guide_is_its_markdown(onboard_home: Path) -> None:
    result = run("guides", "verify", home=onboard_home)
    assert result.returncode == 0, result.stderr
    assert result.stdout == read_guide("verify", "en")
    assert result.stdout.startswith("# Check fingerprints\n")


def test_one_guide_as_json_with_its_links(onboard_home: Path) -> None:
    result = run("guides", "tor", "--json", home=onboard_home)
    assert result.returncode == 0, result.stderr
    markdown = read_guide("tor", "en")
    assert json.loads(result.stdout) == {
        "slug": "tor", "language": "en", "title": find_guide("tor", "en").title,
        "markdown": markdown, "links": links(markdown)}
    assert "https://bridges.torproject.org" in json.loads(result.stdout)["links"]


def test_german_with_lang_or_from_the_environment(onboard_home: Path) -> None:
    german = read_guide("server-gone", "de")
    assert german != read_guide("server-gone", "en")
    for args, lang in ((("guides", "server-gone", "--lang", "de"), "C.UTF-8"),
                       (("--lang", "de", "guides", "server-gone"), "C.UTF-8"),
                       (("guides", "server-gone"), "de_DE.UTF-8")):
        result = run(*args, home=onboard_home, lang=lang)
        assert result.returncode == 0, (args, result.stderr)
        assert result.stdout == german, args
    # --lang en wins over a German environment.
    english = run("guides", "server-gone", "--lang", "en", home=onboard_home, lang="de_DE.UTF-8")
    assert english.stdout == read_guide("server-gone", "en")
    listed = json.loads(run("guides", "--lang", "de", "--json", home=onboard_home).stdout)
    assert {entry["language"] for entry in listed} == {"de"}
    assert listed[0]["title"] == find_guide("next-steps", "de").title


def test_an_unknown_guide_names_the_known_ones(onboard_home: Path) -> None:
    result = run("guides", "nope", home=onboard_home)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "nope" in result.stderr
    assert all(slug in result.stderr for slug in ORDER)
    as_json = run("guides", "../en/verify", "--json", home=onboard_home)
    assert as_json.returncode == 2
    error = json.loads(as_json.stdout)["error"]
    assert error["condition"] == "guide-unavailable"
    assert error["known"] == list(ORDER)


def test_an_unknown_language_is_a_usage_error(onboard_home: Path) -> None:
    result = run("guides", "--lang", "fr", home=onboard_home)
    assert result.returncode == 2
    assert "--lang" in result.stderr
