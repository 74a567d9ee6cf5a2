"""Candidate-level screen of ways to read the three shifted features, before any adoption rule.

Each variant's false-positive model is fitted (in memory) on the shipped recipe's candidate table with
its own columns, and scores the candidates of development images it never saw: the processed
(`multiscale`) and plain development digital sets and development-seed film. Per set and preset:
candidate AUC, median probability of the truth's calcifications, calcifications kept and false
candidates kept per image at the shipped accept_probability.

usage: screen.py TRAIN_TABLE.pkl[,MORE.pkl] NAME=PHANTOM_DIR[,DIR...]...   (a table is cached as NAME.pkl)"""
import dataclasses, sys
from pathlib import Path
import numpy as np
import pandas as pd
from calcdetect.commands.train import shipped_recipe
from calcdetect.config import DetectorConfig
from calcdetect.detector.fp_model import mean_probability
from calcdetect.evaluation.froc import roc_auc
from calcdetect.learning.dataset import CandidateTable, candidate_table
from calcdetect.learning.train import fit_boosters

REL = {'tophat_snr': 'tophat_rel', 'mid_ratio': 'mid_ratio_rel', 'vessel_ridge': 'vessel_ridge_rel'}
recipe = shipped_recipe('fp_model')
base = recipe.feature_names
VARIANTS = {
    'shipped': base,
    'BR (three relative)': tuple(REL.get(n, n) for n in base),
    'BR2 (tophat, ridge relative)': tuple(REL.get(n, n) if n != 'mid_ratio' else n for n in base),
    'both (17 + 3)': base + tuple(REL.values()),
}
accept = DetectorConfig.default().accept_probability
train = CandidateTable(pd.concat([pd.read_pickle(t) for t in sys.argv[1].split(',')], ignore_index=True))
dev = {}
for arg in sys.argv[2:]:
    name, folder = arg.split('=')
    cache = Path(f'{name}.pkl')
    if not cache.exists():
        candidate_table(sorted(p for f in folder.split(',') for p in Path(f).glob('*.dcm')), config=recipe.detector_config(), workers=2).frame.to_pickle(cache)
    dev[name] = pd.read_pickle(cache)
rows = []
for variant, names in VARIANTS.items():
    boosters = fit_boosters(train, dataclasses.replace(recipe, feature_names=names))
    for name, frame in dev.items():
        p = mean_probability(boosters, frame[list(names)].to_numpy(np.float64))
        for preset, idx in [*frame.groupby('preset').groups.items(), ('all', frame.index)]:
            y = frame.label.to_numpy()[frame.index.get_indexer(idx)] == 1
            q = p[frame.index.get_indexer(idx)]
            n_img = frame.loc[idx, 'image'].nunique()
            rows.append({'variant': variant, 'set': name, 'preset': preset, 'calcs': int(y.sum()),
                         'auc': roc_auc(q, y.astype(int)), 'calc_median_p': float(np.median(q[y])),
                         'calcs_kept': float((q[y] >= accept).mean()),
                         'false_kept_per_image': float((q[~y] >= accept).sum()) / n_img})
out = pd.DataFrame(rows)
pd.set_option('display.width', 220)
print(f'# accept_probability {accept}')
for name in dev:
    print(f'\n== {name}')
    print(out[out.set == name].pivot_table(index='preset', columns='variant', values=['auc', 'calcs_kept', 'false_kept_per_image'], sort=False).round(3).to_string())
out.to_csv(sys.argv[1].replace(',', '+').replace('.pkl', '') + '_screen.csv', index=False)
