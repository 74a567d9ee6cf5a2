"""Per true cluster: the false clusters per image at which it is found, old vs new (same phantoms).
usage: cmp_ranks.py OLD NEW [preset_regex]"""
import sys, numpy as np, pandas as pd
def rates(d, sel):
    e = d + '/evaluation/'; im = pd.read_csv(e + 'images.csv'); cm = pd.read_csv(e + 'cluster_matches.csv'); tc = pd.read_csv(e + 'truth_clusters.csv')
    if sel: im = im[im.preset.str.contains(sel)]
    ids = set(im.sop_instance_uid); cm = cm[cm.sop_instance_uid.isin(ids)]; tc = tc[tc.sop_instance_uid.isin(ids)].copy()
    fp = np.sort(cm.score[cm.status == 'fp'].to_numpy())
    s = tc.matched_score.where(tc.matched.astype(bool))
    tc['rate'] = [((len(fp) - np.searchsorted(fp, v, 'left')) / len(im)) if np.isfinite(v) else np.inf for v in s]
    return tc.set_index(['sop_instance_uid', 'cluster_id'])
old, new = rates(sys.argv[1], sys.argv[3] if len(sys.argv) > 3 else None), rates(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
j = old[['visibility', 'morphology', 'preset', 'n_calcifications', 'rate']].join(new[['rate']], rsuffix='_new')
for vis in ('visible', 'subtle'):
    v = j[j.visibility == vis]
    worse = v[v.rate_new > v.rate + 1e-9]; better = v[v.rate_new < v.rate - 1e-9]
    print(f"{vis}: {len(v)} clusters; found at a lower FP rate {len(better)}, higher {len(worse)}, same {len(v)-len(better)-len(worse)}")
    for lvl in (0.05, 0.1, 0.2):
        print(f"   at {lvl}: old {(v.rate <= lvl).sum()}  new {(v.rate_new <= lvl).sum()}  lost {((v.rate <= lvl) & (v.rate_new > lvl)).sum()}  gained {((v.rate > lvl) & (v.rate_new <= lvl)).sum()}")
    if vis == 'visible':
        ch = v[((v.rate <= 0.2) != (v.rate_new <= 0.2)) | ((v.rate <= 0.1) != (v.rate_new <= 0.1)) | ((v.rate <= 0.05) != (v.rate_new <= 0.05))]
        print(ch[['morphology', 'preset', 'n_calcifications', 'rate', 'rate_new']].round(3).to_string())
