"""Visible clusters found at the flag vs normals flagged, as the image threshold moves (image-level trade-off).
usage: oc.py DIR[:preset_regex] ..."""
import sys, numpy as np, pandas as pd
for a in sys.argv[1:]:
    d, _, sel = a.partition(':')
    tc = pd.read_csv(d + '/evaluation/truth_clusters.csv'); im = pd.read_csv(d + '/evaluation/images.csv')
    if sel: im = im[im.preset.str.contains(sel)]; tc = tc[tc.sop_instance_uid.isin(set(im.sop_instance_uid))]
    v = tc[tc.visibility == 'visible']; neg = im[~im.has_cluster.astype(bool)]
    ns = np.sort(neg.score.to_numpy())[::-1]
    out = []
    for k in (0, 1, 2, 3, 5, 7, 10):
        thr = ns[k] if k < len(ns) else 0.0   # flag = score > thr: k normals flagged
        out.append(f"{k}:{int((v.matched & (v.matched_score > thr)).sum())}")
    print(f"{a:45s} normals {len(neg)} visible {len(v)}  normals flagged:visible found  " + ' '.join(out))
