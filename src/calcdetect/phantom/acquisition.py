"""From attenuation to stored pixel values: exposure, noise, blur, detector response.

The chain, in order (each step one function, all documented physics kept simple):

1. **Exposure** — primary transmission ``exp(-A)`` plus scatter (a low-pass copy
   of the primary, scatter-to-primary ratio 0.2-0.4 as behind an anti-scatter
   grid), times the heel effect (a few % more on the chest-wall side).  An
   automatic exposure control sets the dose so the breast interior receives the
   preset's quanta per mm².
2. **Quantum noise** — Poisson, drawn as its Gaussian limit
   ``N + sqrt(N) * z`` (N is hundreds of quanta per pixel, where the two agree).
3. **Detector blur** — Gaussian point spread function (the MTF of the
   converter), applied to signal *and* quantum noise, so the noise is correlated.
4. **Electronic noise** — white, added after the blur.
5. **Response** — FOR PROCESSING: stored = gain x quanta (linear in exposure).
   FOR PRESENTATION: ``v = -ln(N / N0)``, a thickness equalisation that
   subtracts part of the large-scale trend of ``v`` inside the breast (as vendor
   processing does), a window and a gamma curve to the stored range;
   MONOCHROME1 stores ``max - value``.

:class:`Response` also gives the *read units* used for the truth's contrast
and SNR: denser = brighter, exactly as :func:`calcdetect.io.read_mammogram`
reads the file: the stored value (``max - stored`` for MONOCHROME1) for
presentation images and ``ln(max + 1) - ln(stored + 1)`` for processing images.

A film preset keeps steps 1-3 (the screen is the converter) and replaces 4-5
by :mod:`.film`: the characteristic curve, film grain and the scanner
(:class:`.film.FilmResponse`); :attr:`Exposure.film` carries the image's film.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from calcdetect.phantom.film import FilmChain, FilmResponse
from calcdetect.phantom.presets import FOR_PROCESSING, VendorPreset

__all__ = ["Exposure", "Response", "plan_exposure", "detect", "fit_response", "ideal_observer_snr"]


@dataclass(frozen=True, eq=False)
class Exposure:
    """Noise-free exposure model of one acquisition."""

    quanta_per_pixel: float  # unattenuated detected quanta per pixel, after AEC
    scatter: np.ndarray  # full res, scatter fluence as a fraction of the unattenuated beam
    heel: np.ndarray  # (cols,) multiplicative heel-effect profile
    blur_sigma_px: float
    electronic_noise: float
    film: FilmChain | None = None  # digitised screen-film: grain and scanner instead of electronic noise

    def white_sigma(self, n_mean: float) -> float:
        """Standard deviation, in quanta, of the white noise added after the blur at ``n_mean``.

        The electronic noise of a digital detector; for film, grain, scanner
        noise and quantisation seen through the characteristic curve.
        """
        if self.film is None:
            return float(self.electronic_noise)
        return self.film.white_sigma_quanta(n_mean)

    @property
    def noise_gain(self) -> float:
        """Variance reduction of white noise by the blur: sum of the PSF squared."""
        if self.blur_sigma_px <= 0:
            return 1.0
        k = cv2.getGaussianKernel(int(2 * np.ceil(4 * self.blur_sigma_px) + 1), self.blur_sigma_px)
        return float((k @ k.T).__pow__(2).sum())

    def mean_quanta(self, attenuation: np.ndarray, rows: slice = slice(None), cols: slice = slice(None)) -> np.ndarray:
        """Expected detected quanta per pixel for an attenuation patch at (rows, cols)."""
        prim = np.exp(-attenuation.astype(np.float32))
        return (np.float32(self.quanta_per_pixel) * (prim + self.scatter[rows, cols]) * self.heel[cols]).astype(np.float32)

    def quanta_sigma(self, n_mean: np.ndarray | float) -> np.ndarray | float:
        """Standard deviation of the detected (blurred) signal in quanta."""
        if self.film is not None:
            return np.sqrt(float(n_mean) * self.noise_gain + self.white_sigma(float(n_mean)) ** 2)
        return np.sqrt(np.asarray(n_mean) * self.noise_gain + self.electronic_noise**2)

    def blur(self, image: np.ndarray) -> np.ndarray:
        if self.blur_sigma_px <= 0:
            return image
        return cv2.GaussianBlur(image, (0, 0), self.blur_sigma_px, borderType=cv2.BORDER_REFLECT)


def _smooth(img: np.ndarray, sigma_px: float) -> np.ndarray:
    """Wide Gaussian blur done on a grid shrunk to ~sigma/6 per pixel (same size out):
    a direct blur with a kernel hundreds of pixels wide costs a third of a second."""
    f = max(1, int(sigma_px // 6))
    if f == 1:
        return cv2.GaussianBlur(img, (0, 0), sigma_px)
    h, w = img.shape
    small = cv2.resize(img, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma_px / f)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def plan_exposure(attenuation_low: np.ndarray, mask_low: np.ndarray, interior_low: np.ndarray, *,
                  shape: tuple[int, int], preset: VendorPreset, grid_mm: float,
                  rng: np.random.Generator) -> Exposure:
    """Scatter field, heel effect and the AEC dose for one image (canonical orientation)."""
    rows, cols = shape
    spr = rng.uniform(0.2, 0.4)
    prim = np.exp(-attenuation_low).astype(np.float32)
    inside = (prim * mask_low).astype(np.float32)
    scatter_low = spr * _smooth(inside, 12.0 / grid_mm)
    scatter = cv2.resize(scatter_low.astype(np.float32), (cols, rows), interpolation=cv2.INTER_LINEAR)
    heel = (1 + rng.uniform(0.04, 0.1) * (0.5 - np.arange(cols, dtype=np.float32) / cols)).astype(np.float32)
    sel = interior_low if interior_low.any() else mask_low
    typical = float(np.median((prim + scatter_low)[sel])) if sel.any() else 1.0
    target = preset.quanta_per_mm2 * preset.spacing_mm**2
    film = None
    if preset.film is not None:  # the AEC aims the breast interior at a density (drawn: processing varies)
        film = FilmChain(spec=preset.film, pitch_mm=preset.spacing_mm, n_ref=target,
                         od_target=float(rng.uniform(*preset.film.od_target_range)), max_value=preset.max_value)
    return Exposure(
        quanta_per_pixel=target / max(typical, 1e-6),
        scatter=scatter,
        heel=heel,
        blur_sigma_px=preset.blur_sigma_mm / preset.spacing_mm,
        electronic_noise=preset.electronic_noise,
        film=film,
    )


def detect(n_mean: np.ndarray, exposure: Exposure, rng: np.random.Generator) -> np.ndarray:
    """Noisy, blurred detector signal in quanta per pixel (float32)."""
    z = rng.standard_normal(n_mean.shape, dtype=np.float32)
    z *= np.sqrt(n_mean)
    z += n_mean
    out = exposure.blur(z)
    if exposure.film is not None:  # film: grain and scanner noise come in density (FilmChain.expose)
        return out
    e = rng.standard_normal(n_mean.shape, dtype=np.float32)
    e *= np.float32(exposure.electronic_noise)
    out += e
    return out


def ideal_observer_snr(delta_quanta: np.ndarray, n_mean: float, exposure: Exposure) -> float:
    """Detectability d' of a small signal for the ideal (prewhitening) observer.

    The signal is known exactly and the background is flat at ``n_mean``
    detected quanta per pixel; the noise is the blurred Poisson noise plus the
    white electronic noise added after the blur, as :func:`detect` makes it:

        d'² = (1/N) Σ_f |S(f)|² M(f)² / (n_mean M(f)² + σ_e²)

    with ``S`` the DFT of ``delta_quanta`` (the *unblurred* change in expected
    quanta), ``M`` the Gaussian MTF and ``N`` the number of pixels (for film,
    ``σ_e`` is :meth:`Exposure.white_sigma`: grain and scanner noise).  Unlike a
    peak-pixel SNR it does not grow when the detector blurs (blur lowers the
    per-pixel noise but correlates it), so it compares visibility across
    vendors.  Anatomical texture is not in it: it is an upper bound.
    """
    pad = 64 if max(delta_quanta.shape) <= 64 else int(2 ** np.ceil(np.log2(max(delta_quanta.shape))))
    s = np.zeros((pad, pad), np.float64)
    s[: delta_quanta.shape[0], : delta_quanta.shape[1]] = delta_quanta
    power = np.abs(np.fft.fft2(s)) ** 2
    f = np.fft.fftfreq(pad)
    f2 = f[:, None] ** 2 + f[None, :] ** 2
    mtf2 = np.exp(-4.0 * np.pi**2 * exposure.blur_sigma_px**2 * f2)  # M(f)² for a Gaussian PSF
    nps = max(float(n_mean), 1e-6) * mtf2 + exposure.white_sigma(float(n_mean)) ** 2
    return float(np.sqrt((power * mtf2 / nps).sum() / s.size))


@dataclass(frozen=True, eq=False)
class Response:
    """Pointwise detector response (plus a fixed equalisation field) to stored values."""

    preset: VendorPreset
    gain: float = 1.0  # FOR PROCESSING: stored per quantum
    n_ref: float = 1.0  # FOR PRESENTATION: quanta of the unattenuated beam
    alpha: float = 0.0  # thickness equalisation strength
    level_ref: float = 0.0
    lo: float = 0.0
    hi: float = 1.0
    gamma: float = 1.0
    equalise: np.ndarray | None = None  # full-res low-pass of v (presentation)
    mask: np.ndarray | None = None

    @property
    def processing(self) -> bool:
        return self.preset.presentation_intent == FOR_PROCESSING

    def display(self, n: np.ndarray, rows: slice = slice(None), cols: slice = slice(None)) -> np.ndarray:
        """Read units before quantisation (denser = brighter)."""
        n = np.maximum(n, np.float32(0.5))
        if self.processing:
            mx = np.float32(self.preset.max_value)
            return np.log1p(mx) - np.log1p(np.clip(np.float32(self.gain) * n, 0, mx))
        v = -np.log(n / np.float32(self.n_ref))
        if self.equalise is not None:
            v = v + np.float32(self.alpha) * (np.float32(self.level_ref) - self.equalise[rows, cols]) * self.mask[rows, cols]
        y = np.clip((v - np.float32(self.lo)) / np.float32(self.hi - self.lo), 0.0, 1.0)
        return (y ** np.float32(self.gamma)) * np.float32(self.preset.max_value)

    def stored(self, n: np.ndarray) -> np.ndarray:
        """Integer pixel values as written to the DICOM file."""
        mx = self.preset.max_value
        if self.processing:
            return np.clip(np.rint(np.float32(self.gain) * n), 0, mx).astype(np.uint16)
        d = np.rint(self.display(n)).astype(np.int32)
        if self.preset.photometric == "MONOCHROME1":
            d = mx - d
        return np.clip(d, 0, mx).astype(np.uint16)

    def read(self, stored: np.ndarray) -> np.ndarray:
        """Stored values back to read units (what the truth's contrast is measured in)."""
        s = stored.astype(np.float32)
        if self.processing:
            return np.float32(np.log1p(self.preset.max_value)) - np.log1p(s)
        if self.preset.photometric == "MONOCHROME1":
            return np.float32(self.preset.max_value) - s
        return s

    def bright_stored(self) -> int:
        """A stored value that reads as very bright (for burned-in labels)."""
        if self.processing:
            return 0
        return 0 if self.preset.photometric == "MONOCHROME1" else self.preset.max_value

    def noise_sigma(self, n_mean: float, exposure: Exposure, rows: slice, cols: slice) -> float:
        """Standard deviation of the read value at a pixel with mean signal ``n_mean``."""
        sig_n = float(exposure.quanta_sigma(n_mean))
        eps = 0.01
        hi = self.display(np.array([[n_mean * (1 + eps)]], np.float32), rows, cols)
        lo = self.display(np.array([[n_mean * (1 - eps)]], np.float32), rows, cols)
        slope = abs(float(hi[0, 0] - lo[0, 0])) / (2 * eps * n_mean)
        quant = 1 / 12 if not self.processing else 0.0
        return float(np.sqrt((slope * sig_n) ** 2 + quant))


def fit_response(n_det: np.ndarray, mask: np.ndarray, *, preset: VendorPreset, exposure: Exposure,
                 grid_factor: int, rng: np.random.Generator) -> Response | FilmResponse:
    """Choose gain (processing) or equalisation + window + gamma (presentation); film: its scanner."""
    if exposure.film is not None:
        return FilmResponse(chain=exposure.film, photometric=preset.photometric)
    if preset.presentation_intent == FOR_PROCESSING:
        gain = 0.8 * preset.max_value / (exposure.quanta_per_pixel * float(exposure.heel.max()))
        return Response(preset=preset, gain=gain)
    rows, cols = n_det.shape
    hl, wl = -(-rows // grid_factor), -(-cols // grid_factor)
    n_ref = exposure.quanta_per_pixel
    v_low = -np.log(np.maximum(cv2.resize(n_det, (wl, hl), interpolation=cv2.INTER_AREA), 0.5) / n_ref)
    m_low = cv2.resize(mask.astype(np.float32), (wl, hl), interpolation=cv2.INTER_AREA)
    sigma = 8.0 / (preset.spacing_mm * grid_factor)
    num = _smooth((v_low * m_low).astype(np.float32), sigma)
    den = _smooth(m_low, sigma)
    lp_low = num / np.maximum(den, 1e-3)
    inside = m_low > 0.99
    level_ref = float(np.median(lp_low[inside])) if inside.any() else 0.0
    equalise = cv2.resize(lp_low.astype(np.float32), (cols, rows), interpolation=cv2.INTER_LINEAR)
    alpha = float(rng.uniform(0.5, 0.75))
    maskf = mask.astype(np.float32)
    base = Response(preset=preset, n_ref=n_ref, alpha=alpha, level_ref=level_ref, equalise=equalise, mask=maskf)
    # window from the equalised log image inside the breast (subsampled for speed)
    sub = (slice(None, None, 4), slice(None, None, 4))
    v = -np.log(np.maximum(n_det[sub], 0.5) / np.float32(n_ref))
    u = v + np.float32(alpha) * (np.float32(level_ref) - equalise[sub]) * maskf[sub]
    vals = u[mask[sub]]
    if vals.size < 10:
        vals = u.ravel()
    lo, hi = np.percentile(vals, [0.5, 99.9])
    hi = hi + 0.2 * (hi - lo)
    lo = lo - 0.15 * (hi - lo)
    return Response(preset=preset, n_ref=n_ref, alpha=alpha, level_ref=level_ref, lo=float(lo), hi=float(hi),
                    gamma=float(rng.uniform(0.8, 1.3)), equalise=base.equalise, mask=maskf)
