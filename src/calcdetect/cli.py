"""The ``calcdetect`` command line: one subcommand per module in ``commands/``.

Each module in :mod:`calcdetect.commands` defines ``add_parser(subparsers)``
and ``run(args) -> int``; this file only wires them together and configures
logging (the library itself never configures handlers).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from calcdetect import __version__

__all__ = ["main", "EXIT_OK", "EXIT_SOME_SKIPPED", "EXIT_FATAL"]

#: every input analysed
EXIT_OK = 0
#: bad arguments, unwritable output, or another error that stopped the run
EXIT_FATAL = 2
#: the run finished and its outputs are complete, but some inputs were skipped
#: (each is a row of errors.csv)
EXIT_SOME_SKIPPED = 3

_SUBCOMMANDS = ("scan", "phantoms", "evaluate", "calibrate")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="calcdetect",
        description="Find microcalcification clusters in mammogram DICOMs (not a medical device).",
    )
    parser.add_argument("--version", action="version", version=f"calcdetect {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in _SUBCOMMANDS:
        try:
            module = importlib.import_module(f"calcdetect.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"calcdetect.commands.{name}":
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
