"""Choose the detector's operating point on training phantoms.

The operating point is the SNR threshold of the candidates (from a short
list) and the image threshold on the best cluster score.  Both are chosen on
a phantom set made from *training* seeds that are recorded in the written
configuration, so that evaluation seeds can be kept apart
(``scripts/measure_detection.py`` refuses a recorded calibration seed).

Rule: for each SNR threshold, the cluster sensitivity at
``FP_PER_IMAGE`` false clusters per image (detected clusters matched to the
true ones as in :mod:`calcdetect.evaluation.scoring`, so a "cluster" that chains noise
across the breast and does not localise the lesion does not count); the best
wins, ties broken by the image-level ROC AUC, then by the higher threshold
(fewer candidates).  Image AUC alone was the rule before: it cannot see
localisation, and on full-size images it chose a threshold at which noise
peaks (1.6 per cm²) chained true clusters into breast-wide ones.  Then the
image threshold maximising Youden's J (sensitivity + specificity - 1; ties:
the higher threshold, fewer false flags), placed midway between the two
neighbouring observed scores.
"""

from __future__ import annotations

import datetime as _dt
import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from calcdetect.config import DetectorConfig
from calcdetect.detector.pipeline import detect
from calcdetect.evaluation.froc import froc_curve
from calcdetect.evaluation.match import match_clusters
from calcdetect.evaluation.truth_files import read_truth_file, truth_path_for
from calcdetect.results import ImageResult

__all__ = ["CalibrationResult", "calibrate", "choose_image_threshold", "image_auc", "cluster_outcomes", "FP_PER_IMAGE",
           "DEFAULT_SNR_THRESHOLDS"]

#: false-positive clusters per image at which the cluster sensitivity is compared (issue 4's target)
FP_PER_IMAGE = 0.1
#: candidate SNR thresholds the calibration chooses from unless told otherwise
DEFAULT_SNR_THRESHOLDS = (3.5, 4.0, 4.5, 5.0)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CalibrationResult:
    """The calibrated configuration and what it was chosen from."""

    config: DetectorConfig
    auc_by_snr: dict[float, float]
    cluster_sensitivity_by_snr: dict[float, float]
    sensitivity: float
    specificity: float
    n_images: int


def image_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """ROC AUC (Mann-Whitney, ties count one half)."""
    s, y = np.asarray(scores, float), np.asarray(labels, bool)
    pos, neg = s[y], s[~y]
    if pos.size == 0 or neg.size == 0:
        raise ValueError("calibration needs images with and without clusters")
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (pos.size * neg.size))


def choose_image_threshold(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float, float]:
    """Threshold maximising Youden's J; returns (threshold, sensitivity, specificity)."""
    s, y = np.asarray(scores, float), np.asarray(labels, bool)
    values = np.unique(s)
    best = (-2.0, 0.0, 0.0, 0.0)
    for i, v in enumerate(values):
        if v <= 0:  # score 0 means no cluster: never a positive
            continue
        flag = s >= v
        sens = float(flag[y].mean()) if y.any() else 0.0
        spec = float((~flag[~y]).mean()) if (~y).any() else 0.0
        j = sens + spec - 1
        lower = values[i - 1] if i > 0 else 0.0
        thr = 0.5 * (v + lower) if lower > 0 else v
        if j >= best[0]:  # ">=": ties go to the higher threshold
            best = (j, thr, sens, spec)
    if best[0] == -2.0:
        raise ValueError("no image has a cluster at any threshold: nothing to calibrate")
    return best[1], best[2], best[3]


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


def calibrate(
    *,
    set_seed: int,
    n: int,
    preset: str = "demo-mix",
    snr_thresholds: Sequence[float] = DEFAULT_SNR_THRESHOLDS,
    base: DetectorConfig | None = None,
    workers: int = 1,
) -> CalibrationResult:
    """Generate ``n`` training phantoms (half with clusters) and choose the
    operating point (see the module docstring).

    Parameters
    ----------
    set_seed : int
        Seed of the training set (``write_phantom_set(seed=set_seed)``); the
        image seeds are derived from it.
    n : int
        Number of images (at least 4).
    preset : str
        Phantom preset or mix.
    snr_thresholds : sequence of float
        Candidate SNR thresholds to choose from.
    base : DetectorConfig, optional
        Every other parameter (default: the built-in values).
    workers : int
        Processes used to write the phantoms.

    Returns
    -------
    CalibrationResult
    """
    from calcdetect.io import read_mammogram
    from calcdetect.phantom import write_phantom_set

    if n < 4:
        raise ValueError(f"calibration needs at least 4 images, got n={n}")
    base = base or DetectorConfig()
    configs = {float(t): base.replace(snr_threshold=float(t)) for t in snr_thresholds}
    scores: dict[float, list[float]] = {t: [] for t in configs}
    cluster_scores: dict[float, list[np.ndarray]] = {t: [] for t in configs}
    cluster_tp: dict[float, list[np.ndarray]] = {t: [] for t in configs}
    labels: list[bool] = []
    n_true_clusters = 0
    with tempfile.TemporaryDirectory(prefix="calcdetect-calibrate-") as tmp:
        paths = write_phantom_set(tmp, n=n, seed=set_seed, preset=preset, workers=workers)
        import json

        for path in paths:
            truth = read_truth_file(truth_path_for(path))
            labels.append(bool(truth["has_cluster"]))
            n_true_clusters += len(truth.get("clusters", []))
            m = read_mammogram(path)
            for t, cfg in configs.items():
                result = detect(m.pixels, spacing_mm=m.spacing_mm, view=m.view, config=cfg)
                scores[t].append(result.score)
                s_t, tp_t = cluster_outcomes(result, truth, m.spacing_mm)
                cluster_scores[t].append(s_t)
                cluster_tp[t].append(tp_t)
            log.info("%s: cluster=%s scores=%s", Path(path).name, labels[-1], [round(scores[t][-1], 2) for t in configs])
    y = np.array(labels)
    aucs = {t: image_auc(np.array(v), y) for t, v in scores.items()}
    sens = {
        t: froc_curve(np.concatenate(cluster_scores[t]), np.concatenate(cluster_tp[t]),
                      n_truth=max(n_true_clusters, 1), n_images=len(labels)).sensitivity_at(FP_PER_IMAGE)
        for t in configs
    }  # fmt: skip
    best_t = max(configs, key=lambda t: (sens[t], aucs[t], t))
    thr, sensitivity, specificity = choose_image_threshold(np.array(scores[best_t]), y)
    cfg = configs[best_t].replace(
        image_threshold=float(round(thr, 4)),
        calibration_seeds=f"set seed {set_seed}",
        calibration_date=_dt.date.today().isoformat(),
        calibration_note=(f"calcdetect calibrate: {n} phantoms, preset {preset}, write_phantom_set(seed={set_seed}); "
                          f"cluster sensitivity at {FP_PER_IMAGE:g} FP/image by SNR threshold "
                          f"{', '.join(f'{t:g}: {v:.3f}' for t, v in sens.items())}; "
                          f"image AUC {', '.join(f'{t:g}: {a:.3f}' for t, a in aucs.items())}; "
                          f"training image sensitivity {sensitivity:.3f}, specificity {specificity:.3f}"),
    )
    return CalibrationResult(cfg, aucs, sens, sensitivity, specificity, n)
