"""Per preset: visible clusters found at the flag and at 0.1 FP/image, image AUC (visible vs normal), normals flagged."""
import sys
import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu


def roc_auc_score(y, s):
    return mannwhitneyu(s[y == 1], s[y == 0]).statistic / ((y == 1).sum() * (y == 0).sum())


def per_preset(ev):
    im = pd.read_csv(f"{ev}/images.csv")
    tc = pd.read_csv(f"{ev}/truth_clusters.csv")
    cm = pd.read_csv(f"{ev}/cluster_matches.csv")
    rows = []
    for preset, g in list(im.groupby("preset")) + [("all", im)]:
        uids = set(g.sop_instance_uid)
        vis = tc[(tc.visibility == "visible") & tc.sop_instance_uid.isin(uids)]
        vis_uids = set(vis.sop_instance_uid)
        normals = g[~g.has_cluster]
        pos = g[g.sop_instance_uid.isin(vis_uids)]
        y = np.r_[np.ones(len(pos)), np.zeros(len(normals))]
        s = np.r_[pos.score.fillna(0), normals.score.fillna(0)]
        # FROC at 0.1 false clusters per image: threshold from false clusters over this preset's images
        fp = cm[(cm.status == "fp") & cm.sop_instance_uid.isin(uids)].score.sort_values(ascending=False).to_numpy()
        k = int(np.floor(0.1 * len(g)))
        thr = fp[k] if len(fp) > k else -np.inf  # strictly above the (k+1)-th false cluster score
        found01 = (vis.matched_score.fillna(-1) > thr).mean()
        rows.append(dict(preset=preset, images=len(g), visible=len(vis), normals=len(normals),
                         found_at_flag=vis.detected_at_operating_point.mean(), found_at_0p1=found01,
                         auc=roc_auc_score(y, s), normals_flagged=normals.flag.mean()))
    return pd.DataFrame(rows).set_index("preset")


if __name__ == "__main__":
    pd.set_option("display.width", 200)
    for name, ev in zip(sys.argv[1::2], sys.argv[2::2]):
        print(f"== {name}: {ev}")
        print(per_preset(ev).round(3).to_string())
