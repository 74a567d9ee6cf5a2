"""The ``cohort`` command line: one subcommand per module in ``commands/``."""

from __future__ import annotations

import sys

from calcdetect.subcommands import run_command_line
from cohort import __version__

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run ``cohort``; return the process exit status."""
    return run_command_line(
        argv, prog="cohort", version=__version__, package="cohort", names=("analyze", "bias", "reproduce"),
        description="Join detected microcalcification flags with clinical records and run the "
                    "association study of Yulian et al.",
    )


if __name__ == "__main__":
    sys.exit(main())
