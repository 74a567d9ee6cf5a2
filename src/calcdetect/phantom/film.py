"""Screen-film imaging and film digitisation: exposure to optical density to scanner values.

A film preset (:class:`FilmSpec` on :class:`~calcdetect.phantom.presets.VendorPreset`)
replaces the digital detector's response by the chain of a screen-film
mammogram scanned for research (``docs/phantom-truth.md``, "Digitised film"):

1. **Screen** — the intensifying screen absorbs the X-ray quanta (quantum
   mottle, Poisson, as for a digital detector) and spreads its light: a
   Gaussian PSF wider than a direct-conversion detector's (``blur_sigma_mm``
   of the preset, which also holds the scanner's optics).
2. **Film** — the characteristic (H&D) curve maps log exposure to optical
   density ``D``: a logistic from base + fog ``d_min`` to ``d_max`` with
   maximum gradient ``gamma`` at its midpoint.  The automatic exposure control
   aims the breast interior at ``od_target`` (drawn per image).
3. **Film grain** — white at the scan pitch (grains are microns), its RMS
   in density grows with the developed density (Siedentopf: σ_D² ∝ D − d_min)
   and falls with the scanning aperture (Selwyn: σ_D ∝ 1/aperture side):
   ``σ_grain = grain_rms_50um * sqrt(D - d_min) * (0.05 mm / pitch)``.
4. **Scanner** — measures transmittance ``T = 10**-D`` with a noise of
   ``scanner_noise_t`` (a fraction of full scale), i.e.
   ``σ_scan = log10(e) * scanner_noise_t * 10**D`` in density: negligible
   in the breast, large in the dark film base around it; then maps ``D`` to
   stored values (linear in density, or linear in transmittance), rounds and
   clips to the bit depth (which also saturates the darkest film).

All noise other than the screen's quantum mottle is white and is added in
density after the screen blur, so for the visibility of a calcification
(:mod:`.visibility`) it enters exactly like a digital detector's electronic
noise: :meth:`FilmChain.white_sigma_quanta` converts it to quanta through the
local slope of the curve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "OD_LINEAR",
    "TRANSMITTANCE_LINEAR",
    "SECONDARY_CAPTURE",
    "MAMMOGRAPHY_FILM",
    "FilmSpec",
    "FilmChain",
    "FilmResponse",
    "characteristic_curve",
    "film_gradient",
    "grain_sigma_od",
    "scanner_sigma_od",
]

#: scanner encodings: stored value linear in optical density, or in transmittance
OD_LINEAR = "od_linear"
TRANSMITTANCE_LINEAR = "transmittance_linear"
#: DICOM objects a film preset is written as
SECONDARY_CAPTURE = "secondary_capture"  # SC Image IOD, ConversionType DF (digitised film)
MAMMOGRAPHY_FILM = "mammography"  # Digital Mammography IOD with DetectorType FILM
_LOG10_E = math.log10(math.e)
#: grain is specified for a 50 um square scanning aperture (Selwyn scaling from there)
_GRAIN_REF_APERTURE_MM = 0.05


@dataclass(frozen=True)
class FilmSpec:
    """The film, its processing and the scanner of a film preset.

    Attributes
    ----------
    d_min, d_max : float
        Base + fog and maximum optical density of the processed film.
    gamma : float
        Maximum gradient dD/dlog10(E) of the characteristic curve (at its midpoint).
    od_target_range : (float, float)
        The AEC aims the breast interior's median at a density drawn in this range.
    grain_rms_50um : float
        RMS granularity σ_D at net density 1, for a 50 µm square aperture.
    scanner_noise_t : float
        Standard deviation of the scanner's transmittance reading, as a fraction of full scale.
    encoding : str
        :data:`OD_LINEAR` (``stored = gl_at_od0 + gl_per_od * D``) or
        :data:`TRANSMITTANCE_LINEAR` (``stored = gl_at_od0 * 10**-D``).
    gl_at_od0, gl_per_od : float
        The scanner's calibration (``gl_per_od`` only for :data:`OD_LINEAR`).
    dicom_object : str
        :data:`SECONDARY_CAPTURE` or :data:`MAMMOGRAPHY_FILM`.
    spacing_attributes : tuple of str
        The spacing attributes the file carries (``PixelSpacing``,
        ``ImagerPixelSpacing``, ``NominalScannedPixelSpacing``).
    """

    encoding: str
    gl_at_od0: float
    gl_per_od: float = 0.0
    d_min: float = 0.20
    d_max: float = 4.0
    gamma: float = 3.6
    od_target_range: tuple[float, float] = (1.3, 1.9)
    grain_rms_50um: float = 0.025
    scanner_noise_t: float = 2e-5
    dicom_object: str = SECONDARY_CAPTURE
    spacing_attributes: tuple[str, ...] = ("PixelSpacing",)

    def __post_init__(self) -> None:
        if self.encoding not in (OD_LINEAR, TRANSMITTANCE_LINEAR):
            raise ValueError(f"film encoding must be {OD_LINEAR!r} or {TRANSMITTANCE_LINEAR!r}, got {self.encoding!r}")
        if self.encoding == OD_LINEAR and self.gl_per_od == 0:
            raise ValueError("an od_linear scanner needs gl_per_od != 0")
        if not 0 <= self.d_min < min(self.od_target_range) <= max(self.od_target_range) < self.d_max:
            raise ValueError(f"film densities must satisfy 0 <= d_min < od_target < d_max, got d_min={self.d_min}, "
                             f"od_target_range={self.od_target_range}, d_max={self.d_max}")
        if self.gamma <= 0:
            raise ValueError(f"film gamma must be positive, got {self.gamma!r}")
        if self.dicom_object not in (SECONDARY_CAPTURE, MAMMOGRAPHY_FILM):
            raise ValueError(f"dicom_object must be {SECONDARY_CAPTURE!r} or {MAMMOGRAPHY_FILM!r}, "
                             f"got {self.dicom_object!r}")
        known = {"PixelSpacing", "ImagerPixelSpacing", "NominalScannedPixelSpacing"}
        if not self.spacing_attributes or set(self.spacing_attributes) - known:
            raise ValueError(f"spacing_attributes must be some of {sorted(known)}, got {self.spacing_attributes!r}")

    @property
    def darker_is_higher(self) -> bool:
        """Whether a larger stored value is a darker film (so MONOCHROME1)."""
        return self.encoding == OD_LINEAR and self.gl_per_od > 0


def _slope_k(spec: FilmSpec) -> float:
    return 4.0 * spec.gamma / (spec.d_max - spec.d_min)


def characteristic_curve(log10_rel_exposure: np.ndarray | float, *, spec: FilmSpec,
                         od_target: float) -> np.ndarray | float:
    """Optical density for ``log10(E / E_target)``: the film's H&D curve.

    ``D = d_min + (d_max - d_min) / (1 + exp(-k (x - x0)))`` with
    ``k = 4 gamma / (d_max - d_min)`` (so the gradient at the midpoint is
    ``gamma``) and ``x0`` such that ``D(0) = od_target``.
    """
    k = _slope_k(spec)
    u_t = (od_target - spec.d_min) / (spec.d_max - spec.d_min)
    x0 = -math.log(u_t / (1.0 - u_t)) / k
    x = np.asarray(log10_rel_exposure, dtype=np.float32)
    return spec.d_min + (spec.d_max - spec.d_min) / (1.0 + np.exp(np.float32(-k) * (x - np.float32(x0))))


def film_gradient(od: np.ndarray | float, *, spec: FilmSpec) -> np.ndarray | float:
    """dD/dlog10(E) of the curve at density ``od`` (logistic: ``k (D - d_min)(d_max - D) / (d_max - d_min)``)."""
    d = np.clip(np.asarray(od, dtype=np.float64), spec.d_min, spec.d_max)
    return _slope_k(spec) * (d - spec.d_min) * (spec.d_max - d) / (spec.d_max - spec.d_min)


def grain_sigma_od(od: np.ndarray | float, *, spec: FilmSpec, pitch_mm: float) -> np.ndarray | float:
    """RMS film grain in density at density ``od`` for a square aperture of ``pitch_mm``."""
    net = np.maximum(np.asarray(od, dtype=np.float32) - np.float32(spec.d_min), 0)
    return np.float32(spec.grain_rms_50um * _GRAIN_REF_APERTURE_MM / pitch_mm) * np.sqrt(net)


def scanner_sigma_od(od: np.ndarray | float, *, spec: FilmSpec) -> np.ndarray | float:
    """The scanner's noise in density: a constant transmittance noise seen through ``D = -log10 T``."""
    d = np.minimum(np.asarray(od, dtype=np.float32), np.float32(6.0))
    return np.float32(_LOG10_E * spec.scanner_noise_t) * np.power(np.float32(10.0), d)


@dataclass(frozen=True, eq=False)
class FilmChain:
    """One image's film: the curve placed by the AEC, grain and scanner.

    Attributes
    ----------
    spec : FilmSpec
    pitch_mm : float
        Scan pitch (the pixel spacing).
    n_ref : float
        Detected quanta per pixel that give ``od_target``.
    od_target : float
    max_value : int
        Largest stored value of the bit depth.
    """

    spec: FilmSpec
    pitch_mm: float
    n_ref: float
    od_target: float
    max_value: int

    def density(self, n: np.ndarray | float) -> np.ndarray | float:
        """Noise-free optical density for ``n`` quanta per pixel (after the screen)."""
        x = np.log10(np.maximum(np.asarray(n, np.float32), np.float32(1e-3)) / np.float32(self.n_ref))
        return characteristic_curve(x, spec=self.spec, od_target=self.od_target)

    def encode(self, od: np.ndarray | float) -> np.ndarray | float:
        """Scanner value (float, clipped to the bit depth, not rounded) for density ``od``."""
        s = self.spec
        d = np.asarray(od, np.float32)
        if s.encoding == OD_LINEAR:
            v = np.float32(s.gl_at_od0) + np.float32(s.gl_per_od) * d
        else:
            v = np.float32(s.gl_at_od0) * np.power(np.float32(10.0), -d)
        return np.clip(v, 0, np.float32(self.max_value))

    def encode_slope(self, od: float) -> float:
        """|d stored / d D| at density ``od`` (unclipped)."""
        s = self.spec
        if s.encoding == OD_LINEAR:
            return abs(s.gl_per_od)
        return math.log(10.0) * s.gl_at_od0 * 10.0 ** (-od)

    def white_sigma_od(self, od: float) -> float:
        """Grain, scanner and quantisation noise in density at ``od`` (all white at the pitch)."""
        g = float(grain_sigma_od(od, spec=self.spec, pitch_mm=self.pitch_mm))
        sc = float(scanner_sigma_od(od, spec=self.spec))
        q = 1.0 / max(self.encode_slope(od), 1e-9) / math.sqrt(12.0)
        return math.sqrt(g * g + sc * sc + q * q)

    def white_sigma_quanta(self, n: float) -> float:
        """:meth:`white_sigma_od` as quanta per pixel at ``n`` (through the local slope of the curve)."""
        n = max(float(n), 1e-3)
        od = float(self.density(n))
        slope_od_per_quantum = max(float(film_gradient(od, spec=self.spec)), 1e-3) * _LOG10_E / n
        return self.white_sigma_od(od) / slope_od_per_quantum

    def expose(self, n_det: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Density of the developed, scanned film: the curve, then grain and scanner noise (float32)."""
        od = self.density(n_det).astype(np.float32)
        sigma = grain_sigma_od(od, spec=self.spec, pitch_mm=self.pitch_mm)
        sigma = np.sqrt(sigma * sigma + scanner_sigma_od(od, spec=self.spec) ** 2)
        z = rng.standard_normal(od.shape, dtype=np.float32)
        z *= sigma
        od += z
        return od


@dataclass(frozen=True, eq=False)
class FilmResponse:
    """The film counterpart of :class:`~calcdetect.phantom.acquisition.Response`.

    Read units (denser = brighter, as :func:`calcdetect.io.read_mammogram`
    reads the file) are the stored value for MONOCHROME2 and ``max - stored``
    for MONOCHROME1; the film presets are all "for presentation".
    """

    chain: FilmChain
    photometric: str

    processing = False

    def _to_read(self, v: np.ndarray) -> np.ndarray:
        if self.photometric == "MONOCHROME1":
            return np.float32(self.chain.max_value) - v
        return v

    def display(self, n: np.ndarray, rows: slice = slice(None), cols: slice = slice(None)) -> np.ndarray:
        """Read units before quantisation for noise-free quanta ``n`` (rows/cols: unused, as Response)."""
        return self._to_read(self.chain.encode(self.chain.density(n)))

    def stored_from_od(self, od: np.ndarray) -> np.ndarray:
        """Integer pixel values (uint16, within the bit depth) for a scanned density image."""
        return np.rint(self.chain.encode(od)).astype(np.uint16)

    def read(self, stored: np.ndarray) -> np.ndarray:
        return self._to_read(stored.astype(np.float32))

    def bright_stored(self) -> int:
        """The stored value of the clearest film (base + fog): the brightest the scanner reports."""
        return int(np.rint(self.chain.encode(self.chain.spec.d_min)))

    def noise_sigma(self, n_mean: float, exposure, rows: slice, cols: slice) -> float:
        """Standard deviation of the read value at mean quanta ``n_mean``: all noise through the local slope."""
        od = float(self.chain.density(n_mean))
        slope_read_per_quantum = (self.chain.encode_slope(od) * float(film_gradient(od, spec=self.chain.spec))
                                  * _LOG10_E / max(float(n_mean), 1e-3))
        return float(slope_read_per_quantum * float(exposure.quanta_sigma(n_mean)))
