"""SCOORD conventions and the certainty mapping, against hand-derived numbers."""

from __future__ import annotations

import numpy as np
import pytest

from calcdetect.sr.coords import (
    bbox_polyline, center_point, certainty_percent, point_to_index, polyline_to_bbox, score_from_certainty,
)


def test_pixel_centre_is_half_a_pixel_from_the_corner_and_column_first():
    # the top-left pixel (index 0, 0) has its centre at 0.5\0.5 (PS3.3 C.18.6.1.2)
    assert center_point(0, 0).tolist() == [[0.5, 0.5]]
    # row 10, col 20 -> (column, row) = (20.5, 10.5)
    assert center_point(10, 20).tolist() == [[20.5, 10.5]]
    assert point_to_index([20.5, 10.5]) == (10.0, 20.0)


def test_bbox_outline_runs_along_the_outer_pixel_corners_and_closes():
    # rows 5..7 and cols 1..3 inclusive: corners at x = 1 and 4, y = 5 and 8
    outline = bbox_polyline(5, 1, 7, 3)
    assert outline.tolist() == [[1, 5], [4, 5], [4, 8], [1, 8], [1, 5]]
    assert polyline_to_bbox(outline.ravel()) == (5, 1, 7, 3)
    # a one-pixel box is a 1 x 1 square
    assert np.ptp(bbox_polyline(9, 9, 9, 9), axis=0).tolist() == [1, 1]
    with pytest.raises(ValueError, match="row_min <= row_max"):
        bbox_polyline(5, 1, 4, 3)


def test_certainty_is_half_at_the_threshold_monotonic_and_invertible():
    assert certainty_percent(5.31, threshold=5.31) == pytest.approx(50.0)
    assert certainty_percent(0.0, threshold=5.31) == 0.0
    assert certainty_percent(3 * 5.31, threshold=5.31) == pytest.approx(75.0)  # 3t / 4t
    scores = [0.5, 4.0, 5.31, 9.0, 40.0]
    values = [certainty_percent(s, threshold=5.31) for s in scores]
    assert values == sorted(values) and all(0 <= v < 100 for v in values)
    for s, c in zip(scores, values):
        assert score_from_certainty(c, threshold=5.31) == pytest.approx(s)
    with pytest.raises(ValueError, match="positive"):
        certainty_percent(1.0, threshold=0)
    with pytest.raises(ValueError, match=">= 0"):
        certainty_percent(-1.0, threshold=5.0)
