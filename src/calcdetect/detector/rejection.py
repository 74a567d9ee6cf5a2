"""Reject what no imaging chain produces: specks sharper than the blur, lines, vessel walls.

Runs after the classifier on the candidates it accepted, and before
clustering: a rejected candidate is written to ``calcifications.csv`` with its
reason but never joins a cluster.  Reasons, in the order they are tested (the
first that applies is given):

``scanner_line``
    on a row or column that differs from its neighbours over at least
    ``scanner_line_min_mm`` (:func:`.lines.find_scanner_lines`);
``vascular`` (tram track)
    on a thin line of dashes (at most 35 % gaps, z at least 1.5 ``line_z``) that runs on both ways for
    ``scratch_min_length_mm / 2`` with such a parallel rail 0.5-3 mm beside
    it and nothing halfway (the two walls of a calcified vessel);
``scratch``
    on a thin, continuous line that runs on both ways for
    ``scratch_min_length_mm / 2`` (a scratch, a hair, a thin wire);
    for both, the candidates further along the same line (within 2 pixels of
    where the rays ran, or of their continuation 1 mm beyond the ends) share
    the reason: near the end of a line only one ray runs along it;
    the candidates still left are tested again with one ray of
    ``scratch_min_length_mm`` (a line that *starts* at the candidate: the end
    of a scratch or of a track, where a line's candidates often are), sharing
    the reason ahead along that ray and 1 mm behind; all of this twice:
    with straight rays (null: random positions of the breast), then, for the
    candidates left, with rays that follow a bending line (re-aimed every
    1.5 mm, :func:`.lines.ridges_through` with ``follow``; null: the image's
    own candidate peaks, and ``_FOLLOWED_Z_FACTOR`` times the z);
``vascular`` (in a row)
    one of at least 5 accepted candidates in a row (within 0.75 mm of a
    straight line, no gap over 3 mm) spanning ``vascular_min_length_mm``
    (longer than the 3-8 mm duct of fine linear branching calcifications);
``dust``
    sharper than a point seen through the image's own blur
    (:mod:`.point_spread`), by ``dust_z`` standard deviations.

**The speck test.**  A point source at a pixel centre, blurred by a Gaussian
PSF of sigma ``s`` pixels, gives its neighbours along either axis
``q = exp(-1 / (2 s^2))`` of its peak; off-centre the ratio is ``q cosh(d /
s^2)``, larger, and any object is a sum of such points, so nothing that went
through the chain has ``neighbour - background < q (peak - background)`` along
either axis but by noise.  With ``s = psf_margin x`` the estimated sigma
(tolerance for a non-Gaussian PSF and for the estimate), the statistic
``S = neighbour - q peak`` (background: median of a ring at
``max(3 px, 0.3 mm)``) is compared with its own distribution at 2,000
positions of the breast chosen by a fixed seed (same procedure, so noise,
its correlation and the texture are all in it): ``z = (median - S/sigma) /
spread``.  The test is not run when ``s`` is below half a pixel: then a
point is a single pixel, as a calcification at 0.2 mm may be, and no profile
can tell them apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from scipy.spatial import cKDTree

from calcdetect.config import DetectorConfig, mm_to_px
from calcdetect.detector.lines import RidgeEvidence, ScannerLine, find_scanner_lines, on_scanner_line, ridges_through
from calcdetect.detector.mask import random_search_positions
from calcdetect.detector.noise_model import robust_centre_spread
from calcdetect.detector.point_spread import PointSpread

__all__ = ["REJECTION_REASONS", "Rejection", "reject_artefacts", "speck_z", "in_a_row"]

#: every reason a candidate can be rejected for, in the order they are tested
REJECTION_REASONS = ("scanner_line", "vascular", "scratch", "dust")

#: below this PSF sigma (pixels, after the margin) the speck test is not run
MIN_PSF_SIGMA_PX = 0.5
_NULL_SAMPLES = 2000
#: the ray statistics cost ~100x more per position: their own distribution on the first 400
_RAY_NULL_SAMPLES = 400
_RING_MM = 0.3
_ROW_HALF_WIDTH_MM = 0.75
_ROW_MAX_GAP_MM = 3.0
#: the reason is shared along the line this far beyond where a ray saw it
_ALONG_MARGIN_MM = 1.0
#: a tram track's line of dashes must reach this many times ``line_z``
_TRAM_LINE_FACTOR = 1.5
#: a followed ray (re-aimed along a bending line) must reach this many times ``line_z``: free to bend,
#: it also finds faint "lines" through texture and along the duct of fine linear branching
#: calcifications (z 6.6 on a subtle cluster of a film development phantom)
_FOLLOWED_Z_FACTOR = 1.5
#: null positions of the followed pass (its rays cost ten times a straight one's; the robust z's
#: spread is known to ~7 % from 200)
_FOLLOWED_NULL_SAMPLES = 200
#: the ray test starts this far from the candidate (beyond the calcification itself)
_RAY_START_MM = 0.5


@dataclass(frozen=True, eq=False)
class Rejection:
    """Why each candidate was rejected (``""`` = kept), and what was measured to decide."""

    reason: np.ndarray
    point_spread: PointSpread
    scanner_lines: tuple[ScannerLine, ...] = ()
    speck_z: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def counts(self) -> dict[str, int]:
        """Candidates rejected for each reason (reasons with none left out)."""
        return {r: int((self.reason == r).sum()) for r in REJECTION_REASONS if (self.reason == r).any()}


def _ring_offsets(radius_px: int) -> tuple[np.ndarray, np.ndarray]:
    ang = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    return np.rint(radius_px * np.sin(ang)).astype(np.intp), np.rint(radius_px * np.cos(ang)).astype(np.intp)


def _speck_statistic(image: np.ndarray, rows: np.ndarray, cols: np.ndarray, q: float,
                     ring_px: int) -> np.ndarray:
    """``S`` along each axis (shape (n, 2)) at the brightest pixel within one pixel of each position."""
    h, w = image.shape
    pad = ring_px + 2
    r = np.clip(np.asarray(rows, np.intp), pad, h - pad - 1)
    c = np.clip(np.asarray(cols, np.intp), pad, w - pad - 1)
    best = image[r, c].astype(np.float64)
    br, bc = r.copy(), c.copy()
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            v = image[r + dr, c + dc]
            better = v > best
            best = np.where(better, v, best)
            br, bc = np.where(better, r + dr, br), np.where(better, c + dc, bc)
    ro, co = _ring_offsets(ring_px)
    background = np.median(image[br[:, None] + ro[None, :], bc[:, None] + co[None, :]], axis=1)
    height = best - background
    n_vert = 0.5 * (image[br - 1, bc] + image[br + 1, bc]) - background
    n_horz = 0.5 * (image[br, bc - 1] + image[br, bc + 1]) - background
    return np.stack([n_vert - q * height, n_horz - q * height], 1)


def speck_z(
    image: np.ndarray,
    rows_px: np.ndarray,
    cols_px: np.ndarray,
    *,
    sigma: np.ndarray,
    psf_sigma_px: float,
    spacing_mm: tuple[float, float],
    null_rows_px: np.ndarray,
    null_cols_px: np.ndarray,
    null_sigma: np.ndarray,
) -> np.ndarray:
    """How much sharper than a point through the PSF each candidate is (z; larger = sharper).

    Parameters
    ----------
    image : ndarray
    rows_px, cols_px : ndarray
        Candidate positions (the brightest pixel within one pixel is used).
    sigma : ndarray
        Noise sigma at each candidate.
    psf_sigma_px : float
        The PSF sigma the test assumes (already times the margin).
    spacing_mm : (float, float)
    null_rows_px, null_cols_px, null_sigma : ndarray
        Positions (and their noise sigma) where the statistic's own
        distribution is measured.

    Returns
    -------
    ndarray
        The larger of the two axes' z; zeros when ``psf_sigma_px`` is below
        :data:`MIN_PSF_SIGMA_PX` (nothing can be said).
    """
    rows_px = np.asarray(rows_px)
    if psf_sigma_px < MIN_PSF_SIGMA_PX or rows_px.size == 0 or np.size(null_rows_px) < 50:
        return np.zeros(rows_px.size)
    q = float(np.exp(-1.0 / (2.0 * psf_sigma_px**2)))
    ring = max(3, int(round(mm_to_px(_RING_MM, min(spacing_mm)))))
    null = _speck_statistic(image, null_rows_px, null_cols_px, q, ring) / np.maximum(null_sigma, 1e-12)[:, None]
    centre, spread = robust_centre_spread(null, axis=0)
    spread = np.maximum(spread, 1e-6)
    s = _speck_statistic(image, rows_px, cols_px, q, ring) / np.maximum(np.asarray(sigma, float), 1e-12)[:, None]
    return ((centre - s) / spread).max(axis=1)


def in_a_row(rows_px: np.ndarray, cols_px: np.ndarray, *, spacing_mm: tuple[float, float],
             min_length_mm: float, min_count: int = 5) -> np.ndarray:
    """Whether each position is one of at least ``min_count`` in a row spanning ``min_length_mm``
    (see the module docstring)."""
    pts = np.stack([np.asarray(rows_px, float) * spacing_mm[0], np.asarray(cols_px, float) * spacing_mm[1]], 1)
    n = len(pts)
    out = np.zeros(n, bool)
    if n < min_count:
        return out
    tree = cKDTree(pts)
    for i, nbrs in enumerate(tree.query_ball_point(pts, r=2.0 * min_length_mm)):
        nbrs = np.asarray([j for j in nbrs if j != i])
        if nbrs.size < min_count - 1:
            continue
        d = pts[nbrs] - pts[i]
        dist = np.hypot(d[:, 0], d[:, 1])
        # a row spanning min_length_mm through i has a member at least half of that away: it sets the direction
        for j in np.flatnonzero(dist >= 0.5 * min_length_mm):
            u = d[j] / dist[j]
            along = d @ u
            across = np.abs(d[:, 0] * u[1] - d[:, 1] * u[0])
            band = np.sort(np.r_[0.0, along[across <= _ROW_HALF_WIDTH_MM]])
            gaps = np.flatnonzero(np.diff(band) > _ROW_MAX_GAP_MM)
            k0 = int(np.searchsorted(band, 0.0))
            lo = band[gaps[gaps < k0][-1] + 1] if (gaps < k0).any() else band[0]
            hi = band[gaps[gaps >= k0][0]] if (gaps >= k0).any() else band[-1]
            if hi - lo >= min_length_mm and ((band >= lo) & (band <= hi)).sum() >= min_count:
                out[i] = True
                break
    return out


def reject_artefacts(
    image: np.ndarray,
    rows_px: np.ndarray,
    cols_px: np.ndarray,
    *,
    sigma: np.ndarray,
    spacing_mm: tuple[float, float],
    point_spread: PointSpread,
    valid: Callable[[np.ndarray, np.ndarray], np.ndarray],
    sigma_at: Callable[[np.ndarray, np.ndarray], np.ndarray],
    config: DetectorConfig,
    line_image: np.ndarray | None = None,
    line_null_rc: tuple[np.ndarray, np.ndarray] | None = None,
) -> Rejection:
    """Decide, for each accepted candidate, whether it is an artefact and which.

    Parameters
    ----------
    image : ndarray
        The analysed image (denser = brighter).
    rows_px, cols_px : ndarray
        Positions of the candidates the classifier accepted.
    sigma : ndarray
        Noise sigma at each.
    spacing_mm : (float, float)
    point_spread : PointSpread
        The image's own blur (:func:`.point_spread.estimate_point_spread`).
    valid, sigma_at : callable (rows_px, cols_px) -> array
        The search region, and the noise sigma anywhere (for the speck
        test's own distribution).
    config : DetectorConfig
        ``dust_z``, ``psf_margin``, ``line_z``, ``scanner_line_min_mm``,
        ``scratch_min_length_mm``, ``vascular_min_length_mm``; a threshold of
        0 switches its test off.
    line_image : ndarray, optional
        The image scanner lines are looked for in (default ``image``), e.g. the
        pixels before a defect repair.
    line_null_rc : (ndarray, ndarray), optional
        Positions the line statistics' own distribution is measured at: all
        the candidates the image's peak finder gave (local maxima of the same
        kind as the tested ones, so that "this peak sits on a strand of
        tissue" is in the null; default: random positions of the search region).

    Returns
    -------
    Rejection
    """
    rows_px, cols_px = np.asarray(rows_px), np.asarray(cols_px)
    n = rows_px.size
    reason = np.full(n, "", dtype=object)
    lines: list[ScannerLine] = []
    if config.line_z > 0 and config.scanner_line_min_mm > 0:
        lines = find_scanner_lines(image if line_image is None else line_image, spacing_mm=spacing_mm,
                                   z=config.line_z, min_length_mm=config.scanner_line_min_mm)
        if n:
            reason[on_scanner_line(lines, rows_px, cols_px, margin_px=3)] = "scanner_line"
    null_r, null_c = random_search_positions(image.shape, valid, _NULL_SAMPLES)
    null_sigma = np.asarray(sigma_at(null_r, null_c), float)
    if n and config.line_z > 0 and config.scratch_min_length_mm > 0 and null_r.size >= 50:
        lines_of = partial(_line_reasons, reason, image, rows_px, cols_px, sigma=sigma, spacing_mm=spacing_mm,
                           point_spread=point_spread, config=config)
        lines_of(null=(null_r, null_c, null_sigma), follow=False)
        peaks = _peak_null(line_null_rc, sigma_at)
        lines_of(null=peaks if peaks is not None else (null_r, null_c, null_sigma), follow=True)
    if n and config.vascular_min_length_mm > 0 and config.vascular_row_count > 0:
        left = np.flatnonzero(reason == "")  # a scratch's own candidates are in a row too: not counted
        row = in_a_row(rows_px[left], cols_px[left], spacing_mm=spacing_mm,
                       min_length_mm=config.vascular_min_length_mm, min_count=config.vascular_row_count)
        reason[left[row]] = "vascular"
    z = np.zeros(n)
    if n and config.dust_z > 0 and point_spread.measured:
        z = speck_z(image, rows_px, cols_px, sigma=sigma, psf_sigma_px=config.psf_margin * point_spread.sigma_px,
                    spacing_mm=spacing_mm, null_rows_px=null_r, null_cols_px=null_c, null_sigma=null_sigma)
        reason[(reason == "") & (z >= config.dust_z)] = "dust"
    return Rejection(reason=reason, point_spread=point_spread, scanner_lines=tuple(lines), speck_z=z)


def _peak_null(positions: tuple[np.ndarray, np.ndarray] | None,
               sigma_at: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> tuple[np.ndarray, ...] | None:
    """Up to ``_FOLLOWED_NULL_SAMPLES`` of the given peak positions (fixed seed) and their noise sigma;
    None when fewer than 50 were given."""
    if positions is None or np.size(positions[0]) < 50:
        return None
    pick = np.random.default_rng(20261201).permutation(np.size(positions[0]))[:_FOLLOWED_NULL_SAMPLES]
    rows, cols = np.asarray(positions[0])[pick], np.asarray(positions[1])[pick]
    return rows, cols, np.asarray(sigma_at(rows, cols), float)


def _line_reasons(reason: np.ndarray, image: np.ndarray, rows_px: np.ndarray, cols_px: np.ndarray, *,
                  sigma: np.ndarray, spacing_mm: tuple[float, float], point_spread: PointSpread,
                  null: tuple[np.ndarray, np.ndarray, np.ndarray], config: DetectorConfig, follow: bool) -> None:
    """Set ``vascular`` (tram track) and ``scratch`` in ``reason`` where still empty (in place).

    First with rays both ways (a line through the candidate), then, for the candidates left, with
    one ray twice as long (a line that starts at the candidate: a scratch's or a track's end, where
    the candidates of a line often are and the two-way test cannot see it); those share the reason
    ahead along the ray and only ``_ALONG_MARGIN_MM`` behind, so a cluster just beyond a line's
    end keeps its own.  ``follow``: the rays follow a bending line (:func:`.lines.ridges_through`).
    """
    null_r, null_c, null_sigma = (v[:_RAY_NULL_SAMPLES] for v in null)
    psf_px = max(point_spread.sigma_px, 0.5)
    reach_mm = max(config.scratch_min_length_mm / 2, _RAY_START_MM + 1.0)  # as far as a ray verified the line
    # the whole length the two-way test asks for, on one side: the one-way pass below
    one_reach_mm = 2 * reach_mm
    common = dict(sigma=sigma, spacing_mm=spacing_mm, start_mm=_RAY_START_MM,
                  offset_px=max(3.0, 2.0 * psf_px + 1.0), gate_z=config.line_z,
                  null_rows_px=null_r, null_cols_px=null_c, null_sigma=null_sigma,
                  follow=follow, null_cache={"reach_mm": one_reach_mm - _RAY_START_MM})
    ridges = ridges_through(image, rows_px, cols_px, reach_mm=reach_mm - _RAY_START_MM, **common)
    z = config.line_z * (_FOLLOWED_Z_FACTOR if follow else 1.0)
    _mark_lines(reason, ridges, rows_px, cols_px, spacing_mm, config, line_z=z)
    left = np.flatnonzero(reason == "")
    if left.size == 0:
        return
    common["sigma"] = np.asarray(sigma)[left]
    one_way = ridges_through(image, rows_px[left], cols_px[left], reach_mm=one_reach_mm - _RAY_START_MM,
                             one_sided=True, direction_far_mm=reach_mm, **common)
    sub = reason[left]
    _mark_lines(sub, one_way, rows_px[left], cols_px[left], spacing_mm, config, line_z=z,
                behind_mm=_ALONG_MARGIN_MM)
    reason[left] = sub


def _mark_lines(reason: np.ndarray, ridges: RidgeEvidence, rows_px: np.ndarray, cols_px: np.ndarray,
                spacing_mm: tuple[float, float], config: DetectorConfig, *, line_z: float,
                behind_mm: float = _RAY_START_MM) -> None:
    """``vascular`` where a strong line of dashes has a rail, ``scratch`` where a continuous thin line
    runs, each shared along the line (:func:`_along`); only where ``reason`` is still empty."""
    if config.vascular_min_length_mm > 0:
        # a stronger line than a scratch's: at 0.2 mm the members of a dense, elongated punctate
        # cluster lie along a ray with others beside them and reached z 6-7 (FFDM phantom, seed 97100001)
        tram = ((ridges.line_z >= _TRAM_LINE_FACTOR * line_z) & (ridges.rail_z >= line_z)
                & ridges.thin)
        reason[(reason == "") & _along(tram, rows_px, cols_px, ridges, spacing_mm, behind_mm)] = "vascular"
    scratch = (ridges.continuous_z >= line_z) & ridges.thin
    reason[(reason == "") & _along(scratch, rows_px, cols_px, ridges, spacing_mm, behind_mm)] = "scratch"


def _along(seed: np.ndarray, rows_px: np.ndarray, cols_px: np.ndarray, ridges: RidgeEvidence,
           spacing_mm: tuple[float, float], behind_mm: float) -> np.ndarray:
    """``seed`` and every candidate on the line of a seed: within 2 pixels of where its rays ran,
    of their continuation ``_ALONG_MARGIN_MM`` beyond their ends, and of the straight piece from
    ``behind_mm`` behind the seed (against its direction) to where the rays start: the ends of a
    line, where only one ray runs along it, belong to it too."""
    out = seed.copy()
    if not seed.any():
        return out
    sy, sx = spacing_mm
    tree = cKDTree(np.c_[np.asarray(rows_px, float) * sy, np.asarray(cols_px, float) * sx])
    step_mm = min(spacing_mm)
    width_mm = 2.0 * max(spacing_mm)
    beyond = np.arange(step_mm, _ALONG_MARGIN_MM + 1e-9, step_mm)
    near = np.arange(-behind_mm, _RAY_START_MM + 1e-9, step_mm)
    for i in np.flatnonzero(seed):
        ran = ridges.path_rc[:, :, i, :] * np.array([sy, sx])[:, None, None]  # (2, rays, samples), mm
        pieces = [ran.reshape(2, -1).T]
        for k in range(ran.shape[1]):
            a = ridges.end_rad[k, i]
            pieces.append(ran[:, k, -1] + beyond[:, None] * [np.sin(a), np.cos(a)])
        a = ridges.direction_rad[i]
        pieces.append([rows_px[i] * sy, cols_px[i] * sx] + near[:, None] * [np.sin(a), np.cos(a)])
        pts = np.concatenate(pieces)
        for hit in tree.query_ball_point(pts, r=width_mm):
            out[hit] = True
    return out
