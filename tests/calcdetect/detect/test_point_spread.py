"""The point spread estimated from the image's own noise recovers a known blur."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from calcdetect.config import DetectorConfig
from calcdetect.detector.point_spread import estimate_point_spread, gaussian_transfer2
from calcdetect.detector.rejection import MIN_PSF_SIGMA_PX


def _everywhere(r, c):
    return np.ones(np.shape(r), bool)


def _unit(i):
    return np.ones_like(np.asarray(i, float))


def _blurred_noise(sigma_px: float, *, white_fraction: float, seed: int, shape=(768, 768)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    b = rng.normal(size=shape).astype(np.float32)
    if sigma_px > 0:
        b = cv2.GaussianBlur(b, (0, 0), sigma_px)
    b /= b.std()
    return np.sqrt(1 - white_fraction) * b + np.sqrt(white_fraction) * rng.normal(size=shape)


# Tolerance: the Hann window of each 32-pixel tile smooths the spectrum over about 2/32 cycles per
# pixel, which flattens a steep (wide-blur) spectrum and biases sigma low, and the estimate is the
# smaller of two bands' fits: on 1024 x 1024 noise it gave 1.35-1.375 for 1.4 px and 1.83-1.95 for
# 2.0 px (-2 % to -9 %), exact to the grid below 1 px.  The median periodogram of 400 tiles scatters
# ~6 % per frequency over ~700 fitted frequencies, well under 1 % in sigma; the grid steps 0.025 px.
# Hence -(0.05 px + 10 %) <= error <= 0.05 px + 6 %: the bias is low, the safe side for the speck test.
@pytest.mark.parametrize("sigma_px", [0.6, 1.0, 1.4, 2.0])
@pytest.mark.parametrize("white_fraction", [0.0, 0.3])
def test_recovers_a_known_gaussian_blur(sigma_px, white_fraction):
    noise = _blurred_noise(sigma_px, white_fraction=white_fraction, seed=int(sigma_px * 10))
    psf = estimate_point_spread(noise, valid=_everywhere, sigma_of=_unit)
    assert psf.measured
    assert -(0.05 + 0.10 * sigma_px) <= psf.sigma_px - sigma_px <= 0.05 + 0.06 * sigma_px
    assert abs(psf.white_fraction - white_fraction) <= 0.1


def test_white_noise_has_no_blur():
    psf = estimate_point_spread(_blurred_noise(0.0, white_fraction=1.0, seed=3), valid=_everywhere, sigma_of=_unit)
    assert psf.sigma_px == 0.0


def test_signal_dependent_noise_and_texture_do_not_bias_it():
    """Noise that grows with brightness (weighed by the noise curve) on a textured background."""
    rng = np.random.default_rng(7)
    shape = (768, 768)
    texture = cv2.GaussianBlur(rng.normal(size=shape).astype(np.float32), (0, 0), 25.0)
    level = 1000.0 + 300.0 * texture / texture.std()
    sigma_of = lambda i: np.sqrt(np.asarray(i, float))  # noqa: E731 - Poisson-like
    image = level + sigma_of(level) * _blurred_noise(1.2, white_fraction=0.0, seed=8, shape=shape)
    psf = estimate_point_spread(image, valid=_everywhere, sigma_of=sigma_of)
    assert -(0.05 + 0.10 * 1.2) <= psf.sigma_px - 1.2 <= 0.05 + 0.06 * 1.2


def test_a_periodic_pattern_is_not_taken_for_blur():
    """A strong grid pattern (anti-scatter grid lines) over white noise: no blur the speck test would use."""
    rng = np.random.default_rng(4)
    image = rng.normal(size=(768, 768))
    cols = np.arange(768)
    image += 3.0 * np.cos(2 * np.pi * cols / 7.0)[None, :]  # 0.14 cycles/pixel, in the fitted band
    psf = estimate_point_spread(image, valid=_everywhere, sigma_of=_unit)
    assert psf.sigma_px * DetectorConfig().psf_margin < MIN_PSF_SIGMA_PX


def test_too_small_a_region_gives_no_estimate():
    psf = estimate_point_spread(np.zeros((100, 100)), valid=_everywhere, sigma_of=_unit)
    assert not psf.measured


def test_transfer_of_a_sampled_gaussian_matches_its_dft():
    """|M(f)|^2 is the squared DFT of the kernel, computed independently here by numpy's fft2."""
    sigma, n = 0.9, 32
    k = np.zeros((n, n))
    half = int(np.ceil(4 * sigma))
    x = np.arange(-half, half + 1)
    g = np.exp(-0.5 * (x / sigma) ** 2)
    g /= g.sum()
    k[np.ix_(x % n, x % n)] = np.outer(g, g)
    np.testing.assert_allclose(gaussian_transfer2(sigma, n), np.abs(np.fft.fft2(k)) ** 2, atol=1e-12)


@pytest.mark.parametrize("spacing", [0.05, 0.1, 0.2])
def test_strong_interpolated_texture_over_white_noise_is_not_taken_for_blur(scene, spacing):
    """The detector tests' scene: texture 8x the noise, cubic-interpolated from a 2 mm grid (a comb of
    steep harmonics in the band), white noise added after the blur.  A too-wide PSF here would reject
    real calcifications as dust; the two-band check must refuse it."""
    noise_sigma = 1.0 * 0.1 / spacing
    image = scene(noise_at_01mm=1.0, size_mm=(40.0, 40.0)).render(spacing)
    psf = estimate_point_spread(image, valid=_everywhere, sigma_of=lambda i: np.full(np.shape(i), noise_sigma))
    assert psf.sigma_px * DetectorConfig().psf_margin < MIN_PSF_SIGMA_PX


def test_tiles_clipped_flat_are_left_out_instead_of_zeroing_the_spectrum():
    """Burnt-out film clipped to 0 over most of the region: the median periodogram of mostly flat
    tiles was zero everywhere and the fit divided by it.  The unclipped tiles must still give the blur."""
    rng = np.random.default_rng(11)
    image = cv2.GaussianBlur(rng.normal(100.0, 10.0, (640, 640)).astype(np.float32), (0, 0), 1.2)
    image[:, :400] = 0.0  # 60 % of the image at the scanner's floor
    psf = estimate_point_spread(image, valid=_everywhere, sigma_of=lambda i: np.full(np.shape(i), 10.0 / 3.4))
    assert psf.measured and psf.sigma_px == pytest.approx(1.2, abs=0.15)


def test_a_mostly_clipped_film_of_a_development_set_is_analysed():
    """The 8-bit 0.2 mm film scan (fresh film development set, seed 98000001, image 7) on which the
    point-spread fit raised 'array must not contain infs or NaNs' and the image was lost."""
    from calcdetect.detector.pipeline import detect
    from calcdetect.phantom import make_phantom

    phantom = make_phantom(seed=5303182586635300834, preset="film-mix", view="CC", laterality="L",
                           with_cluster=True, visibility="visible")
    assert phantom.truth["preset"] == "film-mias-like"
    pixels = np.asarray(phantom.read_pixels(), dtype=np.float32)
    result = detect(pixels, spacing_mm=(0.2, 0.2), view="CC")
    assert result.point_spread["n_tiles"] > 0 and np.isfinite(result.score)
