"""Adoption rule v17's readings: shipped against candidate on the same phantoms, paired bootstrap.

usage: rule17.py CANDIDATE_CONFIG.json   (the scans of queue2.sh and of the thirty-first session)

Each image's flag: at the threshold its scan applied (images.csv); for the candidate, that
threshold's twin in CANDIDATE_CONFIG (the four image thresholds calibrate wrote).
"""
import json
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, "/work/main/docs/measurements/2026-12-02/cluster_model_pooled")
from boot import load, paired_deltas, stats  # noqa: E402  (rule v14's statistics)

S31, S32 = "/work/scratch/s31", "/work/scratch/s32"
FIELDS = ("image_threshold", "image_threshold_coarse", "image_threshold_film", "image_threshold_film_coarse")
SHIPPED = dict(zip(FIELDS, (0.191765, 0.874416, 0.471825, 0.980921)))
READINGS = {  # reading: [(shipped scan, candidate scan), ...]
    "T textured": [(f"{S31}/hf/dig", f"{S32}/cand/tex72"), (f"{S31}/ft/dig_96001173", f"{S32}/cand/tex73")],
    "D full size": [(f"{S31}/sweep/dig", f"{S32}/cand/dig72"),
                    (f"{S31}/sweep/dig_96001173", f"{S32}/cand/dig73")],
    "D02 0.2 mm": [(f"{S31}/sweep/dig_0.2", f"{S32}/cand/dig72_0.2"),
                   (f"{S31}/sweep/dig_96001173_0.2", f"{S32}/cand/dig73_0.2")],
    "F film": [(f"{S31}/sweep/film", f"{S32}/cand/film47"), (f"{S31}/sweep/film_98000048", f"{S32}/cand/film48")],
}


def load_at(scan_dir, twins):
    """``boot.load`` with each image's threshold: the one its scan applied, or that one's twin."""
    s = load(scan_dir, 0.0, 0.0)
    applied = pd.read_csv(f"{scan_dir}/evaluation/images.csv").threshold.to_numpy()
    s["img_thr"] = np.array([twins[round(float(t), 6)] for t in applied])
    return s


def main():
    candidate = json.load(open(sys.argv[1]))
    twins = {SHIPPED[f]: candidate[f] for f in FIELDS}
    same = {v: v for v in SHIPPED.values()}
    print("candidate thresholds: " + ", ".join(f"{f} {candidate[f]}" for f in FIELDS))
    for name, pairs in READINGS.items():
        old = [load_at(a, same) for a, _ in pairs]
        new = [load_at(b, twins) for _, b in pairs]
        for a, b in zip(old, new):
            assert a["uids"] == b["uids"], "shipped and candidate must score the same images"
        ones = [np.ones(s["n"], int) for s in old]
        so, sn = stats(old, ones), stats(new, ones)
        deltas = paired_deltas(old, new)
        print(f"{name}: {sum(s['n'] for s in old)} images, {so['n_vis']} visible clusters")
        for label, s in (("shipped  ", so), ("candidate", sn)):
            print(f"  {label} sens@0.05/0.1/0.2 {'/'.join(f'{x:.3f}' for x in s['sens'])}  AUC {s['auc']:.4f}  "
                  f"flagged {s['flagged']:.3f}  found at flag {s['found']:.3f}")
        for k, d in deltas.items():
            lo, hi = np.percentile(d, [2.5, 97.5])
            print(f"  delta {k:8s} {sn[k] - so[k]:+.4f}  95% [{lo:+.4f}, {hi:+.4f}]")


if __name__ == "__main__":
    main()
