"""Development set 20261130 (native, shipped fp_model): would a lower acceptance floor let the missed fine linear
branching (FLB) clusters form, and at what cost in false candidates?  Per visible FLB cluster: how many members have
a candidate at p >= floor, for several floors; per image: false candidates at p >= floor."""
import glob, json
import numpy as np, pandas as pd
from calcdetect.detector.fp_model import load_fp_model
from calcdetect.detector.features import FEATURE_NAMES
tab = pd.read_pickle('/work/scratch/s20/dev_cand.pkl')
model = load_fp_model('')
tab['p'] = model.probability(tab[list(FEATURE_NAMES)].to_numpy(np.float32))
floors = (0.005, 0.002, 0.001, 0.0005, 0.0002)
rows = []
for p in sorted(glob.glob('/work/scratch/s20/dev/ph_dig/*.dcm')):
    t = json.load(open(p[:-4] + '.truth.json')); img = f"{p.split('/')[-2]}/{p.split('/')[-1]}"
    cand = tab[tab.image == img]; sp = t['spacing_mm'][0]
    for c in t['clusters']:
        if c['visibility'] != 'visible': continue
        mem = [m for m in t['calcifications'] if m.get('cluster_id') == c['cluster_id']]
        best = []
        for m in mem:
            d = np.hypot(cand.row - m['row'], cand.col - m['col']) * sp
            near = cand.p[d <= 0.3]
            best.append(near.max() if len(near) else 0.0)
        best = np.array(best)
        rows.append(dict(morph=c['morphology'], **{f'n_at_{f}': int((best >= f).sum()) for f in floors}))
r = pd.DataFrame(rows)
print("visible clusters with at least 3 members whose candidate reaches the floor (development digital set)")
print(r.groupby('morph').apply(lambda g: pd.Series({f'floor {f}': f"{int((g[f'n_at_{f}'] >= 3).sum())}/{len(g)}" for f in floors})).to_string())
neg = tab[tab.label == 0]
n_img = tab.image.nunique()
print("\nfalse candidates per image at p >= floor:", {f: round(float((neg.p >= f).sum()) / n_img, 1) for f in floors})
