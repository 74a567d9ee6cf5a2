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


def _spots(image: np.ndarray, centres, amplitude: float, sigma_px: float) -> np.ndarray:
    """``image`` with a Gaussian spot of peak ``amplitude`` at each centre (whole pixels)."""
    out = image.copy()
    yy, xx = np.mgrid[-8:9, -8:9]
    spot = amplitude * np.exp(-(yy**2 + xx**2) / (2 * sigma_px**2))
    for r, c in centres:
        out[r - 8:r + 9, c - 8:c + 9] += spot
    return out


def _pair(image, rows, cols, variance, *, block_mm=16.0, valid=None, origin=(0, 0), full_shape=None):
    from calcdetect.detector.spot import block_spectra, spot_snr_pair

    valid = valid or (lambda r, c: np.ones(np.broadcast_shapes(np.shape(r), np.shape(c)), bool))
    spectra = block_spectra(image, valid, _flat(variance), spacing_mm=(0.1, 0.1),
                            full_shape=full_shape or image.shape, origin=origin, block_mm=block_mm)
    return spot_snr_pair(image, rows, cols, sigma=np.full(np.size(rows), np.sqrt(variance)), spectra=spectra,
                         sigma_px=1.2, origin=origin)


def test_in_white_noise_both_statistics_are_the_matched_filter_d_prime():
    """In white noise the prewhitened filter is the matched filter: ``d' = A ||s|| / sigma``."""
    rng = np.random.default_rng(21)
    centres = [(r, c) for r in range(60, 700, 80) for c in range(60, 700, 80)]
    yy, xx = np.mgrid[-8:9, -8:9]
    norm = np.sqrt((np.exp(-(yy**2 + xx**2) / (2 * 1.2**2)) ** 2).sum())
    amplitude, sigma = 12.0, 3.0
    image = _spots(rng.normal(100.0, sigma, (760, 760)).astype(np.float32), centres, amplitude, 1.2)
    rows, cols = np.array(centres).T
    on_image, on_block = _pair(image, rows, cols, sigma**2)
    expected = amplitude * norm / sigma  # about 10.2
    # the statistic is the largest of the 3 x 3 around the centre: at most a noise sigma above
    assert np.median(on_image) == pytest.approx(expected, rel=0.1)
    assert np.median(on_block) == pytest.approx(expected, rel=0.1)
    noise_only = _pair(image, rows + 40, cols + 40, sigma**2)[1]  # halfway between spots
    assert abs(np.median(noise_only)) < 2.0 and np.median(noise_only) < 0.25 * expected


def test_where_the_texture_differs_from_the_image_s_the_block_s_own_filter_sees_a_spot_better():
    """The prewhitened filter is the best linear detector in its own noise: on a half of the image
    whose spectrum is not the image's average, the block's filter reaches a higher d' than the image's,
    and nowhere a lower one."""
    rng = np.random.default_rng(22)
    shape = (640, 1280)
    white = rng.normal(0.0, 1.0, shape).astype(np.float32)
    textured = _coloured_noise(rng, shape, white=1.0, texture=6.0, corr_px=4.0)
    image = np.where(np.arange(shape[1])[None, :] < shape[1] // 2, white, textured).astype(np.float32)
    centres = [(r, c) for r in range(80, 600, 96) for c in list(range(80, 560, 96)) + list(range(720, 1200, 96))]
    image = _spots(image, centres, 6.0, 1.2)
    rows, cols = np.array(centres).T
    on_image, on_block = _pair(image, rows, cols, 1.0, block_mm=32.0)  # blocks of 320 px: the halves
    # the image's spectrum is mostly the textured half's (its power is 37 times the white half's), so
    # there the two filters nearly agree; on the white half the image's filter throws away the low
    # frequencies a white background would have let through
    white_side, textured_side = cols < 640, cols >= 640
    assert np.median(on_block[white_side]) > 1.1 * np.median(on_image[white_side])
    assert np.median(on_block[textured_side]) > 0.98 * np.median(on_image[textured_side])


def test_a_crop_that_holds_the_region_measures_the_same():
    rng = np.random.default_rng(23)
    image = _coloured_noise(rng, (700, 700))
    centre = (350, 350)

    def valid(r, c):
        return (np.asarray(r) - centre[0]) ** 2 + (np.asarray(c) - centre[1]) ** 2 < 220**2

    rows, cols = rng.integers(200, 500, 40), rng.integers(200, 500, 40)
    whole = _pair(image, rows, cols, 1.0, valid=valid)
    crop = image[100:620, 90:640]
    cropped = _pair(crop, rows, cols, 1.0, valid=valid, origin=(100, 90), full_shape=image.shape)
    np.testing.assert_allclose(cropped, whole, rtol=1e-9)
    assert np.isfinite(whole).all()


def test_too_little_breast_for_a_spectrum_leaves_both_features_missing():
    rng = np.random.default_rng(24)
    image = rng.normal(0.0, 1.0, (200, 200)).astype(np.float32)
    out = _pair(image, np.array([100]), np.array([100]), 1.0,
                valid=lambda r, c: (np.asarray(r) < 40) & (np.asarray(c) < 40))
    assert np.isnan(out).all()


def test_the_pair_is_measured_at_every_spacing_and_sees_the_discs(scene, config):
    s = scene(size_mm=(60.0, 60.0), discs=[(30.0, 30.0, 0.3, 60.0), (31.5, 32.0, 0.25, 50.0), (29.0, 33.0, 0.3, 60.0)],
              background_cols_mm=5.0, seed=12)
    for spacing in (0.1, 0.2):
        analysis = analyse_candidates(s.render(spacing), spacing_mm=(spacing, spacing), config=config)
        for name in ("spot_image_snr", "spot_block_snr"):
            values = analysis.features.column(name)
            assert np.isfinite(values).all(), (spacing, name)
            for y, x in [(30.0, 30.0), (31.5, 32.0), (29.0, 33.0)]:
                d = np.hypot(analysis.peaks.row_px * spacing - y, analysis.peaks.col_px * spacing - x)
                assert d.min() <= 0.3 and values[d.argmin()] > 5.0, (spacing, name, y, x)
