"""Pixel indices to SCOORD graphic data, and the cluster score to a certainty.

Conventions (PS3.3 C.18.6.1.2, Graphic Data of a SCOORD): a point is a
(column, row) pair -- column first -- in image pixel units whose origin
0.0\\0.0 is the top-left *corner* of the top-left pixel, so the centre of that
pixel is 0.5\\0.5 and the bottom-right corner of the image is Columns\\Rows.
calcdetect's positions are 0-based pixel indices of pixel centres (row, col),
so a centre at index (row, col) is the SCOORD point (col + 0.5, row + 0.5).

A cluster's outline is the border of its inclusive pixel bounding box
(``row_min..row_max``, ``col_min..col_max`` of ``clusters.csv``): the closed
POLYLINE through the outer corners of those pixels, (col_min, row_min),
(col_max + 1, row_min), (col_max + 1, row_max + 1), (col_min, row_max + 1) and
back to the first point (a closed polyline repeats its first point last).

Certainty of Finding (TID 4006, 0-100 %) is the cluster score s mapped by
``100 * s / (s + t)``, t the detector's image threshold: a cluster exactly at
the operating point is 50 %, the mapping is monotonic and invertible
(``s = t * c / (100 - c)``) so the score can be recovered; it is a
re-scaling of the score, not a calibrated probability of anything.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "center_point",
    "point_to_index",
    "bbox_polyline",
    "polyline_to_bbox",
    "certainty_percent",
    "score_from_certainty",
]


def center_point(row_px: float, col_px: float) -> np.ndarray:
    """SCOORD POINT graphic data, shape (1, 2) = [[column, row]], of a pixel-centre index."""
    return np.array([[float(col_px) + 0.5, float(row_px) + 0.5]], dtype=np.float64)


def point_to_index(graphic_data) -> tuple[float, float]:
    """(row_px, col_px) of a SCOORD POINT; the inverse of :func:`center_point`."""
    col, row = (float(v) for v in list(graphic_data)[:2])
    return row - 0.5, col - 0.5


def bbox_polyline(row_min_px: int, col_min_px: int, row_max_px: int, col_max_px: int) -> np.ndarray:
    """Closed POLYLINE graphic data, shape (5, 2), around an inclusive pixel bounding box.

    Raises
    ------
    ValueError
        When the box is empty (a maximum below its minimum).
    """
    if row_max_px < row_min_px or col_max_px < col_min_px:
        raise ValueError(
            "a bounding box needs row_min <= row_max and col_min <= col_max, got "
            f"rows {row_min_px}..{row_max_px}, cols {col_min_px}..{col_max_px}"
        )
    left, top = float(col_min_px), float(row_min_px)
    right, bottom = float(col_max_px) + 1.0, float(row_max_px) + 1.0
    return np.array([[left, top], [right, top], [right, bottom], [left, bottom], [left, top]])


def polyline_to_bbox(graphic_data) -> tuple[int, int, int, int]:
    """(row_min, col_min, row_max, col_max) of a polyline from :func:`bbox_polyline`."""
    points = np.asarray(list(graphic_data), dtype=np.float64).reshape(-1, 2)
    cols, rows = points[:, 0], points[:, 1]
    return (int(round(rows.min())), int(round(cols.min())),
            int(round(rows.max())) - 1, int(round(cols.max())) - 1)


def certainty_percent(score: float, *, threshold: float) -> float:
    """Certainty of Finding in % from a cluster score: ``100 * s / (s + t)``.

    Raises
    ------
    ValueError
        For a threshold that is not positive or a negative / non-finite score.
    """
    if not (math.isfinite(threshold) and threshold > 0):
        raise ValueError(f"the score threshold must be a positive number, got {threshold!r}")
    if not (math.isfinite(score) and score >= 0):
        raise ValueError(f"a cluster score must be a finite number >= 0, got {score!r}")
    return 100.0 * score / (score + threshold)


def score_from_certainty(certainty: float, *, threshold: float) -> float:
    """The cluster score of a Certainty of Finding: the inverse of :func:`certainty_percent`."""
    if not 0 <= certainty < 100:
        raise ValueError(f"a certainty from certainty_percent lies in [0, 100), got {certainty!r}")
    return threshold * certainty / (100.0 - certainty)
