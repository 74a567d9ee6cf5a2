"""Lines no calcification makes: scanner lines, scratches and hairs, vessel walls.

Two tests, both on the analysed image and in units of its own noise:

* :func:`find_scanner_lines` -- a row (or column) that is brighter or darker
  than the rows a few pixels above *and* below it, over a long run: a film
  scanner's line, a detector's dead line.  Each row is averaged over blocks of
  about 1 mm along it (a line is constant along its length, noise averages
  out), its difference to both neighbouring rows (2 and 3 pixels away, so
  lines up to 3 pixels wide) is taken where both agree in sign (an edge, which
  differs from one side only, gives none), and the median of that difference
  over segments of ``scanner_line_min_mm / 2`` is compared to the spread of
  the same segments' medians over its band of about 100 rows (robust z).  Two consecutive segments beyond ``z``
  with the same sign make a line.
* :func:`ridges_through` -- for each candidate, the direction in which a
  line through it runs (where it crosses a circle of 1.5 mm around the
  candidate at two opposite points, refined on a circle of the full reach, so
  that a one-pixel line is followed for millimetres; with ``follow``, each
  ray is re-aimed every ``_SEGMENT_MM`` along a bending line), then the 20th
  percentile (a continuous line) and the 35th (a line of dashes) along two
  rays (from ``start_mm`` to ``start_mm + reach_mm``, both ways) of the
  ridge profile ``on-line - mean(two parallel lines at +- offset)``, and the
  35th percentile of the same profile on lines 0.5-3 mm to either side (a companion
  rail: the second wall of a calcified vessel, with an empty lumen: nothing on the
  line halfway between).  Each is a robust z against
  the same statistics at 45, 90 and 135 degrees.  A candidate on a thin line
  that runs on both ways well beyond any calcification is on a scratch, a
  hair or a vessel wall.  Sampling is nearest-pixel: percentiles over tens of
  pixels do not need interpolation.  With ``one_sided`` the same is measured
  for a line that *starts* at the candidate (its end): the direction over 360
  degrees (one bright point on each circle), one ray.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from calcdetect.config import mm_to_px
from calcdetect.detector.noise_model import robust_centre_spread

__all__ = ["ScannerLine", "find_scanner_lines", "on_scanner_line", "RidgeEvidence", "ridges_through"]

#: block length along a row for the scanner-line profile, mm
_BLOCK_MM = 1.0
#: neighbouring rows compared with, pixels away
_NEIGHBOUR_OFFSETS_PX = (2, 3)
#: rows of a band whose segments a segment's z is measured against
_LOCAL_ROWS = 100


@dataclass(frozen=True)
class ScannerLine:
    """A row (``axis`` 0) or column (``axis`` 1) that differs from its neighbours over a run.

    ``index`` is the row (column) number, ``start_px``/``stop_px`` the run
    along it (inclusive, exclusive), ``z`` its strongest segment's robust z
    (signed: negative = dark line).
    """

    axis: int
    index: int
    start_px: int
    stop_px: int
    z: float


def _neighbour_differences(means: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of block means, minus the rows above, and minus the rows below."""
    up = np.zeros_like(means)
    down = np.zeros_like(means)
    k = len(_NEIGHBOUR_OFFSETS_PX)
    for off in _NEIGHBOUR_OFFSETS_PX:
        up[off:] += means[:-off] / k
        down[:-off] += means[off:] / k
    return means - up, means - down


def _median_last(x: np.ndarray) -> np.ndarray:
    """``np.median(x, axis=-1)``, the same values, four times faster on short rows: one partition
    at the middle (``np.median`` also moves each row's largest value last, to look for NaN) and its
    own mean of the middle one or two values (which makes -0 a 0, as it does)."""
    n = x.shape[-1]
    k = n // 2
    part = np.partition(x, k if n % 2 else [k - 1, k], axis=-1)
    middle = np.mean(part[..., k - 1 + n % 2: k + 1], axis=-1)
    if not np.isnan(x).any():  # the usual case, told by one pass without the per-row reduction
        return middle
    return np.where(np.isnan(x).any(axis=-1), np.nan, middle)


def _segment_z(diff: np.ndarray, seg_blocks: int) -> np.ndarray:
    """Median of each segment of ``seg_blocks`` blocks, as a robust z against the same segments of the
    rows in its band of about 100 rows (the breast, its edge and the background differ in noise)."""
    edge = max(_NEIGHBOUR_OFFSETS_PX)
    n_seg = diff.shape[1] // seg_blocks
    seg = _median_last(diff[edge: diff.shape[0] - edge, : n_seg * seg_blocks].reshape(-1, n_seg, seg_blocks))
    n = seg.shape[0]
    n_bands = max(1, n // _LOCAL_ROWS)
    size = n // n_bands  # the last band also takes the rows left over
    bands = seg[: n_bands * size].reshape(n_bands, size, n_seg)
    centre, spread = robust_centre_spread(bands, axis=1)
    band_of = np.minimum(np.arange(n) // size, n_bands - 1)
    c, sp = centre[band_of], spread[band_of]
    z = np.zeros((diff.shape[0], n_seg))
    z[edge: edge + n] = np.where(sp > 0, (seg - c) / np.where(sp > 0, sp, 1.0), 0.0)
    return z


def _lines_along_rows(means: np.ndarray, *, block_mm: float, z: float, min_length_mm: float,
                      axis: int) -> list[ScannerLine]:
    """Lines along axis 1 of ``means`` (block means along each line, one block = ``block_mm``); each run
    reaches one segment beyond the segments found (to the end of the row when that is the last)."""
    block = 1
    seg_blocks = max(2, int(round(min_length_mm / 2 / block_mm)))
    if means.shape[1] // seg_blocks < 2 or means.shape[0] <= 2 * max(_NEIGHBOUR_OFFSETS_PX) + 2:
        return []
    d_up, d_down = _neighbour_differences(means)
    z_up, z_down = _segment_z(d_up, seg_blocks), _segment_z(d_down, seg_blocks)
    # a line differs from both sides alike; an edge from one side only
    zz = np.where(np.sign(z_up) == np.sign(z_down), np.sign(z_up) * np.minimum(np.abs(z_up), np.abs(z_down)), 0.0)
    out = []
    for sign in (1.0, -1.0):
        hot = sign * zz >= z
        both = hot[:, :-1] & hot[:, 1:]  # two consecutive segments
        for r in np.flatnonzero(both.any(axis=1)):
            run = np.flatnonzero(hot[r])
            # one segment more on each side: where the line starts or ends within a segment, or a
            # segment is shared with the air beside the breast, its median is not beyond z
            start, stop = max(int(run.min()) - 1, 0), min(int(run.max()) + 2, hot.shape[1])
            out.append(ScannerLine(axis=axis, index=int(r), start_px=start * seg_blocks * block,
                                   stop_px=means.shape[1] if stop == hot.shape[1] else stop * seg_blocks * block,
                                   z=float(sign * np.abs(zz[r, run]).max())))
    return out


def find_scanner_lines(image: np.ndarray, *, spacing_mm: tuple[float, float], z: float,
                       min_length_mm: float) -> list[ScannerLine]:
    """Rows and columns brighter or darker than their neighbours over at least ``min_length_mm``.

    Parameters
    ----------
    image : ndarray, shape (rows, cols)
    spacing_mm : (float, float)
    z : float
        Robust z a segment's median must reach (against the segments of its band of rows).
    min_length_mm : float
        Shortest run reported (two segments of half this length).

    Returns
    -------
    list of ScannerLine
        Rows first (axis 0), then columns (axis 1); runs in pixels.
    """
    img = np.asarray(image, dtype=np.float32)
    rows, cols = img.shape
    out: list[ScannerLine] = []
    for axis in (0, 1):
        along_mm = spacing_mm[1 - axis]
        block = max(1, int(round(mm_to_px(_BLOCK_MM, along_mm))))
        if axis == 0:  # block means along each row (area resampling by an integer factor averages exactly)
            nb = cols // block
            means = cv2.resize(img[:, : nb * block], (nb, rows), interpolation=cv2.INTER_AREA)
        else:
            nb = rows // block
            means = cv2.resize(img[: nb * block], (cols, nb), interpolation=cv2.INTER_AREA).T
        if nb == 0:
            continue
        found = _lines_along_rows(np.ascontiguousarray(means, dtype=np.float32), block_mm=block * along_mm,
                                  z=z, min_length_mm=min_length_mm, axis=axis)
        out += [ScannerLine(axis=f.axis, index=f.index, start_px=f.start_px * block, stop_px=f.stop_px * block,
                            z=f.z) for f in found]
    return out


def on_scanner_line(lines: list[ScannerLine], rows_px: np.ndarray, cols_px: np.ndarray, *,
                    margin_px: int) -> np.ndarray:
    """Whether each position lies within ``margin_px`` of one of ``lines`` (and along its run)."""
    rows_px, cols_px = np.asarray(rows_px, float), np.asarray(cols_px, float)
    hit = np.zeros(rows_px.shape, bool)
    for line in lines:
        across, along = (rows_px, cols_px) if line.axis == 0 else (cols_px, rows_px)
        hit |= ((np.abs(across - line.index) <= margin_px)
                & (along >= line.start_px - margin_px) & (along < line.stop_px + margin_px))
    return hit


@dataclass(frozen=True, eq=False)
class RidgeEvidence:
    """Per candidate: the strongest thin line through it, and a rail beside that line (with
    ``one_sided``, of :func:`ridges_through`: the line from it, its one ray instead of the two).

    Attributes
    ----------
    continuous_z : ndarray
        Over the best direction, the smaller of the two rays' 20th percentile
        of the ridge profile (z): the line runs on, without gaps, both ways.
    line_z : ndarray
        The same with the 35th percentile: a line of dashes (at most 35 % gaps).
    direction_rad : ndarray
        The direction of ``line_z`` (0 = along a row).
    thin : ndarray of bool
        The line is thin: moving the background lines twice as far adds
        little to its profile (35th percentile; a vessel or a duct, wider, adds a lot).
    rail_z : ndarray
        The strongest parallel line of dashes 0.5-3 mm to either side, with
        nothing (z under half of ``gate_z``) on the line halfway to it, along
        the direction of ``line_z`` (smaller of its two rays' 35th percentiles, z);
        measured only where ``line_z`` reaches ``gate_z``, else -inf.
    path_rc : ndarray, shape (2, rays, n, samples)
        Where the rays ran (row and column, pixels): the line as followed,
        for sharing a verdict with the candidates further along it.
    end_rad : ndarray, shape (rays, n)
        The direction each ray was travelling in at its end.
    """

    continuous_z: np.ndarray
    line_z: np.ndarray
    direction_rad: np.ndarray
    thin: np.ndarray
    rail_z: np.ndarray
    path_rc: np.ndarray = field(default_factory=lambda: np.zeros((2, 0, 0, 0)))
    end_rad: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))


#: percentile of the ridge profile along a ray for a continuous line (at most 20 % gaps)
_CONTINUOUS_PCT = 20.0
#: ... and for a line of dashes (at most 35 % gaps: a vessel wall's calcification, not a cluster that
#: happens to lie along the ray for half its length)
_DASHED_PCT = 35.0


def _pixels(image: np.ndarray, rr: np.ndarray, cc: np.ndarray,
            dr: np.ndarray | float | None = None, dc: np.ndarray | float | None = None) -> np.ndarray:
    """The nearest pixel's value at each point ``(rr + dr, cc + dc)`` (offsets of a shape that
    broadcasts; none when not given; points beyond the image take its edge), in the image's own dtype."""
    h, w = image.shape
    # clipping before rounding gives the same pixel (the bounds are whole numbers), and the flat
    # index is exact in float64: one conversion to integers instead of two; the offset points are
    # clipped and rounded in place (one temporary per axis, not two)
    if dr is None:
        r = np.clip(rr, 0, h - 1, dtype=np.float64)
        c = np.clip(cc, 0, w - 1, dtype=np.float64)
    else:
        r = np.add(rr, dr, dtype=np.float64)
        np.clip(r, 0, h - 1, out=r)
        c = np.add(cc, dc, dtype=np.float64)
        np.clip(c, 0, w - 1, out=c)
    np.rint(r, out=r)
    np.rint(c, out=c)
    r *= w
    r += c
    return np.ravel(image).take(r.astype(np.intp))  # by flat index: a third faster than image[r, c]


def _max3_own(image: np.ndarray, rr: np.ndarray, cc: np.ndarray, across_r: np.ndarray,
              across_c: np.ndarray) -> np.ndarray:
    """:func:`_max3` in the image's own dtype (the maximum is the same in it)."""
    out = _pixels(image, rr, cc)
    for d in (-1.0, -0.5, 0.5, 1.0):
        np.maximum(out, _pixels(image, rr, cc, d * across_r, d * across_c), out=out)
    return out


def _max3(image: np.ndarray, rr: np.ndarray, cc: np.ndarray, across_r: np.ndarray,
          across_c: np.ndarray) -> np.ndarray:
    """:func:`_sample_max3` with the unit vector across, ``(cos(theta), -sin(theta))``, given (it may be
    of a smaller shape that broadcasts: one per ray, not per point)."""
    return _max3_own(image, rr, cc, across_r, across_c).astype(np.float64)


def _sample_max3(image: np.ndarray, rr: np.ndarray, cc: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """The brightest pixel within one pixel across direction ``theta`` at each point (five nearest-pixel
    samples half a pixel apart): a one-pixel line is hit wherever the nearest pixel misses it by rounding,
    also a diagonal 8-connected one."""
    return _max3(image, rr, cc, np.cos(theta), -np.sin(theta))


#: the two rays of a line through a candidate; a line from it has the first only
_BOTH_WAYS = (1.0, -1.0)
_ONE_WAY = (1.0,)

#: a followed ray is re-aimed after each segment of this length (mm) ...
_SEGMENT_MM = 1.5
#: ... by at most this many degrees, in steps of ``_TURN_STEP_DEG``, and moved across by up to one
#: pixel: a hair or a vessel wall bends gently; a path free to turn more would find a line in any
#: texture
_MAX_TURN_DEG = 10.0
_TURN_STEP_DEG = 5.0
_SHIFTS_PX = (-1.0, 0.0, 1.0)


@dataclass(frozen=True)
class _Rays:
    """Sample points of the rays from each candidate, shape (rays, n, m): positions (pixels) and the
    line's local orientation there (radians; the parallel background lines and rails lie across it),
    of shape (rays, n, 1) where it is the same all along each ray (straight rays: its cosine and
    sine are then taken once per ray, not once per point)."""

    rr: np.ndarray
    cc: np.ndarray
    orientation: np.ndarray
    #: :func:`_profile` along the rays (shift 0, background lines ``profile_offset`` across), where known
    profile: np.ndarray | None = None
    profile_offset: float | None = None

    def part(self, rays=slice(None), samples=slice(None)) -> _Rays:
        """Some of the rays (axis 1), and/or their first samples."""
        def cut(a):
            return None if a is None else a[:, rays, samples]
        return _Rays(cut(self.rr), cut(self.cc), cut(self.orientation), cut(self.profile), self.profile_offset)

    def with_profile(self, image, steps, offset) -> _Rays:
        """These rays with their :func:`_profile` across ``offset`` measured."""
        if self.profile is not None and self.profile_offset == offset:
            return self
        return replace(self, profile=_profile(image, self.rr, self.cc, self.orientation, steps, 0.0, offset),
                       profile_offset=offset)


def _straight_rays(r0, c0, theta, steps, t, signs) -> _Rays:
    """Straight rays along ``theta`` (shape (n, 1)) and/or against it, at distances ``t`` (steps)."""
    sr, sc = steps
    rr = np.stack([r0[:, None] + sgn * t[None, :] * (np.sin(theta) * sr) for sgn in signs])
    cc = np.stack([c0[:, None] + sgn * t[None, :] * (np.cos(theta) * sc) for sgn in signs])
    return _Rays(rr, cc, np.repeat(theta[None], len(signs), axis=0))


def _line_minus_sides(image, rr, cc, orientation, steps, shift, offset):
    """``on(shift) - mean(on(shift +- offset))`` at each point, across ``orientation`` (of a shape that
    broadcasts against ``rr``), and the points it was measured on, ``shift`` across (row, column)."""
    cos_o, sin_o = np.cos(orientation), np.sin(orientation)
    vr, vc = cos_o * steps[0], -sin_o * steps[1]
    if shift:
        rr, cc = rr + shift * vr, cc + shift * vc
    # float64 arithmetic on the samples in the image's dtype (each ufunc widens them on the fly):
    # the same values as widening each sample array first, without the three float64 copies
    side = np.add(_pixels(image, rr, cc, offset * vr, offset * vc),
                  _pixels(image, rr, cc, -(offset * vr), -(offset * vc)), dtype=np.float64)
    side *= 0.5
    on = np.subtract(_max3_own(image, rr, cc, cos_o, -sin_o), side, dtype=np.float64)
    return on, (rr, cc)


def _inside(image_shape, rr, cc, orientation, steps, offset):
    """Whether the points and their background lines (offset across ``orientation``, and one more
    pixel for :func:`_sample_max3`) lie in the image."""
    h, w = image_shape
    reach_r = np.abs(offset * (np.cos(orientation) * steps[0])) + 1.0
    reach_c = np.abs(offset * (-np.sin(orientation) * steps[1])) + 1.0
    return (rr >= reach_r - 0.5) & (rr <= h - 0.5 - reach_r) & (cc >= reach_c - 0.5) & (cc <= w - 0.5 - reach_c)


#: points measured at a time by :func:`_profile`: the pixels around a block's rays stay in the cache
#: for all seven samples of each point (all the rays of a whole image at once: about 2.5 times slower)
_BLOCK_POINTS = 16384


def _profile(image, rr, cc, orientation, steps, shift, offset):
    """``on(shift) - mean(on(shift +- offset))`` at each point, across ``orientation``; NaN where a
    point or its background lines leave the image (a ray that runs off it is no evidence of a line:
    clipped samples repeat the edge).  All of shape (rays, n, m)."""
    out = np.empty(rr.shape)
    block = max(1, _BLOCK_POINTS // max(1, rr.shape[0] * rr.shape[2]))
    for start in range(0, rr.shape[1], block):
        part = (slice(None), slice(start, start + block))
        prof, (r, c) = _line_minus_sides(image, rr[part], cc[part], orientation[part], steps, shift, offset)
        prof[~_inside(image.shape, r, c, orientation[part], steps, offset)] = np.nan
        out[part] = prof
    return out


def _followed_rays(image, r0, c0, theta, steps, t, signs, offset, segment_steps) -> _Rays:
    """Rays that follow a bending line: each segment of ``segment_steps`` is re-aimed where the
    profile along it is strongest, turning by up to ``_MAX_TURN_DEG`` from the last and starting
    up to a pixel across from where the last ended (so an error in the direction is caught up).

    Written here because no library follows a thin, dashed ridge through texture with a bounded
    turn per segment; the greedy choice favours bright paths in noise too, which the caller's null
    distribution (the same rays from its null positions) carries.
    """
    sr, sc = steps
    turns = np.radians(np.arange(-_MAX_TURN_DEG, _MAX_TURN_DEG + 1e-9, _TURN_STEP_DEG))
    bounds = np.flatnonzero(np.diff(np.floor((t - t[0]) / segment_steps)) > 0) + 1
    chunks = np.split(np.arange(t.size), bounds)
    n, pick = r0.size, np.arange(r0.size)
    out = [np.empty((len(signs), n, t.size)) for _ in range(4)]  # rows, columns, orientation, profile
    for k, sgn in enumerate(signs):
        base_r, base_c, base_t = r0.astype(float), c0.astype(float), 0.0
        o = theta[:, 0].astype(float)
        for j, idx in enumerate(chunks):
            d = t[idx] - base_t  # distances from this segment's start
            shifts = np.asarray(_SHIFTS_PX if j else (0.0,))
            turn, shift = (a.ravel() for a in np.meshgrid(turns, shifts))
            trial = o[:, None] + turn[None, :]  # (n, J)
            # the start moved across the last direction, in pixels
            start_r = base_r[:, None] + shift[None, :] * np.cos(o)[:, None]
            start_c = base_c[:, None] - shift[None, :] * np.sin(o)[:, None]
            rr = start_r[:, :, None] + sgn * d[None, None, :] * (np.sin(trial) * sr)[:, :, None]
            cc = start_c[:, :, None] + sgn * d[None, None, :] * (np.cos(trial) * sc)[:, :, None]
            best, prof = _strongest_trial(image, rr, cc, trial, steps, offset)
            out[0][k, :, idx], out[1][k, :, idx] = rr[pick, best].T, cc[pick, best].T
            o = trial[pick, best]
            out[2][k, :, idx] = o[None, :]
            out[3][k, :, idx] = prof.T
            base_r, base_c, base_t = rr[pick, best, -1], cc[pick, best, -1], t[idx[-1]]
    return _Rays(*out, profile_offset=offset)


def _strongest_trial(image, rr, cc, trial, steps, offset):
    """Per candidate, the trial segment (``rr``, ``cc``: shape (n, J, m); direction ``trial``: (n, J))
    with the strongest mean :func:`_profile` (a segment off the image has none), and that profile."""
    orientation = trial[:, :, None]
    prof, _ = _line_minus_sides(image, rr, cc, orientation, steps, 0.0, offset)
    strength = prof.mean(axis=-1)
    # a segment is straight: its rows and columns run monotonically (rounding keeps the order), so
    # all its points lie inside the image if its two ends do
    ends = [0, -1]
    inside = _inside(image.shape, rr[:, :, ends], cc[:, :, ends], orientation, steps, offset).all(axis=-1)
    strength[~inside] = np.nan
    best = np.argmax(np.nan_to_num(strength, nan=-np.inf), axis=1)
    pick = np.arange(best.size)
    prof = prof[pick, best]
    prof[~_inside(image.shape, rr[pick, best], cc[pick, best], orientation[pick, best], steps, offset)] = np.nan
    return best, prof


def _ray_stats(image, rays: _Rays, steps, shift, offset):
    """Percentiles (20th, 35th) along each ray of ``on(shift) - mean(on(shift +- offset))``, across the
    rays' local orientation: shape (2, n, rays)."""
    if shift == 0 and rays.profile is not None and rays.profile_offset == offset:
        prof = rays.profile
    else:
        prof = _profile(image, rays.rr, rays.cc, rays.orientation, steps, shift, offset)
    return np.moveaxis(np.percentile(prof, [_CONTINUOUS_PCT, _DASHED_PCT], axis=-1), 1, 2)


def _robust_z(values: np.ndarray) -> tuple[float, float]:
    """Median and robust sigma (1 where it is 0) of the finite values."""
    flat = values[np.isfinite(values)]
    if flat.size == 0:
        return 0.0, 1.0
    centre, spread = robust_centre_spread(flat)
    return float(centre), float(spread) or 1.0


def _ring_direction(image, r0, c0, radius_px, angles, *, plateau_centre=False, one_sided=False):
    """Per candidate, the angle (of ``angles``, shape (n, m)) whose two antipodal points on a circle
    are brightest over the circle's median: where a line through the candidate crosses it.
    ``one_sided``: the angle (over 360 degrees) whose one point is: where a line from it crosses."""
    dr, dc = radius_px[0] * np.sin(angles), radius_px[1] * np.cos(angles)
    a = _sample_max3(image, r0[:, None] + dr, c0[:, None] + dc, angles)
    if one_sided:
        score = a - np.median(a, axis=1, keepdims=True)
    else:
        b = _sample_max3(image, r0[:, None] - dr, c0[:, None] - dc, angles)
        both = np.minimum(a, b)  # a line crosses both; a blob or an edge on one side only
        score = both - np.median(np.concatenate([a, b], axis=1), axis=1, keepdims=True)
    # the centre of the plateau around the best angle (sampling three pixels across makes one
    # about two pixels wide; its first maximum would be biased to one side)
    best = np.argmax(score, axis=1)
    rows = np.arange(score.shape[0])
    if not plateau_centre:
        return angles[rows, best]
    top = score[rows, best][:, None]
    idx = np.arange(score.shape[1])[None, :]
    near = np.abs(idx - best[:, None]) <= 0.1 * score.shape[1] + 1
    plateau = near & (score >= top - 0.3 * np.abs(top))  # always holds the best angle itself
    return (angles * plateau).sum(axis=1) / plateau.sum(axis=1)


def _directions(image, r0, c0, spacing_mm, far_mm, *, one_sided=False):
    """Direction of the most line-like path through (``one_sided``: from) each candidate: coarse on a
    1.5 mm circle, refined on a far one."""
    px = min(spacing_mm)
    ring1 = min(1.5, far_mm)
    turn = 2.0 * np.pi if one_sided else np.pi
    n1 = max(32, int(np.ceil(turn * ring1 / px)))
    grid = np.broadcast_to(np.linspace(0, turn, n1, endpoint=False), (r0.size, n1))
    coarse = _ring_direction(image, r0, c0, (ring1 / spacing_mm[0], ring1 / spacing_mm[1]), grid,
                             one_sided=one_sided)
    half_width = 2.0 * turn / n1 + px / ring1
    deltas = np.arange(-half_width, half_width + 1e-12, 0.5 * px / far_mm)
    fine = _ring_direction(image, r0, c0, (far_mm / spacing_mm[0], far_mm / spacing_mm[1]),
                           coarse[:, None] + deltas[None, :], plateau_centre=True, one_sided=one_sided)
    return np.mod(fine, turn)


def _weakest_ray(image, rays, steps, shift, offset):
    """The 35th-percentile statistic of :func:`_ray_stats`, the weaker of the rays (a line through the
    candidate must run on both ways)."""
    return _ray_stats(image, rays, steps, shift, offset)[1].min(axis=-1)


#: points of rays moved across that :func:`_weakest_across` measures in one go (bounds its memory)
_ACROSS_POINTS = 1 << 18


def _weakest_across(image, rays, steps, shifts, offset):
    """:func:`_weakest_ray` of the rays moved across by each of ``shifts`` (steps): shape (shifts, n).
    The moved copies are measured together, side by side along the candidates' axis: a few
    candidates' rays at a time cost more in call overhead than in sampling."""
    vr = np.cos(rays.orientation) * steps[0]
    vc = -np.sin(rays.orientation) * steps[1]
    group = max(1, _ACROSS_POINTS // max(1, rays.rr.size))
    out = []
    for i in range(0, len(shifts), group):
        moved = shifts[i: i + group]
        side_by_side = _Rays(np.concatenate([rays.rr + m * vr for m in moved], axis=1),
                             np.concatenate([rays.cc + m * vc for m in moved], axis=1),
                             np.tile(rays.orientation, (1, len(moved), 1)))
        out.append(_weakest_ray(image, side_by_side, steps, 0.0, offset).reshape(len(moved), -1))
    return np.concatenate(out)


def _thin_and_rail(image, rays, steps, offset_px, sig, null_line, *, gate_z, step_mm):
    """Whether each line is thin, and its strongest rail (z) with an empty lumen (see :class:`RidgeEvidence`)."""
    c_line, s_line = null_line
    near = _weakest_ray(image, rays, steps, 0.0, offset_px)
    far = _weakest_ray(image, rays, steps, 0.0, 2 * offset_px)
    # thin: moving the background lines twice as far adds little (a wide vessel adds a lot)
    thin = far - near <= 0.5 * np.maximum(near, 0.0)
    # a rail 0.5-3 mm to either side, with an empty lumen between: the line halfway to it carries
    # nothing (a dense cluster along the ray has members everywhere beside it, a vessel does not)
    grid_mm = np.arange(0.125, 3.0 + 1e-9, 0.125)
    best = np.full(near.size, -np.inf)
    for sgn in (1.0, -1.0):
        z_at = ((_weakest_across(image, rays, steps, sgn * grid_mm / step_mm, offset_px) / sig - c_line)
                / s_line).T
        for k, mm in enumerate(grid_mm):
            if mm < 0.5 - 1e-9:
                continue
            half = int(np.argmin(np.abs(grid_mm - mm / 2)))
            best = np.where(z_at[:, half] < 0.5 * gate_z, np.maximum(best, z_at[:, k]), best)
    return thin, best


def ridges_through(
    image: np.ndarray,
    rows_px: np.ndarray,
    cols_px: np.ndarray,
    *,
    sigma: np.ndarray,
    spacing_mm: tuple[float, float],
    start_mm: float,
    reach_mm: float,
    offset_px: float,
    gate_z: float,
    null_rows_px: np.ndarray,
    null_cols_px: np.ndarray,
    null_sigma: np.ndarray,
    one_sided: bool = False,
    direction_far_mm: float | None = None,
    follow: bool = False,
    null_cache: dict | None = None,
) -> RidgeEvidence:
    """Measure the thin lines through each candidate (see the module docstring).

    Parameters
    ----------
    image : ndarray
    rows_px, cols_px : ndarray
        Candidate positions.
    sigma : ndarray
        Noise sigma at each candidate (read units).
    spacing_mm : (float, float)
        Pixel spacing; the rays are sampled one pixel apart (of the finer axis).
    start_mm, reach_mm : float
        Each ray runs from ``start_mm`` (beyond the candidate itself) for ``reach_mm``.
    offset_px : float
        Distance of the parallel background lines (beyond the line's half
        width and its blur).
    gate_z : float
        Rails and width are measured only for candidates whose ``line_z`` reaches this.
    null_rows_px, null_cols_px, null_sigma : ndarray
        Positions (and their noise sigma) where the statistics' own
        distribution is measured, each in a fixed direction (golden-angle
        sequence): the z values are robust z against it.
    one_sided : bool, optional
        Measure the line that *starts* at each candidate: the direction is over
        360 degrees and only the ray in that direction counts (the end of a
        scratch or of a vessel's calcified wall); the null pools both rays of
        each null position.
    direction_far_mm : float, optional
        Radius of the circle the direction is refined on (default
        ``start_mm + reach_mm``; a shorter one where a long ray would follow a
        curving line off its course).
    follow : bool, optional
        Follow a bending line: each ray is re-aimed every ``_SEGMENT_MM`` by
        up to ``_MAX_TURN_DEG`` where the line runs on (the null positions'
        rays are followed the same way); the direction from the candidate is
        then taken on a circle of one segment.
    null_cache : dict, optional
        Keeps the null positions' rays and their ridge profile between calls
        with the same image, null positions, ``start_mm``, ``offset_px`` and
        ``follow``; they run as far as ``null_cache["reach_mm"]`` (if given)
        from the first call and each call uses their start (a straight ray's
        start is the shorter ray itself; a followed ray's pieces do not depend
        on what comes after them, but for where its reach cuts its last piece
        short).

    Returns
    -------
    RidgeEvidence
    """
    r0 = np.asarray(rows_px, float)
    c0 = np.asarray(cols_px, float)
    n = r0.size
    if n == 0:
        z = np.zeros(0)
        return RidgeEvidence(z, z.copy(), z.copy(), np.zeros(0, bool), z.copy())
    step_mm = min(spacing_mm)
    def distances(reach: float) -> np.ndarray:  # the ray's samples, in steps from the candidate
        return np.arange(start_mm, start_mm + reach + 1e-9, step_mm) / step_mm

    t = distances(reach_mm)
    steps = (step_mm / spacing_mm[0], step_mm / spacing_mm[1])
    sig = np.maximum(np.asarray(sigma, float), 1e-12)
    signs = _ONE_WAY if one_sided else _BOTH_WAYS
    if follow:
        segment = _SEGMENT_MM / step_mm

        def rays_of(r, c, th, sg, at=t):
            return _followed_rays(image, r, c, th, steps, at, sg, offset_px, segment)
        far_mm = start_mm + _SEGMENT_MM
    else:
        def rays_of(r, c, th, sg, at=t):
            return _straight_rays(r, c, th, steps, at, sg)
        far_mm = direction_far_mm or start_mm + reach_mm
    theta = _directions(image, r0, c0, spacing_mm, far_mm, one_sided=one_sided)
    rays = rays_of(r0, c0, theta[:, None], signs)
    along = _ray_stats(image, rays, steps, 0.0, offset_px).min(axis=-1) / sig
    nr, nc = np.asarray(null_rows_px, float), np.asarray(null_cols_px, float)
    null_theta = np.mod(np.arange(nr.size) * 2.399963229728653, np.pi)[:, None]  # golden angle
    if null_cache is not None:
        if "rays" not in null_cache:  # as far as the longest call will reach
            far = max(reach_mm, null_cache.get("reach_mm", reach_mm))
            null_cache["rays"] = rays_of(nr, nc, null_theta, _BOTH_WAYS, distances(far)).with_profile(
                image, steps, offset_px)
        null_rays = null_cache["rays"].part(samples=slice(t.size))
    else:
        null_rays = rays_of(nr, nc, null_theta, _BOTH_WAYS)
    null = _ray_stats(image, null_rays, steps, 0.0, offset_px)
    null /= np.maximum(np.asarray(null_sigma, float), 1e-12)[None, :, None]
    null = null.reshape(2, -1) if one_sided else null.min(axis=-1)  # one-sided: each ray is a sample
    (c_cont, s_cont), (c_line, s_line) = _robust_z(null[0]), _robust_z(null[1])
    z_cont = (along[0] - c_cont) / s_cont
    z_line = (along[1] - c_line) / s_line
    thin = np.zeros(n, bool)
    rail = np.full(n, -np.inf)
    g = np.flatnonzero((z_line >= gate_z) | (z_cont >= gate_z))
    if g.size:
        sub = rays.part(rays=g)
        thin[g], rail[g] = _thin_and_rail(image, sub, steps, offset_px, sig[g], (c_line, s_line),
                                          gate_z=gate_z, step_mm=step_mm)
    travel = rays.orientation[:, :, -1] + np.where(np.asarray(signs) < 0, np.pi, 0.0)[:, None]
    return RidgeEvidence(continuous_z=z_cont, line_z=z_line, direction_rad=theta, thin=thin, rail_z=rail,
                         path_rc=np.stack([rays.rr, rays.cc]), end_rad=np.mod(travel, 2.0 * np.pi))
