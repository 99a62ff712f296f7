"""`xmpp-onboard fingerprints`: show an address's OMEMO devices, compare and confirm them."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from onboard.cli.io import (
    Terminal,
    ask_account_password,
    connection_state,
    read_password,
    report_error,
    saved_account,
)
from onboard.cli.register import add_connection_options
from onboard.cli.tor import add_tor_options
from onboard.core.errors import InvalidInputError, OnboardError
from onboard.i18n import _

if TYPE_CHECKING:
    from onboard.core.flow import WizardState
    from onboard.core.omemo.fingerprint import Device
    from onboard.core.omemo.pep import DeviceReport

# --compare found a device whose fingerprint is not the one in the link.
EXIT_DIFFERENT = 15
DEFAULT_TIMEOUT = 30.0

# What --compare says about each device (the "comparison" of --json).
SAME = "same"
DIFFERENT = "different"
NOT_IN_LINK = "not-in-link"  # only on the server
NOT_ON_SERVER = "not-on-server"  # only in the link


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "fingerprints",
        help=_("show the OMEMO fingerprints of an address, compare and confirm them"),
        description=_("Log in with --account and show the OMEMO devices of JID (your own when "
                      "JID is left out): each device's fingerprint, in OMEMO 0.3 and OMEMO 2, "
                      "and whether you confirmed it. Compare them with a friend's fingerprint "
                      "link or the text of their QR code (--compare), record the ones you "
                      "compared as verified (--verify), and show the link and QR code of the "
                      "verified ones (--link, --qr). Nothing is published and no presence is "
                      "sent."),
        epilog=_("Exit status: 0 when the devices were read (also when there are none: the "
                 "advice says what to do next); 15 when --compare found a fingerprint that "
                 "differs from the link; 10 when logging in failed; 7 when the server could not "
                 "be reached or did not answer in time; 8 for a certificate problem; 9 when the "
                 "server offers no TLS; 11 when the server would not show the devices or its "
                 "answers made no sense; 12 when the list of verified fingerprints could not be "
                 "read or written; 13 when Tor could not be used and 14 when a launched tor did "
                 "not finish connecting; 2 for invalid options (a device --verify cannot "
                 "record, too); 130 when cancelled."),
    )
    parser.add_argument("jid", metavar="JID", nargs="?",
                        help=_("whose devices to show, e.g. friend@example.org (default: the "
                               "account's own devices, or the address in --compare's link)"))
    parser.add_argument("--account", required=True, metavar="ACCOUNT_JID",
                        help=_("log in with this account, e.g. alice@example.org; its password "
                               "comes from the options below, else from the credentials saved "
                               "when it was created here, else it is asked on the terminal"))
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument("--password-stdin", action="store_true",
                        help=_("read the password from the first line of standard input"))
    secret.add_argument("--password-file", type=Path, metavar="FILE",
                        help=_("read the password from the first line of FILE"))
    add_connection_options(parser)
    add_tor_options(parser)
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=_("give up on each step after this many seconds (default 30)"))
    parser.add_argument("--verify", action="append", default=[], metavar="ID",
                        help=_("after comparing with the owner, record device ID's fingerprint "
                               "as verified (repeatable; “all” for every device shown; with "
                               "--compare only devices that match the link)"))
    parser.add_argument("--compare", metavar="LINK",
                        help=_("compare with a fingerprint link (xmpp:…?omemo-sid-…, the text "
                               "of a Conversations or Gajim QR code; quote it for the shell)"))
    parser.add_argument("--link", action="store_true",
                        help=_("print the fingerprint link of the verified devices"))
    parser.add_argument("--qr", action="store_true",
                        help=_("draw the QR code of that link, with the link under it"))
    parser.add_argument("--json", action="store_true",
                        help=_("print a JSON list of the devices"))
    parser.set_defaults(handler=run, usage_error=parser.error)


@dataclass(frozen=True)
class Compared:
    """One device in --compare: what the server shows next to what the link says."""

    device_id: int
    result: str  # SAME, DIFFERENT, NOT_IN_LINK or NOT_ON_SERVER
    server: str | None = None
    link: str | None = None


@dataclass(frozen=True)
class Outcome:
    report: DeviceReport
    statuses: list[str]  # per device of the report
    compared: list[Compared] | None
    recorded: list[int]


def run(args: argparse.Namespace) -> int:
    import asyncio

    if args.json and (args.link or args.qr):
        args.usage_error(_("--link and --qr print a link, --json prints the list of devices: "
                           "use one or the other."))
    terminal: Terminal | None = None
    try:
        if not 0 < args.timeout <= 600:
            raise InvalidInputError(_("--timeout must be more than 0 and at most 600 seconds."))
        from onboard.core.omemo.jid import bare_jid

        account = bare_jid(args.account)
        target, link = _target_and_link(args, account)
        wanted = _parse_verify(args.verify)
        password = read_password(args.password_stdin, args.password_file)
        saved = saved_account(account)
        if password is None and saved is not None:
            password = saved.password
        if password is None:
            terminal = Terminal()
            password = ask_account_password(terminal, account)
        state = connection_state(args, account, saved)
        report = asyncio.run(_fetch(args, state, account, password, target))
        outcome = _settle(report, link, wanted)
    except OnboardError as error:
        return report_error(error, args.json)
    except KeyboardInterrupt:
        return 130
    finally:
        if terminal is not None:
            terminal.close()
    if args.json:
        _print_json(outcome)
    else:
        _print_text(outcome, args.link, args.qr)
    differs = any(c.result == DIFFERENT for c in outcome.compared or [])
    return EXIT_DIFFERENT if differs else 0


# --- options -----------------------------------------------------------------------------------


def _target_and_link(args: argparse.Namespace,
                     account: str) -> tuple[str, dict[int, str] | None]:
    """Whose devices to read, and the link's {device id: fingerprint} with --compare."""
    from onboard.core.omemo.jid import bare_jid
    from onboard.core.omemo.link import parse_link

    target = bare_jid(args.jid) if args.jid else None
    if args.compare is None:
        return target or account, None
    link_jid, entries = parse_link(args.compare)
    if target is not None and target != link_jid:
        raise InvalidInputError(
            _("The link is for {link_jid}, not for {jid}: leave JID out, or compare with "
              "{jid}'s own link.").format(link_jid=link_jid, jid=target))
    return link_jid, entries


def _parse_verify(values: list[str]) -> set[int] | None:
    """The device ids of --verify; None for “all”."""
    from onboard.core.omemo.fingerprint import check_device_id

    ids: set[int] = set()
    every = False
    for value in values:
        text = value.strip()
        if text.lower() == "all":
            every = True
        elif text.isascii() and text.isdigit() and len(text) <= 10:
            ids.add(check_device_id(int(text)))
        else:
            raise InvalidInputError(
                _("--verify takes a device number or “all”, not “{text}”.").format(
                    text=text[:40]))
    return None if every else ids


# --- the work ----------------------------------------------------------------------------------


async def _fetch(args: argparse.Namespace, state: WizardState, account: str, password: str,
                 target: str) -> DeviceReport:
    from onboard.cli.tor import network_for
    from onboard.core.omemo.pep import fetch_devices

    async with network_for(args, state.network) as network:
        return await fetch_devices(account, password, target, state.server(), network,
                                   args.timeout)


def compare(report: DeviceReport, link: dict[int, str]) -> list[Compared]:
    """Each device shown, then each device only in the link, with what the two sides say."""
    found = []
    for device in report.devices:
        expected = link.get(device.device_id)
        if expected is None:
            found.append(Compared(device.device_id, NOT_IN_LINK, device.fingerprint))
        else:
            result = SAME if expected == device.fingerprint else DIFFERENT
            found.append(Compared(device.device_id, result, device.fingerprint, expected))
    shown = {device.device_id for device in report.devices}
    found += [Compared(device_id, NOT_ON_SERVER, None, fingerprint)
              for device_id, fingerprint in link.items() if device_id not in shown]
    return found


def _settle(report: DeviceReport, link: dict[int, str] | None,
            wanted: set[int] | None) -> Outcome:
    """Compare, record what --verify asked for (all or nothing), and read each status."""
    from onboard.core.omemo import verified

    compared = compare(report, link) if link is not None else None
    recorded: list[int] = []
    if wanted is None or wanted:
        chosen = _to_record(report, compared, wanted)
        verified.mark_many(report.account_jid, report.jid, chosen)
        recorded = sorted(chosen)
    statuses = [verified.status(report.account_jid, report.jid, device.device_id,
                                device.fingerprint) for device in report.devices]
    return Outcome(report, statuses, compared, recorded)


def _to_record(report: DeviceReport, compared: list[Compared] | None,
               wanted: set[int] | None) -> dict[int, str]:
    """{device id: fingerprint} to record for --verify; InvalidInputError (and nothing
    recorded) when one of them cannot be."""
    keys: dict[int, set[str]] = {}
    for device in report.devices:
        keys.setdefault(device.device_id, set()).add(device.fingerprint)
    matching = None
    if compared is not None:
        differing = {c.device_id for c in compared if c.result != SAME}
        matching = {c.device_id for c in compared if c.result == SAME} - differing
    if wanted is None:  # all
        wanted = set(keys) if matching is None else matching
        if not wanted:
            raise InvalidInputError(
                _("No device matches the link, so nothing was recorded.") if matching is not None
                else _("{jid} has no device to verify, so nothing was recorded.").format(
                    jid=report.jid))
    chosen: dict[int, str] = {}
    for device_id in sorted(wanted):
        if device_id not in keys:
            shown = ", ".join(str(i) for i in sorted(keys)) or _("none")
            raise InvalidInputError(
                _("Device {id} is not among the devices of {jid} (shown: {ids}), so nothing "
                  "was recorded.").format(id=device_id, jid=report.jid, ids=shown))
        if len(keys[device_id]) > 1:
            raise InvalidInputError(
                _("Device {id} shows different keys under OMEMO 0.3 and OMEMO 2, so it cannot "
                  "be verified and nothing was recorded.").format(id=device_id))
        if matching is not None and device_id not in matching:
            raise InvalidInputError(
                _("Device {id} does not match the link, so nothing was recorded: only devices "
                  "whose fingerprint is the same as in the link can be verified with "
                  "--compare.").format(id=device_id))
        chosen[device_id] = next(iter(keys[device_id]))
    return chosen


# --- output ------------------------------------------------------------------------------------


def device_rows(outcome: Outcome) -> list[dict[str, object]]:
    """The --json list: one object per device and namespace it was found in (with --compare,
    what the link says about it)."""
    rows: list[dict[str, object]] = []
    for index, (device, status) in enumerate(zip(outcome.report.devices, outcome.statuses,
                                                 strict=True)):
        for namespace in device.namespaces:
            row: dict[str, object] = {
                "namespace": namespace,
                "device_id": device.device_id,
                "fingerprint": device.fingerprint,
                "label": device.label,
                "status": status,
            }
            if outcome.compared is not None:  # compare() lists the devices first, in order
                row["comparison"] = outcome.compared[index].result
            rows.append(row)
    return rows


def _notes(outcome: Outcome) -> list[str]:
    """What goes beside the devices: key changes, problems, advice, devices only in the link."""
    from onboard.core.omemo import verified

    report = outcome.report
    notes = [_changed_warning(report.jid, device.device_id)
             for device, status in zip(report.devices, outcome.statuses, strict=True)
             if status == verified.CHANGED]
    notes += [problem.message for problem in report.problems]
    if report.advice:
        notes.append(report.advice)
    return notes


def _changed_warning(jid: str, device_id: int) -> str:
    return _("WARNING: device {id} of {jid} has a different key from the one you verified. "
             "Do not trust it before comparing the new fingerprint with its owner, face to face "
             "or on a call.").format(id=device_id, jid=jid)


def _print_json(outcome: Outcome) -> None:
    sys.stdout.write(json.dumps(device_rows(outcome), ensure_ascii=False) + "\n")
    sys.stdout.flush()
    lines = _notes(outcome)
    for compared in outcome.compared or []:
        if compared.result == NOT_ON_SERVER:
            lines.append(_not_on_server(compared, outcome.report.jid))
    if any(c.result == DIFFERENT for c in outcome.compared or []):
        lines.append(_different_warning(outcome.report.jid))
    for line in lines:
        sys.stderr.write(line + "\n")


def _status_text(status: str) -> str:
    from onboard.core.omemo import verified

    return {
        verified.VERIFIED: _("verified"),
        verified.CHANGED: _("CHANGED: you verified this device with another key"),
    }.get(status, _("not verified"))


def _namespaces_text(device: Device) -> str:
    from onboard.core.omemo.fingerprint import namespace_name

    names = [namespace_name(namespace) for namespace in device.namespaces]
    if len(names) == 2:
        return _("{first} and {second}").format(first=names[0], second=names[1])
    return ", ".join(names)


def format_devices(outcome: Outcome) -> str:
    """The devices as a person reads them, with the problems and advice after them."""
    report = outcome.report
    lines = []
    if report.own:
        lines.append(_("Your own OMEMO devices ({jid}):").format(jid=report.jid))
    else:
        lines.append(_("OMEMO devices of {jid}, seen from {account}:").format(
            jid=report.jid, account=report.account_jid))
    if not report.devices and not report.no_omemo:
        lines.append(_("No device with readable keys."))
    for device, status in zip(report.devices, outcome.statuses, strict=True):
        head = _("Device {id} ({namespaces})").format(id=device.device_id,
                                                      namespaces=_namespaces_text(device))
        if device.label:
            head += f" “{device.label}”"
        lines += ["", head, "  " + device.display, "  " + _status_text(status)]
    notes = _notes(outcome)
    if notes:
        lines.append("")
        lines += notes
    return "\n".join(lines)


def format_comparison(compared: list[Compared], jid: str) -> str:
    from onboard.core.omemo.fingerprint import format_fingerprint

    lines = [_("Compared with the link for {jid}:").format(jid=jid)]
    for item in compared:
        if item.result == SAME:
            lines.append(_("  Device {id}: same").format(id=item.device_id))
        elif item.result == DIFFERENT:
            lines.append(_("  Device {id}: DIFFERENT").format(id=item.device_id))
            lines.append(_("    the link says:    {fingerprint}").format(
                fingerprint=" ".join(format_fingerprint(item.link or ""))))
            lines.append(_("    the server shows: {fingerprint}").format(
                fingerprint=" ".join(format_fingerprint(item.server or ""))))
        elif item.result == NOT_IN_LINK:
            lines.append(_("  Device {id}: only on the server (not in the link)").format(
                id=item.device_id))
        else:
            lines.append("  " + _not_on_server(item, jid))
    if any(item.result == DIFFERENT for item in compared):
        lines.append(_different_warning(jid))
    elif any(item.result == SAME for item in compared):
        lines.append(_("Every device in both the link and on the server has the same "
                       "fingerprint."))
    return "\n".join(lines)


def _not_on_server(item: Compared, jid: str) -> str:
    return _("Device {id}: only in the link (the server does not show it for {jid})").format(
        id=item.device_id, jid=jid)


def _different_warning(jid: str) -> str:
    return _("WARNING: a fingerprint on the server is not the one in the link. Someone may be "
             "pretending to be {jid}, or the device was set up again. Do not verify it: ask "
             "{jid} face to face or on a call.").format(jid=jid)


def _print_text(outcome: Outcome, link: bool, qr: bool) -> None:
    report = outcome.report
    print(format_devices(outcome))
    if outcome.compared is not None:
        print()
        print(format_comparison(outcome.compared, report.jid))
    if outcome.recorded:
        print()
        print(_("Recorded as verified: {ids}").format(
            ids=", ".join(_("device {id}").format(id=i) for i in outcome.recorded)))
    if link or qr:
        print()
        print(verified_link_text(outcome, qr))


def verified_link_text(outcome: Outcome, qr: bool) -> str:
    """The link of the verified devices (and its QR code), or how to verify them."""
    from onboard.core.omemo import verified
    from onboard.core.omemo.link import build_link

    chosen = [device for device, status in zip(outcome.report.devices, outcome.statuses,
                                               strict=True)
              if status == verified.VERIFIED]
    if not chosen:
        return _("None of these devices is verified yet, so there is no link to show. Compare "
                 "the fingerprints with their owner (face to face, on a call, or with --compare "
                 "and their link), then record them with --verify ID, or --verify all.")
    text = build_link(outcome.report.jid, chosen)
    if not qr:
        return text
    from onboard.core.qr import qr_matrix, to_ansi

    return to_ansi(qr_matrix(text)) + "\n" + text
