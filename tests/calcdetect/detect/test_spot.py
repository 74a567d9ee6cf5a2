"""The prewhitened spot filter: the image's own noise spectrum, and a filter that beats the plain one in coloured noise."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from calcdetect.detector.features import FEATURE_NAMES, _finite_float32
from calcdetect.detector.pipeline import analyse_candidates
from calcdetect.detector.spot import (MAX_PATCHES, PATCH_PX, noise_power_spectrum, prewhitened_kernel,
                                      uses_spot_filter)


def _flat(variance: float):
    """A noise curve of constant variance, as ``noise_power_spectrum`` reads it (at the patch centres)."""
    return lambda rows, cols: np.full(np.shape(rows), variance)


def _coloured_noise(rng: np.random.Generator, shape=(600, 600), white=1.0, texture=6.0, corr_px=4.0) -> np.ndarray:
    """White noise plus a strong low-pass component (anatomical texture seen through a coarse pixel)."""
    low = cv2.GaussianBlur(rng.normal(0.0, 1.0, shape).astype(np.float32), (0, 0), corr_px)
    low *= texture / low.std()
    return rng.normal(0.0, white, shape).astype(np.float32) + low


def test_the_spectrum_of_white_noise_is_flat_at_one_in_units_of_its_variance():
    rng = np.random.default_rng(7)
    image = rng.normal(100.0, 3.0, (700, 700)).astype(np.float32)
    nps = noise_power_spectrum(image, np.ones(image.shape, bool), _flat(9.0))
    assert nps.shape == (PATCH_PX, PATCH_PX)
    off_dc = np.delete(nps.ravel(), 0)
    # the plane fit and the window take a little of the lowest frequencies; the rest is flat at 1
    assert abs(np.median(off_dc) - 1.0) < 0.05
    assert np.percentile(off_dc, 5) > 0.8 and np.percentile(off_dc, 95) < 1.2


def test_the_spectrum_follows_the_blur_of_the_noise():
    """Noise blurred by a Gaussian of 1 px has |M(f)|^2 = exp(-4 pi^2 f^2): half power near 0.094 cycles/px."""
    rng = np.random.default_rng(8)
    image = cv2.GaussianBlur(rng.normal(0.0, 1.0, (800, 800)).astype(np.float32), (0, 0), 1.0)
    nps = noise_power_spectrum(image, np.ones(image.shape, bool), _flat(float(image.var())))
    f = np.fft.fftfreq(PATCH_PX)
    low, high = nps[0, 2], nps[0, 8]  # 0.0625 and 0.25 cycles/px along the columns
    expected = np.exp(-4 * np.pi**2 * (f[8] ** 2 - f[2] ** 2))
    assert high / low == pytest.approx(expected, rel=0.35)


def test_a_patch_counts_only_wholly_inside_and_at_most_max_patches():
    rng = np.random.default_rng(9)
    image = rng.normal(0.0, 1.0, (200, 200)).astype(np.float32)
    inside = np.zeros(image.shape, bool)
    inside[48:, :40] = True  # patches start every 16 px: one column (0) by 8 rows (48 .. 160) fit
    assert noise_power_spectrum(image, inside, _flat(1.0)) is not None
    inside[:, 31] = False  # a hole in every patch: none counts
    assert noise_power_spectrum(image, inside, _flat(1.0)) is None
    inside[:, 31] = True
    inside[48:64, :] = False  # 7 patches: fewer than MIN_PATCHES
    assert noise_power_spectrum(image, inside, _flat(1.0)) is None
    # a large breast: the spectrum is measured on MAX_PATCHES patches, not all of them
    big = rng.normal(0.0, 1.0, (1400, 1400)).astype(np.float32)
    assert ((1400 - PATCH_PX) // (PATCH_PX // 2) + 1) ** 2 > MAX_PATCHES
    nps = noise_power_spectrum(big, np.ones(big.shape, bool), _flat(1.0))
    assert abs(np.median(nps) - 1.0) < 0.08


def test_the_spectrum_of_a_crop_is_that_of_the_whole_image():
    rng = np.random.default_rng(10)
    image = _coloured_noise(rng, (300, 340))
    inside = np.zeros(image.shape, bool)
    inside[50:250, 60:300] = True
    variance = 2.0 + np.arange(image.shape[1])[None, :] / 100.0 + np.zeros(image.shape)  # varies across the image

    def whole_variance(r, c):
        return variance[r, c]

    whole = noise_power_spectrum(image, inside, whole_variance)
    r0, c0 = 37, 45  # a crop that holds the region, not on the patch grid

    def crop_variance(r, c):  # crop positions: the same pixels' variance
        return variance[r + r0, c + c0]

    part = noise_power_spectrum(image[r0:, c0:], inside[r0:, c0:], crop_variance, origin=(r0, c0))
    np.testing.assert_allclose(part, whole, rtol=1e-9)


def test_prewhitening_beats_the_plain_matched_filter_in_coloured_noise():
    """The prewhitening observer is the best linear detector of a known spot in stationary Gaussian
    noise; with texture far stronger than the white noise it must do much better than a filter
    matched to the spot alone (the non-prewhitening observer), and about as well in white noise."""
    rng = np.random.default_rng(11)
    sigma_spot = 0.6
    spot = np.zeros((600, 600), np.float32)
    centres = [(r, c) for r in range(40, 560, 40) for c in range(40, 560, 40)]
    for r, c in centres:
        spot[r, c] = 1.0
    spot = cv2.GaussianBlur(spot, (0, 0), sigma_spot)

    def detectability(noise: np.ndarray, kernel: np.ndarray) -> float:
        on_noise = cv2.filter2D(noise, cv2.CV_32F, kernel, borderType=cv2.BORDER_REFLECT)
        on_spot = cv2.filter2D(spot, cv2.CV_32F, kernel, borderType=cv2.BORDER_REFLECT)
        return float(np.mean([on_spot[r, c] for r, c in centres]) / on_noise[40:-40, 40:-40].std())

    plain = np.zeros((PATCH_PX, PATCH_PX), np.float32)
    plain[PATCH_PX // 2, PATCH_PX // 2] = 1.0
    plain = cv2.GaussianBlur(plain, (0, 0), sigma_spot)
    plain -= plain.mean()  # no response to the mean, as the prewhitened kernel
    ones = np.ones(spot.shape, bool)
    for texture, must_gain in ((8.0, 1.5), (0.0, 0.9)):
        noise = _coloured_noise(rng, spot.shape, texture=texture) if texture else \
            rng.normal(0.0, 1.0, spot.shape).astype(np.float32)
        nps = noise_power_spectrum(noise, ones, _flat(1.0))
        whitened = prewhitened_kernel(nps, sigma_spot)
        assert detectability(noise, whitened) > must_gain * detectability(noise, plain), texture


def test_the_spot_filter_runs_at_coarse_pixels_only(scene, config):
    assert uses_spot_filter((0.2, 0.2), config) and uses_spot_filter((0.15, 0.2), config)
    assert not uses_spot_filter((0.1, 0.1), config) and not uses_spot_filter((0.1, 0.2), config)
    s = scene(size_mm=(60.0, 60.0), discs=[(30.0, 30.0, 0.3, 60.0), (31.5, 32.0, 0.25, 50.0), (29.0, 33.0, 0.3, 60.0)],
              background_cols_mm=5.0, seed=12)
    spot = FEATURE_NAMES.index("spot_snr")
    coarse = analyse_candidates(s.render(0.2), spacing_mm=(0.2, 0.2), config=config)
    fine = analyse_candidates(s.render(0.1), spacing_mm=(0.1, 0.1), config=config)
    off = analyse_candidates(s.render(0.2), spacing_mm=(0.2, 0.2),
                             config=dataclasses.replace(config, spot_min_spacing_mm=0.5))
    assert np.isfinite(coarse.features.matrix[:, spot]).all() and np.isfinite(coarse.peaks.spot_snr).all()
    assert np.isnan(fine.features.matrix[:, spot]).all() and np.isnan(off.features.matrix[:, spot]).all()
    # the discs are found by both responses at 0.2 mm; the spot filter adds candidates of its own
    for y, x in [(30.0, 30.0), (31.5, 32.0), (29.0, 33.0)]:
        d = np.hypot(coarse.peaks.row_px * 0.2 - y, coarse.peaks.col_px * 0.2 - x)
        assert d.min() <= 0.3 and coarse.peaks.spot_snr[d.argmin()] > 8.0, (y, x)
    assert len(coarse.peaks) > len(off.peaks)


def test_a_missing_spot_feature_is_kept_missing_without_a_warning(caplog):
    raw = np.random.default_rng(0).normal(size=(4, len(FEATURE_NAMES)))
    raw[:, FEATURE_NAMES.index("spot_snr")] = np.nan
    raw[0, 0] = np.inf  # and a real fault beside it is still said and bounded
    with caplog.at_level("WARNING"):
        out = _finite_float32(raw)
    assert np.isnan(out[:, FEATURE_NAMES.index("spot_snr")]).all()
    assert out[0, 0] == np.finfo(np.float32).max
    assert "1 candidate feature values were not finite" in caplog.text and "spot_snr" not in caplog.text
