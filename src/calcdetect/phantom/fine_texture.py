"""The breast texture above the anatomy grid's Nyquist: the ``1/f**3`` law continued.

:mod:`.anatomy` builds the tissue on a ~0.2 mm grid and interpolates it to the detector, so its
texture stops at about 2.4 cycles/mm, below the band a calcification is seen in (2-10
cycles/mm at 0.05-0.1 mm pixels). Real breast tissue has no such edge: its power spectrum
falls as ``f**-3`` as far as it has been measured, until quantum noise covers it. With
``fine_texture`` on (:func:`calcdetect.phantom.make_phantom`), each image gets the missing band:

1. the power spectrum of the image's own coarse tissue term (gland, fat texture, vessels,
   ligaments, muscle: everything but the outline's thickness fall-off) is read in the largest
   square of the breast's interior, and ``A`` of ``P(f) = A f**-3`` is fitted to it over
   :data:`FIT_BAND_PER_MM` (slope fixed at :data:`TEXTURE_BETA`);
2. a Gaussian field with that spectrum above the grid's Nyquist (faded in over the octave below
   it, where the interpolated coarse texture fades out) is added to the attenuation at full
   resolution, in proportion to the breast's thickness.

It then passes the detector's blur and noise like the rest of the anatomy, and the truth's d′
(:mod:`.visibility`, whose anatomical noise is measured on the noise-free background) sees it.
Off by default: the shipped models were trained on phantoms without it
(``docs/measurements/2026-12-03/fine_texture/``).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft

__all__ = ["TEXTURE_BETA", "FIT_BAND_PER_MM", "radial_power_spectrum", "texture_amplitude", "fine_texture_field"]

#: slope of the breast texture's power spectrum (power ~ f**-TEXTURE_BETA), as on real mammograms
TEXTURE_BETA = 3.0
#: where the amplitude is read off the coarse texture: above the breast's shape, below the grid's blur
FIT_BAND_PER_MM = (0.25, 1.2)
#: the interior square lies this far inside the skin (or half the breast's depth, if less)
_FIT_INSET_MM = 15.0


def radial_power_spectrum(x: np.ndarray, spacing_mm: float, n_bins: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Hann-windowed, mean-removed periodogram of ``x`` (value² mm²), averaged over rings of |f|.

    Returns the ring centres (cycles/mm) and the mean power in each ring that holds a frequency.
    """
    h, w = x.shape
    win = np.outer(np.hanning(h), np.hanning(w))
    y = (x - x.mean()) * win
    power = np.abs(np.fft.fft2(y)) ** 2 * spacing_mm**2 / float((win**2).sum())
    f = np.hypot(np.fft.fftfreq(h, spacing_mm)[:, None], np.fft.fftfreq(w, spacing_mm)[None, :])
    edges = np.linspace(0.0, 0.5 / spacing_mm, n_bins + 1)
    ring = np.digitize(f.ravel(), edges) - 1
    ok = (ring >= 0) & (ring < n_bins)
    total = np.bincount(ring[ok], power.ravel()[ok], n_bins)
    count = np.bincount(ring[ok], minlength=n_bins)
    centres = (edges[:-1] + edges[1:]) / 2
    return centres[count > 0], total[count > 0] / count[count > 0]


def _interior_square(edge_distance_mm: np.ndarray) -> tuple[slice, slice]:
    """The largest square centred on the interior's median point with every pixel inside the inset."""
    inset = min(_FIT_INSET_MM, 0.5 * float(edge_distance_mm.max()))
    inside = edge_distance_mm > inset
    rr, cc = np.nonzero(inside)
    r0, c0 = int(np.median(rr)), int(np.median(cc))
    half = 1
    while True:
        r_lo, c_lo = r0 - half - 1, c0 - half - 1
        square = (slice(r_lo, r0 + half + 1), slice(c_lo, c0 + half + 1))
        if r_lo < 0 or c_lo < 0 or not inside[square].all() or inside[square].shape != (2 * half + 2,) * 2:
            return slice(r0 - half, r0 + half), slice(c0 - half, c0 + half)
        half += 1


def texture_amplitude(tissue_low: np.ndarray, edge_distance_low_mm: np.ndarray, grid_mm: float) -> float:
    """``A`` of ``P(f) = A f**-TEXTURE_BETA`` (attenuation² mm⁻¹) fitted to the coarse tissue term
    over :data:`FIT_BAND_PER_MM`, in the largest interior square (at least 16 grid pixels a side)."""
    square = _interior_square(edge_distance_low_mm)
    side = square[0].stop - square[0].start
    if side < 16:
        raise ValueError(f"the breast's interior is {side} grid pixels wide; the fine texture needs 16 to fit")
    f, p = radial_power_spectrum(tissue_low[square].astype(np.float64), grid_mm)
    band = (f >= FIT_BAND_PER_MM[0]) & (f <= FIT_BAND_PER_MM[1]) & (p > 0)
    if band.sum() < 2:
        raise ValueError(f"too few frequencies in {FIT_BAND_PER_MM} cycles/mm on a {side}-pixel square")
    return math.exp(float(np.mean(np.log(p[band]) + TEXTURE_BETA * np.log(f[band]))))


def fine_texture_field(rng: np.random.Generator, shape: tuple[int, int], spacing_mm: float, amplitude: float,
                       above_per_mm: float) -> np.ndarray:
    """A Gaussian field (float32) with power ``amplitude * f**-TEXTURE_BETA`` above ``above_per_mm``,
    faded in with a squared-sine ramp from half that frequency, and none below."""
    white = rng.standard_normal(shape, dtype=np.float32)
    spec = scipy.fft.rfft2(white)
    fy = scipy.fft.fftfreq(shape[0], d=spacing_mm).astype(np.float32)
    fx = scipy.fft.rfftfreq(shape[1], d=spacing_mm).astype(np.float32)
    f = np.sqrt(fy[:, None] ** 2 + fx[None, :] ** 2)
    np.maximum(f, np.float32(1e-3), out=f)
    ramp = np.clip((f - above_per_mm / 2) / (above_per_mm / 2), 0.0, 1.0)
    # white noise of unit variance has power spacing² per unit area: the gain gives it P(f)
    gain = np.sqrt(np.float32(amplitude) * f ** np.float32(-TEXTURE_BETA)) / np.float32(spacing_mm)
    spec *= gain * np.sin(ramp * np.float32(np.pi / 2)) ** 2
    return scipy.fft.irfft2(spec, s=shape).astype(np.float32)
