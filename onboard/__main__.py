"""Entry point: no command starts the TUI; commands run the same core from scripts.

Nothing heavy is imported here, so `--help` and `--version` stay fast.
"""

from __future__ import annotations

import argparse
import os
import sys

from onboard import __version__
from onboard.i18n import _, set_language


def build_parser() -> argparse.ArgumentParser:
    from onboard.cli import (
        accounts,
        fingerprints,
        guides,
        handout,
        hello,
        invite,
        probe,
        register,
        servers,
        threat,
        tor,
    )

    parser = argparse.ArgumentParser(
        prog="xmpp-onboard",
        description=_("Set up a private, federated XMPP account step by step. Without a "
                      "command, the interactive assistant starts."),
    )
    parser.add_argument("--version", action="version", version=f"xmpp-onboard {__version__}")
    parser.add_argument("--lang", choices=("en", "de"),
                        help=_("language of the assistant (default: from the environment)"))
    assistant = parser.add_argument_group(
        _("assistant options"),
        _("for a private server or a test server: how the assistant connects to whichever "
          "server is chosen"))
    register.add_connection_options(assistant)
    tor.add_tor_options(assistant)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    register.add_parser(commands)
    probe.add_parser(commands)
    servers.add_parser(commands)
    tor.add_parser(commands)
    fingerprints.add_parser(commands)
    hello.add_parser(commands)
    guides.add_parser(commands)
    handout.add_parser(commands)
    invite.add_parser(commands)
    threat.add_parser(commands)
    accounts.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else argv
    # The language must be set before the parser builds its (translated) help texts.
    for index, arg in enumerate(args_list):
        if arg == "--lang" and index + 1 < len(args_list):
            set_language(args_list[index + 1])
        elif arg.startswith("--lang="):
            set_language(arg.split("=", 1)[1])
    args = build_parser().parse_args(args_list)

    from onboard.core.logs import silence_libraries

    silence_libraries()
    if args.ca_file is not None and not args.ca_file.is_file():
        sys.stderr.write(_("Error: {line}").format(
            line=_("The CA file {path} does not exist.").format(path=args.ca_file))
                         + "\n")
        return 2
    from onboard.core.errors import OnboardError

    try:
        return _run(args)
    except OnboardError as error:  # e.g. an unreadable --bridges file before the app starts
        sys.stderr.write(_("Error: {line}").format(line=f"{error.message} {error.hint}") + "\n")
        return error.exit_code
    except BrokenPipeError:
        # The reader went away (`xmpp-onboard servers | head`): not a problem of ours. Point
        # stdout at /dev/null so that flushing it at exit does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # what a shell reports for a command ended by SIGPIPE
    except Exception as error:  # the last line of defence: a short note, never a traceback
        from onboard.core.crash import save_crash_report

        report = save_crash_report(error)
        sys.stderr.write(_("Unexpected problem ({kind}). Details were saved to {path}; please "
                           "show them to the person helping you or report them to the "
                           "project.").format(kind=type(error).__name__, path=report)
                         + "\n")
        return 1


def follow_the_real_window_size() -> None:
    """Drop COLUMNS and LINES when running in a terminal.

    Some shells (and tmux) export them with the size the window had when the program started,
    and Textual takes them over the terminal's own size: the assistant would then never notice
    the window being resized (nor say when it is too small).
    """
    if sys.stdout.isatty():
        os.environ.pop("COLUMNS", None)
        os.environ.pop("LINES", None)


def _run(args: argparse.Namespace) -> int:
    if args.command is None:
        from onboard.cli.tor import read_bridges
        from onboard.core.flow import WizardState
        from onboard.i18n import current_language
        from onboard.ui.app import make_app

        follow_the_real_window_size()
        # --tor and --bridges preselect the connection step's choice. With --tor on, the
        # state's network starts closed (nothing is sent) until the Tor route is open.
        state = WizardState(language=current_language(), host=args.host, port=args.port,
                            direct_tls=args.direct_tls, ca_file=args.ca_file,
                            tor_mode=str(args.tor), tor_bridges=read_bridges(args.bridges))
        app = make_app(state)
        app.run()
        return int(app.return_code or 0)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
