"""Batch scanning of a DICOM folder: ``calcdetect scan`` as a Python API.

>>> from calcdetect.batch import scan_folder          # doctest: +SKIP
>>> summary = scan_folder("archive/", "out/", workers=4)  # doctest: +SKIP
>>> summary.n_positive_patients                        # doctest: +SKIP

See docs/outputs.md for the files written.
"""

from __future__ import annotations

from calcdetect.errors import ScanError
from .scan import scan_folder
from .summary import ScanSummary, format_summary

__all__ = ["scan_folder", "ScanSummary", "ScanError", "format_summary"]
