"""At thresholds: per preset, normals flagged, visible-positive images flagged (image = patient here),
false clusters/img, visible clusters found (cluster score >= thr)."""
import sys, pandas as pd
d = sys.argv[1]; thrs = [float(t) for t in sys.argv[2].split(',')]
sel = sys.argv[3] if len(sys.argv) > 3 else None
e = d + '/evaluation/'
im = pd.read_csv(e+'images.csv'); tc = pd.read_csv(e+'truth_clusters.csv'); cm = pd.read_csv(e+'cluster_matches.csv')
if sel: im = im[im.preset.str.contains(sel)]
vis_sops = set(tc[tc.visibility=='visible'].sop_instance_uid)
neg = im[~im.has_cluster]; vpos = im[im.sop_instance_uid.isin(vis_sops)]
cm = cm[cm.sop_instance_uid.isin(set(im.sop_instance_uid))]
tcv = tc[(tc.visibility=='visible') & tc.sop_instance_uid.isin(set(im.sop_instance_uid))]
for t in thrs:
    fp = (cm[cm.status=='fp'].score >= t).sum() / len(im)
    row = {p: f"{(g.score>=t).mean():.2f}" for p, g in neg.groupby('preset')}
    print(f"{d.split('/')[-1]} {sel or ''} thr {t:.3f}: spec {(neg.score<t).mean():.3f} sens(vis img) {(vpos.score>=t).mean():.3f} "
          f"vis clusters {((tcv.matched_score.fillna(-1))>=t).mean():.3f} FP/img {fp:.3f} | normals flagged {row}")
