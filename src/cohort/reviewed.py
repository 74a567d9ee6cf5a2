"""Where the flags came from: the detector's ``patients.csv`` or a reader's reviewed one.

``calcdetect review`` writes ``OUT/review/<reader>/patients.csv`` with the
scan's columns, ``flag`` = the reader's reviewed call, plus ``detector_flag``
and ``reader``; that column is how a reviewed file is told apart.  For a
reviewed file the report names the reader and shows how often the reader kept
the detector's call (:func:`cohort.join.agreement`, the reader as reference).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cohort.join import DETECTED, Agreement, agreement, read_patients

__all__ = ["FlagSource", "flag_source", "reader_agreement", "DETECTOR_FLAG"]

#: the column of a reviewed patients.csv (and of the joined data) holding the detector's own flag
DETECTOR_FLAG = "detector_flag"


@dataclass(frozen=True)
class FlagSource:
    """What a ``--flags`` file is: ``reviewed`` (by ``readers``) or the detector's own flags."""

    path: str
    reviewed: bool
    readers: tuple[str, ...] = ()

    def label(self) -> str:
        """How the report names the microcalcification variable's source."""
        if not self.reviewed:
            return f"detector flags ({Path(self.path).name})"
        who = ", ".join(self.readers) or "unnamed reader"
        return f"reviewed calls of reader {who} ({self.path}; the detector's flag kept as {DETECTOR_FLAG})"


def flag_source(path: str | Path) -> FlagSource:
    """Tell a reviewed ``patients.csv`` (it has ``detector_flag``) from the detector's."""
    frame = read_patients(path)
    if DETECTOR_FLAG not in frame.columns:
        return FlagSource(str(path), reviewed=False)
    readers = tuple(sorted({str(r) for r in frame.get("reader", pd.Series(dtype=str)) if str(r).strip()}))
    return FlagSource(str(path), reviewed=True, readers=readers)


def reader_agreement(data: pd.DataFrame) -> Agreement | None:
    """Detector vs reader on the analysed patients (reader as reference); None without ``detector_flag``."""
    if DETECTOR_FLAG not in data.columns:
        return None
    return agreement(data[DETECTOR_FLAG], data[DETECTED])
