"""Detector defects (hot pixels, dead lines) are repaired and never make a cluster."""

from __future__ import annotations

import numpy as np

from calcdetect.detector.defects import repair_isolated_saturated
from calcdetect.detector.pipeline import detect

TOP = 4095.0


def _noisy(shape=(400, 400), seed=0) -> np.ndarray:
    return np.random.default_rng(seed).normal(1000.0, 5.0, shape).astype(np.float32)


def test_hot_pixels_and_a_dead_row_are_replaced_by_their_neighbourhood():
    img = _noisy()
    img[100, 100] = img[103, 108] = TOP
    img[300, 50:250] = TOP  # a dead row segment, one pixel wide
    fixed, n = repair_isolated_saturated(img)
    assert n == 2 + 200
    assert fixed.max() < 1100.0
    assert np.array_equal(fixed[:290], np.where(img[:290] == TOP, fixed[:290], img[:290]))


def test_a_real_blurred_bright_object_is_left_alone():
    img = _noisy()
    yy, xx = np.mgrid[:400, :400]
    img += (800.0 * np.exp(-((yy - 200) ** 2 + (xx - 200) ** 2) / (2 * 1.2**2))).astype(np.float32)
    fixed, n = repair_isolated_saturated(img)  # its peak is the image maximum, but blurred
    assert n == 0
    assert fixed is img


def test_a_saturated_label_is_not_a_defect():
    img = _noisy()
    img[20:40, 20:80] = TOP  # burned-in label: a block, not isolated pixels
    fixed, n = repair_isolated_saturated(img)
    assert n == 0


def test_a_burst_of_hot_pixels_within_two_mm_does_not_flag_the_image(scene, config):
    sc = scene(size_mm=(40.0, 40.0))
    img = sc.render(0.1)
    rng = np.random.default_rng(3)
    rows = 200 + rng.integers(-20, 21, 10)
    cols = 200 + rng.integers(-20, 21, 10)
    img[rows, cols] = img.max() + 3000.0
    result = detect(img, spacing_mm=(0.1, 0.1), config=config)
    assert not result.clusters
    assert not result.flag
