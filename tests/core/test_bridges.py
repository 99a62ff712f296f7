"""Pasted bridge lines: plain, specific reasons with the right line number; tor has the last
word (`tor --verify-config`, real tor)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from onboard.core.errors import BridgeLineError
from onboard.core.tor.bridges import (
    BridgeLine,
    check_bridges,
    find_transport_program,
    parse_bridges,
    transport_plugins,
    transports_note,
    usable_transports,
    verify_with_tor,
)

FPR = "4352E58420E68F5E40BF7C74FADDCCD9D1349413"
CERT = "ssH+9rP8dG2NLDN2XuFw63hIO/9MNNinLmxQDpVa+7kTOa9/m+tGWT1SmSYpQ9uTBGa6Hw"
OBFS4 = f"obfs4 192.0.2.1:443 {FPR} cert={CERT} iat-mode=0"
# From tor's documentation (and Tor Browser's built-in snowflake lines).
SNOWFLAKE = ("snowflake 192.0.2.3:80 2B280B23E1107BB62ABFC40DDCC8824814F80A72 "
             "fingerprint=2B280B23E1107BB62ABFC40DDCC8824814F80A72 "
             "url=https://snowflake-broker.torproject.net.global.prod.fastly.net/ "
             "front=foursquare.com ice=stun:stun.l.google.com:19302 "
             "utls-imitate=hellorandomizedalpn")
VANILLA = f"192.0.2.7:9001 {FPR}"


def needs(program: str) -> None:
    if shutil.which(program, path=os.environ.get("PATH", "") + ":/usr/bin") is None:
        reason = f"{program} is not installed: apt-get install {program}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


def needs_tor() -> None:
    if (shutil.which("tor") or shutil.which("tor", path="/usr/sbin")) is None:
        reason = "tor is not installed (apt-get install tor): the Tor tests need it"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


def problem(text: str, **kwargs: str) -> BridgeLineError:
    with pytest.raises(BridgeLineError) as caught:
        parse_bridges(text, **kwargs)
    return caught.value


# --- good lines ---------------------------------------------------------------------------


def test_good_obfs4_and_snowflake_lines_pass_both_checks() -> None:
    needs("obfs4proxy")
    needs("snowflake-client")
    needs_tor()
    text = f"# my bridges\n\nBridge {OBFS4}\n{SNOWFLAKE}\n   {VANILLA}   \n"
    bridges = check_bridges(text)
    assert [b.transport for b in bridges] == ["obfs4", "snowflake", ""]
    assert [b.line_number for b in bridges] == [3, 4, 5]
    obfs4, snowflake, vanilla = bridges
    assert obfs4.text == OBFS4  # "Bridge " is not part of tor's value
    assert obfs4.address == "192.0.2.1:443" and obfs4.fingerprint == FPR
    assert obfs4.args == {"cert": CERT, "iat-mode": "0"}
    assert snowflake.text == SNOWFLAKE
    assert snowflake.args["front"] == "foursquare.com"
    # Debian's snowflake-client 2.5.1 ignores utls-imitate= (it only loses the browser-like
    # TLS fingerprint): the line is kept as it is, without a warning.
    assert snowflake.args["utls-imitate"] == "hellorandomizedalpn"
    assert vanilla.transport == "" and vanilla.text == VANILLA and vanilla.args == {}


def test_transport_plugins_name_the_installed_programs() -> None:
    needs("obfs4proxy")
    needs("snowflake-client")
    bridges = parse_bridges(f"{OBFS4}\n{OBFS4.replace('192.0.2.1', '192.0.2.2')}\n{SNOWFLAKE}\n"
                            f"{VANILLA}")
    plugins = transport_plugins(bridges)
    assert plugins == [f"obfs4 exec {find_transport_program('obfs4')}",
                       f"snowflake exec {find_transport_program('snowflake')}"]
    assert plugins[0].endswith(("/obfs4proxy", "/lyrebird"))
    assert plugins[1].endswith("/snowflake-client")
    assert transport_plugins(parse_bridges(VANILLA)) == []


def test_a_spaced_fingerprint_and_ipv6_are_fine() -> None:
    spaced = "192.0.2.7:9001 4352 E584 20E6 8F5E 40BF 7C74 FADD CCD9 D134 9413"
    (bridge,) = parse_bridges(spaced)
    assert bridge.fingerprint == FPR
    (v6,) = parse_bridges(f"[2001:db8::1]:443 {FPR}")
    assert v6.address == "[2001:db8::1]:443"


def test_snowflake_fronts_gets_a_front_for_older_clients() -> None:
    needs("snowflake-client")
    line = SNOWFLAKE.replace("front=foursquare.com",
                             "fronts=foursquare.com,github.githubassets.com")
    (bridge,) = parse_bridges(line)
    assert bridge.args["front"] == "foursquare.com"
    assert bridge.text == line + " front=foursquare.com"


def test_an_empty_paste_has_no_bridges() -> None:
    assert parse_bridges("\n  \n# only a comment\n") == []
    verify_with_tor([])  # nothing to check


# --- bad lines: our own plain words -------------------------------------------------------


def test_a_missing_port_names_the_line() -> None:
    error = problem(f"# first\n{OBFS4}\nobfs4 192.0.2.1 {FPR} cert={CERT} iat-mode=0")
    assert error.line_number == 3
    assert "no port" in error.why and "192.0.2.1:443" in error.why
    assert error.message.startswith("Bridge line 3: ")
    assert problem(f"[2001:db8::1] {FPR}").line_number == 1


@pytest.mark.parametrize("port", ["99999", "0", "https", ""])
def test_a_bad_port(port: str) -> None:
    error = problem(f"obfs4 192.0.2.1:{port} {FPR} cert={CERT} iat-mode=0")
    assert error.line_number == 1
    assert ("1 to 65535" in error.why) or ("no port" in error.why)


@pytest.mark.parametrize("fingerprint", [FPR[:-1], FPR + "0", FPR[:-1] + "Z", "$" + FPR])
def test_a_fingerprint_that_is_not_40_hex_digits(fingerprint: str) -> None:
    error = problem(f"\n\nobfs4 192.0.2.1:443 {fingerprint} cert={CERT} iat-mode=0")
    assert error.line_number == 3
    assert "40 hexadecimal digits" in error.why


@pytest.mark.parametrize(("line", "missing"), [
    (f"obfs4 192.0.2.1:443 {FPR} iat-mode=0", "cert="),
    (f"obfs4 192.0.2.1:443 {FPR} cert={CERT}", "iat-mode="),
    ("obfs4 192.0.2.1:443", "cert=, iat-mode="),
])
def test_obfs4_needs_cert_and_iat_mode(line: str, missing: str) -> None:
    needs("obfs4proxy")
    error = problem(line)
    assert "obfs4 bridges need cert=… iat-mode=…" in error.why
    assert f"lacks {missing}." in error.why


@pytest.mark.parametrize("word", ["meek_lite", "fte", "Obfs5"])
def test_an_unknown_transport(word: str) -> None:
    error = problem(f"{VANILLA}\n{word} 192.0.2.1:443 {FPR} url=https://example.net/")
    assert error.line_number == 2
    assert f"“{word}” is not a bridge type" in error.why
    assert "obfs4, snowflake and webtunnel" in error.why


def test_garbage_is_not_a_transport() -> None:
    assert "web address" in problem("https://bridges.torproject.org/").why
    assert "bridge type such as obfs4" in problem("fo-o 192.0.2.1:443").why


@pytest.mark.parametrize(("line", "program", "command"), [
    (OBFS4, "obfs4proxy or lyrebird", "sudo apt install obfs4proxy"),
    (SNOWFLAKE, "snowflake-client", "sudo apt install snowflake-client"),
])
def test_a_transport_program_that_is_not_installed(line: str, program: str, command: str,
                                                   tmp_path: Path) -> None:
    """An empty search path: as on a computer without the program."""
    error = problem(f"\n{line}", path=str(tmp_path))
    assert error.line_number == 2
    assert f"need the program {program}, which is not installed" in error.why
    assert error.why.endswith(f"Install it with: {command}")


def test_webtunnel_without_its_program(tmp_path: Path) -> None:
    error = problem(f"webtunnel [2001:db8::5]:443 {FPR} url=https://example.net/x",
                    path=str(tmp_path))
    assert "webtunnel bridges need the program lyrebird or webtunnel-client" in error.why
    assert "obfs4" in error.why
    assert "url=" in problem(f"webtunnel [2001:db8::5]:443 {FPR}", path=str(tmp_path)).why


@pytest.mark.parametrize("item", ["cert", "=abc"])
def test_args_must_be_name_value(item: str) -> None:
    error = problem(f"obfs4 192.0.2.1:443 {FPR} {item} iat-mode=0")
    assert f"“{item}” should look like name=value" in error.why


def test_args_on_a_plain_bridge_point_to_the_missing_type() -> None:
    error = problem(f"192.0.2.1:443 {FPR} cert={CERT} iat-mode=0")
    assert "type such as obfs4" in error.why


def test_a_bare_bridge_word() -> None:
    assert "nothing after" in problem("Bridge").why
    assert "no address" in problem("obfs4").why


def test_a_line_that_the_test_in_the_tor_screen_pastes() -> None:
    """tests/ui/test_tor.py pastes an obfs4 line without a port: the reason says "port"."""
    error = problem("obfs4 192.0.2.1 0123456789ABCDEF0123456789ABCDEF01234567 cert=x iat-mode=0")
    assert error.message.startswith("Bridge line 1") and "port" in error.message


# --- tor's own verdict --------------------------------------------------------------------


def test_a_name_instead_of_an_ip_address_is_rejected_by_tor() -> None:
    """The parser lets names through; tor does not (it says "Error parsing Bridge address")."""
    needs("obfs4proxy")
    needs_tor()
    text = f"{OBFS4}\n\n# the second one\n{OBFS4.replace('192.0.2.1', 'bridge.example.net')}"
    assert len(parse_bridges(text)) == 2
    with pytest.raises(BridgeLineError) as caught:
        check_bridges(text)
    error = caught.value
    assert error.line_number == 4  # found by checking each line on its own
    assert "tor does not accept the address bridge.example.net:443" in error.why
    assert "IP address" in error.why


def test_tor_says_why_a_line_is_wrong() -> None:
    """Lines that only tor checks (made by hand here, past the parser): its reasons in plain
    words, or quoted when there is no plainer way to say it."""
    needs_tor()
    short = BridgeLine("", "192.0.2.1:443", "ABCD", {}, "192.0.2.1:443 ABCD", 7)
    with pytest.raises(BridgeLineError) as caught:
        verify_with_tor([short])
    assert caught.value.line_number == 7
    assert "40 hexadecimal digits" in caught.value.why

    bad_v6 = BridgeLine("", "[2001:db8::g]:443", "", {}, "[2001:db8::g]:443", 2)
    with pytest.raises(BridgeLineError) as caught:
        verify_with_tor([bad_v6])
    assert "[2001:db8::g]:443" in caught.value.why and caught.value.line_number == 2

    no_item = BridgeLine("obfs4", "192.0.2.1:443", FPR, {}, f"obfs4 192.0.2.1:443 {FPR} cert",
                         1)
    with pytest.raises(BridgeLineError) as caught:
        verify_with_tor([no_item])
    assert "“cert” should look like name=value" in caught.value.why

    good = parse_bridges(VANILLA)
    verify_with_tor(good)  # no complaint


def test_without_tor_the_check_is_left_to_the_start(tmp_path: Path) -> None:
    """A line only tor refuses (a name for an address) passes when there is no tor to ask,
    and is refused by the same call with tor: the check was really skipped, not passed."""
    needs_tor()
    named = parse_bridges(VANILLA.replace("192.0.2.7", "bridge.example.net"))
    verify_with_tor(named, tor_cmd=str(tmp_path / "no-tor"))
    verify_with_tor(named, tor_cmd="tor-is-not-installed")
    with pytest.raises(BridgeLineError):
        verify_with_tor(named)


def test_the_bridge_types_this_computer_can_use(tmp_path: Path) -> None:
    """Said before any line is pasted: none at all (with the install command), some, or
    all of them."""
    assert usable_transports(path=str(tmp_path)) == []
    assert "sudo apt install obfs4proxy" in transports_note(path=str(tmp_path))
    snowflake_only = tmp_path / "bin"
    snowflake_only.mkdir()
    program = snowflake_only / "snowflake-client"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    assert usable_transports(path=str(snowflake_only)) == ["snowflake"]
    note = transports_note(path=str(snowflake_only))
    assert "snowflake" in note and "For obfs4: sudo apt install obfs4proxy" in note
    needs("obfs4proxy")
    needs("snowflake-client")
    assert {"obfs4", "snowflake"} <= set(usable_transports())
    assert "apt install" not in transports_note()
