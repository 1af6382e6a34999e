"""The `relance` command: assembles the subcommands of `relance.commands` and runs one.

Bad input exits with code 2 and a message naming what was wrong and where, in the
reader's language: an argument's value is checked by its type before anything runs
(`relance.commands.arguments`), a setting when Django starts, a file's content by the
command that reads it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from relance import config
from relance.commands import (
    agenda,
    alerts,
    apikey,
    common,
    exporting,
    imports,
    inbound,
    mail,
    matching,
    merging,
    rights,
    serving,
    setup,
    simulate,
    worker,
)
from relance.commands.arguments import Kinds, Parser
from relance.engine.policy import PolicyError
from relance.errors import InputError

EXIT_BAD_INPUT = common.EXIT_BAD_INPUT
BadInput = common.BadInput
default_language = common.default_language


def build_parser(lang: str | None = None) -> argparse.ArgumentParser:
    parser = Parser(
        prog="relance",
        description="Relance: the right follow-up, to the right candidate, at the right time "
        "— and never harassment.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    kinds = Kinds(lang or "en")
    for module in (setup, serving, agenda, simulate, inbound, worker, mail, rights, merging,
                   apikey, imports, exporting, matching, alerts):  # fmt: skip
        module.add_parsers(sub, kinds)
    manage = sub.add_parser("manage", help="run a Django management command", add_help=False)
    manage.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def _language_asked(argv: Sequence[str]) -> str | None:
    """`--lang fr` or `--lang=en` on the command line, read before parsing so that the
    arguments' own messages are in that language."""
    for index, word in enumerate(argv):
        if word == "--lang" and index + 1 < len(argv):
            value = argv[index + 1]
        elif word.startswith("--lang="):
            value = word.removeprefix("--lang=")
        else:
            continue
        return value if value in ("fr", "en") else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    asked = _language_asked(words)
    config.use_language(asked)  # a bad setting is then reported in that language
    try:
        try:
            lang = asked or default_language()
        except InputError as error:  # RELANCE_LANGUAGE=de
            print(f"relance: {error}", file=sys.stderr)
            return EXIT_BAD_INPUT
        try:
            args = build_parser(lang).parse_args(words)
        except SystemExit as stopped:  # a bad argument (2, said on stderr), or --help (0)
            return stopped.code if isinstance(stopped.code, int) else EXIT_BAD_INPUT
        return _run(args)
    finally:
        config.use_language(None)


def _run(args: argparse.Namespace) -> int:
    if args.command == "inbound" and args.classify:
        # Classifying reads files only: no database, no Django.
        try:
            return inbound.classify_files(args)
        except InputError as error:
            print(f"relance {args.command}: {error}", file=sys.stderr)
            return EXIT_BAD_INPUT
    if args.command == "simulate":
        # A throw-away database: nothing a simulation does can touch real data.
        os.environ["DATABASE_URL"] = "sqlite://:memory:"
    try:
        common.setup_django()
        if args.command == "manage":
            from django.core.management import execute_from_command_line

            execute_from_command_line(["relance manage", *args.args])
            return 0
        return int(args.run(args))
    except (InputError, PolicyError) as error:
        print(f"relance {args.command}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
