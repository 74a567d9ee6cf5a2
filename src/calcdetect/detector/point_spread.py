"""The image's own point spread, estimated from its noise (no vendor table).

Whatever passed through the imaging chain (x-ray quanta absorbed in a
screen or a converter, light spread in the film or a scintillator, the
scanner's optics) was blurred by the chain's point spread function (PSF), and
so was the quantum noise that came with it.  The noise power spectrum (NPS)
of the image therefore carries the PSF: for white noise blurred by a PSF of
transfer function ``M(f)`` plus white noise added after the blur (electronic
noise, film grain seen through a sharper scanner, quantisation),

    NPS(f) = a |M(f)|^2 + b.

:func:`estimate_point_spread` measures the NPS on square tiles inside the
breast (each tile high-passed -- pixel minus its 5 x 5 mean, whose known
transfer the fit includes -- so that texture much stronger than the noise
does not leak into the band through the window, divided by the noise model's
sigma at its mean, Hann-windowed; the per-frequency *median* over tiles, so tiles with
an edge, a vessel or a calcification do not count), and fits the model with a
sampled Gaussian PSF of sigma ``s`` pixels, plus a term ``c / f^3`` for the
anatomical texture left in the band -- ``a, b, c >= 0`` by non-negative least
squares on relative residuals, ``s`` on a grid -- over the frequencies above
``_F_MIN`` cycles/pixel, where most texture is gone.

Limits (what the estimate can and cannot say):

* it is the blur *of the noise*.  Noise that enters after part of the chain
  (film grain sees only the scanner, electronic noise nothing) makes the NPS
  flatter, and a white floor ``b`` is fitted for exactly that; what remains is
  an *under*-estimate of the chain's PSF, which only makes the speck test of
  :mod:`.rejection` more lenient (it never makes a real calcification fail);
* lossy compression or noise reduction remove high-frequency noise and make
  it look blurred: the estimate then comes out too wide.  The speck test uses
  ``psf_margin`` times the estimate for that reason;
* the fit is repeated above 0.2 cycles/pixel; when the two disagree, some
  structure other than blurred noise (a periodic pattern such as grid lines,
  texture with a steep spectrum) shapes the spectrum and no blur is claimed
  (``sigma_px`` 0: the speck test does not run);
* isotropic Gaussian only (a scanner whose blur differs along and across the
  scan direction gets an average);
* below about 0.4 pixel a sampled Gaussian is a single pixel and the estimate
  is a floor, not a measurement: at 0.2 mm per pixel a calcification is
  itself about one pixel and no profile test can tell it from a speck.

The fit is checked in ``tests/calcdetect/detect/test_point_spread.py`` on white
noise blurred by known Gaussians, with and without a white floor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import logging

import numpy as np
from scipy.ndimage import uniform_filter
from scipy.optimize import nnls

log = logging.getLogger(__name__)

__all__ = ["PointSpread", "NO_ESTIMATE", "estimate_point_spread", "gaussian_transfer2", "TILE_PX"]

#: side of the square tiles the noise power spectrum is measured on, pixels
TILE_PX = 32
#: lowest frequency fitted, cycles/pixel (texture below, noise above)
_F_MIN = 0.12
#: lowest frequency of the second, check fit (cycles/pixel)
_F_CHECK = 0.2
#: PSF sigmas tried, pixels
_SIGMA_GRID_PX = np.round(np.arange(0.0, 4.0001, 0.025), 4)
#: at most this many tiles (evenly spread over the breast)
_MAX_TILES = 400
#: side of the square mean subtracted before the spectrum (a high-pass against texture), pixels
_BOX_PX = 5
#: frequencies whose power is below this fraction of the band's maximum are not fitted
_DYNAMIC_RANGE = 1e-4
#: noise more white than this (share of the variance) does not show its blur: sigma reported 0 ...
_MAX_WHITE = 0.97
#: ... and more white than this only when measured on at least ``_MANY_TILES`` tiles (film grain
#: dominates digitised film; on a small field a few per cent of blurred noise is not measurable)
_MAX_WHITE_FEW_TILES = 0.9
_MANY_TILES = 200
#: fewer tiles than this: no estimate
_MIN_TILES = 24
#: share of a tile's pixels that may sit at the image's clipping values
_MAX_CLIPPED = 0.01


@dataclass(frozen=True)
class PointSpread:
    """The point spread the image's noise was blurred with.

    Attributes
    ----------
    sigma_px : float
        Sigma of the fitted isotropic Gaussian PSF, pixels of the image (0
        when the noise looks white).
    white_fraction : float
        Share of the noise variance that is white (added after the blur).
    n_tiles : int
        Tiles the noise power spectrum was measured on (0: no estimate).
    fit_error : float
        RMS relative residual of the fit over the fitted frequencies.
    sigma_high_band_px : float
        The same fit above ``_F_CHECK`` cycles/pixel only.  When the two
        disagree by more than 0.1 px + 25 %, ``sigma_px`` is 0 (no blur
        claimed); otherwise it is the smaller of the two.
    """

    sigma_px: float
    white_fraction: float
    n_tiles: int
    fit_error: float
    sigma_high_band_px: float = float("nan")

    @property
    def measured(self) -> bool:
        """Whether there were enough tiles for an estimate."""
        return self.n_tiles >= _MIN_TILES

    def to_dict(self) -> dict[str, float]:
        """JSON-safe summary."""
        return {"sigma_px": round(self.sigma_px, 4), "white_fraction": round(self.white_fraction, 4),
                "n_tiles": int(self.n_tiles), "fit_error": round(self.fit_error, 4),
                "sigma_high_band_px": round(self.sigma_high_band_px, 4)}


NO_ESTIMATE = PointSpread(sigma_px=0.0, white_fraction=1.0, n_tiles=0, fit_error=float("nan"))


def gaussian_taps(sigma_px: float) -> np.ndarray:
    """A 1-D Gaussian sampled at pixel centres out to 4 sigma and normalised to sum 1 (float64);
    a single tap of 1 for a sigma of 0 or less."""
    if sigma_px <= 0:
        return np.ones(1)
    half = int(np.ceil(4 * sigma_px))
    x = np.arange(-half, half + 1, dtype=np.float64)
    k = np.exp(-0.5 * (x / sigma_px) ** 2)
    return k / k.sum()


def gaussian_transfer2(sigma_px: float, n: int = TILE_PX) -> np.ndarray:
    """``|M(f)|^2`` on the ``n x n`` DFT grid of a sampled, normalised Gaussian PSF.

    The kernel is sampled at pixel centres out to 4 sigma and normalised to
    sum 1 (as ``cv2.GaussianBlur`` builds it), so sigma 0 is a single pixel
    and the aliasing of a narrow kernel is exact.
    """
    if sigma_px <= 0:
        return np.ones((n, n))
    k = gaussian_taps(sigma_px)
    half = k.size // 2
    padded = np.zeros(n)
    padded[np.arange(-half, half + 1) % n] += k
    m1 = np.abs(np.fft.fft(padded)) ** 2
    return np.outer(m1, m1)


@lru_cache(maxsize=512)
def _transfer2(sigma_px: float, n: int) -> np.ndarray:
    """:func:`gaussian_transfer2`, kept (read-only): every fit tries the same grid of sigmas, and
    each image is fitted twice."""
    m2 = gaussian_transfer2(sigma_px, n)
    m2.setflags(write=False)
    return m2


def _tile_origins(valid: Callable[[np.ndarray, np.ndarray], np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    rows, cols = shape
    t = TILE_PX
    r0 = np.arange(4, rows - t - 4, t)
    c0 = np.arange(4, cols - t - 4, t)
    if r0.size == 0 or c0.size == 0:
        return np.zeros((0, 2), np.intp)
    gr, gc = (g.ravel() for g in np.meshgrid(r0, c0, indexing="ij"))
    inside = np.ones(gr.size, bool)
    for dr in (0, t - 1):  # all four corners inside the search region
        for dc in (0, t - 1):
            inside &= np.asarray(valid(gr + dr, gc + dc), bool)
    origins = np.stack([gr[inside], gc[inside]], 1)
    if len(origins) > _MAX_TILES:
        origins = origins[np.linspace(0, len(origins) - 1, _MAX_TILES).round().astype(int)]
    return origins


def _unclipped(image: np.ndarray, origins: np.ndarray) -> np.ndarray:
    """The tiles with at most ``_MAX_CLIPPED`` of their pixels at the image's lowest or highest
    value: film burnt out or saturated to the scanner's limit is flat there and measures no noise
    (a median over mostly flat tiles is a zero spectrum)."""
    if not len(origins):
        return origins
    lo, hi = float(image.min()), float(image.max())
    tiles = _tiles(image, origins, TILE_PX)
    clipped = ((tiles == lo) | (tiles == hi)).mean(axis=(1, 2))
    return origins[clipped <= _MAX_CLIPPED]


def _tiles(image: np.ndarray, origins: np.ndarray, size: int) -> np.ndarray:
    """The ``size x size`` tiles at ``origins`` (top-left corners, inside the image), shape
    (n, size, size): whole tile rows copied out of a window view, no index per pixel."""
    windows = np.lib.stride_tricks.sliding_window_view(image, (size, size))
    return windows[origins[:, 0], origins[:, 1]]


def _box_highpass2(n: int = TILE_PX) -> np.ndarray:
    """``|1 - B(f)|^2`` on the ``n x n`` DFT grid, ``B`` the transfer of the ``_BOX_PX`` square mean."""
    half = _BOX_PX // 2
    k = np.zeros(n)
    k[np.arange(-half, half + 1) % n] = 1.0 / _BOX_PX
    b1 = np.fft.fft(k).real  # symmetric kernel: real transfer
    return (1.0 - np.outer(b1, b1)) ** 2


def _median_periodogram(image: np.ndarray, origins: np.ndarray,
                        sigma_of: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    t, m = TILE_PX, _BOX_PX // 2
    big = _tiles(image, origins - m, t + 2 * m).astype(np.float64)  # origins are at least 4 pixels inside
    means = big[:, m:-m, m:-m].mean(axis=(1, 2))
    # high-pass first (pixel minus its 5 x 5 mean), so that texture far stronger than the noise does
    # not leak into the fitted band through the window; the fit divides its transfer back out
    resid = big[:, m:-m, m:-m] - uniform_filter(big, size=(1, _BOX_PX, _BOX_PX), mode="nearest")[:, m:-m, m:-m]
    sig = np.maximum(np.asarray(sigma_of(means), np.float64), 1e-12)
    resid /= sig[:, None, None]
    resid -= resid.mean(axis=(1, 2), keepdims=True)
    w1 = np.hanning(t + 2)[1:-1]
    window = np.outer(w1, w1)
    spectra = np.abs(np.fft.fft2(resid * window)) ** 2 / (window**2).sum()
    # periodogram values are ~ exponential: median = ln 2 x mean; the median over the tiles is
    # taken along contiguous rows (the same values, a third of the cost of the strided axis 0)
    across_tiles = np.ascontiguousarray(spectra.reshape(len(spectra), -1).T)
    return np.median(across_tiles, axis=1).reshape(spectra.shape[1:]) / np.log(2.0)


def fit_point_spread(nps: np.ndarray, *, highpassed: bool = False, f_min: float = _F_MIN) -> tuple[float, float, float]:
    """Fit ``a |M_s(f)|^2 + b + c / |f|^3`` to a square noise power spectrum (the last term is the
    anatomical texture left in the band); returns (sigma_px, white_fraction of the noise, fit_error).
    ``highpassed``: the spectrum is of the residual from a 5 x 5 mean (its transfer is fitted with it)."""
    n = nps.shape[0]
    f = np.fft.fftfreq(n)
    fr = np.hypot(f[:, None], f[None, :])
    band = fr >= f_min
    # where a wide blur leaves almost no noise, the window's leakage is all that is left: not fitted
    band &= nps >= _DYNAMIC_RANGE * nps[band].max()
    y = nps[band]

    highpass = _box_highpass2(n)[band] if highpassed else np.ones(band.sum())
    texture = fr[band] ** -3.0  # anatomical texture falls as 1/f^3: its own term, so the blur does not take it

    def fit(s: float) -> tuple[float, float, float]:
        m2 = _transfer2(s, n)
        design = np.stack([m2[band], np.ones(band.sum()), texture], 1) * (highpass / y)[:, None]
        coef, _ = nnls(design, np.ones(band.sum()))
        err = float(np.sqrt(np.mean((design @ coef - 1.0) ** 2)))
        noise = coef[0] * m2.mean() + coef[1]  # noise variance = mean of its NPS over all frequencies
        return err, s, float(coef[1] / noise) if noise > 0 else 1.0

    # coarse grid, then the fine grid around its best
    coarse = min((fit(float(s)) for s in _SIGMA_GRID_PX[::4]), key=lambda f: f[0])
    fine = _SIGMA_GRID_PX[np.abs(_SIGMA_GRID_PX - coarse[1]) <= 0.1 + 1e-9]
    err, s, white = min((fit(float(s)) for s in fine), key=lambda f: (f[0], f[1]))
    if white > _MAX_WHITE:  # the blurred part is too small to say how it was blurred
        s = 0.0
    return s, white, err


def estimate_point_spread(
    image: np.ndarray,
    *,
    valid: Callable[[np.ndarray, np.ndarray], np.ndarray],
    sigma_of: Callable[[np.ndarray], np.ndarray],
) -> PointSpread:
    """Estimate the PSF the image's noise was blurred with.

    Parameters
    ----------
    image : ndarray, shape (rows, cols)
        The analysed image (denser = brighter).
    valid : callable (rows_px, cols_px) -> bool array
        Where tiles may lie (the breast's search region).
    sigma_of : callable (intensity) -> sigma
        The image's noise curve (:meth:`.noise_model.NoiseCurve.sigma`), so
        that tiles of different brightness weigh alike.

    Returns
    -------
    PointSpread
        ``n_tiles`` 0 (``measured`` False) when fewer than 24 tiles fit.

    Examples
    --------
    >>> import cv2
    >>> rng = np.random.default_rng(0)
    >>> noise = cv2.GaussianBlur(rng.normal(0, 1, (512, 512)).astype(np.float32), (0, 0), 1.2)
    >>> psf = estimate_point_spread(noise, valid=lambda r, c: np.ones(r.shape, bool),
    ...                             sigma_of=lambda i: np.ones_like(i))
    >>> round(psf.sigma_px, 1)
    1.2
    """
    img = np.asarray(image)
    if img.ndim != 2:
        raise ValueError(f"image must be 2-D, got shape {img.shape}")
    origins = _unclipped(img, _tile_origins(valid, img.shape))
    if len(origins) < _MIN_TILES:
        return NO_ESTIMATE
    nps = _median_periodogram(img, origins, sigma_of)
    if not (np.isfinite(nps).all() and (nps > 0).any()):
        log.debug("point spread: no noise measured on %d tiles; no estimate", len(origins))
        return NO_ESTIMATE
    sigma, white, err = fit_point_spread(nps, highpassed=True)
    sigma_high, _, _ = fit_point_spread(nps, highpassed=True, f_min=_F_CHECK)
    if white > _MAX_WHITE_FEW_TILES and len(origins) < _MANY_TILES:
        log.debug("point spread: %.1f %% white noise on %d tiles; no blur claimed", 100 * white, len(origins))
        sigma = 0.0
    if abs(sigma - sigma_high) > 0.1 + 0.25 * max(sigma, sigma_high):
        # the two bands disagree: something other than blurred noise (a periodic pattern, texture
        # with a steep spectrum) shapes the spectrum; no blur is claimed
        log.debug("point spread: bands disagree (%.3f vs %.3f px); none claimed", sigma, sigma_high)
        sigma = 0.0
    return PointSpread(sigma_px=min(sigma, sigma_high), white_fraction=white, n_tiles=int(len(origins)),
                       fit_error=err, sigma_high_band_px=sigma_high)
