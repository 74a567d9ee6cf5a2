"""Re-cluster a scan's kept calcifications with another grouping rule; write a scan folder evaluate reads."""
import sys, os, shutil, numpy as np, pandas as pd
sys.path.insert(0, '/work/scratch/s14')
import calcdetect.detector.cluster as C
from calcdetect.config import DetectorConfig
from calcdetect.results import Calcification
import mec
src, dst, rule = sys.argv[1], sys.argv[2], sys.argv[3]
thr_f, thr_c = 0.954, 1.308
if rule == 'disc':
    C._dbscan_labels = lambda pts, radius_mm, min_count: mec.disc_labels(pts, radius_mm, min_count)
cfg = DetectorConfig.default()
os.makedirs(dst + '/scan', exist_ok=True)
for f in os.listdir(src + '/scan'):
    if f not in ('clusters.csv', 'calcifications.csv', 'images.csv'):
        p = dst + '/scan/' + f
        if not os.path.exists(p): os.symlink(os.path.abspath(src + '/scan/' + f), p)
if not os.path.exists(dst + '/phantoms'): os.symlink(os.path.realpath(src + '/phantoms'), dst + '/phantoms')
im = pd.read_csv(src + '/scan/images.csv'); ca = pd.read_csv(src + '/scan/calcifications.csv')
rows_c, rows_k = [], []
for _, r in im.iterrows():
    sub = ca[ca.sop_instance_uid == r.sop_instance_uid]
    if rule in ('dedup', 'overlap', 'mutual') and len(sub):
        sub = sub.sort_values('probability', ascending=False)
        y = sub.row.to_numpy() * r.spacing_mm; x = sub.col.to_numpy() * r.spacing_col_mm; rad = sub.diameter_mm.to_numpy() / 2
        keep = []
        for i in range(len(sub)):
            if not any(np.hypot(y[i] - y[j], x[i] - x[j]) < (rad[i] + rad[j] if rule == 'overlap' else min(rad[i], rad[j]) if rule == 'mutual' else max(rad[i], rad[j])) for j in keep):
                keep.append(i)
        sub = sub.iloc[keep]
    calcs = [Calcification(row_px=x.row, col_px=x.col, diameter_mm=x.diameter_mm, contrast=x.contrast, snr=x.snr,
                           probability=x.probability) for x in sub.itertuples()]
    out, cl = C.cluster_calcifications(calcs, spacing_mm=(r.spacing_mm, r.spacing_col_mm), config=cfg)
    if rule in ('top5', 'pbinom') and cl:
        import dataclasses
        probs = np.array([c.probability for c in out]); ids = np.array([c.cluster_id for c in out])
        new = []
        for k in cl:
            pm = np.sort(probs[ids == k.cluster_id])[::-1]
            if rule == 'top5':
                sc = float(pm[:5].sum())
            else:  # P(at least 3 of the members are calcifications), members independent (Poisson binomial)
                dist = np.zeros(len(pm) + 1); dist[0] = 1.0
                for q in pm:
                    dist[1:] = dist[1:] * (1 - q) + dist[:-1] * q; dist[0] *= (1 - q)
                sc = float(3.0 * dist[3:].sum())
            new.append(dataclasses.replace(k, score=sc))
        cl = tuple(sorted(new, key=lambda k: -k.score))
    s = sub.copy(); s['cluster_id'] = [c.cluster_id for c in out]; rows_k.append(s)
    for c in cl:
        rows_c.append(dict(sop_instance_uid=r.sop_instance_uid, cluster_id=c.cluster_id, n_calcifications=c.n_calcifications,
                           row=c.row_px, col=c.col_px, row_min=c.bbox_px[0], col_min=c.bbox_px[1], row_max=c.bbox_px[2],
                           col_max=c.bbox_px[3], area_mm2=c.area_mm2, score=c.score))
    score = cl[0].score if cl else 0.0
    im.loc[_, 'score'] = score; im.loc[_, 'n_clusters'] = len(cl)
    im.loc[_, 'flag'] = 'positive' if cl and score >= r.threshold else 'negative'
pd.DataFrame(rows_c, columns=pd.read_csv(src + '/scan/clusters.csv', nrows=0).columns).to_csv(dst + '/scan/clusters.csv', index=False)
pd.concat(rows_k).to_csv(dst + '/scan/calcifications.csv', index=False); im.to_csv(dst + '/scan/images.csv', index=False)
