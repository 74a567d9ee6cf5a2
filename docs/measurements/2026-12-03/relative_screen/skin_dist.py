"""Distance to the skin line (mm, the mask's breast outline) of clusters: false ones above the threshold and true ones."""
import sys
import cv2, numpy as np, pandas as pd
from calcdetect.io import read_mammogram
from calcdetect.detector.mask import breast_mask
d = sys.argv[1]
im = pd.read_csv(f'{d}/evaluation/images.csv'); cm = pd.read_csv(f'{d}/evaluation/cluster_matches.csv')
thr = im.threshold.iloc[0]
m = cm.merge(im[['sop_instance_uid', 'patient_id', 'preset', 'label']], on='sop_instance_uid')
sel = m[((m.status == 'fp') & (m.score >= thr)) | (m.status == 'tp')]
out = []
for pid, g in sel.groupby('patient_id'):
    mg = read_mammogram(f"{d}/phantoms/phantom_{pid.split('-')[1]}.dcm")
    mask = breast_mask(mg.pixels, spacing_mm=mg.spacing_mm, view=mg.view)
    dist = cv2.distanceTransform(mask.breast.astype(np.uint8), cv2.DIST_L2, 5) * min(mask.spacing_mm)
    for _, c in g.iterrows():
        out.append({'patient_id': pid, 'preset': c.preset, 'status': c.status, 'score': round(c.score, 3),
                    'skin_mm': round(float(mask.lookup(dist, [c.row], [c.col])[0]), 1), 'kind': c.distractor_kind})
o = pd.DataFrame(out)
print(o[o.status == 'fp'].to_string())
print('true clusters: skin distance quantiles', o[o.status == 'tp'].skin_mm.quantile([0, 0.05, 0.1, 0.25, 0.5]).round(1).to_dict())
