"""The thin-line response (calcdetect.detector.ridge) and the line source of candidates."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from calcdetect.config import DetectorConfig
from calcdetect.detector.pipeline import analyse_candidates
from calcdetect.detector.point_spread import gaussian_taps
from calcdetect.detector.ridge import ORIENTATIONS_DEG, _smooth_down_diagonals, line_responses


def _thin_line(theta_deg: float, size: int = 161, half_width_px: float = 0.6, noise: float = 0.0,
               seed: int = 0) -> np.ndarray:
    """A bright line through the centre at ``theta_deg`` from the rows (x right, y down)."""
    t = np.deg2rad(theta_deg)
    y, x = np.mgrid[0:size, 0:size] - size // 2
    across = np.abs(-x * np.sin(t) + y * np.cos(t))
    image = np.where(across < half_width_px, 10.0, 0.0).astype(np.float32)
    return image + np.random.default_rng(seed).normal(0.0, noise, image.shape).astype(np.float32)


def _responses(image: np.ndarray) -> list[np.ndarray]:
    blurred = cv2.GaussianBlur(image, (0, 0), 0.7)
    return line_responses(blurred, across_px=0.7, along_px=2.9)


def test_smoothing_down_the_diagonals_is_a_sum_along_them():
    image = np.random.default_rng(1).normal(size=(60, 75)).astype(np.float32)
    kernel = gaussian_taps(1.6).astype(np.float32)
    half = kernel.size // 2
    expected = np.zeros_like(image)
    for k, w in enumerate(kernel):  # the interior only: no edge to replicate
        d = k - half
        expected[half:-half, half:-half] += w * image[half + d: image.shape[0] - half + d,
                                                      half + d: image.shape[1] - half + d]
    for strip_rows in (7, 512):  # strips that cut the image, and one that holds it
        got = _smooth_down_diagonals(image, kernel, strip_rows)
        np.testing.assert_allclose(got[half:-half, half:-half], expected[half:-half, half:-half], atol=1e-5)


@pytest.mark.parametrize("theta", ORIENTATIONS_DEG)
def test_a_line_answers_most_at_its_own_orientation_and_on_itself(theta):
    responses = _responses(_thin_line(theta))
    centre = [float(r[80, 80]) for r in responses]
    assert int(np.argmax(centre)) == ORIENTATIONS_DEG.index(theta)
    assert centre[ORIENTATIONS_DEG.index(theta)] > 3 * max(c for i, c in enumerate(centre)
                                                           if i != ORIENTATIONS_DEG.index(theta))
    own = responses[ORIENTATIONS_DEG.index(theta)]
    # across the line, 3 px away, it is no longer a maximum (a ridge, not a plateau)
    t = np.deg2rad(theta)
    off = (int(round(80 + 3 * np.cos(t))), int(round(80 - 3 * np.sin(t))))  # (row, col) across
    assert own[80, 80] > 2 * own[off]


def test_a_line_between_two_orientations_keeps_most_of_the_nearer_ones_response():
    """The figure the module's docstring gives: at 30 degrees, about 0.6 of a line on 45."""
    on = max(float(r[80, 80]) for r in _responses(_thin_line(45)))
    between = max(float(r[80, 80]) for r in _responses(_thin_line(30)))
    assert 0.5 * on < between < on


def test_a_peak_of_the_line_response_alone_is_a_candidate_and_every_candidate_gets_its_line_snr(scene):
    from calcdetect.detector.candidates import find_candidates
    from calcdetect.detector.mask import breast_mask
    from calcdetect.detector.noise_model import fit_noise_curve
    from calcdetect.detector.responses import scale_space

    spacing = (0.07, 0.07)
    cfg = replace(DetectorConfig.default(), line_source_snr=5.0)
    image = scene(size_mm=(20.0, 26.0), background_cols_mm=4.0, discs=[(8.0, 14.0, 0.3, 60.0)], seed=5).render(0.07)
    mask = breast_mask(image, spacing_mm=spacing, config=cfg)
    noise = fit_noise_curve(image, mask.block_mean, mask.search, factor=mask.factor)
    sigma_small = noise.sigma(mask.block_mean)
    space = scale_space(image, spacing_mm=spacing, config=cfg, valid=lambda r, c: mask.lookup(mask.search, r, c),
                        sigma_at=lambda r, c: mask.lookup(sigma_small, r, c))
    assert space.line is not None
    row, col = int(14.0 / 0.07), int(18.0 / 0.07)  # nothing there but noise
    bumped = space.line.response.copy()
    bumped[row, col] = 20.0 * space.line.gain * float(mask.lookup(sigma_small, np.array([row]), np.array([col]))[0])
    with_line = find_candidates(replace(space, line=replace(space.line, response=bumped)), sigma_small, mask,
                                spacing_mm=spacing, config=cfg)
    without = find_candidates(replace(space, line=None), sigma_small, mask, spacing_mm=spacing, config=cfg)
    assert ((with_line.row_px == row) & (with_line.col_px == col)).any()
    assert not ((without.row_px == row) & (without.col_px == col)).any()
    assert np.isfinite(with_line.line_snr).all() and np.isnan(without.line_snr).all()
    disc = np.hypot(with_line.row_px - 8.0 / 0.07, with_line.col_px - 14.0 / 0.07) <= 3
    assert disc.any()  # the blob levels' candidates are still there


def test_the_line_source_stays_off_at_coarse_pixels(scene):
    img = scene(size_mm=(20.0, 26.0), lines=[(10.0, 8.0, 10.0, 10.0, 0.06, 20.0)]).render(0.2)
    a = analyse_candidates(img, spacing_mm=(0.2, 0.2), config=replace(DetectorConfig.default(), line_source_snr=5.0))
    assert np.isnan(a.peaks.line_snr).all()
