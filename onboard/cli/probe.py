"""`xmpp-onboard probe`: check a server live, without creating anything on it."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING

from onboard.cli.io import emit_json, report_error
from onboard.cli.register import add_connection_options, state_from_args
from onboard.cli.tor import add_tor_options
from onboard.core.errors import InvalidInputError, OnboardError
from onboard.i18n import _

if TYPE_CHECKING:
    from onboard.core.flow import WizardState
    from onboard.core.probe import ProbeResult


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "probe",
        help=_("check a server live: reachable, TLS, registration, login methods"),
        description=_("Connect to DOMAIN as the assistant would and report what it offers: "
                      "whether it can be reached, its TLS certificate, whether accounts can be "
                      "created from an app (the form is fetched but never sent, so nothing is "
                      "created), its login methods and channel binding."),
        epilog=_("Exit status: 0 when the server was reached over a verified TLS connection "
                 "(also when it does not allow creating accounts: the report says so); 7 when "
                 "it could not be reached (name not found, no XMPP service, connection refused, "
                 "no answer); 8 for a certificate problem; 9 when it offers no TLS; 11 when its "
                 "answers made no sense; 2 for invalid options; 130 when cancelled."),
    )
    parser.add_argument("domain", metavar="DOMAIN", help=_("the server, e.g. example.org"))
    add_connection_options(parser)
    add_tor_options(parser)
    parser.add_argument("--timeout", type=float, default=15.0, metavar="SECONDS",
                        help=_("give up after this many seconds (default 15)"))
    parser.add_argument("--json", action="store_true", help=_("print one JSON object"))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    try:
        if not 0 < args.timeout <= 600:
            raise InvalidInputError(_("--timeout must be more than 0 and at most 600 seconds."))
        state = state_from_args(args)
        result = asyncio.run(_probe(args, state))
    except OnboardError as error:
        return report_error(error, args.json)
    except KeyboardInterrupt:
        return 130
    if args.json:
        emit_json(result.to_json())
    else:
        print(format_report(result))
    return result.exit_code


async def _probe(args: argparse.Namespace, state: WizardState) -> ProbeResult:
    from onboard.cli.tor import network_for
    from onboard.core.probe import probe

    async with network_for(args, state.network) as network:
        return await probe(state.server(), network, args.timeout)


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def _endpoint_text(result: ProbeResult) -> str:
    endpoint = result.endpoint
    if endpoint is None:
        return ""
    how = _("direct TLS") if endpoint.direct_tls else _("STARTTLS")
    return f"{endpoint.host}:{endpoint.port} ({how})"


def _expiry_text(expires: dt.datetime, now: dt.datetime) -> str:
    date = expires.date().isoformat()
    if expires <= now:
        return _("expired on {date}").format(date=date)
    return _("expires on {date}").format(date=date)


def format_report(result: ProbeResult, now: dt.datetime | None = None) -> str:
    """The probe as a few plain lines for a person."""
    now = now or dt.datetime.now(dt.UTC)
    lines = [_("Server: {domain}").format(domain=result.domain)]

    if result.reachable:
        lines.append(_("Reachable: yes, at {endpoint}").format(endpoint=_endpoint_text(result)))
    else:
        lines.append(_("Reachable: no"))
    if result.rtt_ms is not None:
        lines.append(_("Connect time: {ms:.1f} ms (to open the TCP connection)").format(
            ms=result.rtt_ms))

    tls = result.tls
    if result.reachable:
        details = [tls.version] if tls.version else []
        if tls.expires is not None:
            details.append(_expiry_text(tls.expires, now))
        if tls.valid:
            lines.append(_("TLS: valid certificate, {details}").format(
                details=", ".join(details) or _("version unknown")))
        elif tls.error:
            lines.append(_("TLS: NOT secure. {problem}").format(problem=tls.error))
            if details:
                lines.append(_("  Seen without trusting the connection (nothing else was sent): "
                               "{details}").format(details=", ".join(details)))
        else:
            lines.append(_("TLS: not set up"))

    if tls.valid:
        reg = result.registration
        if reg.fields:
            lines.append(_("Account creation from an app: yes"))
            lines.append(_("Form fields: {fields}").format(fields=", ".join(reg.fields)))
            lines.append(_("CAPTCHA: {answer}").format(answer=_yes_no(reg.captcha)))
        else:
            lines.append(_("Account creation from an app: no"))
        if not reg.advertised and reg.fields:
            lines.append(_("(The server does not announce registration, but gave the form.)"))
        if reg.web_url:
            lines.append(_("Sign-up web page: {url}").format(url=reg.web_url))
        mechanisms = ", ".join(result.sasl_mechanisms) or _("none offered")
        lines.append(_("Login methods (SASL): {mechanisms}").format(mechanisms=mechanisms))
        lines.append(_("Channel binding: {answer}").format(
            answer=_yes_no(result.channel_binding)))
        lines.append(_("  Channel binding (a login method ending in -PLUS) ties the login to "
                       "this very TLS connection: an interception with a valid-looking "
                       "certificate, like the one found in 2023 at a large XMPP server, makes "
                       "the login fail instead of going unnoticed."))

    if result.error:
        lines.append(_("Problem: {text}").format(text=result.error))
    return "\n".join(lines)
