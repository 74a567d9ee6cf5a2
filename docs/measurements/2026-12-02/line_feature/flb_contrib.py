"""Why the full-size false-positive model rejects fine linear branching members (development set 20261130, native):
candidates on true calcifications of visible clusters with d' >= 6, by the cluster's morphology; probability, and the
mean LightGBM contribution (log-odds) of each feature."""
import glob, json
import numpy as np, pandas as pd
from calcdetect.config import DetectorConfig
from calcdetect.learning.dataset import candidate_table
from calcdetect.detector.fp_model import load_fp_model
from calcdetect.detector.features import FEATURE_NAMES
paths = sorted(glob.glob('/work/scratch/s20/dev/ph_dig/*.dcm'))
tab = candidate_table(paths, config=DetectorConfig.default(), resample_mm=(None,), workers=2).frame
tab.to_pickle('/work/scratch/s20/dev_cand.pkl')
rows = []
for p in paths:
    t = json.load(open(p[:-4] + '.truth.json'))
    morph = {c['cluster_id']: (c['morphology'], c['visibility']) for c in t['clusters']}
    for c in t['calcifications']:
        if c.get('cluster_id', -1) in morph:
            rows.append(dict(image=f"{p.split('/')[-2]}/{p.split('/')[-1]}", row=c['row'], col=c['col'], dp=c['d_prime'],
                             morph=morph[c['cluster_id']][0], vis=morph[c['cluster_id']][1], spacing=t['spacing_mm'][0]))
truth = pd.DataFrame(rows)
model = load_fp_model('')
cols = [FEATURE_NAMES.index(n) for n in model.feature_names]
X = tab[list(FEATURE_NAMES)].to_numpy(np.float64)[:, cols]
tab['p'] = model.booster.predict(X, num_threads=1)
contrib = model.booster.predict(X, num_threads=1, pred_contrib=True)
C = pd.DataFrame(contrib[:, :-1], columns=list(model.feature_names))
# each truth member: its nearest candidate within 0.3 mm
out = []
for img, g in truth[(truth.vis == 'visible') & (truth.dp >= 6)].groupby('image'):
    cand = tab[tab.image == img]
    for r in g.itertuples():
        if len(cand) == 0: out.append((r.morph, np.nan, None)); continue
        d = np.hypot(cand.row - r.row, cand.col - r.col) * r.spacing
        i = d.idxmin()
        out.append((r.morph, tab.p[i] if d[i] <= 0.3 else np.nan, i if d[i] <= 0.3 else None))
o = pd.DataFrame(out, columns=['morph', 'p', 'idx'])
print("members (visible clusters, d' >= 6): candidate within 0.3 mm, and its probability")
print(o.groupby('morph').agg(n=('p', 'size'), no_candidate=('p', lambda s: int(s.isna().sum())),
                             under_accept=('p', lambda s: int((s < 0.05).sum())), median_p=('p', 'median')).to_string())
print("\nmean contribution (log-odds) by feature: candidates of FLB members vs of the other morphologies' members")
idx_flb = [i for m, _, i in out if i is not None and m == 'fine_linear_branching']
idx_oth = [i for m, _, i in out if i is not None and m != 'fine_linear_branching']
pos = tab.index.get_indexer(idx_flb); pos2 = tab.index.get_indexer(idx_oth)
cmp = pd.DataFrame({'flb': C.iloc[pos].mean(), 'other': C.iloc[pos2].mean()})
cmp['diff'] = cmp.flb - cmp.other
print(cmp.sort_values('diff').round(3).to_string())
print("\nfeature medians")
print(pd.DataFrame({'flb': tab.iloc[pos][list(model.feature_names)].median(), 'other': tab.iloc[pos2][list(model.feature_names)].median(),
                    'false': tab[tab.label == 0][list(model.feature_names)].median()}).round(3).to_string())
