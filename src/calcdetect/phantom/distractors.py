"""Things that look a little like microcalcifications but must not be flagged.

Physical distractors are added to the attenuation map (canonical orientation)
before the exposure: vascular calcification tracks (tram-lines of calcium along
a vessel), coarse benign calcifications (> 1 mm: popcorn, rim, round), skin
calcifications (ring-shaped, at the skin line), isolated single specks, and
metal markers (a nipple ball, a scar wire).  Stored-domain distractors are drawn
into the final stored pixels: burned-in labels and detector defects (hot
pixels, a bright dead line).  Each returns truth records
``{"kind", "subkind", "row", "col", "bbox"}`` (bbox inclusive, pixels).
"""

from __future__ import annotations

import math
from typing import Callable

import cv2
import numpy as np

from calcdetect.phantom.lesions import path_length_patch

__all__ = ["add_physical_distractors", "add_stored_distractors", "add_patch", "vessel_records", "distractor_record"]

#: (patch, row, col, snr) -> attenuation coefficient (1/mm) giving that peak SNR
MuForSnr = Callable[[np.ndarray, float, float, float], float]


def add_patch(atten: np.ndarray, patch: np.ndarray, row0: int, col0: int, scale: float) -> tuple[int, int, int, int]:
    """Add ``scale * patch`` with its top-left at (row0, col0), clipped to the image;
    returns the bbox actually touched (inclusive)."""
    h, w = patch.shape
    r0, c0 = max(row0, 0), max(col0, 0)
    r1, c1 = min(row0 + h, atten.shape[0]), min(col0 + w, atten.shape[1])
    if r1 <= r0 or c1 <= c0:
        return (r0, c0, r0, c0)
    atten[r0:r1, c0:c1] += np.float32(scale) * patch[r0 - row0:r1 - row0, c0 - col0:c1 - col0]
    return (r0, c0, r1 - 1, c1 - 1)


def distractor_record(kind: str, subkind: str, bbox, **extra) -> dict:
    """A truth record ``{"kind", "subkind", "row", "col", "bbox", **extra}`` (bbox inclusive, pixels)."""
    r0, c0, r1, c1 = (int(v) for v in bbox)
    return {"kind": kind, "subkind": subkind, "row": (r0 + r1) / 2, "col": (c0 + c1) / 2,
            "bbox": [r0, c0, r1, c1], **extra}


def _place_blob(atten, shape, diameter_mm, spacing_mm, row, col, rng, mu_for: MuForSnr | None, *,
                mu=None, snr=None, inner_fraction=0.6):
    patch, half = path_length_patch(shape, diameter_mm=diameter_mm, spacing_mm=spacing_mm,
                                    frac_rc=(row % 1.0, col % 1.0), angle_rad=rng.uniform(0, np.pi),
                                    seed=int(rng.integers(2**31)), inner_fraction=inner_fraction)
    if mu is None:
        mu = mu_for(patch, row, col, snr)
    bbox = add_patch(atten, patch, int(row) - half, int(col) - half, mu)
    return bbox, mu


def vessel_records(vessels, shape, n_max: int = 3) -> list[dict]:
    """Truth records for the widest vessels (kind ``vessel``)."""
    out = []
    for v in sorted(vessels, key=lambda v: -v["width_mm"])[:n_max]:
        p = v["points"]
        r0, c0 = np.floor(p.min(0)).astype(int)
        r1, c1 = np.ceil(p.max(0)).astype(int)
        r0, c0 = max(r0, 0), max(c0, 0)
        r1, c1 = min(r1, shape[0] - 1), min(c1, shape[1] - 1)
        out.append(distractor_record("vessel", "vessel", (r0, c0, r1, c1), width_mm=round(v["width_mm"], 2)))
    return out


def _vascular_track(atten, vessel, spacing_mm, rng, mu_for, on_fraction=None):
    pts = vessel["points"]  # (row, col), ~2 mm steps
    if len(pts) < 8:
        return None
    n_seg = int(min(len(pts) - 1, rng.integers(5, 20)))
    i0 = int(rng.integers(0, len(pts) - n_seg))
    path = pts[i0:i0 + n_seg + 1]
    sep_px = max(vessel["width_mm"] * 0.8, 0.6) / spacing_mm
    wall_px = max(1, int(round(rng.uniform(0.15, 0.3) / spacing_mm)))
    r0, c0 = np.floor(path.min(0) - sep_px - 4).astype(int)
    r1, c1 = np.ceil(path.max(0) + sep_px + 4).astype(int)
    r0, c0 = max(r0, 0), max(c0, 0)
    r1, c1 = min(r1, atten.shape[0] - 1), min(c1, atten.shape[1] - 1)
    canvas = np.zeros((r1 - r0 + 1, c1 - c0 + 1), np.float32)
    d = np.gradient(path, axis=0)
    nrm = np.stack([-d[:, 1], d[:, 0]], 1)
    nrm /= np.linalg.norm(nrm, axis=1, keepdims=True) + 1e-9
    # share of the wall that is calcified: fixed for the digital presets, drawn when a range is
    # given (early, interrupted tracks of short dashes to nearly continuous rails)
    p_on = 0.7 if on_fraction is None else float(rng.uniform(*on_fraction))
    for side in (-0.5, 0.5):
        rail = path + side * sep_px * nrm - [r0, c0]
        # dashes: the calcification of a vessel wall is interrupted
        dense = np.concatenate([np.linspace(rail[k], rail[k + 1], 8, endpoint=False) for k in range(len(rail) - 1)])
        on = rng.random(len(dense)) < p_on
        on = cv2.dilate(on.astype(np.uint8)[:, None], np.ones((3, 1), np.uint8))[:, 0] > 0
        for k in range(len(dense) - 1):
            if on[k] and on[k + 1]:
                a, b = dense[k][::-1], dense[k + 1][::-1]
                cv2.line(canvas, tuple(np.round(a * 4).astype(int)), tuple(np.round(b * 4).astype(int)),
                         float(wall_px * spacing_mm), wall_px, cv2.LINE_8, shift=2)
    canvas = cv2.GaussianBlur(canvas, (0, 0), 0.5)
    mid = path[len(path) // 2]
    mu = mu_for(canvas, float(mid[0]), float(mid[1]), float(rng.uniform(6, 25)))
    add_patch(atten, canvas, r0, c0, mu)
    extra = {} if on_fraction is None else {"calcified_fraction": round(p_on, 2)}
    return distractor_record("vascular_track", "tram_line", (r0, c0, r1, c1), length_mm=round(n_seg * 2.0, 1),
                             **extra)


def add_physical_distractors(atten: np.ndarray, *, anatomy, spacing_mm: float, rng: np.random.Generator,
                             mu_for: MuForSnr, avoid_rc: list[tuple[float, float]],
                             vascular_on_fraction: tuple[float, float] | None = None) -> list[dict]:
    """Add distractors to ``atten`` in place; return their truth records.

    ``vascular_on_fraction``: range the calcified share of a vascular track's
    wall is drawn from (None: 0.7, as the digital presets always had).
    """
    out: list[dict] = []
    fr, fc = anatomy.grid_factor
    edge = anatomy.edge_distance_low_mm
    valid = anatomy.mask_low & ~anatomy.pectoral_low

    def pick(lo_mm, hi_mm, min_sep_mm=15.0):
        cand = np.argwhere(valid & (edge > lo_mm) & (edge < hi_mm))
        for _ in range(30):
            if len(cand) == 0:
                return None
            rl, cl = cand[rng.integers(len(cand))]
            r = (rl + rng.random()) * fr - 0.5
            c = (cl + rng.random()) * fc - 0.5
            if all(math.hypot(r - ar, c - ac) * spacing_mm >= min_sep_mm for ar, ac in avoid_rc):
                return r, c
        return None

    out += vessel_records(anatomy.vessels, atten.shape)
    if rng.random() < 0.25:  # vascular calcification: common after 50
        big = [v for v in anatomy.vessels if len(v["points"]) >= 8]
        if big:
            rec = _vascular_track(atten, big[int(rng.integers(len(big)))], spacing_mm, rng, mu_for,
                                  vascular_on_fraction)
            if rec:
                out.append(rec)
    for _ in range(int(rng.poisson(0.7))):
        pos = pick(5, 1e9)
        if pos:
            sub = str(rng.choice(["popcorn", "rim", "round"]))
            shape = {"popcorn": "popcorn", "rim": "ring", "round": "punctate"}[sub]
            d = float(rng.uniform(1.5, 5.0))
            bbox, _ = _place_blob(atten, shape, d, spacing_mm, *pos, rng, mu_for,
                                  mu=float(rng.uniform(0.25, 1.0)), inner_fraction=0.8)
            out.append(distractor_record("coarse_benign", sub, bbox, diameter_mm=round(d, 2)))
            avoid_rc.append(pos)
    n_skin = int(rng.poisson(1.0))
    group = rng.random() < 0.15
    anchor = pick(0.5, 3.0)
    for k in range(n_skin + (3 if group else 0)):
        pos = anchor if (group and k > 0 and anchor) else pick(0.5, 3.0, min_sep_mm=5)
        if pos is None:
            continue
        if group and k > 0:
            pos = (pos[0] + rng.normal(0, 2.0 / spacing_mm), pos[1] + rng.normal(0, 2.0 / spacing_mm))
        d = float(rng.uniform(0.6, 1.8))
        bbox, _ = _place_blob(atten, "ring", d, spacing_mm, *pos, rng, mu_for, snr=float(rng.uniform(5, 20)))
        out.append(distractor_record("skin", "ring_group" if group else "ring", bbox, diameter_mm=round(d, 2)))
    for _ in range(int(rng.poisson(1.5))):
        pos = pick(8, 1e9, min_sep_mm=15)
        if pos:
            d = float(rng.uniform(0.15, 0.5))
            bbox, _ = _place_blob(atten, str(rng.choice(["punctate", "pleomorphic"])), d, spacing_mm, *pos, rng,
                                  mu_for, snr=float(rng.uniform(3, 12)))
            out.append(distractor_record("single_speck", "speck", bbox, diameter_mm=round(d, 2)))
            avoid_rc.append(pos)
    if rng.random() < 0.25:  # metal ball taped on the nipple
        r, c = anatomy.nipple_rc
        d = float(rng.uniform(1.5, 2.5))
        bbox, _ = _place_blob(atten, "punctate", d, spacing_mm, r, c - 0.3 * d / spacing_mm, rng, None, mu=3.0)
        out.append(distractor_record("marker", "nipple_ball", bbox, diameter_mm=round(d, 2)))
    if rng.random() < 0.1:  # scar wire
        pos = pick(10, 1e9, min_sep_mm=0)
        if pos:
            out.append(_scar_wire(atten, pos, spacing_mm, rng))
    return out


def _scar_wire(atten: np.ndarray, pos: tuple[float, float], spacing_mm: float, rng: np.random.Generator) -> dict:
    """A straight metal wire 15-40 mm long at ``pos`` (added to ``atten`` in place); its truth record."""
    length = rng.uniform(15, 40) / spacing_mm
    ang = rng.uniform(0, np.pi)
    half = int(length / 2) + 3
    canvas = np.zeros((2 * half + 1, 2 * half + 1), np.float32)
    a = (half - length / 2 * math.cos(ang), half - length / 2 * math.sin(ang))
    b = (half + length / 2 * math.cos(ang), half + length / 2 * math.sin(ang))
    w = max(1, int(round(0.3 / spacing_mm)))
    cv2.line(canvas, (int(a[0]), int(a[1])), (int(b[0]), int(b[1])), 0.3, w, cv2.LINE_AA)
    bbox = add_patch(atten, canvas, int(pos[0]) - half, int(pos[1]) - half, 3.0)
    return distractor_record("marker", "scar_wire", bbox)


def add_stored_distractors(stored: np.ndarray, *, bright: int, label: str, chest_wall_right: bool,
                           spacing_mm: float, rng: np.random.Generator) -> list[dict]:
    """Burned-in label and detector defects, drawn into the stored pixels in place."""
    out: list[dict] = []
    rows, cols = stored.shape
    if rng.random() < 0.85:  # burned-in view label at the upper corner away from the chest wall
        scale = max(0.4, 6.0 / (spacing_mm * 40))
        (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, max(1, int(scale * 2)))
        margin = int(5 / spacing_mm)
        x = margin if chest_wall_right else cols - margin - tw
        y = margin + th
        canvas = np.zeros((rows, cols), np.uint8)
        cv2.putText(canvas, label, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, 255, max(1, int(scale * 2)), cv2.LINE_8)
        sq = int(4 / spacing_mm)
        cv2.rectangle(canvas, (x, y + margin // 2), (x + sq, y + margin // 2 + sq), 255, -1)
        on = canvas > 0
        stored[on] = bright
        rr, cc = np.nonzero(on)
        out.append(distractor_record("marker", "burned_in_label", (rr.min(), cc.min(), rr.max(), cc.max()), text=label))
    if rng.random() < 0.2:  # hot pixels (an uncalibrated detector), sometimes in a small burst
        n = int(rng.integers(4, 14))
        if rng.random() < 0.3:
            r0, c0 = rng.integers(0, rows), rng.integers(0, cols)
            span = int(2 / spacing_mm)
            rr = np.clip(r0 + rng.integers(-span, span + 1, n), 0, rows - 1)
            cc = np.clip(c0 + rng.integers(-span, span + 1, n), 0, cols - 1)
        else:
            rr, cc = rng.integers(0, rows, n), rng.integers(0, cols, n)
        stored[rr, cc] = bright
        for r, c in zip(rr, cc):
            out.append(distractor_record("noise_burst", "hot_pixel", (r, c, r, c)))
    if rng.random() < 0.08:  # a bright dead line segment
        length = int(rng.uniform(10, 60) / spacing_mm)
        if rng.random() < 0.5:
            c = int(rng.integers(0, cols)); r0 = int(rng.integers(0, max(rows - length, 1)))
            stored[r0:r0 + length, c] = bright
            out.append(distractor_record("noise_burst", "dead_column", (r0, c, min(r0 + length, rows) - 1, c)))
        else:
            r = int(rng.integers(0, rows)); c0 = int(rng.integers(0, max(cols - length, 1)))
            stored[r, c0:c0 + length] = bright
            out.append(distractor_record("noise_burst", "dead_row", (r, c0, r, min(c0 + length, cols) - 1)))
    return out
