"""Candidates: local maxima of any scale's normalised blob response above its threshold.

For each DoG level ``k`` (:mod:`calcdetect.detector.responses`), a pixel is a
peak when it is the maximum of its 3 x 3 neighbourhood and its SNR -- the
normalised response ``z_k = DoG_k / (gain_k * sigma(I_local))`` over the
texture of its tile, ``(z_k - centre) / sigma`` -- reaches ``snr_threshold``:
one threshold per scale, in units of that scale's noise.
At coarse pixels the prewhitened spot response
(:mod:`calcdetect.detector.spot`, ``ScaleSpace.spot``) is searched the same
way and its peaks join the others; every candidate then gets its SNR on it
too (``spot_snr``, NaN where the spot filter does not run).  At fine pixels
with ``line_source_snr`` set, the thin-line response (``ScaleSpace.line``,
:mod:`calcdetect.detector.ridge`) is searched too, with that threshold, and
every candidate gets its SNR on it (``line_snr``, NaN where it does not run).
Peaks are looked for only in the search region of the breast mask and away
from the image border.  The peaks of all levels are merged strongest first
with a non-maximum suppression of ``min_separation_mm``; each survivor then
gets its ``z`` at every level (the largest within one pixel, since a blob's
peak moves by a pixel between scales).

Only the pixels above a lower bound of the threshold per coarse block (the
noise curve's sigma of the block times the smallest tile threshold in it) are
tested against their neighbours; the candidates are exactly those of a
plain search of every pixel (``tests/calcdetect/detect/test_candidate_search.py``).

The threshold here is deliberately low (about 3.5 sigma, hundreds of
candidates per image): what is and is not a calcification is decided by the
false-positive classifier on the candidates' features
(:mod:`calcdetect.detector.features`, :mod:`calcdetect.detector.fp_model`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy.spatial import cKDTree

from calcdetect.config import DetectorConfig, mm_to_px
from calcdetect.detector.enhance import NoiseModel
from calcdetect.detector.mask import BreastMask
from calcdetect.detector.responses import ScaleSpace

__all__ = ["CandidatePeaks", "find_candidates", "search_box"]


@dataclass(frozen=True, eq=False)
class CandidatePeaks:
    """Candidate positions and their normalised response at every level.

    Attributes
    ----------
    row_px, col_px : ndarray of int
    z : ndarray of float, shape (n, n_levels)
        Each level's response over its noise-model sigma (quantum + electronic).
    snr_levels : ndarray of float, shape (n, n_levels)
        The same over the texture of its tile: ``(z - centre) / sigma``.
    sigma : ndarray of float
        The noise curve's sigma (read units) at the candidate.
    spot_snr : ndarray of float, optional
        SNR of the prewhitened spot response (as ``snr_levels``); NaN for
        every candidate where the spot filter does not run (the default).
    line_snr : ndarray of float, optional
        The same on the thin-line response; NaN where it does not run.
    """

    row_px: np.ndarray
    col_px: np.ndarray
    z: np.ndarray
    snr_levels: np.ndarray
    sigma: np.ndarray
    spot_snr: np.ndarray | None = None
    line_snr: np.ndarray | None = None

    def __post_init__(self) -> None:
        for name in ("spot_snr", "line_snr"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, np.full(self.row_px.size, np.nan))

    def __len__(self) -> int:
        return int(self.row_px.size)

    @property
    def snr(self) -> np.ndarray:
        """Best SNR over the levels."""
        return self.snr_levels.max(axis=1) if self.snr_levels.size else np.zeros(len(self))

    @property
    def best_level(self) -> np.ndarray:
        """Index of the level with the best SNR."""
        return self.snr_levels.argmax(axis=1) if self.snr_levels.size else np.zeros(len(self), np.intp)

    @classmethod
    def empty(cls, n_levels: int) -> CandidatePeaks:
        """No candidates."""
        none = np.zeros((0, max(n_levels, 1)))
        return cls(np.zeros(0, np.intp), np.zeros(0, np.intp), none, none.copy(), np.zeros(0))


def _tile_bound(tiles: NoiseModel, t: float, factor: tuple[int, int], shape_small: tuple[int, int], *,
                blocks: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """A lower bound, per coarse block, of the tiles' ``centre + t * sigma`` anywhere in the block.

    :meth:`NoiseModel.at` interpolates bilinearly between tile centres
    (constant beyond the outer ones).  Inside one bilinear cell a block's
    minimum is at one of its corners; a block that a cell edge crosses is
    bounded by the smallest tile value of the cells it meets.

    ``blocks`` (block rows, block columns) asks for those blocks only, shape
    ``(len(rows), len(cols))``; every block's value is the same as on the whole grid.
    """
    grid = tiles.centre + t * tiles.sigma
    if blocks is None:
        blocks = (np.arange(shape_small[0]), np.arange(shape_small[1]))
    edges, nodes = [], []
    for f, tile, n, index in zip(factor, tiles.tile_px, grid.shape, blocks):
        start = np.asarray(index, np.intp) * f
        u_first = (start + 0.5) / tile - 0.5  # the block's first and last pixel centres
        u_last = (start + f - 0.5) / tile - 0.5
        edges.append((u_first, u_last))
        lo = np.clip(np.floor(u_first), 0, n - 1).astype(np.intp)
        hi = np.clip(np.ceil(u_last), 0, n - 1).astype(np.intp)
        nodes.append((lo, hi, np.floor(u_first) != np.floor(u_last)))
    (ru0, ru1), (cu0, cu1) = edges
    # the four corners' bilinear values, in the order (ru0, cu0), (ru0, cu1), (ru1, cu0), (ru1, cu1)
    # of ``np.minimum.reduce`` over them: each row interpolation serves two corners
    bound = None
    for along_rows in (_along_rows(grid, ru0), _along_rows(grid, ru1)):
        for cu in (cu0, cu1):
            corner = _along_cols(along_rows, cu)
            bound = corner if bound is None else np.minimum(bound, corner, out=bound)
    (rlo, rhi, rcross), (clo, chi, ccross) = nodes
    if rcross.any() or ccross.any():
        # a block is crossed when its block row or its block column is: the node minimum is
        # needed on those rows and columns only (each block's value as on the whole grid)
        steps = (range(int((rhi - rlo).max()) + 1), range(int((chi - clo).max()) + 1))
        all_rows, all_cols = np.arange(bound.shape[0]), np.arange(bound.shape[1])
        for rows, cols in ((np.flatnonzero(rcross), all_cols), (all_rows, np.flatnonzero(ccross))):
            node_min = _node_min(grid, rlo[rows], rhi[rows], clo[cols], chi[cols], steps)
            where = np.ix_(rows, cols)  # a block met twice takes the same minimum again
            bound[where] = np.minimum(bound[where], node_min)
    return bound


def _node_min(grid: np.ndarray, rlo: np.ndarray, rhi: np.ndarray, clo: np.ndarray, chi: np.ndarray,
              steps: tuple[range, range]) -> np.ndarray:
    """The smallest ``grid`` node in rows ``rlo..rhi`` and columns ``clo..chi`` of each block, shape
    (len(rlo), len(clo)); the nodes visited in the order of ``steps`` (rows, then columns)."""
    node_min = np.full((rlo.size, clo.size), np.inf)
    for dr in steps[0]:
        rows = grid[np.minimum(rlo + dr, rhi)]
        for dc in steps[1]:
            np.minimum(node_min, rows[:, np.minimum(clo + dc, chi)], out=node_min)
    return node_min


def _along_rows(grid: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``grid`` interpolated linearly at the rows ``u`` (node units), constant beyond the outer
    nodes (as ``scipy.ndimage.map_coordinates(order=1, mode="nearest")``).  With
    :func:`_along_cols` after it, the bilinear value at every (u[i], v[j]): the block lattice is
    separable, so rows first, then columns."""
    i, i1, fu = _cell(u, grid.shape[0])
    return (1 - fu)[:, None] * grid[i] + fu[:, None] * grid[i1]


def _along_cols(along_rows: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The second step after :func:`_along_rows`: ``along_rows`` interpolated at the columns ``v``
    (the products and their sum in place: the same values with two full-size temporaries fewer)."""
    j, j1, fv = _cell(v, along_rows.shape[1])
    out = along_rows[:, j]
    out *= (1 - fv)[None, :]
    right = along_rows[:, j1]
    right *= fv[None, :]
    out += right
    return out


def _cell(u: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    u = np.clip(u, 0, n - 1)
    i = np.minimum(np.floor(u).astype(np.intp), max(n - 2, 0))
    return i, np.minimum(i + 1, n - 1), u - i


def _box_blocks(box: tuple[int, int, int, int], factor: tuple[int, int], shape_small: tuple[int, int]
                ) -> tuple[np.ndarray, np.ndarray]:
    """The coarse blocks (rows, columns) over ``box``, the last one repeated where the image is
    longer than the grid (as :meth:`BreastMask.lookup` clips)."""
    r0, r1, c0, c1 = box
    br = np.minimum(np.arange(r0 // factor[0], (r1 - 1) // factor[0] + 1), shape_small[0] - 1)
    bc = np.minimum(np.arange(c0 // factor[1], (c1 - 1) // factor[1] + 1), shape_small[1] - 1)
    return br, bc


def _level_peaks(level: np.ndarray, origin: tuple[int, int], bound_box: np.ndarray, first_block: tuple[int, int],
                 factor: tuple[int, int], box: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Local maxima (3 x 3) of ``level`` inside ``box`` that exceed a block-wise lower bound.

    ``level[0, 0]`` is at full-image position ``origin``; ``box`` and the
    returned positions are full-image pixels.  ``bound_box`` is the bound on
    the blocks of :func:`_box_blocks`, the first of which is ``first_block``.

    Comparing the level with a bound first leaves the few pixels that can
    be peaks; only those are tested against their neighbours (a 3 x 3 dilation
    of the whole level cost more than the rest of the search together).
    """
    r0, r1, c0, c1 = box
    if r1 <= r0 or c1 <= c0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    # the bound rounded down to float32 so that it stays a bound
    small = np.nextafter(bound_box.astype(np.float32), np.float32(-np.inf))
    off = (r0 - first_block[0] * factor[0], c0 - first_block[1] * factor[1])
    lr0, lc0 = r0 - origin[0], c0 - origin[1]
    rows, cols = _above_bound(level[lr0: lr0 + (r1 - r0), lc0: lc0 + (c1 - c0)], small, off, factor)
    if rows.size == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    rows, cols = rows + lr0, cols + lc0
    # a peak is the largest within one pixel (a neighbour outside the image does not count)
    peak = level[rows, cols] >= _max_near(level, rows, cols)
    return rows[peak] + origin[0], cols[peak] + origin[1]


def _above_bound(values: np.ndarray, bound: np.ndarray, offset: tuple[int, int], factor: tuple[int, int]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Positions (rows, cols of ``values``, row-major) where ``values`` exceeds the ``bound`` of its
    block: pixel (i, j) lies in block ``((i + offset[0]) // factor[0], (j + offset[1]) // factor[1])``.

    The same pixels, in the same order, as ``np.nonzero(values > bound enlarged to pixels)``, at
    a fraction of its cost: the bound is compared first with each block row's largest value per
    column (a block whose largest value is not above it has no pixel above it), then only the
    pixels of the columns that pass are compared one by one.
    """
    h, w = values.shape
    fr = factor[0]
    bound, off = bound[offset[0] // fr:], offset[0] % fr  # now block row k starts at row k * fr - off
    fc, off_c = factor[1], offset[1]
    col_bound = np.repeat(bound[:, off_c // fc:], fc, axis=1)[:, off_c % fc: off_c % fc + w]  # (block rows, w)
    # block rows: a partial one at the top (the box starts inside a block), whole ones, a partial one
    head = min(h, -off % fr)
    whole = (h - head) // fr
    parts = [values[:head]] if head else []
    parts.append(values[head: head + whole * fr].reshape(whole, fr, w))
    if head + whole * fr < h:
        parts.append(values[head + whole * fr:])
    # fmax: a NaN pixel never passes, and must not hide the others of its block
    top = np.concatenate([np.fmax.reduce(p, axis=0)[None] if p.ndim == 2 else np.fmax.reduce(p, axis=1)
                          for p in parts])
    col_bound = col_bound[: top.shape[0]]
    # flatnonzero + divmod: a fifth of the cost of a two-dimensional np.nonzero
    hit_block, hit_col = np.divmod(np.flatnonzero(top > col_bound), w)
    # the pixels of each block column that passed, one row of ``rows`` each, against its bound
    rows = (hit_block * fr - off)[:, None] + np.arange(fr)[None, :]
    inside = (rows >= 0) & (rows < h)
    cols = np.broadcast_to(hit_col[:, None], rows.shape)
    above = (values[np.clip(rows, 0, h - 1), cols] > col_bound[hit_block, hit_col][:, None]) & inside
    rows, cols = rows[above], cols[above]
    # they come by block row, column, row: a stable sort by row makes them row-major (the order of
    # np.nonzero of the whole); numpy's stable sort of 16-bit keys is a radix sort
    order = np.argsort(rows.astype(np.int16 if h <= np.iinfo(np.int16).max else np.int64), kind="stable")
    return rows[order], cols[order]


def search_box(mask: BreastMask, *, spacing_mm: tuple[float, float], config: DetectorConfig) -> tuple[int, int, int, int]:
    """Bounding box ``(r0, r1, c0, c1)`` (full-image pixels, end exclusive) where candidates are looked for.

    The search region of the breast, away from the image border by half the
    top-hat element (whose contrast a candidate needs).
    """
    border = (int(np.ceil(mm_to_px(config.tophat_size_mm / 2, spacing_mm[0]))),
              int(np.ceil(mm_to_px(config.tophat_size_mm / 2, spacing_mm[1]))))
    H, W = mask.full_shape
    rr = np.flatnonzero(mask.search.any(axis=1))  # rows and columns of the grid the region meets
    cc = np.flatnonzero(mask.search.any(axis=0))
    if rr.size == 0:
        return 0, 0, 0, 0
    fr, fc = mask.factor
    r0, c0 = max(int(rr[0]) * fr, border[0]), max(int(cc[0]) * fc, border[1])
    r1 = H - border[0] if rr[-1] == mask.search.shape[0] - 1 else min((int(rr[-1]) + 1) * fr, H - border[0])
    c1 = W - border[1] if cc[-1] == mask.search.shape[1] - 1 else min((int(cc[-1]) + 1) * fc, W - border[1])
    return r0, r1, c0, c1


def _max_near(level: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Largest value of ``level`` within one pixel of each (level) position."""
    H, W = level.shape
    best = np.full(rows.size, -np.inf)
    if (rows.size and level.flags.c_contiguous and rows.min() >= 1 and rows.max() <= H - 2
            and cols.min() >= 1 and cols.max() <= W - 2):
        # no neighbour outside: read each by its flat index
        flat_level, flat = level.ravel(), rows * W + cols
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                np.maximum(best, flat_level.take(flat + (dr * W + dc)), out=best)
        return best
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            best = np.maximum(best, level[np.clip(rows + dr, 0, H - 1), np.clip(cols + dc, 0, W - 1)])
    return best


def _suppress(rows: np.ndarray, cols: np.ndarray, snr: np.ndarray, spacing_mm, radius_mm: float):
    """Strongest first (ties by position); drop a peak within ``radius_mm`` of a stronger survivor."""
    order = np.lexsort((cols, rows, -snr))
    rows, cols = rows[order], cols[order]
    alive = np.ones(rows.size, bool)
    if rows.size > 1:
        pts = np.column_stack([rows * spacing_mm[0], cols * spacing_mm[1]])
        for i, j in sorted(cKDTree(pts).query_pairs(max(radius_mm, 1e-6))):
            if alive[i]:  # i < j: i is the stronger; j goes if i still stands
                alive[j] = False
    return rows[alive], cols[alive]


def find_candidates(
    space: ScaleSpace,
    sigma_small: np.ndarray,
    mask: BreastMask,
    *,
    spacing_mm: tuple[float, float],
    config: DetectorConfig,
) -> CandidatePeaks:
    """Peaks of every level whose SNR reaches ``snr_threshold``.

    Parameters
    ----------
    space : ScaleSpace
    sigma_small : ndarray, shape of ``mask.search``
        The noise curve's sigma on the mask's coarse grid (at its block means).
    mask : BreastMask
    spacing_mm : (float, float)
    config : DetectorConfig

    Returns
    -------
    CandidatePeaks
        Strongest first (ties by position), at most ``config.max_candidates``.
    """
    if len(space) == 0:
        return CandidatePeaks.empty(0)

    box = search_box(mask, spacing_mm=spacing_mm, config=config)
    t = config.snr_threshold
    # the bound is needed on the blocks of the box only
    br, bc = _box_blocks(box, mask.factor, mask.search.shape)
    sigma_search = np.where(mask.search, sigma_small, np.inf)[np.ix_(br, bc)]
    first_block = (int(br[0]), int(bc[0])) if br.size and bc.size else (0, 0)
    sigma_at = partial(mask.lookup, sigma_small)
    responses = [(level, gain, tiles, t) for level, gain, tiles in zip(space.levels, space.gain, space.texture)]
    if space.spot is not None:
        responses.append((space.spot.response, space.spot.gain, space.spot.texture, t))
    if space.line is not None:
        responses.append((space.line.response, space.line.gain, space.line.texture, config.line_source_snr))
    all_r, all_c, all_snr = [], [], []
    for level, gain, tiles, threshold in responses:
        # SNR >= threshold  <=>  level >= gain * sigma(I) * (centre + threshold * sigma_tile): bound it per block
        bound = gain * sigma_search * _tile_bound(tiles, threshold, mask.factor, mask.search.shape, blocks=(br, bc))
        rows, cols = _level_peaks(level, space.origin, bound, first_block, mask.factor, box)
        keep = mask.in_search(rows, cols)
        rows, cols = rows[keep], cols[keep]
        _, snr = _z_snr(level, gain, tiles, rows, cols, space.origin, sigma_at(rows, cols), near=False)
        keep = snr >= threshold
        all_r.append(rows[keep]), all_c.append(cols[keep]), all_snr.append(snr[keep])
    rows, cols, snr = np.concatenate(all_r), np.concatenate(all_c), np.concatenate(all_snr)
    if rows.size == 0:
        return CandidatePeaks.empty(len(space))
    rows, cols = _suppress(rows, cols, snr, spacing_mm, config.min_separation_mm)
    rows, cols = rows[: config.max_candidates], cols[: config.max_candidates]
    sigma_px = sigma_at(rows, cols)
    z_all, snr_all = zip(*(_z_snr(level, gain, tiles, rows, cols, space.origin, sigma_px, near=True)
                           for level, gain, tiles in zip(space.levels, space.gain, space.texture)))
    spot_snr, line_snr = (None if extra is None else
                          _z_snr(extra.response, extra.gain, extra.texture, rows, cols, space.origin, sigma_px,
                                 near=True)[1]
                          for extra in (space.spot, space.line))
    return CandidatePeaks(rows, cols, np.column_stack(z_all), np.column_stack(snr_all), sigma_px, spot_snr, line_snr)


def _z_snr(level: np.ndarray, gain: float, tiles: NoiseModel, rows: np.ndarray, cols: np.ndarray,
           origin: tuple[int, int], sigma_px: np.ndarray, *, near: bool) -> tuple[np.ndarray, np.ndarray]:
    """``z`` (the response over ``gain * sigma``) and ``(z - centre) / sigma`` of its tile, at full-image
    positions; ``near``: the response's largest value within one pixel (a peak moves by a pixel
    between responses)."""
    lr, lc = rows - origin[0], cols - origin[1]
    z = (_max_near(level, lr, lc) if near else level[lr, lc]) / (gain * sigma_px)
    centre, sigma = tiles.at(rows, cols)
    return z, (z - centre) / sigma
