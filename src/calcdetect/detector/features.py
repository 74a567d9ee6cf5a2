"""Features of each candidate that do not depend on a vendor's grey scale or pixel size.

Every intensity feature is divided by the image's own noise (the noise
curve's sigma at the candidate, times the level's gain), every length is in
mm, every shape measure is a ratio, so a classifier trained on one set of
presets can be applied to another vendor, bit depth or resolution.  The
features, in :data:`FEATURE_NAMES` order:

* ``snr``, ``best_scale_mm``, ``z_finest``, ``z_coarsest``,
  ``z_finer_ratio``, ``z_coarser_ratio``: the blob response's scale profile
  (a calcification peaks at the scale of its size; pixel noise at the finest
  level; tissue at the coarsest);
* ``tophat_snr``: white top-hat height over the fine noise sigma (the
  morphological contrast), ``mid_ratio``: height of a 1-3 mm wide object under
  it over the top-hat height (coarse benign calcifications, markers);
* ``diameter_mm``, ``elongation``, ``fill``: half-maximum region of the best
  level around the peak (size, line-likeness, how ellipse-like);
* ``blob_anisotropy``, ``vessel_anisotropy``, ``vessel_ridge``: Hessian
  eigenvalues at the best scale and at the coarsest (vessel) scale: a line
  has one large and one small curvature (a linear calcification at the fine
  scale, a vessel at the coarse one);
* ``texture_ratio``: local texture over the level's noise (dense,
  structured tissue);
* ``spot_snr``: SNR of the prewhitened spot response
  (:mod:`calcdetect.detector.spot`) at coarse pixels; *missing* (NaN) where
  the spot filter does not run, which the gradient-boosted trees handle as
  missing, not as a number;
* ``spot_image_snr``, ``spot_block_snr``: the same filter's statistic over its
  own noise, whitened by the image's spectrum and by the spectrum of the
  candidate's block (:func:`calcdetect.detector.spot.spot_snr_pair`), at
  every pixel spacing; missing where the breast holds too few patches for a
  spectrum;
* ``line_snr``: SNR of the thin-line response (:mod:`calcdetect.detector.ridge`);
  missing where it does not run (coarse pixels, or ``line_source_snr`` 0);
* ``tophat_rel``, ``mid_ratio_rel``, ``vessel_ridge_rel``: ``tophat_snr``,
  ``mid_ratio`` and ``vessel_ridge`` read against the image's own background
  (:class:`BackgroundScales`, at random positions of its search region):
  over the median there of ``tophat_snr``, of the mid band over the top-hat,
  and of ``|vessel_ridge|``.  A vendor's presentation processing lifts the
  fine and mid bands everywhere in the image, calcification or not, so these
  move less with it than the noise-normalised three do (missing where the
  region holds too few positions);
* ``digitised_film``: 1 on scanned screen-film, else 0 (the same for every
  candidate of an image; ``DetectorConfig.image_family``).  Cassette dust is
  a film artefact that looks like a small, very bright calcification; told
  that an image is film, a model can learn to reject it there without
  rejecting the small, dense calcifications of sharp digital detectors.

Where a candidate lies (distance to the skin line or the pectoral muscle,
the density of the tissue around it) is deliberately *not* a feature: on
phantoms those are the generator's placement rules, and a model that learnt
them did worse on phantoms of another generator (a model trained on the
earlier generator found 0.75 instead of 0.62 of the new generator's visible
clusters without them).  Skin and pectoral artefacts are kept out by the
search region instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from calcdetect.config import DetectorConfig, mm_to_px
from calcdetect.detector.candidates import CandidatePeaks
from calcdetect.detector.enhance import shrink
from calcdetect.detector.responses import ScaleSpace

log = logging.getLogger(__name__)

__all__ = ["BACKGROUND_SAMPLES", "FEATURE_NAMES", "MAY_BE_MISSING", "MIN_BACKGROUND_SAMPLES", "BackgroundScales",
           "CandidateFeatures", "background_scales", "candidate_features", "long_axis_deg", "mid_band_at", "reach_px"]

FEATURE_NAMES: tuple[str, ...] = (
    "snr", "best_scale_mm", "z_finest", "z_coarsest", "z_finer_ratio", "z_coarser_ratio",
    "tophat_snr", "mid_ratio",
    "diameter_mm", "elongation", "fill",
    "blob_anisotropy", "vessel_anisotropy", "vessel_ridge",
    "texture_ratio", "spot_snr", "spot_image_snr", "spot_block_snr", "line_snr", "digitised_film",
    "tophat_rel", "mid_ratio_rel", "vessel_ridge_rel",
)

#: features that are NaN by design where they are not measured (not a fault to warn about)
MAY_BE_MISSING: frozenset[str] = frozenset({"spot_snr", "spot_image_snr", "spot_block_snr", "line_snr",
                                            "tophat_rel", "mid_ratio_rel", "vessel_ridge_rel"})

#: random positions of the search region the background scales are read at, and the fewest that make one
BACKGROUND_SAMPLES = 2000
MIN_BACKGROUND_SAMPLES = 200

#: half-width of the patch on which size and shape are measured
_SHAPE_RADIUS_MM = 0.45


@dataclass(frozen=True, eq=False)
class CandidateFeatures:
    """The feature matrix of the candidates and the measurements written to the outputs.

    Attributes
    ----------
    matrix : ndarray of float32, shape (n, len(FEATURE_NAMES))
    contrast : ndarray
        White top-hat height at the candidate, read units (``calcifications.csv``).
    diameter_mm : ndarray
        Equivalent diameter of the top-hat's half-maximum region (``calcifications.csv``);
        the ``diameter_mm`` *feature* is the best DoG level's, corrected for its width.
    elongation, fill : ndarray
    area_px : ndarray of int
    orientation_deg : ndarray
        Direction of the half-maximum region's long axis, degrees from the image's column (x) axis
        towards its row (y, down) axis, in (-90, 90] (meaningless where ``elongation`` is near 1).
    """

    matrix: np.ndarray
    contrast: np.ndarray
    diameter_mm: np.ndarray  # from the top-hat: the object's own size, for the outputs
    elongation: np.ndarray
    fill: np.ndarray
    area_px: np.ndarray
    orientation_deg: np.ndarray

    def column(self, name: str) -> np.ndarray:
        """One feature by name."""
        return self.matrix[:, FEATURE_NAMES.index(name)]


def _finite_float32(matrix: np.ndarray) -> np.ndarray:
    """The feature matrix as float32, with a warning naming the features that were not finite.

    A noise estimate of zero (a region clipped flat) once gave infinite SNRs; they are set to the
    float32 limits (the classifier reads them as "very large") and said, not passed on silently.
    A NaN in a feature of :data:`MAY_BE_MISSING` is kept: it says "not measured here".
    """
    missing_ok = np.array([name in MAY_BE_MISSING for name in FEATURE_NAMES])[None, :] & np.isnan(matrix)
    bad = (~np.isfinite(matrix) | (np.abs(matrix) > np.finfo(np.float32).max)) & ~missing_ok
    if bad.any():
        names = [FEATURE_NAMES[j] for j in np.flatnonzero(bad.any(axis=0))]
        log.warning("%d candidate feature values were not finite in float32 (%s); set to the float32 limits. "
                    "The image's noise estimate is suspect (a region clipped flat?)", int(bad.sum()), ", ".join(names))
        f32 = np.finfo(np.float32)
        fixed = np.clip(np.nan_to_num(matrix, nan=0.0, posinf=f32.max, neginf=f32.min), f32.min, f32.max)
        matrix = np.where(missing_ok, np.nan, fixed)
    return matrix.astype(np.float32)


def reach_px(spacing_mm: tuple[float, float], config: DetectorConfig) -> int:
    """How far (pixels) from a candidate the features read the levels and the top-hat."""
    radius_mm = max(2 * _SHAPE_RADIUS_MM, config.local_noise_mm / 2)
    return max(2, int(round(mm_to_px(radius_mm, min(spacing_mm))))) + 1


def _disc(radius_r: float, radius_c: float) -> np.ndarray:
    kr, kc = max(1, int(round(radius_r))), max(1, int(round(radius_c)))
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * kc + 1, 2 * kr + 1))


def mid_band_at(image: np.ndarray, rows: np.ndarray, cols: np.ndarray, *,
                spacing_mm: tuple[float, float], config: DetectorConfig) -> np.ndarray:
    """Height of the 1x-3x ``max_diameter_mm`` wide structure under each candidate.

    Computed once per image on a copy shrunk to ``max_diameter_mm / 5``
    spacing, as the difference of two grey openings (discs of
    ``max_diameter_mm``, then a square of 3 x ``max_diameter_mm``); the
    strongest of the neighbouring coarse pixels is read, so a candidate on the
    rim of a coarse object sees the object, not the background beside it.
    """
    if rows.size == 0:
        return np.zeros(0)
    return _read_band(_mid_band(image, spacing_mm, config), rows, cols)


def _mid_band(image: np.ndarray, spacing_mm: tuple[float, float],
              config: DetectorConfig) -> tuple[np.ndarray, tuple[int, int]]:
    """The mid band of :func:`mid_band_at` on the shrunk grid, and the shrink factors."""
    small, (fr, fc) = shrink(image, spacing_mm=spacing_mm, target_mm=config.max_diameter_mm / 5.0)
    lo = (spacing_mm[0] * fr, spacing_mm[1] * fc)
    d = config.max_diameter_mm
    fine_el = _disc(mm_to_px(d / 2, lo[0]), mm_to_px(d / 2, lo[1]))
    wide_el = cv2.getStructuringElement(
        cv2.MORPH_RECT, (2 * int(round(mm_to_px(1.5 * d, lo[1]))) + 1, 2 * int(round(mm_to_px(1.5 * d, lo[0]))) + 1))
    open_fine = cv2.morphologyEx(small, cv2.MORPH_OPEN, fine_el, borderType=cv2.BORDER_REPLICATE)
    open_wide = cv2.morphologyEx(open_fine, cv2.MORPH_OPEN, wide_el, borderType=cv2.BORDER_REPLICATE)
    return cv2.dilate(open_fine - open_wide, np.ones((3, 3), np.uint8)), (fr, fc)


def _read_band(band_factors: tuple[np.ndarray, tuple[int, int]], rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    band, (fr, fc) = band_factors
    h, w = band.shape
    return band[np.clip(rows // fr, 0, h - 1), np.clip(cols // fc, 0, w - 1)].astype(np.float64)


@dataclass(frozen=True)
class BackgroundScales:
    """What three measurements typically are at random positions of one image's search region.

    The reference of the ``*_rel`` features: a vendor's processing (unsharp masking, multiscale
    contrast enhancement) or a dense breast lifts the top-hat, the mid band and the vessel-scale
    curvature everywhere, so a candidate's value over the same image's typical value moves less
    between vendors than the value in noise units does.  Medians, so the few calcifications among
    the positions do not count.

    Attributes
    ----------
    tophat_snr : float
        Median white top-hat height over the noise sigma.
    mid_per_tophat : float
        Median mid-band height over the median top-hat height (both read units).
    vessel_ridge : float
        Median ``|vessel_ridge|`` (scale-normalised curvature at the vessel scale, noise units).
    n_positions : int
        How many positions they were read at.
    """

    tophat_snr: float
    mid_per_tophat: float
    vessel_ridge: float
    n_positions: int

    @property
    def usable(self) -> bool:
        """Whether enough positions were read (:data:`MIN_BACKGROUND_SAMPLES`) and every scale is positive."""
        return (self.n_positions >= MIN_BACKGROUND_SAMPLES
                and min(self.tophat_snr, self.mid_per_tophat, self.vessel_ridge) > 0)


def background_scales(tophat_snr: np.ndarray, contrast: np.ndarray, mid: np.ndarray,
                      vessel_ridge: np.ndarray) -> BackgroundScales:
    """The :class:`BackgroundScales` of measurements taken at random positions of the search region.

    Examples
    --------
    >>> b = background_scales(np.full(300, 2.0), np.full(300, 4.0), np.full(300, 1.0), np.linspace(-1, 1, 300))
    >>> round(b.tophat_snr, 3), round(b.mid_per_tophat, 3), b.usable
    (2.0, 0.25, True)
    """
    n = int(np.size(tophat_snr))
    if n == 0:
        return BackgroundScales(0.0, 0.0, 0.0, 0)
    top = float(np.median(contrast))
    return BackgroundScales(float(np.median(tophat_snr)), float(np.median(mid)) / top if top > 0 else 0.0,
                            float(np.median(np.abs(vessel_ridge))), n)


def _patches(level: np.ndarray, rows: np.ndarray, cols: np.ndarray, rr: int, rc: int, step: int = 1, *,
             dtype: type = np.float64) -> np.ndarray:
    """The (2 rr + 1) x (2 rc + 1) patch of ``level`` around each position, every ``step``-th row
    and column of it (from its first), borders replicated: shape (n, rows, cols), ``dtype``."""
    H, W = level.shape
    if rows.size and rows.min() >= rr and rows.max() < H - rr and cols.min() >= rc and cols.max() < W - rc:
        # all inside: copy whole patch rows out of a strided view (no index per pixel)
        windows = np.lib.stride_tricks.sliding_window_view(level, (2 * rr + 1, 2 * rc + 1))[:, :, ::step, ::step]
        return windows[rows - rr, cols - rc].astype(dtype, copy=False)
    dr = np.arange(-rr, rr + 1)[::step]
    dc = np.arange(-rc, rc + 1)[::step]
    r = np.clip(rows[:, None, None] + dr[None, :, None], 0, H - 1)
    c = np.clip(cols[:, None, None] + dc[None, None, :], 0, W - 1)
    return level[r, c].astype(dtype, copy=False)


def long_axis_deg(var_r, var_c, cov_rc):
    """Direction of the long axis of second moments along rows and columns: degrees from x (columns)
    towards y (rows, down), in (-90, 90].  One definition for a calcification's ``orientation_deg``
    and a cluster's axis, so the two can be compared."""
    return np.degrees(0.5 * np.arctan2(2.0 * cov_rc, var_c - var_r))


def _shape(space: ScaleSpace, peaks: CandidatePeaks, spacing_mm: tuple[float, float]):
    """Size and shape of the half-maximum region of the best level, inside a disc patch."""
    n = len(peaks)
    sr, sc = spacing_mm
    rr = max(2, int(round(mm_to_px(_SHAPE_RADIUS_MM, sr))))
    rc = max(2, int(round(mm_to_px(_SHAPE_RADIUS_MM, sc))))
    yy, xx = np.mgrid[-rr:rr + 1, -rc:rc + 1]
    in_disc = (yy / (rr + 0.5)) ** 2 + (xx / (rc + 0.5)) ** 2 <= 1.0
    area = np.zeros(n, np.int64)
    var_r, var_c, cov_rc = np.zeros(n), np.zeros(n), np.zeros(n)
    best = peaks.best_level
    for k, level in enumerate(space.levels):
        idx = np.flatnonzero(best == k)
        if idx.size == 0:
            continue
        p = _patches(level, peaks.row_px[idx] - space.origin[0], peaks.col_px[idx] - space.origin[1], rr, rc)
        peak = p[:, rr, rc]
        inside = (p >= 0.5 * peak[:, None, None]) & in_disc[None]
        # keep the part connected to the centre along rows/cols is costly; the
        # disc is small (about two calcification diameters), so take it whole
        a = inside.sum(axis=(1, 2))
        y = (yy[None] * inside).sum(axis=(1, 2)) / np.maximum(a, 1)
        x = (xx[None] * inside).sum(axis=(1, 2)) / np.maximum(a, 1)
        var_r[idx] = ((yy[None] - y[:, None, None]) ** 2 * inside).sum(axis=(1, 2)) / np.maximum(a, 1)
        var_c[idx] = ((xx[None] - x[:, None, None]) ** 2 * inside).sum(axis=(1, 2)) / np.maximum(a, 1)
        cov_rc[idx] = ((yy[None] - y[:, None, None]) * (xx[None] - x[:, None, None]) * inside).sum(axis=(1, 2)) / np.maximum(a, 1)
        area[idx] = a
    # second moments in mm^2, plus a pixel's own extent
    vr, vc, cv = var_r * sr * sr + sr * sr / 12, var_c * sc * sc + sc * sc / 12, cov_rc * sr * sc
    half_tr, det = 0.5 * (vr + vc), vr * vc - cv * cv
    disc = np.sqrt(np.maximum(half_tr**2 - det, 0.0))
    l1, l2 = half_tr + disc, np.maximum(half_tr - disc, 1e-12)
    elongation = np.sqrt(l1 / l2)
    orientation_deg = long_axis_deg(vr, vc, cv)
    area_mm2 = area * sr * sc
    ellipse_mm2 = np.pi * 4.0 * np.sqrt(l1 * l2)  # semi-axes 2 sigma
    fill = np.clip(area_mm2 / np.maximum(ellipse_mm2, 1e-12), 0.0, 2.0)
    blur_mm = 2.0 * np.asarray(space.scales_mm)[best]  # the level's own width
    d_obs = 2.0 * np.sqrt(area_mm2 / np.pi)
    diameter = np.sqrt(np.maximum(d_obs**2 - blur_mm**2, 0.0))
    return area, diameter, elongation, fill, orientation_deg


def _tophat_diameter(tophat: np.ndarray, rows: np.ndarray, cols: np.ndarray, spacing_mm: tuple[float, float]) -> np.ndarray:
    """Equivalent diameter (mm) of the top-hat's half-maximum region around each candidate.

    The top-hat keeps an object's own shape (only the imaging blur widens it),
    so its half-maximum area is the object's; counted inside a disc of
    twice the shape radius, so a neighbour rarely adds to it.
    """
    sr, sc = spacing_mm
    rr = max(2, int(round(mm_to_px(2 * _SHAPE_RADIUS_MM, sr))))
    rc = max(2, int(round(mm_to_px(2 * _SHAPE_RADIUS_MM, sc))))
    if rows.size == 0:
        return np.zeros(0)
    yy, xx = np.mgrid[-rr:rr + 1, -rc:rc + 1]
    in_disc = (yy / (rr + 0.5)) ** 2 + (xx / (rc + 0.5)) ** 2 <= 1.0
    p = _patches(tophat, rows, cols, rr, rc)
    peak = p[:, rr - 1: rr + 2, rc - 1: rc + 2].max(axis=(1, 2))
    area = ((p >= 0.5 * peak[:, None, None]) & in_disc[None]).sum(axis=(1, 2))
    return 2.0 * np.sqrt(area * sr * sc / np.pi)


def _hessian_eigen(smoothed: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (l1 <= l2) of the Hessian of ``smoothed`` by central differences, per pixel^2."""
    H, W = smoothed.shape
    r, c = np.clip(rows, 1, H - 2), np.clip(cols, 1, W - 2)
    def f(dr: int, dc: int) -> np.ndarray:  # gather first, then widen: never a float64 copy of the image
        return smoothed[r + dr, c + dc].astype(np.float64)

    fxx = f(0, 1) - 2 * f(0, 0) + f(0, -1)
    fyy = f(1, 0) - 2 * f(0, 0) + f(-1, 0)
    fxy = 0.25 * (f(1, 1) - f(1, -1) - f(-1, 1) + f(-1, -1))
    half_tr = 0.5 * (fxx + fyy)
    disc = np.sqrt(np.maximum(0.25 * (fxx - fyy) ** 2 + fxy**2, 0.0))
    return half_tr - disc, half_tr + disc


def _anisotropy(l1: np.ndarray, l2: np.ndarray) -> np.ndarray:
    """0 for a bright line (one strong negative curvature), 1 for a round blob."""
    return np.where(l1 < 0, np.clip(l2 / np.minimum(l1, -1e-12), -1.0, 1.0), 0.0)


def _texture_ratio(space: ScaleSpace, peaks: CandidatePeaks, spacing_mm, config: DetectorConfig) -> np.ndarray:
    """Upper-half RMS of the best level's normalised response in a ``local_noise_mm`` window, per gain."""
    n = len(peaks)
    out = np.ones(n)
    if config.local_noise_mm <= 0 or n == 0:
        return out
    rr = max(2, int(round(mm_to_px(config.local_noise_mm / 2, spacing_mm[0]))))
    rc = max(2, int(round(mm_to_px(config.local_noise_mm / 2, spacing_mm[1]))))
    step = max(1, min(rr, rc) // 6)  # a sparse patch is enough for an RMS
    best = peaks.best_level
    for k, level in enumerate(space.levels):
        idx = np.flatnonzero(best == k)
        if idx.size == 0:
            continue
        p = _patches(level, peaks.row_px[idx] - space.origin[0], peaks.col_px[idx] - space.origin[1],
                     rr, rc, step)
        z = p / (space.gain[k] * peaks.sigma[idx])[:, None, None]
        upper = np.clip(z, 0.0, 3.0)  # clipped at 3: the calcifications themselves must not count
        out[idx] = np.sqrt(2.0 * np.mean(upper**2, axis=(1, 2)))
    return out


def _vessel_ridge(space: ScaleSpace, lrows: np.ndarray, lcols: np.ndarray, sigma: np.ndarray,
                  spacing_mm: tuple[float, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hessian eigenvalues at the coarsest (vessel) level, and the scale-normalised curvature in noise units."""
    v1, v2 = _hessian_eigen(space.smoothed[-1], lrows, lcols)
    scales = np.asarray(space.scales_mm)
    vessel_px = mm_to_px(scales[-1] if scales.size else 0.1, min(spacing_mm))
    return v1, v2, -v1 * vessel_px**2 / sigma


def _background(image: np.ndarray, tophat: np.ndarray, space: ScaleSpace, band, positions, sigma_at,
                spacing_mm: tuple[float, float]) -> BackgroundScales:
    """:func:`background_scales` at ``positions`` (full-image pixels, in the search region)."""
    rows, cols = (np.asarray(p, np.intp) for p in positions)
    lrows, lcols = rows - space.origin[0], cols - space.origin[1]
    inside = (lrows >= 0) & (lrows < tophat.shape[0]) & (lcols >= 0) & (lcols < tophat.shape[1])
    rows, cols, lrows, lcols = rows[inside], cols[inside], lrows[inside], lcols[inside]
    sigma = np.maximum(np.asarray(sigma_at(rows, cols), np.float64), 1e-12)
    contrast = tophat[lrows, lcols].astype(np.float64)
    return background_scales(contrast / sigma, contrast, _read_band(band, rows, cols),
                             _vessel_ridge(space, lrows, lcols, sigma, spacing_mm)[2])


def candidate_features(
    image: np.ndarray,
    tophat: np.ndarray,
    space: ScaleSpace,
    peaks: CandidatePeaks,
    *,
    spacing_mm: tuple[float, float],
    config: DetectorConfig,
    spot_pair: tuple[np.ndarray, np.ndarray] | None = None,
    digitised_film: bool = False,
    background: tuple[tuple[np.ndarray, np.ndarray], Callable[[np.ndarray, np.ndarray], np.ndarray]] | None = None,
) -> CandidateFeatures:
    """Compute :data:`FEATURE_NAMES` for every candidate (see the module docstring).

    ``tophat`` covers the same region as ``space`` (from ``space.origin``);
    ``image`` is the whole image; ``spot_pair`` is ``spot_image_snr`` and ``spot_block_snr``
    (:func:`calcdetect.detector.spot.spot_features`; missing when not given);
    ``digitised_film`` whether the image is scanned screen-film; ``background`` random positions
    of the search region (:func:`calcdetect.detector.mask.random_search_positions`) and the noise
    sigma at any position, for the ``*_rel`` features (missing when not given).
    """
    n = len(peaks)
    rows, cols = peaks.row_px, peaks.col_px
    lrows, lcols = rows - space.origin[0], cols - space.origin[1]
    z = peaks.snr_levels
    best = peaks.best_level
    scales = np.asarray(space.scales_mm)
    snr = peaks.snr
    idx = np.arange(n)
    finer = np.where(best > 0, z[idx, np.maximum(best - 1, 0)], z[idx, best])
    coarser = np.where(best < z.shape[1] - 1, z[idx, np.minimum(best + 1, z.shape[1] - 1)], z[idx, best])
    contrast = tophat[lrows, lcols].astype(np.float64)
    tophat_snr = contrast / peaks.sigma
    band = _mid_band(image, spacing_mm, config) if n else None
    mid = _read_band(band, rows, cols) if n else np.zeros(0)
    mid_ratio = mid / np.maximum(contrast, 1e-6 * peaks.sigma)
    area, diameter, elongation, fill, orientation_deg = _shape(space, peaks, spacing_mm)
    blob_l1, blob_l2 = np.zeros(n), np.zeros(n)
    for k in range(len(space)):
        sel = np.flatnonzero(best == k)
        if sel.size:
            blob_l1[sel], blob_l2[sel] = _hessian_eigen(space.smoothed[k], lrows[sel], lcols[sel])
    v1, v2, vessel_ridge = _vessel_ridge(space, lrows, lcols, peaks.sigma, spacing_mm)
    texture = _texture_ratio(space, peaks, spacing_mm, config)
    relative = np.full((3, n), np.nan)
    if n and background is not None:
        ref = _background(image, tophat, space, band, *background, spacing_mm)
        if ref.usable:
            relative = np.stack([tophat_snr / ref.tophat_snr, mid_ratio / ref.mid_per_tophat,
                                 vessel_ridge / ref.vessel_ridge])
    matrix = _finite_float32(np.column_stack([
        snr, scales[best] if n else np.zeros(0), z[:, 0], z[:, -1],
        finer / np.maximum(snr, 1e-6), coarser / np.maximum(snr, 1e-6),
        tophat_snr, mid_ratio,
        diameter, elongation, fill,
        _anisotropy(blob_l1, blob_l2), _anisotropy(v1, v2), vessel_ridge,
        texture, peaks.spot_snr, *(spot_pair if spot_pair is not None else (np.full(n, np.nan),) * 2),
        peaks.line_snr, np.full(n, float(digitised_film)), *relative,
    ])) if n else np.zeros((0, len(FEATURE_NAMES)), np.float32)
    return CandidateFeatures(matrix, contrast, _tophat_diameter(tophat, lrows, lcols, spacing_mm), elongation, fill,
                             area, orientation_deg)
