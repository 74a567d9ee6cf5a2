"""The detector pipeline: pixels -> candidates -> calcifications -> clusters -> image flag.

``detect`` is a pure function of the pixels, the spacing, the view and a
:class:`~calcdetect.config.DetectorConfig`; the same input always gives the
same :class:`~calcdetect.results.ImageResult`.  Stages (each timed in
``ImageResult.timings_s``):

0. ``prepare``: float32, isolated saturated pixels (detector defects) repaired;
1. ``mask``: breast, skin band, pectoral muscle on MLO (coarse grid); the search
   region's outline goes to ``ImageResult.search_outline_rc``;
2. ``noise``: the image's own noise curve sigma(I) (:mod:`.noise_model`);
3. ``scales``: Gaussian scale space and its difference-of-Gaussians levels,
   each normalised by its noise (:mod:`.responses`);
4. ``candidates``: peaks of any level above ``snr_threshold`` (:mod:`.candidates`);
5. ``tophat``: white top-hat with a ``tophat_size_mm`` square (the contrast);
6. ``features``: scale profile, contrast, size, shape, curvature, texture,
   position of every candidate, and whether the image is scanned screen-film
   (:func:`treated_as_film`) (:mod:`.features`);
7. ``classify``: probability of being a calcification (:mod:`.fp_model`: the
   coarse-pixel model where the spot filter runs);
   candidates at or above ``accept_probability`` are calcifications;
7b. ``reject``: the image's own blur (:mod:`.point_spread`) and the artefact
   tests (:mod:`.rejection`): specks sharper than that blur, scanner lines,
   scratches, vascular tram tracks are set aside with their reason;
8. ``cluster``: >= ``cluster_min_count`` within ``cluster_area_mm2``; a cluster
   scores the cluster model's probability (:mod:`.cluster_model`; with
   ``cluster_model`` ``"top-sum"``, the sum of its ``cluster_min_count`` highest
   member probabilities);
image score = best cluster score, flag = score >= the threshold of the model
that scored the image (``image_threshold``, or ``image_threshold_coarse`` at
``spot_min_spacing_mm`` and coarser; their ``_film`` twins for an image taken
for scanned screen-film, :func:`treated_as_film`).

:func:`analyse_candidates` runs stages 0-6 only: training uses it to get the
same candidates and features the detector classifies.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np

from calcdetect.config import DetectorConfig, mm_to_px
from calcdetect.detector.candidates import CandidatePeaks, find_candidates, search_box
from calcdetect.detector.cluster import cluster_calcifications
from calcdetect.detector.cluster_model import load_cluster_model
from calcdetect.detector.defects import repair_isolated_saturated
from calcdetect.detector.enhance import white_tophat_mm
from calcdetect.detector.features import (BACKGROUND_SAMPLES, FEATURE_NAMES, CandidateFeatures, candidate_features,
                                          reach_px)
from calcdetect.detector.fp_model import model_for, threshold_for
from calcdetect.detector.mask import BreastMask, breast_mask, random_search_positions, search_outline_rc
from calcdetect.detector.noise_model import NoiseCurve, fit_noise_curve
from calcdetect.detector.point_spread import NO_ESTIMATE, estimate_point_spread
from calcdetect.detector.rejection import Rejection, reject_artefacts
from calcdetect.detector.responses import blur_reach_px, scale_space
from calcdetect.detector.spot import spot_features, uses_spot_filter
from calcdetect.results import Calcification, ImageResult, Mammogram

__all__ = ["detect", "detect_mammogram", "patient_flag", "analyse_candidates", "CandidateAnalysis", "treated_as_film"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class CandidateAnalysis:
    """Everything the detector knows about an image before classifying its candidates."""

    peaks: CandidatePeaks
    features: CandidateFeatures
    mask: BreastMask
    noise: NoiseCurve | None
    spacing_mm: tuple[float, float]
    timings_s: dict[str, float] = field(default_factory=dict)
    #: the prepared image the candidates were found on (for the artefact tests)
    image: np.ndarray | None = None
    #: the noise curve's sigma on the mask's coarse grid (at its block means), as the search used it
    sigma_small: np.ndarray | None = None


class _Stopwatch:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._t0 = time.perf_counter()

    def tick(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = now - self._t0
        self._t0 = now


def _check_inputs(pixels: np.ndarray, spacing_mm: tuple[float, float]) -> tuple[np.ndarray, tuple[float, float]]:
    try:
        sr, sc = (float(v) for v in spacing_mm)
    except (TypeError, ValueError):
        raise ValueError(f"spacing_mm must be two numbers (row, col) in mm, got {spacing_mm!r}") from None
    if not (np.isfinite(sr) and np.isfinite(sc) and sr > 0 and sc > 0):
        raise ValueError(f"spacing_mm must be positive and finite, got {spacing_mm!r}")
    arr = np.asarray(pixels)
    if arr.ndim != 2 or arr.size == 0 or not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
        raise ValueError(f"pixels must be a non-empty 2-D real array, got shape {arr.shape} dtype {arr.dtype}")
    return arr, (sr, sc)


def _prepare(arr: np.ndarray) -> np.ndarray:
    image = np.ascontiguousarray(arr, dtype=np.float32)
    if not np.isfinite(image).all():  # NaN/inf would poison every filter
        image = np.nan_to_num(image, nan=0.0, posinf=0.0, neginf=0.0)
    image, n_defects = repair_isolated_saturated(image)
    if n_defects:
        log.debug("repaired %d isolated saturated pixels (detector defects)", n_defects)
    return image


def _empty(mask: BreastMask, noise: NoiseCurve | None, spacing: tuple[float, float],
           watch: _Stopwatch) -> CandidateAnalysis:
    peaks = CandidatePeaks.empty(0)
    empty = CandidateFeatures(np.zeros((0, len(FEATURE_NAMES)), np.float32), *(np.zeros(0) for _ in range(4)),
                              np.zeros(0, np.int64), np.zeros(0))
    return CandidateAnalysis(peaks, empty, mask, noise, spacing, watch.timings)


def _work_region(image: np.ndarray, mask: BreastMask, spacing: tuple[float, float],
                 cfg: DetectorConfig) -> tuple[tuple[int, int], np.ndarray]:
    """The part of the image the responses are computed on: the search region and what its
    candidates' features read, plus the reach of the blurs and the top-hat, so that every value
    used is the same as on the whole image (a third to a half of a mammogram is background)."""
    r0, r1, c0, c1 = search_box(mask, spacing_mm=spacing, config=cfg)
    if r1 <= r0 or c1 <= c0:
        return (0, 0), image
    tophat_reach = max(int(np.ceil(mm_to_px(cfg.tophat_size_mm, s))) for s in spacing) + 1
    margin = reach_px(spacing, cfg) + max(blur_reach_px(cfg, spacing), tophat_reach)
    H, W = image.shape
    r0, c0 = max(r0 - margin, 0), max(c0 - margin, 0)
    r1, c1 = min(r1 + margin, H), min(c1 + margin, W)
    return (r0, c0), image[r0:r1, c0:c1]


def analyse_candidates(
    pixels: np.ndarray,
    *,
    spacing_mm: tuple[float, float],
    view: str = "",
    config: DetectorConfig | None = None,
    digitised_film: bool = False,
) -> CandidateAnalysis:
    """Stages 0-6 of the pipeline: candidates and their features, not yet classified.

    Parameters and errors as :func:`detect`.
    """
    cfg = config if config is not None else DetectorConfig.default()
    arr, spacing = _check_inputs(pixels, spacing_mm)
    watch = _Stopwatch()
    image = _prepare(arr)
    watch.tick("prepare")
    mask = breast_mask(image, spacing_mm=spacing, view=view, config=cfg)
    watch.tick("mask")
    local_small = mask.block_mean
    valid = mask.search[: local_small.shape[0], : local_small.shape[1]]
    noise = fit_noise_curve(image, local_small, valid, factor=mask.factor)
    watch.tick("noise")
    if noise is None:
        log.info("no breast region large enough to search; nothing detected")
        return _empty(mask, None, spacing, watch)
    sigma_small = noise.sigma(local_small)

    sigma_at = partial(mask.lookup, sigma_small)
    origin, work = _work_region(image, mask, spacing, cfg)
    space = scale_space(work, spacing_mm=spacing, config=cfg, valid=mask.in_search, sigma_at=sigma_at,
                        origin=origin, full_shape=image.shape)
    watch.tick("scales")
    if space is None:
        log.info("breast region too small to measure the noise of the responses; nothing detected")
        return _empty(mask, noise, spacing, watch)
    peaks = find_candidates(space, sigma_small, mask, spacing_mm=spacing, config=cfg)
    watch.tick("candidates")
    tophat = white_tophat_mm(work, spacing_mm=spacing, size_mm=cfg.tophat_size_mm)
    watch.tick("tophat")
    spot_pair = spot_features(work, peaks.row_px, peaks.col_px, sigma=peaks.sigma, spacing_mm=spacing, config=cfg,
                              valid=mask.in_search, sigma_at=sigma_at, full_shape=image.shape, origin=origin)
    background = (random_search_positions(image.shape, mask.in_search, BACKGROUND_SAMPLES), sigma_at)
    feats = candidate_features(image, tophat, space, peaks, spacing_mm=spacing, config=cfg, spot_pair=spot_pair,
                               digitised_film=treated_as_film(digitised_film, cfg), background=background)
    watch.tick("features")
    return CandidateAnalysis(peaks, feats, mask, noise, spacing, watch.timings, image, sigma_small)


def detect(
    pixels: np.ndarray,
    *,
    spacing_mm: tuple[float, float],
    view: str = "",
    config: DetectorConfig | None = None,
    digitised_film: bool = False,
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
        Defaults to the calibrated ``DetectorConfig()``.
    digitised_film : bool, optional
        The header says the image is scanned screen-film
        (:attr:`calcdetect.results.Mammogram.digitised_film`); what counts is
        :func:`treated_as_film` (``config.image_family`` can override it).

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
    analysis = analyse_candidates(pixels, spacing_mm=spacing_mm, view=view, config=cfg,
                                  digitised_film=digitised_film)
    watch = _Stopwatch()
    timings = dict(analysis.timings_s)
    model = model_for(analysis.spacing_mm, cfg)
    probability = model.probability(analysis.features.matrix)
    watch.tick("classify")
    calcs = _calcifications(analysis, probability, cfg)
    rejection = _reject(analysis, calcs, cfg, raw=pixels)
    kept = [c for c, why in zip(calcs, rejection.reason) if not why]
    set_aside = tuple(replace(c, rejected=str(why)) for c, why in zip(calcs, rejection.reason) if why)
    watch.tick("reject")
    calcs_out, clusters = cluster_calcifications(kept, spacing_mm=analysis.spacing_mm, config=cfg,
                                                 cluster_model=load_cluster_model(cfg.cluster_model))
    score = clusters[0].score if clusters else 0.0
    film = treated_as_film(digitised_film, cfg)
    threshold = threshold_for(analysis.spacing_mm, cfg, film=film)
    watch.tick("cluster")
    timings.update(watch.timings)
    return ImageResult(
        calcifications=calcs_out,
        clusters=clusters,
        score=float(score),
        flag=bool(clusters) and score >= threshold,
        threshold=float(threshold),
        coarse_model=uses_spot_filter(analysis.spacing_mm, cfg),
        breast_area_mm2=analysis.mask.area_mm2,
        n_candidates=len(analysis.peaks),
        rejected={"classifier": int((probability < cfg.accept_probability).sum()), **rejection.counts()},
        noise_model=analysis.noise.to_dict() if analysis.noise is not None else {},
        timings_s=timings,
        rejected_calcifications=set_aside,
        point_spread=rejection.point_spread.to_dict(),
        search_outline_rc=search_outline_rc(analysis.mask),
        digitised_film=film,
    )


def treated_as_film(header_says_film: bool, config: DetectorConfig) -> bool:
    """Whether the detector treats an image as scanned screen-film: ``config.image_family``
    ``"film"`` or ``"digital"`` for every image, ``"auto"`` as its header says.

    >>> treated_as_film(True, DetectorConfig(image_family="digital"))
    False
    """
    return config.image_family == "film" or (config.image_family == "auto" and bool(header_says_film))


def _reject(analysis: CandidateAnalysis, calcs: list[Calcification], cfg: DetectorConfig, *,
            raw: np.ndarray) -> Rejection:
    """The artefact tests of :mod:`.rejection` on the accepted candidates (stage ``reject``).

    Scanner lines are looked for in the ``raw`` pixels: the defect repair of stage 0 blunts a
    saturated dead line, but the peaks it leaves along it are still on a line.
    """
    mask, noise, image = analysis.mask, analysis.noise, analysis.image
    rows = np.array([c.row_px for c in calcs], np.intp)
    cols = np.array([c.col_px for c in calcs], np.intp)
    if image is None or noise is None:
        return Rejection(reason=np.full(len(calcs), "", dtype=object), point_spread=NO_ESTIMATE)
    sigma_small = analysis.sigma_small if analysis.sigma_small is not None else noise.sigma(mask.block_mean)
    sigma_at = partial(mask.lookup, sigma_small)
    psf = estimate_point_spread(image, valid=mask.in_search, sigma_of=noise.sigma)
    return reject_artefacts(image, rows, cols, sigma=sigma_at(rows, cols), spacing_mm=analysis.spacing_mm,
                            point_spread=psf, valid=mask.in_search, sigma_at=sigma_at, config=cfg, line_image=raw,
                            line_null_rc=(analysis.peaks.row_px, analysis.peaks.col_px))


def _calcifications(analysis: CandidateAnalysis, probability: np.ndarray, cfg: DetectorConfig) -> list[Calcification]:
    peaks, feats = analysis.peaks, analysis.features
    snr = peaks.snr
    return [
        Calcification(
            row_px=float(peaks.row_px[i]), col_px=float(peaks.col_px[i]),
            diameter_mm=float(feats.diameter_mm[i]), contrast=float(feats.contrast[i]),
            snr=float(snr[i]), area_px=int(feats.area_px[i]), elongation=float(feats.elongation[i]),
            compactness=float(min(feats.fill[i], 1.0)), probability=float(probability[i]),
            orientation_deg=float(feats.orientation_deg[i]),
        )
        for i in np.flatnonzero(probability >= cfg.accept_probability)
    ]


def detect_mammogram(mammogram: Mammogram, *, config: DetectorConfig | None = None) -> ImageResult:
    """:func:`detect` on a :class:`~calcdetect.results.Mammogram` (pixels, spacing, view, and
    whether its header says film)."""
    return detect(mammogram.pixels, spacing_mm=mammogram.spacing_mm, view=mammogram.view, config=config,
                  digitised_film=mammogram.digitised_film)


def patient_flag(image_results: Iterable[ImageResult]) -> bool:
    """A patient is positive when any of their images is positive."""
    return any(r.flag for r in image_results)
