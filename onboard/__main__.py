"""Entry point: no command starts the TUI; commands run the same core from scripts.

Nothing heavy is imported here, so `--help` and `--version` stay fast.
"""

from __future__ import annotations

import argparse
import sys

from onboard import __version__
from onboard.i18n import _, set_language


def build_parser() -> argparse.ArgumentParser:
    from onboard.cli import register

    parser = argparse.ArgumentParser(
        prog="xmpp-onboard",
        description=_("Set up a private, federated XMPP account step by step. Without a "
                      "command, the interactive assistant starts."),
    )
    parser.add_argument("--version", action="version", version=f"xmpp-onboard {__version__}")
    parser.add_argument("--lang", choices=("en", "de"),
                        help=_("language of the assistant (default: from the environment)"))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    register.add_parser(commands)
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
    if args.command is None:
        from onboard.ui.app import make_app

        app = make_app()
        app.run()
        return int(app.return_code or 0)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
