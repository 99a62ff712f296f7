"""Live server probes against the real Prosody (tests/servers/prosody.py) and dnsmasq."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import ssl
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from onboard.core.errors import TlsError
from onboard.core.network import DirectNetwork, Endpoint
from onboard.core.probe import (
    ProbeCache,
    ProbeResult,
    certificate_not_after,
    has_channel_binding,
    probe,
    probe_many,
)
from onboard.core.providers import parse_providers
from onboard.core.xmpp.address import ServerAddress
from tests.servers.prosody import LOCAL_PROVIDERS, WEB_SIGNUP_URL

pytestmark = pytest.mark.prosody

JSON_KEYS = {"domain", "reachable", "endpoint", "tls", "registration", "sasl_mechanisms",
             "channel_binding", "rtt_ms", "error", "condition"}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def account_files(prosody) -> list[Path]:  # type: ignore[no-untyped-def]
    return sorted(prosody.data_dir.glob("*/accounts/*.dat"))


class CountingNetwork(DirectNetwork):
    """The direct route, counting the sockets it opens (every probe socket must come here)."""

    def __init__(self, nameservers: list[str] | None = None) -> None:
        super().__init__(nameservers)
        self.attempts = 0
        self.opened = 0

    async def open_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        self.attempts += 1
        sock = await super().open_socket(host, port, timeout)
        self.opened += 1
        return sock


_connects: list[object] | None = None  # collects socket.connect events while a test listens


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event == "socket.connect" and _connects is not None:
        _connects.append(args[1])


sys.addaudithook(_audit)


def assert_json_shape(result: ProbeResult) -> dict[str, object]:
    data = result.to_json()
    assert set(data) == JSON_KEYS
    assert set(data["tls"]) == {"valid", "version", "expires", "error",
                                  "reason"}  # type: ignore[arg-type]
    assert set(data["registration"]) == {  # type: ignore[arg-type]
        "advertised", "fields", "captcha", "web_url"}
    return data


# --- hosts that work ------------------------------------------------------------------------


@pytest.mark.parametrize("direct_tls", [False, True], ids=["starttls", "direct-tls"])
async def test_open_host(server, prosody, direct_tls: bool) -> None:  # type: ignore[no-untyped-def]
    address = server("open.test", direct_tls=direct_tls)
    result = await probe(address, DirectNetwork(), timeout=10)
    expected = Endpoint(prosody.host, address.port, direct_tls)
    assert result.reachable and result.endpoint == expected and result.endpoints == [expected]
    assert result.tls.valid and result.tls.error is None and result.tls.reason is None
    assert result.tls.version in ("TLSv1.2", "TLSv1.3")
    assert result.tls.expires is not None and result.tls.expires > dt.datetime.now(dt.UTC)
    # The fixture's certificates come from trustme, valid until 3000-01-01.
    assert result.tls.expires.year == 3000
    assert result.registration.advertised
    assert result.registration.fields[:2] == ["username", "password"]
    assert not result.registration.captcha and result.registration.web_url is None
    assert result.registration.error is None
    assert "SCRAM-SHA-1" in result.sasl_mechanisms
    # What Prosody 0.12 really does: SCRAM-SHA-1-PLUS uses tls-unique, which TLS 1.3 lacks,
    # so with TLS 1.3 there is no -PLUS mechanism and hence no channel binding.
    plus = [m for m in result.sasl_mechanisms if m.endswith("-PLUS")]
    assert result.channel_binding is bool(plus)
    if result.tls.version == "TLSv1.3":
        assert not plus
    assert result.rtt_ms is not None and 0 < result.rtt_ms < 5000
    assert (result.error, result.condition, result.exit_code) == (None, None, 0)
    data = assert_json_shape(result)
    assert data["endpoint"] == {"host": prosody.host, "port": address.port,
                                "direct_tls": direct_tls}
    assert data["tls"]["expires"].startswith("3000-01-01T")  # type: ignore[index]


async def test_tls_1_2_offers_channel_binding(server, tls_1_2_only: None) -> None:  # type: ignore[no-untyped-def]
    """With TLS 1.2 Prosody adds SCRAM-SHA-1-PLUS: channel_binding follows the mechanisms."""
    result = await probe(server("open.test"), DirectNetwork(), timeout=10)
    assert result.tls.version == "TLSv1.2"
    assert "SCRAM-SHA-1-PLUS" in result.sasl_mechanisms
    assert result.channel_binding is True


async def test_closed_host(server) -> None:  # type: ignore[no-untyped-def]
    result = await probe(server("closed.test"), DirectNetwork(), timeout=10)
    assert result.reachable and result.tls.valid
    assert not result.registration.advertised and result.registration.fields == []
    assert result.registration.error is not None
    assert "closed.test" in result.registration.error
    assert result.condition == "registration-closed"
    assert result.error is not None and "closed.test" in result.error
    assert result.exit_code == 0  # the server itself is fine: reached over verified TLS
    assert result.sasl_mechanisms  # login still works there


@pytest.mark.parametrize("direct_tls", [False, True], ids=["starttls", "direct-tls"])
async def test_web_only_host_names_its_sign_up_page(server, direct_tls: bool) -> None:  # type: ignore[no-untyped-def]
    """web.test advertises registration, but its form is XEP-0077's redirection to a page."""
    result = await probe(server("web.test", direct_tls=direct_tls), DirectNetwork(), timeout=10)
    assert result.reachable and result.tls.valid and result.tls.reason is None
    facts = result.registration
    assert facts.advertised and facts.fields == [] and not facts.captcha
    assert facts.web_url == WEB_SIGNUP_URL
    assert facts.error == "web.test does not allow creating accounts from an app."
    assert result.condition == "registration-closed"
    assert result.error is not None and WEB_SIGNUP_URL in result.error
    assert result.exit_code == 0  # reached over verified TLS
    assert result.sasl_mechanisms
    data = assert_json_shape(result)
    assert data["registration"] == {"advertised": True, "fields": [], "captcha": False,
                                    "web_url": WEB_SIGNUP_URL}


async def test_captcha_host(server) -> None:  # type: ignore[no-untyped-def]
    result = await probe(server("captcha.test"), DirectNetwork(), timeout=10)
    assert result.registration.advertised and result.registration.captcha
    assert "ocr" in result.registration.fields
    assert result.error is None


async def test_fields_host_lists_its_extra_fields(server) -> None:  # type: ignore[no-untyped-def]
    result = await probe(server("fields.test", direct_tls=True), DirectNetwork(), timeout=10)
    assert {"username", "password", "email", "reason"} <= set(result.registration.fields)
    assert "FORM_TYPE" not in result.registration.fields  # hidden
    assert not result.registration.captcha


# --- certificate and TLS problems -----------------------------------------------------------


@pytest.mark.parametrize("direct_tls", [False, True], ids=["starttls", "direct-tls"])
@pytest.mark.parametrize(("domain", "reason"), [
    ("expired.test", "expired"),
    ("wronghost.test", "wrong-host"),
    ("selfsigned.test", "self-signed"),
])
async def test_bad_certificates_are_named(server, prosody, domain: str, reason: str,  # type: ignore[no-untyped-def]
                                          direct_tls: bool) -> None:
    address = server(domain, direct_tls=direct_tls)
    result = await probe(address, DirectNetwork(), timeout=10)
    assert result.reachable  # at the TCP level
    assert result.endpoint == Endpoint(prosody.host, address.port, direct_tls)
    assert result.rtt_ms is not None
    assert not result.tls.valid and result.tls.reason == reason
    assert result.tls.error == TlsError(domain, reason).message
    assert (result.condition, result.exit_code) == ("tls-failure", 8)
    assert result.error is not None and result.error.startswith(result.tls.error)
    # Nothing XMPP went over the unverified connection: no features, no form.
    assert result.sasl_mechanisms == [] and not result.registration.advertised
    assert result.registration.fields == []
    # Read from a bare, unverified handshake (on STARTTLS after <starttls/>): the expiry date
    # and the TLS version of the very certificate that failed.
    now = dt.datetime.now(dt.UTC)
    assert result.tls.version in ("TLSv1.2", "TLSv1.3")
    assert result.tls.expires is not None
    assert (result.tls.expires < now) is (reason == "expired")
    assert_json_shape(result)


async def test_certificate_from_an_unknown_authority(server) -> None:  # type: ignore[no-untyped-def]
    result = await probe(server("open.test", ca=False), DirectNetwork(), timeout=10)
    assert not result.tls.valid and result.tls.reason == "untrusted"
    assert result.exit_code == 8


async def test_no_tls(server, prosody) -> None:  # type: ignore[no-untyped-def]
    result = await probe(server("notls.test", port=prosody.notls_port), DirectNetwork(),
                         timeout=10)
    assert result.reachable
    assert not result.tls.valid and result.tls.reason == "no-tls"
    assert result.tls.error is not None and "encrypted" in result.tls.error
    assert result.error is not None and "encrypted" in result.error
    assert (result.condition, result.exit_code) == ("no-tls", 9)
    assert result.sasl_mechanisms == []  # the PLAIN offered in the clear is not even recorded


# --- not reachable --------------------------------------------------------------------------


async def test_closed_port(server) -> None:  # type: ignore[no-untyped-def]
    port = closed_port()
    result = await probe(server("open.test", port=port), DirectNetwork(), timeout=10)
    assert not result.reachable and result.endpoint is None and result.rtt_ms is None
    assert result.endpoints == [Endpoint("127.0.0.1", port)]
    assert not result.tls.valid and result.tls.error is None
    assert (result.condition, result.exit_code) == ("connection-refused", 7)
    assert result.error is not None and "refused" in result.error
    assert assert_json_shape(result)["endpoint"] is None


async def test_unknown_host_name() -> None:
    result = await probe(ServerAddress("open.test", "does-not-exist.invalid", 5222),
                         DirectNetwork(), timeout=10)
    assert not result.reachable and result.condition == "dns-failure"
    assert result.error is not None and "does-not-exist.invalid" in result.error


async def test_silent_server_times_out_with_the_facts_so_far(silent_server) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await probe(ServerAddress("open.test", "127.0.0.1", silent_server.port),
                         DirectNetwork(), timeout=1.0)
    assert loop.time() - started < 4
    assert result.reachable and not result.tls.valid
    assert (result.condition, result.exit_code) == ("timeout", 7)


# --- discovery ------------------------------------------------------------------------------


async def test_srv_discovery_finds_the_endpoint(dns, prosody) -> None:  # type: ignore[no-untyped-def]
    network = DirectNetwork([dns.nameserver])
    result = await probe(ServerAddress("open.test", ca_file=prosody.ca_file), network,
                         timeout=10)
    assert result.endpoints == [Endpoint("localhost", prosody.direct_tls_port, True),
                                Endpoint("localhost", prosody.starttls_port, False)]
    assert result.endpoint == result.endpoints[0]  # XEP-0368 direct TLS first
    assert result.tls.valid and result.registration.advertised and result.exit_code == 0


async def test_srv_discovery_skips_a_dead_endpoint(dns, prosody) -> None:  # type: ignore[no-untyped-def]
    network = DirectNetwork([dns.nameserver])
    result = await probe(ServerAddress("fields.test", ca_file=prosody.ca_file), network,
                         timeout=10)
    assert result.endpoints[0] == Endpoint("localhost", 1, True)
    assert result.endpoint == Endpoint("localhost", prosody.starttls_port, False)
    assert result.tls.valid and "email" in result.registration.fields


async def test_srv_says_no_service(dns) -> None:  # type: ignore[no-untyped-def]
    result = await probe(ServerAddress("gone.test"), DirectNetwork([dns.nameserver]), timeout=5)
    assert not result.reachable and result.endpoints == []
    assert (result.condition, result.exit_code) == ("no-xmpp-service", 7)


# --- nothing is created ---------------------------------------------------------------------


async def test_probing_never_creates_an_account(server, prosody) -> None:  # type: ignore[no-untyped-def]
    before = account_files(prosody)
    network = CountingNetwork()
    targets = [server(d, direct_tls=t) for d in prosody.domains for t in (False, True)]
    results = await probe_many(targets, network, timeout=10)
    assert len(results) == len(targets)
    assert account_files(prosody) == before
    assert network.opened >= len(targets)  # every socket came from the network object
    # The forms were fetched (so the check is real), just never sent back.
    assert all("username" in r.registration.fields for r in results
               if r.domain == "open.test")


async def test_every_connection_goes_through_the_network_object(server, prosody) -> None:  # type: ignore[no-untyped-def]
    """Python's audit hook sees every connect in the process: the probes make no other."""
    global _connects
    network = CountingNetwork()
    targets = [server(d, direct_tls=t) for d in ("open.test", "expired.test", "notls.test")
               for t in (False, True)]
    _connects = []
    try:
        await probe_many(targets, network, timeout=10)
        seen = list(_connects)
    finally:
        _connects = None
    # One connect per probe, plus a certificate peek for each failing certificate: expired.test
    # on both ports, and notls.test's direct-TLS port (it shows another host's).
    assert network.attempts == len(targets) + 3
    assert len(seen) == network.attempts
    assert all(address[0] == prosody.host for address in seen)  # type: ignore[index]


# --- many at once ---------------------------------------------------------------------------


async def test_probe_many_reports_each_result_once(server, prosody) -> None:  # type: ignore[no-untyped-def]
    targets = [server(d, direct_tls=t) for d in prosody.domains for t in (False, True)]
    targets.append(server("open.test", port=closed_port()))
    seen: list[ProbeResult] = []
    loop = asyncio.get_running_loop()
    started = loop.time()
    results = await probe_many(targets, DirectNetwork(), concurrency=8, timeout=10,
                               on_result=seen.append)
    elapsed = loop.time() - started
    assert [r.server for r in results] == targets  # in the order given
    assert sorted(map(id, seen)) == sorted(map(id, results))  # each reported exactly once
    by_target = {(r.domain, r.server.direct_tls, r.server.port): r  # type: ignore[union-attr]
                 for r in results}
    assert by_target[("open.test", False, prosody.starttls_port)].ok
    assert by_target[("captcha.test", True, prosody.direct_tls_port)].registration.captcha
    assert by_target[("closed.test", False, prosody.starttls_port)].condition == (
        "registration-closed")
    assert by_target[("web.test", True, prosody.direct_tls_port)].registration.web_url == (
        WEB_SIGNUP_URL)
    assert by_target[("expired.test", True, prosody.direct_tls_port)].tls.reason == "expired"
    assert by_target[("selfsigned.test", False, prosody.starttls_port)].tls.reason == (
        "self-signed")
    assert by_target[("notls.test", False, prosody.notls_port)].condition == "no-tls"
    assert by_target[("open.test", False, targets[-1].port)].condition == "connection-refused"
    assert elapsed < 10


async def test_probe_many_reports_each_result_as_it_arrives(server, silent_server) -> None:  # type: ignore[no-untyped-def]
    """Four silent servers that time out after 3 s and a real one: the real one is reported
    while the silent ones still wait, and the four waits overlap (probed one after another
    they would take 12 s)."""
    silent = [ServerAddress(f"s{i}.test", "127.0.0.1", silent_server.port) for i in range(4)]
    targets = [*silent, server("open.test")]
    loop = asyncio.get_running_loop()
    reported: list[tuple[str, float]] = []
    started = loop.time()
    results = await probe_many(targets, DirectNetwork(), concurrency=8, timeout=3,
                               on_result=lambda r: reported.append((r.domain,
                                                                    loop.time() - started)))
    elapsed = loop.time() - started
    first, first_at = reported[0]
    assert first == "open.test"
    silent_at = [at for domain, at in reported if domain != "open.test"]
    assert len(silent_at) == 4 and min(silent_at) >= 2.5  # each waited for its time-out
    assert first_at < 2.0 < min(silent_at)  # shown long before the others ended
    assert elapsed < 6.0  # 4 × 3 s one after another would be 12 s
    assert results[-1].ok and all(r.condition == "timeout" for r in results[:4])


# What probing each entry of the tests' providers file must find: TLS failure reason (None when
# verified), registration advertised, can sign up in the app, CAPTCHA, sign-up page, condition,
# exit code.
LOCAL_EXPECTED: dict[str, tuple[str | None, bool, bool, bool, str | None, str | None, int]] = {
    "open.test": (None, True, True, False, None, None, 0),
    "fields.test": (None, True, True, False, None, None, 0),
    "captcha.test": (None, True, True, True, None, None, 0),
    "closed.test": (None, False, False, False, None, "registration-closed", 0),
    "web.test": (None, True, False, False, WEB_SIGNUP_URL, "registration-closed", 0),
    "expired.test": ("expired", False, False, False, None, "tls-failure", 8),
    "wronghost.test": ("wrong-host", False, False, False, None, "tls-failure", 8),
    "selfsigned.test": ("self-signed", False, False, False, None, "tls-failure", 8),
    "notls.test": ("no-tls", False, False, False, None, "no-tls", 9),
}


async def test_every_entry_of_the_local_providers_file(server, prosody) -> None:  # type: ignore[no-untyped-def]
    """tests/data/providers-local.json, read by the real parser, probed entry by entry: each
    host gives its own outcome, and on the hosts reached over verified TLS the list's facts
    agree with what the server says right now."""
    providers = parse_providers(json.loads(LOCAL_PROVIDERS.read_text("utf-8")), "en")
    assert [p.domain for p in providers] == list(LOCAL_EXPECTED)
    assert set(LOCAL_EXPECTED) <= set(prosody.domains)
    results = await probe_many([server(p.domain) for p in providers], DirectNetwork(),
                               timeout=10)
    seen = {}
    for provider, result in zip(providers, results, strict=True):
        assert result.domain == provider.domain and result.reachable
        facts = result.registration
        can_sign_up = facts.error is None and bool(facts.fields)
        seen[provider.domain] = (result.tls.reason, facts.advertised, can_sign_up,
                                 facts.captcha, facts.web_url, result.condition,
                                 result.exit_code)
        if result.tls.valid:
            assert provider.in_band_registration is can_sign_up
            assert provider.captcha is facts.captcha
            assert provider.email_required is ("email" in facts.fields)
            assert (provider.registration_web_page or None) == facts.web_url
    assert seen == LOCAL_EXPECTED


async def test_cancelling_probe_many_closes_every_connection(silent_server) -> None:  # type: ignore[no-untyped-def]
    """Silent servers (plain and direct TLS): cancel while every probe waits; all sockets close."""
    count = 6
    targets = [ServerAddress(f"s{i}.test", "127.0.0.1", silent_server.port,
                             direct_tls=i % 2 == 1)
               for i in range(count)]
    seen: list[ProbeResult] = []
    task = asyncio.ensure_future(probe_many(targets, DirectNetwork(), concurrency=count,
                                            timeout=60, on_result=seen.append))
    await silent_server.wait_for("accepted", count)
    await asyncio.sleep(0.2)
    loop = asyncio.get_running_loop()
    started = loop.time()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert loop.time() - started < 3
    await silent_server.wait_for("closed", count, timeout=5)
    assert seen == []


async def test_probe_many_with_a_cache_probes_once(server) -> None:  # type: ignore[no-untyped-def]
    network = CountingNetwork()
    cache = ProbeCache()
    targets = [server("open.test"), server("captcha.test")]
    first = await probe_many(targets, network, timeout=10, cache=cache)
    opened = network.opened
    seen: list[ProbeResult] = []
    again = await probe_many(targets, network, timeout=10, cache=cache, on_result=seen.append)
    assert network.opened == opened
    assert again == first and len(seen) == 2


def test_concurrency_must_be_positive() -> None:
    with pytest.raises(ValueError):
        asyncio.run(probe_many([], DirectNetwork(), concurrency=0))


# --- pieces without a server ----------------------------------------------------------------


def test_cache_expires_results_with_an_injected_clock() -> None:
    now = [1000.0]
    clock: Callable[[], float] = lambda: now[0]  # noqa: E731
    cache = ProbeCache(ttl=300, error_ttl=30, clock=clock)
    good_address = ServerAddress("good.test")
    bad_address = ServerAddress("bad.test", "127.0.0.1", 1)
    good = ProbeResult("good.test", server=good_address, reachable=True)
    bad = ProbeResult("bad.test", server=bad_address, condition="connection-refused",
                      exit_code=7)
    cache.put(good)
    cache.put(bad)
    assert cache.get(good_address) is good and cache.get(bad_address) is bad
    assert cache.get(ServerAddress("good.test", "127.0.0.1", 1)) is None  # another address
    now[0] += 31
    assert cache.get(bad_address) is None  # problems are kept only briefly
    assert cache.get(good_address) is good
    now[0] += 270
    assert cache.get(good_address) is None
    cache.put(good)
    assert len(cache) == 1
    cache.clear()
    assert cache.get(good_address) is None and len(cache) == 0


def test_channel_binding_means_a_plus_mechanism() -> None:
    assert has_channel_binding(["SCRAM-SHA-1", "SCRAM-SHA-256-PLUS"])
    assert has_channel_binding(["scram-sha-1-plus"])
    assert not has_channel_binding(["SCRAM-SHA-1", "PLAIN"])
    assert not has_channel_binding([])


def test_certificate_dates_are_read_from_der(prosody) -> None:  # type: ignore[no-untyped-def]
    """UTCTime (the expired certificate) and GeneralizedTime (trustme's year 3000)."""
    from cryptography import x509

    for domain in ("expired.test", "open.test", "selfsigned.test"):
        pem = prosody.cert_paths(domain)[0].read_text()
        der = ssl.PEM_cert_to_DER_cert(pem)
        expected = x509.load_der_x509_certificate(der).not_valid_after_utc
        assert certificate_not_after(der) == expected
    assert certificate_not_after(b"") is None
    assert certificate_not_after(b"\x30\x82\xff\xff\x30") is None
