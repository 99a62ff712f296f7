"""The registration engine against a real Prosody (see tests/servers/prosody.py)."""

from __future__ import annotations

import asyncio
import itertools
import stat

import pytest

from onboard.core import accounts, captcha
from onboard.core.errors import (
    ConnectionRefusedError_,
    DnsError,
    InvalidInputError,
    LoginFailedError,
    NameTakenError,
    NetworkTimeoutError,
    NotAcceptableError,
    NoTlsError,
    RateLimitedError,
    RegistrationClosedError,
    TlsError,
)
from onboard.core.network import DirectNetwork
from onboard.core.xmpp.address import ServerAddress
from onboard.core.xmpp.registration import RegistrationSession, verify_login
from tests.servers.prosody import WEB_SIGNUP_URL

pytestmark = pytest.mark.prosody
PASSWORD = "correct-horse-battery-staple"
_names = itertools.count()


def fresh_name(prefix: str = "user") -> str:
    return f"{prefix}{next(_names)}x{id(_names) % 9973}"


async def register(address: ServerAddress, answers: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    session = RegistrationSession(address, DirectNetwork(), timeout=10)
    try:
        form = await session.open()
        return form, await session.submit(answers)
    finally:
        await session.close()


@pytest.mark.parametrize("direct_tls", [False, True], ids=["starttls", "direct-tls"])
async def test_open_registration_saves_credentials_and_logs_in(server, prosody,  # type: ignore[no-untyped-def]
                                                               direct_tls: bool) -> None:
    address = server("open.test", direct_tls=direct_tls)
    name = fresh_name("alice")
    form, account = await register(address, {"username": [name], "password": [PASSWORD]})
    assert form.kind == "data-form" and form.has_username and form.has_password
    assert account.jid == f"{name}@open.test"
    assert prosody.user_exists("open.test", name)
    assert stat.S_IMODE(account.credentials_file.stat().st_mode) == 0o600
    saved = accounts.load(account.credentials_file)
    assert (saved.jid, saved.password, saved.status) == (account.jid, PASSWORD, "created")
    assert await verify_login(account.jid, PASSWORD, address, DirectNetwork(), timeout=10) < 10


async def test_wrong_password_login_is_refused(server) -> None:  # type: ignore[no-untyped-def]
    address = server("open.test")
    name = fresh_name("carol")
    await register(address, {"username": [name], "password": [PASSWORD]})
    with pytest.raises(LoginFailedError):
        await verify_login(f"{name}@open.test", "not-the-password", address, DirectNetwork(),
                           timeout=10)


async def test_taken_name_gets_suggestions_and_keeps_the_first_file(server) -> None:  # type: ignore[no-untyped-def]
    address = server("open.test")
    name = fresh_name("dave")
    _form, first = await register(address, {"username": [name], "password": [PASSWORD]})
    with pytest.raises(NameTakenError) as caught:
        await register(address, {"username": [name], "password": ["another-password-1"]})
    assert caught.value.exit_code == 3
    assert len(caught.value.suggestions) == 3 and name in caught.value.hint
    assert accounts.load(first.credentials_file).password == PASSWORD
    assert all(a.status == "created" for a in accounts.list_saved())


async def test_extra_fields_are_required_and_sent(server, prosody) -> None:  # type: ignore[no-untyped-def]
    address = server("fields.test")
    session = RegistrationSession(address, DirectNetwork(), timeout=10)
    try:
        form = await session.open()
        extra = {f.var for f in form.extra_fields()}
        assert "email" in extra
        name = fresh_name("erin")
        with pytest.raises(InvalidInputError) as caught:
            await session.submit({"username": [name], "password": [PASSWORD]})
        assert "mail" in caught.value.message.lower()
        answers = {"username": [name], "password": [PASSWORD], "email": ["erin@example.org"]}
        for f in form.extra_fields():
            if f.required and f.var not in answers and f.type != "fixed":
                answers[f.var] = ["yes"]
        account = await session.submit(answers)
    finally:
        await session.close()
    assert prosody.user_exists("fields.test", name)
    assert account.jid == f"{name}@fields.test"


async def test_server_refuses_a_missing_required_field(server) -> None:  # type: ignore[no-untyped-def]
    """Bypass the local check: the server's own not-acceptable must be mapped too."""
    address = server("fields.test")
    session = RegistrationSession(address, DirectNetwork(), timeout=10)
    try:
        form = await session.open()
        for f in form.fields:
            f.required = False  # as if the server had not marked them
        with pytest.raises(NotAcceptableError) as caught:
            await session.submit({"username": [fresh_name("frank")], "password": [PASSWORD]})
    finally:
        await session.close()
    assert caught.value.exit_code == 4
    assert session.client is None  # a failed submit closes the session
    assert not [a for a in accounts.list_saved() if a.status == "pending"]


async def test_captcha_wrong_then_right_on_a_fresh_form(server, prosody) -> None:  # type: ignore[no-untyped-def]
    address = server("captcha.test")
    name = fresh_name("grace")
    session = RegistrationSession(address, DirectNetwork(), timeout=10)
    try:
        form = await session.open()
        field = form.captcha_field
        assert field is not None
        image = form.captcha_image()
        assert image is not None
        drawn = captcha.decode(image.data)
        assert drawn.width > 10 and len(drawn.rows) >= 3
        with pytest.raises(NotAcceptableError) as caught:
            await session.submit({"username": [name], "password": [PASSWORD],
                                  field.var: ["wrong"]})
        assert caught.value.kind == "captcha"
    finally:
        await session.close()
    assert not prosody.user_exists("captcha.test", name)
    fresh, account = await register(address, {"username": [name], "password": [PASSWORD],
                                              "ocr": [prosody.captcha_answer]})
    assert fresh.captcha_field is not None
    assert prosody.user_exists("captcha.test", name)
    assert account.jid == f"{name}@captcha.test"


async def test_rate_limit_is_explained(server) -> None:  # type: ignore[no-untyped-def]
    address = server("ratelimit.test")
    errors = []
    for _ in range(2):
        try:
            await register(address, {"username": [fresh_name("heidi")], "password": [PASSWORD]})
        except RateLimitedError as error:
            errors.append(error)
    assert errors, "the second registration from one address must be rate limited"
    assert errors[-1].exit_code == 6
    assert "wait" in errors[-1].hint.lower()


async def test_closed_registration(server) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RegistrationClosedError) as caught:
        await register(server("closed.test"), {"username": ["ivan"], "password": [PASSWORD]})
    assert caught.value.exit_code == 5
    assert "closed.test" in caught.value.message
    assert caught.value.web_url is None


@pytest.mark.parametrize("direct_tls", [False, True], ids=["starttls", "direct-tls"])
async def test_web_only_registration_names_the_sign_up_page(server, prosody,  # type: ignore[no-untyped-def]
                                                           direct_tls: bool) -> None:
    """web.test answers the form request with XEP-0077's redirection to a web page."""
    session = RegistrationSession(server("web.test", direct_tls=direct_tls), DirectNetwork(),
                                  timeout=10)
    with pytest.raises(RegistrationClosedError) as caught:
        await session.open()
    error = caught.value
    assert error.web_url == WEB_SIGNUP_URL and error.domain == "web.test"
    assert error.exit_code == 5 and error.condition == "registration-closed"
    assert error.message == "web.test does not allow creating accounts from an app."
    assert WEB_SIGNUP_URL in error.hint
    assert error.to_json()["web_url"] == WEB_SIGNUP_URL
    assert "web.test" in error.detail  # the server's instructions
    assert session.client is None and session.form is None  # the connection is closed
    assert not accounts.list_saved()


async def test_no_tls_is_refused_before_anything_is_sent(server, prosody) -> None:  # type: ignore[no-untyped-def]
    port = getattr(prosody, "notls_port", None) or prosody.starttls_port
    with pytest.raises(NoTlsError) as caught:
        await register(server("notls.test", port=port),
                       {"username": ["judy"], "password": [PASSWORD]})
    assert caught.value.exit_code == 9
    assert not prosody.user_exists("notls.test", "judy")
    assert not accounts.list_saved()


async def test_untrusted_certificate_is_refused(server) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TlsError) as caught:
        await register(server("open.test", ca=False), {"username": ["k"], "password": [PASSWORD]})
    assert caught.value.reason in ("untrusted", "self-signed")
    assert caught.value.exit_code == 8


async def test_untrusted_certificate_is_refused_with_direct_tls(server) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TlsError):
        await register(server("open.test", ca=False, direct_tls=True),
                       {"username": ["k"], "password": [PASSWORD]})


BAD_CERTIFICATES = [("expired.test", "expired"), ("wronghost.test", "wrong-host"),
                    ("selfsigned.test", "self-signed")]


@pytest.mark.parametrize(("domain", "reason"), BAD_CERTIFICATES)
async def test_bad_certificates_are_named(server, prosody, domain: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    if domain.split(".")[0] not in getattr(prosody, "tls_cases", ()):
        pytest.fail(f"the Prosody fixture has no {domain} host")
    with pytest.raises(TlsError) as caught:
        await register(server(domain), {"username": ["l"], "password": [PASSWORD]})
    assert caught.value.reason == reason
    assert caught.value.message and caught.value.hint
    assert not accounts.list_saved()  # refused before any request: nothing to keep


@pytest.mark.parametrize(("domain", "reason"), BAD_CERTIFICATES)
async def test_a_login_is_refused_on_a_bad_certificate_too(server, prosody, domain: str,  # type: ignore[no-untyped-def]
                                                          reason: str) -> None:
    with pytest.raises(TlsError) as caught:
        await verify_login(f"someone@{domain}", PASSWORD, server(domain), DirectNetwork(),
                           timeout=10)
    assert caught.value.reason == reason


async def test_connection_refused(server) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(ConnectionRefusedError_) as caught:
        await register(server("open.test", port=closed_port), {})
    assert caught.value.exit_code == 7


async def test_unknown_domain_is_a_dns_failure() -> None:
    address = ServerAddress("does-not-exist.invalid")
    with pytest.raises(DnsError) as caught:
        await register(address, {})
    assert "does-not-exist.invalid" in caught.value.message


async def test_silent_server_times_out(silent_server) -> None:  # type: ignore[no-untyped-def]
    """A server that accepts the connection and never speaks must not hang the user."""
    session = RegistrationSession(ServerAddress("open.test", "127.0.0.1", silent_server.port),
                                  DirectNetwork(), timeout=1.5)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(NetworkTimeoutError):
        await session.open()
    assert loop.time() - started < 5


async def test_cancelling_a_wait_closes_the_connection(silent_server) -> None:  # type: ignore[no-untyped-def]
    """Cancel while the server keeps quiet: the wait ends at once and the socket is closed."""
    session = RegistrationSession(ServerAddress("open.test", "127.0.0.1", silent_server.port),
                                  DirectNetwork(), timeout=60)
    task = asyncio.ensure_future(session.open())
    await asyncio.sleep(0.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await silent_server.wait_for("closed", 1, timeout=5)


async def test_a_created_account_whose_file_cannot_be_written_is_not_lost(server, prosody) -> None:  # type: ignore[no-untyped-def]
    """The final file cannot be written (a folder stands in its place): the error says the
    account exists, and the pending file written before sending still holds the password."""
    from onboard.core.errors import StorageError

    name = fresh_name("zoe")
    accounts.account_file(f"{name}@open.test").mkdir(parents=True)
    with pytest.raises(StorageError) as caught:
        await register(server("open.test"), {"username": [name], "password": [PASSWORD]})
    assert caught.value.account_created is True
    assert "created" in caught.value.message
    assert prosody.user_exists("open.test", name)
    pending = accounts.load(accounts.account_file(f"{name}@open.test", pending=True))
    assert pending.password == PASSWORD


async def test_a_name_the_server_refuses_is_named_as_such(server) -> None:  # type: ignore[no-untyped-def]
    """Prosody refuses mixed-script names that the local check lets through."""
    with pytest.raises(NotAcceptableError) as caught:
        await register(server("open.test"), {"username": ["א" + fresh_name("mix")],
                                             "password": [PASSWORD]})
    assert caught.value.kind == "username"
    assert "name" in caught.value.hint
