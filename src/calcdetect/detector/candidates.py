"""Candidates (local maxima above an SNR threshold) and their measurement.

A candidate is a local maximum of the detection response above
``centre + snr_threshold * sigma``, where centre and sigma come from the
per-tile noise model and sigma is raised to a robust local RMS of the
response around ``local_noise_mm`` where the texture is busier than the tile, inside the
search region of the breast mask, at least ``min_separation_mm`` from a
stronger one.  Each is then measured on a small patch of the image:

* the half-maximum region of the response (above its local median)
  connected to the candidate gives the area, equivalent diameter (corrected
  for the matched smoothing), second moments (length of the major axis,
  elongation) and compactness;
* the candidate's response above the local median is its *fine* part
  (detail narrower than the top-hat); two openings of a shrunk copy of the
  image with discs of ``max_diameter_mm`` and 3 x ``max_diameter_mm`` give
  the *mid* part: the height of an object 1-3 mm wide under it.

Rejected: edge (no detail above the local median in the shape response under
a detection peak: the bright side of a step such as the pectoral edge, which
the zero-mean DoG marks and the top-hat does not), speck (measured diameter
below ``min_diameter_mm``, narrower than any blurred X-ray object: pixel
noise), coarse (``mid > coarse_ratio * fine``: the rim of a coarse
calcification or a marker, whose fine detail is only a sliver, or a
diameter over ``max_diameter_mm``), line-like (major axis over
``max_length_mm`` or elongation over ``max_elongation``: vessels and vascular
tracks).  Skin and edge artefacts never become candidates because
the search region excludes the skin band and the pectoral edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from calcdetect.config import DetectorConfig, mm_to_px
from calcdetect.detector.enhance import NoiseModel, shrink
from calcdetect.detector.mask import BreastMask

__all__ = ["Candidates", "find_candidates", "mid_band_at", "measure_candidates", "REJECT_REASONS"]

#: reasons a measured candidate is not a calcification
REJECT_REASONS = ("edge", "coarse", "speck", "linear")

_FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))


@dataclass(frozen=True, eq=False)
class Candidates:
    """Candidate positions and features, one entry per candidate (arrays).

    ``reason`` is ``""`` for an accepted calcification, else one of
    :data:`REJECT_REASONS`.
    """

    row_px: np.ndarray
    col_px: np.ndarray
    response: np.ndarray
    snr: np.ndarray
    contrast: np.ndarray
    area_px: np.ndarray
    diameter_mm: np.ndarray
    length_mm: np.ndarray
    elongation: np.ndarray
    compactness: np.ndarray
    reason: np.ndarray

    def __len__(self) -> int:
        return int(self.row_px.size)

    @property
    def accepted(self) -> np.ndarray:
        return self.reason == ""


def find_candidates(
    response: np.ndarray,
    noise: NoiseModel,
    mask: BreastMask,
    *,
    spacing_mm: tuple[float, float],
    config: DetectorConfig,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Local maxima of ``response`` above the SNR threshold in the search region.

    Returns
    -------
    rows, cols : ndarray of int
    value : ndarray of float32 (response at the peak)
    snr : ndarray of float
        Sorted by decreasing SNR, at most ``config.max_candidates``.
    """
    # Pre-select local maxima above the lowest tile threshold (one pass, no
    # full-size threshold map), then compute each one's own SNR.
    floor = float(np.min(noise.centre + config.snr_threshold * noise.sigma))
    dil = cv2.dilate(response, np.ones((3, 3), np.uint8))
    peaks = cv2.bitwise_and(
        cv2.compare(response, floor, cv2.CMP_GT),
        cv2.compare(response, dil, cv2.CMP_GE),
    )
    found = cv2.findNonZero(peaks)  # (x, y) pairs, or None
    if found is None:
        rows = cols = np.zeros(0, np.intp)
    else:
        found = found.reshape(-1, 2)
        cols, rows = found[:, 0].astype(np.intp), found[:, 1].astype(np.intp)
    if rows.size:
        # filters are unreliable within half an element of the image border
        br = int(np.ceil(mm_to_px(config.tophat_size_mm / 2, spacing_mm[0])))
        bc = int(np.ceil(mm_to_px(config.tophat_size_mm / 2, spacing_mm[1])))
        H, W = response.shape
        keep = mask.lookup(mask.search, rows, cols) & (rows >= br) & (rows < H - br) & (cols >= bc) & (cols < W - bc)
        rows, cols = rows[keep], cols[keep]
    value = response[rows, cols].astype(np.float64)
    centre, sigma = noise.at(rows, cols)
    keep = value - centre > config.snr_threshold * sigma
    rows, cols, value, centre, sigma = rows[keep], cols[keep], value[keep], centre[keep], sigma[keep]
    if config.local_noise_mm > 0 and rows.size:
        local = _local_texture_sigma(response, rows, cols, centre, sigma, spacing_mm, config.local_noise_mm)
        sigma = np.maximum(sigma, local)
    snr = (value - centre) / sigma
    keep = snr > config.snr_threshold
    rows, cols, value, snr = rows[keep], cols[keep], value[keep], snr[keep]
    # strongest first (ties broken by position, so results never depend on
    # the order of np.nonzero), then greedy non-maximum suppression in mm
    order = np.lexsort((cols, rows, -snr))
    rows, cols, value, snr = rows[order], cols[order], value[order], snr[order]
    if rows.size > 1 and config.min_separation_mm > 0:
        pts = np.column_stack([rows * spacing_mm[0], cols * spacing_mm[1]])
        tree = cKDTree(pts)
        alive = np.ones(rows.size, bool)
        for i, j in sorted(tree.query_pairs(config.min_separation_mm)):
            # i < j: i is stronger; drop j if i still stands
            if alive[i]:
                alive[j] = False
        rows, cols, value, snr = rows[alive], cols[alive], value[alive], snr[alive]
    n = config.max_candidates
    return rows[:n], cols[:n], value[:n].astype(np.float32), snr[:n]


def _local_texture_sigma(
    response: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    centre: np.ndarray,
    sigma: np.ndarray,
    spacing_mm: tuple[float, float],
    window_mm: float,
) -> np.ndarray:
    """Local noise where the texture is busier than its tile, at each candidate.

    Around the candidate, 3 x 3 blocks of ``window_mm / 3``: in each, the RMS
    of the response's upper half above the tile centre (clipped at 3 tile
    sigmas); the median of the 9 block values is the local sigma.  The
    median keeps a few calcifications of a dense cluster in neighbouring
    blocks from inflating it.
    """
    H, W = response.shape
    br = max(1, int(round(mm_to_px(window_mm / 3.0, spacing_mm[0]))))
    bc = max(1, int(round(mm_to_px(window_mm / 3.0, spacing_mm[1]))))
    if H < 3 * br or W < 3 * bc:  # image smaller than the window
        return np.zeros(rows.size)
    r0 = np.clip(rows - (3 * br) // 2, 0, H - 3 * br)
    c0 = np.clip(cols - (3 * bc) // 2, 0, W - 3 * bc)
    windows = np.lib.stride_tricks.sliding_window_view(response, (3 * br, 3 * bc))
    x = windows[r0, c0].astype(np.float64) - centre[:, None, None]  # (n, 3br, 3bc), a copy
    np.clip(x, 0.0, (3.0 * sigma)[:, None, None], out=x)
    blocks = (x * x).reshape(-1, 3, br, 3, bc).mean(axis=(2, 4)).reshape(-1, 9)
    return np.sqrt(2.0 * np.median(blocks, axis=1))


def _disc(radius_r: float, radius_c: float) -> np.ndarray:
    kr, kc = max(1, int(round(radius_r))), max(1, int(round(radius_c)))
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * kc + 1, 2 * kr + 1))


def mid_band_at(
    image: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    *,
    spacing_mm: tuple[float, float],
    config: DetectorConfig,
) -> np.ndarray:
    """Height of the 1x-3x ``max_diameter_mm`` wide structure under each candidate.

    Computed once per image on a copy shrunk to ``max_diameter_mm / 5``
    spacing (coarse objects are several pixels wide there), as the
    difference of two grey openings with discs of ``max_diameter_mm`` and
    3 x ``max_diameter_mm``; read at the candidates by nearest neighbour.
    """
    if rows.size == 0:
        return np.zeros(0)
    small, (fr, fc) = shrink(image, spacing_mm=spacing_mm, target_mm=config.max_diameter_mm / 5.0)
    lo = (spacing_mm[0] * fr, spacing_mm[1] * fc)
    d = config.max_diameter_mm
    fine_el = _disc(mm_to_px(d / 2, lo[0]), mm_to_px(d / 2, lo[1]))
    # a square is enough for the wide background and much cheaper than a disc
    wide_el = cv2.getStructuringElement(
        cv2.MORPH_RECT, (2 * int(round(mm_to_px(1.5 * d, lo[1]))) + 1, 2 * int(round(mm_to_px(1.5 * d, lo[0]))) + 1)
    )
    open_fine = cv2.morphologyEx(small, cv2.MORPH_OPEN, fine_el, borderType=cv2.BORDER_REPLICATE)
    open_wide = cv2.morphologyEx(open_fine, cv2.MORPH_OPEN, wide_el, borderType=cv2.BORDER_REPLICATE)
    h, w = small.shape
    r = np.clip(np.asarray(rows) // fr, 0, h - 1)
    c = np.clip(np.asarray(cols) // fc, 0, w - 1)
    # the strongest of the neighbouring coarse pixels: a candidate on the
    # rim of a coarse object must see the object, not the background beside it
    band = open_fine - open_wide
    band = cv2.dilate(band, np.ones((3, 3), np.uint8))
    return band[r, c].astype(np.float64)


def measure_candidates(
    image: np.ndarray,
    response: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    snr: np.ndarray,
    *,
    noise: NoiseModel,
    tophat: np.ndarray,
    mid_band: np.ndarray,
    spacing_mm: tuple[float, float],
    config: DetectorConfig,
) -> Candidates:
    """Measure size and shape of each candidate and decide whether it is a
    calcification (see the module docstring for the rules)."""
    sr, sc = spacing_mm
    reach_mm = config.max_length_mm
    half_r = int(np.ceil(mm_to_px(reach_mm, sr))) + 1
    half_c = int(np.ceil(mm_to_px(reach_mm, sc))) + 1
    sig_r, sig_c = mm_to_px(config.smooth_sigma_mm, sr), mm_to_px(config.smooth_sigma_mm, sc)
    smooth = max(sig_r, sig_c) >= 0.3
    fwhm_mm = _FWHM_PER_SIGMA * config.smooth_sigma_mm if smooth else 0.0
    pix_var = np.array([sr * sr, sc * sc]) / 12.0  # a pixel's own extent
    n = rows.size
    centre, _ = noise.at(rows, cols)
    area = np.zeros(n, np.int64)
    diam = np.zeros(n)
    length = np.zeros(n)
    elong = np.ones(n)
    compact = np.ones(n)
    contrast = np.zeros(n, np.float32)
    value = np.zeros(n, np.float32)
    reason = np.full(n, "", dtype=object)
    H, W = image.shape
    for k in range(n):
        r, c = int(rows[k]), int(cols[k])
        r0, r1 = max(0, r - half_r), min(H, r + half_r + 1)
        c0, c1 = max(0, c - half_c), min(W, c + half_c + 1)
        pr, pc = r - r0, c - c0
        value[k] = response[r, c]
        contrast[k] = tophat[r, c]
        # size and shape: region of the response above ``shape_level`` of
        # the peak (over the local median), connected to the peak
        resp = response[r0:r1, c0:c1]
        level = centre[k] + config.shape_level * (float(value[k]) - centre[k])
        fine = float(value[k]) - centre[k]
        if fine <= 0:  # a DoG peak with no detail narrower than the top-hat element: the bright side of a step
            reason[k] = "edge"
            continue
        labels, _ = ndimage.label(resp >= level)
        region = labels == labels[pr, pc]
        rr, cc = np.nonzero(region)
        a = rr.size
        area[k] = a
        d_obs = 2.0 * np.sqrt(a * sr * sc / np.pi)
        diam[k] = float(np.sqrt(max(d_obs**2 - fwhm_mm**2, 0.0)))
        cov = np.cov(np.vstack([rr * sr, cc * sc])) if a > 1 else np.zeros((2, 2))
        ev = np.linalg.eigvalsh(cov + np.diag(pix_var))
        length[k] = 4.0 * np.sqrt(ev[1])
        elong[k] = float(np.sqrt(ev[1] / ev[0]))
        inner = ndimage.binary_erosion(region, border_value=0)
        perim = max(1, int(a - inner.sum()))
        compact[k] = min(1.0, 4.0 * np.pi * a / perim**2)
        # coarse: the candidate sits on a bright object wider than
        # max_diameter_mm that is brighter than the candidate's own detail
        mid = float(mid_band[k])
        if mid > config.coarse_ratio * fine or diam[k] > config.max_diameter_mm:
            reason[k] = "coarse"
        elif diam[k] < config.min_diameter_mm:
            reason[k] = "speck"
        elif length[k] > config.max_length_mm or elong[k] > config.max_elongation:
            reason[k] = "linear"
    return Candidates(
        row_px=np.asarray(rows, float), col_px=np.asarray(cols, float),
        response=value, snr=np.asarray(snr, float), contrast=contrast,
        area_px=area, diameter_mm=diam, length_mm=length, elongation=elong,
        compactness=compact, reason=reason.astype(str),
    )
