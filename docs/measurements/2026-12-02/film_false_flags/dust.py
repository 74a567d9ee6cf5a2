import sys, numpy as np, pandas as pd, cv2
sys.path.insert(0, '/work/main/src')
from calcdetect.io import read_mammogram
D = sys.argv[1]
man = pd.read_csv(D + '/phantoms/manifest.csv')
cal = pd.read_csv(D + '/scan/calcifications.csv'); m = pd.read_csv(D + '/evaluation/calcification_matches.csv')
cal = cal.merge(m[['sop_instance_uid', 'row', 'col', 'status', 'distractor_kind', 'truth_diameter_mm']], on=['sop_instance_uid', 'row', 'col'], how='left')
out = []
for _, r in man.iterrows():
    px = read_mammogram(D + '/phantoms/' + r.file)
    img = px.pixels.astype(np.float32); sp = px.spacing_mm[0]
    sm = cv2.GaussianBlur(img, (0, 0), 2.0 / sp)
    bg = np.percentile(img, 2)
    breast = sm > np.percentile(sm, 40)  # crude
    lo, hi = np.percentile(sm[breast], [5, 95])
    c = cal[cal.sop_instance_uid == r.sop_instance_uid].copy()
    c['tissue_range'] = hi - lo; c['preset'] = r.preset; c['spacing'] = sp
    out.append(c)
c = pd.concat(out)
c['ratio'] = c.contrast / c.tissue_range
c['kind'] = np.where(c.status == 'tp', 'calc', c.distractor_kind.fillna('none'))
c.to_csv('dust_' + D.strip('/').split('/')[-1] + '.csv', index=False)
for p, g in c.groupby('preset'):
    print(p)
    print(g.groupby('kind').ratio.describe(percentiles=[.05, .5, .95]).round(3).to_string())
