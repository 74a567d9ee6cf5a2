"""Choose the detector's operating point: the image threshold on the best cluster score.

One rule, two sources of false clusters:

* **on a site's own normal exams** (``calcdetect calibrate --normals DIR``): no
  truth is needed -- every cluster the detector finds on a normal image is a
  false one, so the threshold is set where ``fp_per_image`` false clusters
  per image remain.  This is what a site does when it brings a new vendor,
  processing or film scanner: the classifier's probabilities are not
  re-learned, only the point where they become a flag.
* **on training phantoms** (``calcdetect calibrate --seed S``): clusters that
  do not localise a true cluster (matched as in
  :mod:`calcdetect.evaluation.scoring`) are the false ones; the threshold is
  set the same way, and the sensitivity it leaves is reported.  The seeds are
  recorded in the configuration so evaluation seeds stay apart.  With
  ``per_preset`` each model's threshold is the highest of its presets' (the
  rule the shipped thresholds follow: every vendor-like preset at most
  ``fp_per_image``, not only their pool).

The threshold lies midway between the score of the last false cluster
allowed and the next one, so ties and rounding do not move the rate.

Each false-positive model has its own operating point (``image_threshold``
for ``fp_model``, ``image_threshold_coarse`` for ``fp_model_coarse``,
:func:`calcdetect.detector.fp_model.threshold_for`), chosen on every image the
model scored, and images taken for scanned screen-film have their own pair (the
``_film`` twins), chosen on the film images alone at their own rate of false
clusters (``film_fp_per_image``, by default half: issue 18 allows 5 % of normal
films flagged, issue 12 10 % of digital patients) and never below the first
pair.  A threshold no image chose keeps the base configuration's (a film twin
raised to its new general threshold where that is higher).
"""

from __future__ import annotations

import datetime as _dt
import logging
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from calcdetect.config import DetectorConfig
from calcdetect.detector.fp_model import THRESHOLD_FIELD
from calcdetect.detector.pipeline import detect
from calcdetect.evaluation.match import match_clusters
from calcdetect.results import ImageResult

__all__ = ["CalibrationResult", "threshold_for_fp_rate", "cluster_outcomes", "calibrate_on_normals",
           "calibrate_on_phantoms", "calibrate_on_phantom_sets", "FP_PER_IMAGE", "FILM_FP_PER_IMAGE"]

#: false clusters per image at the operating point (issue 12's target)
FP_PER_IMAGE = 0.1
#: ... on images taken for scanned screen-film (issue 18: at most 5 % of normal films flagged)
FILM_FP_PER_IMAGE = 0.05

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CalibrationResult:
    """The calibrated configuration and what it was chosen from.

    ``sensitivity`` is the share of true clusters found at the threshold
    (NaN on normals, which have none); ``false_clusters_per_image`` and
    ``flagged_fraction`` are on the images that were calibrated on.
    """

    config: DetectorConfig
    n_images: int
    n_false_clusters: int
    false_clusters_per_image: float
    flagged_fraction: float
    sensitivity: float


def threshold_for_fp_rate(false_scores: np.ndarray, n_images: int, fp_per_image: float) -> float:
    """The lowest threshold that leaves at most ``fp_per_image * n_images`` false clusters.

    Examples
    --------
    >>> threshold_for_fp_rate(np.array([0.9, 0.8, 0.3, 0.2]), 20, 0.1)  # 2 allowed
    0.55
    >>> threshold_for_fp_rate(np.array([0.9]), 20, 0.1)  # fewer than allowed: the lowest
    0.0
    """
    if n_images <= 0:
        raise ValueError(f"n_images must be positive, got {n_images!r}")
    if not fp_per_image >= 0:
        raise ValueError(f"fp_per_image must be >= 0, got {fp_per_image!r}")
    scores = np.sort(np.asarray(false_scores, float))[::-1]
    allowed = int(math.floor(fp_per_image * n_images + 1e-9))
    if scores.size <= allowed:
        return 0.0
    above = scores[allowed - 1] if allowed > 0 else None
    below = scores[allowed]
    if above is None:
        return float(np.nextafter(below, np.inf))
    return float(round(0.5 * (above + below), 6)) if above > below else float(np.nextafter(below, np.inf))


def cluster_outcomes(result: ImageResult, truth: dict, spacing_mm: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Scores of an image's detected clusters and whether each found a true cluster.

    Parameters
    ----------
    result : ImageResult
    truth : dict
        The phantom's truth document (``clusters[*].hull_rc``).
    spacing_mm : (float, float)

    Returns
    -------
    scores, is_tp : ndarray
    """
    clusters = result.clusters
    scores = np.array([c.score for c in clusters], float)
    hulls = [np.asarray(k.get("hull_rc") or [[k["row"], k["col"]]], float).reshape(-1, 2)
             for k in truth.get("clusters", [])]
    if not clusters or not hulls:
        return scores, np.zeros(len(clusters), bool)
    m = match_clusters(
        np.array([[c.row_px, c.col_px] for c in clusters], float),
        np.array([c.bbox_px for c in clusters], float),
        scores, hulls, spacing_mm=spacing_mm,
    )  # fmt: skip
    return scores, m.truth_index >= 0


@dataclass(frozen=True)
class _ModelGroup:
    """The false cluster scores of the images one model scored (``film``: those of them taken for
    scanned film), and the threshold they give at ``fp_per_image`` (``decided_by``: the preset
    whose threshold it is, when chosen per preset)."""

    coarse: bool
    film: bool
    fp_per_image: float
    n_images: int
    false_scores: np.ndarray
    threshold: float
    decided_by: str = ""

    @property
    def field(self) -> str:
        return THRESHOLD_FIELD[self.coarse, self.film]

    @property
    def n_false(self) -> int:
        return int((self.false_scores >= self.threshold).sum())

    def describe(self) -> str:
        by = f", {self.decided_by} decides" if self.decided_by else ""
        return (f"{self.field} {self.threshold:g} from {self.n_images} images "
                f"({self.n_false} false clusters at {self.fp_per_image:g}/image allowed{by})")


def _per_model(false_scores: Sequence[np.ndarray], results: Sequence[ImageResult], fp_per_image: float,
               film_fp_per_image: float, presets: Sequence[str] | None = None) -> list[_ModelGroup]:
    """Per model (``ImageResult.coarse_model``), the threshold of every image it scored at
    ``fp_per_image``, and that of the images taken for scanned film among them
    (``ImageResult.digitised_film``) at ``film_fp_per_image``, never below the first: a film
    whose header does not say so is read at the first, so film can be held stricter, not looser.
    Groups with no image are left out; with ``presets`` (one per image), a group's threshold is
    the highest of its presets'."""
    groups = []
    for is_coarse in (False, True):
        mine = [i for i, r in enumerate(results) if r.coarse_model == is_coarse]
        if not mine:
            continue
        every = _group(false_scores, mine, is_coarse, False, fp_per_image, presets)
        groups.append(every)
        films = [i for i in mine if results[i].digitised_film]
        if films:
            film = _group(false_scores, films, is_coarse, True, film_fp_per_image, presets)
            if film.threshold < every.threshold:
                film = replace(film, threshold=every.threshold, decided_by=f"{every.field}, its floor")
            groups.append(film)
    return groups


def _group(false_scores: Sequence[np.ndarray], mine: Sequence[int], coarse: bool, film: bool, rate: float,
           presets: Sequence[str] | None) -> _ModelGroup:
    """The threshold of the images ``mine`` at ``rate`` false clusters per image (with ``presets``:
    the highest of each preset's)."""
    scores = np.concatenate([false_scores[i] for i in mine])
    if presets is None:
        return _ModelGroup(coarse, film, rate, len(mine), scores, threshold_for_fp_rate(scores, len(mine), rate))
    by_preset: dict[str, list[int]] = {}
    for i in mine:
        by_preset.setdefault(presets[i], []).append(i)
    per = {name: threshold_for_fp_rate(np.concatenate([false_scores[i] for i in idx]), len(idx), rate)
           for name, idx in sorted(by_preset.items())}
    decider = max(per, key=per.__getitem__)
    return _ModelGroup(coarse, film, rate, len(mine), scores, per[decider],
                       f"{decider or 'no preset'} ({len(by_preset[decider])} images)")


def _with_thresholds(base: DetectorConfig, groups: list[_ModelGroup], seeds: str, note: str) -> DetectorConfig:
    """``base`` with the groups' thresholds; a film twin no film image chose keeps ``base``'s, raised
    to the new general threshold where that is higher (film is never held looser than any image;
    a twin the groups chose is floored already, :func:`_per_model`)."""
    changes = {g.field: float(g.threshold) for g in groups}
    for coarse in (False, True):
        general, film = THRESHOLD_FIELD[coarse, False], THRESHOLD_FIELD[coarse, True]
        if general in changes:
            changes[film] = max(changes.get(film, getattr(base, film)), changes[general])
    return base.replace(**changes, calibration_seeds=seeds, calibration_date=_dt.date.today().isoformat(),
                        calibration_note=note)


def _threshold_of(result: ImageResult, config: DetectorConfig) -> float:
    """The threshold ``config`` holds for the model and image family of ``result``."""
    return getattr(config, THRESHOLD_FIELD[result.coarse_model, result.digitised_film])


def _false_kept(false_scores: Sequence[np.ndarray], results: Sequence[ImageResult], config: DetectorConfig) -> int:
    """False clusters at or above the threshold that applies to each image in ``config``."""
    return sum(int((f >= _threshold_of(r, config)).sum()) for f, r in zip(false_scores, results))


def _flagged(results: Sequence[ImageResult], config: DetectorConfig) -> float:
    """Share of ``results`` whose best cluster reaches its threshold in ``config``."""
    if not results:
        return 0.0
    return float(np.mean([bool(r.clusters) and r.score >= _threshold_of(r, config) for r in results]))


def calibrate_on_normals(results: Iterable[ImageResult], *, fp_per_image: float = FP_PER_IMAGE,
                         film_fp_per_image: float = FILM_FP_PER_IMAGE, base: DetectorConfig | None = None,
                         source: str = "") -> CalibrationResult:
    """Thresholds from detections on normal images (every cluster is a false one).

    Parameters
    ----------
    results : iterable of ImageResult
        The detector's results on normal exams, at the configuration ``base``.
        Each model's threshold is chosen on the images it scored
        (``ImageResult.coarse_model``), its film twin on those of them taken
        for scanned film (``ImageResult.digitised_film``); a threshold no
        image chose keeps ``base``'s.
    fp_per_image : float
        False clusters per image allowed over every image.
    film_fp_per_image : float
        ... over the images taken for scanned film.
    base : DetectorConfig, optional
    source : str
        Where the normals came from (recorded in the configuration).
    """
    base = base or DetectorConfig.default()
    results = list(results)
    if not results:
        raise ValueError("no normal image was analysed: nothing to calibrate on")
    false_scores = [np.array([c.score for c in r.clusters], float) for r in results]
    groups = _per_model(false_scores, results, fp_per_image, film_fp_per_image)
    note = (f"calcdetect calibrate --normals: {len(results)} normal images ({source}); "
            + "; ".join(g.describe() for g in groups))
    cfg = _with_thresholds(base, groups, f"normals {source}", note)
    n_false = _false_kept(false_scores, results, cfg)
    return CalibrationResult(cfg, len(results), n_false, n_false / len(results), _flagged(results, cfg),
                             float("nan"))


def calibrate_on_phantoms(paths: Sequence[str | os.PathLike], *, fp_per_image: float = FP_PER_IMAGE,
                          film_fp_per_image: float = FILM_FP_PER_IMAGE, base: DetectorConfig | None = None,
                          seeds: str = "", resample_mm: Sequence[float | None] = (None,),
                          per_preset: bool = False) -> CalibrationResult:
    """Thresholds from detections on phantoms with truth, at each resolution in ``resample_mm``
    (each model's and image family's from the images it scored; ``per_preset``: the highest of its
    presets')."""
    return calibrate_on_phantom_sets([(paths, resample_mm)], fp_per_image=fp_per_image,
                                     film_fp_per_image=film_fp_per_image, base=base, seeds=seeds,
                                     per_preset=per_preset)


def calibrate_on_phantom_sets(sets: Sequence[tuple[Sequence[str | os.PathLike], Sequence[float | None]]], *,
                              fp_per_image: float = FP_PER_IMAGE, film_fp_per_image: float = FILM_FP_PER_IMAGE,
                              base: DetectorConfig | None = None, seeds: str = "",
                              per_preset: bool = False) -> CalibrationResult:
    """:func:`calibrate_on_phantoms` on several phantom sets, each with its own resolutions.

    Parameters
    ----------
    sets : sequence of (paths, resample_mm)
        The phantom files of each set and the pixel sizes (mm; None: as made) each is read at,
        e.g. a digital set at ``(None, 0.2)`` and a film set at ``(None,)``.
    fp_per_image : float
        False clusters per image allowed over every image.
    film_fp_per_image : float
        ... over the images taken for scanned film (:func:`calcdetect.detector.pipeline.treated_as_film`).
    base : DetectorConfig, optional
    seeds : str
        What the sets were made from (recorded as ``calibration_seeds``).
    per_preset : bool
        Each model's threshold is the highest of the thresholds of each preset's images (the
        truth's ``preset``) instead of the threshold of all its images together.
    """
    from calcdetect.learning.dataset import read_phantom, read_phantom_at

    base = base or DetectorConfig.default()
    false_scores: list[np.ndarray] = []
    true_scores: list[tuple[np.ndarray, int]] = []  # per image: TP cluster scores, true clusters
    presets: list[str] = []
    results: list[ImageResult] = []
    negatives: list[ImageResult] = []
    for paths, resample_mm in sets:
        for path in paths:
            native = read_phantom(path)  # read once, area-averaged to each resolution
            for target in resample_mm:
                image = read_phantom_at(native, target)
                pixels, spacing, truth = image.pixels, image.spacing_mm, image.truth
                result = detect(pixels, spacing_mm=spacing, view=image.view, config=base,
                                digitised_film=image.digitised_film)
                scores, is_tp = cluster_outcomes(result, truth, spacing)
                false_scores.append(scores[~is_tp])
                true_scores.append((scores[is_tp], len(truth.get("clusters", []))))
                presets.append(str(truth.get("preset", "")))
                results.append(result)
                if not truth.get("clusters"):
                    negatives.append(result)
    n_images = len(false_scores)
    if n_images == 0:
        raise ValueError("no phantom was analysed: nothing to calibrate on")
    groups = _per_model(false_scores, results, fp_per_image, film_fp_per_image, presets if per_preset else None)
    cfg = _with_thresholds(base, groups, seeds, "")
    n_true = sum(n for _, n in true_scores)
    found = sum(min(int((tp >= _threshold_of(r, cfg)).sum()), n) for (tp, n), r in zip(true_scores, results))
    sens = found / n_true if n_true else float("nan")
    n_false = _false_kept(false_scores, results, cfg)
    plan = ", ".join(f"{len(paths)} phantoms x resolutions {list(resample_mm)}" for paths, resample_mm in sets)
    rule = "per preset, the highest kept" if per_preset else "all images of a model together"
    note = (f"calcdetect calibrate: {plan} ({seeds}; {rule}); "
            + "; ".join(g.describe() for g in groups) + f"; true-cluster sensitivity {sens:.3f}")
    cfg = cfg.replace(calibration_note=note)
    return CalibrationResult(cfg, n_images, n_false, n_false / n_images, _flagged(negatives, cfg), sens)


def read_normals(folder: str | os.PathLike) -> Iterable[tuple[Path, object]]:
    """Every readable mammogram under ``folder`` (files that cannot be read are logged and skipped)."""
    from calcdetect.batch.discover import discover_inputs
    from calcdetect.errors import CalcdetectError
    from calcdetect.io import read_mammogram

    for item in discover_inputs(Path(folder)):
        try:
            yield Path(item.path), read_mammogram(item.path)
        except CalcdetectError as exc:
            log.warning("skipped %s: %s", item.path, exc)
