"""CSV text that every reader splits into the rows it was written as.

Python's ``csv`` writer quotes a cell only for the characters of its own line
terminator (``"\\n"`` here), the delimiter and the quote; but ``csv`` readers,
pandas and spreadsheets also end a row at a bare carriage return.  A header
value holding one (a damaged SOP Instance UID, a note typed on another system)
would otherwise split its row in two and shift every later cell: such a row is
written with every cell quoted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

__all__ = ["csv_lines"]


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
