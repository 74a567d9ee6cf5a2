"""Breast mask and pectoral muscle, computed at a coarse working resolution.

The mask only decides *where* candidates may lie, so it is computed on the
image shrunk to ``config.mask_spacing_mm`` (about 0.5 mm): cheap, and blind to
noise and calcifications.  It is the largest bright component, on the values
as read or, where the two disagree, on their logarithm (film scanned linear in
transmittance; see :func:`_log_scale`); burned-in labels and markers in the
background are separate components and drop out; holes filled, with a band
along the skin line and, on MLO views, the pectoral muscle and a band beyond
its edge excluded from the *search* region.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import cv2
import numpy as np
from skimage.feature import canny
from skimage.filters import threshold_otsu
from skimage.transform import hough_line, hough_line_peaks

from calcdetect.config import LOG_OFFSET_BACKGROUND_NOISE, LOG_OFFSET_RANGE, DetectorConfig
from calcdetect.detector.enhance import shrink
from calcdetect.detector.noise_model import quantisation_step, robust_sigma

__all__ = ["BreastMask", "breast_mask", "random_search_positions", "search_outline_rc"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class BreastMask:
    """Breast region at a coarse resolution.

    Attributes
    ----------
    breast : ndarray of bool, shape (h, w)
        The breast (largest bright component, holes filled).
    search : ndarray of bool, shape (h, w)
        Where calcifications are searched: ``breast`` minus the skin band and,
        on MLO, the pectoral muscle with a margin.
    pectoral : ndarray of bool, shape (h, w)
        Pectoral muscle found on an MLO view (all False otherwise).
    full_shape : (int, int)
        Shape of the full-resolution image.
    spacing_mm : (float, float)
        Pixel spacing of the coarse grid.
    factor : (int, int)
        Full-resolution pixels per coarse pixel (rows, cols).
    block_mean : ndarray of float32, shape (h, w)
        The image averaged over each coarse pixel (before the mask's own
        smoothing): the local intensity the noise model is binned by.
    """

    breast: np.ndarray
    search: np.ndarray
    pectoral: np.ndarray
    full_shape: tuple[int, int]
    spacing_mm: tuple[float, float]
    factor: tuple[int, int]
    block_mean: np.ndarray

    @property
    def area_mm2(self) -> float:
        """Breast area in mm²."""
        return float(self.breast.sum()) * self.spacing_mm[0] * self.spacing_mm[1]

    def lookup(self, grid: np.ndarray, rows_px: np.ndarray, cols_px: np.ndarray) -> np.ndarray:
        """Values of a coarse ``grid`` (e.g. ``search``) at full-resolution pixel positions."""
        h, w = grid.shape
        r = np.clip(np.asarray(rows_px, dtype=np.intp) // self.factor[0], 0, h - 1)
        c = np.clip(np.asarray(cols_px, dtype=np.intp) // self.factor[1], 0, w - 1)
        return grid[r, c]

    def in_search(self, rows_px: np.ndarray, cols_px: np.ndarray) -> np.ndarray:
        """Whether full-resolution pixel positions are in the search region."""
        return self.lookup(self.search, rows_px, cols_px)


def search_outline_rc(mask: BreastMask) -> tuple[tuple[tuple[float, float], ...], ...]:
    """The outline of the search region in full-image pixels, for drawing.

    Parameters
    ----------
    mask : BreastMask

    Returns
    -------
    tuple of polygons
        One closed polygon of (row, col) vertices per separate (8-connected) piece of
        ``mask.search``, holes not traced; empty when nothing is searched.  Pixel (r, c) spans
        [r - 0.5, r + 0.5] x [c - 0.5, c + 0.5]; the polygons run along the edges of the coarse
        cells, the last row and column of cells reaching the image's edge as in
        :meth:`BreastMask.lookup`.

    Notes
    -----
    Contours traced on the cells run through the centres of the edge cells, half a cell inside
    the region.  They are traced instead on the points every half cell (corners, edge midpoints,
    centres), a point being in when a half cell beside it is: straight edges and outer corners
    are then exact, an inner corner is cut off by a triangle with half-cell legs, and pieces one
    cell apart stay apart (on the cell corners alone they would be joined).
    """
    half = np.pad(mask.search.astype(np.uint8).repeat(2, axis=0).repeat(2, axis=1), 1)  # each cell as 2 x 2
    points = half[:-1, :-1] | half[1:, :-1] | half[:-1, 1:] | half[1:, 1:]  # (2h + 1, 2w + 1)
    # a free border round the grid: contours along its edge are traced like any other
    contours, _ = cv2.findContours(np.pad(points, 1), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    (fr, fc), (rows, cols) = mask.factor, mask.full_shape
    h, w = mask.search.shape
    row_at = np.interp(np.arange(2 * h + 1) / 2, np.arange(h + 1), np.append(np.arange(h) * fr, rows) - 0.5)
    col_at = np.interp(np.arange(2 * w + 1) / 2, np.arange(w + 1), np.append(np.arange(w) * fc, cols) - 0.5)
    outline = []
    for contour in contours:
        xy = contour.reshape(-1, 2) - 1  # (col, row) point indices
        outline.append(tuple(zip(row_at[xy[:, 1]].tolist(), col_at[xy[:, 0]].tolist())))
    return tuple(outline)


#: the histogram's valley between two equal Gaussians 4.5 standard deviations apart, as a
#: fraction of their peaks: ``2 exp(-4.5**2 / 8) = 0.16``
_VALLEY_TO_PEAK = 2.0 * math.exp(-(4.5**2) / 8.0)
_VALLEY_BINS = 64
#: a background's millimetre detail is under this fraction of the tissue's
_SMOOTHER_THAN_TISSUE = 0.1


def _separated(below: np.ndarray, above: np.ndarray) -> bool:
    """Whether Otsu's two classes are really two (background and breast):
    their means differ by more than 4 within-class standard deviations."""
    spread = np.sqrt(0.5 * (below.var() + above.var()))
    return float(above.mean() - below.mean()) > 4.0 * float(spread)


def _a_second_look_finds_background(scaled: np.ndarray, values: np.ndarray, threshold: float) -> bool:
    """Whether Otsu's lower class is a background after all, where :func:`_separated` found none
    on either scale: the histogram has a valley between the two classes' modes deeper than two
    equal Gaussians 4.5 standard deviations apart would leave (:func:`_valley_to_peak` under
    0.16), *and* the lower class is smooth -- its millimetre-scale detail (the coarse image minus
    its blur over 2 coarse pixels, median over the class's interior) under a tenth of the upper
    class's: air holds noise and slow ramps, tissue holds structure.

    Without this look the mask took the whole image for the breast on 43 of 147 presentation
    phantoms given a vendor-like multi-frequency processing (2026-12-02, twenty-third session,
    ``docs/measurements/2026-12-02/vendor_processing/``): the processing lifted the background
    into a smooth grey ramp, which widened the background's class as the breast's range of
    densities widened its own, so the means were 3.2-5.5 spreads apart although the
    histogram's valley between them was 0.003-0.1 of its peaks; the air, searched as breast,
    then held flagged clusters on 10 of 27 normal ``hologic-like`` images.  Their backgrounds'
    detail was 0.002-0.03 of the breast's.  A crop of the breast's interior has no background:
    its valley was 0.25 of the peaks or more on 30 digital crops, but film's fatty and dense
    tissue can leave a deep valley (under 0.16 on 11 of 118 film crops, down to 0.06); on those
    the lower class's detail was 0.85 of the upper class's or more, so such a crop is still
    searched whole.
    """
    if _valley_to_peak(values, threshold) >= _VALLEY_TO_PEAK:
        return False
    detail = np.abs(scaled - cv2.GaussianBlur(scaled, (0, 0), 2.0))
    below = (scaled <= threshold).astype(np.uint8)
    interior = np.ones((7, 7), np.uint8)  # 3 coarse pixels from the class boundary
    inner_below = cv2.erode(below, interior).astype(bool)
    inner_above = cv2.erode(1 - below, interior).astype(bool)
    if inner_below.sum() < 10 or inner_above.sum() < 10:
        return False
    tissue = float(np.median(detail[inner_above]))
    return float(np.median(detail[inner_below])) < _SMOOTHER_THAN_TISSUE * tissue


def _valley_to_peak(values: np.ndarray, threshold: float) -> float:
    """The lowest count of the histogram between the modes below and above ``threshold``, as a
    fraction of the lower of the two modes' counts (64 bins over the 0.5-99.5 percentiles,
    smoothed over three bins).  Near 0 for two separate classes; 1 when one class's mode lies
    at the threshold (one skewed class cut in two)."""
    lo, hi = (float(v) for v in np.percentile(values, [0.5, 99.5]))
    if not hi > lo:
        return 1.0
    counts, edges = np.histogram(np.clip(values, lo, hi), bins=_VALLEY_BINS, range=(lo, hi))
    counts = np.convolve(counts.astype(np.float64), np.ones(3) / 3.0, mode="same")
    split = int(np.clip(np.searchsorted(edges, threshold) - 1, 0, _VALLEY_BINS - 1))
    low_mode = int(np.argmax(counts[: split + 1]))
    high_mode = split + int(np.argmax(counts[split:]))
    peak = min(counts[low_mode], counts[high_mode])
    if peak <= 0:
        return 1.0
    return float(counts[low_mode: high_mode + 1].min() / peak)


def _log_scale(small: np.ndarray, values: np.ndarray, *, step: float,
               offset_rule: str = LOG_OFFSET_BACKGROUND_NOISE) -> tuple[np.ndarray, np.ndarray]:
    """The coarse image (and its finite values) on a logarithmic scale above the image's floor.

    On this scale the breast is told from the background whatever the stored values are linear
    in.  Film scanned linear in transmittance (``T = 10^-D``) spans two to three decades inside
    the breast: on the values as read, Otsu cut through the breast (dense tissue is 30-60 times
    the fatty tissue beside it) or between a white film label and everything else, and the mask
    was 3-50 % of the breast or the whole image on every ``film-16bit-like`` phantom of a
    development set, and off by more than 25 % on 14 of 31 ``film-mias-like`` ones.  Its
    logarithm is the film's density.  The values as read are still used where both scales agree
    (the mask as read is 0.9-1.25 times the log one; on 100 digital development phantoms it
    always was): on the log scale the boundary lies about 1 mm further out, in the skin line,
    which made 1.65 times the candidates there.  Where they disagree, the log one is taken: the
    values as read cut through the breast (smaller) or found no background (the whole image).
    On the development set (seed 98000002) masks off by more than 25 % of the breast's area
    went from 27/27 to 4/27 (``film-16bit-like``) and 14/31 to 5/31 (``film-mias-like``).

    The logarithm is taken of the value above the floor plus an offset of the background's own
    noise (:func:`_background_noise`), at least the rms of the stored values' quantisation
    (``step / sqrt(12)``: a background clipped at the floor, as on 8-bit film, has no noise of
    its own), and at least 1e-6 of the range (unquantised values over a flat background): smaller,
    and the background's noise near the floor spreads over decades; larger, and the breast's
    periphery, a few noise levels above the background, is squeezed into it.  An offset of 1e-3
    of the image's range (this function until 2026-12-01, history step 11) was 40 times the
    background's noise on 16-bit film and cut the periphery off: the mask was 0.84 of the breast
    (median; 48 of 56 masks more than 10 % short) on the ``film-16bit-like`` phantoms of the
    development set (seed 98000002), and 20 of 130 calcifications at d' >= 6 lay outside the
    search region; now 0.97 (10 of 56), 9 of 130 (all at one pectoral muscle).  Without the
    quantisation's floor the ``film-mias-like`` masks grew into the periphery the 8-bit scan
    clipped to 0, where nothing but dust is seen (more false clusters); with it they are as
    before (0.82 of the breast).  Digital masks are the same (taken as read; 200 of 200
    development images, at full size and at 0.2 mm).  ``offset_rule``
    :data:`LOG_OFFSET_RANGE` is the offset of before, kept because the shipped ``fp_model_coarse``
    was trained on candidates found with it (its recipe records it, so ``calcdetect train
    --coarse`` rebuilds it).
    """
    floor = float(values.min())
    span = float(np.percentile(values, 99.0)) - floor
    if offset_rule == LOG_OFFSET_RANGE:
        offset = max(1e-3 * span, 1e-12)
    else:
        noise = _background_noise(values - floor, provisional=max(1e-3 * span, 1e-12))
        offset = max(noise, step / np.sqrt(12.0), 1e-6 * span, 1e-12)
    return (np.log(np.maximum(small - floor, 0.0) + offset).astype(np.float32),
            np.log(values - floor + offset))


def _background_noise(above_floor: np.ndarray, *, provisional: float) -> float:
    """Robust sigma of the background's values: those at or below Otsu's threshold on the log of
    ``above_floor + provisional`` (a first, coarse log scale whose lower class is the
    background even where it squeezes the breast's periphery into it).  0 when the background
    is flat (clipped at the floor)."""
    log_values = np.log(above_floor + provisional)
    if float(log_values.max()) - float(log_values.min()) <= 0.0:
        return 0.0
    background = above_floor[log_values <= threshold_otsu(log_values)]
    return robust_sigma(background) if background.size else 0.0


def _quantisation_step(pixels: np.ndarray) -> float:
    """:func:`.noise_model.quantisation_step` on a grid of about 50,000 pixels over the image."""
    stride = max(1, int(np.sqrt(pixels.size / 50_000.0)))
    rows, cols = np.mgrid[0: pixels.shape[0]: stride, 0: pixels.shape[1]: stride].reshape(2, -1)
    return quantisation_step(pixels, rows, cols)


def _breast_on(scaled: np.ndarray, values: np.ndarray, *, valley: bool = False) -> np.ndarray:
    """The breast on one scale of the coarse image: Otsu's upper class, extended half way down to
    the background (Otsu cuts inside the thickness fall-off at the skin line), largest component,
    holes filled; all of it when there is no background (a cropped film, a detail view) by
    :func:`_separated` or, with ``valley``, by :func:`_a_second_look_finds_background` instead."""
    t = float(threshold_otsu(values))
    below, above = values[values <= t], values[values > t]
    if below.size < 0.02 * values.size or above.size == 0:
        return np.ones(scaled.shape, bool)
    if not (_a_second_look_finds_background(scaled, values, t) if valley else _separated(below, above)):
        return np.ones(scaled.shape, bool)
    bg = float(np.median(below))
    return _fill_holes(_largest_component(scaled > bg + 0.5 * (t - bg)))


def _as_read_or_log(as_read: np.ndarray, on_log: np.ndarray) -> np.ndarray:
    """The mask on the values as read where it is 0.9-1.25 times the one on their log; else the
    log one (the values as read cut through the breast or took the whole image)."""
    return as_read if 0.9 <= as_read.sum() / max(int(on_log.sum()), 1) <= 1.25 else on_log


def _fill_holes(binary: np.ndarray) -> np.ndarray:
    """``binary`` with its holes filled: the background not 4-connected to the image's edge (what
    ``scipy.ndimage.binary_fill_holes`` gives, by one labelling instead of a dilation repeated
    until nothing changes)."""
    n, labels = cv2.connectedComponents((~binary).astype(np.uint8), connectivity=4)
    outside = np.zeros(n, bool)
    for edge in (labels[0], labels[-1], labels[:, 0], labels[:, -1]):
        outside[edge] = True
    outside[0] = False  # label 0 is the object itself
    return ~outside[labels]


def _largest_component(binary: np.ndarray) -> np.ndarray:
    n, labels, stats, _ = cv2.connectedComponentsWithStats(binary.astype(np.uint8), connectivity=8)
    if n <= 1:
        return np.zeros_like(binary, dtype=bool)
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return labels == best


def breast_mask(
    pixels: np.ndarray,
    *,
    spacing_mm: tuple[float, float],
    view: str = "",
    config: DetectorConfig | None = None,
) -> BreastMask:
    """Find the breast, the skin band and (MLO) the pectoral muscle.

    Parameters
    ----------
    pixels : ndarray, shape (rows, cols)
        Image, denser (and breast) brighter than the background.
    spacing_mm : (float, float)
        Pixel spacing (row, col) in mm.
    view : str
        ``"MLO"`` (or any view containing ``"MLO"``/``"ML"`` oblique codes)
        enables the pectoral search.
    config : DetectorConfig, optional
        Uses ``mask_spacing_mm``, ``mask_log_offset``, ``skin_margin_mm``, ``pectoral_margin_mm``.

    Returns
    -------
    BreastMask
    """
    cfg = config or DetectorConfig.default()
    rows, cols = pixels.shape
    block_mean, (fr, fc) = shrink(pixels, spacing_mm=spacing_mm, target_mm=cfg.mask_spacing_mm)
    h, w = block_mean.shape
    lo_spacing = (spacing_mm[0] * fr, spacing_mm[1] * fc)
    small = cv2.GaussianBlur(block_mean.astype(np.float32), (0, 0), 1.0)

    values = small[np.isfinite(small)]
    # flat, up to float32 rounding of the blur (a constant image): Otsu's 256 bins would not fit
    if values.size == 0 or float(values.max()) - float(values.min()) <= 1e-4 * max(1.0, float(np.abs(values).max())):
        empty = np.zeros((h, w), bool)
        return BreastMask(empty, empty, empty, (rows, cols), lo_spacing, (fr, fc), block_mean)
    log_scaled = _log_scale(small, values, step=_quantisation_step(pixels), offset_rule=cfg.mask_log_offset)
    breast = _as_read_or_log(_breast_on(small, values), _breast_on(*log_scaled))
    # no background by the spread test: look for a valley (the mask of before history step 11,
    # kept for the coarse model's recipe, had no such second look)
    if breast.all() and cfg.mask_log_offset != LOG_OFFSET_RANGE:
        breast = _as_read_or_log(_breast_on(small, values, valley=True), _breast_on(*log_scaled, valley=True))

    # distance to the skin line (image borders do not count as skin: the
    # chest wall usually touches the detector edge)
    dist_mm = cv2.distanceTransform(breast.astype(np.uint8), cv2.DIST_L2, 5) * min(lo_spacing)
    search = dist_mm > cfg.skin_margin_mm

    pectoral = np.zeros_like(breast)
    if _is_oblique(view):
        pectoral = _pectoral(small, breast, lo_spacing)
        if pectoral.any():
            d = cv2.distanceTransform((~pectoral).astype(np.uint8), cv2.DIST_L2, 5) * min(lo_spacing)
            search &= d > cfg.pectoral_margin_mm
    return BreastMask(breast, search, pectoral, (rows, cols), lo_spacing, (fr, fc), block_mean)


def _is_oblique(view: str) -> bool:
    v = view.strip().upper()
    return "MLO" in v or v in {"ML", "LM", "LMO", "SIO"}


def _pectoral(small: np.ndarray, breast: np.ndarray, spacing_mm: tuple[float, float]) -> np.ndarray:
    """Pectoral muscle of an MLO view: the bright corner cut off by a straight
    edge at the top of the chest-wall side (Hough line on Canny edges).

    Returns an all-False mask when no plausible edge is found.
    """
    h, w = breast.shape
    none = np.zeros_like(breast)
    # chest wall: the image side that the breast touches most
    left, right = breast[:, :3].sum(), breast[:, -3:].sum()
    if max(left, right) < 0.2 * h:
        return none
    flip = right > left
    img = small[:, ::-1] if flip else small
    br = breast[:, ::-1] if flip else breast
    qh, qw = int(h * 0.7), int(w * 0.7)
    quad = img[:qh, :qw]
    sigma_px = 2.0 / min(spacing_mm)  # 2 mm
    finite = quad[br[:qh, :qw]]
    if finite.size < 100:
        return none
    edges = canny(quad, sigma=sigma_px, mask=br[:qh, :qw])
    if edges.sum() < 10:
        return none
    # edge running from the top border down to the chest wall: normal angle
    # between 15 and 75 degrees from the column axis
    angles = np.deg2rad(np.linspace(10, 80, 71))
    hspace, theta, dist = hough_line(edges, theta=angles)
    rr, cc = np.mgrid[0:h, 0:w]
    for _, ang, d in zip(*hough_line_peaks(hspace, theta, dist, num_peaks=5)):
        # line: c*cos(a) + r*sin(a) = d; the muscle is the corner side (smaller)
        along = cc * np.cos(ang) + rr * np.sin(ang)
        side = along < d
        region = side & br
        if region.sum() < 0.01 * br.sum() or region.sum() > 0.4 * br.sum():
            continue
        rest = (~side) & br & (np.abs(along - d) < 10.0 / min(spacing_mm))
        if rest.sum() < 10:
            continue
        top_c = d / np.cos(ang)  # where the line meets row 0
        wall_r = d / np.sin(ang)  # where it meets col 0
        if not (0 < top_c < qw and 0 < wall_r < qh):
            continue
        if float(np.median(img[region])) <= float(np.median(img[rest])):
            continue  # the corner side must be the brighter (denser) muscle
        return region[:, ::-1] if flip else region
    return none


def random_search_positions(shape: tuple[int, int], valid, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``n`` random pixel positions of the search region, drawn with a fixed seed.

    The null of the rejection tests and the image's own reference for the background-relative
    features (:mod:`calcdetect.detector.features`): what a statistic is at random places of this
    breast.  The seed is fixed, so a result is reproducible.

    Parameters
    ----------
    shape : (int, int)
        The image's shape; positions keep 8 pixels from its edges.
    valid : callable
        ``valid(rows_px, cols_px)``: whether positions are in the search region
        (:meth:`BreastMask.in_search`).
    n : int
        The most positions returned.

    Returns
    -------
    rows_px, cols_px : ndarray of int
    """
    rng = np.random.default_rng(20261130)
    rr = rng.integers(8, max(9, shape[0] - 8), 8 * n)
    cc = rng.integers(8, max(9, shape[1] - 8), 8 * n)
    keep = np.asarray(valid(rr, cc), bool)
    return rr[keep][:n], cc[keep][:n]
