"""Blob scales in mm with a floor in pixels."""

from __future__ import annotations

import pytest

from calcdetect.config import DetectorConfig
from calcdetect.detector.responses import blob_scales_mm


@pytest.mark.parametrize("spacing_mm", [0.05, 0.07, 0.1, 0.2])
def test_scales_are_physical_above_the_pixel_floor(spacing_mm):
    cfg = DetectorConfig()
    scales = blob_scales_mm(cfg, spacing_mm)
    assert min(scales) >= cfg.scale_floor_px * spacing_mm - 1e-12
    assert all(b > a for a, b in zip(scales, scales[1:]))
    assert len(scales) >= 2
    # the coarsest scale is the same physical size at every resolution that can hold it
    assert max(scales) == pytest.approx(max(cfg.scale_min_mm * cfg.scale_ratio**cfg.n_scales,
                                            cfg.scale_floor_px * spacing_mm * cfg.scale_ratio))


def test_a_coarse_image_gets_fewer_levels():
    cfg = DetectorConfig()
    assert len(blob_scales_mm(cfg, 0.2)) < len(blob_scales_mm(cfg, 0.05))
