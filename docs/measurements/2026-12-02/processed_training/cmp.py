import sys, json, numpy as np, pandas as pd
from calcdetect.evaluation.calibration import threshold_for_fp_rate
from calcdetect.evaluation.froc import roc_auc
def load(d, sel=None):
    e = d + '/evaluation/'; im = pd.read_csv(e + 'images.csv'); cm = pd.read_csv(e + 'cluster_matches.csv')
    tc = pd.read_csv(e + 'truth_clusters.csv')
    if sel: im = im[im.preset.str.contains(sel)]
    ids = set(im.sop_instance_uid)
    return im, cm[cm.sop_instance_uid.isin(ids)], tc[tc.sop_instance_uid.isin(ids)]
def summary(d, sel=None):
    im, cm, tc = load(d, sel)
    n = len(im); fp = np.sort(cm.score[cm.status == 'fp'].to_numpy())[::-1]
    vis = tc[tc.visibility == 'visible']
    out = {}
    for rate in (0.05, 0.1, 0.2):
        k = int(np.floor(rate * n))
        thr = fp[k] if k < len(fp) else 0.0  # a hit must score above the (k+1)-th false cluster
        out[rate] = float(((vis.matched_score.fillna(-1) > thr) & vis.matched).mean())
    # image AUC visible-positive vs negative
    vis_img = set(vis.sop_instance_uid)
    neg = im[~im.has_cluster.astype(bool)]
    pos = im[im.sop_instance_uid.isin(vis_img)]
    scores = np.r_[pos.score.to_numpy(), neg.score.to_numpy()]; labels = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    thr = threshold_for_fp_rate(cm.score[cm.status == 'fp'].to_numpy(), n, 0.1)
    return out, roc_auc(scores, labels), thr, len(vis), n
for a in sys.argv[1:]:
    d, _, sel = a.partition(':')
    s, auc, thr, nv, n = summary(d, sel or None)
    print(f"{a:45s} n={n:3d} vis={nv:3d}  sens@0.05/0.1/0.2 {s[0.05]:.3f}/{s[0.1]:.3f}/{s[0.2]:.3f}  AUC {auc:.3f}  thr@0.1FP {thr:.3f}")
