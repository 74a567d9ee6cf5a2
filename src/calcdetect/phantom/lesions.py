"""Microcalcification clusters: their layout, and the shapes of single calcifications.

A calcification is rendered as a *path-length map*: for every detector pixel,
the length (mm) of the ray through the calcium, computed on a 4x supersampled
grid and averaged down (so sub-pixel calcifications are partial-volume blurred
the way a real detector sees them).  Multiplied by the effective attenuation
of the calcification's material over the tissue it displaces
(:mod:`.materials`) it adds to the breast's line integral: contrast follows
from material, size and shape, as in patients.  Shapes follow BI-RADS
morphology: punctate (spheres), amorphous (small, hazy, low density),
pleomorphic (irregular polygons of varied size), and fine linear branching
(thin dashes along a branching duct).

A :class:`ClusterSpec` is drawn from its own random generator, independent of
the image, so the same lesion can be placed in the CC and the MLO view of a
breast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = [
    "MORPHOLOGIES",
    "CalcSpec",
    "ClusterSpec",
    "draw_cluster",
    "path_length_patch",
]

MORPHOLOGIES = ("punctate", "amorphous", "pleomorphic", "fine_linear_branching")
_MORPH_P = (0.3, 0.22, 0.28, 0.2)
_SS = 4  # supersampling factor
MAX_CLUSTER_AREA_MM2 = 80.0


@dataclass(frozen=True)
class CalcSpec:
    """One calcification relative to its cluster centre (mm; +y = down the rows)."""

    dy_mm: float
    dx_mm: float
    shape: str  # punctate | amorphous | pleomorphic | linear
    diameter_mm: float  # largest extent (length for a linear dash)
    angle_rad: float
    shape_seed: int


@dataclass(frozen=True)
class ClusterSpec:
    """A cluster as a lesion, before it is placed in an image."""

    morphology: str
    calcs: tuple[CalcSpec, ...]
    depth_fraction: float  # distance from the nipple / breast depth
    material: str  # hydroxyapatite | calcium_oxalate
    size_scale: float  # this lesion's sizes relative to its morphology's typical sizes


def _sizes(rng: np.random.Generator, morphology: str, n: int) -> np.ndarray:
    if morphology == "punctate":
        d = rng.lognormal(math.log(0.28), 0.3, n)
    elif morphology == "amorphous":
        d = rng.lognormal(math.log(0.25), 0.3, n)
    elif morphology == "pleomorphic":
        d = rng.lognormal(math.log(0.33), 0.4, n)
    else:
        d = rng.uniform(0.3, 0.6, n)
    return d


def _scatter_layout(rng, diam, max_tries=4000):
    """Random positions in an ellipse of area <= MAX_CLUSTER_AREA_MM2, not touching."""
    a = rng.uniform(1.5, 5.0)
    b = rng.uniform(1.0, min(a, MAX_CLUSTER_AREA_MM2 / (math.pi * a)))
    rot = rng.uniform(0, math.pi)
    placed: list[tuple[float, float, float]] = []
    tries = 0
    for d in diam:
        while tries < max_tries:
            tries += 1
            rr = math.sqrt(rng.random())
            th = rng.uniform(0, 2 * math.pi)
            x, y = a * rr * math.cos(th), b * rr * math.sin(th)
            x, y = x * math.cos(rot) - y * math.sin(rot), x * math.sin(rot) + y * math.cos(rot)
            if all(math.hypot(x - px, y - py) >= (d + pd) / 2 + 0.3 for px, py, pd in placed):
                placed.append((x, y, d))
                break
    return [(y, x, rng.uniform(0, math.pi)) for x, y, _d in placed]


def _branching_layout(rng, diam):
    """Dashes along a main duct (3-8 mm) with one or two side branches."""
    out = []
    theta = rng.uniform(0, 2 * math.pi)
    branches = [((0.0, 0.0), theta, rng.uniform(3.0, 8.0))]
    for _ in range(int(rng.integers(1, 3))):
        branches.append((None, theta + rng.choice([-1, 1]) * rng.uniform(0.5, 0.9), rng.uniform(1.5, 3.5)))
    k = 0
    main_pts = []
    for start, ang, length in branches:
        if start is None:
            if not main_pts:
                break
            start = main_pts[int(rng.integers(len(main_pts)))]
        s = 0.0
        while s < length and k < len(diam):
            d = float(diam[k])
            y = start[0] + (s + d / 2) * math.sin(ang)
            x = start[1] + (s + d / 2) * math.cos(ang)
            out.append((y, x, ang + rng.normal(0, 0.12)))
            if start == (0.0, 0.0):
                main_pts.append((y, x))
            s += d + rng.uniform(0.15, 0.5)
            k += 1
    cy = float(np.mean([p[0] for p in out]))
    cx = float(np.mean([p[1] for p in out]))
    return [(y - cy, x - cx, a) for y, x, a in out]


#: share of calcium oxalate (weddellite / whewellite, 1.78 g/cm³) among lesions; the rest are
#: hydroxyapatite (3.06 g/cm³), the usual mineral of calcifications in carcinoma
_OXALATE_P = {"amorphous": 0.5, "punctate": 0.15, "pleomorphic": 0.05, "fine_linear_branching": 0.0}
#: per-lesion size factor (log-normal): lesions of one morphology range from a few tiny
#: specks to coarse ones
_SIZE_SCALE_SIGMA = 0.35


def draw_cluster(rng: np.random.Generator, *, morphology: str | None = None) -> ClusterSpec:
    """Draw a lesion: morphology, material, 3-30 calcifications, their sizes and layout.

    How visible it is is not drawn: it follows from material and sizes once the
    lesion is placed in an image (:mod:`.visibility`).
    """
    if morphology is None:
        morphology = str(rng.choice(MORPHOLOGIES, p=_MORPH_P))
    elif morphology not in MORPHOLOGIES:
        raise ValueError(f"morphology must be one of {MORPHOLOGIES}, got {morphology!r}")
    material = "calcium_oxalate" if rng.random() < _OXALATE_P[morphology] else "hydroxyapatite"
    n = int(min(30, 3 + rng.geometric(0.14) - 1))
    size_scale = float(np.clip(rng.lognormal(0.0, _SIZE_SCALE_SIGMA), 0.35, 2.0))
    diam = np.clip(_sizes(rng, morphology, n) * size_scale, 0.05, 0.8)
    if morphology == "fine_linear_branching":
        diam = np.maximum(diam, 0.2)  # a dash is longer than it is wide
    layout = _branching_layout(rng, diam) if morphology == "fine_linear_branching" else _scatter_layout(rng, diam)
    calcs = []
    for (dy, dx, ang), d in zip(layout, diam):
        if morphology == "pleomorphic":
            shape = str(rng.choice(["pleomorphic", "punctate", "linear"], p=[0.6, 0.25, 0.15]))
        elif morphology == "fine_linear_branching":
            shape = "linear"
        else:
            shape = morphology
        calcs.append(CalcSpec(float(dy), float(dx), shape, float(d), float(ang), int(rng.integers(2**31))))
    return ClusterSpec(morphology, tuple(calcs), float(rng.uniform(0.2, 0.85)), material, size_scale)


def _dome(mask: np.ndarray, px_mm: float) -> np.ndarray:
    """Path length through a body whose projected outline is ``mask``: a dome
    ``2*sqrt(d*(2R-d))`` of the distance ``d`` to the outline (R = max d)."""
    if not mask.any():
        return np.zeros(mask.shape, np.float32)
    dt = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5) * np.float32(px_mm)
    r = float(dt.max())
    return (2.0 * np.sqrt(np.clip(dt * (2 * r - dt), 0, None))).astype(np.float32)


def path_length_patch(shape: str, *, diameter_mm: float, spacing_mm: float, frac_rc: tuple[float, float],
                      angle_rad: float = 0.0, seed: int = 0, inner_fraction: float = 0.6,
                      width_mm: float | None = None) -> tuple[np.ndarray, int]:
    """Path length (mm) through one calcification, on the detector grid.

    Parameters
    ----------
    shape : str
        ``punctate``, ``amorphous``, ``pleomorphic``, ``linear`` (a thin dash),
        ``ring`` (a shell, e.g. a skin calcification), ``popcorn`` (coarse benign).
    diameter_mm : float
        Largest extent of the projected calcification.
    frac_rc : (float, float)
        Sub-pixel offset of the centre, each in [0, 1).

    Returns
    -------
    patch : ndarray of float32, shape (n, n)
    half : int
        The patch covers ``[floor(row) - half, floor(row) + half]``.
    """
    rng = np.random.default_rng(seed)
    half = int(math.ceil(diameter_mm / 2 / spacing_mm)) + 2
    n = 2 * half + 1
    m = n * _SS
    sub_mm = spacing_mm / _SS
    cy = (half + frac_rc[0] + 0.5) * _SS - 0.5
    cx = (half + frac_rc[1] + 0.5) * _SS - 0.5
    yy, xx = np.mgrid[0:m, 0:m].astype(np.float32)
    dy, dx = (yy - cy) * sub_mm, (xx - cx) * sub_mm
    r = diameter_mm / 2
    rho2 = dy * dy + dx * dx
    if shape == "punctate":
        path = 2 * np.sqrt(np.clip(r * r - rho2, 0, None))
    elif shape == "ring":
        ri = r * inner_fraction
        path = 2 * np.sqrt(np.clip(r * r - rho2, 0, None)) - 2 * np.sqrt(np.clip(ri * ri - rho2, 0, None))
    elif shape == "amorphous":
        path = np.zeros_like(dy)
        for _ in range(int(rng.integers(2, 5))):
            oy, ox = rng.normal(0, r * 0.3, 2)
            s = r * rng.uniform(0.25, 0.45)
            path += np.exp(-((dy - oy) ** 2 + (dx - ox) ** 2) / (2 * s * s))
        path *= 0.8 * r / max(float(path.max()), 1e-6)
    elif shape in ("pleomorphic", "popcorn"):
        canvas = np.zeros((m, m), np.uint8)
        if shape == "pleomorphic":
            k = int(rng.integers(5, 9))
            th = np.sort(rng.uniform(0, 2 * np.pi, k))
            rad = r * rng.uniform(0.45, 1.0, k)
            rad[int(np.argmax(rad))] = r
            pts = np.stack([cx + rad * np.cos(th + angle_rad) / sub_mm, cy + rad * np.sin(th + angle_rad) / sub_mm], 1)
            cv2.fillPoly(canvas, [np.round(pts * 4).astype(np.int32)], 1, cv2.LINE_8, shift=2)
        else:
            for _ in range(int(rng.integers(3, 7))):
                oy, ox = rng.uniform(-0.5, 0.5, 2) * r
                rr = r * rng.uniform(0.3, 0.5)
                cv2.circle(canvas, (int(round((cx + ox / sub_mm) * 4)), int(round((cy + oy / sub_mm) * 4))),
                           int(round(rr / sub_mm * 4)), 1, -1, cv2.LINE_8, shift=2)
        path = _dome(canvas > 0, sub_mm)
    elif shape == "linear":
        w = width_mm if width_mm is not None else float(rng.uniform(0.08, 0.16))
        along = dx * math.cos(angle_rad) + dy * math.sin(angle_rad)
        across = -dx * math.sin(angle_rad) + dy * math.cos(angle_rad)
        half_len = max(r - w / 2, 0.0)
        dist = np.sqrt(np.clip(np.abs(along) - half_len, 0, None) ** 2 + across**2)
        path = 2 * np.sqrt(np.clip((w / 2) ** 2 - dist**2, 0, None))
    else:
        raise ValueError(f"unknown calcification shape {shape!r}")
    patch = path.reshape(n, _SS, n, _SS).mean(axis=(1, 3)).astype(np.float32)
    return patch, half
