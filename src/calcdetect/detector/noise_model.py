"""A noise model estimated from each image: sigma of the fine-scale noise as a function of intensity.

Quantum noise grows with the signal, electronic noise does not, and every
vendor's processing (logarithm, window, gamma) and film's characteristic
curve bend that relation differently.  One threshold in "sigmas" only means
the same on every image if the sigma comes from the image itself, as a
function of the local intensity ``I``.

The fine-scale residual ``pixel - mean of its 3 x 3 neighbourhood`` is
sampled inside the breast and binned by the local mean intensity (bins of
equal counts); each bin gets a robust (MAD) sigma -- calcifications and
edges are rare among the samples, so they barely move the medians -- and
``sigma(I)`` interpolates the bins, smoothed by a running median of three.
A parametric form (``sigma^2 = c0 + c1 I``, Poisson plus electronic, whose
variance-stabilising transform is the generalised Anscombe transform) fits
raw detector data but not presentation images: their gamma and window make
the noise climb steeply at the bright end (see
``docs/measurements/2026-11-30/detector/noise_model.png``), so the binned
curve is used and the Poisson-Gaussian fit is only reported.

Dividing a band-pass response by ``sigma(I_local)`` is the first-order form
of the variance-stabilising transform ``T(I) = integral dI / sigma(I)``: for
the small fluctuations a band-pass filter passes,
``response(T(I)) ~= T'(I_local) * response(I)``.  Doing it that way costs one
coarse grid instead of a transform of every pixel (Bria et al., IEEE TMI
2018, report per-image stabilisation helping four detectors on three vendors).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["NoiseCurve", "fit_noise_curve", "fine_residual_sigma_factor", "quantisation_step", "robust_sigma",
           "robust_centre_spread", "sample_grid"]

#: samples of the residual drawn inside the breast (enough for ~10^4 per bin)
_TARGET_SAMPLES = 250_000
_N_BINS = 32
_MAD_TO_SIGMA = 1.4826


def fine_residual_sigma_factor() -> float:
    """Sigma of ``x - mean3x3(x)`` for unit white noise: sqrt(1 - 2/9 + 1/9) = sqrt(8/9)."""
    return float(np.sqrt(8.0 / 9.0))


@dataclass(frozen=True, eq=False)
class NoiseCurve:
    """Fine-scale noise sigma as a function of local intensity, measured on one image.

    Attributes
    ----------
    bin_intensity, bin_sigma : ndarray
        Median local intensity and robust sigma of each intensity bin
        (smoothed); ``sigma(I)`` interpolates them and holds the edge values
        outside.
    poisson_gaussian : (float, float)
        ``(c0, c1)`` of the least-squares fit ``sigma^2 = c0 + c1 I``
        (electronic floor, quantum gain), reported for diagnostics.
    """

    bin_intensity: np.ndarray
    bin_sigma: np.ndarray
    poisson_gaussian: tuple[float, float]

    def sigma(self, intensity: np.ndarray | float) -> np.ndarray:
        """Noise sigma (fine residual, read units) at the given local intensities."""
        return np.interp(np.asarray(intensity, dtype=np.float64), self.bin_intensity, self.bin_sigma)

    def to_dict(self) -> dict[str, object]:
        """JSON-safe summary (the bins and the Poisson-Gaussian fit)."""
        return {"intensity": [round(float(v), 6) for v in self.bin_intensity],
                "sigma": [round(float(v), 6) for v in self.bin_sigma],
                "poisson_gaussian": [float(c) for c in self.poisson_gaussian]}


def sample_grid(valid_small: np.ndarray, factor: tuple[int, int], shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Full-resolution sample positions on a regular grid, inside ``valid_small``, one pixel off the border."""
    rows, cols = shape
    step = max(1, int(np.sqrt(max(1, int(valid_small.mean() * rows * cols)) / _TARGET_SAMPLES)))
    rr = np.arange(1 + step // 2, rows - 1, step)
    cc = np.arange(1 + step // 2, cols - 1, step)
    if rr.size == 0 or cc.size == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    h, w = valid_small.shape
    # the grid is separable: look up its rows and columns once, not every one of its points
    inside = valid_small[np.ix_(np.minimum(rr // factor[0], h - 1), np.minimum(cc // factor[1], w - 1))]
    ir, ic = np.divmod(np.flatnonzero(inside), cc.size)  # row-major, as a boolean index of the full grid
    return rr[ir], cc[ic]


def _fine_residual(image: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``pixel - mean of its 3 x 3 neighbourhood`` at the given positions (no full-size filter).

    The positions are at least one pixel inside the image, so every neighbour is read by its
    flat index (one ``take`` each instead of a two-dimensional gather).
    """
    flat_image = image.ravel()
    width = image.shape[1]
    flat = rows * width + cols
    acc = np.zeros(rows.size, np.float64)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            acc += flat_image.take(flat + (dr * width + dc))
    return flat_image.take(flat).astype(np.float64) - acc / 9.0


def quantisation_step(image: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> float:
    """The smallest step between the grey levels sampled (1 for integer data; tiny for float data).

    Read from at most 50,000 of the samples (``rows``, ``cols``), spread over them, so the cost
    does not grow with the image.
    """
    every = max(1, rows.size // 50_000)
    take = image[rows[::every], cols[::every]]
    # sorted in the image's own dtype (widening keeps the order); a repeated level only adds a
    # step of 0, which is dropped, so this is the smallest step between the unique levels
    steps = np.diff(np.sort(take).astype(np.float64))
    steps = steps[steps > 0]
    return float(steps.min()) if steps.size else 0.0


def robust_centre_spread(x: np.ndarray, axis: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Median and median absolute deviation from it, scaled to a Gaussian sigma (x 1.4826), along
    ``axis`` (all values when None)."""
    centre = np.median(x, axis=axis, keepdims=True)
    spread = _MAD_TO_SIGMA * np.median(np.abs(x - centre), axis=axis)
    return centre.reshape(np.shape(spread)), spread


def robust_sigma(x: np.ndarray) -> float:
    """Median absolute deviation from the median, scaled to a Gaussian sigma (x 1.4826)."""
    flat = np.ravel(x)
    return float(_MAD_TO_SIGMA * _median(np.abs(flat - _median(flat))))


#: below this many values :func:`_median` is ``np.median`` itself
_SELECT_MIN_SIZE = 20_000


def _median(x: np.ndarray) -> np.floating:
    """``np.median`` of a 1-D array, the same value, found by partitioning only the values
    between two order statistics of a strided sample that bracket the middle (a few per cent of
    a large array) instead of all of it.  Falls back to ``np.median`` when the bracket misses the
    middle or the array holds NaN."""
    n = x.size
    if n < _SELECT_MIN_SIZE:
        return np.median(x)
    sample = np.sort(x[:: max(16, n // 16384)])  # at most 1/16 of the values
    m = sample.size
    reach = int(2 * np.sqrt(m)) + 1  # four times the sqrt(m) / 2 the middle's rank in the sample wanders by
    lo, hi = sample[max(m // 2 - reach, 0)], sample[min(m // 2 + reach, m - 1)]
    below = int(np.count_nonzero(x < lo))
    above = int(np.count_nonzero(x > hi))
    inside = x[(x >= lo) & (x <= hi)]
    k_lo, k_hi = (n - 1) // 2 - below, n // 2 - below  # the middle ranks among ``inside``
    if below + above + inside.size != n or k_lo < 0 or k_hi >= inside.size:  # NaN, or missed
        return np.median(x)
    part = np.partition(inside, [k_lo, k_hi])
    return np.mean(part[k_lo: k_hi + 1])  # as np.median: the mean of the middle one or two


def _running_median3(x: np.ndarray) -> np.ndarray:
    if x.size < 3:
        return x
    padded = np.r_[x[0], x, x[-1]]
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, 3), axis=1)


def _poisson_gaussian(intensity: np.ndarray, sigma: np.ndarray) -> tuple[float, float]:
    if intensity.size < 2 or np.ptp(intensity) == 0:
        return float(np.mean(sigma**2)), 0.0
    c1, c0 = np.polyfit(intensity, sigma**2, 1)
    return float(c0), float(c1)


def fit_noise_curve(
    image: np.ndarray,
    local_mean_small: np.ndarray,
    valid_small: np.ndarray,
    *,
    factor: tuple[int, int],
) -> NoiseCurve | None:
    """Measure ``sigma(I)`` of the fine-scale residual of ``image`` inside the breast.

    Parameters
    ----------
    image : ndarray of float32, shape (rows, cols)
        Read units (denser = brighter).
    local_mean_small : ndarray of float32, shape (h, w)
        The image averaged over blocks of ``factor`` pixels (the local intensity;
        :attr:`calcdetect.detector.mask.BreastMask.block_mean`).
    valid_small : ndarray of bool, shape (h, w)
        Where to sample (the breast, away from the skin line).
    factor : (int, int)
        Full-resolution pixels per coarse pixel (rows, cols).

    Returns
    -------
    NoiseCurve, or None when the region holds too few samples.
    """
    rows, cols = sample_grid(valid_small, factor, image.shape)
    if rows.size < 2000:
        return None
    resid = _fine_residual(image, rows, cols) / fine_residual_sigma_factor()
    h, w = local_mean_small.shape
    block = np.minimum(rows // factor[0], h - 1) * w + np.minimum(cols // factor[1], w - 1)
    level = np.ravel(local_mean_small).take(block).astype(np.float64)
    edges = np.unique(np.quantile(level, np.linspace(0.0, 1.0, _N_BINS + 1)))
    which = np.clip(np.searchsorted(edges, level, side="right") - 1, 0, max(edges.size - 2, 0))
    # the samples grouped by bin (a stable radix sort of the small bin numbers); a median
    # depends only on the values of its bin, not on their order
    n_bins = max(edges.size - 1, 1)
    order = np.argsort(which.astype(np.int16), kind="stable")
    level_sorted, resid_sorted = level[order], resid[order]
    bounds = np.concatenate([[0], np.cumsum(np.bincount(which, minlength=n_bins))])
    centres, sigmas = [], []
    for b in range(n_bins):
        lo, hi = bounds[b], bounds[b + 1]
        if hi - lo < 200:
            continue
        centres.append(float(_median(level_sorted[lo:hi])))
        sigmas.append(robust_sigma(resid_sorted[lo:hi]))
    if not centres:
        centres, sigmas = [float(_median(level))], [robust_sigma(resid)]
    centres_a = np.asarray(centres)
    sigmas_a = _running_median3(np.asarray(sigmas))
    floor = 1e-3 * float(sigmas_a.max()) if sigmas_a.max() > 0 else 1e-12
    # no pixel is known better than its grey level's step: a region clipped flat (burnt-out
    # film, a saturated detector) measures no noise, yet a response beside it is noise too
    floor = max(floor, quantisation_step(image, rows, cols) / np.sqrt(12.0))
    sigmas_a = np.maximum(sigmas_a, max(floor, 1e-12))
    return NoiseCurve(centres_a, sigmas_a, _poisson_gaussian(centres_a, sigmas_a))
