"""Multi-scale blob responses in mm with a floor in pixels, normalised by the image's noise model.

A Gaussian scale space ``G(s_0) .. G(s_n)`` of the image (each level blurred
from the previous one, so the cost grows with the scale step, not the scale)
gives difference-of-Gaussians levels ``DoG_k = G(s_k) - G(s_{k+1})``: band-pass
responses matched to bright spots of about ``2 s_k`` across.  The scales are
physical (``scale_min_mm * scale_ratio**k``) so that one configuration serves
0.05 mm detectors and 0.2 mm digitised film, with a floor of
``scale_floor_px`` pixels: below it a Gaussian is no longer sampled and the
level would only repeat pixel noise.  Levels that the floor makes coincide
are merged.

Each level is divided by ``sigma(I_local)`` from the image's own noise curve
(:mod:`calcdetect.detector.noise_model`) and by the level's *gain* (the
robust sigma of the normalised response over the breast), so ``z_k`` is in
units of the noise of that level, the same on every vendor, bit depth and
processing: one threshold per scale from the stabilised noise (Netsch &
Peitgen 1999).  Anatomical texture adds to that noise where the tissue is
dense, most at the coarse levels; each level's tiles measure how much
(``texture``), and a candidate's SNR is measured against both.

At coarse pixels (``spot_min_spacing_mm`` and coarser) the scale space also
holds the prewhitened spot response of :mod:`calcdetect.detector.spot`,
normalised the same way (``spot``).  At finer pixels, with ``line_source_snr``
set, it holds the thin-line response of :mod:`calcdetect.detector.ridge`
(``line``): each of its orientations divided by its own gain, their maximum
normalised as a level.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from calcdetect.config import DetectorConfig, mm_to_px
from calcdetect.detector.enhance import NoiseModel, noise_sampling_step, tile_noise
from calcdetect.detector.noise_model import robust_sigma
from calcdetect.detector.ridge import line_reach_px, line_responses, uses_line_filter
from calcdetect.detector.spot import PATCH_PX, spot_response, uses_spot_filter

__all__ = ["ScaleSpace", "ExtraLevel", "blur_reach_px", "blob_scales_mm", "dog_levels", "scale_space"]


def blob_scales_mm(config: DetectorConfig, spacing_mm: float) -> tuple[float, ...]:
    """The Gaussian scales (mm) of the scale space at a given pixel spacing.

    ``n_scales + 1`` scales ``scale_min_mm * scale_ratio**k``, each at least
    ``scale_floor_px`` pixels; scales closer than ``sqrt(scale_ratio)`` to the
    previous one after flooring are dropped.  The last scale is only the
    outer Gaussian of the last level.

    Examples
    --------
    >>> from calcdetect.config import DetectorConfig
    >>> cfg = DetectorConfig()
    >>> len(blob_scales_mm(cfg, 0.05)) > len(blob_scales_mm(cfg, 0.2))
    True
    """
    floor_mm = config.scale_floor_px * spacing_mm
    scales: list[float] = []
    for k in range(config.n_scales + 1):
        s = max(config.scale_min_mm * config.scale_ratio**k, floor_mm)
        if scales and s < scales[-1] * np.sqrt(config.scale_ratio):
            continue
        scales.append(float(s))
    if len(scales) < 2:
        scales.append(scales[-1] * config.scale_ratio)
    return tuple(scales)


@dataclass(frozen=True, eq=False)
class ExtraLevel:
    """A response besides the DoG levels (the spot filter's, the line filter's) and its noise,
    normalised as a DoG level.

    Attributes
    ----------
    response : ndarray of float32
        Read units, same region as the DoG levels (from ``ScaleSpace.origin``).
    gain : float
    texture : NoiseModel
    """

    response: np.ndarray
    gain: float
    texture: NoiseModel


@dataclass(frozen=True, eq=False)
class ScaleSpace:
    """DoG levels of one image and their noise.

    Attributes
    ----------
    scales_mm : tuple of float
        Inner Gaussian scale of each level (the outer one is the next entry of
        :func:`blob_scales_mm`).
    levels : list of ndarray of float32
        ``DoG_k`` in read units, full resolution.
    smoothed : list of ndarray of float32
        ``G(s_k)`` for every scale (one more than ``levels``), for curvature.
    gain : ndarray of float
        Robust sigma of ``DoG_k / sigma(I_local)`` over the breast: the factor
        from the fine-residual noise of the curve to the noise of level ``k``.
        ``z_k = DoG_k / (gain_k * sigma(I_local))`` is in noise-model units.
    texture : list of NoiseModel
        Per tile, the centre and upper-half sigma of ``z_k``: 1 where the
        noise model explains the level, more where anatomical texture adds
        to it.  A candidate's SNR is ``(z_k - centre) / sigma`` of its tile.
        Indexed by full-image positions.
    origin : (int, int)
        Full-image position of ``levels[k][0, 0]`` and ``smoothed[k][0, 0]``:
        the levels cover only the region around the breast that was asked for.
    spot : ExtraLevel or None
        The prewhitened spot response, at coarse pixels only.
    line : ExtraLevel or None
        The thin-line response (the largest over its orientations, each over
        its own gain), at fine pixels with ``line_source_snr`` set only.
    """

    scales_mm: tuple[float, ...]
    levels: list[np.ndarray]
    smoothed: list[np.ndarray]
    gain: np.ndarray
    texture: list[NoiseModel]
    origin: tuple[int, int] = (0, 0)
    spot: ExtraLevel | None = None
    line: ExtraLevel | None = None

    def __len__(self) -> int:
        return len(self.levels)


def _cv_kernel_radius_px(sigma_px: float) -> int:
    """Half-width of the kernel ``cv2.GaussianBlur`` builds for a float image and ``ksize=(0, 0)``."""
    return (int(round(max(sigma_px, 1e-3) * 8 + 1)) | 1) // 2


def blur_reach_px(config: DetectorConfig, spacing_mm: tuple[float, float]) -> int:
    """How far (pixels) the scale space's blurs (and the spot filter's kernel, where it runs)
    reach: a level is the same as on the whole image at least this far inside the edge of a crop."""
    scales = blob_scales_mm(config, min(spacing_mm))
    reach = 0
    for sp in spacing_mm:
        previous, total = 0.0, 0
        for s in scales:
            target = mm_to_px(s, sp)
            total += _cv_kernel_radius_px(np.sqrt(max(target**2 - previous**2, 0.0)))
            previous = target
        reach = max(reach, total)
    if uses_spot_filter(spacing_mm, config):
        reach = max(reach, PATCH_PX // 2)
    if uses_line_filter(spacing_mm, config):  # on the first Gaussian, with the along-line smoothing
        first = max(_cv_kernel_radius_px(mm_to_px(scales[0], sp)) for sp in spacing_mm)
        reach = max(reach, first + line_reach_px(_line_along_px(config, spacing_mm)))
    return reach + 1


def _line_across_px(scales_mm: tuple[float, ...], spacing_mm: tuple[float, float]) -> float:
    return mm_to_px(scales_mm[0], min(spacing_mm))


def _line_along_px(config: DetectorConfig, spacing_mm: tuple[float, float]) -> float:
    return mm_to_px(config.line_source_length_mm, min(spacing_mm))


def _blur(image: np.ndarray, sigma_px: tuple[float, float]) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), sigmaX=max(sigma_px[1], 1e-3), sigmaY=max(sigma_px[0], 1e-3),
                            borderType=cv2.BORDER_REPLICATE)


def _gaussian_stack(image: np.ndarray, scales_mm: tuple[float, ...], spacing_mm: tuple[float, float]) -> list[np.ndarray]:
    """``G(s)`` for each scale, each blurred from the previous one (variances add)."""
    smoothed: list[np.ndarray] = []
    previous_px = (0.0, 0.0)
    current = image
    for s in scales_mm:
        target = (mm_to_px(s, spacing_mm[0]), mm_to_px(s, spacing_mm[1]))
        step = (np.sqrt(max(target[0] ** 2 - previous_px[0] ** 2, 0.0)),
                np.sqrt(max(target[1] ** 2 - previous_px[1] ** 2, 0.0)))
        current = _blur(current, step)
        smoothed.append(current)
        previous_px = target
    return smoothed


def dog_levels(image: np.ndarray, *, spacing_mm: tuple[float, float], config: DetectorConfig
               ) -> tuple[tuple[float, ...], list[np.ndarray], list[np.ndarray]]:
    """The scales (mm), the DoG levels ``G(s_k) - G(s_{k+1})`` and the Gaussians ``G(s_k)`` of an image."""
    scales = blob_scales_mm(config, min(spacing_mm))
    smoothed = _gaussian_stack(image, scales, spacing_mm)
    levels = [cv2.subtract(smoothed[k], smoothed[k + 1]) for k in range(len(scales) - 1)]
    return scales, levels, smoothed


def scale_space(
    image: np.ndarray,
    *,
    spacing_mm: tuple[float, float],
    config: DetectorConfig,
    valid: Callable[[np.ndarray, np.ndarray], np.ndarray],
    sigma_at: Callable[[np.ndarray, np.ndarray], np.ndarray],
    origin: tuple[int, int] = (0, 0),
    full_shape: tuple[int, int] | None = None,
) -> ScaleSpace | None:
    """Build the DoG levels and measure each level's noise on a sparse grid in the breast.

    Parameters
    ----------
    image : ndarray of float32
        The whole image, or a crop of it at ``origin`` that holds ``valid``
        with :func:`blur_reach_px` to spare (levels are then the same as on
        the whole image wherever they are used).
    spacing_mm : (float, float)
    config : DetectorConfig
    valid : callable (rows, cols) -> ndarray of bool
        Where the noise is measured (the search region of the breast), at
        full-image positions.  Called with a column of rows and a row of
        columns, which it must broadcast (as :meth:`calcdetect.detector.mask.BreastMask.lookup` does).
    sigma_at : callable (rows, cols) -> ndarray
        The noise curve's sigma at full-image positions (called as ``valid``).
    origin : (int, int)
        Full-image position of ``image[0, 0]``.
    full_shape : (int, int), optional
        Shape of the whole image (``image.shape`` when not a crop).  The
        noise is sampled on the whole image's grid, so a crop measures it on
        the same samples.

    Returns
    -------
    ScaleSpace, or None when the region is too small to measure the noise.
    """
    full_shape = tuple(full_shape) if full_shape is not None else image.shape
    scales, levels, smoothed = dog_levels(image, spacing_mm=spacing_mm, config=config)
    step = noise_sampling_step(full_shape)
    off = step // 2
    # the grid is separable: its rows (a column vector) and columns (a row vector) broadcast
    gr = np.arange(off, full_shape[0], step)[:, None]
    gc = np.arange(off, full_shape[1], step)[None, :]
    lr, lc = gr - origin[0], gc - origin[1]
    in_crop = (lr >= 0) & (lr < image.shape[0]) & (lc >= 0) & (lc < image.shape[1])
    ok = valid(gr, gc) & in_crop
    lr, lc = np.clip(lr, 0, image.shape[0] - 1).ravel(), np.clip(lc, 0, image.shape[1] - 1).ravel()
    sigma_sub = sigma_at(gr, gc)

    def level_gain(level: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """The level's gain, and its samples over the noise curve's sigma and where they count."""
        z = level.take(lr, axis=0).take(lc, axis=1).astype(np.float64) / sigma_sub
        # a response of exactly 0 is a flat neighbourhood: film burnt out to the scanner's
        # clipping value holds neither noise nor signal, and where it covers half the breast
        # it would make the median deviation (the gain) zero
        measured = ok & (z != 0.0)
        inside = z[measured]
        g = robust_sigma(inside) if inside.size else 0.0
        return (g if g > 0 else 1.0), z, measured

    def level_noise(level: np.ndarray) -> tuple[float, NoiseModel | None]:
        g, z, measured = level_gain(level)
        return g, tile_noise((z / g).astype(np.float32), measured, step=step, full_shape=full_shape,
                             spacing_mm=spacing_mm, tile_mm=config.noise_tile_mm)

    gains, texture = [], []
    for level in levels:
        g, tiles = level_noise(level)
        if tiles is None:
            return None
        gains.append(g)
        texture.append(tiles)
    spot = None
    if uses_spot_filter(spacing_mm, config):
        response = spot_response(image, spacing_mm=spacing_mm, config=config, valid=valid, sigma_at=sigma_at,
                                 origin=origin)
        if response is not None:
            g, tiles = level_noise(response)
            spot = ExtraLevel(response, g, tiles) if tiles is not None else None
    line = None
    if uses_line_filter(spacing_mm, config):
        across = _line_across_px(scales, spacing_mm)
        oriented = line_responses(smoothed[0], across_px=across, along_px=_line_along_px(config, spacing_mm))
        # each orientation over its own gain (the diagonals' differences and steps differ), then the largest
        response = oriented[0] / np.float32(level_gain(oriented[0])[0])
        for r in oriented[1:]:
            np.maximum(response, r / np.float32(level_gain(r)[0]), out=response)
        g, tiles = level_noise(response)
        line = ExtraLevel(response, g, tiles) if tiles is not None else None
    return ScaleSpace(tuple(scales[:-1]), levels, smoothed, np.asarray(gains), texture,
                      (int(origin[0]), int(origin[1])), spot, line)
