"""The difference-of-Gaussians levels of the detector (``responses.dog_levels``) and the top-hat."""

from __future__ import annotations

import numpy as np
import pytest

from calcdetect.config import DetectorConfig
from calcdetect.detector.enhance import white_tophat_mm
from calcdetect.detector.responses import dog_levels


def test_dog_levels_ignore_a_linear_ramp_and_leak_only_the_curvature():
    yy, xx = np.mgrid[:200, :200].astype(np.float32)
    ramp = 1000.0 + 3.0 * xx + 2.0 * yy - 0.02 * (xx - 100.0) ** 2  # a gentle ridge, curvature -0.04 / px^2
    scales, levels, _ = dog_levels(ramp, spacing_mm=(0.1, 0.1), config=DetectorConfig())
    inner = (slice(20, -20), slice(20, -20))
    for k, level in enumerate(levels):
        inner_px, outer_px = scales[k] / 0.1, scales[k + 1] / 0.1
        leak = 0.04 * (outer_px**2 - inner_px**2) / 2  # curvature x (outer^2 - inner^2) / 2
        assert np.abs(level[inner]).max() < 1.2 * leak, k
    # for comparison: a 1 mm top-hat keeps far more of the same ridge (~ curvature x size^2 / 8)
    tophat = white_tophat_mm(ramp, spacing_mm=(0.1, 0.1), size_mm=1.0)
    assert tophat[inner].max() > 10 * np.abs(levels[0][inner]).max()


@pytest.mark.parametrize("spacing", [0.05, 0.1, 0.2])
def test_every_dog_level_peaks_on_a_small_disc(spacing):
    n = int(round(20 / spacing))
    img = np.zeros((n, n), np.float32)
    yy, xx = np.mgrid[:n, :n]
    centre = n // 2
    r_px = 0.15 / spacing
    img[(yy - centre) ** 2 + (xx - centre) ** 2 <= max(r_px, 0.5) ** 2] = 100.0
    _, levels, _ = dog_levels(img, spacing_mm=(spacing, spacing), config=DetectorConfig())
    for level in levels:
        r, c = np.unravel_index(np.argmax(level), level.shape)
        assert abs(r - centre) <= 1 and abs(c - centre) <= 1
        assert level.max() > 0
