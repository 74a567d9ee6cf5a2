"""Exploratory, after rule v17: the textured fp_model with the SHIPPED cluster model, and the shipped
fp_model with the textured cluster model, computed offline from the scans instead of scanning again
(a queue4.sh for the first was dropped for time).

The clusters a scan forms do not depend on the cluster model (members are the candidates the
fp_model keeps), so each cluster's score under another cluster model is that model applied to the
features of its members as calcifications.csv records them. Checked first: the candidate's own
cluster model, applied the same way, gives back the scores its scan wrote.

usage: fponly.py   (the scans rule17.py reads; writes the rescored tables next to them, in
/work/scratch/s32/fponly/ and /work/scratch/s32/clonly/)
"""
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, "/work/main/docs/measurements/2026-12-02/cluster_model_pooled")
sys.path.insert(0, "/work/main/docs/measurements/2026-12-03/textured_models")
from boot import load, stats  # noqa: E402
from rule17 import READINGS  # noqa: E402

from calcdetect.detector.cluster_model import cluster_feature_matrix, load_cluster_model  # noqa: E402

CANDIDATE_CLUSTERS = "/work/scratch/s32/cluster_ft"


def rescored(scan_dir, model):
    """(cluster_matches, images) of a scan with every cluster scored by ``model``."""
    scan, ev = f"{scan_dir}/scan", f"{scan_dir}/evaluation"
    calcs = pd.read_csv(f"{scan}/calcifications.csv")
    images = pd.read_csv(f"{ev}/images.csv")
    matches = pd.read_csv(f"{ev}/cluster_matches.csv")
    spacing = dict(zip(images.sop_instance_uid, zip(images.spacing_row_mm, images.spacing_col_mm)))
    score = {}
    for uid, c in calcs[calcs.cluster_id >= 0].groupby("sop_instance_uid"):
        ids = sorted(c.cluster_id.unique())
        groups = [np.flatnonzero(c.cluster_id.to_numpy() == k) for k in ids]
        dr, dc = spacing[uid]
        m = cluster_feature_matrix(groups, pts_mm=np.c_[c.row.to_numpy() * dr, c.col.to_numpy() * dc],
                                   probability=c.probability.to_numpy(), snr=c.snr.to_numpy(),
                                   diameter_mm=c.diameter_mm.to_numpy())
        for k, p in zip(ids, model.probability(m)):
            score[(uid, k)] = p
    return matches, images, score


def check(scan_dir, model):
    """Largest difference between the scan's cluster scores and those recomputed offline."""
    matches, _, score = rescored(scan_dir, model)
    got = np.array([score[(u, k)] for u, k in zip(matches.sop_instance_uid, matches.cluster_id)])
    return float(np.max(np.abs(got - matches.score.to_numpy())))


def write_rescored(scan_dir, model, out_dir):
    """A copy of the scan's evaluation tables (what boot.load reads) with the clusters rescored."""
    import os

    matches, images, score = rescored(scan_dir, model)
    matches["score"] = [score[(u, k)] for u, k in zip(matches.sop_instance_uid, matches.cluster_id)]
    best = matches.groupby("sop_instance_uid").score.max()
    images["score"] = images.sop_instance_uid.map(best).fillna(0.0)
    truth = pd.read_csv(f"{scan_dir}/evaluation/truth_clusters.csv")
    tp = matches[matches.status == "tp"].groupby(["sop_instance_uid", "truth_cluster_id"]).score.max()
    key = list(zip(truth.sop_instance_uid, truth.cluster_id))
    truth["matched_score"] = [tp.get(k, np.nan) for k in key]
    os.makedirs(f"{out_dir}/evaluation", exist_ok=True)
    for name, frame in (("cluster_matches", matches), ("images", images), ("truth_clusters", truth)):
        frame.to_csv(f"{out_dir}/evaluation/{name}.csv", index=False)


def main():
    candidate, shipped = load_cluster_model(CANDIDATE_CLUSTERS), load_cluster_model("")
    for name, pairs in READINGS.items():
        if name.startswith("D02") or name.startswith("F"):
            continue  # the digital readings at their own pixels: where the fp_model changed
        for old, new in pairs:
            print(f"{new}: offline candidate scores differ from the scan's by at most {check(new, candidate):.2e}")
            write_rescored(new, shipped, new.replace("/cand/", "/fponly/"))
            print(f"{old}: offline shipped scores differ from the scan's by at most {check(old, shipped):.2e}")
            write_rescored(old, candidate, new.replace("/cand/", "/clonly/"))
        for label, dirs in (("shipped", [a for a, _ in pairs]), ("candidate", [b for _, b in pairs]),
                            ("textured fp_model + shipped cluster model",
                             [b.replace("/cand/", "/fponly/") for _, b in pairs]),
                            ("shipped fp_model + textured cluster model",
                             [b.replace("/cand/", "/clonly/") for _, b in pairs])):
            sets = [load(d, 0.191765, 0.874416) for d in dirs]
            ones = [np.ones(s["n"], int) for s in sets]
            s = stats(sets, ones)
            print(f"{name:<12} {label:<42} at 0.05/0.1/0.2 {'/'.join(f'{v:.3f}' for v in s['sens'])}  "
                  f"AUC {s['auc']:.4f}  (normals flagged at 0.191765: {s['flagged']:.3f})")


if __name__ == "__main__":
    main()
