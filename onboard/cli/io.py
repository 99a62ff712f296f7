"""Terminal input and output for the CLI: prompts on the terminal, results on stdout."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from onboard.core.crash import remember_secret
from onboard.core.errors import InvalidInputError, OnboardError
from onboard.i18n import _

if TYPE_CHECKING:
    from onboard.core.accounts import SavedAccount
    from onboard.core.flow import WizardState


class Terminal:
    """Asks the user on the controlling terminal, so stdin stays free for --password-stdin."""

    def __init__(self) -> None:
        self._tty_in: IO[str] | None = None
        self._tty_out: IO[str] | None = None
        with contextlib.suppress(OSError):
            self._tty_in = open("/dev/tty", encoding="utf-8")  # noqa: SIM115
            self._tty_out = open("/dev/tty", "w", encoding="utf-8")  # noqa: SIM115

    @property
    def interactive(self) -> bool:
        return self._tty_in is not None

    def say(self, text: str = "") -> None:
        out = self._tty_out or sys.stderr
        out.write(text + "\n")
        out.flush()

    def ask(self, prompt: str, missing_hint: str) -> str:
        if self._tty_in is None or self._tty_out is None:
            raise InvalidInputError(missing_hint)
        self._tty_out.write(prompt)
        self._tty_out.flush()
        line = self._tty_in.readline()
        if not line:
            raise InvalidInputError(missing_hint)
        return line.rstrip("\n")

    def ask_secret(self, prompt: str, missing_hint: str) -> str:
        if self._tty_in is None:
            raise InvalidInputError(missing_hint)
        secret = getpass.getpass(prompt)
        remember_secret(secret)
        return secret

    def close(self) -> None:
        for handle in (self._tty_in, self._tty_out):
            if handle is not None:
                handle.close()


def read_password(stdin: bool, file: Path | None) -> str | None:
    """The password from --password-stdin or --password-file (never from argv or env)."""
    if stdin:
        value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            raise InvalidInputError(_("No password arrived on standard input."))
        remember_secret(value)
        return value
    if file is not None:
        try:
            value = file.read_text("utf-8").splitlines()[0] if file.stat().st_size else ""
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInputError(
                _("The password file {path} could not be read: {error}").format(
                    path=file, error=getattr(exc, "strerror", None) or exc)
            ) from None
        if not value:
            raise InvalidInputError(_("The password file {path} is empty.").format(path=file))
        remember_secret(value)
        return value
    return None


def emit_json(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def report_error(error: OnboardError, as_json: bool) -> int:
    if as_json:
        emit_json({"error": error.to_json()})
        return error.exit_code
    line = error.message
    if error.hint:
        line += " " + error.hint
    sys.stderr.write(_("Error: {line}").format(line=line) + "\n")
    web_url = getattr(error, "web_url", None)
    if web_url and sys.stderr.isatty():
        from onboard.core.qr import qr_matrix, to_ansi

        sys.stderr.write(_("Scan this with a phone to open the sign-up page:") + "\n")
        sys.stderr.write(to_ansi(qr_matrix(web_url)) + "\n")
    return error.exit_code


def saved_account(account: str) -> SavedAccount | None:
    """The credentials saved for `account` when it was created here (a confirmed one first)."""
    from onboard.core.accounts import find_saved

    return find_saved(account)


def ask_account_password(terminal: Terminal, account: str) -> str:
    """The password of `account`, typed on the terminal (hidden), when none was given."""
    hint = _("No password for {jid}: no credentials of it are saved here. Give the password "
             "with --password-stdin or --password-file.").format(jid=account)
    password = terminal.ask_secret(_("Password of {jid}: ").format(jid=account), hint)
    if not password:
        raise InvalidInputError(_("No password was typed."))
    return password


def connection_state(args: argparse.Namespace, account: str,
                     saved: SavedAccount | None) -> WizardState:
    """Where to connect: the options, else where the saved account was created, else DNS."""
    from onboard.core.flow import WizardState

    host, port, direct_tls = args.host, args.port, args.direct_tls
    if host is None and port is None and saved is not None and saved.host:
        host, port, direct_tls = saved.host, saved.port, direct_tls or saved.direct_tls
    if port is not None and not 0 < port < 65536:
        raise InvalidInputError(_("The port must be between 1 and 65535."))
    if args.ca_file is not None and not args.ca_file.is_file():
        raise InvalidInputError(_("The CA file {path} does not exist.").format(path=args.ca_file))
    return WizardState(domain=account.partition("@")[2], host=host, port=port,
                       direct_tls=direct_tls, ca_file=args.ca_file)
