import sys, numpy as np, pandas as pd, lightgbm as lgb
from calcdetect.detector.features import FEATURE_NAMES
df = pd.read_pickle(sys.argv[1])
# the 15 features of the full-size model before the step (FEATURE_NAMES has grown since)
base = [f for f in FEATURE_NAMES if f not in ('spot_snr', 'spot_image_snr', 'spot_block_snr')]
extra = sys.argv[2].split(',')
imgs = df.image.unique(); rng = np.random.default_rng(int(sys.argv[3]) if len(sys.argv) > 3 else 0); fold = dict(zip(imgs, rng.integers(0, 2, len(imgs))))
df['fold'] = df.image.map(fold)
n_img = len(imgs)
def cvp(feats):
    p = np.zeros(len(df))
    for k in (0, 1):
        tr, te = df.fold != k, df.fold == k
        m = lgb.train(dict(objective='binary', learning_rate=0.05, num_leaves=31, min_data_in_leaf=50, verbose=-1, seed=1, num_threads=2),
                      lgb.Dataset(df.loc[tr, feats].to_numpy(np.float32), df.loc[tr, 'label']), 300)
        p[te.to_numpy()] = m.predict(df.loc[te, feats].to_numpy(np.float32))
    return p
from calcdetect.evaluation.froc import roc_auc as _ra
roc_auc_score = lambda y, p: _ra(p, y)
for name, feats in [('base', base), ('+seg', base + extra)]:
    p = cvp(feats)
    neg = np.sort(p[df.label == 0])[::-1]
    out = [name, 'AUC %.4f' % roc_auc_score(df.label, p)]
    for K in (1, 3, 10):
        t = neg[K * n_img]
        for sh in ('linear', 'punctate', 'pleomorphic'):
            s = (df.label == 1) & (df['shape'] == sh) & (df.vis == 'visible')
            out.append(f'K{K} {sh[:4]} {(p[s] >= t).mean():.3f}')
    print(' | '.join(out))
