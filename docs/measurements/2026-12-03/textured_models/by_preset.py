"""Rule v17's readings per preset: visible-image AUC and the normals' scores (shipped → candidate).

usage: by_preset.py   (the scans rule17.py reads)"""
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, "/work/main/docs/measurements/2026-12-02/cluster_model_pooled")
sys.path.insert(0, "/work/main/docs/measurements/2026-12-03/textured_models")
from boot import auc  # noqa: E402
from rule17 import READINGS  # noqa: E402


def images(dirs):
    """Every image of the scans, with whether it holds a visible cluster."""
    frames = []
    for d in dirs:
        im = pd.read_csv(f"{d}/evaluation/images.csv")
        tc = pd.read_csv(f"{d}/evaluation/truth_clusters.csv")
        im["visible"] = im.sop_instance_uid.isin(set(tc[tc.visibility == "visible"].sop_instance_uid))
        frames.append(im)
    return pd.concat(frames)


def main():
    for name, pairs in READINGS.items():
        old, new = images([a for a, _ in pairs]), images([b for _, b in pairs])
        print(name)
        for preset in sorted(old.preset.unique()):
            o, n = old[old.preset == preset], new[new.preset == preset]
            neg_o, neg_n = o[~o.has_cluster.astype(bool)].score, n[~n.has_cluster.astype(bool)].score
            print(f"  {preset:<16} AUC {auc(o[o.visible].score, neg_o):.3f} → {auc(n[n.visible].score, neg_n):.3f}"
                  f"  normals {len(neg_o):>3}: 95th percentile score {np.percentile(neg_o, 95):.3f} → "
                  f"{np.percentile(neg_n, 95):.3f}, max {neg_o.max():.3f} → {neg_n.max():.3f}")


if __name__ == "__main__":
    main()
