"""SHAP contributions of the full-size model for true members by shape (visible clusters) and for negatives."""
import sys, json, glob, numpy as np, pandas as pd
from calcdetect.io import read_mammogram
from calcdetect.config import DetectorConfig
from calcdetect.detector.pipeline import analyse_candidates
from calcdetect.detector.fp_model import model_for
cfg = DetectorConfig.default()
D = '/work/scratch/dig/phantoms'
man = pd.read_csv(D + '/manifest.csv')
rows = []
files = sorted(glob.glob(D + '/*.truth.json'))
flb = [f for f in files if any(c['morphology'] == 'fine_linear_branching' and c['visibility'] == 'visible' for c in json.load(open(f))['clusters'])]
others = [f for f in files if f not in flb][:6]
for f in flb + others:
    t = json.load(open(f)); m = read_mammogram(f.replace('.truth.json', '.dcm'))
    a = analyse_candidates(m.pixels, spacing_mm=m.spacing_mm, view=m.view, config=cfg)
    model = model_for(a.spacing_mm, cfg)
    names = list(model.feature_names)
    X = a.features.matrix
    from calcdetect.detector.features import FEATURE_NAMES
    Xm = X[:, [FEATURE_NAMES.index(n) for n in names]]
    contrib = model.booster.predict(Xm.astype(np.float64), pred_contrib=True, num_threads=1)
    p = model.probability(X)
    sp = a.spacing_mm[0]
    r, c = a.peaks.row_px, a.peaks.col_px
    used = np.zeros(len(r), bool)
    for tc in t['calcifications']:
        if tc['cluster_id'] < 0: continue
        cl = t['clusters'][[k['cluster_id'] for k in t['clusters']].index(tc['cluster_id'])]
        if cl['visibility'] != 'visible': continue
        d = np.hypot(r - tc['row'], c - tc['col']) * sp
        j = int(np.argmin(d))
        if d[j] > max(0.3, 0.6 * tc['diameter_mm']): continue
        used[j] = True
        rows.append(dict(kind=f"{cl['morphology'][:4]}/{tc['shape']}", dprime=tc['d_prime'], p=p[j], **{n: contrib[j, k] for k, n in enumerate(names)}, bias=contrib[j, -1]))
    neg = np.flatnonzero(~used & (p >= 0.005))
    for j in neg[:200]:
        rows.append(dict(kind='negative>=0.005', dprime=np.nan, p=p[j], **{n: contrib[j, k] for k, n in enumerate(names)}, bias=contrib[j, -1]))
df = pd.DataFrame(rows)
pd.set_option('display.width', 250)
print(df.groupby('kind').agg(n=('p', 'size'), p_med=('p', 'median'), dprime=('dprime', 'median')))
print(df.groupby('kind')[names + ['bias']].mean().T.round(2).to_string())
