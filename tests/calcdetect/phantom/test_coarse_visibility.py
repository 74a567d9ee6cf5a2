"""d′ in the image area-averaged to coarser pixels, against a brute-force observer on simulated pixels."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from calcdetect.phantom.visibility import BackgroundSpectrum, observer_d_prime, observer_d_prime_coarse

N = 64


def _spectrum() -> BackgroundSpectrum:
    """White noise of unit power plus a strong low-frequency ("anatomical") part."""
    f = np.fft.fftfreq(N)
    anatomy = 20.0 * np.exp(-(f[:, None] ** 2 + f[None, :] ** 2) / (2 * 0.05**2))
    return BackgroundSpectrum(N, 1.0 + anatomy, np.ones((N, N)), anatomy)


def _blob(sigma_px: float, row: float, col: float) -> np.ndarray:
    y, x = np.mgrid[0:N, 0:N]
    return 10.0 * np.exp(-((y - row) ** 2 + (x - col) ** 2) / (2 * sigma_px**2))


def _brute_force_d_prime(spectrum: BackgroundSpectrum, sigma_px: float, factor: int, rng) -> float:
    """The prewhitening observer on the area-averaged pixels themselves (OpenCV's INTER_AREA, as the
    detector's resampling): the coarse noise spectrum from simulated noise fields, d′² averaged over
    where the blob falls inside a coarse pixel."""
    m = N // factor
    power = np.zeros((m, m))
    for _ in range(300):
        noise = np.real(np.fft.ifft2(np.fft.fft2(rng.normal(size=(N, N))) * np.sqrt(spectrum.nps)))
        coarse = cv2.resize(noise, (m, m), interpolation=cv2.INTER_AREA)
        power += np.abs(np.fft.fft2(coarse)) ** 2 / (m * m) / 300
    d2 = []
    for _ in range(48):
        signal = cv2.resize(_blob(sigma_px, 32 + rng.random() * factor, 32 + rng.random() * factor), (m, m),
                            interpolation=cv2.INTER_AREA)
        d2.append(float((np.abs(np.fft.fft2(signal)) ** 2 / power).sum()) / (m * m))
    return float(np.sqrt(np.mean(d2)))


@pytest.mark.parametrize("factor", [2, 4])
@pytest.mark.parametrize("sigma_px", [0.6, 1.5, 4.0])
def test_coarse_d_prime_matches_an_observer_on_simulated_coarse_pixels(factor, sigma_px):
    spectrum = _spectrum()
    expected = _brute_force_d_prime(spectrum, sigma_px, factor, np.random.default_rng(factor * 10 + int(sigma_px)))
    got = observer_d_prime_coarse(_blob(sigma_px, 32, 32), spectrum, float(factor))
    assert got == pytest.approx(expected, rel=0.08)
    # averaging never helps, and a blob much larger than the coarse pixel loses almost nothing
    native = observer_d_prime(_blob(sigma_px, 32, 32), spectrum)[0]
    assert got <= native * 1.001
    if sigma_px >= 4.0:
        assert got > 0.95 * native


def test_factor_one_is_the_native_observer_and_finer_is_refused():
    spectrum, blob = _spectrum(), _blob(1.0, 32, 32)
    assert observer_d_prime_coarse(blob, spectrum, 1.0) == pytest.approx(observer_d_prime(blob, spectrum)[0])
    with pytest.raises(ValueError, match="at least 1"):
        observer_d_prime_coarse(blob, spectrum, 0.5)
