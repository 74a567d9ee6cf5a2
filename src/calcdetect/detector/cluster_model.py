"""The cluster score: a gradient-boosted model on what a cluster's members say together.

A cluster's members are found one by one (:mod:`.fp_model` gives each a
probability); whether they make a cluster a radiologist would report depends
on them together: how many there are, how sure the best three are, how many
more are doubtful, how far they spread, whether they line up, how bright and
how large they are.  A small LightGBM model (13 features per cluster,
:data:`BASE_CLUSTER_FEATURE_NAMES`, of the :data:`CLUSTER_FEATURE_NAMES`
computed) trained on the clusters the detector finds on the training phantoms
(:mod:`calcdetect.learning.clusters`) turns these into the probability that
the cluster localises a true one.

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

from calcdetect.config import DetectorConfig
from calcdetect.detector.features import long_axis_deg

__all__ = ["CLUSTER_FEATURE_NAMES", "BASE_CLUSTER_FEATURE_NAMES", "ClusterModel", "axis_alignment",
           "cluster_feature_matrix", "calcification_cluster_features", "load_cluster_model", "member_models",
           "SHIPPED_CLUSTER_MODEL", "TOP_SUM"]

#: package resource name of the shipped cluster model
SHIPPED_CLUSTER_MODEL = "cluster_model"
#: ``DetectorConfig.cluster_model`` value for the rule without a model (the default until 2026-12-02): the sum of
#: the ``cluster_min_count`` highest member probabilities (training scores clusters with it too)
TOP_SUM = "top-sum"

#: the features of a cluster, in the order :func:`cluster_feature_matrix` computes them; a model reads
#: the ones its metadata names (the shipped model the first 13, :data:`BASE_CLUSTER_FEATURE_NAMES`)
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
    "elongation_median",  # median elongation of the members (1: round)
    "axis_alignment",  # do elongated members point along the cluster's axis (1), across it (-1), or neither (0)
)

#: the features of the cluster model shipped on 2026-12-02 (a model without ``feature_names`` reads these)
BASE_CLUSTER_FEATURE_NAMES: tuple[str, ...] = CLUSTER_FEATURE_NAMES[:13]


def _axis_deg(pts_mm: np.ndarray) -> float:
    """Direction of the positions' main axis, degrees from x (column) towards y (row)."""
    d = pts_mm - pts_mm.mean(axis=0)
    return float(long_axis_deg((d[:, 0] ** 2).mean(), (d[:, 1] ** 2).mean(), (d[:, 0] * d[:, 1]).mean()))


def axis_alignment(pts_mm: np.ndarray, elongation: np.ndarray, orientation_deg: np.ndarray) -> float:
    """How the members' long axes lie against the cluster's main axis, weighted by how elongated they are.

    The mean of ``cos(2 (theta_i - phi))`` with weights ``1 - 1 / elongation_i`` (0 for a round
    member, whose direction is noise): 1 when the elongated members point along the line of
    positions (the segments of fine linear branching calcifications in a duct), -1 across it, near
    0 for directions at random; 0 without elongated members.

    Examples
    --------
    >>> pts = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])  # a diagonal line, 45 degrees
    >>> round(axis_alignment(pts, np.array([3.0, 3.0, 1.0]), np.array([45.0, 45.0, 0.0])), 6)
    1.0
    >>> round(axis_alignment(pts, np.array([3.0, 3.0, 3.0]), np.array([-45.0, -45.0, -45.0])), 6)
    -1.0
    """
    weights = 1.0 - 1.0 / np.maximum(np.asarray(elongation, float), 1.0)
    if len(pts_mm) < 2 or weights.sum() <= 1e-9:
        return 0.0
    delta = np.radians(np.asarray(orientation_deg, float) - _axis_deg(np.asarray(pts_mm, float)))
    return float((weights * np.cos(2.0 * delta)).sum() / weights.sum())


def cluster_feature_matrix(groups: Sequence[np.ndarray], *, pts_mm: np.ndarray, probability: np.ndarray,
                           snr: np.ndarray, diameter_mm: np.ndarray, elongation: np.ndarray | None = None,
                           orientation_deg: np.ndarray | None = None) -> np.ndarray:
    """Features of each cluster (rows) in :data:`CLUSTER_FEATURE_NAMES` order.

    Parameters
    ----------
    groups : sequence of int arrays
        The member indices of each cluster (at least two members each).
    pts_mm : ndarray, shape (n, 2)
        Every calcification's (row, col) position in mm.
    probability, snr, diameter_mm : ndarray, shape (n,)
        Every calcification's classifier probability, SNR and diameter.
    elongation, orientation_deg : ndarray, shape (n,), optional
        Every calcification's elongation and long-axis direction (round, 0 degrees when not given).

    Examples
    --------
    >>> pts = np.array([[0.0, 0.0], [0.0, 1.0], [0.0, 2.0]])
    >>> m = cluster_feature_matrix([np.arange(3)], pts_mm=pts, probability=np.array([0.9, 0.5, 0.2]),
    ...                            snr=np.array([8.0, 6.0, 5.0]), diameter_mm=np.array([0.3, 0.2, 0.2]))
    >>> f = dict(zip(CLUSTER_FEATURE_NAMES, m[0].tolist()))
    >>> f["linearity"], round(f["p_top3_sum"], 3), f["count_p_half"]
    (0.0, 1.6, 2.0)
    """
    n = len(pts_mm)
    elongation = np.ones(n) if elongation is None else np.asarray(elongation, float)
    orientation_deg = np.zeros(n) if orientation_deg is None else np.asarray(orientation_deg, float)
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
                   float(np.median(diameter_mm[members])), float(np.median(elongation[members])),
                   axis_alignment(pts, elongation[members], orientation_deg[members]))
    return rows


def calcification_cluster_features(calcifications: Sequence[Any], groups: Sequence[np.ndarray], *,
                                   spacing_mm: tuple[float, float], probability: np.ndarray) -> np.ndarray:
    """:func:`cluster_feature_matrix` of detected calcifications grouped by ``groups``.

    Positions come from each calcification's ``row_px`` / ``col_px`` and ``spacing_mm``; SNR,
    diameter, elongation and direction from its ``snr``, ``diameter_mm``, ``elongation`` and
    ``orientation_deg``.  Detection and training both call this, so the
    model is trained on exactly the features it is later given.
    """
    return cluster_feature_matrix(
        groups,
        pts_mm=np.array([[c.row_px * spacing_mm[0], c.col_px * spacing_mm[1]] for c in calcifications]),
        probability=np.asarray(probability, float),
        snr=np.array([c.snr for c in calcifications]),
        diameter_mm=np.array([c.diameter_mm for c in calcifications]),
        elongation=np.array([c.elongation for c in calcifications]),
        orientation_deg=np.array([c.orientation_deg for c in calcifications]),
    )


@dataclass(frozen=True, eq=False)
class ClusterModel:
    """A trained cluster booster, its metadata (recipe, seeds, validation) and digest."""

    booster: Any
    metadata: dict
    sha256: str

    @functools.cached_property
    def columns(self) -> np.ndarray:
        """The columns of :func:`cluster_feature_matrix` this model reads, in its own order."""
        names = self.metadata.get("feature_names") or BASE_CLUSTER_FEATURE_NAMES
        return np.array([CLUSTER_FEATURE_NAMES.index(n) for n in names], np.intp)

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        """Probability that each cluster (row of ``matrix``, :data:`CLUSTER_FEATURE_NAMES`) is a true one."""
        if matrix.shape[0] == 0:
            return np.zeros(0)
        chosen = np.asarray(matrix, np.float64)[:, self.columns]
        return np.asarray(self.booster.predict(chosen, num_threads=1), dtype=np.float64)

    def describe(self) -> dict[str, object]:
        """What ``run.json`` records about the model."""
        return {"name": self.metadata.get("name", ""), "version": self.metadata.get("version", ""),
                "sha256": self.sha256, "training_seeds": self.metadata.get("training", {}).get("seeds")}


def member_models(config: DetectorConfig) -> dict[str, str]:
    """The sha256 of each false-positive model that scores the members of the clusters ``config``
    finds: what a cluster model trained on those clusters records (``training.member_models``; its
    features read the member probabilities, so another false-positive model gives other clusters)."""
    from calcdetect.detector.fp_model import SHIPPED_COARSE_MODEL, SHIPPED_MODEL, load_fp_model

    names = (SHIPPED_MODEL, SHIPPED_COARSE_MODEL)  # also the configuration's keys for them
    return {name: load_fp_model(getattr(config, name), name).sha256 for name in names}


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
    names = tuple(metadata.get("feature_names") or BASE_CLUSTER_FEATURE_NAMES)
    unknown = [n for n in names if n not in CLUSTER_FEATURE_NAMES]
    if unknown:
        raise ValueError(f"the cluster model reads {unknown}, which this version does not compute (it computes "
                         f"{list(CLUSTER_FEATURE_NAMES)}): retrain it with `calcdetect train OUT --clusters`")
    booster = lightgbm.Booster(model_str=text)
    if booster.num_feature() != len(names):
        raise ValueError(f"the cluster model reads {booster.num_feature()} features, not {len(names)}: "
                         "its .txt and .json files do not belong together")
    return ClusterModel(booster, metadata, hashlib.sha256(text.encode()).hexdigest())
