"""The ``cohort`` command line: one subcommand per module in ``commands/``.

Each module in :mod:`cohort.commands` defines ``add_parser(subparsers)``
and ``run(args) -> int``; this file only wires them together and configures
logging (the library itself never configures handlers).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from cohort import __version__

__all__ = ["main"]


_SUBCOMMANDS = ("analyze", "reproduce")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cohort",
        description="Join detected microcalcification flags with clinical records and run the association study.",
    )
    parser.add_argument("--version", action="version", version=f"cohort {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in _SUBCOMMANDS:
        try:
            module = importlib.import_module(f"cohort.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"cohort.commands.{name}":
                raise
            continue  # subcommand not built yet
        module.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit status."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad arguments, 0 on --help
        return int(exc.code or 0)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
