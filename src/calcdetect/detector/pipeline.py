"""The detector pipeline: pixels -> calcifications -> clusters -> image flag.

``detect`` is a pure function of the pixels, the spacing, the view and a
:class:`~calcdetect.config.DetectorConfig`; the same input always gives the
same :class:`~calcdetect.results.ImageResult`.  Stages (each timed in
``ImageResult.timings_s``):

0. ``prepare``: float32, isolated saturated pixels (detector defects) repaired;
1. ``mask``: breast, skin band, pectoral muscle on MLO (coarse grid);
2. ``tophat``: white top-hat with a ``tophat_size_mm`` square;
3. ``smooth``: Gaussian matched to the smallest calcifications (the shape
   response, on which size and shape are measured);
4. ``dog``: difference of Gaussians ``smooth_sigma_mm`` - ``dog_outer_mm`` of
   the image (the detection response, on which the SNR is measured);
5. ``noise``: robust per-tile centre and sigma of both responses;
6. ``candidates``: local maxima with SNR >= ``snr_threshold`` in the search region;
7. ``measure``: size and shape of each candidate, coarse/linear rejection;
8. ``cluster``: >= ``cluster_min_count`` within ``cluster_area_mm2``, scores;
image score = best cluster score, flag = score >= ``image_threshold``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

import numpy as np

from calcdetect.detector.candidates import REJECT_REASONS, find_candidates, measure_candidates, mid_band_at
from calcdetect.detector.cluster import cluster_calcifications
from calcdetect.config import DetectorConfig
from calcdetect.detector.defects import repair_isolated_saturated
from calcdetect.detector.enhance import dog_mm, estimate_noise, smooth_mm, white_tophat_mm
from calcdetect.detector.mask import breast_mask
from calcdetect.results import Calcification, ImageResult, Mammogram

__all__ = ["detect", "detect_mammogram", "patient_flag"]

log = logging.getLogger(__name__)


def _check_spacing(spacing_mm: tuple[float, float]) -> tuple[float, float]:
    try:
        sr, sc = (float(v) for v in spacing_mm)
    except (TypeError, ValueError):
        raise ValueError(f"spacing_mm must be two numbers (row, col) in mm, got {spacing_mm!r}") from None
    if not (np.isfinite(sr) and np.isfinite(sc) and sr > 0 and sc > 0):
        raise ValueError(f"spacing_mm must be positive and finite, got {spacing_mm!r}")
    return sr, sc


def detect(
    pixels: np.ndarray,
    *,
    spacing_mm: tuple[float, float],
    view: str = "",
    config: DetectorConfig | None = None,
) -> ImageResult:
    """Find microcalcifications and clusters in one mammogram.

    Parameters
    ----------
    pixels : ndarray, shape (rows, cols)
        Image with denser tissue brighter (as :func:`calcdetect.io.read_mammogram`
        returns); any real dtype, converted to float32.
    spacing_mm : (float, float)
        Pixel spacing (row, col) in mm.
    view : str, optional
        ``"CC"``, ``"MLO"``, ...; MLO enables the pectoral muscle search.
    config : DetectorConfig, optional
        Defaults to :meth:`DetectorConfig.default` (the calibrated defaults).

    Returns
    -------
    ImageResult
        Accepted calcifications (``cluster_id`` -1 when in no cluster),
        clusters sorted by decreasing score, image score and flag.

    Raises
    ------
    ValueError
        If ``pixels`` is not a 2-D real array or ``spacing_mm`` is invalid.

    Examples
    --------
    >>> import numpy as np
    >>> from skimage.draw import disk
    >>> img = np.random.default_rng(0).normal(100.0, 1.0, (400, 400)).astype(np.float32)
    >>> img[:, :20] = 0.0  # background beside the breast
    >>> for r, c in [(200, 200), (215, 230), (190, 240)]:
    ...     img[disk((r, c), 2.5)] += 15.0
    >>> result = detect(img, spacing_mm=(0.1, 0.1))
    >>> len(result.clusters), result.clusters[0].n_calcifications
    (1, 3)
    """
    cfg = config if config is not None else DetectorConfig.default()
    spacing = _check_spacing(spacing_mm)
    arr = np.asarray(pixels)
    if arr.ndim != 2 or arr.size == 0 or not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
        raise ValueError(f"pixels must be a non-empty 2-D real array, got shape {arr.shape} dtype {arr.dtype}")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()

    def tick(name: str) -> None:
        nonlocal t0
        now = time.perf_counter()
        timings[name] = now - t0
        t0 = now

    image = np.ascontiguousarray(arr, dtype=np.float32)
    if not np.isfinite(image).all():  # NaN/inf would poison every filter
        image = np.nan_to_num(image, nan=0.0, posinf=0.0, neginf=0.0)
    image, n_defects = repair_isolated_saturated(image)
    if n_defects:
        log.debug("repaired %d isolated saturated pixels (detector defects)", n_defects)
    tick("prepare")
    mask = breast_mask(image, spacing_mm=spacing, view=view, config=cfg)
    tick("mask")
    tophat = white_tophat_mm(image, spacing_mm=spacing, size_mm=cfg.tophat_size_mm)
    tick("tophat")
    shape_response = smooth_mm(tophat, spacing_mm=spacing, sigma_mm=cfg.smooth_sigma_mm)
    tick("smooth")
    if cfg.dog_outer_mm > 0:
        response = dog_mm(image, spacing_mm=spacing, inner_mm=cfg.smooth_sigma_mm, outer_mm=cfg.dog_outer_mm)
        tick("dog")
    else:
        response = shape_response
    noise = estimate_noise(response, mask.search, spacing_mm=spacing, tile_mm=cfg.noise_tile_mm)
    shape_noise = noise if response is shape_response else estimate_noise(
        shape_response, mask.search, spacing_mm=spacing, tile_mm=cfg.noise_tile_mm)
    tick("noise")
    if noise is None or shape_noise is None:
        log.info("no breast region large enough to search; nothing detected")
        return ImageResult(breast_area_mm2=mask.area_mm2, timings_s=timings)
    rows, cols, value, snr = find_candidates(response, noise, mask, spacing_mm=spacing, config=cfg)
    tick("candidates")
    mid = mid_band_at(image, rows, cols, spacing_mm=spacing, config=cfg)
    cand = measure_candidates(
        image, shape_response, rows, cols, snr, noise=shape_noise, tophat=tophat, mid_band=mid, spacing_mm=spacing, config=cfg
    )
    tick("measure")
    ok = cand.accepted
    calcs = [
        Calcification(
            row_px=float(cand.row_px[i]), col_px=float(cand.col_px[i]),
            diameter_mm=float(cand.diameter_mm[i]), contrast=float(cand.contrast[i]),
            snr=float(cand.snr[i]), area_px=int(cand.area_px[i]),
            elongation=float(cand.elongation[i]), compactness=float(cand.compactness[i]),
        )
        for i in np.flatnonzero(ok)
    ]
    calcs_out, clusters = cluster_calcifications(calcs, spacing_mm=spacing, config=cfg)
    score = clusters[0].score if clusters else 0.0
    tick("cluster")
    rejected = {r: int((cand.reason == r).sum()) for r in REJECT_REASONS}
    return ImageResult(
        calcifications=calcs_out,
        clusters=clusters,
        score=float(score),
        flag=bool(clusters) and score >= cfg.image_threshold,
        breast_area_mm2=mask.area_mm2,
        n_candidates=len(cand),
        rejected=rejected,
        timings_s=timings,
    )


def detect_mammogram(mammogram: Mammogram, *, config: DetectorConfig | None = None) -> ImageResult:
    """:func:`detect` on a :class:`~calcdetect.results.Mammogram` (pixels, spacing, view)."""
    return detect(mammogram.pixels, spacing_mm=mammogram.spacing_mm, view=mammogram.view, config=config)


def patient_flag(image_results: Iterable[ImageResult]) -> bool:
    """A patient is positive when any of their images is positive."""
    return any(r.flag for r in image_results)
