"""Figures by visibility class: what a detector is asked to find, and what it is not.

Phantom clusters carry a class (``docs/phantom-truth.md``): *visible* (at
least three members with d′ ≥ 6), *subtle* (third-strongest member
4 ≤ d′ < 6) or *occult*.  The primary figures are on visible clusters, subtle
ones are reported separately, and an occult cluster is neither to be found nor
to be punished for:

* cluster FROC of class C: a detection matching a class-C cluster is a true
  positive; one matching no cluster (or a duplicate) is a false positive; one
  matching a cluster of another class (subtle, occult, unknown) counts neither
  way.  False positives per image over all images;
* image ROC of class C: images holding a class-C cluster against images with
  no cluster; images whose clusters are all of other classes are left out;
* patients the same way (a patient is class-C positive when any of their
  images holds a class-C cluster, negative when none holds any cluster);
* per preset: the class-C cluster FROC on that preset's images.

Clusters from truth files older than the classes have class ``unknown``: they
make no class figure (the figures are then NaN and ``n_unknown`` says why).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from calcdetect.evaluation.froc import FrocCurve, OperatingPoint, RocCurve, froc_curve, operating_point, roc_curve

__all__ = ["ClassFigures", "class_figures", "TARGETS_ISSUE12", "targets_issue12", "visibility_summary"]

#: issue 12 targets: name -> (threshold, rule)
TARGETS_ISSUE12: dict[str, tuple[float, str]] = {
    "visible_cluster_sensitivity_at_0.1_fp_per_image": (0.95, ">="),
    "visible_image_auc": (0.97, ">="),
    "min_preset_visible_cluster_sensitivity_at_0.2_fp_per_image": (0.90, ">="),
    "visible_cluster_sensitivity_at_0.2_fp_per_image_at_0.2_mm": (0.85, ">="),
    "patient_specificity": (0.90, ">="),
    "patient_sensitivity_visible": (0.95, ">="),
}
#: pixel size (mm) from which a run counts as "at 0.2 mm" (digitised film)
_COARSE_MM = 0.19


@dataclass(frozen=True, eq=False)
class ClassFigures:
    """Detection figures for the clusters of one visibility class."""

    visibility: str
    n_clusters: int
    cluster_froc: FrocCurve
    image_roc: RocCurve
    image_operating_point: OperatingPoint
    patient_roc: RocCurve
    patient_operating_point: OperatingPoint
    by_preset: dict[str, FrocCurve]

    def summary(self, fp_rates: tuple[float, ...]) -> dict[str, object]:
        c = self.cluster_froc
        return {
            "n_clusters": self.n_clusters,
            "cluster_sensitivity_at_fp_per_image": {str(r): c.sensitivity_at(r) for r in fp_rates},
            "max_cluster_sensitivity": float(c.sensitivity.max()) if c.n_truth else math.nan,
            "image": {"auc": self.image_roc.auc, "n_positive": self.image_roc.n_positive,
                      "n_negative": self.image_roc.n_negative, **self.image_operating_point.to_dict()},
            "patient": {"auc": self.patient_roc.auc, **self.patient_operating_point.to_dict()},
            "by_preset_sensitivity_at_fp_per_image": {
                p: {"n_clusters": f.n_truth, "n_images": f.n_images, **{str(r): f.sensitivity_at(r) for r in (0.1, 0.2)}}
                for p, f in self.by_preset.items()
            },
        }


def class_figures(visibility: str, images: pd.DataFrame, patients: pd.DataFrame, truth_clusters: pd.DataFrame,
                  cluster_matches: pd.DataFrame) -> ClassFigures:
    """Figures of one class from the per-object tables :func:`~calcdetect.evaluation.scoring.evaluate` builds.

    ``images`` needs sop_instance_uid, preset, label, score, flag, patient_key;
    ``patients`` patient_key, score, flag; ``truth_clusters`` sop_instance_uid,
    cluster_id, visibility; ``cluster_matches`` sop_instance_uid, score,
    status, truth_cluster_id.
    """
    vis_of = {(u, int(k)): v for u, k, v in zip(truth_clusters["sop_instance_uid"], truth_clusters["cluster_id"],
                                                truth_clusters["visibility"], strict=True)}
    km = cluster_matches
    hit_class = np.array([vis_of.get((u, int(t)), "") if s == "tp" else ""
                          for u, t, s in zip(km["sop_instance_uid"], km["truth_cluster_id"], km["status"], strict=True)],
                         dtype=object)
    is_tp = (km["status"] == "tp").to_numpy(bool) & (hit_class == visibility)
    is_fp = (km["status"] != "tp").to_numpy(bool)
    mine = truth_clusters["visibility"] == visibility
    froc = froc_curve(km["score"].to_numpy(float), is_tp, is_fp=is_fp, n_truth=int(mine.sum()),
                      n_images=max(len(images), 1))

    pos_uids = set(truth_clusters.loc[mine, "sop_instance_uid"])
    keep = images["sop_instance_uid"].isin(pos_uids) | ~images["label"].astype(bool)
    sub = images[keep]
    y = sub["sop_instance_uid"].isin(pos_uids).to_numpy(bool)
    img_roc = roc_curve(sub["score"].to_numpy(float), y)
    img_op = operating_point(sub["flag"].to_numpy(bool), y)

    pos_pat = set(images.loc[images["sop_instance_uid"].isin(pos_uids), "patient_key"])
    neg_pat = set(images["patient_key"]) - set(images.loc[images["label"].astype(bool), "patient_key"])
    p = patients[patients["patient_key"].isin(pos_pat | neg_pat)]
    py = p["patient_key"].isin(pos_pat).to_numpy(bool)
    pat_roc = roc_curve(p["score"].to_numpy(float), py)
    pat_op = operating_point(p["flag"].to_numpy(bool), py)

    by_preset = {}
    preset_of = dict(zip(images["sop_instance_uid"], images["preset"], strict=True))
    km_preset = km["sop_instance_uid"].map(preset_of).to_numpy(object)
    tc_preset = truth_clusters["sop_instance_uid"].map(preset_of)
    for name, g in images.groupby("preset"):
        sel = km_preset == name
        by_preset[str(name)] = froc_curve(km["score"].to_numpy(float)[sel], is_tp[sel], is_fp=is_fp[sel],
                                          n_truth=int((mine & (tc_preset == name)).sum()), n_images=len(g))
    return ClassFigures(visibility, int(mine.sum()), froc, img_roc, img_op, pat_roc, pat_op, by_preset)


def targets_issue12(visible: ClassFigures, images: pd.DataFrame, patient_specificity: float) -> dict[str, dict]:
    """Each issue-12 target with the measured value and whether it is met (None: not measurable here)."""
    coarse = bool(len(images)) and float(images[["spacing_row_mm", "spacing_col_mm"]].min().min()) >= _COARSE_MM
    presets = [f.sensitivity_at(0.2) for f in visible.by_preset.values() if f.n_truth]
    at02 = visible.cluster_froc.sensitivity_at(0.2)
    values = {
        "visible_cluster_sensitivity_at_0.1_fp_per_image": visible.cluster_froc.sensitivity_at(0.1),
        "visible_image_auc": visible.image_roc.auc,
        "min_preset_visible_cluster_sensitivity_at_0.2_fp_per_image": min(presets) if presets else math.nan,
        "visible_cluster_sensitivity_at_0.2_fp_per_image_at_0.2_mm": at02 if coarse else math.nan,
        "patient_specificity": patient_specificity,
        "patient_sensitivity_visible": visible.patient_operating_point.sensitivity,
    }
    out = {}
    for name, (target, rule) in TARGETS_ISSUE12.items():
        v = values[name]
        met = None if v is None or math.isnan(v) else bool(v >= target)
        out[name] = {"value": v, "target": target, "rule": rule, "met": met}
    if not coarse:
        out["visible_cluster_sensitivity_at_0.2_fp_per_image_at_0.2_mm"]["note"] = (
            "images finer than 0.2 mm: measured on the run resampled to 0.2 mm (measure_detection.py --resample-mm 0.2)")
    return out


def visibility_summary(figures: dict[str, ClassFigures], truth_clusters: pd.DataFrame,
                       fp_rates: tuple[float, ...]) -> dict[str, object]:
    """Class counts, the d′ of each class's third-strongest member, and each class's figures."""
    vis = truth_clusters["visibility"] if "visibility" in truth_clusters else pd.Series([], dtype=object)
    counts = {c: int((vis == c).sum()) for c in ("visible", "subtle", "occult", "unknown")}
    d3 = {}
    for c in ("visible", "subtle", "occult"):
        v = truth_clusters.loc[vis == c, "third_d_prime"].dropna().to_numpy(float) if counts[c] else np.zeros(0)
        d3[c] = {q: float(np.percentile(v, p)) for q, p in (("p10", 10), ("median", 50), ("p90", 90))} if v.size else None
    out: dict[str, object] = {"counts": counts, "third_d_prime": d3}
    if counts["unknown"]:
        out["note"] = (f"{counts['unknown']} cluster(s) from truth files older than visibility classes "
                       "(format calcdetect-phantom-truth/1): class unknown, left out of the class figures")
    out.update({c: f.summary(fp_rates) for c, f in figures.items()})
    return out
