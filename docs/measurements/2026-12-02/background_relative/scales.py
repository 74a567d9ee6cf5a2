"""Background scales and the separating power of the absolute and background-relative columns, by preset.
usage: scales.py FOLDER...  (phantom folders; every candidate of every image at its own pixels)"""
import sys
from pathlib import Path
import numpy as np
import pandas as pd
from scipy.stats import rankdata


def roc_auc_score(y, x):
    y = np.asarray(y, bool); r = rankdata(np.asarray(x, float))
    n1, n0 = y.sum(), (~y).sum()
    return (r[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
from calcdetect.learning.dataset import candidate_table

PAIRS = [('tophat_snr', 'tophat_rel'), ('mid_ratio', 'mid_ratio_rel'), ('vessel_ridge', 'vessel_ridge_rel')]
paths = sorted(p for d in sys.argv[1:] for p in Path(d).glob('*.dcm'))
frame = candidate_table(paths, workers=2).frame
pd.set_option('display.width', 200); pd.set_option('display.max_columns', 20)
rows = []
for (preset, image), f in frame.groupby(['preset', 'image']):
    r = {'preset': preset, 'image': image, 'candidates': len(f), 'calcifications': int(f.label.sum())}
    for a, b in PAIRS:
        ok = np.isfinite(f[b]) & (f[b] != 0)
        r[f'scale_{a}'] = float(np.median(f[a][ok] / f[b][ok])) if ok.any() else np.nan
    rows.append(r)
per_image = pd.DataFrame(rows)
print('# median over images of each image background scale (feature / its relative column)')
g = per_image.groupby('preset')[[c for c in per_image if c.startswith('scale_')] + ['candidates']]
print(g.median().round(3))
print('# spread over images (90th / 10th percentile)')
print((g.quantile(0.9) / g.quantile(0.1)).round(2))
print('\n# per preset: median of each column on calcifications (label 1) and on other candidates (0), and its AUC alone (1 vs 0)')
out = []
for preset, f in frame.groupby('preset'):
    for a, b in PAIRS:
        for c in (a, b):
            ok = np.isfinite(f[c])
            auc = roc_auc_score(f.label[ok], f[c][ok]) if f.label[ok].nunique() == 2 else np.nan
            out.append({'preset': preset, 'column': c, 'calc_median': f[c][ok & (f.label == 1)].median(),
                        'other_median': f[c][ok & (f.label == 0)].median(), 'auc_alone': auc,
                        'missing': int((~ok).sum())})
print(pd.DataFrame(out).round(3).to_string(index=False))
