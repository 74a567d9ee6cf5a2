"""Exit statuses of the ``calcdetect`` command line (one place, read by every subcommand)."""

from __future__ import annotations

__all__ = ["EXIT_OK", "EXIT_FATAL", "EXIT_SOME_SKIPPED"]

#: every input analysed
EXIT_OK = 0
#: bad arguments, unwritable output, or another error that stopped the run
EXIT_FATAL = 2
#: the run finished and its outputs are complete, but some inputs were skipped
#: (each is a row of errors.csv)
EXIT_SOME_SKIPPED = 3
