"""How visible a calcification is (d′ against the total noise), and the class of a cluster.

**d′ per calcification** — the prewhitening matched-filter observer (the
ideal linear observer for Gaussian noise of known power spectrum):

    d′² = (1/N) Σ_f |S(f)|² M(f)² / W(f)

``S`` is the DFT of the calcification's noise-free change in detected quanta
(unblurred), ``M`` the detector MTF, and ``W`` the power spectrum of *all* the
noise it is seen in:

* quantum noise (Poisson, then the detector blur: ``n M(f)²``) and electronic
  noise (white, ``σ_e²``), at the local mean signal ``n``;
* anatomical noise: the breast texture around the cluster *without* any
  calcium — the Hann-windowed, plane-detrended periodogram of the noise-free
  background in a square of ±:data:`BOX_HALF_MM` around the site, smoothed
  over 5 x 5 frequency bins.

Why prewhitening and not the non-prewhitening (NPW) template: these phantoms'
texture has a ``1/f³`` spectrum and, around a site, often 10-20 % modulation
at 1-5 mm; an NPW template of a 0.3 mm calcification picks that up (measured:
d′ falls to 0.1-0.3 of the quantum-only value), a prewhitening observer and
any band-pass detector do not (the detectors of the literature filter at the
calcification's scale and normalise by local noise).  The class thresholds
below are derived for a search over positions in noise of unit variance,
which is what a prewhitened matched-filter output is.

All in detected quanta: the detector response to read units is pointwise,
monotone and smooth on the scale of a calcification, so it scales signal and
noise alike and leaves d′ unchanged to first order (quantisation of the stored
integers, about 1/12 LSB², is neglected).

**d′ at coarser pixels** (:func:`observer_d_prime_coarse`): the same observer on the
image area-averaged to pixels ``k`` times larger (as ``calcdetect.learning.dataset.resample_image``
does, e.g. to 0.2 mm): the signal and each noise component pass the box average, then the
coarse sampling folds every frequency onto the coarse grid; noise aliases add in power, and so
do the signal's, averaged over where the calcification falls inside a coarse pixel.  Averaging
cannot raise d′; it lowers it for a spot smaller than the new pixel in quantum noise (by ``k``
for a one-pixel spot in white noise) and hardly for one much larger.

**Cluster class** (``docs/phantom-truth.md`` has the derivation): *visible*
when at least three members have d′ ≥ 6, *subtle* when the third-strongest
member has 4 ≤ d′ < 6, *occult* below.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import cv2
import numpy as np

__all__ = [
    "VISIBILITY_CLASSES",
    "VISIBLE_D_PRIME",
    "SUBTLE_D_PRIME",
    "CLUSTER_MIN_MEMBERS",
    "REALISTIC_MIX",
    "BOX_HALF_MM",
    "classify_cluster",
    "third_strongest",
    "BackgroundSpectrum",
    "background_spectrum",
    "observer_d_prime",
    "observer_d_prime_coarse",
    "COARSE_CHECK_MM",
]

VISIBILITY_CLASSES = ("visible", "subtle", "occult")
VISIBLE_D_PRIME = 6.0
SUBTLE_D_PRIME = 4.0
#: members a cluster needs (BI-RADS: three or more within 1 cm²)
CLUSTER_MIN_MEMBERS = 3
#: default class mix of a phantom set's clusters: most seen, some subtle, few occult
REALISTIC_MIX: Mapping[str, float] = MappingProxyType({"visible": 0.7, "subtle": 0.2, "occult": 0.1})
#: half-width (mm) of the square of background whose texture is measured around a site
BOX_HALF_MM = 4.0
#: the coarse pixel (mm) a phantom's truth also gives each calcification's d′ at (digitised film,
#: and the issue-12 measurement of the same images area-averaged)
COARSE_CHECK_MM = 0.2


def third_strongest(d_primes: Sequence[float]) -> float:
    """d′ of the third-strongest member (``-inf`` when there are fewer than three)."""
    d = sorted((float(v) for v in d_primes), reverse=True)
    return d[CLUSTER_MIN_MEMBERS - 1] if len(d) >= CLUSTER_MIN_MEMBERS else -math.inf


def classify_cluster(d_primes: Sequence[float]) -> str:
    """``"visible"``, ``"subtle"`` or ``"occult"`` from the members' d′.

    Examples
    --------
    >>> classify_cluster([9, 7, 6.0, 1]), classify_cluster([9, 7, 5.9]), classify_cluster([9, 9, 3.9, 3])
    ('visible', 'subtle', 'occult')
    """
    third = third_strongest(d_primes)
    if third >= VISIBLE_D_PRIME:
        return "visible"
    if third >= SUBTLE_D_PRIME:
        return "subtle"
    return "occult"


@dataclass(frozen=True, eq=False)
class BackgroundSpectrum:
    """Noise power around one site, on an ``n x n`` Fourier grid (pixels).

    Attributes
    ----------
    size : int
    nps : ndarray, (size, size)
        Total noise power per frequency (quantum + electronic + anatomical),
        normalised so white noise of variance σ² has power σ².
    mtf : ndarray
        Detector MTF on the grid.
    anatomical : ndarray
        The anatomical part of ``nps``.
    """

    size: int
    nps: np.ndarray
    mtf: np.ndarray
    anatomical: np.ndarray


def _freq2(size: int) -> np.ndarray:
    f = np.fft.fftfreq(size)
    return f[:, None] ** 2 + f[None, :] ** 2


def background_spectrum(background: np.ndarray, *, n_mean: float, blur_sigma_px: float,
                        electronic_noise: float) -> BackgroundSpectrum:
    """The noise a calcification is seen in, from the calcification-free background around it.

    Parameters
    ----------
    background : ndarray, (size, size)
        Noise-free detected quanta around the site, *after* the detector
        blur, with no calcium (square).
    n_mean : float
        Mean detected quanta per pixel at the site (sets the quantum noise).
    blur_sigma_px, electronic_noise : float
        As :class:`calcdetect.phantom.acquisition.Exposure`.
    """
    b = np.asarray(background, np.float64)
    size = b.shape[0]
    if b.shape != (size, size):
        raise ValueError(f"background must be square, got {b.shape}")
    mtf2 = np.exp(-4.0 * np.pi**2 * blur_sigma_px**2 * _freq2(size))
    # detrend (a plane) and window, so the breast's large-scale fall-off does not leak
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    a = np.c_[np.ones(size * size), yy.ravel(), xx.ravel()]
    coef, *_ = np.linalg.lstsq(a, b.ravel(), rcond=None)
    resid = b - (a @ coef).reshape(size, size)
    w = np.hanning(size)[:, None] * np.hanning(size)[None, :]
    anat = np.abs(np.fft.fft2(resid * w)) ** 2 / float((w**2).sum())
    # a periodogram scatters ±100 % per bin: average neighbouring bins (wrapping around)
    anat = np.fft.ifftshift(cv2.blur(np.fft.fftshift(anat), (5, 5), borderType=cv2.BORDER_WRAP))
    quantum = max(float(n_mean), 1e-6) * mtf2 + float(electronic_noise) ** 2
    return BackgroundSpectrum(size, quantum + anat, np.sqrt(mtf2), anat)


def observer_d_prime(delta: np.ndarray, spectrum: BackgroundSpectrum) -> tuple[float, float]:
    """Prewhitening d′ of one calcification, with all the noise and with quantum + electronic only.

    Parameters
    ----------
    delta : ndarray
        The calcification's *unblurred* change in expected detected quanta
        (small patch, smaller than the spectrum's grid).
    spectrum : BackgroundSpectrum
        From :func:`background_spectrum` for the site.

    Returns
    -------
    (d_prime, d_prime_without_anatomy) : (float, float)
    """
    n = spectrum.size
    h, w = delta.shape
    if h > n or w > n:
        raise ValueError(f"signal patch {delta.shape} larger than the background grid {n}")
    p = np.abs(np.fft.fft2(np.asarray(delta, np.float64), s=(n, n))) ** 2 * spectrum.mtf**2
    d2 = float((p / spectrum.nps).sum()) / (n * n)
    d2_q = float((p / (spectrum.nps - spectrum.anatomical)).sum()) / (n * n)
    return math.sqrt(max(d2, 0.0)), math.sqrt(max(d2_q, 0.0))


def _box_transfer(f: np.ndarray, factor: float) -> np.ndarray:
    """Transfer function of a ``factor``-pixel box average along one axis (``f`` in cycles per
    fine pixel): ``sin(pi f k) / (k sin(pi f))``, exact for a whole ``k``, the box's own
    approximation of area interpolation for a fractional one."""
    num = np.sin(np.pi * f * factor)
    den = factor * np.sin(np.pi * f)
    return np.where(np.abs(den) > 1e-12, num / np.where(np.abs(den) > 1e-12, den, 1.0), 1.0)


def observer_d_prime_coarse(delta: np.ndarray, spectrum: BackgroundSpectrum, factor: float) -> float:
    """Prewhitening d′ of one calcification in the image area-averaged to pixels ``factor`` times larger.

    Parameters
    ----------
    delta, spectrum
        As :func:`observer_d_prime` (fine grid).
    factor : float
        New pixel size over the old (``>= 1``; 1 gives :func:`observer_d_prime`'s d′).

    Returns
    -------
    float
        ``sqrt((1/n²) Σ_g [Σ_f→g |S M B|²] / [Σ_f→g W |B|²])``: ``B`` the box average, ``f→g``
        the fine frequencies that fold onto coarse frequency ``g``.  Signal aliases are added in
        power, i.e. d′² is averaged over where the calcification falls in a coarse pixel.

    Examples
    --------
    A one-pixel spot in white noise: four times coarser pixels see a quarter of its d′.

    >>> spectrum = BackgroundSpectrum(64, np.ones((64, 64)), np.ones((64, 64)), np.zeros((64, 64)))
    >>> spot = np.zeros((3, 3)); spot[1, 1] = 8.0
    >>> observer_d_prime(spot, spectrum)[0], round(observer_d_prime_coarse(spot, spectrum, 4.0), 6)
    (8.0, 2.0)
    """
    if not factor >= 1.0:
        raise ValueError(f"factor must be at least 1, got {factor!r}")
    n = spectrum.size
    h, w = delta.shape
    if h > n or w > n:
        raise ValueError(f"signal patch {delta.shape} larger than the background grid {n}")
    f = np.fft.fftfreq(n)
    b = _box_transfer(f, factor)
    b2 = (b[:, None] * b[None, :]) ** 2
    signal = np.abs(np.fft.fft2(np.asarray(delta, np.float64), s=(n, n))) ** 2 * spectrum.mtf**2 * b2
    noise = spectrum.nps * b2
    m = max(1, int(round(n / factor)))
    coarse = np.round((((f * factor) + 0.5) % 1.0 - 0.5) * m).astype(np.intp) % m  # coarse bin of each frequency
    index = (coarse[:, None] * m + coarse[None, :]).ravel()
    num = np.bincount(index, weights=signal.ravel(), minlength=m * m)
    den = np.bincount(index, weights=noise.ravel(), minlength=m * m)
    ok = den > 0
    return math.sqrt(max(float((num[ok] / den[ok]).sum()) / (n * n), 0.0))
