import sys, numpy as np, pandas as pd
from calcdetect.io import read_mammogram
from calcdetect.detector.pipeline import detect_mammogram
D, A, R = sys.argv[1], sys.argv[2], sys.argv[3]
im = pd.read_csv(f'{R}/scan/images.csv'); cl = pd.read_csv(f'{R}/scan/clusters.csv')
na = pd.read_csv(f'{A}/scan/calcifications.csv').groupby('sop_instance_uid').size()
nb = pd.read_csv(f'{R}/scan/calcifications.csv').groupby('sop_instance_uid').size()
diff = (na - nb.reindex(na.index).fillna(0)); pick = diff[diff > 0].index[:6]
bad = 0
for _, r in im[im.sop_instance_uid.isin(pick)].iterrows():
    res = detect_mammogram(read_mammogram(D + '/phantoms/' + r.path.rsplit('/', 1)[1]))
    a = sorted(round(c.score, 9) for c in res.clusters); b = sorted(cl[cl.sop_instance_uid == r.sop_instance_uid].score.round(9))
    bad += a != b or len(res.calcifications) != nb[r.sop_instance_uid]
    print(r.path.rsplit('/', 1)[1], len(a), len(b), a == b, 'merged', res.rejected.get('same_object', 0), 'offline', int(diff[r.sop_instance_uid]))
print('images with merges', int((diff > 0).sum()), 'of', len(diff), 'mismatches', bad)
