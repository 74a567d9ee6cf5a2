"""The ``calcdetect`` command line: one subcommand per module in ``commands/``."""

from __future__ import annotations

import sys

from calcdetect import __version__
from calcdetect.exit_status import EXIT_FATAL, EXIT_OK, EXIT_SOME_SKIPPED
from calcdetect.subcommands import run_command_line

__all__ = ["main", "EXIT_OK", "EXIT_SOME_SKIPPED", "EXIT_FATAL"]


def main(argv: list[str] | None = None) -> int:
    """Run ``calcdetect``; return the process exit status."""
    return run_command_line(
        argv, prog="calcdetect", version=__version__, package="calcdetect",
        names=("scan", "phantoms", "evaluate", "calibrate", "train", "review", "serve"),
        description="Find microcalcification clusters in mammogram DICOMs (research software, "
                    "not a medical device).",
    )


if __name__ == "__main__":
    sys.exit(main())
