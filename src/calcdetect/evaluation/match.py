"""Match detections to phantom ground truth, one image at a time.

Rules (issue 4):

* a detected **calcification** matches a true one when its centre lies within
  ``max(min_radius_mm, truth diameter / 2)`` of the true centre;
* a detected **cluster** matches a true cluster when its centre lies inside
  the true cluster's convex hull grown by ``margin_mm`` (2.5 mm), or its
  bounding box overlaps that hull (only for boxes up to 20 mm a side: a
  breast-wide "cluster" localises nothing);
* each true object is matched at most once.

Matching is greedy in order of decreasing detection score, and among the
eligible, still unmatched truths the nearest is taken.  Greedy (rather than a
Hungarian assignment, :func:`scipy.optimize.linear_sum_assignment`) is chosen
on purpose: its outcome for a detection never depends on weaker detections,
so the outcome at every threshold of a FROC sweep is a prefix of one matching
and the whole curve comes from a single pass (:func:`calcdetect.evaluation.froc.froc_curve`).
A detection that is eligible only for truths already taken by stronger
detections is a *duplicate*; the evaluation counts it as a false positive.

Distances are in millimetres, using the image's (row, col) pixel spacing;
positions are pixel centres, and a bounding box ``[row_min, col_min, row_max,
col_max]`` (inclusive) covers ``row_min - 0.5 .. row_max + 0.5``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Match",
    "match_calcifications",
    "match_clusters",
    "distance_to_polygon_mm",
    "box_overlaps_polygon",
    "cluster_eligibility",
]


@dataclass(frozen=True, eq=False)
class Match:
    """Outcome of matching the detections of one image.

    Attributes
    ----------
    truth_index : ndarray of int, shape (n_detections,)
        Index (into the truth list given) of the truth each detection matched,
        -1 when it matched none.
    duplicate : ndarray of bool, shape (n_detections,)
        The detection was eligible for a truth, but every eligible truth had
        already been taken by a stronger detection.
    """

    truth_index: np.ndarray
    duplicate: np.ndarray

    @property
    def is_tp(self) -> np.ndarray:
        return self.truth_index >= 0


def _greedy(scores: np.ndarray, eligible: np.ndarray, cost: np.ndarray) -> Match:
    """Greedy one-to-one assignment by decreasing score, nearest truth first."""
    n_det = eligible.shape[0]
    truth_index = np.full(n_det, -1, dtype=int)
    duplicate = np.zeros(n_det, dtype=bool)
    if n_det == 0 or eligible.shape[1] == 0:
        return Match(truth_index, duplicate)
    taken = np.zeros(eligible.shape[1], dtype=bool)
    candidates = np.flatnonzero(eligible.any(axis=1))
    for i in candidates[np.argsort(-scores[candidates], kind="stable")]:
        ok = eligible[i] & ~taken
        if not ok.any():
            duplicate[i] = True
            continue
        j = int(np.flatnonzero(ok)[np.argmin(cost[i, ok])])
        truth_index[i] = j
        taken[j] = True
    return Match(truth_index, duplicate)


def match_calcifications(
    det_rc: np.ndarray,
    scores: np.ndarray,
    truth_rc: np.ndarray,
    truth_diameter_mm: np.ndarray,
    *,
    spacing_mm: tuple[float, float],
    min_radius_mm: float = 0.5,
) -> Match:
    """Match detected calcifications of one image to its true calcifications.

    Parameters
    ----------
    det_rc : array, shape (n, 2)
        Detected centres (row, col) in pixels.
    scores : array, shape (n,)
        Detection scores; stronger detections are matched first.
    truth_rc : array, shape (m, 2)
        True centres (row, col) in pixels.
    truth_diameter_mm : array, shape (m,)
        True diameters.
    spacing_mm : (float, float)
        Pixel spacing (row, col).
    min_radius_mm : float
        Smallest matching radius (0.5 mm); larger calcifications use their radius.

    Returns
    -------
    Match

    Examples
    --------
    >>> m = match_calcifications([[10, 10], [30, 30]], [1.0, 2.0], [[12, 10]], [0.3],
    ...                          spacing_mm=(0.1, 0.1))
    >>> m.truth_index.tolist()
    [0, -1]
    >>> m = match_calcifications([[16, 10]], [1.0], [[10, 10]], [0.3], spacing_mm=(0.1, 0.1))
    >>> m.truth_index.tolist()
    [-1]
    """
    det = np.asarray(det_rc, dtype=float).reshape(-1, 2)
    tru = np.asarray(truth_rc, dtype=float).reshape(-1, 2)
    diam = np.asarray(truth_diameter_mm, dtype=float).reshape(-1)
    scores = np.asarray(scores, dtype=float).reshape(-1)
    if scores.shape[0] != det.shape[0] or diam.shape[0] != tru.shape[0]:
        raise ValueError("one score per detection and one diameter per truth are required")
    sp = np.asarray(spacing_mm, dtype=float)
    d_mm = np.hypot(
        (det[:, None, 0] - tru[None, :, 0]) * sp[0],
        (det[:, None, 1] - tru[None, :, 1]) * sp[1],
    )
    radius_mm = np.maximum(min_radius_mm, diam / 2.0)
    return _greedy(scores, d_mm <= radius_mm[None, :] + 1e-9, d_mm)


def _segment_distances(p: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Distance from point ``p`` to each edge of the closed polygon ``poly`` (same units)."""
    a = poly
    b = np.roll(poly, -1, axis=0)
    ab = b - a
    denom = np.einsum("ij,ij->i", ab, ab)
    t = np.where(denom > 0, np.einsum("ij,ij->i", p - a, ab) / np.where(denom > 0, denom, 1), 0.0)
    t = np.clip(t, 0.0, 1.0)
    closest = a + t[:, None] * ab
    return np.hypot(*(p - closest).T)


def _inside_convex(p: np.ndarray, poly: np.ndarray) -> bool:
    """Point inside (or on) a convex polygon of at least 3 non-collinear vertices."""
    if poly.shape[0] < 3:
        return False
    a = poly
    b = np.roll(poly, -1, axis=0)
    cross = (b[:, 0] - a[:, 0]) * (p[1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (p[0] - a[:, 0])
    scale = np.abs(cross).max() or 1.0
    tol = 1e-9 * scale
    return bool(np.all(cross >= -tol) or np.all(cross <= tol))


def _convex_hull(points: np.ndarray) -> np.ndarray:
    """Convex hull (Andrew's monotone chain) of 2-D points; keeps degenerate input as is.

    Hand-written because ``scipy.spatial.ConvexHull`` raises on the collinear
    or 1–2 point hulls that a truth file may legitimately hold.
    """
    pts = np.unique(points, axis=0)
    if pts.shape[0] < 3:
        return pts

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[np.ndarray] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[np.ndarray] = []
    for p in pts[::-1]:
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return np.array(lower[:-1] + upper[:-1])


def distance_to_polygon_mm(
    point_rc: Sequence[float],
    polygon_rc: np.ndarray,
    *,
    spacing_mm: tuple[float, float],
) -> float:
    """Distance in mm from a point to the convex hull of ``polygon_rc`` (0 inside).

    Parameters
    ----------
    point_rc : (row, col) in pixels.
    polygon_rc : array (k, 2) of (row, col) vertices in pixels; k >= 1.
        Its convex hull is used; 1 or 2 vertices are a point or a segment.
    spacing_mm : (float, float)
    """
    sp = np.asarray(spacing_mm, dtype=float)
    poly = np.asarray(polygon_rc, dtype=float).reshape(-1, 2) * sp
    if poly.shape[0] == 0:
        raise ValueError("a cluster hull needs at least one vertex")
    hull = _convex_hull(poly)
    p = np.asarray(point_rc, dtype=float) * sp
    if _inside_convex(p, hull):
        return 0.0
    return float(_segment_distances(p, hull).min())


def box_overlaps_polygon(bbox_px: Sequence[float], polygon_rc: np.ndarray) -> bool:
    """Whether an inclusive pixel box ``[row_min, col_min, row_max, col_max]`` overlaps a hull.

    Separating-axis test between the box (extended by half a pixel, so it
    covers its pixels) and the convex hull of ``polygon_rc``; spacing does not
    matter for overlap.
    """
    r0, c0, r1, c1 = (float(v) for v in bbox_px)
    box = np.array([[r0 - 0.5, c0 - 0.5], [r0 - 0.5, c1 + 0.5], [r1 + 0.5, c1 + 0.5], [r1 + 0.5, c0 - 0.5]])
    hull = _convex_hull(np.asarray(polygon_rc, dtype=float).reshape(-1, 2))
    axes = [np.array([1.0, 0.0]), np.array([0.0, 1.0])]
    if hull.shape[0] >= 2:
        edges = np.roll(hull, -1, axis=0) - hull
        axes += [np.array([-e[1], e[0]]) for e in edges if np.any(e)]
    for ax in axes:
        pb, ph = box @ ax, hull @ ax
        if pb.max() < ph.min() - 1e-9 or ph.max() < pb.min() - 1e-9:
            return False
    return True


def cluster_eligibility(
    det_rc: np.ndarray,
    det_bbox_px: np.ndarray,
    hulls_rc: Sequence[np.ndarray],
    *,
    spacing_mm: tuple[float, float],
    margin_mm: float = 2.5,
    max_overlap_extent_mm: float | None = 20.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Which detected clusters may match which true hulls, and their centre distances.

    ``max_overlap_extent_mm`` (see :func:`match_clusters`) limits the
    bounding-box rule to detected clusters no longer than that on either side.

    Returns
    -------
    eligible : ndarray of bool, shape (n_det, n_truth)
    distance_mm : ndarray of float, shape (n_det, n_truth)
        Distance from the detected centre to the hull (0 inside).
    """
    det = np.asarray(det_rc, dtype=float).reshape(-1, 2)
    boxes = np.asarray(det_bbox_px, dtype=float).reshape(-1, 4)
    if boxes.shape[0] != det.shape[0]:
        raise ValueError("one bounding box per detected cluster is required")
    n_det, n_tru = det.shape[0], len(hulls_rc)
    eligible = np.zeros((n_det, n_tru), dtype=bool)
    dist = np.full((n_det, n_tru), np.inf)
    if n_det == 0:
        return eligible, dist
    sp = np.asarray(spacing_mm, dtype=float)
    extent_mm = np.maximum((boxes[:, 2] - boxes[:, 0] + 1) * sp[0], (boxes[:, 3] - boxes[:, 1] + 1) * sp[1])
    box_ok = np.ones(n_det, bool) if max_overlap_extent_mm is None else extent_mm <= max_overlap_extent_mm
    pts_mm = det * sp
    for j, hull_rc in enumerate(hulls_rc):
        hull_px = _convex_hull(np.asarray(hull_rc, dtype=float).reshape(-1, 2))
        if hull_px.shape[0] == 0:
            raise ValueError("a cluster hull needs at least one vertex")
        dist[:, j] = _distances_to_convex(pts_mm, hull_px * sp)
        overlap = _boxes_overlap_convex(boxes, hull_px)
        eligible[:, j] = (dist[:, j] <= margin_mm + 1e-9) | (box_ok & overlap)
    return eligible, dist


def match_clusters(
    det_rc: np.ndarray,
    det_bbox_px: np.ndarray,
    scores: np.ndarray,
    hulls_rc: Sequence[np.ndarray],
    *,
    spacing_mm: tuple[float, float],
    margin_mm: float = 2.5,
    max_overlap_extent_mm: float | None = 20.0,
) -> Match:
    """Match detected clusters of one image to its true clusters.

    Parameters
    ----------
    det_rc : array (n, 2)
        Detected cluster centres (row, col) in pixels.
    det_bbox_px : array (n, 4)
        Detected bounding boxes ``[row_min, col_min, row_max, col_max]``, inclusive.
    scores : array (n,)
    hulls_rc : sequence of arrays (k, 2)
        Each true cluster's hull vertices (row, col) in pixels.
    spacing_mm : (float, float)
    margin_mm : float
        How far (mm) outside the hull a detected centre may lie.
    max_overlap_extent_mm : float or None
        The bounding-box-overlap rule only applies to detected clusters whose
        box is at most this long on each side (20 mm, twice the side of the
        1 cm² a cluster lives in).  Without this guard one huge "cluster"
        spanning the breast would match every true cluster, which rewards a
        detector for failing to localise; None applies the rule to any box.

    Returns
    -------
    Match
    """
    scores = np.asarray(scores, dtype=float).reshape(-1)
    eligible, dist = cluster_eligibility(
        det_rc, det_bbox_px, hulls_rc, spacing_mm=spacing_mm, margin_mm=margin_mm,
        max_overlap_extent_mm=max_overlap_extent_mm,
    )  # fmt: skip
    if scores.shape[0] != eligible.shape[0]:
        raise ValueError("one score per detected cluster is required")
    return _greedy(scores, eligible, dist)


def _distances_to_convex(pts: np.ndarray, hull: np.ndarray) -> np.ndarray:
    """Distance of each point (n, 2) to a convex hull (k, 2), 0 inside; same units, vectorised."""
    a = hull
    b = np.roll(hull, -1, axis=0)
    ab = b - a  # (k, 2)
    ap = pts[:, None, :] - a[None, :, :]  # (n, k, 2)
    denom = np.einsum("kj,kj->k", ab, ab)
    t = np.clip(np.einsum("nkj,kj->nk", ap, ab) / np.where(denom > 0, denom, 1.0), 0.0, 1.0)
    closest = a[None] + t[..., None] * ab[None]
    d = np.hypot(*(pts[:, None, :] - closest).transpose(2, 0, 1)).min(axis=1)
    if hull.shape[0] >= 3:
        cross = ab[None, :, 0] * ap[..., 1] - ab[None, :, 1] * ap[..., 0]
        tol = 1e-9 * max(float(np.abs(cross).max()), 1.0)
        inside = np.all(cross >= -tol, axis=1) | np.all(cross <= tol, axis=1)
        d = np.where(inside, 0.0, d)
    return d


def _boxes_overlap_convex(boxes_px: np.ndarray, hull: np.ndarray) -> np.ndarray:
    """Separating-axis overlap test of many inclusive pixel boxes (n, 4) with one convex hull."""
    r0, c0, r1, c1 = (boxes_px[:, i] for i in range(4))
    corners = np.stack(
        [np.stack([r0 - 0.5, c0 - 0.5], 1), np.stack([r0 - 0.5, c1 + 0.5], 1),
         np.stack([r1 + 0.5, c1 + 0.5], 1), np.stack([r1 + 0.5, c0 - 0.5], 1)], axis=1,
    )  # (n, 4, 2)  # fmt: skip
    axes = [np.array([1.0, 0.0]), np.array([0.0, 1.0])]
    if hull.shape[0] >= 2:
        edges = np.roll(hull, -1, axis=0) - hull
        axes += [np.array([-e[1], e[0]]) for e in edges if np.any(e)]
    ok = np.ones(boxes_px.shape[0], bool)
    for ax in axes:
        pb = corners @ ax  # (n, 4)
        ph = hull @ ax
        ok &= ~((pb.max(axis=1) < ph.min() - 1e-9) | (ph.max() < pb.min(axis=1) - 1e-9))
    return ok
