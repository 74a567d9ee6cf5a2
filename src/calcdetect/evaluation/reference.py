"""Naive baselines that the detector must beat in the same evaluation run.

* :func:`reference_detect`: the textbook pipeline of issue 4 — normalise the
  image to its own grey range, scikit-image ``white_tophat`` with a disk,
  ``blob_log``, one **global** threshold on the top-hat height, no noise
  model, no shape rejection — clustered by the detector's own rule
  (:func:`calcdetect.detector.cluster.cluster_calcifications`, at least 3 within
  1 cm²), so any difference in the cluster FROC comes from detection, not
  from grouping.  The only concession to sanity is a crude breast mask
  (largest Otsu region), so that blobs in the air or on a burned-in label are
  not counted.
* :func:`naive_pixel_scores`: the "count of bright pixels" image score of
  issue 3 (global threshold on the image's grey range, no spatial
  processing), which shows whether the phantoms are hard enough to matter.

Scores: a reference calcification's ``contrast`` (and ``snr``, there being no
noise model) is its top-hat height in units of the normalised image
(0 = 0.5th percentile, 1 = 99.5th percentile of the pixels).  Clusters depend
on which blobs pass the global threshold, so the evaluation re-clusters at
each threshold of :data:`REFERENCE_HEIGHT_THRESHOLDS`
(:func:`reference_clusters`), and an image's score is the highest threshold
at which it still has a cluster (:func:`reference_image_score`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np
from skimage.feature import blob_log
from skimage.filters import threshold_otsu
from skimage.morphology import disk, white_tophat

from calcdetect.detector.cluster import cluster_calcifications
from calcdetect.config import DetectorConfig
from calcdetect.results import Calcification, Cluster, ImageResult

__all__ = [
    "ReferenceConfig",
    "reference_detect",
    "reference_candidates",
    "reference_clusters",
    "reference_image_score",
    "REFERENCE_HEIGHT_THRESHOLDS",
    "naive_pixel_scores",
    "normalise_grey_range",
    "NAIVE_PIXEL_THRESHOLDS",
]

#: thresholds (fraction of the image's grey range) at which the naive pixel
#: score is computed; fixed a priori, the evaluation reports each and the best
NAIVE_PIXEL_THRESHOLDS: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)

#: global top-hat height thresholds (fraction of the image's grey range) swept
#: for the reference's cluster FROC and image score: 24 geometric steps from
#: 0.004 to 0.5, fixed a priori (not fitted to any phantom set)
REFERENCE_HEIGHT_THRESHOLDS: tuple[float, ...] = tuple(float(v) for v in np.geomspace(0.004, 0.5, 24))


@dataclass(frozen=True)
class ReferenceConfig:
    """Parameters of the naive reference detector (sizes in mm).

    Attributes
    ----------
    tophat_radius_mm : float
        Radius of the disk structuring element (0.5 mm: spots up to ~1 mm pass).
    min_sigma_mm, max_sigma_mm : float
        ``blob_log`` scale range; sigma = radius / sqrt(2) for calcifications
        of 0.1–0.6 mm.
    num_sigma : int
        Scales searched by ``blob_log``.
    threshold : float
        Global ``blob_log`` threshold on the scale-normalised LoG of the
        normalised top-hat image.
    candidate_percentile : float
        Top-hat pixels under this percentile of the breast's values are
        zeroed before ``blob_log`` (bounds its cost; the sweep's low end).
    cluster_min_count : int
    cluster_area_mm2 : float
        The cluster rule, as in :class:`~calcdetect.config.DetectorConfig`.
    image_threshold : float
        Global top-hat height threshold of :func:`reference_detect` (its
        operating point; the evaluation sweeps it instead).
    max_blobs : int
        Strongest blobs kept per image (bounds time and memory on noise).
    engine : {"skimage", "opencv"}
        Which library computes the disk top-hat.  Both compute the same flat
        grey opening with the same disk and reflected borders (a test checks
        they agree); OpenCV is tens of times faster, which is what lets a
        200-phantom evaluation run on two cores.
    """

    tophat_radius_mm: float = 0.5
    min_sigma_mm: float = 0.035
    max_sigma_mm: float = 0.25
    num_sigma: int = 5
    threshold: float = 0.001
    candidate_percentile: float = 99.0
    cluster_min_count: int = 3
    cluster_area_mm2: float = 100.0
    image_threshold: float = 0.05
    max_blobs: int = 5000
    engine: str = "skimage"

    def __post_init__(self) -> None:
        if self.engine not in ("skimage", "opencv"):
            raise ValueError(f"engine must be 'skimage' or 'opencv', got {self.engine!r}")
        if not (self.tophat_radius_mm > 0 and 0 < self.min_sigma_mm <= self.max_sigma_mm):
            raise ValueError("tophat_radius_mm and 0 < min_sigma_mm <= max_sigma_mm are required")


def normalise_grey_range(pixels: np.ndarray, *, low_pct: float = 0.5, high_pct: float = 99.5) -> np.ndarray:
    """Map the image's ``low_pct``..``high_pct`` percentiles to 0..1 (float32, not clipped)."""
    img = np.asarray(pixels, dtype=np.float32)
    lo, hi = np.percentile(img, [low_pct, high_pct])
    scale = float(hi - lo) if hi > lo else 1.0
    return (img - np.float32(lo)) / np.float32(scale)


def _largest_component(mask: np.ndarray) -> np.ndarray:
    """The largest connected region (the breast; burned-in labels are separate islands)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return mask
    return labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))


def _tophat(img: np.ndarray, radius_px: int, engine: str) -> np.ndarray:
    fp = disk(radius_px)
    if engine == "opencv":
        return cv2.morphologyEx(img, cv2.MORPH_TOPHAT, fp.astype(np.uint8), borderType=cv2.BORDER_REFLECT)
    return white_tophat(img, fp, mode="reflect")


def reference_candidates(
    pixels: np.ndarray,
    *,
    spacing_mm: tuple[float, float],
    config: ReferenceConfig | None = None,
) -> tuple[tuple[Calcification, ...], float]:
    """Every blob of the naive pipeline at its base threshold, strongest first.

    Returns
    -------
    calcifications : tuple of Calcification
        At most ``config.max_blobs``, by decreasing top-hat height
        (``contrast == snr ==`` height), ``cluster_id`` -1.
    breast_area_mm2 : float
        Area of the Otsu mask.
    """
    cfg = config or ReferenceConfig()
    sr, sc = (float(v) for v in spacing_mm)
    sp = math.sqrt(sr * sc)
    img = normalise_grey_range(pixels)
    step = (max(1, img.shape[0] // 512), max(1, img.shape[1] // 512))
    mask = _largest_component(img > threshold_otsu(img[:: step[0], :: step[1]]))
    radius_px = max(1, int(round(cfg.tophat_radius_mm / sp)))
    th = _tophat(img, radius_px, cfg.engine)
    th[~mask] = 0.0
    if mask.any():
        # tractability, not a noise model: on textured images blob_log finds
        # ~10^5 maxima and its pairwise pruning takes minutes, so only the
        # brightest top-hat pixels (a fixed share of the breast) enter it,
        # as the detector caps its candidates
        floor = float(np.percentile(th[mask], cfg.candidate_percentile))
        th[th < floor] = 0.0
    min_sigma = max(0.5, cfg.min_sigma_mm / sp)
    max_sigma = max(min_sigma, cfg.max_sigma_mm / sp)
    blobs = blob_log(
        th, min_sigma=min_sigma, max_sigma=max_sigma, num_sigma=cfg.num_sigma, threshold=cfg.threshold,
        exclude_border=False,
    )  # fmt: skip
    heights = th[blobs[:, 0].astype(int), blobs[:, 1].astype(int)] if len(blobs) else np.zeros(0)
    order = np.argsort(-heights, kind="stable")[: cfg.max_blobs]
    calcs = tuple(
        Calcification(
            row_px=float(blobs[i, 0]), col_px=float(blobs[i, 1]),
            diameter_mm=float(2 * math.sqrt(2) * blobs[i, 2] * sp),
            contrast=float(heights[i]), snr=float(heights[i]),
        )
        for i in order
    )  # fmt: skip
    return calcs, float(mask.sum()) * sr * sc


def reference_clusters(
    calcifications: tuple[Calcification, ...],
    *,
    spacing_mm: tuple[float, float],
    height_threshold: float,
    config: ReferenceConfig | None = None,
) -> tuple[tuple[Calcification, ...], tuple[Cluster, ...]]:
    """Keep the blobs at or above one global height threshold and cluster them.

    The clusters depend on the threshold (weaker blobs can join or bridge
    groups), so a FROC of the naive detector re-clusters at every threshold
    of its sweep instead of thresholding one set of cluster scores.  Each
    cluster's score is the ``cluster_min_count``-th largest member height.
    """
    cfg = config or ReferenceConfig()
    kept = [c for c in calcifications if c.contrast >= height_threshold]
    rule = replace(DetectorConfig(), cluster_min_count=cfg.cluster_min_count, cluster_area_mm2=cfg.cluster_area_mm2)
    calcs_out, clusters = cluster_calcifications(kept, spacing_mm=spacing_mm, config=rule,
                                                 member_scores=np.array([c.snr for c in kept]))
    k = cfg.cluster_min_count
    rescored = []
    for cl in clusters:
        heights = sorted((c.contrast for c in calcs_out if c.cluster_id == cl.cluster_id), reverse=True)
        rescored.append(replace(cl, score=float(heights[min(k, len(heights)) - 1])))
    rescored.sort(key=lambda cl: (-cl.score, cl.row_px, cl.col_px))
    renumber = {cl.cluster_id: i for i, cl in enumerate(rescored)}
    clusters_out = tuple(replace(cl, cluster_id=renumber[cl.cluster_id]) for cl in rescored)
    calcs_final = tuple(replace(c, cluster_id=renumber[c.cluster_id]) if c.cluster_id >= 0 else c for c in calcs_out)
    return calcs_final, clusters_out


def reference_image_score(
    calcifications: tuple[Calcification, ...],
    *,
    spacing_mm: tuple[float, float],
    thresholds: tuple[float, ...] = REFERENCE_HEIGHT_THRESHOLDS,
    config: ReferenceConfig | None = None,
) -> float:
    """Highest global height threshold of ``thresholds`` at which the image still has a cluster (0 if none)."""
    for t in sorted(thresholds, reverse=True):
        if reference_clusters(calcifications, spacing_mm=spacing_mm, height_threshold=t, config=config)[1]:
            return float(t)
    return 0.0


def reference_detect(
    pixels: np.ndarray,
    *,
    spacing_mm: tuple[float, float],
    config: ReferenceConfig | None = None,
) -> ImageResult:
    """Naive detection at the operating threshold ``config.image_threshold``.

    Parameters
    ----------
    pixels : ndarray (rows, cols)
        Denser = brighter, as :func:`calcdetect.io.read_mammogram` returns.
    spacing_mm : (float, float)
    config : ReferenceConfig, optional

    Returns
    -------
    ImageResult
        Blobs at or above the threshold, clusters among them, score = best
        cluster score, flag when there is a cluster.
    """
    cfg = config or ReferenceConfig()
    calcs, area = reference_candidates(pixels, spacing_mm=spacing_mm, config=cfg)
    calcs_out, clusters = reference_clusters(
        calcs, spacing_mm=spacing_mm, height_threshold=cfg.image_threshold, config=cfg
    )
    score = clusters[0].score if clusters else 0.0
    return ImageResult(
        calcifications=calcs_out, clusters=clusters, score=float(score), flag=bool(clusters), breast_area_mm2=area
    )


def naive_pixel_scores(
    pixels: np.ndarray, *, thresholds: tuple[float, ...] = NAIVE_PIXEL_THRESHOLDS
) -> np.ndarray:
    """Count of bright pixels, the crudest image score (issue 3).

    Pixels are scaled to the image's grey range (min 0, max 1) and those above
    each global threshold are counted.

    Returns
    -------
    ndarray of int, shape (len(thresholds),)
    """
    img = np.asarray(pixels, dtype=np.float32)
    lo, hi = float(img.min()), float(img.max())
    scaled = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
    return np.array([int(np.count_nonzero(scaled > t)) for t in thresholds])
