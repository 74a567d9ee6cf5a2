"""The per-image noise model: sigma(I) recovered from the image itself, whatever the grey scale."""

from __future__ import annotations

import numpy as np
import pytest

from calcdetect.detector.enhance import shrink
from calcdetect.detector.noise_model import _median, fit_noise_curve, robust_centre_spread, robust_sigma


def local_mean(image: np.ndarray, factor: tuple[int, int]) -> np.ndarray:
    """Block means over ``factor`` pixels, as the breast mask computes them (unit spacing)."""
    return shrink(image, spacing_mm=(1.0, 1.0), target_mm=float(factor[0]))[0]


def _poisson_gaussian_ramp(gain: float, electronic: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A smooth ramp of mean counts 200..2000 with Poisson-Gaussian noise; returns (image, true mean)."""
    rng = np.random.default_rng(seed)
    rows, cols = 500, 800
    mean = np.linspace(200.0, 2000.0, cols)[None, :].repeat(rows, axis=0)
    counts = rng.poisson(mean).astype(np.float64)
    image = gain * counts + rng.normal(0.0, electronic, mean.shape)
    return image.astype(np.float32), gain * mean


@pytest.mark.parametrize("gain, electronic", [(1.0, 5.0), (3.5, 20.0), (0.2, 0.5)])
def test_the_fitted_curve_recovers_poisson_gaussian_noise(gain, electronic):
    image, mean = _poisson_gaussian_ramp(gain, electronic)
    factor = (10, 10)
    small = local_mean(image, factor)
    curve = fit_noise_curve(image, small, np.ones(small.shape, bool), factor=factor)
    levels = np.array([300.0, 1000.0, 1800.0]) * gain
    expected = np.sqrt(gain * levels + electronic**2)  # var = gain^2 * N + e^2, N = level / gain
    np.testing.assert_allclose(curve.sigma(levels), expected, rtol=0.06)


def test_an_affine_change_of_grey_scale_scales_sigma_with_it():
    image, _ = _poisson_gaussian_ramp(1.0, 5.0)
    factor = (10, 10)
    ones = np.ones(local_mean(image, factor).shape, bool)
    a = fit_noise_curve(image, local_mean(image, factor), ones, factor=factor)
    scaled = 7.0 * image + 1234.0
    b = fit_noise_curve(scaled, local_mean(scaled, factor), ones, factor=factor)
    levels = np.array([400.0, 900.0, 1500.0])
    np.testing.assert_allclose(b.sigma(7.0 * levels + 1234.0), 7.0 * a.sigma(levels), rtol=0.02)


def test_too_small_a_region_gives_no_curve():
    image = np.ones((50, 50), np.float32)
    small = local_mean(image, (10, 10))
    assert fit_noise_curve(image, small, np.zeros(small.shape, bool), factor=(10, 10)) is None


def test_a_flat_noise_free_region_gives_a_positive_sigma():
    image = np.full((600, 600), 100.0, np.float32)
    small = local_mean(image, (10, 10))
    curve = fit_noise_curve(image, small, np.ones(small.shape, bool), factor=(10, 10))
    assert np.all(curve.sigma(np.array([100.0])) > 0)


def _draw(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "normal":
        return rng.normal(size=n)
    if kind == "ties":
        return rng.integers(0, 5, n).astype(float)
    if kind == "cauchy":
        return rng.standard_cauchy(n)
    if kind == "sorted":
        return np.sort(rng.normal(size=n))
    if kind == "half zero":
        return rng.exponential(size=n) * (rng.random(n) < 0.5)
    x = rng.normal(size=n)
    x[rng.random(n) < 0.001] = np.nan
    return x


@pytest.mark.parametrize("kind", ["normal", "ties", "cauchy", "sorted", "half zero", "nan"])
@pytest.mark.parametrize("n", [999, 20_000, 20_001, 250_000])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_selected_median_is_numpys_bit_for_bit(kind, n, dtype):
    x = _draw(kind, n, np.random.default_rng(n)).astype(dtype)
    with np.errstate(invalid="ignore"):
        got, want = np.asarray(_median(x)), np.asarray(np.median(x))
        sigma, sigma_numpy = robust_sigma(x), float(robust_centre_spread(x)[1])
    assert got.dtype == want.dtype
    assert got.tobytes() == want.tobytes()
    assert np.array_equal(sigma, sigma_numpy, equal_nan=True)

