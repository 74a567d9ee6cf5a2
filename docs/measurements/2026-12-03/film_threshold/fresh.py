"""The fresh film sets at the earlier operating points (every image at 0.191765 / 0.874416) and at
the film pair (0.471825 / 0.980921), read off the same scans (the scores do not depend on the
thresholds): history step 14's pooled statistics (visible-cluster sensitivity at 0.05/0.1/0.2 false
clusters per image, image AUC, visible clusters found at the flag, normals flagged), and per preset.

usage: fresh.py SCAN_DIR...   (the scans of queue.sh)"""
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, "/work/main/docs/measurements/2026-12-03/pooled_threshold")
from row12 import per_set_targets, pooled  # noqa: E402  (history step 14's pooled statistics)

COARSE_MM = 0.15
PAIRS = {"earlier (every image)": (0.191765, 0.874416), "film pair (shipped)": (0.471825, 0.980921)}


def main():
    dirs = sys.argv[1:]
    images = pd.concat([pd.read_csv(f"{d}/evaluation/images.csv") for d in dirs])
    truth = pd.concat([pd.read_csv(f"{d}/evaluation/truth_clusters.csv") for d in dirs])
    family = pd.concat([pd.read_csv(f"{d}/scan/images.csv") for d in dirs]).image_family
    assert (family == "film").all(), "every fresh film image is taken for film by its header"
    coarse = images.spacing_row_mm >= COARSE_MM
    vis = truth[truth.visibility == "visible"].merge(images[["sop_instance_uid"]].assign(coarse=coarse),
                                                    on="sop_instance_uid")
    vis_score = np.where(vis.matched.astype(bool), vis.matched_score.fillna(-1), -1.0)
    neg = ~images.has_cluster.astype(bool)
    for label, (fine, thr_coarse) in PAIRS.items():
        print(f"{label:<22} {pooled(dirs, fine, thr_coarse)}")
        thr = np.where(coarse, thr_coarse, fine)
        flagged = images.score.to_numpy() >= thr
        found = vis_score >= np.where(vis.coarse, thr_coarse, fine)
        for p in sorted(images.preset.unique()):
            n = (neg & (images.preset == p)).to_numpy()
            print(f"    {p}: {int(flagged[n].sum())}/{int(n.sum())} normals flagged, "
                  f"{int(found[(vis.preset == p).to_numpy()].sum())}/{int((vis.preset == p).sum())} visible found")
    own = (images.score >= images.threshold).to_numpy()
    film_pair = np.where(coarse, PAIRS["film pair (shipped)"][1], PAIRS["film pair (shipped)"][0])
    assert (own == (images.score.to_numpy() >= film_pair)).all(), "the scans' threshold column is not the film pair"
    per_set_targets(dirs)  # at the thresholds each set was scanned with (the film pair)


if __name__ == "__main__":
    main()
