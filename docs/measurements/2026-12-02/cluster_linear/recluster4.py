"""recluster3.py (rule v5) with each calcification's elongation and direction, which the scans of rule v8
write to calcifications.csv (columns ``elongation``, ``orientation_deg``), so that a cluster model reading
member shape scores as the detector would.
Rescore a scan's kept calcifications offline: the shipped grouping, clusters scored by the cluster
model at MODEL ("" = shipped), flags at THR (pixels finer than 0.15 mm) / THR_COARSE; writes a scan folder
`calcdetect evaluate` reads.  usage: recluster3.py SRC DST MODEL THR THR_COARSE"""
import os, sys
import pandas as pd
import calcdetect.detector.cluster as C
from calcdetect.config import DetectorConfig
from calcdetect.detector.cluster_model import load_cluster_model
from calcdetect.results import Calcification
src, dst, model_path, thr, thr_coarse = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
cfg, model = DetectorConfig.default(), load_cluster_model(model_path)
os.makedirs(dst + '/scan', exist_ok=True)
for f in os.listdir(src + '/scan'):
    if f not in ('clusters.csv', 'calcifications.csv', 'images.csv'):
        p = dst + '/scan/' + f
        if not os.path.exists(p): os.symlink(os.path.abspath(src + '/scan/' + f), p)
im = pd.read_csv(src + '/scan/images.csv'); ca = pd.read_csv(src + '/scan/calcifications.csv')
if 'rejected' in ca: ca = ca[ca.rejected.isna() | (ca.rejected == '')]
groups = dict(tuple(ca.groupby('sop_instance_uid')))
rows_c, rows_k = [], []
for i, r in im.iterrows():
    sub = groups.get(r.sop_instance_uid, ca.iloc[:0])
    calcs = [Calcification(row_px=x.row, col_px=x.col, diameter_mm=x.diameter_mm, contrast=x.contrast, snr=x.snr,
                           probability=x.probability, elongation=x.elongation, orientation_deg=x.orientation_deg) for x in sub.itertuples()]
    out, cl = C.cluster_calcifications(calcs, spacing_mm=(r.spacing_mm, r.spacing_col_mm), config=cfg, cluster_model=model)
    s = sub.copy(); s['cluster_id'] = [c.cluster_id for c in out]; rows_k.append(s)
    for c in cl:
        rows_c.append(dict(sop_instance_uid=r.sop_instance_uid, cluster_id=c.cluster_id, n_calcifications=c.n_calcifications,
                           row=c.row_px, col=c.col_px, row_min=c.bbox_px[0], col_min=c.bbox_px[1], row_max=c.bbox_px[2],
                           col_max=c.bbox_px[3], area_mm2=c.area_mm2, score=c.score))
    score = cl[0].score if cl else 0.0
    t = thr_coarse if max(r.spacing_mm, r.spacing_col_mm) >= cfg.spot_min_spacing_mm else thr
    im.loc[i, 'score'] = score; im.loc[i, 'n_clusters'] = len(cl); im.loc[i, 'threshold'] = t
    im.loc[i, 'flag'] = 'positive' if cl and score >= t else 'negative'
pd.DataFrame(rows_c, columns=pd.read_csv(src + '/scan/clusters.csv', nrows=0).columns).to_csv(dst + '/scan/clusters.csv', index=False)
pd.concat(rows_k).to_csv(dst + '/scan/calcifications.csv', index=False); im.to_csv(dst + '/scan/images.csv', index=False)
pa = im.groupby('patient_key').agg(n_images=('sop_instance_uid', 'size'), n_positive_images=('flag', lambda f: int((f == 'positive').sum())),
                                   n_clusters=('n_clusters', 'sum'), max_score=('score', 'max')).reset_index()
pa['flag'] = ['positive' if n else 'negative' for n in pa.n_positive_images]
if os.path.islink(dst + '/scan/patients.csv'): os.unlink(dst + '/scan/patients.csv')
pa.to_csv(dst + '/scan/patients.csv', index=False)
