"""One line per scan of the sweep (queue.sh): visible clusters found at 0.05 / 0.1 / 0.2 false clusters
per image, image AUC (visible-positive vs negative), visible clusters found and normals flagged at
the thresholds the scan used (images.csv's `threshold`), which model read the images (their pixel
spacing against the scan's spot_min_spacing_mm), then the same per preset.

usage: sweep.py DIR [DIR ...]"""
import json
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, "/work/main/docs/measurements/2026-12-02/cluster_model_pooled")
from boot import auc  # noqa: E402

RATES = (0.05, 0.1, 0.2)


def read(d):
    e = f"{d}/evaluation/"
    im = pd.read_csv(e + "images.csv")
    cm = pd.read_csv(e + "cluster_matches.csv")
    tc = pd.read_csv(e + "truth_clusters.csv")
    return im, cm[cm.status == "fp"], tc[tc.visibility == "visible"]


def figures(im, fp, vis):
    n = len(im)
    thr_of = dict(zip(im.sop_instance_uid, im.threshold))
    vs = np.where(vis.matched.astype(bool), vis.matched_score.fillna(-1), -1.0)
    fps = np.sort(fp.score.to_numpy())[::-1]
    sens = []
    for rate in RATES:
        k = int(np.floor(rate * n))
        sens.append(float((vs > (fps[k] if k < len(fps) else 0.0)).mean()) if len(vs) else float("nan"))
    vis_img = set(vis.sop_instance_uid)
    neg = ~im.has_cluster.astype(bool)
    pos = im.sop_instance_uid.isin(vis_img)
    a = auc(im.score[pos].to_numpy(), im.score[neg].to_numpy()) if pos.any() and neg.any() else float("nan")
    found = float((vs >= vis.sop_instance_uid.map(thr_of).to_numpy()).mean()) if len(vs) else float("nan")
    flagged = float((im.score[neg] >= im.threshold[neg]).mean())
    return sens, a, found, flagged, len(vs), int(neg.sum())


def line(label, im, fp, vis):
    sens, a, found, flagged, nv, nn = figures(im, fp, vis)
    return (f"{label:<22} {'/'.join(f'{s:.3f}' for s in sens)}  AUC {a:.3f}  found at flag {found:.3f} "
            f"({nv} visible)  normals flagged {flagged:.3f} ({nn})")


def main():
    for d in sys.argv[1:]:
        im, fp, vis = read(d)
        sp = im[["spacing_row_mm", "spacing_col_mm"]].min(axis=1)
        cfg = json.load(open(f"{d}/evaluation/metrics.json"))["run"]["detector_config"]
        coarse = int((sp >= cfg["spot_min_spacing_mm"]).sum())  # where the spot filter and the coarse model run
        print(line(d.rstrip("/").rsplit("/", 1)[-1], im, fp, vis)
              + f"  [spacing {sp.min():.4f}-{sp.max():.4f} mm; coarse model {coarse}/{len(im)}; "
                f"thresholds {sorted(set(im.threshold.round(6)))}]")
        for preset, g in im.groupby("preset"):
            uids = set(g.sop_instance_uid)
            print("   " + line(preset, g, fp[fp.sop_instance_uid.isin(uids)], vis[vis.sop_instance_uid.isin(uids)]))
        if "morphology" in vis.columns:
            thr_of = dict(zip(im.sop_instance_uid, im.threshold))
            vs = np.where(vis.matched.astype(bool), vis.matched_score.fillna(-1), -1.0)
            hit = vs >= vis.sop_instance_uid.map(thr_of).to_numpy()
            print("   found at flag by morphology: " + ", ".join(
                f"{m} {int(hit[(vis.morphology == m).to_numpy()].sum())}/{int((vis.morphology == m).sum())}"
                for m in sorted(vis.morphology.unique())))


if __name__ == "__main__":
    main()
