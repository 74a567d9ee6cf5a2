"""The detector: pixels -> calcifications -> clusters -> image flag.

Pure functions on arrays; :func:`detect` is the pipeline (``pipeline.py``),
the other modules are its stages: ``defects`` (repair), ``mask`` (breast,
pectoral), ``enhance`` (responses, noise), ``candidates`` (peaks, measurement,
rejection), ``cluster`` (grouping, scores).
"""

from __future__ import annotations

from calcdetect.detector.pipeline import detect, detect_mammogram, patient_flag

__all__ = ["detect", "detect_mammogram", "patient_flag"]
