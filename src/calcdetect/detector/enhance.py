"""Morphology and noise grids shared by the detector's stages.

* :func:`white_tophat_mm`: the white top-hat with a square of ``size_mm``
  (per axis): bright details narrower than the element pass, tissue does not;
  its height at a candidate is the candidate's morphological contrast.
* :func:`shrink`: block means over whole pixels about ``target_mm`` wide (the
  breast mask's working grid and the noise model's local intensity).
* :class:`NoiseModel` / :func:`tile_noise`: per tile, a robust centre
  (median) and upper-tail scale (spread / 0.6745, the Gaussian-equivalent
  sigma of the upper half, the side false detections come from) of a
  response sampled on a sparse grid; calcifications are sparse, so they
  barely move these quantiles.

OpenCV's separable rectangular morphology is used because it is an order of
magnitude faster than scikit-image's disk top-hat on a full-field image (see
``bench/bench_detector.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

from calcdetect.config import mm_to_px

__all__ = ["white_tophat_mm", "shrink", "NoiseModel", "tile_noise", "noise_sampling_step"]

#: samples wanted on the sparse grid (enough for ~400 per tile on a full image)
_TARGET_SAMPLES = 400_000
#: a tile needs this many in-breast samples to have its own estimate
_MIN_TILE_SAMPLES = 40


def _odd(n: float) -> int:
    k = max(1, int(round(n)))
    return k if k % 2 else k + 1


def shrink(image: np.ndarray, *, spacing_mm: tuple[float, float], target_mm: float) -> tuple[np.ndarray, tuple[int, int]]:
    """Average ``image`` over blocks of whole pixels about ``target_mm`` wide.

    The image is cropped to a multiple of the block (at most a block's worth
    of the last rows/columns is dropped) so that OpenCV's fast integer
    ``INTER_AREA`` path applies.

    Returns
    -------
    small : ndarray of float32
    factor : (int, int)
        Block size (rows, cols): full pixel (r, c) lies in small pixel
        (r // factor[0], c // factor[1]).
    """
    fr = max(1, int(round(target_mm / spacing_mm[0])))
    fc = max(1, int(round(target_mm / spacing_mm[1])))
    H, W = image.shape
    fr, fc = min(fr, H), min(fc, W)
    h, w = H // fr, W // fc
    if (fr, fc) == (1, 1):
        return image, (1, 1)
    crop = image[: h * fr, : w * fc]
    return cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA), (fr, fc)


def white_tophat_mm(image: np.ndarray, *, spacing_mm: tuple[float, float], size_mm: float) -> np.ndarray:
    """White top-hat with a rectangular element of ``size_mm`` (per axis).

    Parameters
    ----------
    image : ndarray of float32, shape (rows, cols)
    spacing_mm : (float, float)
        Pixel spacing (row, col).
    size_mm : float
        Element width; bright details narrower than this are kept.

    Returns
    -------
    ndarray of float32, >= 0
    """
    kr = _odd(mm_to_px(size_mm, spacing_mm[0]))
    kc = _odd(mm_to_px(size_mm, spacing_mm[1]))
    kr, kc = max(kr, 3), max(kc, 3)
    element = cv2.getStructuringElement(cv2.MORPH_RECT, (kc, kr))
    return cv2.morphologyEx(image, cv2.MORPH_TOPHAT, element, borderType=cv2.BORDER_REPLICATE)


@dataclass(frozen=True, eq=False)
class NoiseModel:
    """Robust per-tile centre and sigma of the detection response.

    ``centre`` and ``sigma`` are grids of shape (ty, tx); tile (i, j) covers
    rows ``[i * tile_px[0], (i + 1) * tile_px[0])`` and the same for columns.
    Values between tile centres are interpolated bilinearly.
    """

    centre: np.ndarray
    sigma: np.ndarray
    tile_px: tuple[int, int]
    full_shape: tuple[int, int]
    n_tiles_measured: int

    def _coords(self, rows_px: np.ndarray, cols_px: np.ndarray) -> np.ndarray:
        return np.vstack([
            (np.asarray(rows_px, float) + 0.5) / self.tile_px[0] - 0.5,
            (np.asarray(cols_px, float) + 0.5) / self.tile_px[1] - 0.5,
        ])

    def at(self, rows_px: np.ndarray, cols_px: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(centre, sigma) at full-resolution pixel positions."""
        xy = self._coords(rows_px, cols_px)
        c = ndimage.map_coordinates(self.centre, xy, order=1, mode="nearest")
        s = ndimage.map_coordinates(self.sigma, xy, order=1, mode="nearest")
        return c, s

    def threshold_map(self, snr: float) -> np.ndarray:
        """Full-resolution map of ``centre + snr * sigma`` (float32)."""
        grid = (self.centre + snr * self.sigma).astype(np.float32)
        ty, tx = grid.shape
        big = cv2.resize(grid, (tx * self.tile_px[1], ty * self.tile_px[0]), interpolation=cv2.INTER_LINEAR)
        return np.ascontiguousarray(big[: self.full_shape[0], : self.full_shape[1]])


def noise_sampling_step(shape: tuple[int, int]) -> int:
    """Stride of the sparse grid on which :func:`tile_noise` samples a response."""
    return max(1, int(np.sqrt(shape[0] * shape[1] / _TARGET_SAMPLES)))


def tile_noise(
    sub: np.ndarray,
    ok: np.ndarray,
    *,
    step: int,
    full_shape: tuple[int, int],
    spacing_mm: tuple[float, float],
    tile_mm: float,
) -> NoiseModel | None:
    """Per-tile robust centre and upper-half sigma of a response sampled every ``step`` pixels.

    ``sub`` is the response at full-resolution pixels ``(step // 2 + i * step,
    step // 2 + j * step)``, ``ok`` where the samples count (the breast).
    """
    rows, cols = full_shape
    sh, sw = sub.shape
    m_r = max(2, int(round(mm_to_px(tile_mm, spacing_mm[0]) / step)))
    m_c = max(2, int(round(mm_to_px(tile_mm, spacing_mm[1]) / step)))
    ty, tx = -(-sh // m_r), -(-sw // m_c)
    padded = np.full((ty * m_r, tx * m_c), np.inf, np.float32)
    padded[:sh, :sw] = np.where(ok, sub, np.inf)
    blocks = padded.reshape(ty, m_r, tx, m_c).transpose(0, 2, 1, 3).reshape(ty * tx, m_r * m_c)
    blocks.sort(axis=1)
    n = np.isfinite(blocks).sum(axis=1)
    good = n >= _MIN_TILE_SAMPLES
    if not good.any():
        return None
    idx = np.arange(blocks.shape[0])

    def q(p: float) -> np.ndarray:
        k = np.clip(np.floor(p * (n - 1)).astype(np.intp), 0, blocks.shape[1] - 1)
        return blocks[idx, k].astype(np.float64)

    with np.errstate(invalid="ignore"):  # inf - inf in tiles without samples
        q50, q75 = q(0.50), q(0.75)
        spread = q75 - q50
    centre = np.where(good, q50, np.nan).reshape(ty, tx)
    sigma = np.where(good, spread / 0.6745, np.nan).reshape(ty, tx)
    # a tile that is all calcification cluster or flat (saturated) must not
    # get a tiny sigma: floor at a fraction of the image's median tile sigma
    med = float(np.nanmedian(sigma))
    floor = 0.25 * med if med > 0 else np.finfo(np.float32).tiny
    sigma = np.where(np.isnan(sigma), np.nan, np.maximum(sigma, floor))
    # tiles without their own estimate take the nearest measured tile
    missing = np.isnan(centre)
    if missing.any():
        _, (ir, ic) = ndimage.distance_transform_edt(missing, return_indices=True)
        centre, sigma = centre[ir, ic], sigma[ir, ic]
    tile_px = (m_r * step, m_c * step)
    return NoiseModel(centre, sigma, tile_px, (rows, cols), int(good.sum()))
