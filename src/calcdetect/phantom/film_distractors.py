"""What a digitised film carries besides the breast: dust, scratches, hairs, scanner lines, labels.

Drawn into the scanned optical-density image (after the film grain, before
the scanner's encoding), in the final orientation (so text reads the right
way).  What each one does to the density, and why (``docs/phantom-truth.md``):

* **dust** — ``cassette_dust``: a particle between screen and film blocks
  the screen's light, so the film stays clear there: a *bright* speck,
  sharper than the screen blur (it sits on the emulsion);
  ``scanner_dust``: a particle on the film or the scanner glass blocks the
  scanner's light: a *dark* speck.  0.8-2.2 scan pixels across; scattered over
  the whole film at random (so now and then several lie close together by
  chance) and, on some films, a clump of 3-6 within a few mm.
* **scratch** — ``emulsion_scratch``: emulsion scraped off, nearly straight,
  often along the processor's transport direction: bright; ``hair``: a
  curved fibre, bright in the cassette, dark on the scanner glass.
* **scanner_line** — a full ``row`` or ``column`` read too bright or too dark
  (a sensor element or a sweep of the scanner out of calibration).
* **film_label** — ``id_blocker``: the patient-ID area that the ID camera
  flashes after the exposure, clear film with dark printed text, in a corner
  away from the chest wall; ``lead_marker``: the view letters (lead, in the
  X-ray field): clear film, blurred by the screen; ``tape``: adhesive tape
  on the film: a sharp-edged band of slightly higher density.

Every function returns truth records (``kind``, ``subkind``, ``bbox``,
``polarity`` and the sizes), as :mod:`.distractors`.
"""

from __future__ import annotations

import math
import string

import cv2
import numpy as np

from calcdetect.phantom.distractors import distractor_record

__all__ = ["add_film_distractors", "FILM_DISTRACTOR_KINDS"]

#: the distractor kinds this module writes
FILM_DISTRACTOR_KINDS = ("dust", "scratch", "scanner_line", "film_label")
_SS = 4  # supersampling of the local canvases (partial-pixel coverage)


def _coverage(points_rc: np.ndarray, width_px: float, shape: tuple[int, int], *, closed: bool = False,
              disc_diameter_px: float | None = None) -> tuple[np.ndarray, int, int] | None:
    """Fraction of each pixel covered by a polyline of ``width_px`` (or a disc), on a local canvas.

    Returns (coverage, row0, col0) clipped to the image, or None when nothing is on it.
    """
    pad = int(math.ceil(max(width_px, disc_diameter_px or 0))) + 2
    r0 = int(math.floor(points_rc[:, 0].min())) - pad
    c0 = int(math.floor(points_rc[:, 1].min())) - pad
    r1 = int(math.ceil(points_rc[:, 0].max())) + pad
    c1 = int(math.ceil(points_rc[:, 1].max())) + pad
    canvas = np.zeros(((r1 - r0 + 1) * _SS, (c1 - c0 + 1) * _SS), np.uint8)
    # pixel centres at integer coordinates: sub-canvas coordinate of row r is (r - r0 + 0.5) * SS - 0.5
    xy = np.stack([(points_rc[:, 1] - c0 + 0.5) * _SS - 0.5, (points_rc[:, 0] - r0 + 0.5) * _SS - 0.5], 1)
    if disc_diameter_px is not None:
        centre = tuple(int(v) for v in np.round(xy[0] * 16))
        cv2.circle(canvas, centre, int(round(disc_diameter_px * _SS / 2 * 16)), 255, -1, cv2.LINE_8, shift=4)
    else:
        cv2.polylines(canvas, [np.round(xy * 16).astype(np.int32)], closed, 255,
                      max(1, int(round(width_px * _SS))), cv2.LINE_8, shift=4)
    cov = canvas.reshape(r1 - r0 + 1, _SS, c1 - c0 + 1, _SS).mean(axis=(1, 3)) / np.float32(255)
    rows, cols = shape
    top, left = max(r0, 0), max(c0, 0)
    bottom, right = min(r1, rows - 1), min(c1, cols - 1)
    if bottom < top or right < left:
        return None
    cov = cov[top - r0:bottom - r0 + 1, left - c0:right - c0 + 1].astype(np.float32)
    return (cov, top, left) if cov.max() > 0 else None


def _apply(od: np.ndarray, cov_at: tuple[np.ndarray, int, int], *, polarity: str, strength: float,
           d_min: float) -> tuple[int, int, int, int]:
    """Bright: the film kept clearer (towards base + fog); dark: light blocked at the scanner. Returns the bbox."""
    cov, r0, c0 = cov_at
    sub = od[r0:r0 + cov.shape[0], c0:c0 + cov.shape[1]]
    a = np.minimum(cov * np.float32(strength), np.float32(0.99))
    if polarity == "bright":
        sub -= a * np.maximum(sub - np.float32(d_min), 0)
    else:
        sub -= np.log10(1 - a)
    rr, cc = np.nonzero(cov > 0.05)
    if rr.size == 0:
        rr, cc = np.nonzero(cov > 0)
    return (r0 + int(rr.min()), c0 + int(cc.min()), r0 + int(rr.max()), c0 + int(cc.max()))


def _speck(od, r, c, rng, *, pitch_mm, d_min, group):
    polarity = "bright" if rng.random() < 0.75 else "dark"
    diam_px = float(rng.uniform(0.8, 2.2))
    opacity = float(rng.uniform(0.15, 1.0))  # from a translucent fibre to an opaque grain
    cov = _coverage(np.array([[r, c]]), 0, od.shape, disc_diameter_px=diam_px)
    if cov is None:
        return None
    bbox = _apply(od, cov, polarity=polarity, strength=opacity, d_min=d_min)
    sub = "cassette_dust" if polarity == "bright" else "scanner_dust"
    return distractor_record("dust", sub, bbox, polarity=polarity, diameter_mm=round(diam_px * pitch_mm, 3),
                             opacity=round(opacity, 2), group=group)


def _dust(od, rng, *, pitch_mm, d_min) -> list[dict]:
    rows, cols = od.shape
    out = []
    for _ in range(int(rng.poisson(rng.uniform(3, 25)))):  # clean to dusty films
        rec = _speck(od, rng.uniform(0, rows - 1), rng.uniform(0, cols - 1), rng, pitch_mm=pitch_mm, d_min=d_min,
                     group=None)
        if rec:
            out.append(rec)
    if rng.random() < 0.3:  # a clump: a dirty patch of screen
        cr, cc = rng.uniform(0, rows - 1), rng.uniform(0, cols - 1)
        radius_px = rng.uniform(1.5, 4.0) / pitch_mm
        for _ in range(int(rng.integers(3, 7))):
            rho, phi = radius_px * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
            r, c = cr + rho * math.sin(phi), cc + rho * math.cos(phi)
            if 0 <= r < rows and 0 <= c < cols:
                rec = _speck(od, r, c, rng, pitch_mm=pitch_mm, d_min=d_min, group=0)
                if rec:
                    out.append(rec)
    return out


def _path(rng, start_rc, heading, length_px, step_px, wiggle_rad):
    n = max(2, int(length_px / step_px) + 1)
    turns = np.cumsum(rng.normal(0.0, wiggle_rad, n))
    ang = heading + turns
    steps = np.stack([np.sin(ang), np.cos(ang)], 1) * step_px
    return np.asarray(start_rc, float) + np.vstack([[0.0, 0.0], np.cumsum(steps[:-1], 0)])


def _scratches(od, rng, *, pitch_mm, d_min) -> list[dict]:
    rows, cols = od.shape
    out = []
    n_scratch = int(rng.integers(1, 4)) if rng.random() < 0.35 else 0
    n_hair = 1 if rng.random() < 0.25 else 0
    for k in range(n_scratch + n_hair):
        hair = k >= n_scratch
        start = (rng.uniform(0, rows - 1), rng.uniform(0, cols - 1))
        if hair:
            length_mm, width_mm = rng.uniform(5, 40), rng.uniform(0.04, 0.1)
            heading, wiggle = rng.uniform(0, 2 * math.pi), 0.15
            polarity = "bright" if rng.random() < 0.6 else "dark"
        else:  # mostly along the film's transport through the processor (the rows)
            length_mm, width_mm = rng.uniform(10, 80), rng.uniform(0.03, 0.08)
            heading = (math.pi / 2 + rng.normal(0, 0.1)) if rng.random() < 0.6 else rng.uniform(0, math.pi)
            wiggle, polarity = 0.01, "bright"
        pts = _path(rng, start, heading, length_mm / pitch_mm, 0.5 / pitch_mm, wiggle)
        cov = _coverage(pts, width_mm / pitch_mm, od.shape)
        if cov is None:
            continue
        strength = float(rng.uniform(0.3, 0.9))
        bbox = _apply(od, cov, polarity=polarity, strength=strength, d_min=d_min)
        path_rc = [[round(float(r), 1), round(float(c), 1)] for r, c in pts[::4]] + [
            [round(float(pts[-1, 0]), 1), round(float(pts[-1, 1]), 1)]]  # every 2 mm, and the end
        out.append(distractor_record("scratch", "hair" if hair else "emulsion_scratch", bbox, polarity=polarity,
                                     length_mm=round(length_mm, 1), width_mm=round(width_mm, 3),
                                     opacity=round(strength, 2), path_rc=path_rc))
    return out


def _scanner_lines(od, rng) -> list[dict]:
    rows, cols = od.shape
    out = []
    if rng.random() >= 0.15:
        return out
    for _ in range(int(rng.integers(1, 3))):
        delta = float(rng.uniform(0.05, 0.4)) * (1 if rng.random() < 0.5 else -1)  # density: + is darker
        width = 1 if rng.random() < 0.8 else 2
        if rng.random() < 0.5:
            c = int(rng.integers(0, cols - width + 1))
            od[:, c:c + width] += np.float32(delta)
            bbox, sub = (0, c, rows - 1, c + width - 1), "column"
        else:
            r = int(rng.integers(0, rows - width + 1))
            od[r:r + width, :] += np.float32(delta)
            bbox, sub = (r, 0, r + width - 1, cols - 1), "row"
        out.append(distractor_record("scanner_line", sub, bbox, polarity="dark" if delta > 0 else "bright",
                                     delta_od=round(delta, 3)))
    return out


def _text_mask(lines: list[str], height_px: int, width_px: int, stroke_px: int | None = None) -> np.ndarray:
    """Text lines filling a box (uint8 0/1), Hershey font (thin print unless ``stroke_px``)."""
    mask = np.zeros((height_px, width_px), np.uint8)
    line_h = height_px / (len(lines) + 0.5)
    scale = max(0.2, 0.6 * line_h / 22.0)
    thick = stroke_px or max(1, int(round(scale * 1.5)))
    for i, text in enumerate(lines):
        y = int((i + 1) * line_h)
        cv2.putText(mask, text, (int(0.04 * width_px), y), cv2.FONT_HERSHEY_SIMPLEX, scale, 1, thick, cv2.LINE_8)
    return mask


def _corner_box(mask, h_px, w_px, margin_px, away_left: bool, inset_px: int = 0):
    """Top or bottom corner (``inset_px`` further in) on the side away from the chest wall, the one
    with the least breast under it: (breast fraction, row0, col0), or None when it does not fit."""
    rows, cols = mask.shape
    c0 = margin_px if away_left else cols - margin_px - w_px
    best = None
    for r0 in (margin_px + inset_px, rows - margin_px - inset_px - h_px):
        if r0 < 0 or c0 < 0 or r0 + h_px > rows or c0 + w_px > cols:
            continue
        overlap = float(mask[r0:r0 + h_px, c0:c0 + w_px].mean())
        if best is None or overlap < best[0]:
            best = (overlap, r0, c0)
    return best


def _random_id(rng) -> list[str]:
    alnum = string.ascii_uppercase + string.digits
    return ["".join(rng.choice(list(alnum), int(rng.integers(6, 11)))) for _ in range(int(rng.integers(2, 4)))]


def _labels(od, rng, *, mask, pitch_mm, d_min, blur_px, view_label, chest_wall_right) -> list[dict]:
    rows, cols = od.shape
    out = []
    margin = int(rng.uniform(2, 6) / pitch_mm)
    if rng.random() < 0.6:  # ID flash: clear film with dark print, away from the chest wall
        h, w = int(rng.uniform(12, 20) / pitch_mm), int(rng.uniform(35, 50) / pitch_mm)
        box = _corner_box(mask, h, w, margin, away_left=chest_wall_right)
        if box is not None and box[0] < 0.05:
            _, r0, c0 = box
            text = _random_id(rng)
            ink = _text_mask(text, h, w).astype(np.float32)
            base = d_min + np.abs(rng.normal(0, 0.01, (h, w))).astype(np.float32)
            od[r0:r0 + h, c0:c0 + w] = base + ink * np.float32(rng.uniform(1.5, 2.8))
            out.append(distractor_record("film_label", "id_blocker", (r0, c0, r0 + h - 1, c0 + w - 1),
                                         polarity="bright", text=" ".join(text)))
    if rng.random() < 0.8:  # lead view letters, in the X-ray field: clear film, blurred by the screen
        h = int(rng.uniform(6, 10) / pitch_mm)
        w = int(h * 0.8 * len(view_label))
        box = _corner_box(mask, h, w, margin, away_left=chest_wall_right, inset_px=int(25 / pitch_mm))
        if box is not None and box[0] < 0.05:
            _, r0, c0 = box
            stroke = max(1, int(round(1.2 / pitch_mm)))  # lead letters: ~1.2 mm strokes
            ink = _text_mask([view_label], h, w, stroke_px=stroke).astype(np.float32)
            ink = cv2.GaussianBlur(ink, (0, 0), max(blur_px, 0.3))
            sub = od[r0:r0 + h, c0:c0 + w]
            sub -= np.float32(rng.uniform(0.8, 0.97)) * ink * np.maximum(sub - np.float32(d_min), 0)
            out.append(distractor_record("film_label", "lead_marker", (r0, c0, r0 + h - 1, c0 + w - 1),
                                         polarity="bright", text=view_label))
    if rng.random() < 0.2:  # clear adhesive tape across an edge of the film
        h, w = int(rng.uniform(15, 25) / pitch_mm), int(rng.uniform(40, 100) / pitch_mm)
        r0 = 0 if rng.random() < 0.5 else max(rows - h, 0)
        c0 = int(rng.integers(0, max(cols - w, 1)))
        delta = float(rng.uniform(0.03, 0.12))
        od[r0:r0 + h, c0:c0 + w] += np.float32(delta)
        out.append(distractor_record("film_label", "tape", (r0, c0, min(r0 + h, rows) - 1, min(c0 + w, cols) - 1),
                                     polarity="dark", delta_od=round(delta, 3)))
    return out


def add_film_distractors(od: np.ndarray, *, mask: np.ndarray, pitch_mm: float, d_min: float, blur_px: float,
                         view_label: str, chest_wall_right: bool, rng: np.random.Generator) -> list[dict]:
    """Draw labels, dust, scratches, hairs and scanner lines into ``od`` in place; return their records.

    Parameters
    ----------
    od : ndarray of float32
        Scanned optical density (final orientation).
    mask : ndarray of bool
        The breast, same orientation (labels are put where it is not).
    pitch_mm, d_min, blur_px : float
        Scan pitch, the film's base + fog, the screen blur in pixels.
    view_label : str
        E.g. ``"LCC"`` (the lead letters).
    chest_wall_right : bool
        Where the chest wall is (labels go to the other side).
    """
    out = _labels(od, rng, mask=mask, pitch_mm=pitch_mm, d_min=d_min, blur_px=blur_px, view_label=view_label,
                  chest_wall_right=chest_wall_right)
    out += _dust(od, rng, pitch_mm=pitch_mm, d_min=d_min)
    out += _scratches(od, rng, pitch_mm=pitch_mm, d_min=d_min)
    out += _scanner_lines(od, rng)
    np.clip(od, 0.0, None, out=od)
    return out
