"""FROC and ROC curves from scored, already matched detections.

Pure functions on arrays: matching (which detection is a true positive) is
:mod:`calcdetect.evaluation.match`'s job; here a detection is a score plus an outcome.

Why hand-written: scikit-learn is not a dependency of this project, and the
two formulas needed are short.  The ROC AUC is the Mann–Whitney U statistic
divided by ``n_pos * n_neg`` (ties count one half), computed with
:func:`scipy.stats.mannwhitneyu`, which is exactly the area under the
empirical ROC curve; FROC curves are a cumulative count over detections
sorted by score, which no installed library provides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = [
    "FrocCurve",
    "RocCurve",
    "OperatingPoint",
    "froc_curve",
    "roc_curve",
    "roc_auc",
    "operating_point",
]


@dataclass(frozen=True, eq=False)
class FrocCurve:
    """Free-response ROC: sensitivity against false positives per image.

    One point per distinct score threshold, from the strictest (nothing
    detected: the first point is ``(0, 0)`` at ``+inf``) to the loosest (every
    detection kept).  Both axes are non-decreasing along the arrays.

    Attributes
    ----------
    fp_per_image : ndarray of float
        False-positive detections above the threshold, divided by ``n_images``.
    sensitivity : ndarray of float
        Fraction of the ``n_truth`` true objects matched above the threshold.
    thresholds : ndarray of float
        Score threshold of each point (a detection counts when
        ``score >= threshold``).
    n_truth : int
        Number of true objects (the denominator of sensitivity).
    n_images : int
        Number of images (the denominator of ``fp_per_image``).
    breast_area_cm2 : float
        Total breast area of those images, for :attr:`fp_per_cm2`; NaN when
        unknown.
    """

    fp_per_image: np.ndarray
    sensitivity: np.ndarray
    thresholds: np.ndarray
    n_truth: int
    n_images: int
    breast_area_cm2: float = math.nan

    @property
    def n_fp(self) -> np.ndarray:
        """False positives above each threshold (counts)."""
        return np.rint(self.fp_per_image * self.n_images).astype(int)

    @property
    def fp_per_cm2(self) -> np.ndarray:
        """False positives per cm² of breast above each threshold."""
        return self.n_fp / self.breast_area_cm2

    def sensitivity_at(self, fp_per_image: float) -> float:
        """Best sensitivity reached with at most ``fp_per_image`` false positives per image.

        Returns NaN when there is no true object to find.
        """
        if self.n_truth == 0:
            return math.nan
        ok = self.fp_per_image <= fp_per_image + 1e-12
        return float(self.sensitivity[ok].max())

    def sensitivity_at_fp_per_cm2(self, fp_per_cm2: float) -> float:
        """Best sensitivity reached with at most ``fp_per_cm2`` false positives per cm² of breast."""
        if self.n_truth == 0 or not self.breast_area_cm2 > 0:
            return math.nan
        ok = self.fp_per_cm2 <= fp_per_cm2 + 1e-12
        return float(self.sensitivity[ok].max())

    def threshold_at(self, fp_per_image: float) -> float:
        """Loosest threshold keeping false positives per image at or under ``fp_per_image``."""
        ok = np.flatnonzero(self.fp_per_image <= fp_per_image + 1e-12)
        return float(self.thresholds[ok[-1]])


@dataclass(frozen=True, eq=False)
class RocCurve:
    """Empirical ROC curve and its area.

    ``fpr``/``tpr`` start at ``(0, 0)`` (threshold ``+inf``) and end at
    ``(1, 1)``; a case is called positive when ``score >= threshold``.
    """

    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray
    auc: float
    n_positive: int
    n_negative: int


@dataclass(frozen=True)
class OperatingPoint:
    """Confusion counts of yes/no decisions against the truth."""

    n_tp: int
    n_fp: int
    n_tn: int
    n_fn: int

    @property
    def n(self) -> int:
        return self.n_tp + self.n_fp + self.n_tn + self.n_fn

    @property
    def sensitivity(self) -> float:
        d = self.n_tp + self.n_fn
        return self.n_tp / d if d else math.nan

    @property
    def specificity(self) -> float:
        d = self.n_tn + self.n_fp
        return self.n_tn / d if d else math.nan

    @property
    def accuracy(self) -> float:
        return (self.n_tp + self.n_tn) / self.n if self.n else math.nan

    def to_dict(self) -> dict[str, float]:
        return {
            "n_tp": self.n_tp,
            "n_fp": self.n_fp,
            "n_tn": self.n_tn,
            "n_fn": self.n_fn,
            "sensitivity": self.sensitivity,
            "specificity": self.specificity,
            "accuracy": self.accuracy,
        }


def froc_curve(
    scores: np.ndarray,
    is_tp: np.ndarray,
    *,
    is_fp: np.ndarray | None = None,
    n_truth: int,
    n_images: int,
    breast_area_cm2: float = math.nan,
) -> FrocCurve:
    """FROC curve from scored detections whose outcome is already known.

    The matching must be *prefix-consistent*: the outcome of a detection may
    not change when weaker detections are dropped.  Greedy matching in order
    of decreasing score (:mod:`calcdetect.evaluation.match`) has this property, so one
    pass over the sorted detections gives every point of the curve.

    Parameters
    ----------
    scores : array of float, shape (n,)
        Score of each detection (higher = more confident).
    is_tp : array of bool, shape (n,)
        Detection matched a true object that counts for this curve.
    is_fp : array of bool, shape (n,), optional
        Detection is a false positive.  Default: ``~is_tp``.  Pass it to leave
        some detections out of both counts (e.g. hits on true calcifications
        smaller than the size of interest).
    n_truth : int
        True objects to find (sensitivity denominator).
    n_images : int
        Images scored (FP-per-image denominator); must be positive.
    breast_area_cm2 : float, optional
        Total breast area, for false positives per cm².

    Returns
    -------
    FrocCurve

    Examples
    --------
    >>> c = froc_curve([0.9, 0.8, 0.3], [True, False, True], n_truth=2, n_images=2)
    >>> c.fp_per_image.tolist(), c.sensitivity.tolist()
    ([0.0, 0.0, 0.5, 0.5], [0.0, 0.5, 0.5, 1.0])
    """
    scores = np.asarray(scores, dtype=float)
    is_tp = np.asarray(is_tp, dtype=bool)
    is_fp = ~is_tp if is_fp is None else np.asarray(is_fp, dtype=bool)
    if not (scores.shape == is_tp.shape == is_fp.shape) or scores.ndim != 1:
        raise ValueError(
            f"scores, is_tp and is_fp must be 1-D of one length, got {scores.shape}, "
            f"{is_tp.shape}, {is_fp.shape}"
        )
    if np.any(is_tp & is_fp):
        raise ValueError("a detection cannot be both a true and a false positive")
    if np.any(np.isnan(scores)):
        raise ValueError("detection scores must not be NaN")
    if n_images <= 0:
        raise ValueError(f"n_images must be positive, got {n_images}")
    if n_truth < 0 or is_tp.sum() > n_truth:
        raise ValueError(f"n_truth={n_truth} is smaller than the {int(is_tp.sum())} true positives")
    order = np.argsort(-scores, kind="stable")
    s, tp, fp = scores[order], is_tp[order], is_fp[order]
    cum_tp, cum_fp = np.cumsum(tp), np.cumsum(fp)
    # keep the last detection of each run of equal scores: a threshold keeps all ties
    last = np.r_[s[1:] != s[:-1], True] if s.size else np.zeros(0, bool)
    thresholds = np.r_[np.inf, s[last]]
    n_tp = np.r_[0, cum_tp[last]]
    n_fp = np.r_[0, cum_fp[last]]
    sens = n_tp / n_truth if n_truth else np.full(n_tp.shape, math.nan)
    return FrocCurve(
        fp_per_image=n_fp / n_images,
        sensitivity=sens.astype(float),
        thresholds=thresholds,
        n_truth=int(n_truth),
        n_images=int(n_images),
        breast_area_cm2=float(breast_area_cm2),
    )


def _split(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels, dtype=bool)
    if scores.shape != labels.shape or scores.ndim != 1:
        raise ValueError(f"scores and labels must be 1-D of one length, got {scores.shape}, {labels.shape}")
    if np.any(np.isnan(scores)):
        raise ValueError("scores must not be NaN")
    return scores, scores[labels], scores[~labels]


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the empirical ROC curve (ties count one half).

    Equal to ``U / (n_pos * n_neg)`` where U is the Mann–Whitney statistic of
    the positives' scores; NaN when either class is empty.

    Examples
    --------
    >>> roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
    0.75
    """
    _, pos, neg = _split(scores, labels)
    if pos.size == 0 or neg.size == 0:
        return math.nan
    u = stats.mannwhitneyu(pos, neg, alternative="two-sided", method="asymptotic").statistic
    return float(u) / (pos.size * neg.size)


def roc_curve(scores: np.ndarray, labels: np.ndarray) -> RocCurve:
    """Empirical ROC curve (one point per distinct score) and its AUC."""
    s_all, pos, neg = _split(scores, labels)
    labels = np.asarray(labels, dtype=bool)
    order = np.argsort(-s_all, kind="stable")
    s, y = s_all[order], labels[order]
    last = np.r_[s[1:] != s[:-1], True] if s.size else np.zeros(0, bool)
    tp = np.r_[0, np.cumsum(y)[last]]
    fp = np.r_[0, np.cumsum(~y)[last]]
    tpr = tp / pos.size if pos.size else np.full(tp.shape, math.nan)
    fpr = fp / neg.size if neg.size else np.full(fp.shape, math.nan)
    return RocCurve(
        fpr=fpr.astype(float),
        tpr=tpr.astype(float),
        thresholds=np.r_[np.inf, s[last]],
        auc=roc_auc(s_all, labels),
        n_positive=int(pos.size),
        n_negative=int(neg.size),
    )


def operating_point(flags: np.ndarray, labels: np.ndarray) -> OperatingPoint:
    """Confusion counts of boolean decisions ``flags`` against ``labels``."""
    flags = np.asarray(flags, dtype=bool)
    labels = np.asarray(labels, dtype=bool)
    if flags.shape != labels.shape:
        raise ValueError(f"flags and labels differ in shape: {flags.shape} vs {labels.shape}")
    return OperatingPoint(
        n_tp=int(np.sum(flags & labels)),
        n_fp=int(np.sum(flags & ~labels)),
        n_tn=int(np.sum(~flags & ~labels)),
        n_fn=int(np.sum(~flags & labels)),
    )
