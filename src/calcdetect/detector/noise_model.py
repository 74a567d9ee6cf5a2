"""A noise model estimated from each image: sigma of the fine-scale noise as a function of intensity.

Quantum noise grows with the signal, electronic noise does not, and every
vendor's processing (logarithm, window, gamma) and film's characteristic
curve bend that relation differently.  One threshold in "sigmas" only means
the same on every image if the sigma comes from the image itself, as a
function of the local intensity ``I``:

    sigma^2(I) = c0 + c1 * I + c2 * I^2

(electronic floor, quantum term linear in the signal, and a quadratic term
for processed or logarithmic read units).  It is fitted to the fine-scale
residual ``pixel - mean of its 3 x 3 neighbourhood`` inside the breast, binned
by the local mean intensity, with a robust (MAD) sigma per bin: calcifications
and edges are rare among the samples, so they barely move the medians.

Dividing a band-pass response by ``sigma(I_local)`` is the first-order form
of a variance-stabilising transform ``T(I) = integral dI / sigma(I)`` (the
generalised Anscombe transform when ``c2 = 0``): for the small fluctuations a
band-pass filter passes, ``response(T(I)) ~= T'(I_local) * response(I)``.
Doing it that way costs one coarse grid instead of a transform of every
pixel (Bria et al., IEEE TMI 2018, report per-image stabilisation helping
four detectors on three vendors).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["NoiseCurve", "fit_noise_curve", "fine_residual_sigma_factor", "local_mean", "sample_grid"]

#: samples of the residual drawn inside the breast (enough for ~10^4 per bin)
_TARGET_SAMPLES = 250_000
_N_BINS = 24
_MAD_TO_SIGMA = 1.4826


def fine_residual_sigma_factor() -> float:
    """Sigma of ``x - mean3x3(x)`` for unit white noise: sqrt(1 - 2/9 + 1/9) = sqrt(8/9)."""
    return float(np.sqrt(8.0 / 9.0))


@dataclass(frozen=True, eq=False)
class NoiseCurve:
    """Fine-scale noise sigma as a function of local intensity, fitted on one image.

    Attributes
    ----------
    coeffs : (float, float, float)
        ``(c0, c1, c2)`` of ``sigma^2(I) = c0 + c1 I + c2 I^2`` in read units.
    intensity_lo, intensity_hi : float
        Range of local intensities the fit saw (1st-99th percentile in the
        breast); outside it sigma is held at the edge value.
    bin_intensity, bin_sigma : ndarray
        The binned measurements the curve was fitted to (for plots and tests).
    model : str
        ``"quadratic"``, ``"linear"`` or ``"constant"``: the richest form whose
        fit stayed positive over the range.
    """

    coeffs: tuple[float, float, float]
    intensity_lo: float
    intensity_hi: float
    bin_intensity: np.ndarray
    bin_sigma: np.ndarray
    model: str

    def sigma(self, intensity: np.ndarray | float) -> np.ndarray:
        """Noise sigma (fine residual, read units) at the given local intensities."""
        i = np.clip(np.asarray(intensity, dtype=np.float64), self.intensity_lo, self.intensity_hi)
        c0, c1, c2 = self.coeffs
        var = c0 + c1 * i + c2 * i * i
        floor = 1e-6 * max(float(np.max(self.bin_sigma)) if self.bin_sigma.size else 1.0, 1e-12) ** 2
        return np.sqrt(np.maximum(var, floor))

    def to_dict(self) -> dict[str, object]:
        """JSON-safe summary (coefficients, range, model)."""
        return {"coeffs": [float(c) for c in self.coeffs], "intensity_lo": self.intensity_lo,
                "intensity_hi": self.intensity_hi, "model": self.model}


def sample_grid(valid_small: np.ndarray, factor: tuple[int, int], shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Full-resolution sample positions on a regular grid, inside ``valid_small``, one pixel off the border."""
    rows, cols = shape
    step = max(1, int(np.sqrt(max(1, int(valid_small.mean() * rows * cols)) / _TARGET_SAMPLES)))
    rr = np.arange(1 + step // 2, rows - 1, step)
    cc = np.arange(1 + step // 2, cols - 1, step)
    if rr.size == 0 or cc.size == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    gr, gc = np.meshgrid(rr, cc, indexing="ij")
    h, w = valid_small.shape
    inside = valid_small[np.minimum(gr // factor[0], h - 1), np.minimum(gc // factor[1], w - 1)]
    return gr[inside], gc[inside]


def _fine_residual(image: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``pixel - mean of its 3 x 3 neighbourhood`` at the given positions (no full-size filter)."""
    acc = np.zeros(rows.size, np.float64)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            acc += image[rows + dr, cols + dc]
    return image[rows, cols].astype(np.float64) - acc / 9.0


def _robust_sigma(x: np.ndarray) -> float:
    med = np.median(x)
    return float(_MAD_TO_SIGMA * np.median(np.abs(x - med)))


def _fit(intensity: np.ndarray, var: np.ndarray, weight: np.ndarray, degree: int) -> np.ndarray:
    design = np.vander(intensity, degree + 1, increasing=True)
    w = np.sqrt(weight)
    coef, *_ = np.linalg.lstsq(design * w[:, None], var * w, rcond=None)
    return np.concatenate([coef, np.zeros(3 - coef.size)])


def fit_noise_curve(
    image: np.ndarray,
    local_mean_small: np.ndarray,
    valid_small: np.ndarray,
    *,
    factor: tuple[int, int],
) -> NoiseCurve | None:
    """Fit ``sigma^2(I)`` of the fine-scale residual of ``image`` inside the breast.

    Parameters
    ----------
    image : ndarray of float32, shape (rows, cols)
        Read units (denser = brighter).
    local_mean_small : ndarray of float32, shape (h, w)
        The image averaged over blocks of ``factor`` pixels (the local intensity).
    valid_small : ndarray of bool, shape (h, w)
        Where to sample (the breast, away from the skin line).
    factor : (int, int)
        Full-resolution pixels per coarse pixel (rows, cols).

    Returns
    -------
    NoiseCurve, or None when the region holds too few samples for a fit.
    """
    rows, cols = sample_grid(valid_small, factor, image.shape)
    if rows.size < 2000:
        return None
    resid = _fine_residual(image, rows, cols) / fine_residual_sigma_factor()
    h, w = local_mean_small.shape
    level = local_mean_small[np.minimum(rows // factor[0], h - 1), np.minimum(cols // factor[1], w - 1)].astype(np.float64)
    lo, hi = np.percentile(level, [1.0, 99.0])
    if not hi > lo:
        sigma = _robust_sigma(resid)
        return NoiseCurve((sigma * sigma, 0.0, 0.0), float(lo), float(hi), np.array([lo]), np.array([sigma]), "constant")
    edges = np.quantile(level, np.linspace(0.0, 1.0, _N_BINS + 1))
    which = np.clip(np.searchsorted(edges, level, side="right") - 1, 0, _N_BINS - 1)
    centres, sigmas, counts = [], [], []
    for b in range(_N_BINS):
        sel = which == b
        if sel.sum() < 200:
            continue
        centres.append(float(np.median(level[sel])))
        sigmas.append(_robust_sigma(resid[sel]))
        counts.append(int(sel.sum()))
    centres_a, sigmas_a, counts_a = np.array(centres), np.array(sigmas), np.array(counts, float)
    if centres_a.size < 3:
        sigma = _robust_sigma(resid)
        return NoiseCurve((sigma * sigma, 0.0, 0.0), float(lo), float(hi), centres_a, sigmas_a, "constant")
    var = sigmas_a**2
    # weights ~ 1 / Var(sample variance) ~ n / var^2
    weight = counts_a / np.maximum(var, 1e-30) ** 2
    grid = np.linspace(lo, hi, 64)
    for degree, name in ((2, "quadratic"), (1, "linear")):
        coef = _fit(centres_a, var, weight, degree)
        fitted = coef[0] + coef[1] * grid + coef[2] * grid * grid
        if np.all(fitted > 0.05 * var.min()):
            return NoiseCurve(tuple(float(c) for c in coef), float(lo), float(hi), centres_a, sigmas_a, name)
    mean_var = float(np.average(var, weights=counts_a))
    return NoiseCurve((mean_var, 0.0, 0.0), float(lo), float(hi), centres_a, sigmas_a, "constant")


def local_mean(image: np.ndarray, factor: tuple[int, int]) -> np.ndarray:
    """Block means of ``image`` over ``factor`` pixels (cropped to whole blocks)."""
    rows, cols = image.shape
    h, w = rows // factor[0], cols // factor[1]
    crop = image[: h * factor[0], : w * factor[1]]
    return cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA)
