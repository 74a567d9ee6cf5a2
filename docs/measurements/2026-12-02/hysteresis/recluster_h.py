"""Hysteresis grouping, offline, on a scan made with a low accept_probability: calcifications at or above P_WEAK
take part in the shipped grouping, a cluster is kept only if at least MIN_SEEDS of its members are at or above
P_SEED (the shipped accept_probability), and it is scored by the cluster model on all its members.  With
P_WEAK = P_SEED and MIN_SEEDS 0 this is the shipped detector.
usage: recluster_h.py SRC DST MODEL THR THR_COARSE P_SEED P_WEAK MIN_SEEDS"""
import os, sys
import numpy as np, pandas as pd
import calcdetect.detector.cluster as C
from calcdetect.config import DetectorConfig
from calcdetect.detector.cluster_model import load_cluster_model
from calcdetect.results import Calcification
src, dst, model_path = sys.argv[1:4]
thr, thr_coarse, p_seed, p_weak = map(float, sys.argv[4:8]); min_seeds = int(sys.argv[8])
cfg, model = DetectorConfig.default(), load_cluster_model(model_path)
os.makedirs(dst + '/scan', exist_ok=True)
for f in os.listdir(src + '/scan'):
    if f not in ('clusters.csv', 'calcifications.csv', 'images.csv', 'patients.csv'):
        p = dst + '/scan/' + f
        if not os.path.exists(p): os.symlink(os.path.abspath(src + '/scan/' + f), p)
im = pd.read_csv(src + '/scan/images.csv'); ca = pd.read_csv(src + '/scan/calcifications.csv')
if 'rejected' in ca: ca = ca[ca.rejected.isna() | (ca.rejected == '')]
ca = ca[ca.probability >= p_weak]
groups = dict(tuple(ca.groupby('sop_instance_uid')))
rows_c, rows_k = [], []
for i, r in im.iterrows():
    sub = groups.get(r.sop_instance_uid, ca.iloc[:0])
    calcs = [Calcification(row_px=x.row, col_px=x.col, diameter_mm=x.diameter_mm, contrast=x.contrast, snr=x.snr,
                           probability=x.probability) for x in sub.itertuples()]
    out, cl = C.cluster_calcifications(calcs, spacing_mm=(r.spacing_mm, r.spacing_col_mm), config=cfg, cluster_model=model)
    ids = np.array([c.cluster_id for c in out]); prob = sub.probability.to_numpy()
    keep = [c for c in cl if (prob[ids == c.cluster_id] >= p_seed).sum() >= min_seeds]
    kept_ids = {c.cluster_id for c in keep}
    cid = np.where(np.isin(ids, list(kept_ids)), ids, -1)
    s = sub.copy(); s['cluster_id'] = cid
    rows_k.append(s[(s.probability >= p_seed) | (s.cluster_id >= 0)])
    for c in keep:
        rows_c.append(dict(sop_instance_uid=r.sop_instance_uid, cluster_id=c.cluster_id, n_calcifications=c.n_calcifications,
                           row=c.row_px, col=c.col_px, row_min=c.bbox_px[0], col_min=c.bbox_px[1], row_max=c.bbox_px[2],
                           col_max=c.bbox_px[3], area_mm2=c.area_mm2, score=c.score))
    score = keep[0].score if keep else 0.0
    t = thr_coarse if max(r.spacing_mm, r.spacing_col_mm) >= cfg.spot_min_spacing_mm else thr
    im.loc[i, 'score'] = score; im.loc[i, 'n_clusters'] = len(keep); im.loc[i, 'threshold'] = t
    im.loc[i, 'flag'] = 'positive' if keep and score >= t else 'negative'
pd.DataFrame(rows_c, columns=pd.read_csv(src + '/scan/clusters.csv', nrows=0).columns).to_csv(dst + '/scan/clusters.csv', index=False)
pd.concat(rows_k).to_csv(dst + '/scan/calcifications.csv', index=False); im.to_csv(dst + '/scan/images.csv', index=False)
pa = im.groupby('patient_key').agg(n_images=('sop_instance_uid', 'size'), n_positive_images=('flag', lambda f: int((f == 'positive').sum())),
                                   n_clusters=('n_clusters', 'sum'), max_score=('score', 'max')).reset_index()
pa['flag'] = ['positive' if n else 'negative' for n in pa.n_positive_images]
pa.to_csv(dst + '/scan/patients.csv', index=False)
