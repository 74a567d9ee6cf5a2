"""Re-cluster a scan's kept calcifications (dbscan as shipped, or disc = 3 within a 1 cm^2 disc anywhere),
clusters scored by the shipped cluster model; write a scan folder `calcdetect evaluate` reads."""
import os, sys
import numpy as np, pandas as pd
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../2026-12-01/same_object"))  # mec.py
import calcdetect.detector.cluster as C
from calcdetect.config import DetectorConfig
from calcdetect.detector.cluster_model import load_cluster_model
from calcdetect.results import Calcification
import mec
src, dst, rule = sys.argv[1], sys.argv[2], sys.argv[3]
if rule == 'disc':
    C._dbscan_labels = lambda pts, radius_mm, min_count: mec.disc_labels(pts, radius_mm, min_count)
cfg, model = DetectorConfig.default(), load_cluster_model(sys.argv[4] if len(sys.argv) > 4 else "")
os.makedirs(dst + '/scan', exist_ok=True)
for f in os.listdir(src + '/scan'):
    if f not in ('clusters.csv', 'calcifications.csv', 'images.csv'):
        p = dst + '/scan/' + f
        if not os.path.exists(p): os.symlink(os.path.abspath(src + '/scan/' + f), p)
im = pd.read_csv(src + '/scan/images.csv'); ca = pd.read_csv(src + '/scan/calcifications.csv')
rows_c, rows_k = [], []
for i, r in im.iterrows():
    sub = ca[ca.sop_instance_uid == r.sop_instance_uid]
    calcs = [Calcification(row_px=x.row, col_px=x.col, diameter_mm=x.diameter_mm, contrast=x.contrast, snr=x.snr,
                           probability=x.probability) for x in sub.itertuples()]
    out, cl = C.cluster_calcifications(calcs, spacing_mm=(r.spacing_mm, r.spacing_col_mm), config=cfg, cluster_model=model)
    s = sub.copy(); s['cluster_id'] = [c.cluster_id for c in out]; rows_k.append(s)
    for c in cl:
        rows_c.append(dict(sop_instance_uid=r.sop_instance_uid, cluster_id=c.cluster_id, n_calcifications=c.n_calcifications,
                           row=c.row_px, col=c.col_px, row_min=c.bbox_px[0], col_min=c.bbox_px[1], row_max=c.bbox_px[2],
                           col_max=c.bbox_px[3], area_mm2=c.area_mm2, score=c.score))
    score = cl[0].score if cl else 0.0
    im.loc[i, 'score'] = score; im.loc[i, 'n_clusters'] = len(cl)
    im.loc[i, 'flag'] = 'positive' if cl and score >= r.threshold else 'negative'
pd.DataFrame(rows_c, columns=pd.read_csv(src + '/scan/clusters.csv', nrows=0).columns).to_csv(dst + '/scan/clusters.csv', index=False)
pd.concat(rows_k).to_csv(dst + '/scan/calcifications.csv', index=False); im.to_csv(dst + '/scan/images.csv', index=False)
