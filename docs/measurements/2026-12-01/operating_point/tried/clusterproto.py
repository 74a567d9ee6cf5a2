"""Prototype: a learned cluster-level score, cross-validated over the development scans (by image)."""
import numpy as np, pandas as pd, lightgbm as lgb
S = '/work/scratch/s10/'
SETS = {'dig': S + 'fin_dig', 'dig02': S + 'fin_dig02', 'film': S + 'fin_fd2'}

def table(name, d):
    cl = pd.read_csv(d + '/scan/clusters.csv'); ca = pd.read_csv(d + '/scan/calcifications.csv')
    cm = pd.read_csv(d + '/evaluation/cluster_matches.csv'); im = pd.read_csv(d + '/evaluation/images.csv')
    tc = pd.read_csv(d + '/evaluation/truth_clusters.csv')
    cl = cl.merge(cm[['sop_instance_uid', 'cluster_id', 'status', 'truth_cluster_id']], on=['sop_instance_uid', 'cluster_id'])
    cl = cl.merge(im[['sop_instance_uid', 'preset', 'breast_area_mm2', 'spacing_row_mm', 'has_cluster']], on='sop_instance_uid')
    rows = []
    by_img = {k: g for k, g in ca.groupby('sop_instance_uid')}
    ncl = cl.groupby('sop_instance_uid').size()
    for _, k in cl.iterrows():
        g = by_img[k.sop_instance_uid]; m = g[g.cluster_id == k.cluster_id]
        p = np.sort(m.probability.to_numpy())[::-1]; snr = np.sort(m.snr.to_numpy())[::-1]
        other = g[(g.cluster_id != k.cluster_id) & (g.probability >= 0.3)]
        rows.append(dict(
            score=k.score, p1=p[0], p2=p[1], p3=p[2], p_mean=p.mean(), n=len(p), n_half=(p >= 0.5).sum(),
            area=k.area_mm2, dens=len(p) / (k.area_mm2 + 1.0), snr1=snr[0], snr3=snr[2], snr_mean=snr.mean(),
            d_mean=m.diameter_mm.mean(), d_std=m.diameter_mm.std(), d_max=m.diameter_mm.max(),
            bg=len(other) / k.breast_area_mm2 * 1e4, n_clusters=ncl[k.sop_instance_uid], rank=k.cluster_id,
            coarse=float(k.spacing_row_mm >= 0.15)))
    X = pd.DataFrame(rows)
    meta = cl[['sop_instance_uid', 'cluster_id', 'status', 'truth_cluster_id', 'preset']].assign(set=name)
    return X, meta, im.assign(set=name), tc.assign(set=name)

parts = [table(n, d) for n, d in SETS.items()]
X = pd.concat([p[0] for p in parts], ignore_index=True)
import os
if os.environ.get("COLS"): X = X[os.environ["COLS"].split(",")]
meta = pd.concat([p[1] for p in parts], ignore_index=True)
ims = pd.concat([p[2] for p in parts], ignore_index=True); tcs = pd.concat([p[3] for p in parts], ignore_index=True)
y = (meta.status == 'tp').astype(int).to_numpy()
groups = meta.set + meta.sop_instance_uid  # an image and its 0.2 mm copy are different images; fold by phantom instead
phantom = meta.sop_instance_uid
uniq = phantom.unique(); rng = np.random.default_rng(0); fold_of = dict(zip(uniq, rng.integers(0, 5, len(uniq))))
fold = phantom.map(fold_of).to_numpy()
pred = np.zeros(len(X))
params = dict(objective='binary', learning_rate=0.05, num_leaves=7, min_data_in_leaf=20, feature_fraction=0.8,
              bagging_fraction=0.8, bagging_freq=1, lambda_l2=1.0, verbosity=-1, seed=1, num_threads=1, deterministic=True)
for f in range(5):
    tr = fold != f
    b = lgb.train(params, lgb.Dataset(X[tr], y[tr]), num_boost_round=300)
    pred[~tr] = b.predict(X[~tr])
meta['new'] = pred; meta['old'] = X.score

def froc(set_name, col, rate=(0.05, 0.1, 0.2)):
    m = meta[meta.set == set_name]; im = ims[ims.set == set_name]; tc = tcs[tcs.set == set_name]
    vis = tc[tc.visibility == 'visible'][['sop_instance_uid', 'cluster_id']]
    n_img = len(im)
    fp = np.sort(m[m.status != 'tp'][col].to_numpy())[::-1]
    tp = m[m.status == 'tp'].merge(vis, left_on=['sop_instance_uid', 'truth_cluster_id'], right_on=['sop_instance_uid', 'cluster_id'])
    best = tp.groupby(['sop_instance_uid', 'truth_cluster_id'])[col].max()
    out = []
    for r in rate:
        k = int(np.floor(r * n_img + 1e-9)); t = fp[k] if k < len(fp) else -np.inf
        out.append(round(float((best > t).sum()) / len(vis), 3))
    # image AUC visible-positive vs negative
    s = m.groupby('sop_instance_uid')[col].max()
    im = im.assign(s=im.sop_instance_uid.map(s).fillna(-1))
    pos = im[im.sop_instance_uid.isin(vis.sop_instance_uid)].s.to_numpy(); neg = im[~im.has_cluster].s.to_numpy()
    auc = ((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())
    return out, round(auc, 3)

for s in SETS:
    print(s, 'old', froc(s, 'old'), 'new', froc(s, 'new'))
for pr in ['film-mias-like', 'film-ddsm-like', 'film-16bit-like']:
    pass
b = lgb.train(params, lgb.Dataset(X, y), num_boost_round=300)
print(dict(sorted(zip(X.columns, b.feature_importance('gain').round()), key=lambda t: -t[1])))
