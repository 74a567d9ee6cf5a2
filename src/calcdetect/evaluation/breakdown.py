"""Sensitivity and false-flag tables by stratum, for :mod:`calcdetect.evaluation.scoring`.

Pure functions on the per-object tables that :func:`calcdetect.evaluation.scoring.evaluate`
builds (one row per true calcification, true cluster, image or detection).
"""

from __future__ import annotations

import math

import pandas as pd

from calcdetect.evaluation.froc import operating_point, roc_curve

__all__ = ["bin_sensitivity", "category_sensitivity", "image_strata", "distractor_table"]


def bin_sensitivity(values: pd.Series, detected: pd.Series, bins, *, name: str) -> pd.DataFrame:
    """Sensitivity per bin ``[lo, hi)`` of ``values``: columns name, n_truth, n_detected, sensitivity."""
    cat = pd.cut(values, bins=list(bins), right=False)
    g = pd.DataFrame({name: cat, "detected": detected.astype(bool)}).groupby(name, observed=False)["detected"]
    out = pd.DataFrame({"n_truth": g.size(), "n_detected": g.sum().astype(int)}).reset_index()
    out[name] = out[name].astype(str)
    out["sensitivity"] = out["n_detected"] / out["n_truth"].where(out["n_truth"] > 0)
    return out


def category_sensitivity(values: pd.Series, detected: pd.Series, *, name: str) -> pd.DataFrame:
    """Sensitivity per category of ``values``: columns name, n_truth, n_detected, sensitivity."""
    g = pd.DataFrame({name: values.astype(str), "detected": detected.astype(bool)}).groupby(name)["detected"]
    out = pd.DataFrame({"n_truth": g.size(), "n_detected": g.sum().astype(int)}).reset_index()
    out["sensitivity"] = out["n_detected"] / out["n_truth"]
    return out


def image_strata(images: pd.DataFrame, by: str) -> pd.DataFrame:
    """Image-level confusion counts and AUC per value of column ``by`` (needs label, flag, score)."""
    rows = []
    for value, g in images.groupby(by):
        op = operating_point(g["flag"].to_numpy(), g["label"].to_numpy())
        roc = roc_curve(g["score"].to_numpy(), g["label"].to_numpy())
        rows.append({by: value, "n_images": len(g), "n_positive": op.n_tp + op.n_fn, **op.to_dict(), "auc": roc.auc})
    return pd.DataFrame(rows)


def distractor_table(
    images: pd.DataFrame, distractors: pd.DataFrame, k_match: pd.DataFrame, c_match: pd.DataFrame, thr: float
) -> pd.DataFrame:
    """Per distractor kind: how often images holding it (and no true cluster) are flagged."""
    rows = []
    negatives = images.loc[~images["label"]].set_index("sop_instance_uid")
    for kind, g in distractors.groupby("kind"):
        uids = pd.Index(g["sop_instance_uid"].unique())
        neg = negatives.loc[negatives.index.intersection(uids)]
        on_kind = k_match[k_match["distractor_kind"] == kind] if len(k_match) else k_match
        calc_on = c_match[c_match["distractor_kind"] == kind] if len(c_match) else c_match
        n_neg = len(neg)
        rows.append(
            {
                "kind": kind,
                "n_instances": len(g),
                "n_images": len(uids),
                "n_images_without_cluster": n_neg,
                "n_flagged": int(neg["flag"].sum()),
                "false_flag_rate": float(neg["flag"].mean()) if n_neg else math.nan,
                "n_clusters_on_distractor": len(on_kind),
                "n_clusters_on_distractor_at_operating_point": int((on_kind["score"] >= thr).sum()),
                "n_calcifications_on_distractor": len(calc_on),
            }
        )
    cols = [
        "kind", "n_instances", "n_images", "n_images_without_cluster", "n_flagged", "false_flag_rate",
        "n_clusters_on_distractor", "n_clusters_on_distractor_at_operating_point", "n_calcifications_on_distractor",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)
