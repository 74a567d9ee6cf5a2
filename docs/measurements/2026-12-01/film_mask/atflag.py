"""Normals flagged and visible-image sensitivity per preset at per-model thresholds: fine for presets finer than 0.15 mm, coarse for mias."""
import sys, pandas as pd
fine, coarse = float(sys.argv[1]), float(sys.argv[2])
for d in sys.argv[3:]:
    im = pd.read_csv(d + '/evaluation/images.csv'); tc = pd.read_csv(d + '/evaluation/truth_clusters.csv')
    vis = set(tc[tc.visibility == 'visible'].sop_instance_uid)
    thr = im.spacing_row_mm.map(lambda s: coarse if s >= 0.15 else fine)
    im['flag2'] = im.score >= thr
    out = []
    for p, g in im.groupby('preset'):
        neg = g[~g.has_cluster.astype(bool)]; pos = g[g.sop_instance_uid.isin(vis)]
        out.append(f"{p}: normals {int(neg.flag2.sum())}/{len(neg)} vis-sens {pos.flag2.mean():.2f}")
    print(d, f"fine {fine} coarse {coarse} |", ' | '.join(out))
