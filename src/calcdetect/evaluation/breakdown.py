"""Sensitivity and false-flag tables by stratum, for :mod:`calcdetect.evaluation.scoring`.

Pure functions on the per-object tables that :func:`calcdetect.evaluation.scoring.evaluate`
builds (one row per true calcification, true cluster, image or detection).
"""

from __future__ import annotations

import math

import pandas as pd

from calcdetect.evaluation.froc import operating_point, roc_curve

__all__ = ["bin_sensitivity", "category_sensitivity", "image_strata", "distractor_table", "all_breakdowns"]

_SIZE_BINS_MM = (0.0, 0.15, 0.2, 0.3, 0.4, 0.6, math.inf)
_SNR_BINS = (0.0, 2.0, 3.0, 5.0, 8.0, 12.0, math.inf)
_D_PRIME_BINS = (0.0, 2.0, 4.0, 6.0, 8.0, 12.0, math.inf)  # 4 and 6: the visibility-class limits
_NCALC_BINS = (0, 4, 6, 10, 20, math.inf)


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


def _at_operating_point(scores: pd.Series, uids: pd.Series, thr: pd.Series) -> pd.Series:
    """Whether each score reaches the operating threshold of its image."""
    return pd.Series(scores.to_numpy(float) >= uids.map(thr).to_numpy(float), index=scores.index)


def distractor_table(
    images: pd.DataFrame, distractors: pd.DataFrame, k_match: pd.DataFrame, c_match: pd.DataFrame, thr: pd.Series
) -> pd.DataFrame:
    """Per distractor kind: how often images holding it (and no true cluster) are flagged.

    ``thr``: each image's operating threshold, by SOP Instance UID.
    """
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
                "n_clusters_on_distractor_at_operating_point": int(
                    _at_operating_point(on_kind["score"], on_kind["sop_instance_uid"], thr).sum()),
                "n_calcifications_on_distractor": len(calc_on),
            }
        )
    cols = [
        "kind", "n_instances", "n_images", "n_images_without_cluster", "n_flagged", "false_flag_rate",
        "n_clusters_on_distractor", "n_clusters_on_distractor_at_operating_point", "n_calcifications_on_distractor",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def all_breakdowns(t_img: pd.DataFrame, t_calc: pd.DataFrame, t_clu: pd.DataFrame, distractors: pd.DataFrame,
                   k_match: pd.DataFrame, c_match: pd.DataFrame, thr: pd.Series
                   ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, pd.DataFrame]]:
    """Every sensitivity breakdown of an evaluation; returns the truth clusters and calcifications
    with the image metadata joined, and the breakdown tables by name.  ``thr``: each image's
    operating threshold, by SOP Instance UID."""
    meta = t_img.set_index("sop_instance_uid")[["preset", "density", "view"]]
    t_clu = t_clu.join(meta, on="sop_instance_uid")
    t_clu["detected_at_operating_point"] = t_clu["matched"] & _at_operating_point(
        t_clu["matched_score"], t_clu["sop_instance_uid"], thr)
    t_calc = t_calc.join(meta, on="sop_instance_uid")
    breakdowns: dict[str, pd.DataFrame] = {
        "calcifications_by_size": bin_sensitivity(t_calc["diameter_mm"], t_calc["matched"], _SIZE_BINS_MM, name="diameter_mm"),
        "calcifications_by_snr": bin_sensitivity(t_calc["snr"], t_calc["matched"], _SNR_BINS, name="snr"),
        "calcifications_by_shape": category_sensitivity(t_calc["shape"], t_calc["matched"], name="shape"),
        "calcifications_by_preset": category_sensitivity(t_calc["preset"], t_calc["matched"], name="preset"),
    }
    if len(t_calc) >= 4 and t_calc["contrast"].notna().any():
        q = pd.qcut(t_calc["contrast"], 4, duplicates="drop")
        g = pd.DataFrame({"contrast": q, "d": t_calc["matched"]}).groupby("contrast", observed=False)["d"]
        cb = pd.DataFrame({"n_truth": g.size(), "n_detected": g.sum().astype(int)}).reset_index()
        cb["contrast"] = cb["contrast"].astype(str)
        cb["sensitivity"] = cb["n_detected"] / cb["n_truth"].where(cb["n_truth"] > 0)
        breakdowns["calcifications_by_contrast_quartile"] = cb
    for by in ("density", "preset", "morphology"):
        b = category_sensitivity(t_clu[by], t_clu["detected_at_operating_point"], name=by)
        b = b.rename(columns={"n_detected": "n_detected_at_operating_point", "sensitivity": "sensitivity_at_operating_point"})
        b["sensitivity_any_score"] = category_sensitivity(t_clu[by], t_clu["matched"], name=by)["sensitivity"].to_numpy()
        breakdowns[f"clusters_by_{by}"] = b
    breakdowns["clusters_by_size"] = bin_sensitivity(
        t_clu["n_calcifications"], t_clu["detected_at_operating_point"], _NCALC_BINS, name="n_calcifications"
    )
    # how visible the cluster is: sensitivity by the peak SNR, and by d' against the total noise,
    # of its third-brightest calcification
    for column, name, bins in (("third_snr", "clusters_by_visibility", _SNR_BINS),
                               ("third_d_prime", "clusters_by_detectability", _D_PRIME_BINS)):
        vis = bin_sensitivity(t_clu[column], t_clu["detected_at_operating_point"], bins, name=column)
        vis = vis.rename(columns={"n_detected": "n_detected_at_operating_point",
                                  "sensitivity": "sensitivity_at_operating_point"})
        vis["sensitivity_any_score"] = bin_sensitivity(t_clu[column], t_clu["matched"], bins, name=column)[
            "sensitivity"].to_numpy()
        breakdowns[name] = vis
    if "visibility" not in t_clu:
        t_clu["visibility"] = "unknown"
    breakdowns["clusters_by_visibility_class"] = category_sensitivity(
        t_clu["visibility"], t_clu["detected_at_operating_point"], name="visibility")
    breakdowns["images_by_density"] = image_strata(t_img, "density")
    breakdowns["images_by_preset"] = image_strata(t_img, "preset")
    breakdowns["distractors"] = distractor_table(t_img, distractors, k_match, c_match, thr)

    return t_clu, t_calc, breakdowns
