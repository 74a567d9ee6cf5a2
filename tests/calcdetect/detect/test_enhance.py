"""The difference-of-Gaussians detection response."""

from __future__ import annotations

import numpy as np
import pytest

from calcdetect.detector.enhance import dog_mm, white_tophat_mm


def test_dog_ignores_a_linear_ramp_that_the_tophat_keeps_part_of():
    yy, xx = np.mgrid[:200, :200].astype(np.float32)
    ramp = 1000.0 + 3.0 * xx + 2.0 * yy - 0.02 * (xx - 100.0) ** 2  # a gentle ridge
    dog = dog_mm(ramp, spacing_mm=(0.1, 0.1), inner_mm=0.06, outer_mm=0.15)
    inner = (slice(20, -20), slice(20, -20))
    assert np.abs(dog[inner]).max() < 0.05  # ~ curvature x (outer^2 - inner^2) / 2
    # for comparison: a 1 mm top-hat leaves the curvature of the same ramp
    tophat = white_tophat_mm(ramp, spacing_mm=(0.1, 0.1), size_mm=1.0)
    assert tophat[inner].max() > 10 * np.abs(dog[inner]).max()  # ~ curvature x size^2 / 8


@pytest.mark.parametrize("spacing", [0.05, 0.1, 0.2])
def test_dog_peaks_on_a_small_disc(spacing):
    n = int(round(20 / spacing))
    img = np.zeros((n, n), np.float32)
    yy, xx = np.mgrid[:n, :n]
    centre = n // 2
    r_px = 0.15 / spacing
    img[(yy - centre) ** 2 + (xx - centre) ** 2 <= max(r_px, 0.5) ** 2] = 100.0
    dog = dog_mm(img, spacing_mm=(spacing, spacing), inner_mm=0.06, outer_mm=0.15)
    r, c = np.unravel_index(np.argmax(dog), dog.shape)
    assert abs(r - centre) <= 1 and abs(c - centre) <= 1
    assert dog.max() > 0
