"""Film operating points on the four film development sets: per preset, the loosest threshold by
each candidate rule, and what each pair does on the same sets.
usage: film_rule.py DEV_DIR..."""
import sys

import numpy as np
import pandas as pd

from calcdetect.evaluation.calibration import threshold_for_fp_rate

COARSE_MM = 0.15
SHIPPED = {False: 0.191765, True: 0.874416}


def load(d):
    e = f"{d}/evaluation/"
    return (pd.read_csv(e + "images.csv"), pd.read_csv(e + "cluster_matches.csv"),
            pd.read_csv(e + "truth_clusters.csv"))


def loosest_flagging(normal_scores, share):
    """The loosest threshold at which at most ``share`` of the normals have a score at or above it."""
    s = np.sort(np.asarray(normal_scores, float))[::-1]
    k = int(np.floor(share * s.size))  # at most k flagged
    if k >= s.size:
        return 0.0
    return float(np.nextafter(s[k], np.inf))


dirs = sys.argv[1:]
parts = [load(d) for d in dirs]
images = pd.concat([p[0] for p in parts]); matches = pd.concat([p[1] for p in parts])
truth = pd.concat([p[2] for p in parts])
images["coarse"] = images.spacing_row_mm >= COARSE_MM
fp = matches[matches.status == "fp"]
rules = {}
print(f"{len(images)} film development images, {(~images.has_cluster.astype(bool)).sum()} normals")
for preset, g in images.groupby("preset"):
    normals = g[~g.has_cluster.astype(bool)]
    f = fp[fp.sop_instance_uid.isin(set(g.sop_instance_uid))]
    row = {"coarse": bool(g.coarse.iloc[0]), "n": len(g), "normals": len(normals),
           "fp0.1": threshold_for_fp_rate(f.score.to_numpy(), len(g), 0.1),
           "fp0.05": threshold_for_fp_rate(f.score.to_numpy(), len(g), 0.05),
           "flag5%": loosest_flagging(normals.score, 0.05),
           "flag4%": loosest_flagging(normals.score, 0.04),
           "flag3%": loosest_flagging(normals.score, 0.03)}
    rules[preset] = row
    print(preset, {k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()})

vis = truth[truth.visibility == "visible"].merge(images[["sop_instance_uid", "coarse"]], on="sop_instance_uid")
vis_score = np.where(vis.matched.astype(bool), vis.matched_score.fillna(-1), -1.0)


def report(name, thr):
    t_img = images.coarse.map(thr)
    flagged = images.score >= t_img
    neg = ~images.has_cluster.astype(bool)
    t_vis = vis.coarse.map(thr)
    found = vis_score >= t_vis
    per = {p: f"{int(flagged[neg & (images.preset == p)].sum())}/{int((neg & (images.preset == p)).sum())} flagged, "
              f"{int(found[vis.preset == p].sum())}/{int((vis.preset == p).sum())} found"
           for p in sorted(images.preset.unique())}
    print(f"{name}: fine {thr[False]:.4f} coarse {thr[True]:.4f}: normals flagged {flagged[neg].mean():.3f}, "
          f"visible found at flag {found.mean():.3f} ({found.sum()}/{len(found)})")
    for p, s in per.items():
        print(f"    {p}: {s}")


report("shipped", SHIPPED)
for rule in ("fp0.1", "fp0.05", "flag5%", "flag4%", "flag3%"):
    thr = {c: max([r[rule] for r in rules.values() if r["coarse"] == c]) for c in (False, True)}
    report(f"film rule {rule}", thr)
