"""Score a detection run against phantom ground truth (FROC, ROC, breakdowns).

``evaluate(detections, truth)`` takes the tables of a ``calcdetect scan``
output folder (:class:`~calcdetect.evaluation.truth.Detections`) and the phantoms' ground
truth (:class:`~calcdetect.evaluation.truth.TruthSet`) and returns an
:class:`EvaluationResult`:

* FROC curves for clusters and for calcifications (all sizes, and those of at
  least ``min_diameter_mm``), with false positives per image and per cm² of
  breast;
* image- and patient-level ROC curves and AUC, and the confusion counts at
  the run's own operating point (its ``flag`` columns);
* the primary figures on *visible* clusters, subtle ones separately, hits on
  occult clusters neither counted nor penalised
  (:mod:`calcdetect.evaluation.by_visibility`); the all-cluster figures stay
  as the secondary line; on images of 0.15 mm and coarser whose truth gives each
  cluster's class at 0.2 mm (``visibility_0.2mm``), the same figures with that
  class beside them (``visibility_at_0.2mm``: a cluster visible at the phantom's
  own resolution may not be once its pixels are area-averaged);
* sensitivity by calcification size, SNR, contrast and shape, by breast
  density, vendor preset and cluster morphology, and the false-flag rate of
  each distractor kind.

Counting rules: one match per truth (:mod:`calcdetect.evaluation.match`); a detection
that only finds truths already matched by stronger detections (a duplicate) is
a false positive; a detected calcification that matches a true calcification
smaller than ``min_diameter_mm`` counts neither way in the size-restricted
curve.  A phantom missing from the scan (e.g. listed in ``errors.csv``) counts
with score ``-inf`` and no flag, and is reported in ``n_missing_images``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from calcdetect.evaluation.by_visibility import ClassFigures, class_figures, targets_issue12, visibility_summary
from calcdetect.evaluation.breakdown import all_breakdowns
from calcdetect.evaluation.froc import FrocCurve, OperatingPoint, RocCurve, operating_point, roc_curve
from calcdetect.keys import patient_key
from calcdetect.evaluation.set_matching import (ImageSet, members_distractor_kind, score_calcifications,
                                                score_clusters)
from calcdetect.evaluation.truth import Detections, TruthSet
from calcdetect.vocabulary import Flag

__all__ = ["EvaluationResult", "evaluate", "TARGETS", "FP_RATES"]

log = logging.getLogger(__name__)

#: cluster FROC read-outs (false-positive clusters per image)
FP_RATES: tuple[float, ...] = (0.05, 0.1, 0.2, 0.5, 1.0)

#: targets of issue 4: name -> (threshold, "min" | "max")
TARGETS: dict[str, tuple[float, str]] = {
    "cluster_sensitivity_at_0.1_fp_per_image": (0.97, "min"),
    "calcification_sensitivity_at_1_fp_per_cm2": (0.90, "min"),
    "image_auc": (0.99, "min"),
    "patient_accuracy": (0.97, "min"),
    "max_distractor_false_flag_rate": (0.05, "max_exclusive"),
}


@dataclass(frozen=True, eq=False)
class EvaluationResult:
    """Everything :func:`evaluate` measured.

    Tables (DataFrames) keep one row per object so any other figure can be
    derived; :meth:`summary` gives the headline numbers as plain JSON values.
    """

    n_images: int
    n_positive_images: int
    n_patients: int
    n_positive_patients: int
    n_missing_images: int
    n_extra_images: int
    #: one number, or the distinct thresholds of a run whose images had different ones
    operating_threshold: float | list[float]
    min_diameter_mm: float
    cluster_froc: FrocCurve
    calcification_froc: FrocCurve
    calcification_froc_min_size: FrocCurve
    image_roc: RocCurve
    patient_roc: RocCurve
    image_operating_point: OperatingPoint
    patient_operating_point: OperatingPoint
    patient_flag_source: str
    images: pd.DataFrame
    patients: pd.DataFrame
    cluster_matches: pd.DataFrame
    calcification_matches: pd.DataFrame
    truth_clusters: pd.DataFrame
    truth_calcifications: pd.DataFrame
    breakdowns: dict[str, pd.DataFrame] = field(default_factory=dict)
    fp_rates: tuple[float, ...] = FP_RATES
    visibility_figures: dict[str, ClassFigures] = field(default_factory=dict)
    #: the same by the class at 0.2 mm pixels (empty unless every image is 0.15 mm or coarser and
    #: every cluster's truth gives that class)
    coarse_visibility_figures: dict[str, ClassFigures] = field(default_factory=dict)

    def targets_issue12(self) -> dict[str, dict[str, object]]:
        """The issue-12 targets (visible clusters, patients) with measured values, met or not."""
        return targets_issue12(self.visibility_figures["visible"], self.images,
                               self.patient_operating_point.specificity)

    def max_distractor_false_flag_rate(self) -> float:
        d = self.breakdowns.get("distractors")
        if d is None or d.empty or d["n_images_without_cluster"].sum() == 0:
            return math.nan
        return float(d["false_flag_rate"].max())

    def targets(self) -> dict[str, dict[str, object]]:
        """Each target of issue 4 (all clusters; secondary since issue 12) with the measured value, met or not."""
        values = {
            "cluster_sensitivity_at_0.1_fp_per_image": self.cluster_froc.sensitivity_at(0.1),
            "calcification_sensitivity_at_1_fp_per_cm2": self.calcification_froc_min_size.sensitivity_at_fp_per_cm2(1.0),
            "image_auc": self.image_roc.auc,
            "patient_accuracy": self.patient_operating_point.accuracy,
            "max_distractor_false_flag_rate": self.max_distractor_false_flag_rate(),
        }
        out: dict[str, dict[str, object]] = {}
        for name, (target, kind) in TARGETS.items():
            v = values[name]
            met = None if math.isnan(v) else (v >= target if kind == "min" else v < target)
            out[name] = {"value": v, "target": target, "rule": ">=" if kind == "min" else "<", "met": met}
        return out

    def summary(self) -> dict[str, object]:
        """Headline numbers (JSON-ready apart from NaN, which writers turn into null)."""
        cf, kf = self.cluster_froc, self.calcification_froc_min_size
        n_fp_cl = int((self.cluster_matches["status"] != "tp").sum()) if len(self.cluster_matches) else 0
        return {
            "n_images": self.n_images,
            "n_positive_images": self.n_positive_images,
            "n_patients": self.n_patients,
            "n_positive_patients": self.n_positive_patients,
            "n_missing_images": self.n_missing_images,
            "n_extra_images": self.n_extra_images,
            "operating_threshold": self.operating_threshold,
            "clusters": {
                "n_truth": cf.n_truth,
                "n_detected": int(len(self.cluster_matches)),
                "n_false_positive": n_fp_cl,
                "n_duplicate": int((self.cluster_matches.get("status") == "duplicate").sum())
                if len(self.cluster_matches)
                else 0,
                "sensitivity_at_fp_per_image": {str(r): cf.sensitivity_at(r) for r in self.fp_rates},
                "max_sensitivity": float(cf.sensitivity.max()) if cf.n_truth else math.nan,
                "fp_per_image_at_max_sensitivity": float(cf.fp_per_image[-1]),
            },
            "calcifications": {
                "n_truth": self.calcification_froc.n_truth,
                "n_truth_min_size": kf.n_truth,
                "min_diameter_mm": self.min_diameter_mm,
                "breast_area_cm2": kf.breast_area_cm2,
                "sensitivity_min_size_at_fp_per_cm2": {
                    str(r): kf.sensitivity_at_fp_per_cm2(r) for r in (0.1, 0.25, 0.5, 1.0, 2.0)
                },
                "sensitivity_all_at_fp_per_image": {
                    str(r): self.calcification_froc.sensitivity_at(r) for r in (1.0, 5.0, 10.0, 50.0)
                },
                "max_sensitivity_min_size": float(kf.sensitivity.max()) if kf.n_truth else math.nan,
                "fp_per_cm2_at_max_sensitivity": float(kf.fp_per_cm2[-1]) if kf.breast_area_cm2 > 0 else math.nan,
            },
            "image": {"auc": self.image_roc.auc, **self.image_operating_point.to_dict()},
            "patient": {
                "auc": self.patient_roc.auc,
                "flag_source": self.patient_flag_source,
                **self.patient_operating_point.to_dict(),
            },
            "distractors": self.breakdowns["distractors"].to_dict(orient="records")
            if "distractors" in self.breakdowns
            else [],
            "visibility": visibility_summary(self.visibility_figures, self.truth_clusters, self.fp_rates),
            **({"visibility_at_0.2mm": {
                **visibility_summary(self.coarse_visibility_figures, _by_coarse_class(self.truth_clusters),
                                     self.fp_rates),
                "note": "clusters classed by the d' of their members in the image area-averaged to 0.2 mm "
                        "(docs/phantom-truth.md); the primary figures keep the class at the phantom's own pixel",
            }} if self.coarse_visibility_figures else {}),
            "targets": self.targets_issue12(),
            "targets_issue4": self.targets(),
        }


def _infer_threshold(images: pd.DataFrame) -> float:
    """Lowest score of a flagged image (the run's operating point as applied)."""
    flagged = images.loc[images["flag"], "score"]
    if flagged.empty:
        return math.inf
    thr = float(flagged.min())
    clash = images.loc[~images["flag"] & (images["score"] >= thr)]
    if not clash.empty:
        log.warning("%d unflagged image(s) score at or above the lowest flagged score %.4g", len(clash), thr)
    return thr


def _image_thresholds(t_img: pd.DataFrame, operating_threshold: float | None) -> pd.Series:
    """Each image's operating threshold, by SOP Instance UID: ``operating_threshold`` when given,
    else the run's own (the ``threshold`` column of images.csv: each model has its own), else the
    lowest score of a flagged image."""
    if operating_threshold is not None:
        value = float(operating_threshold)
    elif t_img.loc[t_img["scanned"], "threshold"].notna().all() and t_img["scanned"].any():
        return t_img.set_index("sop_instance_uid")["threshold"].astype(float)
    else:
        value = _infer_threshold(t_img[t_img["scanned"]])
    return pd.Series(value, index=pd.Index(t_img["sop_instance_uid"]), dtype=float)


def _as_reported(thresholds: pd.Series) -> float | list[float]:
    """The operating threshold for ``metrics.json``: one number, or the distinct ones of a run
    whose images had different thresholds."""
    values = sorted({float(v) for v in thresholds.dropna()})
    return values[0] if len(values) == 1 else values


def evaluate(
    detections: Detections,
    truth: TruthSet,
    *,
    operating_threshold: float | None = None,
    calcification_score: str = "snr",
    min_diameter_mm: float = 0.2,
    min_radius_mm: float = 0.5,
    margin_mm: float = 2.5,
    fp_rates: tuple[float, ...] = FP_RATES,
) -> EvaluationResult:
    """Score detections against ground truth.

    Parameters
    ----------
    detections : Detections
        Tables of a scan output folder.
    truth : TruthSet
        Ground truth of the phantoms scanned; only images in the truth count.
    operating_threshold : float, optional
        Image score threshold of the run's operating point, used to read the
        cluster breakdowns at that point, for every image.  Default: each
        image's own (``detections.images["threshold"]``, which the detector
        writes: each false-positive model has its own operating point), else
        the lowest score of a flagged image.  Image and patient decisions
        always come from the ``flag`` columns, i.e. what the run told its user.
    calcification_score : str
        Column of ``calcifications`` swept by the calcification FROC.
    min_diameter_mm : float
        Smallest true calcification counted in the size-restricted curve.
    min_radius_mm, margin_mm : float
        Matching tolerances (see :mod:`calcdetect.evaluation.match`).
    fp_rates : tuple of float
        Cluster FROC read-outs reported in :meth:`EvaluationResult.summary`.

    Returns
    -------
    EvaluationResult
    """
    if calcification_score not in detections.calcifications.columns:
        raise ValueError(f"calcifications table has no score column {calcification_score!r}")
    t_img, n_missing, n_extra = _image_table(detections.images, truth.images)
    thr = _image_thresholds(t_img, operating_threshold)
    images = ImageSet.of(t_img, truth.distractors)
    t_calc, c_match, calc_froc, calc_froc_big = score_calcifications(
        detections.calcifications, truth.calcifications, images, score_column=calcification_score,
        min_diameter_mm=min_diameter_mm, min_radius_mm=min_radius_mm,
    )  # fmt: skip
    t_clu, k_match, cl_froc = score_clusters(detections.clusters, truth.clusters, images, margin_mm=margin_mm)
    k_match["members_distractor_kind"] = members_distractor_kind(k_match, c_match)
    pats, source = _patient_table(t_img, detections.patients)
    t_clu, t_calc, breakdowns = all_breakdowns(t_img, t_calc, t_clu, truth.distractors, k_match, c_match, thr)
    return EvaluationResult(
        n_images=images.n_images,
        n_positive_images=int(t_img["label"].sum()),
        n_patients=len(pats),
        n_positive_patients=int(pats["label"].sum()),
        n_missing_images=n_missing,
        n_extra_images=n_extra,
        operating_threshold=_as_reported(thr),
        min_diameter_mm=min_diameter_mm,
        cluster_froc=cl_froc,
        calcification_froc=calc_froc,
        calcification_froc_min_size=calc_froc_big,
        image_roc=roc_curve(t_img["score"].to_numpy(), t_img["label"].to_numpy()),
        patient_roc=roc_curve(pats["score"].to_numpy(), pats["label"].to_numpy()),
        image_operating_point=operating_point(t_img["flag"].to_numpy(), t_img["label"].to_numpy()),
        patient_operating_point=operating_point(pats["flag"].to_numpy(bool), pats["label"].to_numpy(bool)),
        patient_flag_source=source,
        images=t_img,
        patients=pats,
        cluster_matches=k_match,
        calcification_matches=c_match,
        truth_clusters=t_clu,
        truth_calcifications=t_calc,
        breakdowns=breakdowns,
        fp_rates=tuple(fp_rates),
        visibility_figures={c: class_figures(c, t_img, pats, t_clu, k_match) for c in ("visible", "subtle")},
        coarse_visibility_figures=_coarse_class_figures(t_img, pats, t_clu, k_match),
    )


#: images at least this coarse (mm) are read by the class their clusters have at 0.2 mm too
_COARSE_FROM_MM = 0.15


def _by_coarse_class(truth_clusters: pd.DataFrame) -> pd.DataFrame:
    """The truth clusters with ``visibility`` replaced by their class at 0.2 mm pixels."""
    return truth_clusters.assign(visibility=truth_clusters["visibility_0.2mm"])


def _coarse_class_figures(t_img: pd.DataFrame, pats: pd.DataFrame, t_clu: pd.DataFrame,
                          k_match: pd.DataFrame) -> dict[str, ClassFigures]:
    """Visible and subtle figures by the class at 0.2 mm, where every image is that coarse and
    every cluster's truth gives it (else none)."""
    pixel_mm = t_img[["spacing_row_mm", "spacing_col_mm"]].min(axis=1)
    coarse = bool(len(t_img)) and bool((pixel_mm >= _COARSE_FROM_MM).all())
    known = ("visibility_0.2mm" in t_clu and bool(len(t_clu))
             and bool(t_clu["visibility_0.2mm"].astype(str).ne("").all()))
    if not (coarse and known):
        return {}
    by_coarse = _by_coarse_class(t_clu)
    return {c: class_figures(c, t_img, pats, by_coarse, k_match) for c in ("visible", "subtle")}


def _image_table(d_images: pd.DataFrame, t_images: pd.DataFrame) -> tuple[pd.DataFrame, int, int]:
    """The truth's images with the run's score, flag and patient key; and how many are missing or extra.

    An image of the truth that the run did not report scores ``-inf`` and is not flagged.
    """
    t_img = t_images.copy()
    if t_img.empty:
        raise ValueError("no ground truth: the truth set has no images")
    d_img = d_images.drop_duplicates("sop_instance_uid").set_index("sop_instance_uid")
    in_scan = t_img["sop_instance_uid"].isin(d_img.index)
    n_missing = int((~in_scan).sum())
    n_extra = int((~d_img.index.isin(t_img["sop_instance_uid"])).sum())
    if n_missing:
        log.warning("%d phantom(s) have no row in images.csv; they count as not flagged", n_missing)
    uid = t_img["sop_instance_uid"]
    t_img["label"] = t_img["has_cluster"].astype(bool)
    t_img["score"] = uid.map(d_img["score"].astype(float)).fillna(-math.inf).to_numpy()
    flag_col = d_img["flag"].astype(str).str.lower().isin((Flag.POSITIVE.value, "true", "1"))
    t_img["flag"] = uid.map(flag_col).fillna(False).astype(bool).to_numpy()
    t_img["scanned"] = in_scan.to_numpy()
    thresholds = d_img["threshold"] if "threshold" in d_img.columns else pd.Series(np.nan, index=d_img.index)
    t_img["threshold"] = uid.map(pd.to_numeric(thresholds, errors="coerce")).to_numpy(float)
    if "patient_key" in d_img.columns:
        t_img["patient_key"] = uid.map(d_img["patient_key"].astype(str))
    else:
        t_img["patient_key"] = np.nan
    fallback = t_img["patient_id"].map(patient_key)
    t_img["patient_key"] = t_img["patient_key"].fillna(fallback)
    return t_img, n_missing, n_extra


def _patient_table(t_img: pd.DataFrame, d_patients: pd.DataFrame | None) -> tuple[pd.DataFrame, str]:
    """Per patient: label, best score and flag; the flag from ``patients.csv`` where it has the patient.

    Returns the table and where its flags came from (``patient_flag_source``).
    """
    pats = (
        t_img.groupby("patient_key")
        .agg(n_images=("sop_instance_uid", "size"), label=("label", "any"), score=("score", "max"), any_flag=("flag", "any"))
        .reset_index()
    )
    source = "any image flagged"
    pats["flag"] = pats["any_flag"]
    if d_patients is not None and len(d_patients):
        p = d_patients.assign(patient_key=d_patients["patient_key"].astype(str))
        p = p.drop_duplicates("patient_key").set_index("patient_key")
        p_flag = pats["patient_key"].map(p["flag"].astype(str).str.lower().eq(Flag.POSITIVE.value))
        known = p_flag.notna()
        pats.loc[known, "flag"] = p_flag[known].astype(bool)
        source = "patients.csv" if known.all() else "patients.csv, else any image flagged"
        n_disagree = int((pats.loc[known, "flag"] != pats.loc[known, "any_flag"]).sum())
        if n_disagree:
            log.warning("patients.csv disagrees with 'any image flagged' for %d patient(s)", n_disagree)
    return pats, source
