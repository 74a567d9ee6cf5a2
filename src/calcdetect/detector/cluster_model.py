"""The cluster score: a gradient-boosted model on what a cluster's members say together.

A cluster's members are found one by one (:mod:`.fp_model` gives each a
probability); whether they make a cluster a radiologist would report depends
on them together: how many there are, how sure the best three are, how many
more are doubtful, how far they spread, whether they line up, how bright and
how large they are.  A small LightGBM model (13 features per cluster,
:data:`CLUSTER_FEATURE_NAMES`) trained on the clusters the detector finds on
the training phantoms (:mod:`calcdetect.learning.clusters`) turns these into
the probability that the cluster localises a true one.

It is the default since 2026-12-02 (``DetectorConfig.cluster_model`` empty;
``"top-sum"``, the sum of the three highest member probabilities, was the
default before and is still there).  Measured three times on single fresh sets
of 200 it gained at full size but lost one or two clusters elsewhere, which
rules written before those scans did not allow (history step 13); on two more
fresh sets per reading, pooled, with paired bootstrap intervals (rule v4,
history step 14), it found more visible clusters on all three readings
(digital full size +7, 0.2 mm +2.7, film +2, mean over 0.05-0.2 false
clusters per image) and no interval reached the rule's margins.

Stored like the false-positive models: LightGBM text plus metadata
(``calcdetect/data/cluster_model.txt`` / ``.json``), recorded in ``run.json``
when used, rebuilt by ``calcdetect train OUT --clusters``.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["CLUSTER_FEATURE_NAMES", "ClusterModel", "cluster_feature_matrix", "calcification_cluster_features",
           "load_cluster_model", "SHIPPED_CLUSTER_MODEL", "TOP_SUM"]

#: package resource name of the shipped cluster model
SHIPPED_CLUSTER_MODEL = "cluster_model"
#: ``DetectorConfig.cluster_model`` value for the rule without a model (the default until 2026-12-02): the sum of
#: the ``cluster_min_count`` highest member probabilities (training scores clusters with it too)
TOP_SUM = "top-sum"

#: the features of a cluster, in the model's column order
CLUSTER_FEATURE_NAMES: tuple[str, ...] = (
    "log_count",  # log of the number of members
    "p_first", "p_second", "p_third",  # the three highest member probabilities
    "p_top3_sum",
    "p_rest_mean",  # mean probability of the members after the third (0 with three)
    "count_p_half",  # members with probability >= 0.5
    "span_mm",  # standard deviation of the members' positions along their main axis
    "linearity",  # minor / major variance of the positions (0: in a line, 1: round)
    "nearest_median_mm",  # median distance from a member to its nearest other member
    "snr_median", "snr_max",
    "diameter_median_mm",
)


def cluster_feature_matrix(groups: Sequence[np.ndarray], *, pts_mm: np.ndarray, probability: np.ndarray,
                           snr: np.ndarray, diameter_mm: np.ndarray) -> np.ndarray:
    """Features of each cluster (rows) in :data:`CLUSTER_FEATURE_NAMES` order.

    Parameters
    ----------
    groups : sequence of int arrays
        The member indices of each cluster (at least two members each).
    pts_mm : ndarray, shape (n, 2)
        Every calcification's (row, col) position in mm.
    probability, snr, diameter_mm : ndarray, shape (n,)
        Every calcification's classifier probability, SNR and diameter.

    Examples
    --------
    >>> pts = np.array([[0.0, 0.0], [0.0, 1.0], [0.0, 2.0]])
    >>> m = cluster_feature_matrix([np.arange(3)], pts_mm=pts, probability=np.array([0.9, 0.5, 0.2]),
    ...                            snr=np.array([8.0, 6.0, 5.0]), diameter_mm=np.array([0.3, 0.2, 0.2]))
    >>> f = dict(zip(CLUSTER_FEATURE_NAMES, m[0].tolist()))
    >>> f["linearity"], round(f["p_top3_sum"], 3), f["count_p_half"]
    (0.0, 1.6, 2.0)
    """
    rows = np.zeros((len(groups), len(CLUSTER_FEATURE_NAMES)))
    for i, members in enumerate(groups):
        members = np.asarray(members)
        p = np.sort(probability[members])[::-1]
        p3 = np.pad(p[:3], (0, max(0, 3 - p.size)))
        pts = pts_mm[members]
        variances = np.sort(np.linalg.eigvalsh(np.cov(pts.T)))[::-1] if len(pts) > 2 else np.ones(2)
        dist = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
        np.fill_diagonal(dist, np.inf)
        rows[i] = (np.log(p.size), p3[0], p3[1], p3[2], p3.sum(), p[3:].mean() if p.size > 3 else 0.0,
                   float((p >= 0.5).sum()), np.sqrt(max(variances[0], 0.0)),
                   variances[1] / max(variances[0], 1e-9), float(np.median(dist.min(axis=1))),
                   float(np.median(snr[members])), float(snr[members].max()),
                   float(np.median(diameter_mm[members])))
    return rows


def calcification_cluster_features(calcifications: Sequence[Any], groups: Sequence[np.ndarray], *,
                                   spacing_mm: tuple[float, float], probability: np.ndarray) -> np.ndarray:
    """:func:`cluster_feature_matrix` of detected calcifications grouped by ``groups``.

    Positions come from each calcification's ``row_px`` / ``col_px`` and ``spacing_mm``; SNR and
    diameter from its ``snr`` and ``diameter_mm``.  Detection and training both call this, so the
    model is trained on exactly the features it is later given.
    """
    return cluster_feature_matrix(
        groups,
        pts_mm=np.array([[c.row_px * spacing_mm[0], c.col_px * spacing_mm[1]] for c in calcifications]),
        probability=np.asarray(probability, float),
        snr=np.array([c.snr for c in calcifications]),
        diameter_mm=np.array([c.diameter_mm for c in calcifications]),
    )


@dataclass(frozen=True, eq=False)
class ClusterModel:
    """A trained cluster booster, its metadata (recipe, seeds, validation) and digest."""

    booster: Any
    metadata: dict
    sha256: str

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        """Probability that each cluster (row of ``matrix``, :data:`CLUSTER_FEATURE_NAMES`) is a true one."""
        if matrix.shape[0] == 0:
            return np.zeros(0)
        return np.asarray(self.booster.predict(np.asarray(matrix, np.float64), num_threads=1), dtype=np.float64)

    def describe(self) -> dict[str, object]:
        """What ``run.json`` records about the model."""
        return {"name": self.metadata.get("name", ""), "version": self.metadata.get("version", ""),
                "sha256": self.sha256, "training_seeds": self.metadata.get("training", {}).get("seeds")}


@functools.lru_cache(maxsize=4)
def load_cluster_model(path: str = "") -> ClusterModel | None:
    """The shipped cluster model (``path=""``), ``PATH.txt`` + ``PATH.json``, or None for :data:`TOP_SUM`.

    Cached per process.
    """
    if path == TOP_SUM:
        return None
    import lightgbm  # imported here: only detection needs it

    from calcdetect.detector.fp_model import read_model_files

    text, metadata = read_model_files(path, SHIPPED_CLUSTER_MODEL)
    names = tuple(metadata.get("feature_names") or CLUSTER_FEATURE_NAMES)
    if names != CLUSTER_FEATURE_NAMES:
        raise ValueError(f"the cluster model reads {list(names)}, but this version computes "
                         f"{list(CLUSTER_FEATURE_NAMES)}: retrain it with `calcdetect train OUT --clusters`")
    booster = lightgbm.Booster(model_str=text)
    if booster.num_feature() != len(names):
        raise ValueError(f"the cluster model reads {booster.num_feature()} features, not {len(names)}: "
                         "its .txt and .json files do not belong together")
    return ClusterModel(booster, metadata, hashlib.sha256(text.encode()).hexdigest())
