"""Full size, development set: the members of visible clusters, local high-pass z (the image minus its
Gaussian of sigma 0.14 mm, peak within one pixel, over the robust sigma in a 2.1 mm window) against the
truth's d', for clusters found at the flag and clusters missed at the flag."""
import json, sys
import numpy as np, pandas as pd, cv2
from calcdetect.io import read_mammogram
D = sys.argv[1]
tc = pd.read_csv(D + '/evaluation/truth_clusters.csv'); man = pd.read_csv(D + '/phantoms/manifest.csv').set_index('sop_instance_uid')
vis = tc[tc.visibility == 'visible']
rows = []
for uid, g in vis.groupby('sop_instance_uid'):
    f = man.loc[uid, 'file']; m = read_mammogram(D + '/phantoms/' + f); sp = m.spacing_mm[0]
    truth = json.load(open(D + '/phantoms/' + f.replace('.dcm', '.truth.json')))
    x = m.pixels.astype(np.float32); hp = x - cv2.GaussianBlur(x, (0, 0), 0.14 / sp)
    half = int(round(1.05 / sp))
    for _, k in g.iterrows():
        for t in truth['calcifications']:
            if t.get('cluster_id') != k.cluster_id:
                continue
            r, c = int(round(t['row'])), int(round(t['col']))
            win = hp[max(r - half, 0):r + half + 1, max(c - half, 0):c + half + 1]
            sig = 1.4826 * np.median(np.abs(win - np.median(win)))
            rows.append(dict(found=bool(k.detected_at_operating_point), morphology=k.morphology, d=t['d_prime'],
                             z=float(hp[r - 1:r + 2, c - 1:c + 2].max() / sig), diam=t['diameter_mm']))
r = pd.DataFrame(rows); r = r[r.d >= 6]
r['z_over_d'] = r.z / r.d
print(f"members with d' >= 6 of visible clusters: {len(r)}")
print(r.groupby('found')[['d', 'z', 'z_over_d']].describe(percentiles=[.25, .5, .75]).round(2).T.to_string())
print(r.groupby(['found', 'morphology']).z_over_d.median().round(2).to_string())
