"""The breast: outline, compressed thickness, tissue, and the attenuation it casts.

Physics, kept simple and documented:

* The compressed breast has a flat central part of thickness ``T`` and a
  rounded edge: at distance ``d`` from the outline the X-ray path through the
  breast is ``t(d) = T * sqrt(1 - (1 - d/R)**2)`` for ``d < R`` (a rounded edge of
  radius ``R`` about ``T/2``), which gives the thickness fall-off near the skin.
* The skin (1-2 mm, as dense as gland) is the difference between that profile
  and the same profile shrunk by the skin thickness: seen tangentially it draws
  the bright skin line.
* Each column of tissue is a mix of adipose and fibroglandular tissue; the
  glandular fraction ``g`` comes from a power-law random field (spectrum
  ``1/f**beta``, beta = 3, as measured on real mammograms) thresholded softly so
  its mean matches the BI-RADS density class (a fatty .. d extremely dense).
* Vessels, Cooper's ligaments and ductal strands are drawn as linear
  structures; on MLO the pectoral muscle adds a band of muscle tissue.
* The line integral of attenuation is ``A = sum(mu * path)`` with effective
  linear attenuation coefficients for a ~20 keV beam (adipose 0.045/mm,
  gland 0.078/mm): ``exp(-A)`` is the primary transmission.

Arrays are in the *canonical orientation* (chest wall at column 0, nipple
towards higher columns); :mod:`.generate` mirrors them for a right breast.
Smooth fields are built on a coarse grid (about 0.2 mm) and interpolated to the
detector matrix: that is where the speed comes from, and it loses nothing, the
anatomy having almost no power above 2 cycles/mm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import scipy.fft

from calcdetect.phantom.fine_texture import fine_texture_field, texture_amplitude

__all__ = [
    "MU_ADIPOSE_PER_MM",
    "MU_GLAND_PER_MM",
    "DENSITY_GLANDULAR_FRACTION",
    "Anatomy",
    "power_law_field",
    "make_anatomy",
    "thickness_profile_mm",
]

MU_ADIPOSE_PER_MM = 0.045
MU_GLAND_PER_MM = 0.078
MU_MUSCLE_PER_MM = 0.080
MU_BLOOD_PER_MM = 0.080

#: target mean glandular fraction inside the breast, per BI-RADS density class
DENSITY_GLANDULAR_FRACTION = {"a": 0.10, "b": 0.26, "c": 0.46, "d": 0.68}

_GRID_MM = 0.2
#: width (Gaussian sigma) of the pectoral muscle's edge in the tissue maps
_PECTORAL_EDGE_SIGMA_MM = 0.4


@dataclass(frozen=True, eq=False)
class Anatomy:
    """Everything known about the breast before any calcium is added.

    Full-resolution arrays have the detector shape; ``*_low`` arrays are on the
    coarse grid (``low_shape``), mapped to full resolution by ``cv2.resize``.
    """

    attenuation: np.ndarray  # float32, full res: line integral A (no calcium)
    mask: np.ndarray  # bool, full res: inside the breast outline
    edge_distance_mm: np.ndarray  # float32 full res, signed (inside > 0)
    attenuation_low: np.ndarray  # float32 coarse grid
    mask_low: np.ndarray  # bool coarse grid
    edge_distance_low_mm: np.ndarray  # float32 coarse grid
    glandular_low: np.ndarray  # float32 coarse grid, fraction 0..1
    pectoral_low: np.ndarray  # bool coarse grid
    background_field_low: np.ndarray  # float32 coarse grid: the raw power-law field
    vessels: tuple[dict, ...]  # major vessels: polyline (full-res row, col) and width
    nipple_rc: tuple[float, float]  # full-res (row, col)
    breast_depth_px: float  # chest wall to nipple, full-res pixels
    thickness_mm: float
    density: str
    grid_factor: tuple[float, float]  # full-res pixels per coarse pixel (row, col)
    #: A of the fine texture's P(f) = A f**-3 (:mod:`.fine_texture`); None when it was not added
    fine_texture_amplitude: float | None = None


def power_law_field(rng: np.random.Generator, shape: tuple[int, int], *, spacing_mm: float,
                    beta: float = 3.0, f_min_per_mm: float = 0.01) -> np.ndarray:
    """Gaussian random field with power spectrum ``P(f) ~ f**-beta``, unit std.

    FFT synthesis: white noise, filtered by ``f**(-beta/2)`` (frequencies below
    ``f_min_per_mm`` are held at that value so the mean does not blow up).
    """
    white = rng.standard_normal(shape, dtype=np.float32)
    spec = scipy.fft.rfft2(white)
    fy = scipy.fft.fftfreq(shape[0], d=spacing_mm).astype(np.float32)
    fx = scipy.fft.rfftfreq(shape[1], d=spacing_mm).astype(np.float32)
    f = np.sqrt(fy[:, None] ** 2 + fx[None, :] ** 2)
    np.maximum(f, f_min_per_mm, out=f)
    spec *= f ** np.float32(-beta / 2.0)
    field = scipy.fft.irfft2(spec, s=shape).astype(np.float32)
    field -= field.mean()
    field /= field.std() + 1e-12
    return field


def thickness_profile_mm(d_mm: np.ndarray, thickness_mm: float, radius_mm: float) -> np.ndarray:
    """Path length through a compressed breast at distance ``d_mm`` inside the outline."""
    # in place with minimum/maximum: np.clip's general path took 1.5 s of a 4 s full-size phantom
    t = np.asarray(d_mm, np.float32) / np.float32(radius_mm)
    np.maximum(t, np.float32(0.0), out=t)
    np.minimum(t, np.float32(1.0), out=t)
    np.subtract(np.float32(1.0), t, out=t)
    np.multiply(t, t, out=t)
    np.subtract(np.float32(1.0), t, out=t)
    np.maximum(t, np.float32(0.0), out=t)
    np.sqrt(t, out=t)
    t *= np.float32(thickness_mm)
    return t


def _smoothstep(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _outline(rng: np.random.Generator, hl: int, wl: int, view: str) -> tuple[np.ndarray, tuple[float, float], float, float]:
    """Polygon (x=col, y=row) of the breast on the coarse grid.

    CC: a half-dome from the chest wall.  MLO: from the axilla at the top edge,
    convex down to the nipple, then back to the inframammary fold.  Returns
    (points, nipple (row, col), depth, top width on MLO).
    """
    depth = wl * rng.uniform(0.62, 0.86)
    p = rng.uniform(1.8, 2.3)  # superellipse exponent: 2 = ellipse
    wob_phase = rng.uniform(0, 2 * np.pi, 4)
    wob_amp = rng.normal(0, 0.012, 4)

    def wobble(phi):
        return 1 + sum(a * np.cos((k + 2) * phi + ph) for k, (a, ph) in enumerate(zip(wob_amp, wob_phase)))

    def se(x):  # signed superellipse power
        return np.sign(x) * np.abs(x) ** (2 / p)

    phi = np.linspace(0, np.pi / 2, 181)
    if view == "MLO":
        top_w = depth * rng.uniform(0.28, 0.42)
        pu = rng.uniform(1.2, 1.7)  # upper contour: nearly straight axilla-to-nipple line
        r_n = hl * rng.uniform(0.50, 0.62)
        r_b = min(hl * rng.uniform(0.86, 0.97), hl - 2)
        upper = np.stack([top_w + (depth - top_w) * np.sin(phi) ** (2 / pu) * wobble(phi),
                          r_n * (1 - np.cos(phi) ** (2 / pu))], axis=1)
        lower = np.stack([depth * se(np.cos(phi)) * wobble(phi + 2),
                          r_n + (r_b - r_n) * se(np.sin(phi))], axis=1)
        pts = np.concatenate([[[-5.0, -5.0], [top_w, -5.0]], upper, lower[1:], [[-5.0, r_b]]])
    else:
        top_w = 0.0
        centre = hl * rng.uniform(0.46, 0.54)
        half_up = hl * rng.uniform(0.34, 0.45)
        half_dn = half_up * rng.uniform(0.9, 1.1)
        upper = np.stack([depth * se(np.sin(phi)) * wobble(phi), centre - half_up * se(np.cos(phi))], axis=1)
        lower = np.stack([depth * se(np.cos(phi)) * wobble(phi + 2), centre + half_dn * se(np.sin(phi))], axis=1)
        pts = np.concatenate([[[-5.0, upper[0, 1]]], upper, lower[1:], [[-5.0, lower[-1, 1]]]])
    i = int(np.argmax(pts[:, 0]))
    return pts, (float(pts[i, 1]), float(pts[i, 0])), float(pts[i, 0]), float(top_w)


def _signed_distance(mask: np.ndarray, pad: int, *, pad_top: bool) -> np.ndarray:
    """Signed Euclidean distance (inside > 0) in coarse pixels; the chest-wall
    side (and the top edge on MLO) continue beyond the detector."""
    top = pad if pad_top else 0
    m = cv2.copyMakeBorder(mask.astype(np.uint8), top, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    m[top:top + mask.shape[0], :pad] = m[top:top + mask.shape[0], pad:pad + 1]
    if pad_top:
        m[:top, :] = m[top:top + 1, :]
    d_in = cv2.distanceTransform(m, cv2.DIST_L2, 5)
    d_out = cv2.distanceTransform(1 - m, cv2.DIST_L2, 5)
    sd = np.where(m > 0, d_in - 0.5, 0.5 - d_out).astype(np.float32)
    return sd[top:top + mask.shape[0], pad:pad + mask.shape[1]]


def _draw_vessels(rng, canvas, mask_low, grid_mm, nipple_low, n):
    """Random-walk vessels from the chest wall towards the nipple, with branches."""
    hl, wl = mask_low.shape
    rows_in = np.flatnonzero(mask_low[:, 1])
    drawn = []
    stack = []
    for _ in range(n):
        r0 = float(rng.choice(rows_in))
        ang = math.atan2(nipple_low[0] - r0, nipple_low[1]) + rng.normal(0, 0.35)
        stack.append((r0, 0.0, ang, rng.uniform(1.0, 2.6), rng.uniform(0.35, 0.9) * wl, 0))
    while stack:
        r, c, ang, width_mm, length_px, level = stack.pop()
        pts = [(c, r)]
        step = 2.0 / grid_mm
        walked = 0.0
        while walked < length_px:
            ang += rng.normal(0, 0.10)
            r += step * math.sin(ang)
            c += step * math.cos(ang)
            walked += step
            if not (0 <= r < hl and 0 <= c < wl) or not mask_low[int(r), int(c)]:
                break
            pts.append((c, r))
            if level < 2 and rng.random() < 0.04:
                side = rng.choice([-1.0, 1.0])
                stack.append((r, c, ang + side * rng.uniform(0.35, 0.8), width_mm * 0.6,
                              (length_px - walked) * rng.uniform(0.4, 0.9), level + 1))
        if len(pts) < 3:
            continue
        poly = np.round(np.array(pts) * 4).astype(np.int32)  # 2 fractional bits
        thick = max(1, int(round(width_mm / grid_mm)))
        value = (MU_BLOOD_PER_MM - MU_ADIPOSE_PER_MM) * width_mm * 0.8
        cv2.polylines(canvas, [poly], False, float(value), thick, cv2.LINE_8, shift=2)
        drawn.append({"points_low": np.array(pts)[:, ::-1], "width_mm": float(width_mm)})
    return drawn


def _draw_ligaments(rng, canvas, edge_mm, mask_low, grid_mm, nipple_low, n):
    """Cooper's ligaments (thin arcs near the skin) and ductal strands."""
    hl, wl = mask_low.shape
    cand = np.argwhere((edge_mm > 3) & (edge_mm < 25))
    if len(cand) == 0:
        return
    for _ in range(n):
        r, c = cand[rng.integers(len(cand))]
        axes = (int(rng.uniform(6, 25) / grid_mm), int(rng.uniform(2, 8) / grid_mm))
        angle = rng.uniform(0, 180)
        start = rng.uniform(0, 360)
        value = (MU_GLAND_PER_MM - MU_ADIPOSE_PER_MM) * rng.uniform(0.5, 1.6)
        cv2.ellipse(canvas, (int(c), int(r)), axes, angle, start, start + rng.uniform(40, 120),
                    float(value), 1, cv2.LINE_8)
    for _ in range(n):  # strands radiating from behind the nipple
        ang = math.pi + rng.normal(0, 0.55)
        length = rng.uniform(0.15, 0.7) * wl
        r0 = nipple_low[0] + rng.normal(0, 6 / grid_mm)
        c0 = nipple_low[1] - rng.uniform(3, 15) / grid_mm
        pts = [(c0, r0)]
        for _k in range(12):
            ang += rng.normal(0, 0.08)
            pts.append((pts[-1][0] + length / 12 * math.cos(ang), pts[-1][1] + length / 12 * math.sin(ang)))
        poly = np.round(np.array(pts) * 4).astype(np.int32)
        value = (MU_GLAND_PER_MM - MU_ADIPOSE_PER_MM) * rng.uniform(0.4, 1.2)
        cv2.polylines(canvas, [poly], False, float(value), 1, cv2.LINE_8, shift=2)


def _glandular_fraction(rng, field, mask_low, edge_mm, cw_mm, nipple_low, half_h, density, grid_mm):
    """Soft-thresholded power-law field inside a glandular envelope, mean set by density."""
    hl, wl = mask_low.shape
    target = DENSITY_GLANDULAR_FRACTION[density] + rng.uniform(-0.04, 0.04)
    subcut = {"a": 8.0, "b": 6.0, "c": 4.0, "d": 3.0}[density] * rng.uniform(0.7, 1.3)
    rows = np.arange(hl, dtype=np.float32)[:, None]
    spread = half_h * {"a": 0.55, "b": 0.7, "c": 0.85, "d": 1.0}[density]
    envelope = (_smoothstep(edge_mm, subcut, subcut + 10.0)
                * _smoothstep(cw_mm, 3.0, 15.0)
                * np.exp(-0.5 * ((rows - nipple_low[0]) / spread) ** 2)).astype(np.float32)
    envelope *= mask_low
    sub = (slice(None, None, 3), slice(None, None, 3))
    f_s, e_s, m_s = field[sub], envelope[sub], mask_low[sub]
    n_in = max(int(m_s.sum()), 1)
    width = 0.45
    lo, hi = -6.0, 6.0
    for _ in range(30):  # bisection for the offset giving the target mean fraction
        k = 0.5 * (lo + hi)
        mean = float((e_s / (1 + np.exp(-(f_s + k) / width)))[m_s].sum()) / n_in
        lo, hi = (k, hi) if mean < target else (lo, k)
    k = 0.5 * (lo + hi)
    return (envelope / (1 + np.exp(-(field + k) / width))).astype(np.float32)


def make_anatomy(rng: np.random.Generator, *, rows: int, cols: int, spacing_mm: float,
                 view: str, density: str, texture_rng: np.random.Generator | None = None) -> Anatomy:
    """Draw a breast (canonical orientation) and compute its attenuation map.

    With ``texture_rng`` the texture is continued above the coarse grid's Nyquist
    (:mod:`.fine_texture`), drawn from that generator alone, so ``rng`` draws exactly
    what it draws without it.
    """
    fac = max(1, int(round(_GRID_MM / spacing_mm)))
    hl, wl = -(-rows // fac), -(-cols // fac)
    grid_mm = spacing_mm * fac
    thickness = rng.uniform(38, 65) + (6 if view == "MLO" else 0)
    radius = thickness / 2 * rng.uniform(1.0, 1.6)

    pts, nipple_low, depth_low, top_w = _outline(rng, hl, wl, view)
    radius = min(radius, 0.3 * depth_low * grid_mm)  # tiny test matrices: keep a flat centre
    canvas = np.zeros((hl, wl), np.uint8)
    cv2.fillPoly(canvas, [np.round(pts * 16).astype(np.int32)], 1, cv2.LINE_8, shift=4)
    pect = _pectoral_low(rng, hl, wl, top_w) if view == "MLO" else np.zeros((hl, wl), bool)
    nip_r = rng.uniform(2.5, 4.0) / grid_mm
    cv2.circle(canvas, (int(round(nipple_low[1] * 4)), int(round(nipple_low[0] * 4))),
               int(round(nip_r * 4)), 1, -1, cv2.LINE_8, shift=2)
    soft = cv2.GaussianBlur(canvas.astype(np.float32), (0, 0), 1.0 / grid_mm)
    mask_low = soft > 0.5
    pad = int(radius / grid_mm) + 4
    sd_low = _signed_distance(mask_low, pad, pad_top=(view == "MLO")) * np.float32(grid_mm)
    # the discrete distance transform is slightly jagged: smooth it so the
    # interpolated outline (its zero level) is smooth at full resolution
    sd_low = cv2.GaussianBlur(sd_low, (0, 0), 1.2)
    pect &= mask_low

    t_low = thickness_profile_mm(np.maximum(sd_low, 0), thickness, radius)
    gland, field, extra, vessels = _coarse_tissue(rng, mask_low, sd_low, pect, t_low, nipple_low=nipple_low,
                                                  grid_mm=grid_mm, thickness=thickness, view=view, density=density)
    atten, mask, sd_full = _full_attenuation(rng, sd_low, extra, rows=rows, cols=cols, thickness=thickness,
                                             radius=radius)
    fine_amplitude = None
    if texture_rng is not None and fac > 1:  # at fac 1 the grid is the detector's: no band is missing
        fine_amplitude = _add_fine_texture(texture_rng, atten, extra, sd_low, sd_full, mask, grid_mm=grid_mm,
                                           spacing_mm=spacing_mm, thickness=thickness, radius=radius)
    atten_low = (MU_ADIPOSE_PER_MM * t_low + extra).astype(np.float32)

    fr, fc = rows / hl, cols / wl

    def to_full(r, c):
        return ((r + 0.5) * fr - 0.5, (c + 0.5) * fc - 0.5)

    vessel_out = tuple(
        {"points": np.column_stack(to_full(v["points_low"][:, 0], v["points_low"][:, 1])),
         "width_mm": v["width_mm"]}
        for v in vessels
    )
    return Anatomy(
        attenuation=atten, mask=mask, edge_distance_mm=sd_full,
        attenuation_low=atten_low, mask_low=mask_low, edge_distance_low_mm=sd_low,
        glandular_low=gland, pectoral_low=pect, background_field_low=field,
        vessels=vessel_out, nipple_rc=to_full(*nipple_low), breast_depth_px=depth_low * fc,
        thickness_mm=float(thickness), density=density, grid_factor=(fr, fc),
        fine_texture_amplitude=fine_amplitude,
    )


def _add_fine_texture(rng: np.random.Generator, atten: np.ndarray, extra: np.ndarray, sd_low: np.ndarray,
                      sd_full: np.ndarray, mask: np.ndarray, *, grid_mm: float, spacing_mm: float,
                      thickness: float, radius: float) -> float:
    """Add the fine texture to ``atten`` in place, in proportion to the breast's thickness; its amplitude."""
    amplitude = texture_amplitude(extra, sd_low, grid_mm)
    field = fine_texture_field(rng, atten.shape, spacing_mm, amplitude, 0.5 / grid_mm)
    field *= thickness_profile_mm(np.maximum(sd_full, 0), thickness, radius) / np.float32(thickness)
    field *= mask
    atten += field
    return amplitude


def _pectoral_low(rng: np.random.Generator, hl: int, wl: int, top_w: float) -> np.ndarray:
    """The pectoral muscle of an MLO view on the coarse grid (a superellipse in the top corner)."""
    xp = top_w * rng.uniform(0.6, 0.95)
    yp = hl * rng.uniform(0.40, 0.70)
    q = rng.uniform(0.85, 1.25)  # <1: concave muscle edge, >1: convex
    rr, cc = np.mgrid[0:hl, 0:wl].astype(np.float32)
    return (np.clip(cc / xp, 0, None) ** q + np.clip(rr / yp, 0, None) ** q) < 1.0


def _coarse_tissue(rng: np.random.Generator, mask_low: np.ndarray, sd_low: np.ndarray, pect: np.ndarray,
                   t_low: np.ndarray, *, nipple_low, grid_mm: float, thickness: float, view: str, density: str):
    """Glandular tissue, fat texture, vessels, ligaments and muscle on the coarse grid:
    the glandular fraction, the background field, the extra attenuation and the vessels."""
    hl, wl = mask_low.shape
    cw_mm = np.broadcast_to(np.arange(wl, dtype=np.float32)[None, :] * grid_mm, (hl, wl))
    field = power_law_field(rng, (hl, wl), spacing_mm=grid_mm, beta=3.0)
    half_h = float(mask_low[:, 1].sum()) / 2
    gland = _glandular_fraction(rng, field, mask_low, sd_low, cw_mm, nipple_low, half_h, density, grid_mm)
    # the muscle edge is a smooth curve: cut the glandular tissue with an
    # anti-aliased copy of the coarse mask (a hard cut on the 0.2 mm grid left
    # a staircase whose 0.2 mm corners look like calcifications to any detector)
    gland *= 1.0 - cv2.GaussianBlur(pect.astype(np.float32), (0, 0), _PECTORAL_EDGE_SIGMA_MM / grid_mm)
    texture = power_law_field(rng, (hl, wl), spacing_mm=grid_mm, beta=3.0)
    extra = (MU_GLAND_PER_MM - MU_ADIPOSE_PER_MM) * gland * t_low
    extra += np.float32(0.012) * texture * t_low * np.float32(MU_ADIPOSE_PER_MM)  # fat lobule texture
    lines = np.zeros((hl, wl), np.float32)
    n_vessels = int(rng.integers(4, 9))
    vessels = _draw_vessels(rng, lines, mask_low, grid_mm, nipple_low, n_vessels)
    _draw_ligaments(rng, lines, sd_low, mask_low, grid_mm, nipple_low, int(rng.integers(25, 60)))
    lines = cv2.GaussianBlur(lines, (0, 0), 0.25 / grid_mm)
    extra += lines * mask_low
    if view == "MLO" and pect.any():
        d_p = cv2.distanceTransform(pect.astype(np.uint8), cv2.DIST_L2, 5) * grid_mm
        t_m = thickness * rng.uniform(0.5, 0.8) * _smoothstep(d_p, 0.0, 10.0)
        striae = power_law_field(rng, (hl, wl), spacing_mm=grid_mm, beta=2.5)
        extra += (MU_MUSCLE_PER_MM - MU_ADIPOSE_PER_MM) * t_m * (1 + 0.08 * striae) * (t_low / thickness)
    return gland, field, extra.astype(np.float32), vessels


def _full_attenuation(rng: np.random.Generator, sd_low: np.ndarray, extra: np.ndarray, *, rows: int, cols: int,
                      thickness: float, radius: float):
    """Attenuation at full resolution: the outline, the thickness fall-off and the skin, plus the coarse tissue."""
    sd_full = cv2.resize(sd_low, (cols, rows), interpolation=cv2.INTER_LINEAR)
    mask = sd_full > 0
    d = np.maximum(sd_full, 0)
    skin = rng.uniform(1.0, 2.0)
    t_full = thickness_profile_mm(d, thickness, radius)
    t_inner = thickness_profile_mm(d - np.float32(skin), thickness - 2 * skin, radius - skin)
    atten = (MU_ADIPOSE_PER_MM * t_full
             + (MU_GLAND_PER_MM - MU_ADIPOSE_PER_MM) * (t_full - t_inner)).astype(np.float32)
    atten += cv2.resize(extra, (cols, rows), interpolation=cv2.INTER_LINEAR)
    return atten, mask, sd_full
