"""Adoption rule v4: pooled readings, paired bootstrap by image within each set.

usage: boot.py READING OLD_DIR[,OLD_DIR...] NEW_DIR[,NEW_DIR...] OLD_THR OLD_THR_COARSE NEW_THR NEW_THR_COARSE
"""
import sys
import numpy as np, pandas as pd

RATES = (0.05, 0.1, 0.2)


def load(d, thr_fine, thr_coarse):
    e = d + '/evaluation/'
    im = pd.read_csv(e + 'images.csv'); cm = pd.read_csv(e + 'cluster_matches.csv')
    tc = pd.read_csv(e + 'truth_clusters.csv')
    uid = {u: i for i, u in enumerate(im.sop_instance_uid)}
    fp = cm[cm.status == 'fp']
    vis = tc[tc.visibility == 'visible']
    thr = np.where(im.spacing_row_mm > 0.15, thr_coarse, thr_fine)
    return dict(
        n=len(im),
        fp_img=fp.sop_instance_uid.map(uid).to_numpy(), fp_score=fp.score.to_numpy(),
        vis_img=vis.sop_instance_uid.map(uid).to_numpy(),
        vis_score=np.where(vis.matched.astype(bool), vis.matched_score.fillna(-1), -1.0),
        img_score=im.score.to_numpy(), img_thr=thr,
        img_neg=~im.has_cluster.astype(bool).to_numpy(),
        img_vis=np.isin(np.arange(len(im)), vis.sop_instance_uid.map(uid).to_numpy()),
        uids=list(im.sop_instance_uid),
    )


def auc(pos, neg):
    s = np.r_[pos, neg]; r = pd.Series(s).rank().to_numpy()
    return (r[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def stats(sets, weights):
    """sets: list of loaded sets; weights: per set, how many times each image is drawn."""
    n = sum(w.sum() for w in weights)
    fp = np.concatenate([np.repeat(s['fp_score'], w[s['fp_img']]) for s, w in zip(sets, weights)])
    vs = np.concatenate([np.repeat(s['vis_score'], w[s['vis_img']]) for s, w in zip(sets, weights)])
    fp = np.sort(fp)[::-1]
    sens = []
    for rate in RATES:
        k = int(np.floor(rate * n)); thr = fp[k] if k < len(fp) else 0.0
        sens.append((vs > thr).mean())
    pos = np.concatenate([np.repeat(s['img_score'][s['img_vis']], w[s['img_vis']]) for s, w in zip(sets, weights)])
    neg = np.concatenate([np.repeat(s['img_score'][s['img_neg']], w[s['img_neg']]) for s, w in zip(sets, weights)])
    negthr = np.concatenate([np.repeat(s['img_thr'][s['img_neg']], w[s['img_neg']]) for s, w in zip(sets, weights)])
    vthr = np.concatenate([np.repeat(s['img_thr'][s['vis_img']], w[s['vis_img']]) for s, w in zip(sets, weights)])
    return dict(pfroc=float(np.mean(sens)), sens=sens, auc=auc(pos, neg),
                flagged=float((neg >= negthr).mean()), found=float((vs >= vthr).mean()), n_vis=len(vs))


def paired_deltas(old, new, resamples=2000, seed=4202612):
    """new minus old of each statistic on paired bootstrap resamples by image within each set.
    (Taken out of main on 2026-12-03 so that later rules' scripts share it; the draws are unchanged.)"""
    rng = np.random.default_rng(seed)
    deltas = {k: [] for k in ('pfroc', 'auc', 'flagged', 'found')}
    for _ in range(resamples):
        w = [np.bincount(rng.integers(0, s['n'], s['n']), minlength=s['n']) for s in old]
        a, b = stats(old, w), stats(new, w)
        for k in deltas:
            deltas[k].append(b[k] - a[k])
    return deltas


def main():
    name, olds, news = sys.argv[1], sys.argv[2].split(','), sys.argv[3].split(',')
    of, oc, nf, nc = map(float, sys.argv[4:8])
    old = [load(d, of, oc) for d in olds]; new = [load(d, nf, nc) for d in news]
    for a, b in zip(old, new):
        assert a['uids'] == b['uids'], 'old and new must score the same images'
    ones = [np.ones(s['n'], int) for s in old]
    so, sn = stats(old, ones), stats(new, ones)
    deltas = paired_deltas(old, new)
    print(f"{name}: {sum(s['n'] for s in old)} images, {so['n_vis']} visible clusters")
    print(f"  shipped sens@0.05/0.1/0.2 {'/'.join(f'{x:.3f}' for x in so['sens'])}  AUC {so['auc']:.4f}  "
          f"flagged {so['flagged']:.3f}  found at flag {so['found']:.3f}")
    print(f"  v1      sens@0.05/0.1/0.2 {'/'.join(f'{x:.3f}' for x in sn['sens'])}  AUC {sn['auc']:.4f}  "
          f"flagged {sn['flagged']:.3f}  found at flag {sn['found']:.3f}")
    for k, d in deltas.items():
        lo, hi = np.percentile(d, [2.5, 97.5])
        print(f"  delta {k:8s} {sn[k] - so[k]:+.4f}  95% [{lo:+.4f}, {hi:+.4f}]")
    print(f"  clusters gained (delta pFROC x visible) {(sn['pfroc'] - so['pfroc']) * so['n_vis']:+.2f}")


if __name__ == "__main__":  # (guard added 2026-12-03 so that row12.py can import load and stats)
    main()
