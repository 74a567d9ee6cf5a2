"""calcdetect: microcalcification detection on mammogram DICOMs.

Not a medical device.  See the README for what it does and does not do.

The public API, importable from the package itself::

    from calcdetect import read_mammogram, detect_mammogram, DetectorConfig, scan_folder

    mammogram = read_mammogram("image.dcm")
    result = detect_mammogram(mammogram)  # as a scan does: spacing, view and the film flag from the header
    print(result.flag, len(result.clusters))
    summary = scan_folder("dicoms/", "scan-out", workers=2)

The names are loaded on first use, so ``import calcdetect`` stays cheap and the
command line starts fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: public name -> module that defines it
_PUBLIC = {
    "read_mammogram": "calcdetect.io",
    "Mammogram": "calcdetect.results",
    "Calcification": "calcdetect.results",
    "Cluster": "calcdetect.results",
    "ImageResult": "calcdetect.results",
    "DetectorConfig": "calcdetect.config",
    "detect": "calcdetect.detector.pipeline",
    "detect_mammogram": "calcdetect.detector.pipeline",
    "patient_flag": "calcdetect.detector.pipeline",
    "scan_folder": "calcdetect.batch.scan",
    "ScanSummary": "calcdetect.batch.summary",
    "CalcdetectError": "calcdetect.errors",
    "ScanError": "calcdetect.errors",
    "patient_key": "calcdetect.keys",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    # PEP 562 lazy loading: the submodules import heavy libraries (pydicom, OpenCV).
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'calcdetect' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
