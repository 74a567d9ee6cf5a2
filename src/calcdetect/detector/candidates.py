"""Candidates: local maxima of any scale's normalised blob response above its threshold.

For each DoG level ``k`` (:mod:`calcdetect.detector.responses`), a pixel is a
peak when it is the maximum of its 3 x 3 neighbourhood and its SNR -- the
normalised response ``z_k = DoG_k / (gain_k * sigma(I_local))`` over the
texture of its tile, ``(z_k - centre) / sigma`` -- reaches ``snr_threshold``:
one threshold per scale, in units of that scale's noise.
Peaks are looked for only in the search region of the breast mask and away
from the image border.  The peaks of all levels are merged strongest first
with a non-maximum suppression of ``min_separation_mm``; each survivor then
gets its ``z`` at every level (the largest within one pixel, since a blob's
peak moves by a pixel between scales).

The threshold here is deliberately low (about 3.5 sigma, hundreds of
candidates per image): what is and is not a calcification is decided by the
false-positive classifier on the candidates' features
(:mod:`calcdetect.detector.features`, :mod:`calcdetect.detector.fp_model`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from scipy.spatial import cKDTree

from calcdetect.config import DetectorConfig, mm_to_px
from calcdetect.detector.mask import BreastMask
from calcdetect.detector.responses import ScaleSpace

__all__ = ["CandidatePeaks", "find_candidates"]


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
    """

    row_px: np.ndarray
    col_px: np.ndarray
    z: np.ndarray
    snr_levels: np.ndarray
    sigma: np.ndarray

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


def _level_peaks(level: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
    dil = cv2.dilate(level, np.ones((3, 3), np.uint8))
    peaks = cv2.bitwise_and(cv2.compare(level, floor, cv2.CMP_GT), cv2.compare(level, dil, cv2.CMP_GE))
    found = cv2.findNonZero(peaks)
    if found is None:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    found = found.reshape(-1, 2)
    return found[:, 1].astype(np.intp), found[:, 0].astype(np.intp)


def _max_near(level: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Largest value of ``level`` within one pixel of each position."""
    H, W = level.shape
    best = np.full(rows.size, -np.inf)
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
    sigma_at: Callable[[np.ndarray, np.ndarray], np.ndarray],
    sigma_min: float,
    mask: BreastMask,
    *,
    spacing_mm: tuple[float, float],
    config: DetectorConfig,
) -> CandidatePeaks:
    """Peaks of every level whose SNR reaches ``snr_threshold``.

    Parameters
    ----------
    space : ScaleSpace
    sigma_at : callable (rows, cols) -> ndarray
        The noise curve's sigma at full-resolution positions.
    sigma_min : float
        Its smallest value in the breast (the pre-selection floor uses it).
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
    H, W = space.levels[0].shape
    border_r = int(np.ceil(mm_to_px(config.tophat_size_mm / 2, spacing_mm[0])))
    border_c = int(np.ceil(mm_to_px(config.tophat_size_mm / 2, spacing_mm[1])))
    t = config.snr_threshold
    all_r, all_c, all_snr = [], [], []
    for k, level in enumerate(space.levels):
        tiles = space.texture[k]
        floor = float(space.gain[k] * sigma_min * np.min(tiles.centre + t * tiles.sigma))
        rows, cols = _level_peaks(level, floor)
        keep = (rows >= border_r) & (rows < H - border_r) & (cols >= border_c) & (cols < W - border_c)
        rows, cols = rows[keep], cols[keep]
        keep = mask.lookup(mask.search, rows, cols)
        rows, cols = rows[keep], cols[keep]
        z = level[rows, cols] / (space.gain[k] * sigma_at(rows, cols))
        centre, sigma = tiles.at(rows, cols)
        snr = (z - centre) / sigma
        keep = snr >= t
        all_r.append(rows[keep]), all_c.append(cols[keep]), all_snr.append(snr[keep])
    rows, cols, snr = np.concatenate(all_r), np.concatenate(all_c), np.concatenate(all_snr)
    if rows.size == 0:
        return CandidatePeaks.empty(len(space))
    rows, cols = _suppress(rows, cols, snr, spacing_mm, config.min_separation_mm)
    rows, cols = rows[: config.max_candidates], cols[: config.max_candidates]
    sigma_px = sigma_at(rows, cols)
    z_all, snr_all = [], []
    for k, level in enumerate(space.levels):
        z = _max_near(level, rows, cols) / (space.gain[k] * sigma_px)
        centre, sigma = space.texture[k].at(rows, cols)
        z_all.append(z), snr_all.append((z - centre) / sigma)
    return CandidatePeaks(rows, cols, np.column_stack(z_all), np.column_stack(snr_all), sigma_px)
