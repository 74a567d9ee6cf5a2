"""Prototype: a cluster-level classifier trained on the training phantoms' scans, applied to dev scans."""
import sys, os, glob, numpy as np, pandas as pd, lightgbm as lgb

def _tables(d):
    return f'{d}/scan' if os.path.isdir(f'{d}/scan') else d


def cluster_features(scan):
    ca = pd.read_csv(f'{_tables(scan)}/calcifications.csv')
    if 'rejected' in ca.columns:
        ca = ca[ca.rejected.isna()]
    ca = ca[ca.cluster_id >= 0]
    rows = []
    for (uid, cid), g in ca.groupby(['sop_instance_uid', 'cluster_id']):
        p = np.sort(g.probability.to_numpy())[::-1]
        pts = np.c_[g.y_mm.to_numpy(), g.x_mm.to_numpy()]
        cov = np.cov(pts.T) if len(pts) > 2 else np.eye(2)
        ev = np.sort(np.linalg.eigvalsh(cov))[::-1]
        d = np.hypot(*(pts[:, None] - pts[None]).transpose(2, 0, 1)); np.fill_diagonal(d, np.inf)
        rows.append(dict(sop_instance_uid=uid, cluster_id=cid, n=len(p), log_n=np.log(len(p)),
                         p1=p[0], p2=p[1], p3=p[2], p_sum=p.sum(), p_rest=p[3:].mean() if len(p) > 3 else 0.0,
                         n_half=(p >= 0.5).sum(), span_mm=np.sqrt(max(ev[0], 0)), linearity=ev[1] / max(ev[0], 1e-9),
                         nn_mm=np.median(d.min(1)), snr_med=g.snr.median(), snr_max=g.snr.max(),
                         diam_med=g.diameter_mm.median()))
    return pd.DataFrame(rows)

FEATS = ['log_n', 'p1', 'p2', 'p3', 'p_sum', 'p_rest', 'n_half', 'span_mm', 'linearity', 'nn_mm', 'snr_med', 'snr_max', 'diam_med']

def labelled(scan):
    f = cluster_features(scan)
    cm = pd.read_csv(f'{scan}/evaluation/cluster_matches.csv')[['sop_instance_uid', 'cluster_id', 'status']]
    f = f.merge(cm, on=['sop_instance_uid', 'cluster_id'], how='left')
    f['y'] = (f.status == 'tp').astype(int)
    return f

if __name__ == '__main__':
    dirs = [d for d in sorted(glob.glob('/work/scratch/s14/trainscan/310*')) if os.path.isdir(d)]
    if os.environ.get('WITH_02'):  # the digital training sets area-averaged to 0.2 mm too
        dirs += [d for d in sorted(glob.glob('/work/scratch/s14/trainscan02/310*')) if os.path.isdir(d)]
    train = pd.concat([labelled(d) for d in dirs])
    print('training clusters', len(train), 'true', int(train.y.sum()))
    params = dict(objective='binary', learning_rate=0.05, num_leaves=7, min_data_in_leaf=40, feature_fraction=0.8,
                  bagging_fraction=0.8, bagging_freq=1, lambda_l2=1.0, deterministic=True, force_row_wise=True,
                  num_threads=1, seed=20261201, verbosity=-1)
    booster = lgb.train(params, lgb.Dataset(train[FEATS].to_numpy(float), label=train.y.to_numpy()), num_boost_round=300)
    imp = booster.feature_importance('gain'); print(dict(zip(FEATS, np.round(imp / imp.sum(), 3))))
    for src in sys.argv[1:]:
        name = os.path.basename(src.rstrip('/')); dst = f"/work/scratch/s14/clf{os.environ.get('WITH_02', '')}_{name}"
        os.makedirs(dst + '/scan', exist_ok=True)
        for f in os.listdir(src + '/scan'):
            if f not in ('clusters.csv', 'images.csv') and not os.path.exists(f'{dst}/scan/{f}'):
                os.symlink(os.path.abspath(f'{src}/scan/{f}'), f'{dst}/scan/{f}')
        if not os.path.exists(dst + '/phantoms'):
            os.symlink(os.path.realpath(src + '/phantoms'), dst + '/phantoms')
        feats = cluster_features(src)
        feats['new'] = 3.0 * booster.predict(feats[FEATS].to_numpy(float), num_threads=1)
        cl = pd.read_csv(f'{src}/scan/clusters.csv').merge(feats[['sop_instance_uid', 'cluster_id', 'new']], on=['sop_instance_uid', 'cluster_id'], how='left')
        cl['score'] = cl.new.fillna(0.0); cl.drop(columns='new').to_csv(f'{dst}/scan/clusters.csv', index=False)
        im = pd.read_csv(f'{src}/scan/images.csv')
        best = cl.groupby('sop_instance_uid').score.max()
        im['score'] = im.sop_instance_uid.map(best).fillna(0.0)
        im.to_csv(f'{dst}/scan/images.csv', index=False)
        print('wrote', dst)
