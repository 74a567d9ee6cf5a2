"""CSV text that every reader splits into the rows it was written as.

Python's ``csv`` writer (and pandas' ``to_csv``, which uses it) quotes a cell
only for the characters of its own line terminator (``"\\n"`` here), the
delimiter and the quote; but ``csv`` readers, pandas and spreadsheets also end
a row at a bare carriage return.  A value holding one (a damaged SOP Instance
UID, a patient ID or label typed on another system) would otherwise split its
row in two and shift every later cell: such a row, or such a table, is written
with every cell quoted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["csv_lines", "frame_csv_text", "write_frame_csv"]


def csv_lines(rows: Iterable[Sequence[object]]) -> str:
    """The CSV text of ``rows`` (``"\\n"`` line ends; ``None`` as an empty cell).

    Examples
    --------
    >>> print(csv_lines([("path", "uid"), ("a.dcm", "1.2")]), end="")
    path,uid
    a.dcm,1.2
    >>> csv_lines([("b.dcm", "1.2\\r3")])
    '"b.dcm","1.2\\r3"\\n'
    """
    buf = io.StringIO()
    plain = csv.writer(buf, lineterminator="\n")
    quoted = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for row in rows:
        cells = ["" if cell is None else str(cell) for cell in row]
        (quoted if any("\r" in cell for cell in cells) else plain).writerow(cells)
    return buf.getvalue()


def frame_csv_text(frame: pd.DataFrame, **to_csv: object) -> str:
    """``frame.to_csv`` text without the index and with ``"\\n"`` line ends (and the other
    ``to_csv`` options given, e.g. ``float_format``); every cell quoted when any holds a carriage
    return (otherwise exactly what ``to_csv`` writes)."""
    options = {"index": False, "lineterminator": "\n", **to_csv}
    text = frame.to_csv(**options)
    return text if "\r" not in text else frame.to_csv(**options, quoting=csv.QUOTE_ALL)


def write_frame_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write :func:`frame_csv_text` of ``frame`` to ``path`` (UTF-8, line ends as they are)."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(frame_csv_text(frame))
