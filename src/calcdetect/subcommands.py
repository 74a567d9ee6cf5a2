"""The wiring shared by the ``calcdetect`` and ``cohort`` command lines.

Each subcommand is a module ``<package>.commands.<name>`` that defines
``add_parser(subparsers)`` (which sets ``run`` as the parser default) and
``run(args) -> int``.  Logging is configured here, in the CLI, never in the
library.
"""

from __future__ import annotations

import argparse
import importlib
import logging
from collections.abc import Sequence

__all__ = ["run_command_line"]


def _build_parser(prog: str, description: str, version: str, package: str,
                  names: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--version", action="version", version=f"{prog} {version}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in names:
        importlib.import_module(f"{package}.commands.{name}").add_parser(subparsers)
    return parser


def run_command_line(argv: list[str] | None, *, prog: str, description: str, version: str,
                     package: str, names: Sequence[str]) -> int:
    """Parse ``argv``, configure logging and run the chosen subcommand.

    Returns
    -------
    int
        The subcommand's exit status; argparse's own status (2 for bad
        arguments, 0 for ``--help``) instead of raising ``SystemExit``.
    """
    parser = _build_parser(prog, description, version, package, names)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    return int(args.run(args))
